// Primitives of the procedural chest (tubes, airways, ellipsoids, sacs) as TypeScript objects,
// packed after the anatomy slots in painting order, and the brick lists that let each voxel test
// only the primitives whose bounding boxes reach its 4³ brick (the tile size: one workgroup).
import { KIND, FLAG, LAYER, PRIM_VEC4, NUM_SLOTS, BRICK, BRICK_HEADER, GROUP_OF_LAYER, GROUPS } from './phantom-layout.ts';
import type { V3 } from './phantom-ref.ts';

export interface Prim {
  layer: number;
  kind: number;
  hu: number;
  flags: number;
  /** Header p: airway wall thickness, lobulation amplitude (tubes), gas level (sacs). */
  p: number;
  /** Seeds the primitive's own noise; stable across finding sets (anatomy counts up, findings by finding and instance). */
  seedId: number;
  /** Four payload vec4s. */
  v: number[];
  /** Bounding box in patient coordinates, shape and lobulation included (not the ramp). */
  lo: V3;
  hi: V3;
  tag: string;
}

export interface PrimOptions {
  layer: number;
  flags?: number;
  seedId: number;
  tag: string;
  /** Lobulation amplitude (mm): the surface moves by up to this much with noise. */
  lob?: number;
}

const MAX_SEED_ID = 1 << 20;

function checkSeed(id: number): number {
  if (!(Number.isInteger(id) && id >= 0 && id < MAX_SEED_ID)) throw new Error(`primitive seed id ${id} out of range`);
  return id;
}

export function tube(a: V3, ra: number, b: V3, rb: number, hu: number, o: PrimOptions): Prim {
  const m = Math.max(ra, rb) + (o.lob ?? 0);
  return {
    layer: o.layer, kind: KIND.tube, hu, flags: o.flags ?? 0, p: o.lob ?? 0, seedId: checkSeed(o.seedId), tag: o.tag,
    v: [...a, ra, ...b, rb, 0, 0, 0, 0, 0, 0, 0, 0],
    lo: [0, 1, 2].map((i) => Math.min(a[i], b[i]) - m) as V3,
    hi: [0, 1, 2].map((i) => Math.max(a[i], b[i]) + m) as V3,
  };
}

/** An airway: air lumen of radius ra→rb inside a wall of `wall` mm at `hu`. */
export function airway(a: V3, ra: number, b: V3, rb: number, wall: number, hu: number, o: PrimOptions): Prim {
  const t = tube(a, ra + wall, b, rb + wall, hu, o);
  return { ...t, kind: KIND.airway, p: wall, v: [...a, ra, ...b, rb, 0, 0, 0, 0, 0, 0, 0, 0] };
}

/** An ellipsoid with unit axes `axes` and semi-axes `radii`. */
export function ellipsoid(c: V3, axes: [V3, V3, V3], radii: V3, hu: number, o: PrimOptions): Prim {
  const lob = o.lob ?? 0;
  // Half-extent along world axis j: √Σᵢ (rᵢ eᵢⱼ)²; the distance approximation errs by at most a
  // few per cent of the largest radius, covered by the margin.
  const ext = [0, 1, 2].map((j) => Math.sqrt(axes.reduce((s, e, i) => s + (radii[i] * e[j]) ** 2, 0)) + lob + 0.1 * Math.max(...radii));
  return {
    layer: o.layer, kind: KIND.ellipsoid, hu, flags: o.flags ?? 0, p: 0, seedId: checkSeed(o.seedId), tag: o.tag,
    v: [...c, lob, ...axes[0], radii[0], ...axes[1], radii[1], ...axes[2], radii[2]],
    lo: [0, 1, 2].map((j) => c[j] - ext[j]) as V3,
    hi: [0, 1, 2].map((j) => c[j] + ext[j]) as V3,
  };
}

/** A sac (axis-aligned ellipsoid) with a wall at `wallHU`, gas above y = c.y + level, fluid below. */
export function sac(c: V3, radii: V3, wallHU: number, level: number, o: PrimOptions): Prim {
  const e = ellipsoid(c, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], radii, wallHU, o);
  return { ...e, kind: KIND.sac, p: level };
}

/** Stable sort into painting order, then pack: anatomy slots, then the primitives. */
export function packBlock(slots: Float32Array, prims: Prim[]): { prm: Float32Array; order: Prim[] } {
  const order = prims.map((p, i) => [p, i] as const).sort((a, b) => a[0].layer - b[0].layer || a[1] - b[1]).map(([p]) => p);
  const prm = new Float32Array(4 * (NUM_SLOTS + PRIM_VEC4 * order.length));
  prm.set(slots);
  order.forEach((p, k) => {
    const o = 4 * (NUM_SLOTS + PRIM_VEC4 * k);
    prm.set([p.kind, p.hu, (p.flags & 15) + 16 * p.seedId, p.p], o);
    prm.set(p.v, o + 4);
  });
  return { prm, order };
}

