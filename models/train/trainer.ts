// Training BIUD end to end, the same in a browser tab and in Node:
//   1. the X-ray expert: CLIP on the X-ray pool (or loaded), then frozen;
//   2. language-guided retrieval: expert text embeddings of CT and X-ray reports → each CT
//      report's nearest X-ray; the expert's features of the pool X-rays are the targets;
//   3. BIUD steps: one recorded forward/backward/update per step and one submit; losses are
//      copied into a GPU ring and read back every `logEvery` steps (a NaN stops the run there,
//      naming the step and the term, before any checkpoint could take the bad weights).
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { readSafetensors, toFloat32, type SafeTensor } from '../../engine/safetensors.ts';
import { AdamW } from '../../engine/optim/adamw.ts';
import { warmupCosine } from '../../engine/optim/schedule.ts';
import type { Assets } from '../assets.ts';
import type { BiudConfig } from '../config.ts';
import { ReportTokenizer } from '../tokenize.ts';
import { reportDigest } from '../text/digest.ts';
import { splitSentences } from '../text/sentences.ts';
import { XrayExpert } from '../xray-expert.ts';
import { Biud, LOSS_TERMS, type LossSwitches, type StepInputs } from '../biud.ts';
import { buildRetrieval, centerRows, type RetrievalIndex } from '../retrieval.ts';
import type { ZeroShotResult } from '../zero-shot.ts';
import { embedCts, embedTexts, zeroShot } from './evaluate.ts';
import type { BiudData, CtItem, Report } from './data.ts';
import { hostBatch, uploadBatch, encodeTexts, uploadText, queueTargets, type Correction } from './batch.ts';
import {
  type CheckpointSink, MODEL_FILE, OPTIMIZER_FILE, EXPERT_FILE,
  storeToSafetensors, loadIntoStore, optimizerToSafetensors, optimizerFromSafetensors, type StateTensors,
} from './checkpoint.ts';

export type LossName = (typeof LOSS_TERMS)[number];

export interface Progress {
  phase: 'expert' | 'retrieval' | 'biud' | 'eval';
  step: number;
  steps: number;
  /** Mean of each term over the steps since the last report (null: term off). */
  losses: Partial<Record<LossName, number>>;
  /** Wall time per step since the last report, GPU included (the report is a sync point). */
  stepMs: number;
  lr: number;
  memory: ReturnType<Engine['memory']>;
}

export interface TrainerOptions {
  engine: Engine;
  assets: Assets;
  data: BiudData;
  config: BiudConfig;
  switches: LossSwitches;
  sink?: CheckpointSink;
  /** Continue from the sink's checkpoint (same step, optimiser state, data order). */
  resume?: boolean;
  /** An expert to load (safetensors) instead of training one. */
  expertWeights?: Uint8Array;
  onProgress?: (p: Progress) => void;
  onCorrections?: (c: Correction[]) => void;
  log?: (line: string) => void;
}

export class NonFiniteLossError extends BiudError {
  constructor(readonly step: number, readonly term: string, readonly value: number) {
    super(`loss term "${term}" became ${value} at step ${step}; training stopped (the last checkpoint, if any, holds finite weights)`);
  }
}

const TERMS: LossName[] = [...LOSS_TERMS];
/** How many training volumes fix the CT encoder's standardisation (config `ct.standardise`). */
const STANDARDISE_VOLUMES = 960;

export class Trainer {
  readonly engine: Engine;
  readonly cfg: BiudConfig;
  tokenizer!: ReportTokenizer;
  expert!: XrayExpert;
  model!: Biud;
  opt!: AdamW;
  retrieval!: RetrievalIndex;
  /** What the report encoder reads of each training CT report: a digest of its finding sentences. */
  ctInputs!: string[];
  /** What the X-ray expert's text encoder reads of each CT report for retrieval (its own context's digest). */
  retrievalInputs!: string[];
  /** Expert text embeddings of the training CT reports (rows) and their width. */
  reportEmbeddings!: Float32Array;
  expertDim = 0;
  /** Expert image features of the X-ray pool [Nx, dim], the distillation targets. */
  expertFeatures: Tensor | null = null;
  step = 0;
  /** Recent RoCo corrections (bounded), for inspection. */
  readonly corrections: Correction[] = [];
  readonly history: Progress[] = [];
  private ring!: Tensor;
  private ringFilled = 0;
  /**
   * L_RoCo's queue (config `loss.queue`): the last Q/B batches' normalised CT and report rows on
   * the GPU, and on the CPU each slot's report (−1 while empty), written a batch at a time in turn.
   * Saved with the optimiser's moments, so a resumed run continues with the same queue.
   */
  private queue: { ct: Tensor; text: Tensor; reports: Int32Array; next: number } | null = null;
  private lastLog = { step: 0, time: 0 };

