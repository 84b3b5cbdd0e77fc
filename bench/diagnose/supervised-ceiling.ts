// Supervised ceiling: a randomly initialised CT encoder (config overrides from env CFG) trained with
// BCE on the 18 labels; held-out AUC per finding, and the mean AUC on its own training volumes
// (whether the encoder can fit them at all). args: steps lr encScale
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { getConfig } from '../../models/config.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { FineTuner } from '../../models/probe.ts';
import { ParamStore } from '../../engine/params.ts';
import { VisionEncoder } from '../../models/vision-encoder.ts';
import { FINDINGS } from '../../models/text/index.ts';
const e = await createNodeEngine();
const cfg = getConfig('tiny', JSON.parse(process.env.CFG ?? '{}'));
const data = await loadCohortData(diskAssets(), cfg);
const store = new ParamStore(e, cfg.seed);
const encoder = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
store.finalize();
// The config's standardisation (ct.standardise) fitted as BIUD's trainer does, on 960 training volumes.
const B = cfg.train.batch;
encoder.fitStandardisation((r) => data.renderCt(e, data.trainBatch(r, B), cfg), Math.ceil(960 / B));
const tuner = await FineTuner.from(e, cfg, store);
const steps = Number(process.argv[2] ?? 200);
const t0 = performance.now();
const labelled = data.trainBatch(0, Number(process.env.N ?? 256));
await tuner.train(data, labelled, { steps, lr: Number(process.argv[3] ?? 1e-3), encoderLrScale: Number(process.argv[4] ?? 1), logEvery: 20,
  onProgress: (p) => console.log(`step ${p.step} loss ${p.loss.toFixed(4)} ${((performance.now() - t0) / 1000).toFixed(0)} s`) });
const r = await tuner.evaluate(data, data.heldout(200));
for (const f of FINDINGS) console.log(f.padEnd(36), r.auc[f].toFixed(3));
const fit = await tuner.evaluate(data, labelled);
console.log('mean', r.meanAuc.toFixed(3), 'training-set mean', fit.meanAuc.toFixed(3), 'train s', ((performance.now() - t0) / 1000).toFixed(0));
