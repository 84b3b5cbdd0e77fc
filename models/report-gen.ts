// Report generation (DESIGN.md §2): a small causal transformer decoder that reads the CT
// encoder's output tokens through cross-attention and writes the report one WordPiece at a time.
//
//   h₀ = E[y_<t] + P[t]
//   hₗ = hₗ₋₁ + SelfAttn_causal(LN(hₗ₋₁));  hₗ += CrossAttn(LN(hₗ), CT tokens);  hₗ += MLP(LN(hₗ))
//   p(y_t | y_<t, CT) = softmax(LN(h_L) · Eᵀ + b)       (output matrix tied to the embedding, as GPT-2)
//
// Sequences are the tokenizer's own: [CLS] is the start token and [SEP] the end token, so the
// input is [CLS] w₁ … wₙ and the target w₁ … wₙ [SEP] (padding ignored by the loss). Training is
// teacher forcing with the fused cross-entropy; the CT encoder is frozen (its tokens are computed
// without gradient), so the decoder has its own ParamStore and optimiser.
//
// Decoding runs one forward per step over the whole prefix (no KV cache: at these lengths the
// recompute is cheaper than the bookkeeping) and reads back only the last position's logits.
// Greedy takes the argmax; beam search keeps K hypotheses per volume on the host and ranks them
// by log p / len^α (α = 0: raw log-probability). Special tokens other than [SEP] are never emitted.
import type { Engine } from '../engine/engine.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ParamStore } from '../engine/params.ts';
import { BiudError } from '../engine/errors.ts';
import { AdamW } from '../engine/optim/adamw.ts';
import { warmupCosine } from '../engine/optim/schedule.ts';
import * as ops from '../engine/ops/index.ts';
import { CrossAttention, LayerNorm, Mlp, SelfAttention } from './nn.ts';
import type { VisionEncoder } from './vision-encoder.ts';
import type { ReportTokenizer } from './tokenize.ts';
import type { BiudConfig } from './config.ts';
import type { BiudData, CtItem } from './train/data.ts';
import { corpusBleu, corpusRougeL, labelF1, type ReportScores } from './text-metrics.ts';
import { reportDigest } from './text/digest.ts';

export interface DecoderConfig {
  width: number;
  depth: number;
  heads: number;
  /** Longest sequence, start token included. */
  maxLen: number;
  mlpRatio?: number;
}

/** Pre-LN decoder block: causal self-attention, cross-attention to the CT tokens, MLP. */
export class DecoderBlock {
  readonly norm1: LayerNorm;
  readonly selfAttn: SelfAttention;
  readonly norm2: LayerNorm;
  readonly crossAttn: CrossAttention;
  readonly norm3: LayerNorm;
  readonly mlp: Mlp;
  constructor(store: ParamStore, name: string, dim: number, memoryDim: number, heads: number, mlpRatio: number) {
    this.norm1 = new LayerNorm(store, `${name}.norm1`, dim);
    this.selfAttn = new SelfAttention(store, `${name}.attn`, dim, heads);
    this.norm2 = new LayerNorm(store, `${name}.norm2`, dim);
    this.crossAttn = new CrossAttention(store, `${name}.cross_attn`, dim, memoryDim, heads);
    this.norm3 = new LayerNorm(store, `${name}.norm3`, dim);
    this.mlp = new Mlp(store, `${name}.mlp`, dim, Math.round(dim * mlpRatio));
  }
  forward(x: Tensor, memory: Tensor): Tensor {
    let h = ops.add(x, this.selfAttn.forward(this.norm1.forward(x), { causal: true }));
    h = ops.add(h, this.crossAttn.forward(this.norm2.forward(h), memory));
    return ops.add(h, this.mlp.forward(this.norm3.forward(h)));
  }
}

export class ReportDecoder {
  readonly embedTokens: Tensor;
  readonly embedPositions: Tensor;
  readonly blocks: DecoderBlock[];
  readonly norm: LayerNorm;
  readonly lmBias: Tensor;

