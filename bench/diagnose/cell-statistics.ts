// What the CT encoder's cell statistics (models/vision-encoder.ts, encoderStats) make visible: per
// cell of CELL³ voxels its mean, maximum, minimum and spread, for the tiny cohort's first NTR
// training patients (default 960, the `tiny` pool) → one L2 logistic regression per finding, all
// 18 trained together by gradient descent → held-out AUC on the 200 held-out volumes. Uses the
// labels: a ceiling for what a linear map of these features can tell apart, not a zero-shot result.
//
//   CELL=8 NTR=960 node dist/cell-statistics.mjs
//   CFG='{"ct":{"size":[96,96,96],"spacing":[3.333,3.333,3.333]}}' CELL=12 node dist/cell-statistics.mjs   (finer voxels, the same 40 mm cells)
//   HESS=1 CELL=8 node dist/cell-statistics.mjs   (and the blob maps' statistics, σ = 1 voxel)
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { getConfig } from '../../models/config.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import type { CtItem } from '../../models/train/data.ts';
import { cellStats3dRef as cellStatsRef } from '../../engine/ops/pool.ts';
import { blobness3dRef } from '../../engine/ops/blob.ts';
import { auc } from '../../models/zero-shot.ts';
import { FINDINGS } from '../../models/text/index.ts';

const e = await createNodeEngine();
const cfg = getConfig('tiny', JSON.parse(process.env.CFG ?? '{}'));
const data = await loadCohortData(diskAssets(), cfg);
const NTR = Number(process.env.NTR ?? 960);
const CELL = Number(process.env.CELL ?? 8);
const [D, H, W] = cfg.ct.size;
const G = (D / CELL) * (H / CELL) * (W / CELL);
// MORPH=1 adds, per cell, the maximum and mean of the volume eroded by a 3³ minimum filter and the
// minimum and mean of it dilated by a 3³ maximum filter: a shape of at least 3 voxels across (a
// nodule, a node) survives the erosion, a vessel or a septum of 1–2 voxels does not.
const MORPH = process.env.MORPH === '1';
// BLOB=1 adds, per cell, the maximum and minimum of a difference of Gaussians (σ = S1 and S2
// voxels, default 1 and 2): a blob detector, bright for a round shape about 2·σ√3 voxels across
// (a nodule, a node), far weaker on an edge or a thin line.
const BLOB = process.env.BLOB === '1';
const S1 = Number(process.env.S1 ?? 1), S2 = Number(process.env.S2 ?? 2);
// GLOBAL=1 (with BLOB) adds position-free features of the whole volume: the share of voxels whose
// DoG is above t or below −t, over all voxels and over lung-like ones (blurred value < 0.35).
const GLOBAL = process.env.GLOBAL === '1';
const TH = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3];
const NG = GLOBAL ? 4 * TH.length : 0;
// HESS=σ adds the four statistics of each cell of the two blob maps at scale σ voxels (the
// Hessian's bright- and dark-ball responses, ops.blobness3d): what the encoder's `stats.blob` adds.
const HESS = Number(process.env.HESS ?? 0);
const F = (MORPH ? 8 : 4) * G + (BLOB ? 2 * G : 0) + NG + (HESS ? 8 * G : 0);

/**
 * One separable filter of a D×H×W volume: along x, then y, then z, each voxel i becomes
 * f(a, i, st, c, n) of the previous pass a (st: the axis's stride, c: i's place on it, n: its size).
 */
function alongAxes(v: Float32Array, f: (a: Float32Array, i: number, st: number, c: number, n: number) => number): Float32Array {
  let a = v;
  const strides = [1, W, H * W], sizes = [W, H, D];
  for (let ax = 0; ax < 3; ax++) {
    const b = new Float32Array(a.length), st = strides[ax], n = sizes[ax];
    for (let i = 0; i < a.length; i++) b[i] = f(a, i, st, Math.floor(i / st) % n, n);
    a = b;
  }
  return a;
}

/** A separable Gaussian blur (σ in voxels, taps to 3σ, edges clamped) of one D×H×W volume. */
function blur(v: Float32Array, sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma), k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  return alongAxes(v, (a, i, st, c, n) => {
    let s = 0;
    for (let t = -r; t <= r; t++) s += k[t + r] * a[i + (Math.min(n - 1, Math.max(0, c + t)) - c) * st];
    return s / ks;
  });
}

/** A 3³ minimum (sign 1) or maximum (sign −1) filter of one D×H×W volume, separable, edges clamped. */
function morph(v: Float32Array, sign: number): Float32Array {
  const m = alongAxes(Float32Array.from(v, (x) => sign * x), (a, i, st, c, n) => {
    let y = a[i];
    if (c > 0) y = Math.min(y, a[i - st]);
    if (c < n - 1) y = Math.min(y, a[i + st]);
    return y;
  });
  return m.map((x) => sign * x);
}

