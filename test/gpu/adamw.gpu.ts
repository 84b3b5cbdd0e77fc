import type { Engine } from '../../engine/index.ts';
import { ParamStore } from '../../engine/params.ts';
import { AdamW, adamwRef } from '../../engine/optim/adamw.ts';
import { suite, expectClose, expectThrows, expectEqual, randomArray } from './harness.ts';

/** A store with decayed parameters and one without decay (odd sizes: padding between them). */
function makeStore(e: Engine) {
  const store = new ParamStore(e);
  const w = store.param('w', [7, 3], randomArray(21, 1));
  const b = store.param('b', [5], randomArray(5, 2), { decay: false });
  const v = store.param('v', [130], randomArray(130, 3));
  const big = store.param('big', [300, 233], randomArray(69900, 4)); // many workgroups
  store.finalize();
  return { store, params: [w, b, v, big] };
}

suite('adamw', (test) => {
  test('fused AdamW over a slab matches the reference: decay boundary, clipping, gradient norm', async (e) => {
    // Adam is nearly blind to a common scale of the gradients, so one case has a large eps, where
    // the clip factor shows in the update.
    const cases: [number | undefined, number][] = [[undefined, 1e-7], [0.5, 1e-7], [1e6, 1e-7], [2, 0.5]];
    for (const [maxGradNorm, eps] of cases) {
      const { store, params } = makeStore(e);
      const opts = { lr: 0.01, beta1: 0.85, beta2: 0.99, eps, weightDecay: 0.1, maxGradNorm };
      const opt = new AdamW(store, opts);
      const steps = 4;
      const init = await Promise.all(params.map((p) => p.data()));
      const grads = params.map((p, k) => Array.from({ length: steps }, (_, s) => randomArray(p.size, 10 * k + s, -3, 3)));
      for (let s = 0; s < steps; s++) {
        store.zeroGrad();
        params.forEach((p, k) => e.write(p.grad!, grads[k][s]));
        opt.update(s === 2 ? 0.02 : undefined);
      }
      // The reference over the concatenation in slab order (decayed parameters first).
      const order = [0, 2, 3, 1];
      const flatInit = Float32Array.from(order.flatMap((k) => [...init[k]]));
      const flatGrads = Array.from({ length: steps }, (_, s) => Float32Array.from(order.flatMap((k) => [...grads[k][s]])));
      const p = adamwRef(flatInit, flatGrads, { ...opts, decayEnd: 21 + 130 + 69900, lrs: [0.01, 0.01, 0.02, 0.01] });
      let off = 0;
      for (const k of order) {
        const n = params[k].size;
        expectClose(await params[k].data(), p.subarray(off, off + n), `AdamW clip ${maxGradNorm} eps ${eps} param ${k}`, 2e-6);
        off += n;
      }
      if (maxGradNorm !== undefined) {
        const last = flatGrads[steps - 1];
        const norm = Math.sqrt(last.reduce((a, v) => a + v * v, 0));
        expectClose([await opt.gradNorm!.item()], [norm], 'gradNorm of the last step', 1e-5, 1e-5);
      } else {
        expectEqual(opt.gradNorm, null, 'no gradNorm without clipping');
      }
      opt.destroy();
      store.destroy();
    }
  });

  test('state() and loadState() resume exactly', async (e) => {
    const run = async (split: boolean) => {
      const { store, params } = makeStore(e);
      let opt = new AdamW(store, { lr: 0.05, maxGradNorm: 2 });
      for (let s = 0; s < 5; s++) {
        if (split && s === 3) {
          const st = await opt.state();
          opt.destroy();
          opt = new AdamW(store, { lr: 0.05, maxGradNorm: 2 });
          opt.loadState(st);
        }
        params.forEach((p, k) => e.write(p.grad!, randomArray(p.size, 100 * s + k, -1, 1)));
        opt.update();
      }
      const out = await Promise.all(params.map((p) => p.data()));
      expectEqual(opt.step, 5, 'step count');
      opt.destroy();
      store.destroy();
      return out;
    };
    const a = await run(false);
    const b = await run(true);
    a.forEach((x, k) => expectClose(b[k], x, `resumed param ${k}`, 0, 0));
  });

  test('bad input is a clear error', async (e) => {
    const store = new ParamStore(e);
    store.param('w', [4], 'zeros');
    await expectThrows(() => new AdamW(store, { lr: 0.1 }), /not finalized/, 'unfinalized store');
    store.finalize();
    await expectThrows(() => new AdamW(store, { lr: 0.1, beta2: 1 }), /beta2/, 'beta2 = 1');
    await expectThrows(() => new AdamW(store, { lr: 0.1, maxGradNorm: 0 }), /maxGradNorm/, 'maxGradNorm 0');
    const opt = new AdamW(store, { lr: 0.1 });
    await expectThrows(() => opt.loadState({ step: 1, m: new Float32Array(3), v: new Float32Array(3) }), /another model layout/, 'state of another size');
    opt.destroy();
    await expectThrows(() => opt.update(), /after destroy/, 'update after destroy');
    store.destroy();
  });
});