  constructor(store: ParamStore, readonly name: string, readonly cfg: DecoderConfig, readonly vocabSize: number, readonly memoryDim: number) {
    const W = cfg.width;
    if (W % cfg.heads) throw new BiudError(`report decoder: width ${W} is not a multiple of its ${cfg.heads} heads`);
    this.embedTokens = store.param(`${name}.embed_tokens.weight`, [vocabSize, W], { normal: 0.02 }, { decay: false });
    this.embedPositions = store.param(`${name}.embed_positions.weight`, [cfg.maxLen, W], { normal: 0.02 }, { decay: false });
    this.blocks = Array.from({ length: cfg.depth }, (_, i) => new DecoderBlock(store, `${name}.blocks.${i}`, W, memoryDim, cfg.heads, cfg.mlpRatio ?? 4));
    this.norm = new LayerNorm(store, `${name}.norm`, W);
    this.lmBias = store.param(`${name}.lm_head.bias`, [vocabSize], 'zeros', { decay: false });
  }

  /** ids int32 [B, T] (T ≤ maxLen), memory [B, Tm, memoryDim] → hidden [B, T, width]. */
  hidden(ids: Tensor, memory: Tensor): Tensor {
    const T = ids.shape[1];
    if (T > this.cfg.maxLen) throw new BiudError(`report decoder: ${T} tokens, over its maxLen ${this.cfg.maxLen}`);
    if (memory.shape[0] !== ids.shape[0]) throw new BiudError(`report decoder: ${ids.shape[0]} sequences but memory for ${memory.shape[0]}`);
    const pos = T === this.cfg.maxLen ? this.embedPositions : ops.slice(this.embedPositions, 0, 0, T);
    let h = ops.add(ops.embedding(this.embedTokens, ids), pos);
    for (const b of this.blocks) h = b.forward(h, memory);
    return this.norm.forward(h);
  }

  /** rows [n, width] → logits [n, vocab]. */
  logits(rows: Tensor): Tensor {
    return ops.add(ops.matmul(rows, this.embedTokens, { transB: true }), this.lmBias);
  }

  /** Teacher-forcing loss: mean cross-entropy of labels [B, T] (−100 = ignore) given inputs [B, T]. */
  loss(ids: Tensor, labels: Tensor, memory: Tensor): Tensor {
    const h = this.hidden(ids, memory);
    return ops.crossEntropy(this.logits(h.reshape([-1, this.cfg.width])), labels.reshape([-1]), -100);
  }

  /** Logits at the last position of each sequence: [B, vocab]. */
  lastLogits(ids: Tensor, memory: Tensor): Tensor {
    const [B, T] = ids.shape;
    const h = this.hidden(ids, memory);
    return this.logits(ops.slice(h, 1, T - 1, T).reshape([B, this.cfg.width]));
  }
}

/** Inputs and targets for teacher forcing: inputs = ids[0..T−1), labels = ids[1..T) with padding → −100. */
export function teacherForcing(tok: ReportTokenizer, texts: readonly string[], maxLen: number): { ids: Int32Array; labels: Int32Array; T: number } {
  const T = maxLen - 1;
  const ids = new Int32Array(texts.length * T);
  const labels = new Int32Array(texts.length * T);
  texts.forEach((text, b) => {
    const enc = tok.encode(text, maxLen);
    for (let t = 0; t < T; t++) {
      ids[b * T + t] = enc.ids[t];
      labels[b * T + t] = enc.mask[t + 1] ? enc.ids[t + 1] : -100;
    }
  });
  return { ids, labels, T };
}

/** Model ids of a reference report as the decoder should produce them (no [CLS], no [SEP]). */
export function targetIds(tok: ReportTokenizer, text: string, maxLen: number): number[] {
  const enc = tok.encode(text, maxLen);
  return Array.from(enc.ids.slice(1, enc.length)).filter((id) => id !== tok.sepId);
}

