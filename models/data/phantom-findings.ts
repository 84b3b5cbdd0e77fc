// Placing the 18 findings in a patient: each finding draws its instances (place, size, side,
// density, count) from its own random stream, within the ranges of findings.ts, relative to the
// patient's landmarks. A finding adds primitives, edits region slots (emphysema, mosaic, septal
// lines, pleural and pericardial fluid, heart size), or changes bronchi (peribronchial thickening,
// bronchiectasis, the bronchograms of a consolidation). Placement reads the normal anatomy only,
// so a finding lands in the same place whatever else the patient has.
import type { Rng } from '../text/rng.ts';
import { FINDINGS, renderRange, type Finding } from './findings.ts';
import type { Landmarks, SlotWriter } from './phantom-anatomy.ts';
import { add, sub, scale, cross, dot, norm, uniform } from './phantom-anatomy.ts';
import { PhantomRef, sdEllipsoid, type V3 } from './phantom-ref.ts';
import { tube, ellipsoid, sac, FLAG, LAYER, type Prim } from './phantom-prims.ts';
import { lungPoints, type Bronchus } from './phantom-tree.ts';

export type Bound =
  | { type: 'sphere'; c: V3; r: number }
  | { type: 'capsule'; a: V3; b: V3; r: number }
  | { type: 'region'; region: 'lung' | 'lung-dependent'; sides: number[] };

export interface FindingInstance {
  finding: Finding;
  /** In words: what was drawn, how big, where. */
  what: string;
  /** Where it may change voxels (patient coordinates, mm). */
  bounds: Bound[];
}

export interface FindingContext {
  /** The patient's normal anatomy (before any finding). */
  ref: PhantomRef;
  lm: Landmarks;
  /** The slots being written (findings edit them). */
  slots: SlotWriter;
  bronchi: Bronchus[];
  rng: Rng;
  prims: Prim[];
  instances: FindingInstance[];
  /** Seed id of this finding's first primitive. */
  seedBase: number;
}

const sideName = (s: number) => (s > 0 ? 'right' : 'left');

function pick<T>(rng: Rng, xs: readonly T[], weights?: readonly number[]): T {
  const w = weights ?? xs.map(() => 1);
  let r = rng() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < xs.length; i++) if ((r -= w[i]) < 0) return xs[i];
  return xs[xs.length - 1];
}

const intIn = (rng: Rng, [lo, hi]: readonly [number, number]) => lo + Math.floor(rng() * (hi - lo + 1));

function randomAxes(rng: Rng): [V3, V3, V3] {
  const a = norm([rng() - 0.5, rng() - 0.5, rng() - 0.5].map((x) => x + 1e-3) as V3);
  let b = cross(a, [0, 0, 1]);
  if (Math.hypot(...b) < 0.1) b = cross(a, [1, 0, 0]);
  b = norm(b);
  const t = rng() * 2 * Math.PI;
  const c = cross(a, b);
  const b2 = norm(add(scale(b, Math.cos(t)), scale(c, Math.sin(t))));
  return [a, b2, cross(a, b2)];
}

function lungBox(c: FindingContext, side: number, zlo?: number, zhi?: number): { lo: V3; hi: V3 } {
  const { lm } = c;
  const x0 = side > 0 ? lm.medX : -lm.Ac, x1 = side > 0 ? lm.Ac : lm.medX;
  return { lo: [x0, lm.ycc - lm.Bc, zlo ?? Math.min(lm.domeR, lm.domeL) - 90], hi: [x1, lm.ycc + lm.Bc, zhi ?? lm.apexZ] };
}

/** Far from the largest heart a cardiomegaly and pericardial fluid could make. */
function awayFromHeart(c: FindingContext, margin: number): (q: V3) => boolean {
  const ax = c.lm.heartAxes.map((a) => 1.42 * a + c.lm.epi + 10) as V3;
  return (q) => {
    const l = c.ref.heartLocal(q);
    return sdEllipsoid(l[0], l[1], l[2], ax[0], ax[1], ax[2]) > margin;
  };
}

