// Blob filters on the GPU: the separable blur and the Hessian blob responses against their float64
// references on shapes no tile divides, what they are for (a ball answers, a tube and a flat
// volume do not), the closed-form eigenvalues against matrices built from known ones, and refusals.
import type { Engine } from '../../engine/index.ts';
import { ops } from '../../engine/index.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, withKernelLog } from './harness.ts';

const prod = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);

/** A D×H×W volume of f(d, h, w). */
function volume(D: number, H: number, W: number, f: (d: number, h: number, w: number) => number): Float32Array {
  const v = new Float32Array(D * H * W);
  for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) v[(d * H + h) * W + w] = f(d, h, w);
  return v;
}

async function blob(e: Engine, v: Float32Array, shape: number[], sigma: number): Promise<Float32Array> {
  const x = e.tensor(v, shape);
  const y = ops.blobness3d(x, sigma);
  const out = (await y.data()) as Float32Array;
  x.dispose();
  y.dispose();
  return out;
}

suite('blob', (test) => {
  test('gaussianBlur3d against its reference: several volumes, odd sizes, a radius longer than an axis', async (e) => {
    // W a multiple of 4 and σ ≤ 4/3 take the vec4 kernels: along D and H blocks of 4 places, whole
    // (D = 8) or not (5, 6, 7, 3, 2); R = 4 at σ 4/3, as far as they go. σ 1.5 (R = 5) with W = 12
    // takes the scalar one.
    const cases: [number[], number][] = [[[2, 3, 5, 7, 9], 1], [[1, 2, 3, 11, 6], 1.5], [[1, 1, 9, 4, 13], 0.6],
      [[1, 2, 6, 5, 8], 1], [[2, 1, 8, 7, 4], 4 / 3], [[1, 1, 3, 2, 16], 0.6], [[2, 1, 3, 3, 12], 1.5]];
    for (const [i, [xs, sigma]] of cases.entries()) {
      const xd = randomArray(prod(xs), 40 + i);
      const x = e.tensor(xd, xs);
      let y!: ReturnType<typeof ops.gaussianBlur3d>;
      const fast = xs[4] % 4 === 0 && sigma <= 4 / 3;
      await withKernelLog(e, async (ran) => {
        y = ops.gaussianBlur3d(x, sigma);
        expectEqual(ran, fast ? ['blob.blur_w4', 'blob.blur_block4', 'blob.blur_block4'] : ['blob.blur_axis', 'blob.blur_axis', 'blob.blur_axis'], `blur x[${xs}]: one pass per axis`);
      });
      expectEqual([...y.shape], xs, `blur x[${xs}] shape`);
      expectClose((await y.data()) as Float32Array, ops.gaussianBlur3dRef(xd, xs, sigma), `blur x[${xs}] σ ${sigma}`, 1e-5);
      x.dispose();
      y.dispose();
    }
    // A constant volume stays constant (the weights sum to 1, the clamped edges repeat it).
    const c = e.tensor(new Float32Array(4 * 5 * 6).fill(0.7), [1, 1, 4, 5, 6]);
    const bc = ops.gaussianBlur3d(c, 2);
    expectClose((await bc.data()) as Float32Array, new Float32Array(120).fill(0.7), 'a constant volume blurred', 1e-6);
    c.dispose();
    bc.dispose();
  });

  test('blobness3d against its reference: bright and dark channels of several volumes', async (e) => {
    // W a multiple of 4 takes hessian_blob4 (4 voxels a thread), W = 4 with both borders in one vec4.
    const cases: [number[], number][] = [[[2, 3, 6, 7, 9], 1], [[1, 1, 4, 5, 6], 0.8], [[1, 2, 5, 9, 8], 1.5], [[2, 1, 4, 6, 12], 1], [[1, 3, 5, 4, 4], 0.7]];
    for (const [i, [xs, sigma]] of cases.entries()) {
      const xd = randomArray(prod(xs), 70 + i);
      let got!: Float32Array;
      await withKernelLog(e, async (ran) => {
        got = await blob(e, xd, xs, sigma);
        expectEqual(ran.at(-1), xs[4] % 4 ? 'blob.hessian_blob' : 'blob.hessian_blob4', `blobness x[${xs}]: kernel`);
      });
      const want = ops.blobness3dRef(xd, xs, sigma);
      expectEqual(got.length, 2 * prod(xs), `blobness x[${xs}]: two channels per input channel`);
      // float32 on the GPU against float64: the eigenvalues' acos loses a few digits near its ends.
      expectClose(got, want, `blobness x[${xs}] σ ${sigma}`, 2e-5, 1e-3);
      expectTrue(want.some((v) => v > 1e-3), `blobness x[${xs}]: the case has some response to compare`);
    }
  });

  test('a ball answers, a tube and a flat volume do not; a dark ball in the dark channel', async (e) => {
    const n = 16, c = 7, shape = [1, 1, n, n, n];
    const ball = volume(n, n, n, (d, h, w) => Math.exp(-((d - c) ** 2 + (h - c) ** 2 + (w - c) ** 2) / (2 * 1.5 ** 2)));
    const tube = volume(n, n, n, (_d, h, w) => Math.exp(-((h - c) ** 2 + (w - c) ** 2) / (2 * 1.5 ** 2)));
    const at = (c * n + c) * n + c, vol = n * n * n;
    const b = await blob(e, ball, shape, 1);
    const t = await blob(e, tube, shape, 1);
    const dark = await blob(e, ball.map((v) => -v), shape, 1);
    const flat = await blob(e, new Float32Array(vol).fill(0.3), shape, 1);
    expectTrue(b[at] > 0.05, `a bright ball's centre: bright ${b[at]}`);
    expectTrue(b[vol + at] === 0, `a bright ball's centre: dark ${b[vol + at]}`);
    expectTrue(t[at] < 0.01 * b[at], `a tube's axis: bright ${t[at]}, against the ball's ${b[at]}`);
    expectClose([dark[vol + at], dark[at]], [b[at], 0], 'a dark ball: the bright ball\'s response, in the dark channel', 1e-6, 1e-5);
    expectTrue(flat.every((v) => v === 0), 'a flat volume: no response anywhere');
    // Border voxels have no neighbour on one side: 0 by definition.
    expectTrue(b[0] === 0 && b[vol - 1] === 0, 'border voxels are 0');
  });

  test('eigenSym3: the closed form against matrices made from known eigenvalues', async () => {
    // Q·diag(λ)·Qᵀ for a rotation Q about a skew axis.
    const cases: [number, number, number][] = [[-3, 1, 2], [0.5, 0.5, 0.5], [-1, -1, 4], [1e-3, 2e-3, -5]];
    const [ax, ay, az] = [0.48, -0.6, 0.64], th = 0.9, cs = Math.cos(th), sn = Math.sin(th), k = 1 - cs;
    const Q = [[cs + ax * ax * k, ax * ay * k - az * sn, ax * az * k + ay * sn], [ay * ax * k + az * sn, cs + ay * ay * k, ay * az * k - ax * sn], [az * ax * k - ay * sn, az * ay * k + ax * sn, cs + az * az * k]];
    for (const l of cases) {
      const M = [0, 1, 2].map((i) => [0, 1, 2].map((j) => Q[i][0] * l[0] * Q[j][0] + Q[i][1] * l[1] * Q[j][1] + Q[i][2] * l[2] * Q[j][2]));
      const got = ops.eigenSym3(M[0][0], M[0][1], M[0][2], M[1][1], M[1][2], M[2][2]);
      expectClose(got, [...l].sort((a, b) => a - b), `eigenvalues of Q·diag(${l})·Qᵀ`, 1e-7); // a repeated eigenvalue puts acos at its end: √ε
    }
  });

  test('refusals: a rank that is not 5, σ not positive, a tensor that needs a gradient', async (e) => {
    const x4 = e.tensor(randomArray(8, 1), [1, 2, 2, 2]);
    await expectThrows(() => ops.blobness3d(x4, 1), /must be \[N, C, D, H, W\] \(rank 5\), got \[1, 2, 2, 2\]/, 'rank 4');
    const x = e.tensor(randomArray(8, 2), [1, 1, 2, 2, 2]);
    await expectThrows(() => ops.gaussianBlur3d(x, 0), /σ must be between 0.25 and 16 voxels, got 0/, 'σ = 0');
    await expectThrows(() => ops.blobness3d(x, NaN), /σ must be between 0.25 and 16 voxels, got NaN/, 'σ = NaN');
    x.requiresGrad = true;
    await expectThrows(() => ops.blobness3d(x, 1), /requires a gradient, and blob filters have none/, 'a tensor that needs a gradient');
    x4.dispose();
    x.dispose();
  });
});