export interface GenerateOptions {
  /** Most tokens to generate, [SEP] included (default: the decoder's maxLen − 1). */
  maxTokens?: number;
}

export interface BeamOptions extends GenerateOptions {
  beam: number;
  /** α in log p / len^α (default 0.6; 0 ranks by raw log-probability). */
  lengthPenalty?: number;
}

export interface Generated {
  /** Per volume: generated model ids, without the start token and without [SEP]. */
  ids: number[][];
  /** Per volume: Σ log p of the tokens generated ([SEP] included). */
  logProb: number[];
}

export interface GeneratorOptions {
  /** Parameter-name prefix (default `report_decoder`). */
  name?: string;
  seed?: number;
}

/**
 * A decoder, its parameters and optimiser, and decoding. The CT side is passed in as memory
 * tokens [B, Tm, memoryDim] (see `ctMemory`), so any frozen encoder can feed it.
 */
export class ReportGenerator {
  readonly store: ParamStore;
  readonly decoder: ReportDecoder;
  opt: AdamW | null = null;
  /** Ids the decoder may not emit: every special token but [SEP]. */
  readonly banned: number[];

  constructor(readonly engine: Engine, readonly cfg: DecoderConfig, readonly tokenizer: ReportTokenizer, memoryDim: number, opts: GeneratorOptions = {}) {
    this.store = new ParamStore(engine, opts.seed ?? 7);
    this.decoder = new ReportDecoder(this.store, opts.name ?? 'report_decoder', cfg, tokenizer.size, memoryDim);
    this.store.finalize();
    this.banned = tokenizer.specialIds.filter((id) => id !== tokenizer.sepId);
  }

  /** For a BIUD config: the decoder section, memory from its CT encoder's width. */
  static forConfig(engine: Engine, cfg: BiudConfig, tokenizer: ReportTokenizer, opts: GeneratorOptions = {}): ReportGenerator {
    return new ReportGenerator(engine, { ...cfg.decoder, mlpRatio: cfg.text.mlpRatio }, tokenizer, cfg.ct.width, opts);
  }

  /**
   * Record one teacher-forcing step (forward, backward, AdamW) on `memory` and `texts`, and
   * submit it. Returns the loss on the GPU (read it when convenient; the caller disposes it).
   */
  trainStep(memory: Tensor, texts: readonly string[], lr: number, optOpts: { weightDecay?: number; maxGradNorm?: number } = {}): Tensor {
    const e = this.engine;
    this.opt ??= new AdamW(this.store, { lr, weightDecay: optOpts.weightDecay ?? 0.01, maxGradNorm: optOpts.maxGradNorm ?? 1 });
    const tf = teacherForcing(this.tokenizer, texts, this.cfg.maxLen);
    const loss = e.scope(() => {
      this.store.zeroGrad();
      const ids = e.tensor(tf.ids, [texts.length, tf.T], 'int32');
      const labels = e.tensor(tf.labels, [texts.length, tf.T], 'int32');
      const l = this.decoder.loss(ids, labels, memory);
      l.backward();
      this.opt!.update(lr);
      return l;
    });
    e.flush();
    return loss;
  }

  /** Mean teacher-forcing loss of `texts` (no gradient), read back. */
  async evalLoss(memory: Tensor, texts: readonly string[]): Promise<number> {
    const e = this.engine;
    const tf = teacherForcing(this.tokenizer, texts, this.cfg.maxLen);
    const l = e.noGrad(() => e.scope(() => this.decoder.loss(e.tensor(tf.ids, [texts.length, tf.T], 'int32'), e.tensor(tf.labels, [texts.length, tf.T], 'int32'), memory)));
    const v = await l.item();
    l.dispose();
    return v;
  }

