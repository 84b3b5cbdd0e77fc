// Model and training configurations (DESIGN.md §2). `micro` is for unit tests (seconds), `tiny`
// for a CPU-only machine (a run reaches its quality goal in minutes), `small` for a laptop GPU,
// `base` the paper's scale.
import { BiudError } from '../engine/errors.ts';

export interface VisionConfig {
  /** Volume [D, H, W] (2-D images use [1, H, W]). */
  size: [number, number, number];
  /** Voxel spacing in mm [z, y, x]. */
  spacing: [number, number, number];
  patch: [number, number, number];
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** How tokens become one vector: their mean (default) or a linear map of all of them ('flat'). */
  pool?: 'mean' | 'flat';
  /**
   * The pooled vector also gets a learnt map of each channel's maximum over the patch tokens
   * (after the final LayerNorm), so that a finding in any one patch can move it as much as one
   * spread over many (vision-encoder.ts says why). Absent or false (`tiny`'s default: it lowered
   * zero-shot at both seeds measured, README runs PM): the pooling alone.
   */
  poolMax?: boolean;
  /**
   * 3-D only: a convolutional stem before the patch embedding: `channels` filters of `size`
   * voxels (kernel = stride, dividing the patch) and a GELU; the patch embedding then maps the
   * stem's features of each patch. `overlap` (default 0) widens each filter by that many voxels
   * on every side (kernel = size + 2·overlap, the input padded by overlap), so that neighbouring
   * filters overlap and a finding on a cube's edge is seen whole by one; the stride stays `size`.
   * Measured in BIUD `tiny` with overlap 1 (README, runs OV): zero-shot 0.729 and 0.713 at seeds
   * 1 and 2 against 0.773 and 0.746, and 2 s a step slower (the direct conv kernels, not the
   * patch path's matmul), so `tiny` keeps 0.
   * Absent or null: the patch embedding reads the voxels directly.
   */
  stem?: { channels: number; size: [number, number, number]; overlap?: number } | null;
  /**
   * 3-D only, with a stem: the maximum of each stem channel, taken over each patch ('patch': added
   * to that patch's token through a learnt map) or over the whole volume ('global': added to the
   * pooled representation), so that a filter firing anywhere is one large change of one number.
   * Absent or null (`tiny`'s default: either form lowered its zero-shot AUC, README): the stem's
   * features reach the tokens only through the linear patch embedding.
   */
  stemMax?: 'patch' | 'global' | null;
  /**
   * 3-D only: each patch token also gets a linear map of four statistics (mean, maximum, minimum,
   * spread) of every `cell` of its voxels (cell divides the patch); vision-encoder.ts says why.
   * `blob` (σ in voxels) adds the same four statistics of two blob maps of the voxels (the
   * Hessian's bright- and dark-ball responses at scale σ, ops.blobness3d): 12 statistics a cell.
   * With the labels they make the weak findings more visible (a linear model: 0.866 against 0.825),
   * but in BIUD `tiny` zero-shot fell to 0.745 against 0.773 (README, run BL1) and each step took
   * ≈ 1 s longer, so `tiny` leaves it out.
   * Absent or null: the tokens see the voxels only through the patch embedding.
   */
  stats?: { cell: [number, number, number]; blob?: number | null } | null;
  /**
   * 3-D only: standardise the encoder's inputs feature by feature with the training volumes'
   * statistics (fixed once, before the first step, and saved with the weights): `voxels`, each
   * voxel by its mean and spread over the training volumes (what the normal chest looks like
   * there); `stats`, each cell statistic likewise (if `stats` gives the encoder any).
   * vision-encoder.ts says why.
   */
  standardise?: { voxels?: boolean; stats?: boolean } | null;
}

