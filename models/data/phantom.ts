// The procedural chest CT: a patient drawn from a seed (anatomy, vessel and airway trees, the
// findings of a label vector), packed into a parameter block, and rendered on the GPU in
// Hounsfield units by shaders/phantom*.wgsl, one thread per voxel. Same seed, same patient, at
// any grid; the same seed with another label vector is the same patient with other findings.
import header from '../../shaders/phantom.wgsl';
import anatomyWgsl from '../../shaders/phantom-anatomy.wgsl';
import findingsWgsl from '../../shaders/phantom-findings.wgsl';
import { Kernel } from '../../engine/kernel.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { mulberry32 } from '../text/rng.ts';
import { NUM_FINDINGS, FINDINGS } from './findings.ts';
import { phantomHeader, LAYER, NUM_SLOTS, BRICK } from './phantom-layout.ts';
import { PhantomRef, hash, rampWidth, brickOf, type V3 } from './phantom-ref.ts';
import { sampleAnatomy, add, sub, type Landmarks } from './phantom-anatomy.ts';
import { growTree, bronchiAlong, lungPoints, type Bronchus } from './phantom-tree.ts';
import { tube, airway, packBlock, buildBricks, brickList, FLAG, type Prim, type BrickTable } from './phantom-prims.ts';
import { placeFinding, type FindingInstance } from './phantom-findings.ts';
import type { Grid } from './preprocess.ts';

export const PHANTOM_SOURCE = phantomHeader() + header + anatomyWgsl + findingsWgsl;
const kernel = new Kernel('phantom', PHANTOM_SOURCE, 'render');

/** Independent random streams of one patient: anatomy, trees, and one per finding. */
export function streamSeed(seed: number, stream: number): number {
  return hash(seed | 0, stream, 0x51ed27, 0x9e3779b9);
}

/** Voxels per side of a classification tile (one workgroup); divides the brick size. */
export const TILE = 4;

/** A class of tiles rendered by one specialised pipeline (see shaders/phantom.wgsl). */
export interface TileClass {
  /** 0: outside the body; 1: outside the thoracic cavity; 2: anything. */
  mode: 0 | 1 | 2;
  /** Which primitives reach these tiles: 0 none, 1 vessels and airways only, 2 general shapes too. */
  prims: 0 | 1 | 2;
  /** Where the class's tile ids start in the brick table, and how many. */
  offset: number;
  count: number;
}

export interface Phantom {
  seed: number;
  labels: Uint8Array;
  grid: Grid;
  /** Anatomy slots then primitives, as the GPU reads them. */
  prm: Float32Array;
  /** Brick lists, then each tile class's tile ids. */
  bricks: BrickTable;
  tiles: { counts: V3; classes: TileClass[] };
  /** Primitives in painting order. */
  prims: Prim[];
  /** Seeds the GPU's noise (texture, image noise). */
  noiseSeed: number;
  /** Ramp width (mm): the grid's geometric-mean voxel size. */
  h: number;
  instances: FindingInstance[];
  landmarks: Landmarks;
}

function checkGrid(grid: Grid): void {
  const ok = (v: readonly number[], int: boolean) => v.length === 3 && v.every((x) => Number.isFinite(x) && x > 0 && (!int || Number.isInteger(x)));
  if (!ok(grid.size, true)) throw new BiudError(`phantom: size [${grid.size.join(', ')}] is impossible: it needs 3 positive integers [D, H, W]`);
  if (!ok(grid.spacing, false)) throw new BiudError(`phantom: spacing [${grid.spacing.join(', ')}] is impossible: it needs 3 positive numbers [z, y, x] mm`);
}

/** Grid in tensor order → dims and spacing in [x, y, z] order. */
function xyz(grid: Grid): { dims: V3; spacing: V3 } {
  return { dims: [grid.size[2], grid.size[1], grid.size[0]], spacing: [grid.spacing[2], grid.spacing[1], grid.spacing[0]] };
}

/**
 * Draw the patient of `seed` with the findings of `labels` (18 values, FINDINGS order; nonzero =
 * present), for rendering on `grid`. Pure TypeScript, a few milliseconds.
 */