  /** Last-position logits of every prefix (one forward), read back: [rows][vocab] flat. */
  private async stepLogits(prefixes: number[][], memory: Tensor): Promise<Float32Array> {
    const e = this.engine;
    const B = prefixes.length;
    const T = prefixes[0].length;
    const ids = new Int32Array(B * T);
    prefixes.forEach((p, b) => ids.set(p, b * T));
    const logits = e.noGrad(() => e.scope(() => this.decoder.lastLogits(e.tensor(ids, [B, T], 'int32'), memory)));
    const v = (await logits.data()) as Float32Array;
    logits.dispose();
    return v;
  }

  private maxTokens(o: GenerateOptions): number {
    const n = o.maxTokens ?? this.cfg.maxLen - 1;
    if (!(n >= 1 && n <= this.cfg.maxLen - 1)) throw new BiudError(`generate: maxTokens ${n} must be in [1, ${this.cfg.maxLen - 1}] (the decoder's maxLen − 1)`);
    return n;
  }

  /** Greedy decoding of every volume of `memory` [B, Tm, D] at once. */
  async greedy(memory: Tensor, opts: GenerateOptions = {}): Promise<Generated> {
    const V = this.decoder.vocabSize;
    const B = memory.shape[0];
    const steps = this.maxTokens(opts);
    const { clsId, sepId, padId } = this.tokenizer;
    const prefixes = Array.from({ length: B }, () => [clsId]);
    const out: number[][] = Array.from({ length: B }, () => []);
    const logProb = new Array(B).fill(0);
    const done = new Array(B).fill(false);
    for (let s = 0; s < steps && done.includes(false); s++) {
      const logits = await this.stepLogits(prefixes, memory);
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          prefixes[b].push(padId); // keeps the batch rectangular; causal attention never looks ahead
          continue;
        }
        const row = logits.subarray(b * V, (b + 1) * V);
        const id = argmax(row, this.banned);
        logProb[b] += logSoftmaxAt(row, id, this.banned);
        prefixes[b].push(id);
        if (id === sepId) done[b] = true;
        else out[b].push(id);
      }
    }
    return { ids: out, logProb };
  }

  /**
   * Beam search with `beam` hypotheses per volume, all volumes' beams in one batch per step.
   * With beam = 1 it is greedy decoding.
   */
  async beamSearch(memory: Tensor, opts: BeamOptions): Promise<Generated> {
    const e = this.engine;
    const K = opts.beam;
    if (!Number.isInteger(K) || K < 1) throw new BiudError(`beam search: beam must be a positive integer, got ${K}`);
    const alpha = opts.lengthPenalty ?? 0.6;
    const V = this.decoder.vocabSize;
    const B = memory.shape[0];
    const steps = this.maxTokens(opts);
    const { clsId, sepId, padId } = this.tokenizer;
    const norm = (h: Hyp) => (alpha === 0 ? h.logProb : h.logProb / Math.max(1, h.tokens.length) ** alpha);
    // Each volume starts with one live hypothesis; the other K − 1 slots are dead (−∞) until filled.
    let beams: Hyp[][] = Array.from({ length: B }, () => Array.from({ length: K }, (_, k) => ({ tokens: [], logProb: k ? -Infinity : 0, done: k > 0 })));
    // The memory of volume b repeated for its K beams: rows b·K … b·K + K − 1.
    const [, Tm, D] = memory.shape;
    const rep = K === 1 ? memory : e.keep(e.noGrad(() => e.scope(() => {
      const rows = e.tensor(Int32Array.from({ length: B * K }, (_, r) => Math.floor(r / K)), [B * K], 'int32');
      return ops.embedding(memory.reshape([B, Tm * D]), rows).reshape([B * K, Tm, D]);
    })));
    try {
      for (let s = 0; s < steps && beams.some((bs) => bs.some((h) => !h.done)); s++) {
        const prefixes = beams.flatMap((bs) => bs.map((h) => [clsId, ...h.tokens, ...new Array(s - h.tokens.length).fill(padId)]));
        const logits = await this.stepLogits(prefixes, rep);
        beams = beams.map((bs, b) => {
          const cands: Hyp[] = [];
          bs.forEach((h, k) => {
            if (h.done) {
              cands.push(h);
              return;
            }
            const row = logits.subarray((b * K + k) * V, (b * K + k + 1) * V);
            const lse = logSumExp(row, this.banned);
            for (const id of topK(row, K, this.banned)) {
              const lp = h.logProb + row[id] - lse;
              cands.push(id === sepId ? { tokens: [...h.tokens, id], logProb: lp, done: true } : { tokens: [...h.tokens, id], logProb: lp, done: false });
            }
          });
          // Stable sort: ties keep beam order, then token order (lowest id first), as greedy's argmax.
          return cands.map((h, i) => ({ h, i, score: norm(h) })).sort((x, y) => y.score - x.score || x.i - y.i).slice(0, K).map((c) => c.h);
        });
      }
    } finally {
      if (rep !== memory) rep.dispose();
    }
    const best = beams.map((bs) => bs.reduce((a, h) => (norm(h) > norm(a) ? h : a), bs[0]));
    return { ids: best.map((h) => h.tokens.filter((id) => id !== sepId)), logProb: best.map((h) => h.logProb) };
  }

  /**
   * What the decoder is taught to write for a report. CT-RATE reports run to ~300 tokens, 3× a
   * small decoder's window, and truncation keeps the trachea and mediastinum sentences and drops
   * the lungs; the digest keeps whole sentences, those about findings first (models/text/digest.ts).
   */
  targetText(report: string, digest = true): string {
    if (!digest) return report;
    return reportDigest(report, this.cfg.maxLen - 2, (t) => this.tokenizer.tokenCount(t));
  }

  /** Greedy (beam ≤ 1) or beam search, decoded to text. */
  async generate(memory: Tensor, opts: Partial<BeamOptions> = {}): Promise<{ texts: string[]; ids: number[][]; logProb: number[] }> {
    const g = (opts.beam ?? 1) <= 1 ? await this.greedy(memory, opts) : await this.beamSearch(memory, { ...opts, beam: opts.beam! });
    return { texts: g.ids.map((ids) => this.tokenizer.decode(ids)), ...g };
  }

  dispose(): void {
    this.engine.flush(); // recorded work may still use the slabs (a zeroGrad, an update)
    this.opt?.destroy();
    this.opt = null;
    this.store.destroy();
  }
}

