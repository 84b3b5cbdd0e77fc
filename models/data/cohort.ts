// The synthetic CT cohort: procedural chests whose findings are the label vectors of real CT-RATE
// reports, each paired with a real report carrying exactly that finding set. Drawing reports
// uniformly keeps the real prevalence and co-occurrence of the 18 findings. The reports are split
// once, by a fixed seed, into training and held-out sets; held-out volumes are paired only with
// reports never used in training.
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { readCtRateCsv, LABEL_MISSING } from '../text/ct-rate.ts';
import { labelReport } from '../text/labeler.ts';
import { mulberry32, shuffle } from '../text/rng.ts';
import { NUM_FINDINGS, FINDINGS } from './findings.ts';
import { buildPhantom, renderPhantoms, streamSeed, type Phantom } from './phantom.ts';
import { windowHU, HU_WINDOW, type Grid } from './preprocess.ts';

/** Where the shipped hand-labelled CT-RATE reports live in the repository. */
export const CT_REPORTS_PATH = 'data/ct-reports/ct-rate-train.csv';
/** The report split is fixed by this seed unless asked otherwise, so every cohort agrees on it. */
export const SPLIT_SEED = 20240601;
export const HELDOUT_FRACTION = 0.2;

export interface CohortReport {
  /** Row in the source table. */
  index: number;
  accession: string;
  text: string;
  /** 0/1 per finding (FINDINGS order). */
  labels: Uint8Array;
  /** Hand labels from the CSV, the report labeler where the CSV has none, or both. */
  labelSource: 'hand' | 'labeler' | 'mixed';
}

/**
 * Reports and their label vectors from any CT-RATE-format CSV: the hand-labelled finding columns
 * where present, the rule-based labeler (models/text) for any finding the file lacks.
 */
export function reportsFromCsv(input: string | Uint8Array, source = 'reports.csv'): CohortReport[] {
  const table = readCtRateCsv(input, source);
  if (!table.reports.length) throw new BiudError(`${source}: no usable report rows${table.problems.length ? ` (${table.problems[0].where}: ${table.problems[0].message})` : ''}`);
  return table.reports.map((r, index) => {
    const hand = r.labels;
    const complete = hand && hand.every((v) => v !== LABEL_MISSING);
    let labels: Uint8Array;
    let labelSource: CohortReport['labelSource'] = 'hand';
    if (complete) labels = hand.slice();
    else {
      const auto = labelReport(r.text).labels;
      labels = hand ? hand.map((v, k) => (v === LABEL_MISSING ? auto[k] : v)) : auto;
      labelSource = hand ? 'mixed' : 'labeler';
    }
    return { index, accession: r.accession, text: r.text, labels, labelSource };
  });
}

export interface ReportSplit {
  train: number[];
  heldout: number[];
}

/** A seeded split of report indices; `heldoutFraction` of them (at least one) are held out. */
export function splitReports(count: number, opts: { splitSeed?: number; heldoutFraction?: number } = {}): ReportSplit {
  const f = opts.heldoutFraction ?? HELDOUT_FRACTION;
  if (!(f > 0 && f < 1)) throw new BiudError(`heldoutFraction must be in (0, 1), got ${f}`);
  if (count < 2) throw new BiudError(`a train/held-out split needs at least 2 reports, got ${count}`);
  const order = shuffle(mulberry32(opts.splitSeed ?? SPLIT_SEED), Array.from({ length: count }, (_, i) => i));
  const k = Math.min(count - 1, Math.max(1, Math.round(f * count)));
  return { heldout: order.slice(0, k).sort((a, b) => a - b), train: order.slice(k).sort((a, b) => a - b) };
}

export interface CohortOptions {
  reports: CohortReport[];
  seed: number;
  n: number;
  split: 'train' | 'heldout';
  /** Volume [D, H, W]; default 64³. */
  size?: [number, number, number];
  /** Spacing [z, y, x] mm; default 5 mm. */
  spacing?: [number, number, number];
  splitSeed?: number;
  heldoutFraction?: number;
}

export interface CohortItem {
  /** Position in the cohort. */
  index: number;
  split: 'train' | 'heldout';
  /** The procedural patient's seed. */
  seed: number;
  /** The volume's findings: those of its report. */
  labels: Uint8Array;
  /** Index into the `reports` the cohort was made from. */
  reportIndex: number;
  accession: string;
  reportText: string;
  grid: Grid;
}

