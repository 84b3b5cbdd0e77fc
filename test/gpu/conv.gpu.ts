// conv3d / conv2d on the GPU: kernels against the TypeScript reference on odd shapes (both
// paths, every gradient), the patch path against the direct kernels, the PyTorch fixtures,
// finite differences, and refusals.
import type { Engine, Tensor } from '../../engine/index.ts';
import { ops } from '../../engine/index.ts';
import type { ConvOptions } from '../../engine/ops/conv.ts';
import { parseFixture, runFixture, formatResult } from '../../engine/golden/runner.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, assets, CheckError, withKernelLog } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

const prod = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);

interface Case {
  x: number[];
  w: number[];
  opts: ConvOptions;
  bias?: boolean;
}

/** y, dx, dw, db from the engine for one case (forward and backward with a random gy). */
async function run(e: Engine, c: Case, seed: number, conv = ops.conv3d) {
  const xd = randomArray(prod(c.x), seed);
  const wd = randomArray(prod(c.w), seed + 1);
  const bd = c.bias === false ? null : randomArray(c.w[0], seed + 2);
  const x = e.tensor(xd, c.x);
  const w = e.tensor(wd, c.w);
  const b = bd && e.tensor(bd, [c.w[0]]);
  for (const t of [x, w, b]) if (t) t.requiresGrad = true;
  const y = conv(x, w, b, c.opts);
  const gyd = randomArray(y.size, seed + 3);
  e.scope(() => y.backward(e.tensor(gyd, y.shape)));
  const out = {
    xd, wd, bd, gyd, shape: [...y.shape],
    y: await y.data(), dx: await x.grad!.data(), dw: await w.grad!.data(), db: b ? await b.grad!.data() : null,
  };
  for (const t of [x, w, b, y]) t?.dispose();
  return out;
}

/** Compare the engine with conv3dRef / conv3dBackwardRef (2-D cases as depth 1). */
async function checkAgainstRef(e: Engine, c: Case, seed: number, what: string, conv = ops.conv3d) {
  const r = await run(e, c, seed, conv);
  const lift = (s: number[]) => (s.length === 4 ? [s[0], s[1], 1, s[2], s[3]] : s);
  // conv2d's per-axis [h, w] (or one number for both) becomes [1, h, w] stride and [0, h, w] padding.
  const lift3 = (v: ConvOptions['stride'], d: number, dflt: number) => {
    if (c.x.length === 5) return v;
    const hw = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
    return [d, ...hw];
  };
  const opts3 = { stride: lift3(c.opts.stride, 1, 1), padding: lift3(c.opts.padding, 0, 0) };
  const ref = ops.conv3dRef(r.xd, lift(c.x), r.wd, lift(c.w), r.bd, opts3);
  const shape = c.x.length === 4 ? [ref.shape[0], ref.shape[1], ref.shape[3], ref.shape[4]] : ref.shape;
  expectEqual(r.shape, shape, `${what} output shape`);
  const g = ops.conv3dBackwardRef(r.xd, lift(c.x), r.wd, lift(c.w), r.gyd, opts3);
  expectClose(r.y, ref.data, `${what} y`, 1e-5, 1e-4);
  expectClose(r.dx, g.dx, `${what} dx`, 1e-5, 1e-4);
  expectClose(r.dw, g.dw, `${what} dw`, 1e-5, 1e-4);
  if (r.db) expectClose(r.db, g.db, `${what} db`, 1e-5, 1e-4);
}

const describe = (c: Case) => `x[${c.x}] w[${c.w}] ${JSON.stringify(c.opts)}`;