interface Hyp {
  tokens: number[];
  logProb: number;
  done: boolean;
}

function argmax(row: ArrayLike<number>, banned: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < row.length; i++) {
    if (banned.includes(i)) continue;
    if (best < 0 || row[i] > row[best]) best = i;
  }
  return best;
}

/** The k largest entries' indices, largest first, ties to the lower index. */
function topK(row: ArrayLike<number>, k: number, banned: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (banned.includes(i)) continue;
    let j = out.length;
    while (j > 0 && row[i] > row[out[j - 1]]) j--;
    if (j < k) {
      out.splice(j, 0, i);
      if (out.length > k) out.pop();
    }
  }
  return out;
}

function logSumExp(row: ArrayLike<number>, banned: readonly number[]): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (!banned.includes(i)) m = Math.max(m, row[i]);
  let s = 0;
  for (let i = 0; i < row.length; i++) if (!banned.includes(i)) s += Math.exp(row[i] - m);
  return m + Math.log(s);
}

function logSoftmaxAt(row: ArrayLike<number>, id: number, banned: readonly number[]): number {
  return row[id] - logSumExp(row, banned);
}

/** The frozen CT encoder's output tokens [B, 1 + patches, width] (no gradient). */
export function ctMemory(encoder: VisionEncoder, volumes: Tensor): Tensor {
  return volumes.engine.noGrad(() => encoder.forward(volumes).tokens);
}