export interface BrickTable {
  /** Bricks along x, y, z. */
  counts: V3;
  /** [start, count per group] per brick (BRICK_HEADER u32s), then the primitive lists in painting order. */
  table: Uint32Array;
}

/**
 * For each brick of BRICK³ voxels, the primitives whose box (grown by the ramp, plus a voxel of slack)
 * meets it, in painting order; tubes must also pass within reach of the brick by their exact
 * distance from its centre. `toGrid` maps a patient point to grid mm (the inverse pose),
 * `toPatient` a (fractional) voxel index to its patient point.
 */
export function buildBricks(order: Prim[], dims: V3, spacing: V3, h: number, toGrid: (q: V3) => V3, toPatient: (vi: V3) => V3): BrickTable {
  const counts = dims.map((n) => Math.ceil(n / BRICK)) as V3;
  const nb = counts[0] * counts[1] * counts[2];
  const lists: number[][] = Array.from({ length: nb }, () => []);
  const margin = h + 1;
  const reach = 0.5 * Math.hypot(...spacing.map((s) => (BRICK - 1) * s)) + margin;
  order.forEach((p, k) => {
    const isTube = p.kind === KIND.tube || p.kind === KIND.airway;
    const a: V3 = [p.v[0], p.v[1], p.v[2]], b: V3 = [p.v[4], p.v[5], p.v[6]];
    const r = Math.max(p.v[3], p.v[7]) + (p.kind === KIND.airway ? p.p : p.p /* lobulation */);
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let c = 0; c < 8; c++) {
      const q: V3 = [0, 1, 2].map((a) => ((c >> a) & 1 ? p.hi[a] + margin : p.lo[a] - margin)) as V3;
      const g = toGrid(q);
      for (let a = 0; a < 3; a++) {
        const v = g[a] / spacing[a] + (dims[a] - 1) / 2;
        lo[a] = Math.min(lo[a], v);
        hi[a] = Math.max(hi[a], v);
      }
    }
    const b0 = lo.map((v, a) => Math.max(0, Math.floor(Math.floor(v) / BRICK)));
    const b1 = hi.map((v, a) => Math.min(counts[a] - 1, Math.floor(Math.ceil(v) / BRICK)));
    for (let z = b0[2]; z <= b1[2]; z++) for (let y = b0[1]; y <= b1[1]; y++) for (let x = b0[0]; x <= b1[0]; x++) {
      if (isTube) {
        const c = [x, y, z].map((i, ax) => Math.min(i * BRICK + (BRICK - 1) / 2, (i * BRICK + Math.min(BRICK, dims[ax] - i * BRICK) - 1 + i * BRICK) / 2)) as V3;
        if (segmentDistance(toPatient(c), a, b) - r > reach) continue;
      }
      lists[x + counts[0] * (y + counts[1] * z)].push(k);
    }
  });
  const total = lists.reduce((s, l) => s + l.length, 0);
  const table = new Uint32Array(BRICK_HEADER * nb + Math.max(total, 1));
  let at = 0;
  lists.forEach((l, b) => {
    // Layers are sorted, so each group is a run of the brick's list.
    table[BRICK_HEADER * b] = at;
    for (const k of l) table[BRICK_HEADER * b + 1 + GROUP_OF_LAYER[order[k].layer]]++;
    table.set(l, BRICK_HEADER * nb + at);
    at += l.length;
  });
  return { counts, table };
}

function segmentDistance(p: V3, a: V3, b: V3): number {
  const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const l2 = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2;
  const t = l2 > 0 ? Math.min(1, Math.max(0, ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1] + (p[2] - a[2]) * ab[2]) / l2)) : 0;
  return Math.hypot(p[0] - a[0] - t * ab[0], p[1] - a[1] - t * ab[1], p[2] - a[2] - t * ab[2]);
}

/** The primitives of brick b, in painting order, and how many of each group. */
export function brickList(t: Uint32Array, nb: number, b: number): { list: Uint32Array; groups: number[] } {
  const groups = Array.from({ length: GROUPS }, (_, g) => t[BRICK_HEADER * b + 1 + g]);
  const start = BRICK_HEADER * nb + t[BRICK_HEADER * b];
  return { list: t.subarray(start, start + groups.reduce((s, n) => s + n, 0)), groups };
}

export { KIND, FLAG, LAYER };
