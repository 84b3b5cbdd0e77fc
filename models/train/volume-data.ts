// BiudData over real CT volumes (a folder of CT-RATE NIfTI files and its report CSV): each
// volume is paired with its own report row, as CT-RATE pairs them, and labelled by it (hand
// labels, else the labeler). The X-ray side (the expert's DRRs and real IU reports) is the
// procedural cohort's, since no X-ray images ship with CT-RATE.
//
// The split is by report row, not by file: CT-RATE keeps several reconstructions of one scan
// (train_1_a_1, train_1_a_2, …) under one AccessionNo, and a held-out cohort that shares scans
// with training would flatter the model. Held-out rows are chosen as splitReports chooses them
// for the shipped cohort (a seeded 20%).
//
// Every volume is read, resampled around the body to the config's grid and windowed once, before
// training (loadVolumeData), the way `biud eval --volumes` does it; a volume that cannot be read
// is skipped with its reason. The windowed grids stay in host memory (a `tiny` grid is 1 MiB)
// and go to the GPU as one pool, as the procedural cohort's patients do, so that a batch is one
// gather and a new device after a lost one can rebuild the pool without reading the files again.
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import type { BiudConfig } from '../config.ts';
import { splitReports, type CohortReport } from '../data/cohort.ts';
import { preprocessVolume, HU_WINDOW, type HuVolume } from '../data/preprocess.ts';
import { streamSeed } from '../data/phantom.ts';
import { mulberry32 } from '../text/rng.ts';
import type { CohortData } from './cohort-data.ts';
import type { BiudData, CtItem, Report, XrayItem } from './data.ts';
import { RenderedRows } from './rendered-rows.ts';
import { skippedVolume, type SkippedVolume } from './evaluate.ts';

/** One volume file and its report row; `load` reads it (after toRAS, in HU) when its turn comes. */
export interface VolumeSource {
  name: string;
  report: CohortReport;
  load(): Promise<HuVolume>;
}

/** A volume in the pool: its file, its report row, and which side of the split it is on. */
export interface PooledVolume {
  name: string;
  accession: string;
  labels: Uint8Array;
  heldout: boolean;
  /** Index into ctReports (training) or heldoutReports (held out). */
  report: number;
  /** What preprocessing noticed (not a chest, body cropped, …). */
  warnings: string[];
}

export interface VolumeDataOptions {
  /** Batch order follows from this seed (default: the config's). */
  seed?: number;
  /** Called after each volume is read (or skipped), for a progress line. */
  onVolume?: (done: number, total: number, name: string, skipped?: string) => void;
  /** At most this many volumes per GPU buffer (tests use a few). */
  rowsPerBuffer?: number;
}

const asReport = (r: CohortReport): Report => ({ text: r.text, labels: r.labels, source: r.accession });

export class VolumeData implements BiudData {
  readonly ctReports: Report[];
  readonly heldoutReports: Report[];
  readonly volumes: PooledVolume[];
  readonly skipped: SkippedVolume[];
  private readonly trainIds: number[];
  private readonly heldIds: number[];
  private readonly rows: RenderedRows;
  private readonly gridKey: string;
  /** Each volume's windowed grid, in pool order: the source of the GPU pool (rebuilt on a new device). */
  private readonly grids: Float32Array[];

  constructor(
    readonly seed: number,
    private readonly xrays: CohortData,
    cfg: BiudConfig,
    loaded: { source: VolumeSource; grid: Float32Array; warnings: string[] }[],
    skipped: SkippedVolume[],
    rowsPerBuffer = Infinity,
  ) {
    this.skipped = skipped;
    this.gridKey = `${cfg.ct.size}/${cfg.ct.spacing}`;
    this.rows = new RenderedRows(rowsPerBuffer);
    // The rows of the volumes that were read, in file order, then the split over those rows.
    const accessions = [...new Set(loaded.map((l) => l.source.report.accession))];
    const rowOf = new Map(loaded.map((l) => [l.source.report.accession, l.source.report]));
    const split = splitReports(accessions.length);
    const trainRow = new Map(split.train.map((r, i) => [accessions[r], i]));
    const heldRow = new Map(split.heldout.map((r, i) => [accessions[r], i]));
    this.ctReports = split.train.map((r) => asReport(rowOf.get(accessions[r])!));
    this.heldoutReports = split.heldout.map((r) => asReport(rowOf.get(accessions[r])!));
    this.volumes = loaded.map(({ source, warnings }) => {
      const acc = source.report.accession;
      const heldout = heldRow.has(acc);
      return { name: source.name, accession: acc, labels: source.report.labels, heldout, report: heldout ? heldRow.get(acc)! : trainRow.get(acc)!, warnings };
    });
    this.trainIds = this.volumes.flatMap((v, i) => (v.heldout ? [] : [i]));
    this.heldIds = this.volumes.flatMap((v, i) => (v.heldout ? [i] : []));
    this.grids = loaded.map((l) => l.grid);
  }

  get xrayReports(): Report[] {
    return this.xrays.xrayReports;
  }