async function features(items: CtItem[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < items.length; i += 16) {
    const part = items.slice(i, i + 16);
    const v = (await data.renderCt(e, part, cfg).data()) as Float32Array;
    const s = cellStatsRef(v, [part.length, 1, D, H, W], [CELL, CELL, CELL]);
    for (let b = 0; b < part.length; b++) {
      const f = new Float32Array(F);
      f.set(s.slice(b * 4 * G, (b + 1) * 4 * G));
      if (MORPH) {
        const one = v.slice(b * D * H * W, (b + 1) * D * H * W);
        const er = cellStatsRef(morph(one, 1), [1, 1, D, H, W], [CELL, CELL, CELL]);
        const di = cellStatsRef(morph(one, -1), [1, 1, D, H, W], [CELL, CELL, CELL]);
        f.set(er.subarray(G, 2 * G), 4 * G); // eroded: maximum
        f.set(er.subarray(0, G), 5 * G); // eroded: mean
        f.set(di.subarray(2 * G, 3 * G), 6 * G); // dilated: minimum
        f.set(di.subarray(0, G), 7 * G); // dilated: mean
      }
      if (BLOB) {
        const one = v.slice(b * D * H * W, (b + 1) * D * H * W);
        const g1 = blur(one, S1), g2 = blur(one, S2);
        const dog = g1.map((x, i) => x - g2[i]);
        const st = cellStatsRef(dog, [1, 1, D, H, W], [CELL, CELL, CELL]);
        const at = (MORPH ? 8 : 4) * G;
        f.set(st.subarray(G, 2 * G), at); // DoG maximum
        f.set(st.subarray(2 * G, 3 * G), at + G); // DoG minimum
        if (GLOBAL) {
          const g = new Float32Array(NG);
          let lung = 0;
          for (let i = 0; i < dog.length; i++) {
            const d = dog[i], inLung = g2[i] < 0.35;
            if (inLung) lung++;
            TH.forEach((t, j) => {
              if (d > t) { g[j]++; if (inLung) g[2 * TH.length + j]++; }
              if (d < -t) { g[TH.length + j]++; if (inLung) g[3 * TH.length + j]++; }
            });
          }
          for (let j = 0; j < NG; j++) g[j] /= j < 2 * TH.length ? dog.length : Math.max(1, lung);
          f.set(g, at + 2 * G);
        }
      }
      if (HESS) {
        const one = v.slice(b * D * H * W, (b + 1) * D * H * W);
        f.set(cellStatsRef(blobness3dRef(one, [1, 1, D, H, W], HESS), [1, 2, D, H, W], [CELL, CELL, CELL]), F - 8 * G);
      }
      out.push(f);
    }
  }
  return out;
}

// The training patients rendered one by one (a negative volumeSeed renders seed −1 − volumeSeed).
const patients = data.patients.slice(0, NTR);
const train: CtItem[] = patients.map((p) => ({ volumeSeed: -1 - p.seed, labels: p.labels, report: 0 }));
const test = data.heldout(200);
const t0 = performance.now();
const Xtr = await features(train), Xte = await features(test);
console.log(`${F} features of ${Xtr.length} + ${Xte.length} volumes in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

// Standardise on the training set.
const mu = new Float64Array(F), sd = new Float64Array(F);
for (const x of Xtr) x.forEach((v, j) => (mu[j] += v / Xtr.length));
for (const x of Xtr) x.forEach((v, j) => (sd[j] += (v - mu[j]) ** 2 / Xtr.length));
const norm = (x: Float32Array) => Float32Array.from(x, (v, j) => (v - mu[j]) / Math.sqrt(sd[j] + 1e-9));
const A = Xtr.map(norm), T = Xte.map(norm);

// Gradient descent on the mean logistic loss + λ/2·|w|², 300 steps of 0.05, all findings at once.
const K = FINDINGS.length, N = A.length, lam = 1e-2;
const w = new Float32Array(F * K), b = new Float32Array(K);
for (let it = 0; it < 300; it++) {
  const gw = new Float32Array(F * K), gb = new Float32Array(K);
  for (let i = 0; i < N; i++) {
    const x = A[i], z = Float32Array.from(b);
    for (let j = 0; j < F; j++) for (let k = 0; k < K; k++) z[k] += x[j] * w[j * K + k];
    for (let k = 0; k < K; k++) z[k] = 1 / (1 + Math.exp(-z[k])) - train[i].labels[k];
    for (let k = 0; k < K; k++) gb[k] += z[k];
    for (let j = 0; j < F; j++) for (let k = 0; k < K; k++) gw[j * K + k] += x[j] * z[k];
  }
  for (let j = 0; j < F * K; j++) w[j] -= 0.05 * (gw[j] / N + lam * w[j]);
  for (let k = 0; k < K; k++) b[k] -= (0.05 * gb[k]) / N;
}
let sum = 0, count = 0;
FINDINGS.forEach((name, k) => {
  const score = T.map((x) => x.reduce((s, v, j) => s + v * w[j * K + k], b[k]));
  const a = auc(score, test.map((it) => it.labels[k]));
  if (!Number.isNaN(a)) { sum += a; count++; }
  console.log(name.padEnd(36), a.toFixed(3));
});
console.log(`mean held-out AUC, statistics of ${CELL}³ cells, ${N} training volumes: ${(sum / count).toFixed(3)}`);
process.exit(0);