suite('conv', (test) => {
  test('direct kernels match the reference on odd shapes, forward and every gradient', async (e) => {
    // Channel counts off the 8-channel blocks, W off the 4-position blocks, non-cubic volumes.
    const cases: Case[] = [
      { x: [2, 3, 5, 6, 7], w: [5, 3, 3, 3, 3], opts: { stride: 1, padding: 1 } },
      { x: [1, 4, 7, 12, 9], w: [6, 4, 3, 3, 3], opts: { stride: 2, padding: 1 } },
      { x: [1, 11, 5, 6, 7], w: [13, 11, 1, 1, 1], opts: {} },
      { x: [2, 3, 9, 8, 11], w: [9, 3, 5, 5, 5], opts: { stride: [1, 2, 3], padding: [2, 1, 0] } },
      { x: [1, 9, 4, 5, 6], w: [17, 9, 2, 3, 2], opts: { stride: [2, 1, 3], padding: [1, 2, 1] }, bias: false },
      { x: [1, 2, 3, 4, 5], w: [3, 2, 3, 3, 3], opts: { padding: 3 } },
      { x: [3, 1, 6, 1, 13], w: [2, 1, 3, 1, 5], opts: { stride: [2, 1, 2], padding: [0, 0, 2] } },
      { x: [1, 2, 5, 5, 5], w: [3, 2, 2, 2, 2], opts: { stride: 3, padding: 1 } },
      // Past one 16-channel block on both sides, W off the 8-position blocks.
      { x: [1, 17, 3, 4, 10], w: [19, 17, 2, 3, 3], opts: { stride: [1, 2, 1], padding: [0, 1, 1] } },
    ];
    for (const [i, c] of cases.entries()) await checkAgainstRef(e, c, 10 * i, describe(c));
  });

  test('patch path (kernel = stride) matches the reference, including inputs the patches do not tile', async (e) => {
    const cases: Case[] = [
      { x: [2, 1, 16, 16, 16], w: [8, 1, 4, 4, 4], opts: { stride: 4 } },
      { x: [2, 3, 9, 10, 11], w: [5, 3, 2, 3, 4], opts: { stride: [2, 3, 4] } },
      { x: [1, 2, 8, 12, 4], w: [7, 2, 4, 4, 2], opts: { stride: [4, 4, 2], padding: 0 }, bias: false },
      { x: [3, 5, 2, 3, 4], w: [6, 5, 1, 1, 1], opts: {} },
      // More than PER_SAMPLE_DW_MAX (4,096) weight values and N > 1: dW as one product over gy
      // permuted to [Cout, N·P]; the cases above (N > 1, few weights) take the per-sample path.
      { x: [2, 2, 8, 8, 8], w: [40, 2, 4, 4, 4], opts: { stride: 4 } },
    ];
    for (const [i, c] of cases.entries()) await checkAgainstRef(e, c, 100 + 10 * i, describe(c));
  });

  test('patch path: the copies move whole vec4s where the shapes allow, with the same result', async (e) => {
    // Which copy kernels each case runs (forward, dx, dW): patches4 needs KW and W multiples of 4,
    // and into colsT (the forward's layout) OW too.
    const cases: [Case, string[]][] = [
      // tiny's stem: colsT forward and the col2im of dx as vec4s; per-sample dW reuses colsT.
      [{ x: [2, 1, 16, 16, 16], w: [8, 1, 4, 4, 4], opts: { stride: 4 } }, ['conv.patches4']],
      // 2 vec4s of taps per kernel row; W = 36 leaves 4 cells past the last patch (dx zero there);
      // N = 1, so dW takes the cols layout, also as vec4s.
      [{ x: [1, 2, 4, 8, 36], w: [3, 2, 2, 4, 8], opts: { stride: [2, 4, 8] } }, ['conv.patches4']],
      // OW = 3: colsT one float at a time; cols (dW over many weights) and dx as vec4s.
      [{ x: [2, 2, 8, 8, 12], w: [40, 2, 4, 4, 4], opts: { stride: 4 } }, ['conv.patches', 'conv.patches4']],
      // KW = 2: one float at a time throughout.
      [{ x: [1, 2, 8, 12, 10], w: [3, 2, 4, 4, 2], opts: { stride: [4, 4, 2] }, bias: false }, ['conv.patches']],
    ];
    await withKernelLog(e, async (ran) => {
      for (const [i, [c, want]] of cases.entries()) {
        ran.length = 0;
        await checkAgainstRef(e, c, 300 + 10 * i, describe(c));
        expectEqual([...new Set(ran.filter((k) => k.startsWith('conv.patches')))].sort(), want, `${describe(c)}: copy kernels`);
      }
    });
  });

  test('patch path and direct kernels agree', async (e) => {
    for (const c of [
      { x: [2, 1, 16, 16, 16], w: [12, 1, 4, 4, 4], opts: { stride: 4 } },
      { x: [1, 3, 9, 10, 11], w: [5, 3, 2, 3, 4], opts: { stride: [2, 3, 4] } },
    ] as Case[]) {
      const a = await run(e, c, 7);
      const b = await run(e, { ...c, opts: { ...c.opts, path: 'direct' } }, 7);
      for (const k of ['y', 'dx', 'dw', 'db'] as const) expectClose(a[k]!, b[k]!, `${describe(c)} ${k}: patch vs direct`, 1e-5, 1e-4);
    }
  });

  test('conv2d is conv3d with depth 1', async (e) => {
    const cases: Case[] = [
      { x: [2, 3, 13, 11], w: [5, 3, 3, 3], opts: { stride: 1, padding: 1 } },
      { x: [1, 1, 32, 32], w: [8, 1, 4, 4], opts: { stride: 4 } },
      { x: [2, 6, 9, 7], w: [9, 6, 3, 2], opts: { stride: [2, 1], padding: [1, 0] } },
    ];
    for (const [i, c] of cases.entries()) await checkAgainstRef(e, c, 200 + 10 * i, `conv2d ${describe(c)}`, ops.conv2d);
  });

  test('PyTorch fixtures (conv3d, conv2d)', async (e) => {
    const files = (await assets.list('test/golden')).filter((f) => /^conv[23]d_.*\.safetensors$/.test(f)).sort();
    expectTrue(files.length >= 5, `expected the 5 shipped conv fixtures, found ${files.length}`);
    for (const f of files) {
      const r = await runFixture(e, parseFixture(await assets.read(`test/golden/${f}`), f));
      if (!r.passed) throw new CheckError(formatResult(r));
    }
  });

  test('gradients by finite differences (direct, patch, conv2d)', async (e) => {
    const inputs = (x: number[], w: number[], seed: number) => [
      { data: randomArray(prod(x), seed), shape: x },
      { data: randomArray(prod(w), seed + 1), shape: w },
      { data: randomArray(w[0], seed + 2), shape: [w[0]] },
    ];
    const conv3 = (opts: ConvOptions) => ([x, w, b]: Tensor[]) => ops.conv3d(x, w, b, opts);
    await gradCheck(e, 'conv3d k3 s2 p1', inputs([1, 2, 4, 5, 3], [3, 2, 3, 3, 3], 1), conv3({ stride: 2, padding: 1 }));
    await gradCheck(e, 'conv3d patch k2', inputs([2, 2, 4, 2, 5], [3, 2, 2, 2, 2], 2), conv3({ stride: 2 }));
    await gradCheck(e, 'conv2d k3 s[1,2] p1', inputs([1, 2, 5, 6], [3, 2, 3, 3], 3), ([x, w, b]) => ops.conv2d(x, w, b, { stride: [1, 2], padding: 1 }));
  });

  test('an empty batch gives empty outputs and zero weight gradients', async (e) => {
    for (const c of [
      { x: [0, 3, 4, 5, 6], w: [5, 3, 3, 3, 3], opts: { padding: 1 } },
      { x: [0, 2, 4, 4, 4], w: [3, 2, 2, 2, 2], opts: { stride: 2 } },
    ] as Case[]) {
      const r = await run(e, c, 1);
      expectEqual(r.shape, [0, c.w[0], ...c.x.slice(2).map((d) => (c.opts.stride === 2 ? d / 2 : d))], `${describe(c)} shape`);
      expectClose(r.dw, new Float32Array(r.dw.length), `${describe(c)} dw`);
      expectClose(r.db!, new Float32Array(c.w[0]), `${describe(c)} db`);
    }
  });

  test('bad input is a clear error', async (e) => {
    const x = e.tensor(new Float32Array(2 * 3 * 4 * 4 * 4), [2, 3, 4, 4, 4]);
    const w = e.tensor(new Float32Array(5 * 2 * 3 * 3 * 3), [5, 2, 3, 3, 3]);
    const w3 = e.tensor(new Float32Array(5 * 3 * 3 * 3 * 3), [5, 3, 3, 3, 3]);
    const big = e.tensor(new Float32Array(5 * 3 * 7 * 3 * 3), [5, 3, 7, 3, 3]);
    const x4 = e.tensor(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    const b4 = e.tensor(new Float32Array(4), [4]);
    await expectThrows(() => ops.conv3d(x, w, null), /3 input channels but w \[5, 2, 3, 3, 3\] expects 2/, 'channel mismatch');
    await expectThrows(() => ops.conv3d(x, big, null, { padding: 1 }), /kernel \(7 along D\) is larger than the padded input \(4 \+ 2·1 = 6\)/, 'kernel too large');
    await expectThrows(() => ops.conv3d(x4, w3, null), /x must be \[N, Cin, D, H, W\] \(rank 5\), got \[2, 3, 4, 4\]/, 'rank 4 into conv3d');
    await expectThrows(() => ops.conv2d(x, w3, null), /x must be \[N, Cin, H, W\] \(rank 4\)/, 'rank 5 into conv2d');
    await expectThrows(() => ops.conv3d(x, w3, b4), /b must be \[5\]/, 'bias size');
    await expectThrows(() => ops.conv3d(x, w3, null, { stride: 0 }), /stride must be positive integers/, 'stride 0');
    await expectThrows(() => ops.conv3d(x, w3, null, { padding: [1, 1] }), /padding needs one value or 3/, 'padding per axis');
    for (const t of [x, w, w3, big, x4, b4]) t.dispose();
  });

  test('forward + backward leave no tensors alive (direct, patch, conv2d)', async (e) => {
    const before = e.memory().liveTensors;
    const cases: [number[], number[], ConvOptions][] = [
      [[2, 3, 4, 4, 4], [5, 3, 2, 2, 2], { padding: 1 }],
      [[2, 3, 4, 4, 4], [5, 3, 2, 2, 2], { stride: 2 }],
      [[2, 2, 8, 8, 8], [40, 2, 4, 4, 4], { stride: 4 }],
      [[2, 3, 5, 4], [5, 3, 3, 2], { padding: 1 }],
    ];
    for (const [xs, ws, opts] of cases) {
      const x = e.tensor(randomArray(prod(xs), 1), xs);
      const w = e.tensor(randomArray(prod(ws), 2), ws);
      const b = e.tensor(randomArray(ws[0], 3), [ws[0]]);
      for (const t of [x, w, b]) t.requiresGrad = true;
      const y = xs.length === 4 ? ops.conv2d(x, w, b, opts) : ops.conv3d(x, w, b, opts);
      const seed = e.tensor(randomArray(y.size, 4), y.shape);
      y.backward(seed);
      expectEqual(x.grad?.shape, xs, 'dx shape');
      expectEqual(w.grad?.shape, ws, 'dw shape');
      await y.data();
      for (const t of [x, w, b, y, seed]) t.dispose();
    }
    // A patch conv that keeps its colsT for dW (N > 1, few weights), its output dropped unused:
    // the kept colsT goes with it.
    const x = e.tensor(randomArray(2 * 64, 5), [2, 1, 4, 4, 4]), w = e.tensor(randomArray(8 * 8, 6), [8, 1, 2, 2, 2]);
    w.requiresGrad = true;
    const y = ops.conv3d(x, w, null, { stride: 2 });
    for (const t of [x, w, y]) t.dispose();
    expectEqual(e.memory().liveTensors - before, 0, 'tensors left alive by conv forward + backward');
  });
});
