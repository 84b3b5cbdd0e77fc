// `biud train --config tiny --steps N --out DIR [--resume] [--no-roco] [--no-distill] [--no-efm]
// [--reports CSV]`: stage 1 (the X-ray expert), retrieval, stage 2 (BIUD) on WebGPU in Node, with
// a progress line, DIR/metrics.json, DIR/checkpoint.safetensors (+ optimiser and expert files),
// and the zero-shot AUC on the held-out cohort at the end.
import { BiudError } from '../engine/errors.ts';
import { getConfig } from '../models/config.ts';
import { helpText, parseArgs, readInput, optionalNumber, POOL_OPTION, poolOverride, type OptionSpec } from './args.ts';
import { runTrainJob } from './train-job.ts';

const spec: OptionSpec = {
  config: { type: 'string', default: 'tiny', help: 'model size: micro, tiny, small, base' },
  steps: { type: 'number', help: "BIUD steps (default: the config's)" },
  out: { type: 'string', help: 'folder for checkpoints and metrics.json' },
  resume: { type: 'boolean', default: false, help: "continue from DIR's checkpoint (same step, optimiser state, data order)" },
  roco: { type: 'boolean', default: true, help: 'RoCo false-negative correction (--no-roco: plain CLIP targets)' },
  distill: { type: 'boolean', default: true, help: 'pair-wise and relation distillation from the X-ray expert (--no-distill)' },
  efm: { type: 'boolean', default: true, help: 'entity-focused masked-LM (--no-efm)' },
  reports: { type: 'string', help: 'CT-RATE-format CSV of reports to train on (default: the shipped 800)' },
  volumes: { type: 'string', help: 'a folder of real NIfTI CTs named by the --reports rows (train_1.nii.gz or train_1_a_1.nii.gz for AccessionNo train_1): train on them, each paired with its own report, instead of procedural volumes; 20% of the rows are held out for the zero-shot evaluation' },
  expert: { type: 'string', help: 'X-ray expert weights (xray_expert.safetensors) to load instead of training one' },
  'expert-steps': { type: 'number', help: "X-ray expert CLIP steps (default: the config's)" },
  batch: { type: 'number', help: "batch size (default: the config's)" },
  lr: { type: 'number', help: "peak learning rate (default: the config's)" },
  pool: POOL_OPTION,
  'ct-width': { type: 'number', help: "CT encoder's token width (default: the config's; a multiple of its heads)" },
  'ct-depth': { type: 'number', help: "CT encoder's number of transformer blocks (default: the config's)" },
  stem: { type: 'string', help: "CT encoder's convolutional stem as CHANNELSxSIZE[+OVERLAP], e.g. 16x4 (16 filters of 4³ voxels), 16x4+1 (the same stride, filters of 6³ overlapping by a voxel a side), or none (default: the config's)" },
  'stem-max': { type: 'string', help: "CT encoder: each stem channel's maximum over every patch (patch, into its token) or the volume (global, into the pooled vector), or none (default: the config's)" },
  'pool-max': { type: 'boolean', help: "CT encoder: each channel's maximum over the patch tokens, mapped into the pooled vector (--no-pool-max: off; default: the config's)" },
  stats: { type: 'string', help: "CT encoder's cell statistics (mean, max, min, spread) as a cell size in voxels, e.g. 8; 8+blob1 adds those of the bright- and dark-ball maps at σ = 1 voxel; or none (default: the config's)" },
  standardise: { type: 'string', help: "CT encoder's inputs standardised per feature with the training volumes' statistics: voxels, stats, voxels,stats, or none (default: the config's)" },
  'text-len': { type: 'number', help: "tokens the report encoder reads of each report (its context; default: the config's). The expert keeps its own for retrieval" },
  'text-init': { type: 'string', help: "report encoder's start: scratch, or expert (the X-ray expert's text encoder; default: the config's)" },
  'text-sentences': { type: 'boolean', help: "report encoder reads each sentence on its own and averages them, as a one-sentence prompt is read (--no-text-sentences: the whole report as one sequence; default: the config's)" },
  'sentence-keep': { type: 'number', help: "probability of keeping each report sentence in a step's text (default: the config's)" },
  queue: { type: 'number', help: "L_RoCo's queue: each CT also contrasted with the reports of this many earlier pairs, and each report with their CTs; a multiple of the batch, 0 = off (default: the config's)" },
  'queue-from': { type: 'number', help: "step from which L_RoCo's queue takes part (it fills before; default: the config's, 0)" },
  'finding-loss': { type: 'number', help: "λ of L_find: a linear head on the CT embedding predicts the findings the labeler reads in the report's text; 0 = off (default: the config's)" },
  'finding-text': { type: 'number', help: "λ of L_find's text side: the same head predicts the same findings from each report embedding; needs --finding-loss (default: the config's)" },
  'sentence-contrast': { type: 'number', help: 'λ of L_sent: CT embeddings against each finding sentence of the batch, every CT whose report agrees a positive; 0 = off (default: the config\'s)' },
  'fn-graded': { type: 'number', help: "RoCo: pairs whose finding sets overlap in part get soft targets J^γ (J: Jaccard index), γ this value; 0 = the binary rule (default: the config's)" },
  'distill-from': { type: 'number', help: "step at which distillation starts (default: the config's; 0 = from the start)" },
  'distill-ramp': { type: 'number', help: "steps over which the distillation weights then rise to full (default: the config's)" },
  patients: { type: 'number', help: "training patients rendered once and reused (default: the config's); 0 renders a new patient for every sample" },
  stratify: { type: 'number', help: 'share of steps (0–1) whose batch is patients with about as many findings as a random first one (default 0)' },
  seed: { type: 'number', help: "seed of patients, pairing and batch order (default: the config's)" },
  eval: { type: 'boolean', default: true, help: 'zero-shot AUC on the held-out cohort at the end (--no-eval)' },
};
const USAGE = 'biud train --config tiny --steps N --out DIR [--resume] [--no-roco] [--no-distill] [--no-efm] [--reports CSV [--volumes DIR]]';

