// The playground's state and the one training session it runs: the engine, the cohort, the
// trainer, what the panels show (loss history, the batch's similarity matrices, corrections,
// zero-shot results) and a small event bus the panels listen on. Training runs in report-sized
// slices (logEvery steps, one readback) with a yield to the browser between slices, so the page
// stays responsive; GPU work the panels ask for runs between slices (`gpu()` serialises it).
import { Engine } from '../engine/engine.ts';
import { DeviceLostError } from '../engine/errors.ts';
import type { KernelTime } from '../engine/profiler.ts';
import { fetchAssets, type Assets } from '../models/assets.ts';
import type { BiudConfig } from '../models/config.ts';
import type { LossSwitches } from '../models/biud.ts';
import { ReportTokenizer } from '../models/tokenize.ts';
import { loadCohortData, type CohortData } from '../models/train/cohort-data.ts';
import { loadVolumeData, VolumeData } from '../models/train/volume-data.ts';
import type { CtItem } from '../models/train/data.ts';
import type { Correction } from '../models/train/batch.ts';
import { Trainer, type Progress } from '../models/train/trainer.ts';
import { MODEL_FILE, storeToSafetensors, loadIntoStore } from '../models/train/checkpoint.ts';
import { opfsSink, hasOpfs } from '../models/train/sink-opfs.ts';
import type { ZeroShotResult } from '../models/zero-shot.ts';
import { toConfig, switches, toQuery, type Experiment } from './experiment.ts';
import { zeroShotVolumes, labelledVolumes } from '../models/train/evaluate.ts';
import { reportsFromCsv, type CohortReport } from '../models/data/cohort.ts';
import { pairVolumesWithReports } from '../models/data/volume-reports.ts';
import { PRETRAINED_EXPERT } from '../models/xray-expert.ts';

export type Status = 'loading' | 'ready' | 'preparing' | 'training' | 'paused' | 'done' | 'error';

/** The batch's similarity matrices after a step, computed outside the training step (no gradient). */
export interface SimSnapshot {
  step: number;
  items: CtItem[];
  /** [n·n] cosine of CT i with report j under the current model. */
  sim: Float32Array;
  /** [n·n] cosine of the frozen expert's features of the X-rays retrieved for i and j. */
  rel: Float32Array | null;
  /** The contrastive temperature τ at the time. */
  tau: number;
  /** Pairs RoCo corrected in this batch ("i,j", both orders). */
  corrected: Map<string, Correction>;
}

export interface ZeroShotSnapshot {
  step: number;
  result: ZeroShotResult;
  labels: Uint8Array[];
  /** What was scored, when not the held-out cohort: e.g. "3 of your CTs". */
  source?: string;
}

type Events = {
  status: void;
  progress: Progress;
  similarity: SimSnapshot;
  corrections: Correction[];
  zeroshot: ZeroShotSnapshot;
  select: CtItem;
  kernels: KernelTime[];
  log: string;
  experiment: Experiment;
  /** The training data changed (the user's CTs replaced the procedural cohort). */
  data: void;
};

const nextFrame = () => new Promise<void>((r) => (typeof requestAnimationFrame === 'function' && !document.hidden ? requestAnimationFrame(() => r()) : setTimeout(r, 0)));

