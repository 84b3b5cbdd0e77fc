import { ops } from '../../engine/index.ts';
import { crossEntropyRef, crossEntropyLanes } from '../../engine/ops/cross-entropy.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, expectFreesSaved } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

function labelsFor(n: number, V: number, seed: number, ignoreEvery = 3, ignore = -100): Int32Array {
  const r = randomArray(n, seed, 0, V);
  return Int32Array.from(r, (v, i) => (i % ignoreEvery === 1 ? ignore : Math.min(V - 1, Math.floor(v))));
}

suite('cross-entropy', (test) => {
  test('loss and gradient match the reference (rows split over lanes, and whole rows)', async (e) => {
    const live = e.memory().liveTensors;
    // Rows of vec4 (V % 4 = 0), vec2 and f32, each split over lanes ([3, 1000], [16, 6000],
    // [5, 30522], [20, 6001]) and whole ([70, 100], [20, 50], [5000, 7], [1, 1]).
    const cases: [number, number][] = [[20, 50], [3, 1000], [16, 6000], [5, 30522], [20, 6001], [70, 100], [5000, 7], [1, 1], [2, 4], [9, 2]];
    for (const [k, [n, V]] of cases.entries()) {
      const logits = randomArray(n * V, 70 + k, -6, 6);
      logits[0] = 60; // far above the rest
      if (n > 2 && V > 3) logits[2 * V + 3] = 100; // (row 2 is counted) e^(100 − 6) overflows float32: the running maximum must be the true one
      const labels = labelsFor(n, V, 80 + k);
      const ref = crossEntropyRef(logits, labels, V, -100, 1.5);
      const xt = e.tensor(logits, [n, V]);
      xt.requiresGrad = true;
      const lt = e.tensor(labels);
      const loss = e.scope(() => {
        const out = ops.crossEntropy(xt, lt);
        out.backward(e.tensor([1.5], []));
        return out;
      });
      const W = V % 4 === 0 ? 4 : V % 2 === 0 ? 2 : 1;
      const what = `crossEntropy [${n}, ${V}] (${['f32', 'vec2', '', 'vec4'][W - 1]}, ${crossEntropyLanes(n, V / W)} lanes)`;
      expectClose(await loss.data(), [ref.loss], `${what} loss`, 1e-5);
      expectClose(await xt.grad!.data(), ref.dx, `${what} dx`, 1e-6, 1e-4);
      for (const t of [loss, xt, lt]) t.dispose();
    }
    // Whatever the ops saved for backward was freed with the scope or by backward itself.
    expectEqual(e.memory().liveTensors, live, 'live tensors after the cases');
  });

  test('another ignore index; every row ignored gives 0 and zero gradient, not NaN', async (e) => {
    const n = 6;
    const V = 9;
    const logits = randomArray(n * V, 5);
    for (const labels of [labelsFor(n, V, 6, 2, 4), new Int32Array(n).fill(-100)]) {
      const ignore = labels[1];
      const xt = e.tensor(logits, [n, V]);
      xt.requiresGrad = true;
      const lt = e.tensor(labels);
      const loss = e.scope(() => {
        const out = ops.crossEntropy(xt, lt, ignore);
        out.backward();
        return out;
      });
      const ref = crossEntropyRef(logits, labels, V, ignore);
      expectClose(await loss.data(), [ref.loss], `ignore ${ignore} loss`, 1e-6);
      expectClose(await xt.grad!.data(), ref.dx, `ignore ${ignore} dx`, 1e-7);
      for (const t of [loss, xt, lt]) t.dispose();
    }
  });

  test('labels outside [0, V) give a NaN loss and a zero gradient row, and read nothing out of bounds', async (e) => {
    for (const [n, V] of [[4, 10], [2, 3000], [4, 7]]) {
      const logits = randomArray(n * V, 8);
      const labels = Int32Array.from({ length: n }, (_, i) => [V, -1, 2, 1 << 30][i % 4]);
      const xt = e.tensor(logits, [n, V]);
      xt.requiresGrad = true;
      const lt = e.tensor(labels);
      const loss = e.scope(() => {
        const out = ops.crossEntropy(xt, lt);
        out.backward();
        return out;
      });
      expectTrue(Number.isNaN((await loss.data())[0]), `[${n}, ${V}]: loss is NaN`);
      const dx = await xt.grad!.data();
      expectTrue(dx.slice(0, V).every((v) => v === 0) && dx.slice(V, 2 * V).every((v) => v === 0), 'rows with bad labels get zero gradient');
      expectTrue(dx.every((v) => Number.isFinite(v)), 'gradient finite');
      for (const t of [loss, xt, lt]) t.dispose();
    }
  });

  test('cross-entropy gradient (finite differences)', async (e) => {
    const labels = new Int32Array([2, -100, 0, 4]);
    await gradCheck(e, 'crossEntropy', [{ data: randomArray(20, 11, -2, 2), shape: [4, 5] }], ([x]) => ops.crossEntropy(x, e.tensor(labels)).reshape([1]), 1e-2, 2e-2); // [1]: see contrastive.gpu.ts
  });

  test('crossEntropy frees what it saves, with or without backward, outside any scope', async (e) => {
    const x = e.tensor(randomArray(6 * 1000, 1), [6, 1000]);
    const labels = e.tensor(new Int32Array([1, -100, 5, 999, 0, 3]));
    const inputs = [x];
    const run = () => ops.crossEntropy(x, labels);
    expectFreesSaved(e, inputs, run);
  });

  test('bad input is a clear error', async (e) => {
    const x = e.tensor(new Float32Array(12), [3, 4]);
    const lf = e.tensor(new Float32Array(3));
    const l2 = e.tensor(new Int32Array(2));
    const x1 = e.tensor(new Float32Array(12));
    await expectThrows(() => ops.crossEntropy(x, lf), /labels must be int32/, 'float labels');
    await expectThrows(() => ops.crossEntropy(x, l2), /labels have shape \[2\], logits \[3,4\]: expected labels \[3\]/, 'label count');
    await expectThrows(() => ops.crossEntropy(x1, l2), /logits must be float32 \[n, V\]/, '1-D logits');
    for (const t of [x, lf, l2, x1]) t.dispose();
  });
});