export function buildPhantom(seed: number, labels: ArrayLike<number>, grid: Grid): Phantom {
  checkGrid(grid);
  if (labels.length !== NUM_FINDINGS) throw new BiudError(`phantom: ${labels.length} labels, expected ${NUM_FINDINGS} (${FINDINGS.join(', ')})`);
  const lab = Uint8Array.from(labels, (v) => (v ? 1 : 0));
  const { dims, spacing } = xyz(grid);
  const h = rampWidth(spacing);
  const noiseSeed = streamSeed(seed, 0);
  const { slots, lm } = sampleAnatomy(mulberry32(streamSeed(seed, 1)));
  const normal = new PhantomRef(slots.data.slice(), 0, noiseSeed, h);

  // Vessel and airway trees of each lung, grown in the normal anatomy.
  const rngT = mulberry32(streamSeed(seed, 2));
  const prims: Prim[] = [];
  let sid = 1;
  const vessel = (a: V3, ra: number, b: V3, rb: number, lungOnly: boolean, tag: string) =>
    prims.push(tube(a, ra, b, rb, 40, { layer: LAYER.vessel, flags: lungOnly ? FLAG.lungOnly : 0, seedId: sid++, tag }));
  const bronchi: Bronchus[] = [];
  for (const side of [1, -1]) {
    const hil = side > 0 ? lm.hilumR : lm.hilumL;
    const box = { lo: [side > 0 ? lm.medX : -lm.Ac, lm.ycc - lm.Bc, Math.min(lm.domeR, lm.domeL) - 90] as V3, hi: [side > 0 ? lm.Ac : lm.medX, lm.ycc + lm.Bc, lm.apexZ] as V3 };
    const artRoot = add(hil, [0, 6, 4]);
    const arteries = growTree(artRoot, lungPoints(normal, rngT, side, 36, box, 6), 1.25);
    for (const s of arteries) vessel(s.a, s.r, s.b, s.r, s.depth > 0, 'artery');
    bronchi.push(...bronchiAlong(arteries, sub(hil, artRoot)));
    const veinRoot: V3 = [lm.medX + side * (lm.medW + 4), lm.heartC[1] - lm.heartAxes[1] * 0.5, hil[2] - 35];
    for (const s of growTree(veinRoot, lungPoints(normal, rngT, side, 20, box, 6), 1.2)) vessel(s.a, s.r, s.b, s.r, s.depth > 0, 'vein');
  }

  // Mediastinal vessels and airways.
  const a = lm.aorta;
  const P0: V3 = [a[0][0], a[0][1], a[0][2]], P2: V3 = [a[2][0], a[2][1], a[2][2]], P3: V3 = [a[3][0], a[3][1], a[3][2]];
  const car = lm.trachea.carina, top = lm.trachea.top, rt = lm.trachea.r;
  const U = (lo: number, hi: number) => lo + (hi - lo) * rngT();
  const rpa = U(12, 15);
  const paStart = add(P0, [U(-30, -20), U(8, 15), U(-5, 5)]);
  const bif: V3 = [lm.medX - U(5, 12), car[1] + U(8, 15), car[2] - U(0, 8)];
  vessel(paStart, rpa, bif, rpa, false, 'pulmonary trunk');
  vessel(bif, 0.75 * rpa, add(lm.hilumR, [-5, 10, 2]), 0.7 * rpa, false, 'right pulmonary artery');
  vessel(bif, 0.75 * rpa, add(lm.hilumL, [0, 8, 8]), 0.7 * rpa, false, 'left pulmonary artery');
  vessel(lm.svc.top, lm.svc.r, lm.svc.bottom, lm.svc.r, false, 'superior vena cava');
  vessel(add(P2, [8, 5, 5]), 6, [14, car[1] + 14, 175], 5.5, false, 'brachiocephalic trunk');
  vessel(add(P2, [-5, 0, 8]), 4.5, [-10, car[1] + 16, 175], 4.5, false, 'left common carotid');
  vessel(add(P3, [0, 5, 8]), 5.5, [-22, car[1] + 4, 175], 5, false, 'left subclavian');
  const air = (p: V3, ra: number, q: V3, rb: number, wall: number, lungOnly: boolean, tag: string) =>
    prims.push(airway(p, ra, q, rb, wall, 35, { layer: LAYER.airway, flags: lungOnly ? FLAG.lungOnly : 0, seedId: sid++, tag }));
  air(top, rt, car, rt, 2.2, false, 'trachea');
  air(car, 0.75 * rt, lm.hilumR, 0.65 * rt, 1.8, false, 'right main bronchus');
  air(car, 0.7 * rt, lm.hilumL, 0.6 * rt, 1.8, false, 'left main bronchus');
  const lumen = rngT() < 0.5 ? U(2, 3.5) : 0.5, wall = U(5, 6.5);
  for (let i = 0; i + 1 < lm.esophagus.length; i++) air(lm.esophagus[i], lumen, lm.esophagus[i + 1], lumen, wall, false, 'esophagus');

  // Findings, each from its own stream, placed in the normal anatomy.
  const instances: FindingInstance[] = [];
  for (let k = 0; k < NUM_FINDINGS; k++) {
    if (!lab[k]) continue;
    placeFinding(k, { ref: normal, lm, slots, bronchi, rng: mulberry32(streamSeed(seed, 1000 + k)), prims, instances, seedBase: 100000 + 1000 * k });
  }
  bronchi.forEach((b, i) => {
    if (b.r >= 1.2 || b.changed) prims.push(airway(b.a, b.r, b.b, b.r, b.wall, b.changed ? 30 : 20, { layer: LAYER.airway, flags: b.depth > 0 ? FLAG.lungOnly : 0, seedId: 50000 + i, tag: 'bronchus' }));
  });

  const { prm, order } = packBlock(slots.data, prims);
  const ref = new PhantomRef(prm, order.length, noiseSeed, h);
  const bricks = buildBricks(order, dims, spacing, h, (q) => ref.gridPoint(q), (vi) => ref.patientPoint(vi, { dims, spacing }));
  const tiles = classifyTiles(ref, bricks, dims, spacing, h);
  return { seed, labels: lab, grid: { size: [...grid.size], spacing: [...grid.spacing] }, prm, bricks: tiles.bricks, tiles: tiles.tiles, prims: order, noiseSeed, h, instances, landmarks: lm };
}

