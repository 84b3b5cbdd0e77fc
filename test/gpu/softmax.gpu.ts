import { ops } from '../../engine/index.ts';
import { softmaxRef } from '../../engine/ops/softmax.ts';
import { suite, expectClose, expectEqual, expectThrows, randomArray, expectFreesSaved } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

suite('softmax', (test) => {
  test('softmax and log-softmax along every axis match the reference, with backward', async (e) => {
    const live = e.memory().liveTensors;
    const cases: [number[], number][] = [[[6, 51], -1], [[2, 3, 5], 0], [[2, 3, 5], 1], [[2, 3, 5], 2], [[7, 130, 3], 1], [[1], 0], [[65, 1], 1], [[4, 1000], -1]];
    for (const [k, [shape, axis]] of cases.entries()) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = randomArray(n, 50 + k, -8, 8);
      x[0] += 80; // a large logit: the maximum must be subtracted
      const g = randomArray(n, 60 + k);
      for (const log of [false, true]) {
        const ref = softmaxRef(x, shape, axis, log, g);
        const xt = e.tensor(x, shape);
        xt.requiresGrad = true;
        const y = e.scope(() => {
          const out = log ? ops.logSoftmax(xt, axis) : ops.softmax(xt, axis);
          out.backward(e.tensor(g, shape));
          return out;
        });
        const what = `${log ? 'logSoftmax' : 'softmax'} [${shape}] axis ${axis}`;
        expectClose(await y.data(), ref.y, `${what} y`, 1e-5);
        expectClose(await xt.grad!.data(), ref.dx, `${what} dx`, 1e-5);
        y.dispose();
        xt.dispose();
      }
    }
    // Whatever the ops saved for backward was freed with the scope or by backward itself.
    expectEqual(e.memory().liveTensors, live, 'live tensors after the cases');
  });

  test('softmax and log-softmax gradients (finite differences)', async (e) => {
    const x = { data: randomArray(12, 7, -2, 2), shape: [3, 4] };
    for (const axis of [0, 1]) {
      await gradCheck(e, `softmax axis ${axis}`, [x], ([t]) => ops.softmax(t, axis), 1e-2, 2e-2);
      await gradCheck(e, `logSoftmax axis ${axis}`, [x], ([t]) => ops.logSoftmax(t, axis), 1e-2, 2e-2);
    }
  });

  test('softmax frees what it saves, with or without backward, outside any scope', async (e) => {
    const x = e.tensor(randomArray(24, 1), [2, 3, 4]);
    const inputs = [x];
    const run = () => ops.logSoftmax(x, 1);
    expectFreesSaved(e, inputs, run);
  });

  test('bad input is a clear error', async (e) => {
    const x = e.tensor(new Float32Array(6), [2, 3]);
    await expectThrows(() => ops.softmax(x, 2), /axis 2 is out of range for x of shape \[2,3\]/, 'axis 2 of a matrix');
    await expectThrows(() => ops.logSoftmax(x, -3), /axis -3 is out of range/, 'axis -3 of a matrix');
    const xi = e.tensor(new Int32Array(6), [2, 3]);
    await expectThrows(() => ops.softmax(xi), /float32/, 'int32 x');
    x.dispose();
    xi.dispose();
  });
});
