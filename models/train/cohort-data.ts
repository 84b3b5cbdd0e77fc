// BiudData over the procedural cohort (models/data): real CT-RATE reports split once into
// training and held-out sets, procedural chests whose findings are each report's label vector,
// and DRR X-rays of other procedural chests paired with real Indiana University reports.
//
// Rendering a 64³ chest costs ~0.1 s on SwiftShader, more than a `tiny` training step spends on
// it, so training draws its volumes from a fixed pool of patients rendered once and kept on the
// GPU; a batch is one gather from that pool. What varies step to step is which patients meet in
// a batch and which real report (of the same finding set) each is paired with. Held-out volumes
// are other patients, paired only with held-out reports.
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { RenderedRows } from './rendered-rows.ts';
import type { Assets } from '../assets.ts';
import { once } from '../assets.ts';
import type { BiudConfig } from '../config.ts';
import { reportsFromCsv, splitReports, CT_REPORTS_PATH, type CohortReport } from '../data/cohort.ts';
import { buildPhantom, renderPhantoms, streamSeed } from '../data/phantom.ts';
import { windowHU } from '../data/preprocess.ts';
import { xrayReportsFromArchive, renderXrays, imageSpec, IU_REPORTS_PATH, type XrayReport } from '../data/xray.ts';
import { mulberry32 } from '../text/rng.ts';
import type { BiudData, CtItem, Report, XrayItem } from './data.ts';

export interface CohortDataOptions {
  /** Patients, pairings and batch order follow from this seed (default: the config's). */
  seed?: number;
  /** A CT-RATE-format CSV to draw reports (and finding sets) from instead of the shipped one. */
  reportsCsv?: Uint8Array;
  /** Training patients rendered once and reused (default: the config's, else 256; 0 renders every batch afresh). */
  trainPatients?: number;
  /** X-ray reports to use instead of the shipped archive's. */
  xrayReports?: XrayReport[];
  /** Hold out every report (evaluating on a given CSV: its whole cohort is unseen). */
  allHeldout?: boolean;
  /** At most this many pool rows (volumes, X-rays) per GPU buffer (default: what the adapter's limits allow). */
  rowsPerBuffer?: number;
}

const key = (l: ArrayLike<number>) => Array.from(l).join('');