export interface TextConfig {
  /**
   * Tokens read of each report, [CLS] and [SEP] included; longer reports are read as a digest
   * (models/text/digest.ts). BIUD's report encoder and the expert's text encoder each read the
   * digest their own context holds. `tiny` reads 96: 192 (`--text-len 192`, README runs TL192)
   * keeps 92% of the findings in the text against 72%, yet lowered zero-shot (0.753 / 0.726
   * against 0.773 / 0.746 at seeds 1 / 2) at 1.7 times the step time.
   */
  maxLen: number;
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** 'sub': the WordPiece tokens that occur in the shipped reports; 'bert': all 30,522. */
  vocab: 'sub' | 'bert';
  /**
   * BIUD's report encoder only: start from random weights ('scratch', default) or from the frozen
   * X-ray expert's text encoder ('expert'; its configuration must match), the way the paper's
   * report encoder starts from a pretrained language model rather than from nothing.
   */
  init?: 'scratch' | 'expert';
  /**
   * BIUD's report encoder only: read a report sentence by sentence (ReportTokenizer.encodeSentences):
   * each sentence encoded on its own within the row (attention inside the sentence, positions
   * from 0) and the report's vector the mean of its sentences', so that a report is an average of
   * sentences encoded as a one-sentence zero-shot prompt is. Default false (the whole report as
   * one sequence, mean of all positions): in BIUD `tiny` it gave zero-shot 0.726 / 0.709 against
   * 0.773 / 0.746 at seeds 1 / 2 (README, runs TSs1, TSs2).
   */
  sentences?: boolean;
}

export interface LossConfig {
  /** RoCo's false-negative correction (off = plain CLIP targets). */
  roco: boolean;
  /** Cosine of the frozen expert's report embeddings above which two reports count as false negatives. */
  fnThreshold: number;
  /** Also treat reports with the same finding set as false negatives. */
  fnSameFindings: boolean;
  /**
   * Graded false negatives: a pair whose finding sets overlap in part gets F[i][j] = J^γ, J their
   * Jaccard index (two normal reports: 1), γ this value; 0 or absent keeps the binary rule.
   */
  fnGraded?: number;
  /**
   * λ of L_sent (losses.ts): the CT embeddings against each finding sentence of the batch's
   * reports, every CT whose report agrees with a sentence its positive (models/text/sentence-targets.ts).
   * 0 or absent: off, as in the paper.
   */
  sentences?: number;
  /**
   * λ of L_find (losses.ts `findingLoss`): a linear head on each CT embedding predicts the 18
   * findings that the labeler reads in its report's text (models/text/labeler.ts), one logistic
   * loss per finding, as KAD and MedKLIP supervise their image encoders with entities taken from
   * the reports. No hand label is read. 0 or absent: off, as in the paper.
   */
  findings?: number;
  /**
   * λ of L_find's text side: the same head also reads each report embedding and predicts the
   * same findings, so that reports and CTs keep each finding along the same directions of the
   * shared space, where zero-shot prompts and CTs meet. Needs `findings`; 0 or absent: off.
   */
  findingsText?: number;
  /**
   * Queue of L_RoCo (losses.ts `queueContrastLoss`): each CT is also contrasted with the reports of
   * the last queue/B batches, and each report with their CTs, their embeddings kept from the step
   * that made them (MoCo, ALBEF, but without their momentum encoder). A multiple of the batch;
   * 0 or absent: off, as in the paper. At `tiny` it collapsed the embeddings (docs/biud-runs.md).
   */
  queue?: number;
  /** The queue's slots are masked (the loss in-batch) before this step; it fills meanwhile. Default 0. */
  queueFrom?: number;
  efm: number;
  pair: number;
  rel: number;
  /**
   * Distillation is off for the first `distillFrom` steps, then its weights rise linearly to
   * λ_pair, λ_rel over `distillRamp` steps (both default 0: on from the start).
   */
  distillFrom?: number;
  distillRamp?: number;
  /** Temperature of the relation-distillation softmaxes. */
  relTemperature: number;
  /** Initial contrastive temperature, learnable within [0.001, 0.5]. */
  temperature: number;
  /** Fraction of tokens masked for EFM. */
  maskRatio: number;
  /** Entity-focused masking (off = random tokens only). */
  entityFocused: boolean;
  /**
   * Probability that each sentence of a report is kept in a step's text (default 1: the whole
   * report). Off in every config: at 0.5 tiny's L_RoCo stayed near ln B and zero-shot fell from
   * 0.621 to 0.554 (README, tiny11); kept as a switch for experiments.
   */
  sentenceKeep?: number;
}

