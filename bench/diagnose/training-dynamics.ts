// The first steps of a `tiny` BIUD run, watched: every 10 steps the losses and how alike a fixed
// batch's CT and report embeddings are (mean pairwise cosine). L_RoCo at ln B with cosines near 1
// is a collapsed embedding, not slow learning. args: STEPS; env CFG = config overrides (JSON),
// SW = loss switches (JSON), P = training patients (default 256: a faster start than tiny's 960).
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { getConfig } from '../../models/config.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { Trainer } from '../../models/train/trainer.ts';

const e = await createNodeEngine();
const assets = diskAssets();
const cfg = getConfig('tiny', JSON.parse(process.env.CFG ?? '{}'));
const data = await loadCohortData(assets, cfg, { trainPatients: Number(process.env.P ?? 256) });
const switches = { roco: true, distill: true, efm: true, ...JSON.parse(process.env.SW ?? '{}') };
const t = await Trainer.create({ engine: e, assets, data, config: cfg, switches, expertWeights: new Uint8Array(readFileSync('data/pretrained/xray-expert-tiny.safetensors')), log: () => {} });
const probe = data.trainBatch(10_000, 16);
const texts = probe.map((it) => t.ctInputs[it.report]);
const spread = (rows: Float32Array[]) => {
  const u = rows.map((r) => { const s = Math.hypot(...r); return r.map((x) => x / s); });
  let sum = 0, n = 0;
  for (let i = 0; i < u.length; i++) for (let j = i + 1; j < u.length; j++) { sum += u[i].reduce((a, x, k) => a + x * u[j][k], 0); n++; }
  return (sum / n).toFixed(3);
};
const steps = Number(process.argv[2] ?? 100);
const t0 = performance.now();
for (let s = 10; s <= steps; s += 10) {
  await t.run(s);
  const p = t.history[t.history.length - 1];
  const ct = spread(await t.embedCts(probe));
  const tx = await t.embedTexts(texts);
  const losses = Object.entries(p.losses).map(([k, v]) => `${k} ${v!.toFixed(3)}`).join('  ');
  console.log(`step ${s}  ${losses}  cos CT ${ct} text ${spread(texts.map((x) => tx.get(x)!))}  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
process.exit(0);
