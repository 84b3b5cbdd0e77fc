// Zero-shot evaluation of a BIUD model, shared by the trainer (during a run) and `biud eval`
// (from a checkpoint alone: the config and the vocabulary travel in its metadata).
import type { Engine } from '../../engine/engine.ts';
import { BiudError } from '../../engine/errors.ts';
import { readSafetensors } from '../../engine/safetensors.ts';
import type { Assets } from '../assets.ts';
import { Biud } from '../biud.ts';
import { validate, type BiudConfig } from '../config.ts';
import { ReportTokenizer } from '../tokenize.ts';
import { zeroShotScores, allPrompts, type ZeroShotResult } from '../zero-shot.ts';
import type { BiudData, CtItem } from './data.ts';
import { MODEL_FILE, loadIntoStore } from './checkpoint.ts';
import { encodeTexts, uploadText } from './batch.ts';

export interface EvalModel {
  engine: Engine;
  model: Biud;
  tokenizer: ReportTokenizer;
  cfg: BiudConfig;
}

/** CT embeddings of items (batched, no gradient), read back once per batch. */
export async function embedCts(m: EvalModel, data: BiudData, items: CtItem[]): Promise<Float32Array[]> {
  const e = m.engine;
  const B = m.cfg.train.batch;
  const rows: Float32Array[] = [];
  for (let i = 0; i < items.length; i += B) {
    const part = items.slice(i, i + B);
    const emb = e.scope(() => m.model.embedCt(data.renderCt(e, part, m.cfg)));
    const v = (await emb.data()) as Float32Array;
    emb.dispose();
    const d = emb.shape[1];
    for (let r = 0; r < part.length; r++) rows.push(v.slice(r * d, (r + 1) * d));
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
    const emb = e.scope(() => m.model.embedText(uploadText(e, host, part.length, T)));
    const v = (await emb.data()) as Float32Array;
    emb.dispose();
    const d = emb.shape[1];
    part.forEach((t, r) => out.set(t, v.slice(r * d, (r + 1) * d)));
  }
  return out;
}

/** Zero-shot AUC per finding on items (their labels are the ground truth). */
export async function zeroShot(m: EvalModel, data: BiudData, items: CtItem[]): Promise<ZeroShotResult> {
  const cts = await embedCts(m, data, items);
  const prompts = await embedTexts(m, allPrompts());
  const tau = Math.exp(-((await m.model.temperature.logitScale.data()) as Float32Array)[0]);
  return zeroShotScores(cts, items.map((it) => it.labels), prompts, tau);
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