function groupBySet(reports: Report[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  reports.forEach((r, i) => {
    const k = key(r.labels);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  });
  return m;
}

const asReport = (r: CohortReport): Report => ({ text: r.text, labels: r.labels, source: r.accession });

export class CohortData implements BiudData {
  readonly ctReports: Report[];
  readonly heldoutReports: Report[];
  readonly xrayReports: Report[];
  readonly xrayPool: XrayItem[];
  /** The fixed training patients: seed and finding set (`volumeSeed` of a CtItem points here). */
  readonly patients: { seed: number; labels: Uint8Array }[];
  private readonly trainBySet: Map<string, number[]>;
  /** Pool patients in order of how many findings they have (for stratified batches). */
  private readonly byCount: number[];
  private readonly stratify: number;
  private readonly heldoutBySet: Map<string, number[]>;
  private readonly ctCache: RenderedRows;
  private readonly xrayCache: RenderedRows;

  constructor(cts: CohortReport[], xrays: XrayReport[], readonly seed: number, cfg: BiudConfig, trainPatients = 256, allHeldout = false, rowsPerBuffer = Infinity) {
    this.ctCache = new RenderedRows(rowsPerBuffer);
    this.xrayCache = new RenderedRows(rowsPerBuffer);
    const all = cts.map((_, i) => i);
    const split = allHeldout ? { train: all, heldout: all } : splitReports(cts.length);
    this.ctReports = split.train.map((i) => asReport(cts[i]));
    this.heldoutReports = split.heldout.map((i) => asReport(cts[i]));
    this.xrayReports = xrays.map((r) => ({ text: r.text, labels: r.labels, source: r.id }));
    this.trainBySet = groupBySet(this.ctReports);
    this.heldoutBySet = groupBySet(this.heldoutReports);
    // Training patients: finding sets drawn uniformly over training reports (real prevalence and
    // co-occurrence); every patient is distinct, so no two volumes in the pool are the same image.
    const rng = mulberry32(streamSeed(seed, 0x7a11));
    this.patients = Array.from({ length: trainPatients }, (_, i) => ({
      seed: streamSeed(streamSeed(seed, 0x7a11), i),
      labels: this.ctReports[Math.floor(rng() * this.ctReports.length)].labels.slice(),
    }));
    const count = (l: Uint8Array) => l.reduce((a, b) => a + b, 0);
    this.byCount = this.patients.map((_, i) => i).sort((a, b) => count(this.patients[a].labels) - count(this.patients[b].labels) || a - b);
    this.stratify = cfg.data.stratify ?? 0;
    // The X-ray pool: the expert's training set and the retrieval targets; each image a patient of
    // its own, paired with a real IU report whose findings it shows.
    const xr = mulberry32(streamSeed(seed, 0x3a71));
    const xBySet = groupBySet(this.xrayReports);
    this.xrayPool = Array.from({ length: cfg.expert.pool }, (_, i) => {
      const drawn = this.xrayReports[Math.floor(xr() * this.xrayReports.length)];
      const same = xBySet.get(key(drawn.labels))!;
      const report = same[Math.floor(xr() * same.length)];
      return { imageSeed: streamSeed(streamSeed(seed, 0x3a71), i), labels: this.xrayReports[report].labels.slice(), report };
    });
  }

  /** Each step's batch: distinct patients, each with a training report of its finding set. */
  trainBatch(step: number, batch: number): CtItem[] {
    const rng = mulberry32(streamSeed(this.seed, 0x5700 + step));
    const P = this.patients.length;
    if (!P) {
      return Array.from({ length: batch }, (_, i) => {
        const r = Math.floor(rng() * this.ctReports.length);
        return { volumeSeed: streamSeed(streamSeed(this.seed, 0x5701 + step), i), labels: this.ctReports[r].labels.slice(), report: r };
      });
    }
    if (batch > P) throw new BiudError(`a batch of ${batch} needs at least ${batch} training patients, the pool has ${P}`);
    const chosen = new Set<number>();
    // A stratified batch: a random first patient, the rest from the 4·batch patients nearest it in
    // the order of finding counts. (The draw that decides is made only when stratify > 0, so runs
    // without it keep their batches.)
    if (this.stratify > 0 && rng() < this.stratify) {
      const first = Math.floor(rng() * P);
      const w = Math.min(P, 4 * batch);
      const at = Math.min(Math.max(0, this.byCount.indexOf(first) - (w >> 1)), P - w);
      chosen.add(first);
      while (chosen.size < batch) chosen.add(this.byCount[at + Math.floor(rng() * w)]);
    }
    while (chosen.size < batch) chosen.add(Math.floor(rng() * P));
    return [...chosen].map((p) => this.trainingItem(p, rng));
  }

  /** The training pool's volumes: `id` is the volumeSeed of a training item. */
  trainingVolumes(): { id: number; labels: Uint8Array }[] {
    return this.patients.map((p, id) => ({ id, labels: p.labels }));
  }

  /** A training item for pool volume `id`, paired with a training report of its finding set drawn by `rng`. */
  trainingItem(id: number, rng: () => number): CtItem {
    const labels = this.patients[id].labels;
    const same = this.trainBySet.get(key(labels))!;
    return { volumeSeed: id, labels: labels.slice(), report: same[Math.floor(rng() * same.length)] };
  }

  /** Held-out patients, drawn from held-out reports and paired with one of the same finding set. */
  heldout(n: number): CtItem[] {
    const tag = streamSeed(this.seed, 0x4e1d);
    const rng = mulberry32(tag);
    return Array.from({ length: n }, (_, i) => {
      const drawn = this.heldoutReports[Math.floor(rng() * this.heldoutReports.length)];
      const same = this.heldoutBySet.get(key(drawn.labels))!;
      return { volumeSeed: -1 - streamSeed(tag, i), labels: drawn.labels.slice(), report: same[Math.floor(rng() * same.length)] };
    });
  }

  /** Patients of a training pool (volumeSeed ≥ 0 names one) are gathered; others are rendered. */
  renderCt(e: Engine, items: CtItem[], cfg: BiudConfig, opts: { once?: boolean } = {}): Tensor {
    const grid = { size: [...cfg.ct.size] as [number, number, number], spacing: [...cfg.ct.spacing] as [number, number, number] };
    const pooled = this.patients.length > 0 && items.every((it) => it.volumeSeed >= 0 && it.volumeSeed < this.patients.length);
    if (pooled && opts.once && !this.ctCache.holds(e, this.ctKey(cfg))) return this.renderVolumes(e, items.map((it) => this.patients[it.volumeSeed]), cfg);
    if (pooled) {
      const voxels = cfg.ct.size.reduce((a, b) => a * b, 1);
      return e.noGrad(() => this.ctCache.gather(e, items.map((it) => it.volumeSeed), this.ctKey(cfg), this.patients.length, voxels, 16,
        (from, to) => this.renderVolumes(e, this.patients.slice(from, to), cfg))).reshape([items.length, 1, ...grid.size]);
    }
    return this.renderVolumes(e, items.map((it) => ({ seed: it.volumeSeed < 0 ? -1 - it.volumeSeed : it.volumeSeed, labels: it.labels })), cfg);
  }

  renderXray(e: Engine, items: XrayItem[], cfg: BiudConfig): Tensor {
    const idx = items.map((it) => this.xrayPool.indexOf(it));
    const s = cfg.expert.image.size;
    if (idx.every((i) => i >= 0)) {
      return e.noGrad(() => this.xrayCache.gather(e, idx, `${s}/${cfg.expert.image.spacing}`, this.xrayPool.length, s[1] * s[2], 32, (from, to) =>
        renderXrays(e, this.xrayPool.slice(from, to).map((it) => ({ seed: it.imageSeed, labels: it.labels })), { image: imageSpec(cfg.expert.image) })))
        .reshape([items.length, 1, s[1], s[2]]);
    }
    return renderXrays(e, items.map((it) => ({ seed: it.imageSeed, labels: it.labels })), { image: imageSpec(cfg.expert.image) });
  }

  /** Windowed volumes [B, 1, D, H, W], rendered now. */
  private renderVolumes(e: Engine, list: { seed: number; labels: Uint8Array }[], cfg: BiudConfig): Tensor {
    const grid = { size: [...cfg.ct.size] as [number, number, number], spacing: [...cfg.ct.spacing] as [number, number, number] };
    return e.scope(() => windowHU(renderPhantoms(e, list.map((p) => buildPhantom(p.seed, p.labels, grid)))).reshape([list.length, 1, ...grid.size]));
  }

  private ctKey(cfg: BiudConfig): string {
    return `${cfg.ct.size}/${cfg.ct.spacing}`;
  }

  /** Free the GPU pools (they are rebuilt on next use). */
  dispose(): void {
    this.ctCache.dispose();
    this.xrayCache.dispose();
  }
}

/** The shipped cohort (or one from a given report CSV), ready for a Trainer. */
export async function loadCohortData(assets: Assets, cfg: BiudConfig, opts: CohortDataOptions = {}): Promise<CohortData> {
  const cts = opts.reportsCsv
    ? reportsFromCsv(opts.reportsCsv, 'reports CSV')
    : await once(assets, 'ct-reports', async () => reportsFromCsv(await assets.read(CT_REPORTS_PATH), CT_REPORTS_PATH));
  const xrays = opts.xrayReports ?? (await once(assets, 'xray-reports', async () => xrayReportsFromArchive(await assets.read(IU_REPORTS_PATH))));
  return new CohortData(cts, xrays, opts.seed ?? cfg.seed, cfg, opts.trainPatients ?? cfg.data.trainPatients ?? 256, opts.allHeldout ?? false, opts.rowsPerBuffer);
}
