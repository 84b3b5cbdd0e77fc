// Chest X-rays for the X-ray expert: DRRs of procedural chests (other patients than the CT cohort's)
// whose findings are those of real Indiana University chest X-ray reports, each paired with a
// real IU report of exactly that finding set (the labeler maps IU text and MeSH terms onto the 18
// findings, leaving out what a radiograph cannot show). Real X-ray PNGs load through the same
// image path: gray in [0, 1], resized on the GPU to the expert's input size.
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { readIuXrayArchive, iuReportText } from '../text/iu-xray.ts';
import { labelXrayReport } from '../text/xray-labels.ts';
import { mulberry32 } from '../text/rng.ts';
import { NUM_FINDINGS } from './findings.ts';
import { splitReports } from './cohort.ts';
import { buildPhantom, renderPhantoms, streamSeed } from './phantom.ts';
import { drr, type DrrOptions } from './drr.ts';
import { resizeImage, type Grid } from './preprocess.ts';
import { decodePng, pngToGray } from './png.ts';

/** Where the IU X-ray report archive lives in the repository. */
export const IU_REPORTS_PATH = 'data/cxr-reports/NLMCXR_reports.tgz';

export interface XrayReport {
  /** Position among the archive's usable reports. */
  index: number;
  /** "CXR1". */
  id: string;
  /** Findings and impression, verbatim. */
  text: string;
  /** 0/1 per finding; 0 where an X-ray cannot show it. */
  labels: Uint8Array;
  /** 1 where an X-ray can show the finding. */
  observable: Uint8Array;
}

/** The archive's reports that have text, with their X-ray label vectors. */
export async function xrayReportsFromArchive(bytes: Uint8Array, source = IU_REPORTS_PATH): Promise<XrayReport[]> {
  const { reports } = await readIuXrayArchive(bytes, source);
  const out: XrayReport[] = [];
  for (const r of reports) {
    const text = iuReportText(r);
    if (!text.trim()) continue;
    const l = labelXrayReport(r);
    out.push({ index: out.length, id: r.id, text, labels: l.labels, observable: l.observable });
  }
  if (!out.length) throw new BiudError(`${source}: no report with findings or impression text`);
  return out;
}

/** The radiograph an X-ray expert takes: [rows, cols] pixels of [row, col] mm. */
export interface ImageSpec {
  size: [number, number];
  spacing: [number, number];
}

/** A config's image section ({ size: [1, H, W], spacing: [1, sy, sx] }) as an ImageSpec. */
export function imageSpec(v: { size: readonly number[]; spacing: readonly number[] }): ImageSpec {
  const s = v.size.length === 3 ? v.size.slice(1) : v.size;
  const p = v.spacing.length === 3 ? v.spacing.slice(1) : v.spacing;
  if (s.length !== 2 || p.length !== 2) throw new BiudError(`an X-ray image needs [rows, cols] (or [1, rows, cols]), got size [${v.size}] spacing [${v.spacing}]`);
  return { size: [s[0], s[1]], spacing: [p[0], p[1]] };
}

export const DEFAULT_IMAGE: ImageSpec = { size: [64, 64], spacing: [5, 5] };
/** Front-to-back sampling of the phantom behind each radiograph pixel. */
const AP_SPACING = 5;
const AP_EXTENT = 320;

export interface XrayItem {
  index: number;
  split: 'train' | 'heldout';
  seed: number;
  labels: Uint8Array;
  reportIndex: number;
  reportId: string;
  reportText: string;
  image: ImageSpec;
}

export interface XrayCohortOptions {
  reports: XrayReport[];
  seed: number;
  n: number;
  split: 'train' | 'heldout';
  image?: ImageSpec;
  splitSeed?: number;
  heldoutFraction?: number;
}

const labelKey = (l: ArrayLike<number>) => Array.from(l).join('');

