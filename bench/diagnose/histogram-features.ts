// What simple features can reach: per-16³-block intensity histograms (64 blocks × 12 bins) of the
// training pool (256 volumes) → L2 logistic regression per finding → held-out (200) AUC.
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { getConfig } from '../../models/config.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { auc } from '../../models/zero-shot.ts';
import { FINDINGS } from '../../models/text/index.ts';
const e = await createNodeEngine();
const cfg = getConfig('tiny');
const data = await loadCohortData(diskAssets(), cfg);
const NB = 12, F = 64 * NB;
async function feats(items: any[]) {
  const out: Float64Array[] = [];
  for (let i = 0; i < items.length; i += 16) {
    const part = items.slice(i, i + 16);
    const v = await data.renderCt(e, part, cfg).data() as Float32Array;
    const n = 64 ** 3;
    for (let b = 0; b < part.length; b++) {
      const f = new Float64Array(F);
      for (let z = 0; z < 64; z++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
        const q = v[b * n + (z * 64 + y) * 64 + x];
        f[(((z >> 4) * 4 + (y >> 4)) * 4 + (x >> 4)) * NB + Math.min(NB - 1, Math.max(0, Math.floor(q * NB)))] += 1 / 4096;
      }
      out.push(f);
    }
  }
  return out;
}
const tr = data.trainBatch(0, 256), te = data.heldout(200);
const Xtr = await feats(tr), Xte = await feats(te);
const mu = new Float64Array(F), sd = new Float64Array(F);
for (const x of Xtr) x.forEach((v, j) => (mu[j] += v / Xtr.length));
for (const x of Xtr) x.forEach((v, j) => (sd[j] += (v - mu[j]) ** 2 / Xtr.length));
const norm = (x: Float64Array) => x.map((v, j) => (v - mu[j]) / Math.sqrt(sd[j] + 1e-9));
const A = Xtr.map(norm), T = Xte.map(norm);
let s = 0, c = 0;
for (const lam of [1e-2]) FINDINGS.forEach((f, k) => {
  const y = tr.map((it) => it.labels[k]);
  const w = new Float64Array(F); let b0 = 0;
  for (let it = 0; it < 300; it++) {
    const g = new Float64Array(F); let gb = 0;
    A.forEach((x, i) => { let z = b0; for (let j = 0; j < F; j++) z += w[j] * x[j]; const p = 1 / (1 + Math.exp(-z)); const d = p - y[i]; gb += d; for (let j = 0; j < F; j++) g[j] += d * x[j]; });
    for (let j = 0; j < F; j++) w[j] -= 0.05 * (g[j] / A.length + lam * w[j]);
    b0 -= 0.05 * gb / A.length;
  }
  const sc = T.map((x) => x.reduce((a, v, j) => a + v * w[j], b0));
  const a = auc(sc, te.map((it) => it.labels[k]));
  if (!Number.isNaN(a)) { s += a; c++; }
  console.log(f.padEnd(36), a.toFixed(3));
});
console.log('mean held-out AUC of block-histogram logistic regression', (s / c).toFixed(3));