export interface ReportTrainOptions {
  engine: Engine;
  encoder: VisionEncoder;
  generator: ReportGenerator;
  data: BiudData;
  cfg: BiudConfig;
  steps: number;
  batch?: number;
  lr?: number;
  /** Read the loss back every this many steps (a sync point). */
  logEvery?: number;
  /** Teach the report digest rather than its truncated start (default true; see targetText). */
  digest?: boolean;
  onProgress?: (p: { step: number; steps: number; loss: number; stepMs: number }) => void;
}

/** Train the decoder on the data's training CT→report pairs, the CT encoder frozen. Returns the logged losses. */
export async function trainReportGenerator(o: ReportTrainOptions): Promise<{ step: number; loss: number }[]> {
  const e = o.engine;
  const B = o.batch ?? o.cfg.train.batch;
  const lr = o.lr ?? o.cfg.train.lr;
  const every = o.logEvery ?? o.cfg.train.logEvery;
  const log: { step: number; loss: number }[] = [];
  let pending: Tensor[] = [];
  let t0 = performance.now();
  for (let s = 0; s < o.steps; s++) {
    const items = o.data.trainBatch(s, B);
    const texts = items.map((it) => o.generator.targetText(o.data.ctReports[it.report].text, o.digest ?? true));
    const memory = e.scope(() => ctMemory(o.encoder, o.data.renderCt(e, items, o.cfg)));
    const rate = warmupCosine(s, { lr, minLr: lr * 0.1, warmup: Math.ceil(o.steps * 0.05), total: o.steps });
    pending.push(o.generator.trainStep(memory, texts, rate));
    memory.dispose();
    if (pending.length === every || s === o.steps - 1) {
      const values = await Promise.all(pending.map((l) => l.item()));
      pending.forEach((l) => l.dispose());
      pending = [];
      const loss = values.reduce((a, b) => a + b, 0) / values.length;
      if (!Number.isFinite(loss)) throw new BiudError(`report decoder: loss became ${loss} by step ${s + 1}`);
      const now = performance.now();
      log.push({ step: s + 1, loss });
      o.onProgress?.({ step: s + 1, steps: o.steps, loss, stepMs: (now - t0) / values.length });
      t0 = now;
    }
  }
  return log;
}

export interface ReportEvaluation extends ReportScores {
  samples: { generated: string; reference: string }[];
}

/**
 * Generate reports for `items` (references from `reports`) and score them. BLEU-4 and ROUGE-L
 * compare against the reference as the decoder was taught to write it (its digest, or its first
 * maxLen − 1 tokens with `digest: false`), decoded by the same tokenizer (lower-cased WordPiece
 * text), so a report longer than the decoder's window is not a brevity penalty the model could
 * never avoid. Label F1 compares the labeler's findings of the generated text with those of the
 * whole reference report.
 */
export async function evaluateReports(
  engine: Engine,
  encoder: VisionEncoder,
  generator: ReportGenerator,
  data: BiudData,
  cfg: BiudConfig,
  items: CtItem[],
  reports = data.heldoutReports,
  opts: Partial<BeamOptions> & { batch?: number; digest?: boolean } = {},
): Promise<ReportEvaluation> {
  const B = opts.batch ?? cfg.train.batch;
  const generated: string[] = [];
  for (let i = 0; i < items.length; i += B) {
    const part = items.slice(i, i + B);
    const memory = engine.scope(() => ctMemory(encoder, data.renderCt(engine, part, cfg)));
    try {
      generated.push(...(await generator.generate(memory, opts)).texts);
    } finally {
      memory.dispose();
    }
  }
  const tok = generator.tokenizer;
  const full = items.map((it) => reports[it.report].text);
  const window = full.map((t) => tok.decode(targetIds(tok, generator.targetText(t, opts.digest ?? true), generator.cfg.maxLen)));
  return {
    bleu4: corpusBleu(generated, window).bleu,
    rougeL: corpusRougeL(generated, window),
    labelF1: labelF1(generated, full),
    reports: generated.length,
    samples: generated.map((g, i) => ({ generated: g, reference: window[i] })),
  };
}
