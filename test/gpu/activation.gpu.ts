import { ops } from '../../engine/index.ts';
import { geluRef, geluGradRef } from '../../engine/ops/activation.ts';
import { suite, expectClose, expectEqual, expectThrows, randomArray, expectFreesSaved } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

suite('activation', (test) => {
  test('gelu (erf and tanh) and its gradient match the double-precision reference', async (e) => {
    const live = e.memory().liveTensors;
    // A dense sweep over [−10, 10] (both tails, 0, the branch-free middle) plus random odd sizes.
    const sweep = Float32Array.from({ length: 4001 }, (_, i) => -10 + i * 0.005);
    // Sizes that are multiples of 4 run the vec4 kernels, the others the f32 variant.
    const sweep4 = sweep.subarray(1);
    for (const x of [sweep, sweep4, randomArray(1, 1), randomArray(12, 5), randomArray(333, 2, -4, 4), randomArray(10007, 3, -6, 6), randomArray(40000, 4, -6, 6)]) {
      const g = randomArray(x.length, 9, -2, 2);
      for (const approximate of ['none', 'tanh'] as const) {
        const xt = e.tensor(x);
        xt.requiresGrad = true;
        const y = e.scope(() => {
          const out = ops.gelu(xt, approximate);
          out.backward(e.tensor(g));
          return out;
        });
        const what = `gelu ${approximate} [${x.length}]`;
        // Within a few float32 ulps of the true value: the erf is not the limit here.
        expectClose(await y.data(), geluRef(x, approximate), `${what} y`, approximate === 'none' ? 3e-7 : 1e-6, 1e-6);
        expectClose(await xt.grad!.data(), geluGradRef(x, g, approximate), `${what} dx`, approximate === 'none' ? 5e-7 : 5e-6, 1e-6);
        y.dispose();
        xt.dispose();
      }
    }
    // Whatever the ops saved for backward was freed with the scope or by backward itself.
    expectEqual(e.memory().liveTensors, live, 'live tensors after the cases');
  });

  test('gelu gradients (finite differences)', async (e) => {
    const x = { data: randomArray(9, 4, -3, 3), shape: [3, 3] };
    await gradCheck(e, 'gelu', [x], ([t]) => ops.gelu(t), 1e-2, 2e-2);
    await gradCheck(e, 'gelu tanh', [x], ([t]) => ops.gelu(t, 'tanh'), 1e-2, 2e-2);
    const x4 = { data: randomArray(8, 5, -3, 3), shape: [2, 4] };
    await gradCheck(e, 'gelu (vec4)', [x4], ([t]) => ops.gelu(t), 1e-2, 2e-2);
    await gradCheck(e, 'gelu tanh (vec4)', [x4], ([t]) => ops.gelu(t, 'tanh'), 1e-2, 2e-2);
  });

  test('gelu frees what it saves, with or without backward, outside any scope', async (e) => {
    const x = e.tensor(randomArray(24, 1));
    const inputs = [x];
    const run = () => ops.gelu(x);
    expectFreesSaved(e, inputs, run);
  });

  test('bad input is a clear error', async (e) => {
    const x = e.tensor(new Float32Array(4));
    const xi = e.tensor(new Int32Array(4));
    await expectThrows(() => ops.gelu(x, 'fast' as 'tanh'), /approximate must be 'none' or 'tanh'/, 'unknown approximation');
    await expectThrows(() => ops.gelu(xi), /float32/, 'int32 x');
    x.dispose();
    xi.dispose();
  });
});
