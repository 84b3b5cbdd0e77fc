// Linear probe and fine-tuning of a micro CT encoder on the toy cohort (a blob per finding):
// both beat chance on held-out volumes, fine-tuning's loss falls, and the source encoder is
// left as it was.
import type { Engine, Tensor } from '../../engine/index.ts';
import { ParamStore } from '../../engine/params.ts';
import { getConfig } from '../../models/config.ts';
import { VisionEncoder } from '../../models/vision-encoder.ts';
import { linearProbe, FineTuner } from '../../models/probe.ts';
import { suite, expectTrue, expectClose } from './harness.ts';
import { toyData } from './toy-data.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { assets } from './harness.ts';

const USED = ['Cardiomegaly', 'Emphysema', 'Pleural effusion', 'Consolidation'] as const;

/** A tensor's values, read back; the tensor is disposed. */
async function readBack(t: Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

function setup(e: Engine) {
  const cfg = getConfig('micro');
  const data = toyData();
  const store = new ParamStore(e, 5);
  const encoder = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
  store.finalize();
  // Held-out volumes: new seeds over all 16 finding sets (the toy held-out split has only 3).
  return { cfg, data, store, encoder, train: data.trainBatch(0, 24), test: data.trainBatch(10_000, 32) };
}

const fmt = (auc: Record<string, number>) => USED.map((f) => `${f} ${auc[f].toFixed(2)}`).join(', ');

suite('probe', (test) => {
  test('linear probe on a frozen random micro encoder beats chance on held-out toy volumes', async (e) => {
    const { cfg, data, store, encoder, train, test: held } = setup(e);
    try {
      const r = await linearProbe(e, encoder, data, cfg, train, held);
      const used = USED.map((f) => r.auc[f]);
      expectTrue(used.every((a) => Number.isFinite(a)), `AUC defined for the toy findings: ${fmt(r.auc)}`);
      const mean = used.reduce((a, b) => a + b, 0) / used.length;
      expectTrue(mean > 0.7, `mean AUC ${mean.toFixed(3)} over the toy findings (${fmt(r.auc)}): expected > 0.7`);
      const m = await linearProbe(e, encoder, data, cfg, train, held, { which: 'mean' });
      const meanM = USED.reduce((s, f) => s + m.auc[f], 0) / USED.length;
      expectTrue(meanM > 0.7, `mean-token probe: mean AUC ${meanM.toFixed(3)} (${fmt(m.auc)}): expected > 0.7`);
      console.log(`linear probe (random micro encoder, 24 labelled volumes): [CLS] ${fmt(r.auc)}; mean token ${fmt(m.auc)}`);
    } finally {
      store.destroy();
    }
  });

  test('fine-tuning: loss falls, held-out AUC beats chance, the source encoder is untouched', async (e) => {
    const { cfg, data, store, encoder, train, test: held } = setup(e);
    const before = await store.read();
    const ft = await FineTuner.from(e, cfg, store);
    try {
      // The copy starts where the source is: same [CLS] features.
      const x = data.renderCt(e, held.slice(0, 2), cfg);
      const a = e.noGrad(() => encoder.forward(x).cls);
      const b = e.noGrad(() => ft.encoder.forward(x).cls);
      expectClose(await b.data(), await a.data(), 'copied encoder = source', 1e-6);
      [x, a, b].forEach((t) => t.dispose());

      const log = await ft.train(data, train, { steps: 80, batch: 8, lr: 3e-3, encoderLrScale: 0.1, logEvery: 10 });
      const first = log[0].loss, last = log[log.length - 1].loss;
      expectTrue(last < 0.7 * first, `fine-tuning loss ${log.map((l) => l.loss.toFixed(3)).join(' → ')}: expected the last under 0.7 × the first`);
      const r = await ft.evaluate(data, held);
      const mean = USED.reduce((s, f) => s + r.auc[f], 0) / USED.length;
      expectTrue(mean > 0.7, `fine-tuned mean AUC ${mean.toFixed(3)} (${fmt(r.auc)}): expected > 0.7`);
      const after = await store.read();
      for (const [name, v] of before) expectClose(after.get(name)!.data, v.data, `source ${name} unchanged`, 0);
      console.log(`fine-tuning (micro, 24 labelled volumes, 80 steps): loss ${first.toFixed(3)} → ${last.toFixed(3)}; ${fmt(r.auc)}`);
    } finally {
      ft.dispose();
      store.destroy();
    }
  });

  test("renderCt once: the same pool patients rendered directly, without building the pool", async (e) => {
    const cfg = getConfig('micro');
    const data = await loadCohortData({ read: (p) => assets.read(p) }, cfg, { trainPatients: 12 });
    const items = data.trainBatch(0, 4);
    const live0 = e.memory().liveBytes;
    const direct = await readBack(data.renderCt(e, items, cfg, { once: true }));
    expectTrue(e.memory().liveBytes === live0, `once keeps nothing alive (${e.memory().liveBytes - live0} more live bytes)`);
    const pooled = await readBack(data.renderCt(e, items, cfg));
    expectTrue(e.memory().liveBytes - live0 >= 12 * 16 ** 3 * 4, 'without once the pool of 12 volumes is built and kept');
    expectClose(direct, pooled, 'direct render = pooled volumes', 0);
    const again = await readBack(data.renderCt(e, items, cfg, { once: true }));
    expectClose(again, pooled, 'once reads the pool when it exists', 0);
    data.dispose();
  });

  test("a pool split over several buffers gathers the same volumes, in the batch's order", async (e) => {
    // 12 patients in buffers of 5 rows (5, 5, 2): a batch drawing from all three, out of order.
    const cfg = getConfig('micro');
    const one = await loadCohortData({ read: (p) => assets.read(p) }, cfg, { trainPatients: 12 });
    const split = await loadCohortData({ read: (p) => assets.read(p) }, cfg, { trainPatients: 12, rowsPerBuffer: 5 });
    const ids = [11, 0, 6, 4, 5, 10];
    const item = (p: number) => ({ ...one.trainBatch(0, 4)[0], volumeSeed: p });
    const V = 16 ** 3;
    const live0 = e.memory().liveBytes;
    const direct = await readBack(one.renderCt(e, ids.map(item), cfg, { once: true }));
    const row = (p: number) => direct.slice(ids.indexOf(p) * V, (ids.indexOf(p) + 1) * V);
    const gathered = await readBack(split.renderCt(e, ids.map(item), cfg));
    expectTrue(e.memory().liveBytes - live0 >= 12 * V * 4, 'the split pool of 12 volumes is built and kept');
    expectClose(gathered, direct, 'split pool = volumes rendered directly', 0);
    // Rows from one buffer only (6 and 5, both in the second), and a single row (10, the third).
    expectClose(await readBack(split.renderCt(e, [6, 5].map(item), cfg)), Float32Array.from([...row(6), ...row(5)]), 'rows 6 and 5', 0);
    expectClose(await readBack(split.renderCt(e, [item(10)], cfg)), row(10), 'row 10', 0);
    one.dispose();
    split.dispose();
  });
});
