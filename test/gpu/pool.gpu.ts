// avg / max pool3d on the GPU: kernels against the TypeScript references on odd shapes, the
// PyTorch fixtures, finite differences, ties, and refusals. The fused cell statistics against
// their reference and against the four pools they replace (which the fixtures check).
import type { Engine, Tensor } from '../../engine/index.ts';
import { ops } from '../../engine/index.ts';
import type { PoolOptions } from '../../engine/ops/pool.ts';
import { parseFixture, runFixture, formatResult } from '../../engine/golden/runner.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, assets, CheckError, withKernelLog } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

const prod = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);
const pools = { avg: { op: ops.avgPool3d, ref: ops.avgPool3dRef }, max: { op: ops.maxPool3d, ref: ops.maxPool3dRef } };

/** Forward and backward on the GPU against the reference. */
async function check(e: Engine, kind: 'avg' | 'max', xd: Float32Array, xs: number[], opts: PoolOptions, what: string) {
  const x = e.tensor(xd, xs);
  x.requiresGrad = true;
  const y = pools[kind].op(x, opts);
  const gyd = randomArray(y.size, 99);
  const seed = e.tensor(gyd, y.shape);
  y.backward(seed);
  const ref = pools[kind].ref(xd, xs, opts, gyd);
  expectEqual([...y.shape], ref.shape, `${what} shape`);
  expectClose(await y.data(), ref.data, `${what} y`, 1e-6);
  expectClose(await x.grad!.data(), ref.dx!, `${what} dx`, 1e-6);
  for (const t of [x, y, seed]) t.dispose();
}

const cases: [number[], PoolOptions][] = [
  [[1, 3, 6, 8, 4], { kernel: 2 }],
  [[2, 3, 7, 9, 5], { kernel: 3, stride: 2, padding: 1 }],
  [[1, 2, 5, 6, 7], { kernel: [3, 2, 5], stride: [1, 2, 3], padding: [1, 0, 2] }],
  [[1, 1, 5, 5, 5], { kernel: 1, stride: 2 }],
  [[2, 1, 9, 7, 11], { kernel: 5, stride: 3, padding: 2 }],
  [[1, 5, 3, 4, 13], { kernel: [1, 4, 3], stride: [1, 1, 2] }],
];

