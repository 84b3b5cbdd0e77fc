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
import { embedding } from '../../engine/ops/embedding.ts';
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

/** Rows [n, width] rendered once, in chunks, and kept on the GPU until the grid or the engine changes. */
class RenderedRows {
  private rows: Tensor | null = null;
  private key = '';

  /** Whether the rows for `key` are already rendered on this engine. */
  holds(e: Engine, key: string): boolean {
    return this.rows !== null && this.key === key && this.rows.engine === e;
  }

  get(e: Engine, key: string, n: number, width: number, chunk: number, render: (from: number, to: number) => Tensor): Tensor {
    if (this.holds(e, key)) return this.rows!;
    // A new engine (after a lost device) cannot use the old one's buffers: render again.
    if (this.rows?.engine === e) this.rows.dispose();
    const rows = e.keep(e.empty([n, width]));
    for (let i = 0; i < n; i += chunk) {
      const to = Math.min(n, i + chunk);
      e.scope(() => {
        const dst = e.view(rows.storage.buffer!, rows.storage.offset + i * width * 4, [(to - i) * width]);
        e.copy(render(i, to).reshape([(to - i) * width]), dst);
        dst.dispose();
      });
      e.flush();
    }
    this.rows = rows;
    this.key = key;
    return rows;
  }

  dispose(): void {
    this.rows?.dispose();
    this.rows = null;
  }
}

export class CohortData implements BiudData {
  readonly ctReports: Report[];
  readonly heldoutReports: Report[];
  readonly xrayReports: Report[];
  readonly xrayPool: XrayItem[];
  /** The fixed training patients: seed and finding set (`volumeSeed` of a CtItem points here). */
  readonly patients: { seed: number; labels: Uint8Array }[];
  private readonly trainBySet: Map<string, number[]>;
  private readonly heldoutBySet: Map<string, number[]>;
  private readonly ctCache = new RenderedRows();
  private readonly xrayCache = new RenderedRows();

  constructor(cts: CohortReport[], xrays: XrayReport[], readonly seed: number, cfg: BiudConfig, trainPatients = 256, allHeldout = false) {
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
    while (chosen.size < batch) chosen.add(Math.floor(rng() * P));
    return [...chosen].map((p) => {
      const labels = this.patients[p].labels;
      const same = this.trainBySet.get(key(labels))!;
      return { volumeSeed: p, labels: labels.slice(), report: same[Math.floor(rng() * same.length)] };
    });
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
      const cache = this.ensureCtCache(e, cfg);
      const ids = e.tensor(items.map((it) => it.volumeSeed), [items.length], 'int32');
      return e.noGrad(() => embedding(cache, ids)).reshape([items.length, 1, ...grid.size]);
    }
    return this.renderVolumes(e, items.map((it) => ({ seed: it.volumeSeed < 0 ? -1 - it.volumeSeed : it.volumeSeed, labels: it.labels })), cfg);
  }

  renderXray(e: Engine, items: XrayItem[], cfg: BiudConfig): Tensor {
    const idx = items.map((it) => this.xrayPool.indexOf(it));
    if (idx.every((i) => i >= 0)) {
      const cache = this.ensureXrayCache(e, cfg);
      const ids = e.tensor(idx, [items.length], 'int32');
      const s = cfg.expert.image.size;
      return e.noGrad(() => embedding(cache, ids)).reshape([items.length, 1, s[1], s[2]]);
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

  /** The training pool [P, D·H·W], rendered on first use and kept. */
  private ensureCtCache(e: Engine, cfg: BiudConfig): Tensor {
    const voxels = cfg.ct.size.reduce((a, b) => a * b, 1);
    return this.ctCache.get(e, this.ctKey(cfg), this.patients.length, voxels, 16, (from, to) => this.renderVolumes(e, this.patients.slice(from, to), cfg));
  }

  /** The X-ray pool [Nx, H·W], rendered on first use and kept. */
  private ensureXrayCache(e: Engine, cfg: BiudConfig): Tensor {
    const s = cfg.expert.image.size;
    return this.xrayCache.get(e, `${s}/${cfg.expert.image.spacing}`, this.xrayPool.length, s[1] * s[2], 32, (from, to) =>
      renderXrays(e, this.xrayPool.slice(from, to).map((it) => ({ seed: it.imageSeed, labels: it.labels })), { image: imageSpec(cfg.expert.image) }));
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
  return new CohortData(cts, xrays, opts.seed ?? cfg.seed, cfg, opts.trainPatients ?? cfg.data.trainPatients ?? 256, opts.allHeldout ?? false);
}
