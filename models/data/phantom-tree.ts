// Pulmonary arteries, veins and bronchi as branching trees that fill each lung. Target points are
// drawn inside the lung; from the hilum a branch heads for the centroid of the targets it serves,
// then splits them in two across their longest spread, recursively, until each branch reaches one
// target. Radii follow Murray's law: r = r_leaf · n^(1/2.6) for a branch serving n targets.
// Bronchi run beside the arteries (the bronchovascular bundle), offset sideways.
import type { Rng } from '../text/rng.ts';
import type { PhantomRef, V3 } from './phantom-ref.ts';
import { add, sub, scale, cross, dot, norm } from './phantom-anatomy.ts';

export interface Branch {
  a: V3;
  b: V3;
  r: number;
  depth: number;
  parent: number;
}

export interface Bronchus {
  a: V3;
  b: V3;
  /** Lumen radius (mm). */
  r: number;
  /** Wall thickness (mm). */
  wall: number;
  depth: number;
  /** Set by a finding that changed it (emitted whatever its size). */
  changed?: boolean;
}

/** Points inside lung `side` at least `minDepth` mm from its surface, within the box. */
export function lungPoints(ref: PhantomRef, rng: Rng, side: number, n: number, box: { lo: V3; hi: V3 }, minDepth: number, accept: (q: V3) => boolean = () => true): V3[] {
  const out: V3[] = [];
  for (let tries = 0; out.length < n && tries < 400 * n; tries++) {
    const q = [0, 1, 2].map((a) => box.lo[a] + (box.hi[a] - box.lo[a]) * rng()) as V3;
    if (ref.side(q) === side && ref.lungSdf(q, side) < -minDepth && accept(q)) out.push(q);
  }
  return out;
}

function principalAxis(pts: V3[], c: V3): V3 {
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const p of pts) {
    const d = sub(p, c);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) m[3 * i + j] += d[i] * d[j];
  }
  let v: V3 = [1, 0.7, 0.3];
  for (let it = 0; it < 12; it++) {
    const w: V3 = [0, 1, 2].map((i) => m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2]) as V3;
    const n = Math.hypot(...w);
    if (n < 1e-9) return [1, 0, 0];
    v = scale(w, 1 / n);
  }
  return v;
}

/** The tree from `root` to every target. */
export function growTree(root: V3, targets: V3[], rLeaf: number): Branch[] {
  const out: Branch[] = [];
  const grow = (start: V3, pts: V3[], depth: number, parent: number): void => {
    const r = rLeaf * Math.pow(pts.length, 1 / 2.6);
    if (pts.length === 1) {
      out.push({ a: start, b: pts[0], r, depth, parent });
      return;
    }
    const c = scale(pts.reduce((s, p) => add(s, p), [0, 0, 0] as V3), 1 / pts.length);
    const end = add(start, scale(sub(c, start), depth === 0 ? 0.35 : 0.5));
    const me = out.length;
    out.push({ a: start, b: end, r, depth, parent });
    const axis = principalAxis(pts, c);
    const sorted = [...pts].sort((p, q) => dot(sub(p, c), axis) - dot(sub(q, c), axis));
    const half = sorted.length >> 1;
    grow(end, sorted.slice(0, half), depth + 1, me);
    grow(end, sorted.slice(half), depth + 1, me);
  };
  if (targets.length) grow(root, targets, 0, -1);
  return out;
}

/** The bronchi beside a tree of arteries: each node offset sideways by the two radii. */
export function bronchiAlong(arteries: Branch[], rootOffset: V3): Bronchus[] {
  const offsets = arteries.map((s) => {
    const d = norm(sub(s.b, s.a));
    let side = cross(d, [0, 0, 1]);
    if (Math.hypot(...side) < 0.2) side = cross(d, [1, 0, 0]);
    return scale(norm(side), 1.8 * s.r + 1);
  });
  return arteries.map((s, i) => {
    const r = 0.8 * s.r;
    const from = s.parent < 0 ? add(s.a, rootOffset) : add(s.a, offsets[s.parent]);
    return { a: from, b: add(s.b, offsets[i]), r, wall: 0.2 * r + 0.3, depth: s.depth };
  });
}
