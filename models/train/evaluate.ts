// Zero-shot evaluation of a BIUD model, shared by the trainer (during a run) and `biud eval`
// (from a checkpoint alone: the config and the vocabulary travel in its metadata).
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { readSafetensors } from '../../engine/safetensors.ts';
import type { Assets } from '../assets.ts';
import { Biud } from '../biud.ts';
import { validate, type BiudConfig } from '../config.ts';
import { ReportTokenizer } from '../tokenize.ts';
import { zeroShotScores, allPrompts, type ZeroShotResult } from '../zero-shot.ts';
import { FINDINGS, type Finding } from '../text/findings.ts';
import type { BiudData, CtItem } from './data.ts';
import { MODEL_FILE, loadIntoStore } from './checkpoint.ts';
import { encodeTexts, uploadText } from './batch.ts';
import * as ops from '../../engine/ops/index.ts';
import { preprocessVolume, type HuVolume } from '../data/preprocess.ts';
import { readNifti, toRAS } from '../data/nifti.ts';

export interface EvalModel {
  engine: Engine;
  model: Biud;
  tokenizer: ReportTokenizer;
  cfg: BiudConfig;
}

/** The rows of a [n, d] embedding on the CPU (one readback); the tensor is disposed. */
async function takeRows(emb: Tensor): Promise<Float32Array[]> {
  const v = (await emb.data()) as Float32Array;
  emb.dispose();
  const [n, d] = emb.shape;
  return Array.from({ length: n }, (_, r) => v.slice(r * d, (r + 1) * d));
}

/** CT embeddings of items (batched, no gradient), read back once per batch. */
export async function embedCts(m: EvalModel, data: BiudData, items: CtItem[]): Promise<Float32Array[]> {
  const e = m.engine;
  const B = m.cfg.train.batch;
  const rows: Float32Array[] = [];
  for (let i = 0; i < items.length; i += B) {
    const part = items.slice(i, i + B);
    rows.push(...(await takeRows(e.scope(() => m.model.embedCt(data.renderCt(e, part, m.cfg))))));
  }
  return rows;
}

/** Text embeddings of arbitrary strings (prompts, reports). */
export async function embedTexts(m: EvalModel, texts: string[]): Promise<Map<string, Float32Array>> {
  const e = m.engine;
  const T = m.cfg.text.maxLen;
  const out = new Map<string, Float32Array>();
  for (let i = 0; i < texts.length; i += 32) {
    const part = texts.slice(i, i + 32);
    const host = encodeTexts(m.tokenizer, part, T, m.cfg.text.sentences ?? false);
    const rows = await takeRows(e.scope(() => m.model.embedText(uploadText(e, host, part.length, T))));
    part.forEach((t, r) => out.set(t, rows[r]));
  }
  return out;
}

/** Zero-shot AUC per finding on items (their labels are the ground truth). */
export async function zeroShot(m: EvalModel, data: BiudData, items: CtItem[]): Promise<ZeroShotResult> {
  return scoreAgainstPrompts(m, await embedCts(m, data, items), items.map((it) => it.labels));
}

/** Each finding's prompts scored against CT embeddings at the model's temperature; AUC against the labels. */
async function scoreAgainstPrompts(m: EvalModel, cts: Float32Array[], labels: Uint8Array[]): Promise<ZeroShotResult> {
  const prompts = await embedTexts(m, allPrompts());
  const tau = Math.exp(-((await m.model.temperature.logitScale.data()) as Float32Array)[0]);
  return zeroShotScores(cts, labels, prompts, tau);
}

/** A real CT and the finding labels of its report; `load` reads it (NIfTI after toRAS, in HU) when its turn comes. */
export interface LabelledVolume {
  name: string;
  labels: Uint8Array;
  load(): Promise<HuVolume>;
}

/** Volume files paired with their report rows (pairVolumesWithReports), as volumes to evaluate: `read` gives a file's bytes when its turn comes. */
export function labelledVolumes<R extends { labels: Uint8Array }>(pairs: { file: string; report: R }[], read: (file: string) => Promise<Uint8Array> | Uint8Array): (LabelledVolume & { report: R })[] {
  return pairs.map(({ file, report }) => ({ name: file, report, labels: report.labels, load: async () => toRAS(await readNifti(await read(file), { name: file })) }));
}

/** A volume left out of an evaluation, and why (unreadable, corrupt, impossible header). */
export interface SkippedVolume {
  name: string;
  reason: string;
}

/** Why volume `name` was left out: the error's message, without the name it may start with. */
export function skippedVolume(name: string, err: unknown): SkippedVolume {
  const msg = (err as Error).message;
  return { name, reason: msg.startsWith(`${name}: `) ? msg.slice(name.length + 2) : msg };
}