/** `--stem 16x4` → 16 filters of 4³ voxels; `16x4+1` → the same stride, filters of 6³ overlapping by 1 voxel a side; `--stem none` → no stem. */
function stemOverride(v: unknown): { stem?: { channels: number; size: [number, number, number]; overlap: number } | null } {
  if (v === undefined) return {};
  const m = /^(\d+)x(\d+)(?:\+(\d+))?$/.exec(String(v));
  if (String(v) === 'none') return { stem: null };
  if (!m) throw new BiudError(`--stem must be CHANNELSxSIZE[+OVERLAP] (e.g. 16x4, or 16x4+1) or none, got "${v}"`);
  const s = Number(m[2]);
  return { stem: { channels: Number(m[1]), size: [s, s, s], overlap: Number(m[3] ?? 0) } };
}

/** `--stem-max patch|global|none`. */
function stemMaxOverride(v: unknown): { stemMax?: 'patch' | 'global' | null } {
  if (v === undefined) return {};
  if (String(v) === 'none') return { stemMax: null };
  if (v !== 'patch' && v !== 'global') throw new BiudError(`--stem-max takes patch, global or none, got "${v}"`);
  return { stemMax: v };
}

/** `--stats 8` → statistics of 8³-voxel cells; `8+blob1` → and of the blob maps at σ = 1 voxel; `--stats none` → none. */
function statsOverride(v: unknown): { stats?: { cell: [number, number, number]; blob: number | null } | null } {
  if (v === undefined) return {};
  if (String(v) === 'none') return { stats: null };
  const m = /^(\d+)(?:\+blob(\d+(?:\.\d+)?))?$/.exec(String(v));
  if (!m) throw new BiudError(`--stats must be a cell size in voxels (e.g. 8), with +blobσ for the blob maps (e.g. 8+blob1), or none, got "${v}"`);
  const c = Number(m[1]);
  return { stats: { cell: [c, c, c], blob: m[2] ? Number(m[2]) : null } };
}

/** `--standardise voxels,stats` → both; `--standardise none` → neither. */
function standardiseOverride(v: unknown): { standardise?: { voxels: boolean; stats: boolean } | null } {
  if (v === undefined) return {};
  if (String(v) === 'none') return { standardise: null };
  const parts = String(v).split(',');
  const bad = parts.filter((p) => p !== 'voxels' && p !== 'stats');
  if (bad.length) throw new BiudError(`--standardise takes voxels, stats, voxels,stats or none, got "${v}"`);
  return { standardise: { voxels: parts.includes('voxels'), stats: parts.includes('stats') } };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, spec);
  if (a.help) {
    console.log(helpText(USAGE, spec));
    return 0;
  }
  const o = a.options;
  if (!o.out) throw new BiudError(`--out DIR is required\n${USAGE}`);
  if (o.volumes && !o.reports) throw new BiudError(`--volumes needs --reports CSV: the volumes' reports (AccessionNo, report_text, and hand labels if there are any)\n${USAGE}`);
  const num = (k: string) => optionalNumber(a, k);
  const steps = num('steps');
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) throw new BiudError(`--steps must be a positive integer, got ${steps}`);
  const cfg = getConfig(String(o.config), {
    seed: num('seed'),
    train: { steps, batch: num('batch'), lr: num('lr') },
    ct: { width: num('ct-width'), depth: num('ct-depth'), pool: poolOverride(a), poolMax: o['pool-max'] as boolean | undefined, ...stemOverride(o.stem), ...stemMaxOverride(o['stem-max']), ...statsOverride(o.stats), ...standardiseOverride(o.standardise) },
    text: { maxLen: num('text-len'), init: o['text-init'] as 'scratch' | 'expert' | undefined, sentences: o['text-sentences'] as boolean | undefined },
    expert: { steps: num('expert-steps') },
    data: { trainPatients: num('patients'), stratify: num('stratify') },
    loss: { roco: o.roco as boolean, sentenceKeep: num('sentence-keep'), distillFrom: num('distill-from'), distillRamp: num('distill-ramp'), fnGraded: num('fn-graded'), sentences: num('sentence-contrast'), findings: num('finding-loss'), findingsText: num('finding-text'), queue: num('queue'), queueFrom: num('queue-from') },
  });
  const r = await runTrainJob({
    cfg,
    switches: { roco: o.roco as boolean, distill: o.distill as boolean, efm: o.efm as boolean },
    out: String(o.out),
    resume: o.resume as boolean,
    reportsCsv: o.reports ? readInput(String(o.reports), '--reports') : undefined,
    reportsName: o.reports ? String(o.reports) : undefined,
    volumesDir: o.volumes ? String(o.volumes) : undefined,
    expertWeights: o.expert ? readInput(String(o.expert), '--expert') : undefined,
    evaluate: o.eval as boolean,
  });
  const auc = r.zeroShot ? `, zero-shot mean AUC ${r.zeroShot.meanAuc.toFixed(3)}` : '';
  console.log(`trained ${cfg.name} for ${cfg.train.steps} steps in ${(r.seconds / 60).toFixed(1)} min${auc}; ${r.metricsFile}`);
  return 0;
}