/** One point in a lung meeting the constraints, or null after many tries. */
function lungPoint(c: FindingContext, side: number, minDepth: number, opts: { zlo?: number; zhi?: number; maxDepth?: number; heart?: number } = {}): V3 | null {
  const heart = awayFromHeart(c, opts.heart ?? 0);
  const shallow = (q: V3) => opts.maxDepth === undefined || c.ref.lungSdf(q, side) > -opts.maxDepth;
  // Relax the zone, then the distance from the heart, rather than leave the finding out.
  return lungPoints(c.ref, c.rng, side, 1, lungBox(c, side, opts.zlo, opts.zhi), minDepth, (q) => heart(q) && shallow(q))[0] ??
    lungPoints(c.ref, c.rng, side, 1, lungBox(c, side), minDepth, (q) => heart(q) && shallow(q))[0] ??
    lungPoints(c.ref, c.rng, side, 1, lungBox(c, side), minDepth, shallow)[0] ?? null;
}

function zoneName(c: FindingContext, q: V3): string {
  const hz = (c.lm.hilumR[2] + c.lm.hilumL[2]) / 2;
  return q[2] > hz + 30 ? 'upper' : q[2] < hz - 25 ? 'lower' : 'middle';
}

/** The outward direction of the lung surface near q (the lung SDF's gradient). */
function outward(ref: PhantomRef, q: V3, side: number): V3 {
  const e = 1.5;
  const g = [0, 1, 2].map((a) => {
    const p = [...q] as V3, m = [...q] as V3;
    p[a] += e; m[a] -= e;
    return ref.lungSdf(p, side) - ref.lungSdf(m, side);
  }) as V3;
  return Math.hypot(...g) > 1e-9 ? norm(g) : [side, 0, 0];
}

/** Diaphragm height at (x, y), as the shader's dome envelope. */
function diaphragmZ(s: SlotWriter, x: number, y: number): number {
  const [zR, zL, k, tilt] = [0, 1, 2, 3].map((i) => s.get('DIA', i));
  const [xR, xL, yD, ky] = [0, 1, 2, 3].map((i) => s.get('DIA2', i));
  const dy = y - yD;
  return Math.max(zR - k * ((x - xR) ** 2 + ky * dy * dy), zL - k * ((x - xL) ** 2 + ky * dy * dy)) + tilt * dy;
}

function heartFrame(s: SlotWriter): { c: V3; u: V3; v: V3; w: V3; axes: V3; epi: number } {
  const v3 = (n: 'HEART_C' | 'HEART_U' | 'HEART_V' | 'HEART_W') => [0, 1, 2].map((i) => s.get(n, i)) as V3;
  return { c: v3('HEART_C'), u: v3('HEART_U'), v: v3('HEART_V'), w: v3('HEART_W'), axes: [s.get('HEART_U', 3), s.get('HEART_V', 3), s.get('HEART_W', 3)], epi: s.get('HEART_C', 3) };
}

type Placer = (c: FindingContext, U: (lo: number, hi: number) => number, R: (name: string) => number) => void;

const metal = (c: FindingContext, n: number) => ({ layer: LAYER.metal, flags: FLAG.max, seedId: c.seedBase + n, tag: 'Medical material' });

/** Tubes along a polyline; returns their bounds. */
function polyline(c: FindingContext, pts: V3[], r: number, hu: number, first: number): Bound[] {
  const out: Bound[] = [];
  for (let i = 0; i + 1 < pts.length; i++) {
    c.prims.push(tube(pts[i], r, pts[i + 1], r, hu, metal(c, first + i)));
    out.push({ type: 'capsule', a: pts[i], b: pts[i + 1], r });
  }
  return out;
}

