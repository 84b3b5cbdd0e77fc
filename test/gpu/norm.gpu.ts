import { ops } from '../../engine/index.ts';
import { layerNormRef } from '../../engine/ops/norm.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, expectFreesSaved } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

suite('norm', (test) => {
  test('layerNorm forward and backward match the reference, odd shapes', async (e) => {
    const live = e.memory().liveTensors;
    // [1040, 64]: the tiny model's tokens, with many row chunks in the dγ/dβ sums.
    const shapes = [[5, 48], [2, 7, 130], [3, 768], [1, 1], [17, 3], [1040, 64], [9, 2049]];
    for (const [k, shape] of shapes.entries()) {
      const C = shape.at(-1)!;
      const n = shape.reduce((p, d) => p * d, 1);
      const x = randomArray(n, 10 + k, -2, 3);
      const gamma = randomArray(C, 20 + k, 0.5, 1.5);
      const beta = randomArray(C, 30 + k);
      const g = randomArray(n, 40 + k);
      const ref = layerNormRef(x, gamma, beta, C, 1e-5, g);
      const xt = e.tensor(x, shape);
      const gt = e.tensor(gamma);
      const bt = e.tensor(beta);
      for (const t of [xt, gt, bt]) t.requiresGrad = true;
      const y = e.scope(() => {
        const out = ops.layerNorm(xt, gt, bt, 1e-5);
        out.backward(e.tensor(g, shape));
        return out;
      });
      const what = `layerNorm [${shape}]`;
      expectClose(await y.data(), ref.y, `${what} y`, 2e-5);
      expectClose(await xt.grad!.data(), ref.dx, `${what} dx`, 2e-5);
      expectClose(await gt.grad!.data(), ref.dgamma, `${what} dgamma`, 1e-4, 2e-5);
      expectClose(await bt.grad!.data(), ref.dbeta, `${what} dbeta`, 1e-4, 2e-5);
      for (const t of [y, xt, gt, bt]) t.dispose();
    }
    // Whatever the ops saved for backward was freed with the scope or by backward itself.
    expectEqual(e.memory().liveTensors, live, 'live tensors after the cases');
  });

  test('layerNorm gradients only for the inputs that need them; eps is honoured', async (e) => {
    const x = randomArray(12, 1);
    const xt = e.tensor(x, [3, 4]);
    const gt = e.tensor(new Float32Array(4).fill(1));
    const bt = e.tensor(new Float32Array(4));
    gt.requiresGrad = true;
    const y = e.scope(() => {
      const out = ops.layerNorm(xt, gt, bt, 0.5);
      ops.sum(out).backward();
      return out;
    });
    expectClose(await y.data(), layerNormRef(x, [1, 1, 1, 1], [0, 0, 0, 0], 4, 0.5).y, 'eps 0.5', 1e-6);
    expectTrue(xt.grad === null && bt.grad === null && gt.grad !== null, 'only gamma gets a gradient');
    for (const t of [y, xt, gt, bt]) t.dispose();
  });

  test('layerNorm gradients (finite differences)', async (e) => {
    await gradCheck(e, 'layerNorm', [
      { data: randomArray(15, 3, -2, 2), shape: [3, 5] },
      { data: randomArray(5, 4, 0.5, 1.5), shape: [5] },
      { data: randomArray(5, 5), shape: [5] },
    ], ([x, g, b]) => ops.layerNorm(x, g, b), 1e-2, 3e-2);
  });

  test('layerNorm frees what it saves, with or without backward, outside any scope', async (e) => {
    const x = e.tensor(randomArray(24, 1), [3, 8]);
    const g = e.tensor(randomArray(8, 2));
    const b = e.tensor(randomArray(8, 3));
    const inputs = [x, g, b];
    const run = () => ops.layerNorm(x, g, b);
    expectFreesSaved(e, inputs, run);
  });

  test('bad input is a clear error', async (e) => {
    const x = e.tensor(new Float32Array(12), [3, 4]);
    const g5 = e.tensor(new Float32Array(5));
    const g4 = e.tensor(new Float32Array(4));
    const xi = e.tensor(new Int32Array(12), [3, 4]);
    await expectThrows(() => ops.layerNorm(x, g5, g4), /gamma has shape \[5\].*x \[3,4\].*expected \[4\]/, 'gamma [5] for C = 4');
    await expectThrows(() => ops.layerNorm(x, g4, g5), /beta has shape \[5\]/, 'beta [5] for C = 4');
    await expectThrows(() => ops.layerNorm(xi, g4, g4), /x must be float32/, 'int32 x');
    await expectThrows(() => ops.layerNorm(x, g4, g4, -1), /eps must be/, 'negative eps');
    for (const t of [x, g5, g4, xi]) t.dispose();
  });
});