export interface TrainConfig {
  batch: number;
  steps: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  maxGradNorm: number;
  /** Checkpoint every this many steps. */
  checkpointEvery: number;
  /** Read the losses back every this many steps (a readback is a sync point). */
  logEvery: number;
}

export interface BiudConfig {
  name: string;
  seed: number;
  embedDim: number;
  ct: VisionConfig;
  text: TextConfig;
  expert: { image: VisionConfig; text: TextConfig; batch: number; steps: number; lr: number; pool: number };
  decoder: { width: number; depth: number; heads: number; maxLen: number };
  loss: LossConfig;
  train: TrainConfig;
  /** Cohort sizes: synthetic training volumes come from a seed each step; these are the held-out sets. */
  data: {
    heldout: number;
    retrievalTopK: number;
    /** Training patients rendered once and reused (default 256); 0 renders a new patient for every sample. */
    trainPatients?: number;
    /**
     * Share of steps (0–1, default 0) whose batch is drawn from pool patients with about as many
     * findings as a first, random one (models/train/cohort-data.ts, trainBatch), so that how
     * abnormal a chest is cannot tell the batch's pairs apart and the contrast must use which
     * findings it shows.
     */
    stratify?: number;
  };
}

const loss = (o: Partial<LossConfig> = {}): LossConfig => ({
  roco: true, fnThreshold: 0.95, fnSameFindings: true, efm: 0.5, pair: 1, rel: 1, relTemperature: 0.1, temperature: 0.07,
  maskRatio: 0.15, entityFocused: true, ...o,
});

/**
 * Initial contrastive temperature for batches of 4–16 (micro, tiny). CLIP's 0.07 was measured to
 * collapse these runs on the procedural cohort: within ~20 steps every logit is equal and L_RoCo
 * sits at ln B, also with plain CLIP targets and without distillation; from 0.2 the loss leaves
 * ln B (tiny, 200 steps: 2.77 → 2.44). The temperature is still learnt from there.
 */
const SMALL_BATCH_TEMPERATURE = 0.2;