const PLACERS: Record<Finding, Placer> = {
  'Medical material': (c, U, R) => {
    const { lm } = c;
    const devices = ['central venous catheter', 'sternotomy wires', 'pacemaker', 'port', 'ECG electrodes'];
    const weights = [0.3, 0.25, 0.2, 0.15, 0.1];
    const n = intIn(c.rng, renderRange('Medical material', 'devices') as [number, number]);
    const chosen = new Set<string>();
    while (chosen.size < n) chosen.add(pick(c.rng, devices, weights));
    const hu = R('metalHU'), r = R('wireRadius');
    const svcTop: V3 = [lm.svc.top[0], lm.svc.top[1], lm.apexZ - 10];
    const svcLow = lm.svc.bottom;
    const ra: V3 = add(svcLow, [-4, -6, -22]);
    const front = (x: number) => lm.yc + lm.B * Math.sqrt(Math.max(0, 1 - (x / lm.A) ** 2));
    let id = 0;
    for (const d of chosen) {
      const s = d === 'pacemaker' ? (c.rng() < 0.8 ? -1 : 1) : c.rng() < 0.7 ? 1 : -1;
      const bounds: Bound[] = [];
      if (d === 'central venous catheter' || d === 'port') {
        const x = s * lm.Ac * U(0.5, 0.7);
        const start: V3 = d === 'port' ? [x, front(x) - lm.fat * 0.5, lm.apexZ - U(25, 50)] : [x, lm.ycc + lm.Bc * 0.6, lm.apexZ + U(-15, 5)];
        if (d === 'port') {
          const rr: V3 = [U(10, 14), U(5, 7), U(10, 14)];
          c.prims.push(ellipsoid(start, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], rr, hu, metal(c, id++)));
          bounds.push({ type: 'sphere', c: start, r: Math.max(...rr) });
        }
        bounds.push(...polyline(c, [start, [s * 25, lm.ycc + 10, lm.apexZ - 5], svcTop, svcLow, ra], r, hu, (id += 8)));
      } else if (d === 'pacemaker') {
        const x = s * U(45, 70);
        const g: V3 = [x, front(x) - lm.fat * 0.5, lm.apexZ - U(30, 50)];
        const rr: V3 = [U(20, 26), U(5, 7), U(17, 22)];
        c.prims.push(ellipsoid(g, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], rr, hu, metal(c, id++)));
        bounds.push({ type: 'sphere', c: g, r: Math.max(...rr) });
        const hf = heartFrame(c.slots);
        const apex = add(hf.c, scale(hf.u, 0.6 * hf.axes[0]));
        bounds.push(...polyline(c, [g, [s * 30, lm.ycc + lm.Bc * 0.5, lm.apexZ - 5], svcTop, svcLow, ra, apex], 0.85 * r, hu, (id += 8)));
      } else if (d === 'sternotomy wires') {
        const st = lm.sternum;
        const k = intIn(c.rng, [5, 7]);
        for (let i = 0; i < k; i++) {
          const z = st.top - 10 - ((st.top - st.bottom - 20) * i) / (k - 1);
          const ys = lm.ycc + c.ref.cavityAxes(z)[1] + 0.5 * st.thickness + 2;
          const hx = st.halfWidth + 3, hy = 0.5 * st.thickness + 3;
          bounds.push(...polyline(c, [[-hx, ys - hy, z], [hx, ys - hy, z], [hx, ys + hy, z], [-hx, ys + hy, z], [-hx, ys - hy, z]], 0.9 * r, hu, (id += 5)));
        }
      } else {
        const k = intIn(c.rng, [3, 5]);
        for (let i = 0; i < k; i++) {
          const x = lm.A * U(-0.7, 0.7);
          const y = front(x);
          const nrm = norm([x / lm.A ** 2, (y - lm.yc) / lm.B ** 2, 0]);
          const ctr = add([x, y, U(-60, 50)], scale(nrm, 1));
          const tng = norm(cross(nrm, [0, 0, 1]));
          c.prims.push(ellipsoid(ctr, [tng, nrm, [0, 0, 1]], [7, 2.5, 7], U(1800, 2500), metal(c, id++)));
          bounds.push({ type: 'sphere', c: ctr, r: 7.5 });
        }
      }
      c.instances.push({ finding: 'Medical material', what: `${d}${d === 'sternotomy wires' || d === 'ECG electrodes' ? '' : `, ${sideName(s)}`}`, bounds });
    }
  },

  'Arterial wall calcification': (c, U, R) => {
    const n = intIn(c.rng, renderRange('Arterial wall calcification', 'plaques') as [number, number]);
    const bounds: Bound[] = [];
    for (let i = 0; i < n; i++) {
      const s = pick(c.rng, [1, 2, 3, 4, 5], [0.15, 0.3, 0.25, 0.2, 0.1]);
      const A = c.lm.aorta[s], B = c.lm.aorta[s + 1];
      const t = U(0.1, 0.9);
      const ax = [0, 1, 2].map((j) => A[j] + t * (B[j] - A[j])) as V3;
      const ra = A[3] + t * (B[3] - A[3]);
      const dir = norm(sub(B.slice(0, 3) as V3, A.slice(0, 3) as V3));
      const n1 = norm(Math.abs(dir[2]) > 0.9 ? cross(dir, [1, 0, 0]) : cross(dir, [0, 0, 1]));
      const n2 = cross(dir, n1);
      const th = U(0, 2 * Math.PI);
      const ctr = add(ax, scale(add(scale(n1, Math.cos(th)), scale(n2, Math.sin(th))), ra - 0.5));
      const L = R('length'), r = R('radius');
      const a = add(ctr, scale(dir, -L / 2)), b = add(ctr, scale(dir, L / 2));
      c.prims.push(tube(a, r, b, r, R('hu'), { layer: LAYER.mediastinal, flags: FLAG.max, seedId: c.seedBase + i, tag: 'Arterial wall calcification' }));
      bounds.push({ type: 'capsule', a, b, r });
    }
    c.instances.push({ finding: 'Arterial wall calcification', what: `${n} calcified plaques in the aortic wall`, bounds });
  },

  Cardiomegaly: (c, _U, R) => {
    const f = R('scale');
    const hf = heartFrame(c.slots);
    for (const [k, n] of [['HEART_U', 0], ['HEART_V', 1], ['HEART_W', 2]] as const) c.slots.set(k, ...([0, 1, 2].map((i) => c.slots.get(k, i)) as V3), hf.axes[n] * f);
    const ctr: V3 = add(hf.c, [-(f - 1) * 25, 0, -(f - 1) * 8]);
    c.slots.set('HEART_C', ...ctr, hf.epi);
    c.instances.push({ finding: 'Cardiomegaly', what: `heart enlarged ×${f.toFixed(2)}`, bounds: [{ type: 'sphere', c: hf.c, r: Math.max(...hf.axes) * f + hf.epi + 30 }] });
  },

  'Pericardial effusion': (c, _U, R) => {
    const t = R('thickness');
    c.slots.set('PERI', t, R('hu'), c.slots.get('PERI', 2), c.slots.get('PERI', 3));
    const hf = heartFrame(c.slots);
    c.instances.push({ finding: 'Pericardial effusion', what: `pericardial fluid up to ${Math.round(t * 1.7)} mm`, bounds: [{ type: 'sphere', c: hf.c, r: Math.max(...hf.axes) + hf.epi + 1.7 * t + 12 }] });
  },

  'Coronary artery wall calcification': (c, U, R) => {
    const hf = heartFrame(c.slots);
    const n = intIn(c.rng, renderRange('Coronary artery wall calcification', 'plaques') as [number, number]);
    const bAnt = Math.atan2(hf.w[1], hf.v[1]), bRight = Math.atan2(hf.w[0], hf.v[0]);
    const bounds: Bound[] = [];
    const names = new Set<string>();
    for (let i = 0; i < n; i++) {
      const vessel = pick(c.rng, ['LAD', 'RCA', 'LCx'], [0.5, 0.25, 0.25]);
      names.add(vessel);
      const [al, be] = vessel === 'LAD' ? [U(-0.55, 0.5), bAnt + U(-0.3, 0.3)] : [U(-0.65, -0.45), (vessel === 'RCA' ? bRight : bRight + Math.PI) + U(-1, 1)];
      const s = Math.sqrt(1 - al * al);
      const l: V3 = [hf.axes[0] * al, hf.axes[1] * s * Math.cos(be), hf.axes[2] * s * Math.sin(be)];
      const ln = norm([l[0] / hf.axes[0] ** 2, l[1] / hf.axes[1] ** 2, l[2] / hf.axes[2] ** 2]);
      const toWorld = (p: V3): V3 => add(add(scale(hf.u, p[0]), scale(hf.v, p[1])), scale(hf.w, p[2]));
      const nrm = toWorld(ln);
      const ctr = add(add(hf.c, toWorld(l)), scale(nrm, 0.5 * hf.epi + 1));
      const tng = norm(cross(nrm, randomAxes(c.rng)[0]));
      const L = R('length'), r = R('radius');
      const a = add(ctr, scale(tng, -L / 2)), b = add(ctr, scale(tng, L / 2));
      c.prims.push(tube(a, r, b, r, R('hu'), { layer: LAYER.mediastinal, flags: FLAG.max, seedId: c.seedBase + i, tag: 'Coronary artery wall calcification' }));
      bounds.push({ type: 'capsule', a, b, r });
    }
    c.instances.push({ finding: 'Coronary artery wall calcification', what: `${n} calcified plaques (${[...names].join(', ')})`, bounds });
  },

  'Hiatal hernia': (c, U, R) => {
    const { lm } = c;
    const r: V3 = [R('radius'), R('radius') * U(0.75, 0.9), R('radius')];
    const ra = lm.aorta[5][3];
    const x = lm.esophagus[2][0] + U(-8, 4);
    const y = lm.spine.y + lm.spine.r + 1.6 * ra + 0.5 * r[1];
    const ctr: V3 = [x, y, diaphragmZ(c.slots, x, y) + r[2] * U(0.4, 0.8)];
    c.prims.push(sac(ctr, r, R('wallHU'), r[1] * U(-0.3, 0.4), { layer: LAYER.mediastinal, seedId: c.seedBase, tag: 'Hiatal hernia', lob: 1 }));
    c.instances.push({ finding: 'Hiatal hernia', what: `hiatal hernia sac ${Math.round(2 * r[0])} mm`, bounds: [{ type: 'sphere', c: ctr, r: Math.max(...r) * 1.1 + 2 }] });
  },

  Lymphadenopathy: (c, U, R) => {
    const { lm } = c;
    const car = lm.trachea.carina, rt = lm.trachea.r, arch = lm.aorta[2];
    const stations: [string, (r: number) => V3][] = [
      ['right paratracheal', (r) => [car[0] + rt + r + 3, car[1] + 4, car[2] + U(12, 35)]],
      ['aortopulmonary window', (r) => [-(rt + r + 4), car[1] + 2, arch[2] - arch[3] - r - U(0, 6)]],
      ['subcarinal', (r) => [car[0], car[1] - r - 4, car[2] - r - 8]],
      ['right hilar', (r) => add(lm.hilumR, [0.6 * r, 6, -r])],
      ['left hilar', (r) => add(lm.hilumL, [-0.6 * r, 6, -0.5 * r])],
      ['prevascular', (r) => [U(-8, 8), lm.aorta[1][1] + lm.aorta[1][3] + r + 3, arch[2] - U(0, 15)]],
      ['right axillary', (r) => [0.92 * lm.A - r, lm.yc + U(-10, 15), lm.apexZ - U(40, 70)]],
      ['left axillary', (r) => [r - 0.92 * lm.A, lm.yc + U(-10, 15), lm.apexZ - U(40, 70)]],
    ];
    const n = intIn(c.rng, renderRange('Lymphadenopathy', 'nodes') as [number, number]);
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(pick(c.rng, [0, 1, 2, 3, 4, 5, 6, 7], [3, 2, 3, 2, 2, 1.5, 1, 1]));
    let i = 0;
    for (const k of chosen) {
      const r = R('radius');
      const ctr = stations[k][1](r);
      const rr: V3 = [r, r * U(1, 1.3), r * U(1, 1.4)];
      c.prims.push(ellipsoid(ctr, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], rr, R('hu'), { layer: LAYER.mediastinal, seedId: c.seedBase + i++, tag: 'Lymphadenopathy', lob: U(1, 2) }));
      c.instances.push({ finding: 'Lymphadenopathy', what: `${stations[k][0]} node ${Math.round(2 * r)} mm (short axis)`, bounds: [{ type: 'sphere', c: ctr, r: Math.max(...rr) * 1.1 + 3 }] });
    }
  },

  Emphysema: (c, U, R) => {
    const { lm } = c;
    const zlow = lm.apexZ - U(90, 160);
    c.slots.set('EMPH', R('threshold'), R('scale'), zlow, R('darkening'));
    c.slots.set('EMPH2', U(20, 40), U(-990, -965), 0, 0);
    const nb = intIn(c.rng, renderRange('Emphysema', 'bullae') as [number, number]);
    for (let i = 0; i < nb; i++) {
      const side = c.rng() < 0.5 ? 1 : -1;
      const r = U(10, 22);
      const q = lungPoint(c, side, r * 0.5, { zlo: zlow, maxDepth: r + 6 });
      if (!q) continue;
      c.prims.push(ellipsoid(q, randomAxes(c.rng), [r, r * U(0.7, 1), r * U(0.7, 1)], -995, { layer: LAYER.parenchyma, flags: FLAG.lungOnly, seedId: c.seedBase + i, tag: 'Emphysema', lob: 1.5 }));
    }
    // Hyperinflation: lower, flatter domes.
    const drop = R('diaphragmDrop');
    c.slots.set('DIA', c.slots.get('DIA', 0) - drop, c.slots.get('DIA', 1) - drop, c.slots.get('DIA', 2) * 0.75, c.slots.get('DIA', 3));
    c.instances.push({ finding: 'Emphysema', what: `centrilobular emphysema above z ${Math.round(zlow)} mm, ${nb} bullae, diaphragm ${Math.round(drop)} mm lower`, bounds: [{ type: 'region', region: 'lung', sides: [1, -1] }] });
  },

  Atelectasis: (c, U, R) => {
    const { lm } = c;
    const n = intIn(c.rng, renderRange('Atelectasis', 'count') as [number, number]);
    const hz = Math.min(lm.hilumR[2], lm.hilumL[2]);
    for (let i = 0, tries = 0; i < n && tries < 20; tries++) {
      const side = c.rng() < 0.55 ? 1 : -1;
      const plate = c.rng() < 0.5;
      let ctr: V3 | null = null;
      let axes: [V3, V3, V3] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
      let rr: V3;
      if (plate) {
        ctr = lungPoint(c, side, 12, { zhi: hz - 15, heart: 10 });
        const nrm = norm([U(-0.3, 0.3), U(-0.3, 0.3), 1]);
        const t1 = norm(cross(nrm, [1, 0, 0]));
        axes = [cross(t1, nrm), t1, nrm];
        rr = [U(25, 45), U(18, 30), U(3.5, 5)];
      } else {
        // Along the posterior base: the lowest lung voxels of a column, behind.
        rr = [U(25, 45), U(7, 14), U(20, 35)];
        const x = side * lm.Ac * U(0.3, 0.7);
        const z = (side > 0 ? lm.domeR : lm.domeL) - U(5, 30);
        for (let y = lm.ycc - lm.Bc; y < lm.ycc; y += 2) {
          if (c.ref.lungSdf([x, y, z], side) < -2) { ctr = [x, y + 0.7 * rr[1], z]; break; }
        }
      }
      if (!ctr) continue;
      c.prims.push(ellipsoid(ctr, axes, rr, R('hu'), { layer: LAYER.lesion, flags: FLAG.lungOnly, seedId: c.seedBase + i, tag: 'Atelectasis', lob: 1 }));
      c.instances.push({ finding: 'Atelectasis', what: `${plate ? 'plate-like' : 'dependent'} atelectasis, ${sideName(side)} ${zoneName(c, ctr)} zone`, bounds: [{ type: 'sphere', c: ctr, r: Math.max(...rr) * 1.1 + 3 }] });
      i++;
    }
  },

  'Lung nodule': (c, U, R) => {
    const n = pick(c.rng, [1, 2, 3], [0.6, 0.3, 0.1]);
    for (let i = 0; i < n; i++) {
      const side = c.rng() < 0.5 ? 1 : -1;
      const r = R('radius');
      const q = lungPoint(c, side, 0.6 * r + 1, { heart: r + 8 });
      if (!q) continue;
      const lob = U(0.5, 2);
      c.prims.push(tube(q, r, q, r, R('hu'), { layer: LAYER.lesion, flags: FLAG.lungOnly, seedId: c.seedBase + i, tag: 'Lung nodule', lob }));
      c.instances.push({ finding: 'Lung nodule', what: `${Math.round(2 * r)} mm nodule, ${sideName(side)} ${zoneName(c, q)} zone`, bounds: [{ type: 'sphere', c: q, r: r + lob + 1 }] });
    }
  },

  'Lung opacity': (c, U, R) => {
    const n = intIn(c.rng, renderRange('Lung opacity', 'count') as [number, number]);
    for (let i = 0; i < n; i++) {
      const side = c.rng() < 0.5 ? 1 : -1;
      const q = lungPoint(c, side, 8, { heart: 15 });
      if (!q) continue;
      const rr: V3 = [R('radius'), R('radius'), R('radius')];
      c.prims.push(ellipsoid(q, randomAxes(c.rng), rr, R('hu'), { layer: LAYER.parenchyma, flags: FLAG.lungOnly | FLAG.patchy | FLAG.max, seedId: c.seedBase + i, tag: 'Lung opacity', lob: 4 }));
      c.instances.push({ finding: 'Lung opacity', what: `ground-glass opacity ${Math.round(2 * Math.max(...rr))} mm, ${sideName(side)} ${zoneName(c, q)} zone`, bounds: [{ type: 'sphere', c: q, r: Math.max(...rr) * 1.1 + 5 }] });
    }
  },

  'Pulmonary fibrotic sequela': (c, U, R) => {
    const side = c.rng() < 0.5 ? 1 : -1;
    const hz = Math.max(c.lm.hilumR[2], c.lm.hilumL[2]);
    const q = lungPoint(c, side, 10, { zlo: c.rng() < 0.7 ? hz : undefined, maxDepth: 30, heart: 10 });
    if (!q) return;
    const n = intIn(c.rng, renderRange('Pulmonary fibrotic sequela', 'strands') as [number, number]);
    const bounds: Bound[] = [];
    const out = outward(c.ref, q, side);
    for (let i = 0; i < n; i++) {
      const a = add(q, [U(-10, 10), U(-10, 10), U(-10, 10)]);
      const dir = norm(add(out, scale(randomAxes(c.rng)[0], 0.5)));
      const b = add(a, scale(dir, R('length')));
      const r = R('radius');
      c.prims.push(tube(a, r, b, r * 0.8, R('hu'), { layer: LAYER.lesion, flags: FLAG.lungOnly, seedId: c.seedBase + i, tag: 'Pulmonary fibrotic sequela', lob: 0.8 }));
      bounds.push({ type: 'capsule', a, b, r: r + 1 });
    }
    c.instances.push({ finding: 'Pulmonary fibrotic sequela', what: `${n} fibrotic strands, ${sideName(side)} ${zoneName(c, q)} zone`, bounds });
  },

  'Pleural effusion': (c, U, R) => {
    const sides = pick(c.rng, [[1], [-1], [1, -1]], [0.35, 0.25, 0.4]);
    const t = (s: number) => (sides.includes(s) ? R('thickness') : 0);
    const tR = t(1), tL = t(-1);
    c.slots.set('EFF', tR, tL, R('hu'), R('height'));
    const what = sides.length === 2 ? `bilateral, ${Math.round(tR)} / ${Math.round(tL)} mm` : `${sideName(sides[0])}, ${Math.round(tR + tL)} mm`;
    c.instances.push({ finding: 'Pleural effusion', what: `pleural effusion ${what}`, bounds: [{ type: 'region', region: 'lung-dependent', sides }] });
  },

  'Mosaic attenuation pattern': (c, _U, R) => {
    const { lm } = c;
    const lower = c.rng() < 0.3;
    c.slots.set('MOSAIC', R('amplitude'), R('scale'), Math.min(lm.domeR, lm.domeL) - 120, lower ? (lm.hilumR[2] + lm.hilumL[2]) / 2 : lm.apexZ + 60);
    c.instances.push({ finding: 'Mosaic attenuation pattern', what: `mosaic attenuation, ${lower ? 'lower zones' : 'diffuse'}`, bounds: [{ type: 'region', region: 'lung', sides: [1, -1] }] });
  },

  'Peribronchial thickening': (c, U, R) => {
    const lower = c.rng() < 0.4;
    const hz = (c.lm.hilumR[2] + c.lm.hilumL[2]) / 2 + 10;
    const extra = R('extraWall');
    const bounds: Bound[] = [];
    for (const b of c.bronchi) {
      if (b.depth < 1 || b.r < 1.4 || (lower && (b.a[2] + b.b[2]) / 2 > hz)) continue;
      b.wall += extra;
      b.changed = true;
      bounds.push({ type: 'capsule', a: b.a, b: b.b, r: b.r + b.wall });
    }
    c.instances.push({ finding: 'Peribronchial thickening', what: `bronchial walls ${extra.toFixed(1)} mm thicker, ${lower ? 'lower zones' : 'both lungs'}`, bounds });
  },

  Consolidation: (c, U, R) => {
    const n = intIn(c.rng, renderRange('Consolidation', 'count') as [number, number]);
    const hz = (c.lm.hilumR[2] + c.lm.hilumL[2]) / 2;
    for (let i = 0; i < n; i++) {
      const side = c.rng() < 0.55 ? 1 : -1;
      const q = lungPoint(c, side, 10, { zhi: c.rng() < 0.7 ? hz : undefined, heart: 20 });
      if (!q) continue;
      const rr: V3 = [R('radius'), R('radius'), R('radius')];
      const axes = randomAxes(c.rng);
      const lob = U(2, 5);
      c.prims.push(ellipsoid(q, axes, rr, R('hu'), { layer: LAYER.lesion, flags: FLAG.lungOnly, seedId: c.seedBase + i, tag: 'Consolidation', lob }));
      // Air bronchograms: the bronchi inside stay open and wide enough to show.
      const bounds: Bound[] = [{ type: 'sphere', c: q, r: Math.max(...rr) * 1.1 + lob + 3 }];
      for (const b of c.bronchi) {
        const m = scale(add(b.a, b.b), 0.5);
        const l = sub(m, q);
        if (b.depth < 1 || sdEllipsoid(dot(l, axes[0]), dot(l, axes[1]), dot(l, axes[2]), rr[0], rr[1], rr[2]) > 0) continue;
        if (b.r < 1.6) { b.r = 1.6; b.changed = true; bounds.push({ type: 'capsule', a: b.a, b: b.b, r: b.r + b.wall }); }
      }
      c.instances.push({ finding: 'Consolidation', what: `consolidation ${Math.round(2 * Math.max(...rr))} mm with air bronchograms, ${sideName(side)} ${zoneName(c, q)} zone`, bounds });
    }
  },

  Bronchiectasis: (c, U, R) => {
    const zones = pick(c.rng, [1, 2], [0.6, 0.4]);
    const hz = (c.lm.hilumR[2] + c.lm.hilumL[2]) / 2;
    const first = c.rng() < 0.5 ? 1 : -1;
    for (let i = 0; i < zones; i++) {
      const side = i === 0 ? first : -first;
      // Centred on a bronchus of the lower zone of this side, so that the zone holds bronchi.
      const mid = (b: Bronchus) => scale(add(b.a, b.b), 0.5);
      const own = c.bronchi.filter((b) => b.depth >= 2 && c.ref.side(mid(b)) === side);
      const low = own.filter((b) => mid(b)[2] < hz - 10);
      const pool = low.length ? low : own;
      if (!pool.length) continue;
      const q = mid(pool[Math.floor(c.rng() * pool.length)]);
      const rz = R('zoneRadius'), k = R('dilation');
      const bounds: Bound[] = [];
      for (const b of c.bronchi) {
        const m = scale(add(b.a, b.b), 0.5);
        if (b.depth < 1 || Math.hypot(...sub(m, q)) > rz) continue;
        b.r = Math.max(b.r * k, 3.2);
        b.wall = 1.2 + 0.3 * b.r;
        b.changed = true;
        bounds.push({ type: 'capsule', a: b.a, b: b.b, r: b.r + b.wall });
      }
      c.instances.push({ finding: 'Bronchiectasis', what: `bronchiectasis (×${k.toFixed(1)}), ${sideName(side)} ${zoneName(c, q)} zone`, bounds });
    }
  },

  'Interlobular septal thickening': (c, U, R) => {
    const { lm } = c;
    const lower = c.rng() < 0.7;
    const side = c.rng() < 0.7 ? 0 : c.rng() < 0.5 ? 1 : -1;
    c.slots.set('SEPTAL', R('amplitude'), R('scale'), R('depth'), lower ? (lm.hilumR[2] + lm.hilumL[2]) / 2 + U(-20, 40) : lm.apexZ + 60);
    c.slots.set('SEPTAL2', side, R('hu'), 0, 0);
    c.instances.push({ finding: 'Interlobular septal thickening', what: `septal thickening, ${side ? sideName(side) : 'both'} lungs, ${lower ? 'lower-zone predominant' : 'diffuse'}`, bounds: [{ type: 'region', region: 'lung', sides: side ? [side] : [1, -1] }] });
  },
};

/** Place finding `k` of FINDINGS (its renderer's ranges from findings.ts). */
export function placeFinding(k: number, c: FindingContext): void {
  const f = FINDINGS[k];
  const U = uniform(c.rng);
  const R = (name: string) => {
    const [lo, hi] = renderRange(f, name);
    return U(lo, hi);
  };
  PLACERS[f](c, U, R);
}