suite('pool', (test) => {
  test('avgPool3d matches the reference on odd shapes, forward and backward', async (e) => {
    for (const [i, [xs, o]] of cases.entries()) await check(e, 'avg', randomArray(prod(xs), i), xs, o, `avg x[${xs}] ${JSON.stringify(o)}`);
  });

  test('maxPool3d matches the reference on odd shapes, forward and backward', async (e) => {
    for (const [i, [xs, o]] of cases.entries()) await check(e, 'max', randomArray(prod(xs), i), xs, o, `max x[${xs}] ${JSON.stringify(o)}`);
  });

  test('maxPool3d sends the gradient to the first of tied maxima, and windows that overlap add up', async (e) => {
    // Values in {0, 1, 2}: many ties; stride 1 so windows overlap.
    const xs = [1, 2, 4, 5, 6];
    const xd = Float32Array.from(randomArray(prod(xs), 3, 0, 3), (v) => Math.floor(v));
    await check(e, 'max', xd, xs, { kernel: [2, 3, 2], stride: 1, padding: [1, 1, 0] }, 'max with ties');
    // All equal: every window's gradient goes to its first (row-major) cell.
    const x = e.tensor(new Float32Array(8).fill(1), [1, 1, 2, 2, 2]);
    x.requiresGrad = true;
    const y = ops.maxPool3d(x, { kernel: 2 });
    const seed = e.tensor([5], [1, 1, 1, 1, 1]);
    y.backward(seed);
    expectClose(await x.grad!.data(), [5, 0, 0, 0, 0, 0, 0, 0], 'all-equal window');
    for (const t of [x, y, seed]) t.dispose();
  });

  test('maxPool3d: a NaN takes over its window and the gradient goes to the last NaN, as in PyTorch', async (e) => {
    // WGSL lets a compiler assume floats are never NaN (SwiftShader folds v != v to false), so the
    // kernel tests the bits. Two NaNs (w = 3 in both rows) in each of windows 2 and 3, which overlap.
    const xs = [1, 1, 2, 2, 6], opts = { kernel: 2, stride: [2, 2, 1] };
    const xd = randomArray(prod(xs), 7);
    xd[3] = NaN;
    xd[9] = NaN;
    const x = e.tensor(xd, xs);
    x.requiresGrad = true;
    const y = ops.maxPool3d(x, opts);
    const gyd = randomArray(y.size, 8);
    const seed = e.tensor(gyd, y.shape);
    y.backward(seed);
    const ref = ops.maxPool3dRef(xd, xs, opts, gyd);
    const got = (await y.data()) as Float32Array;
    const nanAt = (v: ArrayLike<number>) => Array.from(v, (u, i) => (Number.isNaN(u) ? i : -1)).filter((i) => i >= 0);
    expectEqual(nanAt(got), nanAt(ref.data), 'the windows whose maximum is NaN');
    expectEqual(nanAt(ref.data), [2, 3], 'the reference: windows 2 and 3 hold the NaNs');
    expectClose(got.map((u) => (Number.isNaN(u) ? 0 : u)), ref.data.map((u) => (Number.isNaN(u) ? 0 : u)), 'the other maxima', 1e-6);
    expectClose(await x.grad!.data(), ref.dx!, 'dx: each window sends its gradient to its last NaN', 1e-6);
    for (const t of [x, y, seed]) t.dispose();
  });

  test('PyTorch fixtures (avg_pool3d, max_pool3d)', async (e) => {
    const files = (await assets.list('test/golden')).filter((f) => /pool3d.*\.safetensors$/.test(f)).sort();
    expectTrue(files.length >= 2, `expected the 2 shipped pool fixtures, found ${files.length}`);
    for (const f of files) {
      const r = await runFixture(e, parseFixture(await assets.read(`test/golden/${f}`), f));
      if (!r.passed) throw new CheckError(formatResult(r));
    }
  });

  test('cellStats3d: mean, max, min, spread per cell in one pass, against its reference and the four pools', async (e) => {
    // Several channels, cells that are not cubes, inputs the cells do not tile, one planted extreme
    // of each sign per cell, so that max and min are not the same cell's neighbours.
    // Cells whose rows are whole vec4s (cell and W multiples of 4) take cell_stats4, the rest
    // cell_stats.
    const cases: [number[], number[], string][] = [
      [[2, 3, 9, 10, 11], [4, 3, 5], 'pool.cell_stats'],
      [[1, 1, 16, 16, 16], [8, 8, 8], 'pool.cell_stats4'],
      [[3, 2, 4, 4, 4], [1, 2, 4], 'pool.cell_stats4'],
      [[1, 2, 5, 6, 20], [2, 3, 8], 'pool.cell_stats4'],   // W = 20: 4 voxels past the last cell
      [[1, 2, 4, 4, 18], [2, 2, 4], 'pool.cell_stats'],    // W = 18: rows off the vec4s
    ];
    for (const [i, [xs, cell, kernel]] of cases.entries()) {
      const xd = randomArray(prod(xs), 300 + i);
      for (let j = 0; j < xd.length; j += 37) xd[j] = j % 2 ? 9 : -9;
      const x = e.tensor(xd, xs);
      let y!: Tensor;
      await withKernelLog(e, async (ran) => {
        y = ops.cellStats3d(x, cell);
        expectEqual(ran, [kernel], `cellStats3d x[${xs}] cell [${cell}]: kernel`);
      });
      const what = `cellStats3d x[${xs}] cell [${cell}]`;
      const out = [xs[0], 4 * xs[1], ...xs.slice(2).map((d, a) => Math.floor(d / cell[a]))];
      expectEqual([...y.shape], out, `${what} shape`);
      const got = (await y.data()) as Float32Array;
      expectClose(got, ops.cellStats3dRef(xd, xs, cell), `${what} vs reference`, 1e-5);
      // The same four statistics from the pools, concatenated on the channel axis.
      const pool = { kernel: cell };
      const mean = ops.avgPool3d(x, pool);
      const parts = [mean, ops.maxPool3d(x, pool), ops.neg(ops.maxPool3d(ops.neg(x), pool)),
        ops.sqrt(ops.relu(ops.sub(ops.avgPool3d(ops.square(x), pool), ops.square(mean))))];
      const composed = ops.concat(parts, 1);
      expectClose(got, (await composed.data()) as Float32Array, `${what} vs the four pools`, 1e-5);
      for (const t of [x, y, composed, ...parts]) t.dispose();
    }
    // A NaN takes over its cell's maximum and minimum (as max_pool3d's), and only its cell's.
    // Both kernels: cells of 2 voxels along W (cell_stats) and of 4 (cell_stats4), the NaN in the
    // middle of the second cell's first row.
    for (const cw of [2, 4]) {
      const nan = new Float32Array(16 * cw / 2).fill(1);
      nan[cw + 1] = NaN;
      const xn = e.tensor(nan, [1, 1, 2, 2, 2 * cw]);
      const yn = (await ops.cellStats3d(xn, [2, 2, cw]).data()) as Float32Array;
      expectTrue(yn[2] === 1 && yn[4] === 1 && Number.isNaN(yn[3]) && Number.isNaN(yn[5]), `cells of ${cw} along W, NaN in the second cell only: max [${yn[2]}, ${yn[3]}], min [${yn[4]}, ${yn[5]}]`);
      xn.dispose();
    }
    const g = e.tensor(randomArray(8, 1), [1, 1, 2, 2, 2]);
    g.requiresGrad = true;
    await expectThrows(() => ops.cellStats3d(g, 2), /requires a gradient, and cell statistics have none/, 'a tensor that needs a gradient is refused');
    g.dispose();
  });

  test('gradients by finite differences', async (e) => {
    const x = { data: randomArray(prod([1, 2, 4, 5, 3]), 4), shape: [1, 2, 4, 5, 3] };
    const opts: PoolOptions = { kernel: 3, stride: 2, padding: 1 };
    await gradCheck(e, 'avgPool3d k3 s2 p1', [x], ([t]) => ops.avgPool3d(t, opts));
    // Max is piecewise linear: distinct values spaced well over eps keep the argmax fixed.
    const distinct = { data: Float32Array.from(x.data, (_, i) => ((i * 37) % x.data.length) * 0.1), shape: x.shape };
    await gradCheck(e, 'maxPool3d k3 s2 p1', [distinct], ([t]) => ops.maxPool3d(t, opts));
  });

  test('bad input is a clear error', async (e) => {
    const x = e.tensor(new Float32Array(2 * 3 * 4 * 4 * 4), [2, 3, 4, 4, 4]);
    const x4 = e.tensor(new Float32Array(3 * 4 * 4 * 4), [3, 4, 4, 4]);
    await expectThrows(() => ops.avgPool3d(x4, { kernel: 2 }), /x must be \[N, C, D, H, W\] \(rank 5\), got \[3, 4, 4, 4\]/, 'rank 4');
    await expectThrows(() => ops.maxPool3d(x, { kernel: [2, 7, 2] }), /kernel \(7 along H\) is larger than the padded input \(4 \+ 2·0 = 4\)/, 'kernel too large');
    await expectThrows(() => ops.maxPool3d(x, { kernel: 2, padding: 2 }), /padding 2 along D is more than half the kernel/, 'padding over half the kernel');
    await expectThrows(() => ops.avgPool3d(x, { kernel: 2, stride: 0 }), /stride must be positive integers/, 'stride 0');
    await expectThrows(() => ops.avgPool3d(x, { kernel: [2, 2] }), /kernel needs one value or three/, 'kernel per axis');
    for (const t of [x, x4]) t.dispose();
  });

  test('forward + backward leave no tensors alive', async (e) => {
    const before = e.memory().liveTensors;
    for (const kind of ['avg', 'max'] as const) {
      for (const grad of [true, false]) {
        const x = e.tensor(randomArray(2 * 3 * 4 * 4 * 4, 1), [2, 3, 4, 4, 4]);
        x.requiresGrad = grad;
        const y = pools[kind].op(x, { kernel: 2 });
        const seed = e.tensor(randomArray(y.size, 2), y.shape);
        if (grad) y.backward(seed);
        await y.data();
        for (const t of [x, y, seed]) t.dispose();
      }
    }
    expectEqual(e.memory().liveTensors - before, 0, 'tensors left alive by pooling');
  });
});