export const CONFIGS: Record<string, BiudConfig> = {
  micro: {
    name: 'micro', seed: 1, embedDim: 32,
    ct: { size: [16, 16, 16], spacing: [20, 20, 20], patch: [8, 8, 8], width: 32, depth: 1, heads: 2, mlpRatio: 2, pool: 'flat' },
    text: { maxLen: 32, width: 32, depth: 1, heads: 2, mlpRatio: 2, vocab: 'sub' },
    expert: {
      image: { size: [1, 32, 32], spacing: [1, 10, 10], patch: [1, 8, 8], width: 32, depth: 1, heads: 2, mlpRatio: 2 },
      text: { maxLen: 32, width: 32, depth: 1, heads: 2, mlpRatio: 2, vocab: 'sub' },
      batch: 8, steps: 10, lr: 1e-3, pool: 32,
    },
    decoder: { width: 32, depth: 1, heads: 2, maxLen: 32 },
    loss: loss({ temperature: SMALL_BATCH_TEMPERATURE }),
    train: { batch: 4, steps: 20, lr: 1e-3, minLr: 1e-4, warmup: 2, weightDecay: 0.05, maxGradNorm: 1, checkpointEvery: 10, logEvery: 5 },
    data: { heldout: 32, retrievalTopK: 5 },
  },
  tiny: {
    name: 'tiny', seed: 1, embedDim: 256,
    // 'flat' pooling (vision-encoder.ts): zero-shot 0.621 vs 0.551 with the token mean, same
    // expert, 300 steps (runs tiny10 / tiny12 in the README).
    // Cell statistics of 8³ voxels, each standardised with the training volumes' statistics:
    // zero-shot 0.755 against 0.717 without statistics and 0.720 with them unstandardised
    // (runs N2, G, S8 in the README). A convolutional stem (16 filters of 4³ voxels + GELU)
    // before the patch embedding: 0.774 against 0.755 (run ST; with 256 training patients it had
    // only memorised them, run C).
    ct: {
      size: [64, 64, 64], spacing: [5, 5, 5], patch: [16, 16, 16], width: 64, depth: 2, heads: 4, mlpRatio: 2, pool: 'flat',
      stats: { cell: [8, 8, 8] }, standardise: { stats: true }, stem: { channels: 16, size: [4, 4, 4] },
    },
    text: { maxLen: 96, width: 64, depth: 2, heads: 4, mlpRatio: 2, vocab: 'sub' },
    expert: {
      image: { size: [1, 64, 64], spacing: [1, 5, 5], patch: [1, 8, 8], width: 64, depth: 2, heads: 4, mlpRatio: 2 },
      text: { maxLen: 96, width: 64, depth: 2, heads: 4, mlpRatio: 2, vocab: 'sub' },
      batch: 32, steps: 300, lr: 1e-3, pool: 512,
    },
    decoder: { width: 64, depth: 2, heads: 4, maxLen: 96 },
    // Distillation from step 40, at full weight from step 80 (losses.ts, distillFactor).
    loss: loss({ temperature: SMALL_BATCH_TEMPERATURE, distillFrom: 40, distillRamp: 40 }),
    // 270 steps fit the 15-minute budget on 2 cores with the stem (300 took 15.6–15.7 min in the
    // playground with the 960-volume render and three evaluations, 2026-12-06, and reached 0.774;
    // 270 reached 0.773; without the stem 300 steps took 14.2–14.7 min). lr 2e-4 measured better than 5e-4 at
    // 300 steps (zero-shot 0.577 vs 0.551), in line with the supervised CT encoder, which learns at
    // 1e-4 and not at 1e-3 (bench/diagnose).
    train: { batch: 16, steps: 270, lr: 2e-4, minLr: 2e-5, warmup: 30, weightDecay: 0.05, maxGradNorm: 1, checkpointEvery: 100, logEvery: 10 },
    // 960 training patients rendered once (960 MiB on the GPU, 1–4 min to render here) instead of
    // 256: with 256 the encoder memorises its volumes (19 epochs in 300 steps) and the held-out
    // zero-shot AUC stays at 0.62; with 960 it is 0.696 (README, run D). 1920 (two buffers of 960)
    // gave the same as 960 at two seeds (runs P19, P19s2), at twice the memory and render time.
    data: { heldout: 200, retrievalTopK: 5, trainPatients: 960 },
  },
  small: {
    name: 'small', seed: 1, embedDim: 256,
    ct: { size: [64, 128, 128], spacing: [5, 2.5, 2.5], patch: [8, 16, 16], width: 256, depth: 6, heads: 8, mlpRatio: 4 },
    text: { maxLen: 192, width: 256, depth: 6, heads: 8, mlpRatio: 4, vocab: 'sub' },
    expert: {
      image: { size: [1, 128, 128], spacing: [1, 2.5, 2.5], patch: [1, 16, 16], width: 256, depth: 6, heads: 8, mlpRatio: 4 },
      text: { maxLen: 192, width: 256, depth: 4, heads: 8, mlpRatio: 4, vocab: 'sub' },
      batch: 64, steps: 2000, lr: 5e-4, pool: 2048,
    },
    decoder: { width: 256, depth: 3, heads: 8, maxLen: 192 },
    loss: loss(),
    train: { batch: 32, steps: 5000, lr: 3e-4, minLr: 3e-5, warmup: 200, weightDecay: 0.05, maxGradNorm: 1, checkpointEvery: 250, logEvery: 25 },
    data: { heldout: 500, retrievalTopK: 5 },
  },
  base: {
    name: 'base', seed: 1, embedDim: 256,
    ct: { size: [112, 256, 352], spacing: [3, 1, 1], patch: [32, 16, 16], width: 768, depth: 12, heads: 12, mlpRatio: 4 },
    text: { maxLen: 256, width: 768, depth: 12, heads: 12, mlpRatio: 4, vocab: 'bert' },
    expert: {
      image: { size: [1, 224, 224], spacing: [1, 1.5, 1.5], patch: [1, 16, 16], width: 768, depth: 12, heads: 12, mlpRatio: 4 },
      text: { maxLen: 256, width: 768, depth: 12, heads: 12, mlpRatio: 4, vocab: 'bert' },
      batch: 128, steps: 20000, lr: 1e-4, pool: 8192,
    },
    decoder: { width: 512, depth: 6, heads: 8, maxLen: 256 },
    loss: loss(),
    train: { batch: 32, steps: 50000, lr: 1e-4, minLr: 1e-6, warmup: 2000, weightDecay: 0.05, maxGradNorm: 1, checkpointEvery: 1000, logEvery: 50 },
    data: { heldout: 1000, retrievalTopK: 5 },
  },
};