export class Lab {
  exp: Experiment;
  cfg: BiudConfig;
  /** The trainer reads these every step, so switching a term takes effect at the next step. */
  readonly switches: LossSwitches;
  engine!: Engine;
  assets: Assets;
  data!: CohortData | VolumeData;
  /** The tokenizer the trainer will build (same corpus), for showing tokens before training. */
  tokenizer!: ReportTokenizer;
  trainer: Trainer | null = null;
  status: Status = 'loading';
  message = '';
  /** Steps of the X-ray expert's CLIP training. */
  readonly expertHistory: Progress[] = [];
  readonly history: Progress[] = [];
  readonly aucHistory: { step: number; mean: number }[] = [];
  readonly logLines: string[] = [];
  sim: SimSnapshot | null = null;
  zeroShot: ZeroShotSnapshot | null = null;
  selected: CtItem | null = null;
  /** Set by main.ts: bring a panel to the front. */
  focus: (panelId: string) => void = () => {};
  /** Compute the similarity snapshot every this many reports. */
  simEvery = 1;
  private running = false;
  private listeners = new Map<keyof Events, Set<(v: never) => void>>();
  private lock: Promise<unknown> = Promise.resolve();
  private expertFeatures: Float32Array | null = null;
  private loopDone: Promise<void> | null = null;

  constructor(exp: Experiment) {
    this.exp = exp;
    this.cfg = toConfig(exp);
    this.switches = switches(exp);
    this.assets = fetchAssets('/');
  }

  on<K extends keyof Events>(ev: K, fn: (v: Events[K]) => void): () => void {
    let set = this.listeners.get(ev);
    if (!set) this.listeners.set(ev, (set = new Set()));
    set.add(fn as (v: never) => void);
    return () => set!.delete(fn as (v: never) => void);
  }

  emit<K extends keyof Events>(ev: K, v: Events[K]): void {
    for (const fn of this.listeners.get(ev) ?? []) {
      try {
        (fn as (v: Events[K]) => void)(v);
      } catch (e) {
        console.error(`panel listener for "${ev}" failed`, e);
      }
    }
  }