const labelKey = (l: ArrayLike<number>) => Array.from(l).join('');

/**
 * `n` volumes: for each, a report drawn uniformly from the split (its label vector becomes the
 * volume's findings) and, as its text, a report of the same split with exactly that finding set
 * (a different one when the set is shared, so a common set like "all normal" gets many texts).
 */
export function makeCohort(opts: CohortOptions): CohortItem[] {
  const { reports, seed, n, split } = opts;
  if (!Number.isInteger(n) || n < 0) throw new BiudError(`cohort size n must be a non-negative integer, got ${n}`);
  if (split !== 'train' && split !== 'heldout') throw new BiudError(`split must be 'train' or 'heldout', got ${JSON.stringify(split)}`);
  for (const r of reports) {
    if (r.labels.length !== NUM_FINDINGS) throw new BiudError(`report ${r.accession}: ${r.labels.length} labels, expected ${NUM_FINDINGS}`);
  }
  const grid: Grid = { size: opts.size ?? [64, 64, 64], spacing: opts.spacing ?? [5, 5, 5] };
  const pool = splitReports(reports.length, opts)[split];
  const bySet = new Map<string, number[]>();
  for (const i of pool) {
    const key = labelKey(reports[i].labels);
    bySet.set(key, [...(bySet.get(key) ?? []), i]);
  }
  // Train and held-out streams differ, so their patients differ too.
  const tag = split === 'train' ? 0x7a11 : 0x4e1d;
  const rng = mulberry32(streamSeed(seed, tag));
  const items: CohortItem[] = [];
  for (let i = 0; i < n; i++) {
    const drawn = reports[pool[Math.floor(rng() * pool.length)]];
    const same = bySet.get(labelKey(drawn.labels))!;
    const paired = reports[same[Math.floor(rng() * same.length)]];
    items.push({
      index: i, split, seed: streamSeed(streamSeed(seed, tag), i), labels: paired.labels.slice(),
      reportIndex: paired.index, accession: paired.accession, reportText: paired.text, grid: { size: [...grid.size], spacing: [...grid.spacing] },
    });
  }
  return items;
}

/** Prevalence of each finding over label vectors. */
export function prevalence(labels: ArrayLike<number>[]): number[] {
  const p = new Array(NUM_FINDINGS).fill(0);
  for (const l of labels) for (let k = 0; k < NUM_FINDINGS; k++) p[k] += l[k] ? 1 : 0;
  return p.map((c) => c / Math.max(labels.length, 1));
}

/** The procedural patient of an item (on its own grid, or `grid`). */
export function itemPhantom(item: CohortItem, grid: Grid = item.grid): Phantom {
  return buildPhantom(item.seed, item.labels, grid);
}

export interface RenderOptions {
  /** Render on this grid instead of the item's (e.g. a config's `ct` section: { size, spacing }). */
  grid?: Grid;
  /** HU window to [0, 1]; null keeps Hounsfield units. Default [−1150, 350]. */
  window?: readonly [number, number] | null;
}

/** One item's volume: [D, H, W], windowed to [0, 1] (the model's input) unless window is null. */
export function renderVolume(e: Engine, item: CohortItem, opts: RenderOptions = {}): Tensor {
  const v = renderBatch(e, [item], opts);
  const one = v.reshape(v.shape.slice(2));
  v.dispose();
  return one;
}

/** Items of one grid as a batch [B, 1, D, H, W] (the CT encoder's input layout). */
export function renderBatch(e: Engine, items: CohortItem[], opts: RenderOptions = {}): Tensor {
  if (!items.length) throw new BiudError('renderBatch: no items');
  const grid = opts.grid ?? items[0].grid;
  const phs = items.map((it) => itemPhantom(it, { size: [...grid.size], spacing: [...grid.spacing] }));
  const win = opts.window === undefined ? HU_WINDOW : opts.window;
  return e.scope(() => {
    const hu = renderPhantoms(e, phs);
    const y = win ? windowHU(hu, win[0], win[1]) : hu;
    return y.reshape([items.length, 1, ...grid.size]);
  });
}

/** The names of an item's findings, for captions. */
export function findingNames(labels: ArrayLike<number>): string[] {
  return FINDINGS.filter((_, k) => labels[k]);
}