/** A named config, deep-copied so callers may change it; overrides apply per section. */
export function getConfig(name: string, overrides: DeepPartial<BiudConfig> = {}): BiudConfig {
  const base = CONFIGS[name];
  if (!base) throw new BiudError(`unknown config "${name}"; one of: ${Object.keys(CONFIGS).join(', ')}`);
  const c = structuredClone(base);
  merge(c as unknown as Record<string, unknown>, overrides as Record<string, unknown>);
  validate(c);
  return c;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function merge(dst: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    if (v && typeof v === 'object' && !Array.isArray(v) && dst[k] && typeof dst[k] === 'object') merge(dst[k] as Record<string, unknown>, v as Record<string, unknown>);
    else dst[k] = v;
  }
}

export function validate(c: BiudConfig): void {
  const check = (v: VisionConfig, what: string) => {
    v.size.forEach((s, i) => {
      if (s % v.patch[i]) throw new BiudError(`${c.name}: ${what} size [${v.size}] is not a multiple of its patch [${v.patch}]`);
    });
    if (v.width % v.heads) throw new BiudError(`${c.name}: ${what} width ${v.width} is not a multiple of its ${v.heads} heads`);
    if (v.pool !== undefined && v.pool !== 'mean' && v.pool !== 'flat') throw new BiudError(`${c.name}: ${what} pool "${v.pool}" is neither "mean" nor "flat"`);
    if (v.stem) {
      const { channels, size } = v.stem;
      if (v.size[0] === 1) throw new BiudError(`${c.name}: ${what} has a stem, which only 3-D encoders take`);
      if (!(Number.isInteger(channels) && channels > 0)) throw new BiudError(`${c.name}: ${what} stem channels must be a positive whole number, got ${channels}`);
      if (size.length !== 3 || size.some((s, i) => !(s > 0) || v.patch[i] % s)) throw new BiudError(`${c.name}: ${what} stem size [${size}] does not divide its patch [${v.patch}]`);
      const o = v.stem.overlap ?? 0;
      if (!(Number.isInteger(o) && o >= 0)) throw new BiudError(`${c.name}: ${what} stem overlap must be a whole number of voxels ≥ 0, got ${o}`);
    }
    if (v.stemMax != null) {
      if (v.stemMax !== 'patch' && v.stemMax !== 'global') throw new BiudError(`${c.name}: ${what} stemMax "${v.stemMax}" is neither "patch" nor "global"`);
      if (!v.stem) throw new BiudError(`${c.name}: ${what} has stemMax "${v.stemMax}" but no stem to take the maximum of`);
    }
    if (v.stats) {
      const { cell } = v.stats;
      if (v.size[0] === 1) throw new BiudError(`${c.name}: ${what} has cell statistics, which only 3-D encoders take`);
      if (cell.length !== 3 || cell.some((s, i) => !(Number.isInteger(s) && s > 0) || v.patch[i] % s)) throw new BiudError(`${c.name}: ${what} statistics cell [${cell}] does not divide its patch [${v.patch}]`);
      const b = v.stats.blob;
      if (b != null && !(b >= 0.25 && b <= 8)) throw new BiudError(`${c.name}: ${what} statistics blob σ must be between 0.25 and 8 voxels, got ${b}`);
    }
    if (v.standardise && (v.standardise.voxels || v.standardise.stats)) {
      if (v.size[0] === 1) throw new BiudError(`${c.name}: ${what} is standardised per feature, which only 3-D encoders take`);
    }
  };
  check(c.ct, 'CT');
  check(c.expert.image, 'X-ray');
  for (const [t, what] of [[c.text, 'text'], [c.expert.text, 'expert text']] as const) {
    if (t.width % t.heads) throw new BiudError(`${c.name}: ${what} width ${t.width} is not a multiple of its ${t.heads} heads`);
    if (!(Number.isInteger(t.maxLen) && t.maxLen >= 8)) throw new BiudError(`${c.name}: ${what} maxLen must be a whole number of tokens ≥ 8, got ${t.maxLen}`);
  }
  if (c.text.init !== undefined && c.text.init !== 'scratch' && c.text.init !== 'expert') throw new BiudError(`${c.name}: text init "${c.text.init}" is neither "scratch" nor "expert"`);
  if (c.text.init === 'expert') {
    const keys = ['maxLen', 'width', 'depth', 'heads', 'mlpRatio', 'vocab'] as const;
    const differ = keys.filter((k) => c.text[k] !== c.expert.text[k]);
    if (differ.length) throw new BiudError(`${c.name}: the report encoder cannot start from the X-ray expert's text encoder: they differ in ${differ.map((k) => `${k} (${c.text[k]} vs ${c.expert.text[k]})`).join(', ')}`);
  }
  const P = c.data.trainPatients;
  if (P !== undefined && !(Number.isInteger(P) && P >= 0)) throw new BiudError(`${c.name}: trainPatients must be a whole number ≥ 0 (0: a new patient for every sample), got ${P}`);
  const st = c.data.stratify;
  if (st !== undefined && !(st >= 0 && st <= 1)) throw new BiudError(`${c.name}: data.stratify must be a share of steps in [0, 1], got ${st}`);
  for (const k of ['distillFrom', 'distillRamp', 'queueFrom'] as const) {
    const v = c.loss[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new BiudError(`${c.name}: ${k} must be a whole number of steps ≥ 0, got ${v}`);
  }
  const g = c.loss.fnGraded;
  if (g !== undefined && !(Number.isFinite(g) && g >= 0)) throw new BiudError(`${c.name}: fnGraded (the exponent γ of graded false negatives) must be ≥ 0, got ${g}`);
  const lf = c.loss.findings;
  if (lf !== undefined && !(Number.isFinite(lf) && lf >= 0)) throw new BiudError(`${c.name}: loss.findings (the weight of L_find) must be ≥ 0, got ${lf}`);
  const lt = c.loss.findingsText;
  if (lt !== undefined && !(Number.isFinite(lt) && lt >= 0)) throw new BiudError(`${c.name}: loss.findingsText (the weight of L_find's text side) must be ≥ 0, got ${lt}`);
  if (lt && !lf) throw new BiudError(`${c.name}: loss.findingsText needs loss.findings (L_find's head) to be on`);
  const ls = c.loss.sentences;
  if (ls !== undefined && !(Number.isFinite(ls) && ls >= 0)) throw new BiudError(`${c.name}: loss.sentences (the weight of L_sent) must be ≥ 0, got ${ls}`);
  const q = c.loss.queue;
  if (q !== undefined && !(Number.isInteger(q) && q >= 0 && q % c.train.batch === 0)) throw new BiudError(`${c.name}: loss.queue must be a whole number of batches of ${c.train.batch} (0: off), got ${q}`);
  const keep = c.loss.sentenceKeep;
  if (keep !== undefined && !(keep > 0 && keep <= 1)) throw new BiudError(`${c.name}: sentenceKeep must be in (0, 1], got ${keep}`);
  if (c.train.batch < 2) throw new BiudError(`${c.name}: a contrastive batch needs at least 2 pairs, got ${c.train.batch}`);
}

/** Tokens per CT volume (patches + [CLS]). */
export function ctTokens(v: VisionConfig): number {
  return v.size.reduce((p, s, i) => p * (s / v.patch[i]), 1) + 1;
}