  private constructor(readonly opts: TrainerOptions) {
    this.engine = opts.engine;
    this.cfg = opts.config;
  }

  static async create(opts: TrainerOptions): Promise<Trainer> {
    const t = new Trainer(opts);
    await t.prepare();
    return t;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private async prepare(): Promise<void> {
    const { data, assets, sink } = this.opts;
    const e = this.engine;
    const corpus = [...data.ctReports, ...data.heldoutReports, ...data.xrayReports].map((r) => r.text);
    const saved = this.opts.resume && sink ? await sink.read(MODEL_FILE) : null;
    if (this.opts.resume && !saved) throw new BiudError(`--resume: no ${MODEL_FILE} in ${sink?.where ?? 'the checkpoint folder'}`);
    if (saved) {
      // The vocabulary is part of the checkpoint, so ids keep their meaning.
      const meta = readSafetensors(saved, MODEL_FILE).metadata;
      this.tokenizer = await ReportTokenizer.fromBertIds(assets, meta.vocab ? JSON.parse(meta.vocab) : null);
    } else {
      // A loaded expert's token ids mean what they meant when it was trained: its vocabulary
      // (saved with it) is the run's. Files without one predate this and must match the corpus.
      const expertMeta = this.opts.expertWeights ? readSafetensors(this.opts.expertWeights, EXPERT_FILE).metadata : {};
      this.tokenizer = expertMeta.vocab
        ? await ReportTokenizer.fromBertIds(assets, JSON.parse(expertMeta.vocab))
        : await ReportTokenizer.load(assets, this.cfg.text.vocab, corpus);
    }
    // Reports are ~3× longer than the encoders' context: keep their finding sentences, whole, as
    // many as each encoder's context holds (the report encoder's and the expert's, which embeds
    // them for retrieval, may differ). In the sentence layout every sentence brings its own [CLS]
    // and [SEP].
    const tokens = (t: string) => this.tokenizer.tokenCount(t);
    const digest = (budget: number) => this.cfg.text.sentences
      ? data.ctReports.map((r) => reportDigest(r.text, budget, (t) => splitSentences(t).reduce((n, sp) => n + tokens(t.slice(sp.start, sp.end)) + 2, 0)))
      : data.ctReports.map((r) => reportDigest(r.text, budget - 2, tokens));
    this.ctInputs = digest(this.cfg.text.maxLen);
    this.retrievalInputs = this.cfg.expert.text.maxLen === this.cfg.text.maxLen ? this.ctInputs : digest(this.cfg.expert.text.maxLen);
    this.expert = new XrayExpert(e, this.cfg, this.tokenizer.size);
    const expertBytes = this.opts.expertWeights ?? (sink ? await sink.read(EXPERT_FILE) : null);
    if (expertBytes && (this.opts.expertWeights || this.opts.resume)) {
      loadIntoStore(this.expert.store, expertBytes, EXPERT_FILE);
      this.log(`X-ray expert loaded (${this.expert.store.count.toLocaleString()} parameters)`);
    } else {
      await this.trainExpert();
      if (sink) await sink.write(EXPERT_FILE, await storeToSafetensors(this.expert.store, { format: 'pt', config: this.cfg.name, vocab: JSON.stringify(this.tokenizer.bertIds()) }));
    }
    await this.buildRetrieval();
    this.model = new Biud(e, this.cfg, this.tokenizer.size, this.expertDim);
    const t = this.cfg.train;
    this.opt = new AdamW(this.model.store, { lr: t.lr, weightDecay: t.weightDecay, maxGradNorm: t.maxGradNorm });
    this.ring = e.keep(e.zeros([t.logEvery * TERMS.length]));
    const Q = this.cfg.loss.queue ?? 0;
    if (Q) this.queue = { ct: e.keep(e.zeros([Q, this.cfg.embedDim])), text: e.keep(e.zeros([Q, this.cfg.embedDim])), reports: new Int32Array(Q).fill(-1), next: 0 };
    if (saved) await this.restore(saved);
    else {
      if (this.cfg.text.init === 'expert') this.textFromExpert();
      this.fitStandardisation();
    }
  }

  /**
   * Config `ct.standardise`: the CT encoder's per-feature means and spreads, from the volumes
   * of the first steps' batches (what training will see), fixed before the first step.
   */
  private fitStandardisation(): void {
    const B = this.cfg.train.batch, rounds = Math.ceil(STANDARDISE_VOLUMES / B);
    const n = this.model.ct.fitStandardisation((r) => this.opts.data.renderCt(this.engine, this.opts.data.trainBatch(r, B), this.cfg), rounds);
    if (n) this.log(`CT encoder inputs standardised with the statistics of ${n} training volumes`);
  }

  /**
   * Start the report encoder from the frozen expert's text encoder (config `text.init: 'expert'`):
   * every `xray_expert.text_encoder.X` is copied to `text_encoder.X`; the MLM head, which the
   * expert does not have, keeps its initialisation (its decoder is the tied token embedding).
   */
  private textFromExpert(): void {
    const from = 'xray_expert.text_encoder.', to = 'text_encoder.';
    let n = 0;
    for (const name of this.expert.store.names) {
      if (!name.startsWith(from)) continue;
      const target = to + name.slice(from.length);
      const src = this.expert.store.get(name), dst = this.model.store.get(target);
      if (dst.shape.join() !== src.shape.join()) throw new BiudError(`${target}: shape [${dst.shape}] in the model, [${src.shape}] in the X-ray expert's ${name}`);
      this.engine.copy(src, dst);
      n++;
    }
    this.log(`report encoder starts from the X-ray expert's text encoder (${n} tensors)`);
  }

  // ------------------------------------------------------------------ stage 1

  private lr(step: number, c: { lr: number; minLr?: number; warmup?: number }, total: number): number {
    return warmupCosine(step, { lr: c.lr, minLr: c.minLr ?? c.lr * 0.1, warmup: c.warmup ?? Math.ceil(total * 0.05), total });
  }

  async trainExpert(): Promise<void> {
    const e = this.engine;
    const { data } = this.opts;
    const x = this.cfg.expert;
    const opt = new AdamW(this.expert.store, { lr: x.lr, weightDecay: 0.05, maxGradNorm: 1 });
    const pool = data.xrayPool;
    const losses: Tensor[] = [];
    let t0 = performance.now();
    for (let s = 0; s < x.steps; s++) {
      const items = Array.from({ length: x.batch }, (_, i) => pool[(s * x.batch + i) % pool.length]);
      const loss = e.scope(() => {
        this.expert.store.zeroGrad();
        const images = data.renderXray(e, items, this.cfg);
        const T = x.text.maxLen;
        const texts = encodeTexts(this.tokenizer, items.map((it) => data.xrayReports[it.report].text), T, false);
        const l = this.expert.clipLoss(images, uploadText(e, texts, items.length, T));
        l.backward();
        opt.update(this.lr(s, x, x.steps));
        return l;
      });
      losses.push(loss);
      e.flush();
      if (losses.length === this.cfg.train.logEvery || s === x.steps - 1) {
        const values = await Promise.all(losses.map((l) => l.item()));
        losses.forEach((l) => l.dispose());
        losses.length = 0;
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        if (!Number.isFinite(mean)) throw new NonFiniteLossError(s, 'expert CLIP', mean);
        const now = performance.now();
        const p: Progress = { phase: 'expert', step: s + 1, steps: x.steps, losses: { total: mean }, stepMs: (now - t0) / values.length, lr: this.lr(s, x, x.steps), memory: e.memory() };
        t0 = now;
        this.opts.onProgress?.(p);
      }
    }
    opt.destroy();
  }

  // ------------------------------------------------------------------ stage 2: retrieval

  /** Expert embeddings of reports, in batches (preprocessing: reads back once per batch). */
  private async embedReports(reports: Report[]): Promise<Float32Array> {
    const e = this.engine;
    const T = this.cfg.expert.text.maxLen;
    const B = 32;
    const chunks: Float32Array[] = [];
    for (let i = 0; i < reports.length; i += B) {
      const part = reports.slice(i, i + B).map((r) => r.text);
      const emb = e.scope(() => this.expert.encodeText(uploadText(e, encodeTexts(this.tokenizer, part, T, false), part.length, T)));
      chunks.push((await emb.data()) as Float32Array);
      emb.dispose();
    }
    return concatF(chunks);
  }

  async buildRetrieval(): Promise<void> {
    const e = this.engine;
    const { data } = this.opts;
    const dim = this.cfg.embedDim;
    this.expertDim = dim;
    this.reportEmbeddings = await this.embedReports(data.ctReports.map((r, i) => ({ ...r, text: this.retrievalInputs[i] })));
    const xrayText = await this.embedReports(data.xrayPool.map((it) => data.xrayReports[it.report]));
    // Centred, so that cosines (retrieval, RoCo's text-similarity threshold) compare what differs.
    centerRows([this.reportEmbeddings, xrayText], dim);
    this.retrieval = buildRetrieval(this.reportEmbeddings, xrayText, dim, this.cfg.data.retrievalTopK);
    // The expert is frozen, so the pool's image features are computed once and kept on the GPU.
    const feats: Tensor[] = [];
    const B = 32;
    for (let i = 0; i < data.xrayPool.length; i += B) {
      feats.push(e.keep(e.scope(() => this.expert.encodeImages(data.renderXray(e, data.xrayPool.slice(i, i + B), this.cfg)))));
    }
    const ops = await import('../../engine/ops/index.ts');
    this.expertFeatures = e.keep(e.noGrad(() => ops.concat(feats, 0)));
    feats.forEach((f) => f.dispose());
    const mean = this.retrieval.topK.reduce((s, h) => s + h[0].similarity, 0) / this.retrieval.topK.length;
    this.log(`retrieval: ${data.ctReports.length} CT reports → ${data.xrayPool.length} X-rays, mean top-1 similarity ${mean.toFixed(3)}`);
    this.opts.onProgress?.({ phase: 'retrieval', step: 1, steps: 1, losses: {}, stepMs: 0, lr: 0, memory: e.memory() });
  }

  // ------------------------------------------------------------------ stage 3: BIUD

  /** Record one step (forward, backward, update, loss copy) and submit it. No readback. */
  recordStep(): Correction[] {
    const e = this.engine;
    const { data } = this.opts;
    const cfg = this.cfg;
    const B = cfg.train.batch;
    const s = this.step;
    const items = data.trainBatch(s, B);
    const host = hostBatch(s, items, data.ctReports, this.tokenizer, cfg, this.reportEmbeddings, this.expertDim, this.retrieval.target, this.ctInputs);
    const slot = this.ringFilled++;
    e.scope(() => {
      this.model.store.zeroGrad();
      const inputs = { ...uploadBatch(e, host, B, cfg.text.maxLen), volumes: data.renderCt(e, items, cfg), queue: this.queueInputs(items, s) };
      const losses = this.model.losses(inputs, this.opts.switches, this.expertFeatures, s);
      losses.total.backward();
      this.opt.update(this.lr(s, cfg.train, cfg.train.steps));
      if (losses.enqueue) this.enqueue(items, losses.enqueue);
      TERMS.forEach((name, k) => {
        const t = losses[name];
        if (t) e.copy(t, this.ring, slot * TERMS.length + k);
        else e.clear(this.ring, slot * TERMS.length + k, 1);
      });
    });
    e.flush();
    this.step++;
    const kept = host.corrections;
    this.corrections.push(...kept);
    if (this.corrections.length > 2000) this.corrections.splice(0, this.corrections.length - 2000);
    this.opts.onCorrections?.(kept);
    return kept;
  }

  /** The queue's tensors and this batch's targets against it; undefined without a queue. */
  private queueInputs(items: CtItem[], step: number): StepInputs['queue'] {
    const q = this.queue;
    if (!q) return undefined;
    const e = this.engine;
    const B = items.length, W = B + q.reports.length;
    // Before loss.queueFrom the queue fills but every slot is masked: the loss is in-batch.
    const slots = step < (this.cfg.loss.queueFrom ?? 0) ? new Int32Array(q.reports.length).fill(-1) : q.reports;
    const { targets, bias } = queueTargets(items, slots, this.opts.data.ctReports, this.reportEmbeddings, this.expertDim, this.cfg.loss, this.opts.switches.roco);
    return { ct: q.ct, text: q.text, targets: e.tensor(targets, [B, W]), bias: e.tensor(bias, [1, W]) };
  }

  /**
   * Write the batch's rows into the queue's next B slots, after the step's backward has read the
   * queue (the copies follow it in the same submit, so the GPU runs them in that order).
   */
  private enqueue(items: CtItem[], rows: { ct: Tensor; text: Tensor }): void {
    const q = this.queue!;
    const e = this.engine;
    const B = items.length, d = this.cfg.embedDim;
    const offset = q.next * B;
    e.copy(rows.ct, q.ct, offset * d);
    e.copy(rows.text, q.text, offset * d);
    items.forEach((it, b) => (q.reports[offset + b] = it.report));
    q.next = (q.next + 1) % (q.reports.length / B);
  }

  /** Whether a loss term is computed in this run (the ring holds 0 for the others, which are not reported). */
  private termOn(name: LossName): boolean {
    const { loss } = this.cfg, on = this.opts.switches;
    switch (name) {
      case 'total':
      case 'roco': return true;
      case 'efm': return on.efm;
      case 'pair':
      case 'rel': return on.distill;
      case 'sent': return !!loss.sentences;
      case 'find': return !!loss.findings;
      case 'findText': return !!loss.findingsText;
    }
  }

  /** Read the ring (a sync point), check every value is finite, report progress. */
  async report(): Promise<Progress> {
    const e = this.engine;
    const n = this.ringFilled;
    const values = (await this.ring.data()) as Float32Array;
    const mean: Partial<Record<LossName, number>> = {};
    TERMS.forEach((name, k) => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i * TERMS.length + k];
        if (!Number.isFinite(v)) throw new NonFiniteLossError(this.step - n + i, name, v);
        sum += v;
      }
      if (this.termOn(name)) mean[name] = sum / Math.max(1, n);
    });
    this.ringFilled = 0;
    const now = performance.now();
    const stepMs = this.lastLog.time ? (now - this.lastLog.time) / Math.max(1, this.step - this.lastLog.step) : NaN;
    this.lastLog = { step: this.step, time: now };
    const p: Progress = { phase: 'biud', step: this.step, steps: this.cfg.train.steps, losses: mean, stepMs, lr: this.lr(this.step, this.cfg.train, this.cfg.train.steps), memory: e.memory() };
    this.history.push(p);
    this.opts.onProgress?.(p);
    return p;
  }

  /** Train until `until` (default: the config's steps), logging and checkpointing on schedule. */
  async run(until = this.cfg.train.steps, signal?: { stopped: boolean }): Promise<void> {
    const t = this.cfg.train;
    if (!this.lastLog.time) this.lastLog = { step: this.step, time: performance.now() };
    while (this.step < until && !signal?.stopped) {
      this.recordStep();
      if (this.ringFilled === t.logEvery || this.step === until) {
        await this.report();
        if (this.opts.sink && (this.step % t.checkpointEvery === 0 || this.step === until)) await this.trySave();
      }
    }
    if (this.ringFilled) await this.report();
  }

  // ------------------------------------------------------------------ checkpoints

  metadata(): Record<string, string> {
    return {
      format: 'pt',
      config: JSON.stringify(this.cfg),
      step: String(this.step),
      vocab: JSON.stringify(this.tokenizer.bertIds()),
      switches: JSON.stringify(this.opts.switches),
    };
  }

  /** Step of the last checkpoint written whole (-1: none yet). */
  savedStep = -1;

  /**
   * A scheduled checkpoint: a storage failure (quota, full disk) is a warning, not the end of the
   * run; the sink writes each file whole or not at all, so the last good checkpoint stays.
   */
  private async trySave(): Promise<void> {
    try {
      await this.save();
    } catch (err) {
      if (!(err instanceof BiudError)) throw err;
      const kept = this.savedStep >= 0 ? `the checkpoint of step ${this.savedStep} is kept` : 'no checkpoint has been written yet';
      this.log(`warning: checkpoint at step ${this.step} not saved (${err.message}); training continues, ${kept}`);
    }
  }

  async save(): Promise<void> {
    const sink = this.opts.sink;
    if (!sink) return;
    const meta = this.metadata();
    // Optimiser first: a model file always has optimiser state at least as new as itself.
    const q = this.queue;
    const queue: StateTensors = q
      ? [
          ['queue.ct', { data: (await q.ct.data()) as Float32Array, shape: q.ct.shape }],
          ['queue.text', { data: (await q.text.data()) as Float32Array, shape: q.text.shape }],
          ['queue.reports', { data: q.reports.slice(), shape: [q.reports.length] }],
        ]
      : [];
    await sink.write(OPTIMIZER_FILE, optimizerToSafetensors(await this.opt.state(), { step: meta.step, ...(q ? { queue_next: String(q.next) } : {}) }, queue));
    await sink.write(MODEL_FILE, await storeToSafetensors(this.model.store, meta));
    this.savedStep = this.step;
  }

  private async restore(saved: Uint8Array): Promise<void> {
    const meta = loadIntoStore(this.model.store, saved, MODEL_FILE);
    const step = Number(meta.step);
    const optBytes = await this.opts.sink!.read(OPTIMIZER_FILE);
    if (!optBytes) throw new BiudError(`--resume: ${MODEL_FILE} is there but ${OPTIMIZER_FILE} is not`);
    const { state, metadata, tensors } = optimizerFromSafetensors(optBytes, this.model.store.length, OPTIMIZER_FILE);
    if (state.step < step) throw new BiudError(`--resume: ${OPTIMIZER_FILE} is from step ${state.step}, older than the model's ${step}`);
    this.opt.loadState({ ...state, step });
    if (this.queue) this.restoreQueue(tensors, metadata);
    this.step = step;
    this.log(`resumed at step ${step}`);
  }

  /** L_RoCo's queue from the optimiser file; a run saved without one starts it empty, and says so. */
  private restoreQueue(tensors: Map<string, SafeTensor>, metadata: Record<string, string>): void {
    const q = this.queue!;
    const e = this.engine;
    const ct = tensors.get('queue.ct'), text = tensors.get('queue.text'), reports = tensors.get('queue.reports');
    if (!ct || !text || !reports) {
      this.log(`resumed without L_RoCo's queue (${OPTIMIZER_FILE} has none): it starts empty`);
      return;
    }
    const want = [q.reports.length, this.cfg.embedDim];
    for (const [name, t] of [['queue.ct', ct], ['queue.text', text]] as const) {
      if (t.shape.join() !== want.join()) throw new BiudError(`--resume: ${OPTIMIZER_FILE} holds ${name} [${t.shape}], this config's queue is [${want}]`);
    }
    q.ct.dispose();
    q.text.dispose();
    q.ct = e.keep(e.tensor(toFloat32(ct), want));
    q.text = e.keep(e.tensor(toFloat32(text), want));
    q.reports.set(Int32Array.from(toFloat32(reports)));
    q.next = Number(metadata.queue_next ?? 0);
  }

  // ------------------------------------------------------------------ evaluation

  /** CT embeddings of items (batched, no gradient), read back. */
  embedCts(items: CtItem[]): Promise<Float32Array[]> {
    return embedCts(this, this.opts.data, items);
  }

  /** Text embeddings of arbitrary strings (prompts). */
  embedTexts(texts: string[]): Promise<Map<string, Float32Array>> {
    return embedTexts(this, texts);
  }

  /** Zero-shot AUC per finding on held-out items. */
  evaluate(items = this.opts.data.heldout(this.cfg.data.heldout)): Promise<ZeroShotResult> {
    return zeroShot(this, this.opts.data, items);
  }

  dispose(): void {
    this.ring?.dispose();
    this.queue?.ct.dispose();
    this.queue?.text.dispose();
    this.expertFeatures?.dispose();
    this.opt?.destroy();
    this.model?.store.destroy();
    this.expert?.store.destroy();
  }
}

function concatF(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