/**
 * Sort 4³ tiles into classes by what can reach them, and append each class's tile ids to the brick
 * table. A tile is outside the body (or the cavity) when the distance at its centre exceeds its
 * half-diagonal with a 1.5× margin for the approximate distances, plus the ramp; the GPU test
 * against the reference (which never classifies) keeps this conservative.
 */
function classifyTiles(ref: PhantomRef, b: BrickTable, dims: V3, spacing: V3, h: number): { bricks: BrickTable; tiles: { counts: V3; classes: TileClass[] } } {
  const counts = dims.map((n) => Math.ceil(n / TILE)) as V3;
  // Classes: air; no cavity × prims 0/1/2; cavity × prims 0/1/2.
  const lists: number[][] = Array.from({ length: 7 }, () => []);
  const key = (mode: number, prims: number) => (mode === 0 ? 0 : 3 * mode - 2 + prims);
  const nb = b.counts[0] * b.counts[1] * b.counts[2];
  const per = BRICK_PER_TILE;
  for (let tz = 0, t = 0; tz < counts[2]; tz++) for (let ty = 0; ty < counts[1]; ty++) for (let tx = 0; tx < counts[0]; tx++, t++) {
    const lo = [tx, ty, tz].map((v) => v * TILE);
    const n = lo.map((v, a) => Math.min(TILE, dims[a] - v));
    const c = lo.map((v, a) => v + (n[a] - 1) / 2) as V3;
    const r = 0.5 * Math.hypot(...n.map((k, a) => (k - 1) * spacing[a]));
    const q = ref.patientPoint(c, { dims, spacing });
    const brick = Math.floor(tx / per) + b.counts[0] * (Math.floor(ty / per) + b.counts[1] * Math.floor(tz / per));
    const g = brickList(b.table, nb, brick).groups;
    const prims = g[1] + g[3] > 0 ? 2 : g[0] + g[2] > 0 ? 1 : 0;
    const margin = 1.5 * r + h;
    const mode = ref.bodySdf(q) > margin && !prims ? 0 : ref.cavitySdf(q) > margin ? 1 : 2;
    lists[key(mode, prims)].push(t);
  }
  const total = lists.reduce((s, l) => s + l.length, 0);
  const table = new Uint32Array(b.table.length + total);
  table.set(b.table);
  let at = b.table.length;
  const classes: TileClass[] = [];
  lists.forEach((l, k) => {
    const mode = (k === 0 ? 0 : k <= 3 ? 1 : 2) as 0 | 1 | 2;
    classes.push({ mode, prims: (k === 0 ? 0 : (k - 1) % 3) as 0 | 1 | 2, offset: at, count: l.length });
    table.set(l, at);
    at += l.length;
  });
  return { bricks: { counts: b.counts, table }, tiles: { counts, classes } };
}