  log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > 200) this.logLines.shift();
    this.emit('log', line);
  }

  setStatus(s: Status, message = ''): void {
    this.status = s;
    this.message = message;
    this.emit('status', undefined);
  }

  fail(e: unknown): void {
    const err = e as Error;
    const msg = e instanceof DeviceLostError || this.engine?.isLost
      ? `the GPU device was lost (${err.message}). Reload the page; the last checkpoint is kept in the browser's storage.`
      : err.message ?? String(e);
    console.error(e);
    this.running = false;
    this.log(`error: ${msg}`);
    this.setStatus('error', msg);
  }

  /** Run GPU work the panels ask for between training slices. */
  gpu<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /** Engine, shipped data and tokenizer: everything the panels need before training. */
  async init(): Promise<void> {
    this.engine = await Engine.create({ profile: new URLSearchParams(location.search).get('profile') !== '0' });
    this.engine.lost.then((info) => {
      if (info.reason !== 'destroyed') this.fail(new DeviceLostError(info.reason, info.message || 'device lost'));
    });
    this.log(`adapter: ${[this.engine.adapterInfo.vendor, this.engine.adapterInfo.architecture, this.engine.adapterInfo.description].filter(Boolean).join(' · ') || 'unknown'}`);
    this.data = await loadCohortData(this.assets, this.cfg, { seed: this.exp.seed });
    const corpus = [...this.data.ctReports, ...this.data.heldoutReports, ...this.data.xrayReports].map((r) => r.text);
    this.tokenizer = await ReportTokenizer.load(this.assets, this.cfg.text.vocab, corpus);
    this.log(`cohort: ${this.data.ctReports.length} training reports, ${this.data.heldoutReports.length} held out, ${this.data.xrayPool.length} X-rays in the pool`);
    this.select(this.data.trainBatch(0, this.cfg.train.batch)[0]);
    this.setStatus('ready');
  }

  select(item: CtItem): void {
    this.selected = item;
    this.emit('select', item);
  }

  /** Whether training draws on the user's own CTs (a folder) rather than the procedural cohort. */
  get yourCts(): VolumeData | null {
    return this.data instanceof VolumeData ? this.data : null;
  }

  /** Where the training volumes come from, in words. */
  get dataSource(): string {
    const v = this.yourCts;
    return v ? `${v.volumes.length} of your CTs` : 'procedural cohort';
  }

  get runFolder(): string {
    // A run on the user's CTs keeps its checkpoints apart from the procedural cohort's.
    return `runs/${this.cfg.name}-seed${this.exp.seed}${this.yourCts ? '-your-cts' : ''}`;
  }

  /** Whether the browser's storage holds a checkpoint of this experiment's config. */
  async savedRun(): Promise<boolean> {
    if (!hasOpfs()) return false;
    try {
      return (await opfsSink(this.runFolder).read(MODEL_FILE)) !== null;
    } catch {
      return false;
    }
  }

  /** Train the expert, build retrieval, make the model (or resume from the browser's storage). */
  async prepare(resume = false): Promise<Trainer> {
    if (this.trainer) return this.trainer;
    const shipped = this.exp.expert === 'shipped' ? PRETRAINED_EXPERT[this.cfg.name] : undefined;
    this.setStatus('preparing', resume ? 'resuming from the browser storage' : shipped ? 'loading the pretrained X-ray expert' : 'training the X-ray expert');
    const expertWeights = shipped && !resume ? await this.assets.read(shipped) : undefined;
    const t = await Trainer.create({
      expertWeights,
      engine: this.engine,
      assets: this.assets,
      data: this.data,
      config: this.cfg,
      switches: this.switches,
      sink: hasOpfs() ? opfsSink(this.runFolder) : undefined,
      resume,
      onProgress: (p) => {
        if (p.phase === 'expert') {
          this.expertHistory.push(p);
          this.message = `X-ray expert: step ${p.step} of ${p.steps}`;
        } else if (p.phase === 'retrieval') {
          this.message = 'retrieval built; rendering the training volumes';
        } else if (p.phase === 'biud') {
          this.history.push(p);
        }
        this.emit('progress', p);
        this.emit('status', undefined);
      },
      onCorrections: (c) => this.emit('corrections', c),
      log: (l) => this.log(l),
    });
    this.trainer = t;
    const feats = t.expertFeatures;
    this.expertFeatures = feats ? ((await feats.data()) as Float32Array) : null;
    this.log(`BIUD: ${t.model.store.count.toLocaleString()} parameters; X-ray expert ${t.expert.store.count.toLocaleString()}`);
    this.setStatus('paused', t.step ? `resumed at step ${t.step}` : 'ready to train');
    this.emit('select', this.selected!);
    return t;
  }

  /** Start or resume training. */
  async start(resume = false): Promise<void> {
    if (this.running || this.status === 'preparing') return;
    try {
      const t = await this.prepare(resume);
      if (t.step >= this.cfg.train.steps) {
        this.setStatus('done', `trained ${t.step} steps`);
        return;
      }
      this.running = true;
      this.setStatus('training');
      this.loopDone = this.loop().catch((e) => this.fail(e));
      await this.loopDone;
    } catch (e) {
      this.fail(e);
    }
  }

  pause(): void {
    this.running = false;
  }

  get isRunning(): boolean {
    return this.running;
  }

  private async loop(): Promise<void> {
    const t = this.trainer!;
    const c = this.cfg.train;
    let reports = 0;
    while (this.running && t.step < c.steps) {
      const n = Math.min(c.logEvery, c.steps - t.step);
      await this.gpu(async () => {
        for (let i = 0; i < n; i++) t.recordStep();
        await t.report();
      });
      reports++;
      if (reports % this.simEvery === 0 || t.step >= c.steps) await this.similarity().catch((e) => this.log(`similarity: ${(e as Error).message}`));
      if (t.step % c.checkpointEvery === 0 || t.step >= c.steps) {
        await this.gpu(() => t.save()).catch((e) => this.log(`checkpoint: ${(e as Error).message}`));
        await this.evaluate();
      }
      await this.kernels();
      await nextFrame();
    }
    this.running = false;
    if (t.step >= c.steps) this.setStatus('done', `trained ${t.step} steps`);
    else this.setStatus('paused', `paused at step ${t.step}`);
  }

  /** The CT×report and X-ray relation matrices of a step's batch under the current model. */
  async similarity(step = Math.max(0, (this.trainer?.step ?? 1) - 1)): Promise<SimSnapshot | null> {
    const t = this.trainer;
    if (!t) return null;
    const items = this.data.trainBatch(step, this.cfg.train.batch);
    return this.gpu(async () => {
      const snap = await this.batchSimilarity(items, step);
      this.sim = snap;
      this.emit('similarity', snap);
      return snap;
    });
  }

  /** Similarity of an arbitrary batch of items (call inside gpu()). */
  async batchSimilarity(items: CtItem[], step: number, corrections?: Correction[]): Promise<SimSnapshot> {
    const t = this.trainer!;
    const cts = await t.embedCts(items);
    const texts = await t.embedTexts(items.map((it) => this.data.ctReports[it.report].text));
    const txt = items.map((it) => texts.get(this.data.ctReports[it.report].text)!);
    const n = items.length;
    const sim = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sim[i * n + j] = cosine(cts[i], txt[j]);
    let rel: Float32Array | null = null;
    if (this.expertFeatures) {
      const d = this.expertFeatures.length / this.data.xrayPool.length;
      const rows = items.map((it) => this.expertFeatures!.subarray(t.retrieval.target[it.report] * d, (t.retrieval.target[it.report] + 1) * d));
      rel = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rel[i * n + j] = cosine(rows[i], rows[j]);
    }
    const tau = Math.exp(-((await t.model.temperature.logitScale.data()) as Float32Array)[0]);
    const corrected = new Map<string, Correction>();
    const list = corrections ?? t.corrections.filter((c) => c.step === step);
    for (const c of list) {
      corrected.set(`${c.i},${c.j}`, c);
      corrected.set(`${c.j},${c.i}`, c);
    }
    return { step, items, sim, rel, tau, corrected };
  }

  /** Zero-shot AUC on the held-out cohort. */
  async evaluate(): Promise<ZeroShotSnapshot | null> {
    const t = this.trainer;
    if (!t) return null;
    try {
      return await this.gpu(async () => {
        const items = this.data.heldout(this.cfg.data.heldout);
        const result = await t.evaluate(items);
        const snap: ZeroShotSnapshot = { step: t.step, result, labels: items.map((it) => it.labels), source: this.yourCts ? `${items.length} held-out CTs of yours` : undefined };
        this.zeroShot = snap;
        const last = this.aucHistory[this.aucHistory.length - 1];
        if (last?.step === t.step) last.mean = result.meanAuc;
        else this.aucHistory.push({ step: t.step, mean: result.meanAuc });
        this.log(`zero-shot at step ${t.step}: mean AUC ${result.meanAuc.toFixed(3)}`);
        this.emit('zeroshot', snap);
        return snap;
      });
    } catch (e) {
      this.log(`zero-shot: ${(e as Error).message}`);
      return null;
    }
  }

  /**
   * Zero-shot on the user's own CTs: the files of a folder holding NIfTI volumes and the
   * CT-RATE-format reports CSV that names them (AccessionNo train_1 owns train_1_a_1.nii.gz).
   * Read in this page, one volume at a time; not added to the training trend, which is the
   * held-out cohort's.
   */
  async evaluateFiles(files: File[]): Promise<ZeroShotSnapshot | null> {
    const say = (line: string) => { this.log(`your CTs: ${line}`); return null; };
    const t = this.trainer;
    if (!t) return say('zero-shot needs a model: start training, or load a checkpoint, first');
    const folder = await this.readFolder(files);
    if (!folder) return null;
    const { pairs, read } = folder;
    this.log(`your CTs: scoring ${pairs.length} volume(s)…`);
    try {
      return await this.gpu(async () => {
        const r = await zeroShotVolumes(t, labelledVolumes(pairs, read));
        for (const sk of r.skipped) this.log(`your CTs: ${sk.name} skipped: ${sk.reason}`);
        for (const { item, warnings } of r.embedded) if (warnings.length) this.log(`your CTs: ${item.name}: ${warnings.join('; ')}`);
        const snap: ZeroShotSnapshot = { step: t.step, result: r, labels: r.embedded.map((x) => x.item.labels), source: `${r.embedded.length} of your CTs` };
        this.zeroShot = snap;
        this.log(`your CTs: zero-shot at step ${t.step} on ${r.embedded.length} volume(s): mean AUC ${r.meanAuc.toFixed(3)}${r.skipped.length ? ` (${r.skipped.length} skipped)` : ''}`);
        this.emit('zeroshot', snap);
        return snap;
      });
    } catch (e) {
      return say((e as Error).message);
    }
  }

  /**
   * A picked folder's files as (volume, report row) pairs, by CT-RATE's naming rule: the
   * CT-RATE-format CSVs among the files name the volumes (AccessionNo train_1 owns
   * train_1_a_1.nii.gz). What cannot be paired is logged; null when nothing can.
   */
  private async readFolder(files: File[]): Promise<{ pairs: { file: string; report: CohortReport }[]; read: (file: string) => Promise<Uint8Array> } | null> {
    const say = (line: string) => { this.log(`your CTs: ${line}`); return null; };
    const path = (f: File) => f.webkitRelativePath || f.name;
    const csvs = files.filter((f) => /\.csv$/i.test(f.name));
    if (!csvs.length) return say(`no reports CSV among the ${files.length} files: the folder needs the CT-RATE-format CSV (AccessionNo, report_text, and labels if any) that names its volumes`);
    const reports: CohortReport[] = [];
    for (const f of csvs) {
      try {
        reports.push(...reportsFromCsv(new Uint8Array(await f.arrayBuffer()), path(f)));
      } catch (e) {
        this.log(`your CTs: ${(e as Error).message}`);
      }
    }
    const byPath = new Map(files.map((f) => [path(f), f]));
    const { pairs, unmatched } = pairVolumesWithReports([...byPath.keys()], reports);
    if (unmatched.length) this.log(`your CTs: ${unmatched.length} volume(s) have no report row and are left out: ${unmatched.slice(0, 3).join(', ')}${unmatched.length > 3 ? ', …' : ''}`);
    if (!pairs.length) return say(`none of the volumes is named by an AccessionNo of the CSV (${reports.length} rows; AccessionNo train_1 owns train_1.nii.gz and train_1_a_1.nii.gz)`);
    return { pairs, read: async (file) => new Uint8Array(await byPath.get(file)!.arrayBuffer()) };
  }

  /**
   * Train on the user's own CTs instead of the procedural cohort (before a run starts): each
   * volume of the folder with its own report row, 20% of the rows held out for zero-shot, read,
   * resampled and windowed once in this page; the X-ray side stays procedural. Nothing leaves
   * the machine. Returns whether the data changed.
   */
  async trainOnFiles(files: File[]): Promise<boolean> {
    const say = (line: string) => { this.log(`your CTs: ${line}`); return false; };
    if (this.trainer) return say('a run has started on the current data; reload the page to train on other CTs');
    if (this.status !== 'ready') return say(`the playground is ${this.status}; wait until it is ready`);
    const folder = await this.readFolder(files);
    if (!folder) return false;
    this.setStatus('loading', `reading ${folder.pairs.length} of your CTs`);
    try {
      const data = await this.gpu(async () => {
        const xrays = await loadCohortData(this.assets, this.cfg, { seed: this.exp.seed, allHeldout: true, trainPatients: 0 });
        return loadVolumeData(this.engine, labelledVolumes(folder.pairs, folder.read), xrays, this.cfg, {
          seed: this.exp.seed,
          onVolume: (done, total, name, skipped) => {
            if (skipped) this.log(`your CTs: ${name} skipped: ${skipped}`);
            this.setStatus('loading', `reading your CTs: ${done} of ${total}`);
          },
        });
      });
      // The first batch says whether the folder has enough training volumes for the batch size
      // (trainBatch names the shortfall); it is also the batch Data shows first.
      let first: CtItem[];
      try {
        first = data.trainBatch(0, this.cfg.train.batch);
      } catch (e) {
        data.dispose();
        throw e;
      }
      const warned = data.volumes.filter((v) => v.warnings.length);
      for (const v of warned.slice(0, 5)) this.log(`your CTs: ${v.name}: ${v.warnings.join('; ')}`);
      if (warned.length > 5) this.log(`your CTs: … and ${warned.length - 5} more volumes with warnings (each shows its own in Data)`);
      this.data.dispose();
      this.data = data;
      const corpus = [...data.ctReports, ...data.heldoutReports, ...data.xrayReports].map((r) => r.text);
      this.tokenizer = await ReportTokenizer.load(this.assets, this.cfg.text.vocab, corpus);
      const held = data.volumes.filter((v) => v.heldout).length;
      this.log(`your CTs: ${data.volumes.length} volumes of ${data.ctReports.length + data.heldoutReports.length} report rows: ${data.volumes.length - held} to train on, ${held} held out${data.skipped.length ? `; ${data.skipped.length} skipped` : ''}. Start trains on them`);
      this.emit('data', undefined);
      this.select(first[0]);
      this.setStatus('ready', `training data: ${this.dataSource}`);
      return true;
    } catch (e) {
      this.setStatus('ready');
      return say((e as Error).message);
    }
  }

  async kernels(): Promise<KernelTime[]> {
    const p = this.engine?.profiler;
    if (!p) return [];
    const k = await p.report();
    this.emit('kernels', k);
    return k;
  }

  /** The model's weights as a safetensors file (PyTorch names and layouts). */
  async checkpointBytes(): Promise<Uint8Array> {
    const t = this.trainer;
    if (!t) throw new Error('nothing to save yet: start training first');
    return this.gpu(() => storeToSafetensors(t.model.store, t.metadata()));
  }

  /** Load a model checkpoint (its config must match this experiment's). */
  async loadCheckpoint(bytes: Uint8Array, name: string): Promise<void> {
    const wasRunning = this.running;
    this.pause();
    await this.loopDone;
    const t = await this.prepare();
    await this.gpu(async () => {
      const meta = loadIntoStore(t.model.store, bytes, name);
      if (meta.step) t.step = Number(meta.step);
    });
    this.log(`loaded ${name}${t.step ? ` (step ${t.step})` : ''}`);
    this.setStatus('paused', `loaded ${name}`);
    await this.similarity();
    await this.evaluate();
    if (wasRunning) void this.start();
  }

  /** Change the experiment: switches and weights apply live; config, seed, steps and the expert need a new run. */
  setExperiment(x: Experiment): { reload: boolean } {
    const reload = x.config !== this.exp.config || x.seed !== this.exp.seed || x.steps !== this.exp.steps || x.expert !== this.exp.expert;
    this.exp = x;
    history.replaceState(null, '', toQuery(x) + location.hash);
    if (!reload) {
      this.switches.roco = x.roco;
      this.switches.efm = x.efm;
      this.switches.distill = x.distill;
      this.cfg.loss.roco = x.roco;
      this.cfg.loss.efm = x.wEfm;
      this.cfg.loss.pair = x.wPair;
      this.cfg.loss.rel = x.wRel;
      this.cfg.loss.fnGraded = x.fnGraded;
    }
    this.emit('experiment', x);
    return { reload };
  }
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0, na = 0, nb = 0;
  for (let k = 0; k < a.length; k++) {
    s += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
  }
  return s / Math.sqrt(na * nb + 1e-24);
}