  get xrayPool(): XrayItem[] {
    return this.xrays.xrayPool;
  }

  /** Each step's batch: distinct training volumes, each with its own report. */
  trainBatch(step: number, batch: number): CtItem[] {
    const P = this.trainIds.length;
    if (batch > P) throw new BiudError(`a batch of ${batch} needs at least ${batch} training volumes; the folder gives ${P} (${this.heldIds.length} more are held out). Use a smaller --batch or more volumes`);
    const rng = mulberry32(streamSeed(this.seed, 0x5700 + step));
    const chosen = new Set<number>();
    while (chosen.size < batch) chosen.add(this.trainIds[Math.floor(rng() * P)]);
    return [...chosen].map((id) => this.trainingItem(id));
  }

  /** The training volumes: `id` is the volumeSeed of a training item. */
  trainingVolumes(): { id: number; labels: Uint8Array }[] {
    return this.trainIds.map((id) => ({ id, labels: this.volumes[id].labels }));
  }

  /** A training item for volume `id`: a real volume has one report, its own. */
  trainingItem(id: number): CtItem {
    return { volumeSeed: id, labels: this.volumes[id].labels.slice(), report: this.volumes[id].report };
  }

  /** Volume `id` (a training id, or −1 − id for a held-out one) on the training grid, back in HU for viewing: [D, H, W], x fastest. */
  volumeHU(id: number): Float32Array {
    const [lo, hi] = HU_WINDOW;
    return Float32Array.from(this.grids[id < 0 ? -1 - id : id], (v) => lo + v * (hi - lo));
  }

  /** The held-out volumes, in file order, at most n (held-out items carry volumeSeed = −1 − pool index, as the cohort's do). */
  heldout(n: number): CtItem[] {
    return this.heldIds.slice(0, n).map((id) => ({ volumeSeed: -1 - id, labels: this.volumes[id].labels.slice(), report: this.volumes[id].report }));
  }

  renderCt(e: Engine, items: CtItem[], cfg: BiudConfig): Tensor {
    const key = `${cfg.ct.size}/${cfg.ct.spacing}`;
    if (key !== this.gridKey) throw new BiudError(`these volumes were resampled to ${this.gridKey} (size/spacing); the model asks for ${key}`);
    const ids = items.map((it) => (it.volumeSeed < 0 ? -1 - it.volumeSeed : it.volumeSeed));
    const bad = ids.find((id) => !(id >= 0 && id < this.volumes.length));
    if (bad !== undefined) throw new BiudError(`volume ${bad} is not in this folder's pool of ${this.volumes.length}`);
    const voxels = this.grids[0].length;
    return e.noGrad(() => this.rows.gather(e, ids, key, this.volumes.length, voxels, 16, (from, to) => {
      const host = new Float32Array((to - from) * voxels);
      for (let i = from; i < to; i++) host.set(this.grids[i], (i - from) * voxels);
      return e.tensor(host, [to - from, voxels]);
    })).reshape([items.length, 1, ...cfg.ct.size]);
  }

  renderXray(e: Engine, items: XrayItem[], cfg: BiudConfig): Tensor {
    return this.xrays.renderXray(e, items, cfg);
  }

  dispose(): void {
    this.rows.dispose();
    this.xrays.dispose();
  }
}

/**
 * Read, resample and window every volume once (on `engine`, which may be a short-lived one),
 * then the pool. Volumes that cannot be read are skipped with their reason; it fails only when
 * too few are left to split.
 */
export async function loadVolumeData(engine: Engine, sources: VolumeSource[], xrays: CohortData, cfg: BiudConfig, opts: VolumeDataOptions = {}): Promise<VolumeData> {
  const grid = { size: [...cfg.ct.size] as HuVolume['dims'], spacing: [...cfg.ct.spacing] as HuVolume['spacing'] };
  const loaded: { source: VolumeSource; grid: Float32Array; warnings: string[] }[] = [];
  const skipped: SkippedVolume[] = [];
  for (const source of sources) {
    try {
      const p = preprocessVolume(engine, await source.load(), grid);
      const voxels = (await p.volume.data()) as Float32Array;
      p.volume.dispose();
      loaded.push({ source, grid: voxels, warnings: p.warnings });
      opts.onVolume?.(loaded.length + skipped.length, sources.length, source.name);
    } catch (err) {
      const s = skippedVolume(source.name, err);
      skipped.push(s);
      opts.onVolume?.(loaded.length + skipped.length, sources.length, source.name, s.reason);
    }
  }
  const rows = new Set(loaded.map((l) => l.source.report.accession)).size;
  if (rows < 2) {
    const why = skipped.length ? `; skipped: ${skipped.slice(0, 3).map((s) => `${s.name}: ${s.reason}`).join('; ')}` : '';
    throw new BiudError(`training on volumes needs volumes of at least 2 report rows (one is held out); ${loaded.length} of ${sources.length} volumes were read, of ${rows} row${rows === 1 ? '' : 's'}${why}`);
  }
  return new VolumeData(opts.seed ?? cfg.seed, xrays, cfg, loaded, skipped, opts.rowsPerBuffer);
}