const BRICK_PER_TILE = BRICK / TILE;

/** The reference voxel function over this phantom's parameter block. */
export function phantomRef(ph: Phantom): PhantomRef {
  return new PhantomRef(ph.prm, ph.prims.length, ph.noiseSeed, ph.h);
}

function launch(e: Engine, ph: Phantom, prm: Tensor, bricks: Tensor, out: Tensor, outOffset: number): void {
  const { dims, spacing } = xyz(ph.grid);
  const n = dims[0] * dims[1] * dims[2];
  const slots = Array.from(ph.prm.subarray(0, 4 * NUM_SLOTS));
  for (const c of ph.tiles.classes) {
    if (!c.count) continue;
    e.dispatch(kernel, {
      bindings: { prm, bricks, out },
      uniforms: {
        dims: [...dims, n],
        spacing: [...spacing, ph.h],
        offs: [0, 0, outOffset, ph.noiseSeed],
        bricks: [...ph.bricks.counts, ph.prims.length],
        tiles: [c.offset, c.count, ph.tiles.counts[0], ph.tiles.counts[1]],
        slots,
      },
      workgroups: e.grid1d(c.count, 1),
      constants: { MODE: c.mode, PRIMS: c.prims },
    });
  }
}

/** Render one phantom: a [D, H, W] tensor in Hounsfield units. */
export function renderPhantom(e: Engine, ph: Phantom): Tensor {
  const batch = renderPhantoms(e, [ph]);
  const one = batch.reshape(ph.grid.size);
  batch.dispose();
  return one;
}

/** Render phantoms of one grid into a [B, D, H, W] tensor (one dispatch each, one submit). */
export function renderPhantoms(e: Engine, phs: Phantom[]): Tensor {
  if (!phs.length) throw new BiudError('renderPhantoms: no phantoms');
  const size = phs[0].grid.size;
  if (phs.some((p) => p.grid.size.join() !== size.join())) throw new BiudError(`renderPhantoms: all phantoms must share one grid size; got ${phs.map((p) => `[${p.grid.size}]`).join(', ')}`);
  const n = size[0] * size[1] * size[2];
  const bytes = n * phs.length * 4;
  if (bytes > e.limits.maxStorageBufferBindingSize) {
    throw new BiudError(`rendering ${phs.length} volumes of [${size.join(', ')}] needs ${bytes} bytes, over this adapter's maxStorageBufferBindingSize (${e.limits.maxStorageBufferBindingSize}): render fewer at a time`);
  }
  const out = e.empty([phs.length, ...size]);
  e.scope(() => {
    phs.forEach((ph, i) => {
      // The slots travel as uniforms (the same for every voxel); the primitives as storage.
      const p = ph.prm.length > 4 * NUM_SLOTS ? ph.prm.subarray(4 * NUM_SLOTS) : new Float32Array(4);
      const prm = e.tensor(p, [p.length]);
      const bricks = e.tensor(new Int32Array(ph.bricks.table.buffer, ph.bricks.table.byteOffset, ph.bricks.table.length), [ph.bricks.table.length], 'int32');
      launch(e, ph, prm, bricks, out, i * n);
    });
  });
  return out;
}

/** The same volume from the TypeScript reference (slow: tests on small grids). */
export function renderPhantomRef(ph: Phantom, opts: { useBricks?: boolean } = {}): Float32Array {
  const { dims, spacing } = xyz(ph.grid);
  const ref = phantomRef(ph);
  const out = new Float32Array(dims[0] * dims[1] * dims[2]);
  const t = ph.bricks.table;
  const nb = ph.bricks.counts[0] * ph.bricks.counts[1] * ph.bricks.counts[2];
  for (let k = 0, o = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, o++) {
        const vi: V3 = [i, j, k];
        const list = opts.useBricks ? brickList(t, nb, brickOf(vi, ph.bricks.counts)).list : undefined;
        out[o] = ref.voxel(ref.patientPoint(vi, { dims, spacing }), vi, list);
      }
    }
  }
  return out;
}

/** Bytes of one phantom's parameter block and brick table (what a render uploads). */
export function phantomBytes(ph: Phantom): number {
  return ph.prm.byteLength + ph.bricks.table.byteLength;
}