/** `n` radiographs, each from a report drawn from the split and paired with a report of its finding set. */
export function makeXrayCohort(opts: XrayCohortOptions): XrayItem[] {
  const { reports, seed, n, split } = opts;
  if (!Number.isInteger(n) || n < 0) throw new BiudError(`cohort size n must be a non-negative integer, got ${n}`);
  if (split !== 'train' && split !== 'heldout') throw new BiudError(`split must be 'train' or 'heldout', got ${JSON.stringify(split)}`);
  const pool = splitReports(reports.length, opts)[split];
  const bySet = new Map<string, number[]>();
  for (const i of pool) bySet.set(labelKey(reports[i].labels), [...(bySet.get(labelKey(reports[i].labels)) ?? []), i]);
  // Streams apart from the CT cohort's: the X-rays show other patients.
  const tag = split === 'train' ? 0x3a71 : 0x3b72;
  const rng = mulberry32(streamSeed(seed, tag));
  const image = opts.image ?? DEFAULT_IMAGE;
  return Array.from({ length: n }, (_, i) => {
    const drawn = reports[pool[Math.floor(rng() * pool.length)]];
    const same = bySet.get(labelKey(drawn.labels))!;
    const r = reports[same[Math.floor(rng() * same.length)]];
    return { index: i, split, seed: streamSeed(streamSeed(seed, tag), i), labels: r.labels.slice(), reportIndex: r.index, reportId: r.id, reportText: r.text, image: { size: [...image.size], spacing: [...image.spacing] } };
  });
}

/** The phantom grid behind a radiograph: rows along z, columns along x, 320 mm front to back. */
export function xrayGrid(image: ImageSpec, supersample = 1): Grid {
  return {
    size: [image.size[0] * supersample, Math.ceil(AP_EXTENT / AP_SPACING), image.size[1] * supersample],
    spacing: [image.spacing[0] / supersample, AP_SPACING, image.spacing[1] / supersample],
  };
}

export interface XrayRenderOptions {
  image?: ImageSpec;
  /** Render the phantom this many times finer in the image plane, then average down (less aliasing). */
  supersample?: number;
  drr?: DrrOptions;
}

/** Radiographs of items as a batch [B, 1, rows, cols] in [0, 1]. */
export function renderXrays(e: Engine, items: { seed: number; labels: ArrayLike<number>; image?: ImageSpec }[], opts: XrayRenderOptions = {}): Tensor {
  if (!items.length) throw new BiudError('renderXrays: no items');
  const image = opts.image ?? items[0].image ?? DEFAULT_IMAGE;
  const ss = opts.supersample ?? 1;
  if (!Number.isInteger(ss) || ss < 1 || ss > 4) throw new BiudError(`renderXrays: supersample must be 1..4, got ${ss}`);
  const grid = xrayGrid(image, ss);
  for (const it of items) if (it.labels.length !== NUM_FINDINGS) throw new BiudError(`renderXrays: ${it.labels.length} labels, expected ${NUM_FINDINGS}`);
  return e.scope(() => {
    const hu = renderPhantoms(e, items.map((it) => buildPhantom(it.seed, it.labels, grid)));
    const img = drr(hu, grid.spacing[1], opts.drr);
    if (ss === 1) return img.reshape([items.length, 1, ...image.size]);
    const rows = img.reshape([items.length * grid.size[0], grid.size[2]]);
    // Average each ss×ss block: resize the stacked images (blocks never straddle two images).
    const small = resizeImage(rows, [items.length * image.size[0], image.size[1]], { antialias: true });
    return small.reshape([items.length, 1, ...image.size]);
  });
}

/** One item's radiograph [rows, cols]. */
export function renderXray(e: Engine, item: XrayItem, opts: XrayRenderOptions = {}): Tensor {
  const b = renderXrays(e, [item], opts);
  const one = b.reshape(b.shape.slice(2));
  b.dispose();
  return one;
}

/**
 * A real X-ray PNG as the expert sees it: gray in [0, 1] (bright bone, as stored), resized on the
 * GPU to `size` [rows, cols] with a box prefilter. Non-square images are stretched, as CLIP-style
 * pipelines do after a centre crop; pass `crop` to cut the centre square first.
 */
export async function loadXrayPng(e: Engine, bytes: Uint8Array, size: [number, number], opts: { name?: string; crop?: boolean } = {}): Promise<Tensor> {
  const png = await decodePng(bytes, { name: opts.name });
  let gray = pngToGray(png);
  let [h, w] = [png.height, png.width];
  if (opts.crop && h !== w) {
    const s = Math.min(h, w), y0 = (h - s) >> 1, x0 = (w - s) >> 1;
    const c = new Float32Array(s * s);
    for (let r = 0; r < s; r++) c.set(gray.subarray((y0 + r) * w + x0, (y0 + r) * w + x0 + s), r * s);
    [gray, h, w] = [c, s, s];
  }
  return e.scope(() => resizeImage(e.tensor(gray, [h, w]), size, { antialias: true }));
}