/**
 * CT embeddings of real volumes: each resampled around the body to the config's grid and
 * windowed, as the procedural cohort's volumes are (preprocessVolume), then batched through the
 * CT encoder. A CT-RATE volume is ~300 MB in float32, so each is read and reduced to the grid
 * before the next is read. A volume that cannot be read or resampled is skipped with its reason,
 * so one bad file in a folder of hundreds does not end the evaluation; each embedded volume's
 * warnings (not a chest, body cropped, …) come back beside its embedding.
 */
export async function embedVolumes<T extends Pick<LabelledVolume, 'name' | 'load'>>(m: EvalModel, items: T[]): Promise<{ embedded: { item: T; row: Float32Array; warnings: string[] }[]; skipped: SkippedVolume[] }> {
  const e = m.engine;
  const grid = { size: [...m.cfg.ct.size] as HuVolume['dims'], spacing: [...m.cfg.ct.spacing] as HuVolume['spacing'] };
  const embedded: { item: T; row: Float32Array; warnings: string[] }[] = [];
  const skipped: SkippedVolume[] = [];
  for (let i = 0; i < items.length; i += m.cfg.train.batch) {
    // One volume at a time is read, uploaded and resampled; only its small windowed copy is kept
    // for the batch, so the full-size voxels of a batch are never held at once.
    const part: { item: T; warnings: string[]; volume: Tensor }[] = [];
    for (const item of items.slice(i, i + m.cfg.train.batch)) {
      try {
        const p = preprocessVolume(e, await item.load(), grid, { batchDims: true });
        part.push({ item, warnings: p.warnings, volume: p.volume });
      } catch (err) {
        skipped.push(skippedVolume(item.name, err));
      }
    }
    if (!part.length) continue;
    let emb: Tensor;
    try {
      emb = e.scope(() => m.model.embedCt(ops.concat(part.map((p) => p.volume), 0)));
    } finally {
      for (const p of part) p.volume.dispose();
    }
    const rows = await takeRows(emb);
    part.forEach(({ item, warnings }, r) => embedded.push({ item, warnings, row: rows[r] }));
  }
  return { embedded, skipped };
}

/** Zero-shot AUC per finding on real volumes, their reports' labels the ground truth; those that could not be read are listed. */
export async function zeroShotVolumes<T extends LabelledVolume>(m: EvalModel, items: T[]): Promise<ZeroShotResult & { embedded: { item: T; warnings: string[] }[]; skipped: SkippedVolume[] }> {
  const { embedded, skipped } = await embedVolumes(m, items);
  if (!embedded.length) throw new BiudError(`none of the ${items.length} volumes could be read: ${skipped.slice(0, 3).map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  const r = await scoreAgainstPrompts(m, embedded.map((x) => x.row), embedded.map((x) => x.item.labels));
  return { ...r, embedded: embedded.map(({ item, warnings }) => ({ item, warnings })), skipped };
}

/** Zero-shot diagnosis of volumes without labels: p(finding) for each of the 18, per volume (the prompt pair's softmax at the model's temperature). */
export async function diagnoseVolumes<T extends Pick<LabelledVolume, 'name' | 'load'>>(m: EvalModel, items: T[]): Promise<{ diagnosed: { item: T; warnings: string[]; p: Record<Finding, number> }[]; skipped: SkippedVolume[] }> {
  const { embedded, skipped } = await embedVolumes(m, items);
  if (!embedded.length) return { diagnosed: [], skipped };
  const r = await scoreAgainstPrompts(m, embedded.map((x) => x.row), embedded.map(() => new Uint8Array(FINDINGS.length)));
  const diagnosed = embedded.map(({ item, warnings }, i) => ({ item, warnings, p: Object.fromEntries(FINDINGS.map((f) => [f, r.scores[f][i]])) as Record<Finding, number> }));
  return { diagnosed, skipped };
}

/** A model from checkpoint bytes alone (config and vocabulary from its metadata). */
export async function loadModel(engine: Engine, assets: Assets, bytes: Uint8Array, what = MODEL_FILE): Promise<EvalModel & { step: number }> {
  const meta = readSafetensors(bytes, what).metadata;
  if (!meta.config) throw new BiudError(`${what}: no "config" in its metadata; is it a BIUD checkpoint (checkpoint.safetensors from biud train)?`);
  const cfg = JSON.parse(meta.config) as BiudConfig;
  validate(cfg);
  const tokenizer = await ReportTokenizer.fromBertIds(assets, meta.vocab ? JSON.parse(meta.vocab) : null);
  const model = new Biud(engine, cfg, tokenizer.size, cfg.embedDim);
  loadIntoStore(model.store, bytes, what);
  return { engine, model, tokenizer, cfg, step: Number(meta.step ?? 0) };
}
