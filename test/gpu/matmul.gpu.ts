import { ops, backward, type Engine, type Tensor } from '../../engine/index.ts';
import { autotune, forceChoice, tunedChoice } from '../../engine/autotune.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray } from './harness.ts';
import { gradCheck } from './gradcheck.ts';
import { plan, matmulRuleOfThumb, isSoftwareAdapter } from '../../engine/ops/matmul.ts';
import { subgroupsOf4 } from '../../engine/ops/subgroups.ts';

const { matmulRef, launchMatmul, MATMUL_VARIANTS, matmulUnavailable } = ops;

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
/** op(X) has shape `s`: the stored shape swaps the last two axes when transposed. */
const stored = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);

// [op(A) shape, op(B) shape]: odd sizes (no multiple of any block), a vec4-aligned case, M = 1,
// batched, a shared B, a shared A, and K = 1.
const SHAPES: [number[], number[]][] = [
  [[37, 53], [53, 29]],
  [[1, 300], [300, 7]],
  [[17, 13], [13, 24]],
  [[2, 36, 16], [2, 16, 28]],
  [[3, 9, 33], [33, 65]],
  [[20, 12], [4, 12, 6]],
  [[5, 1], [1, 3]],
  [[2, 65, 32], [2, 32, 65]],
];

async function checkProduct(e: Engine, variant: (typeof MATMUL_VARIANTS)[number] | undefined, sa: number[], sb: number[], ta: boolean, tb: boolean, alpha: number, seed: number): Promise<void> {
  const A = stored(sa, ta);
  const B = stored(sb, tb);
  const ad = randomArray(size(A), seed);
  const bd = randomArray(size(B), seed + 1);
  const a = e.tensor(ad, A);
  const b = e.tensor(bd, B);
  const c = launchMatmul(a, b, ta, tb, alpha, variant);
  const ref = matmulRef(ad, A, bd, B, { transA: ta, transB: tb });
  const what = `${variant ?? 'default'} [${A}]${ta ? 'ᵀ' : ''}·[${B}]${tb ? 'ᵀ' : ''}·${alpha}`;
  expectEqual(c.shape, ref.shape, `${what} shape`);
  expectClose(await c.data(), ref.data.map((x) => alpha * x), what, 1e-5, 1e-4);
  a.dispose();
  b.dispose();
  c.dispose();
}

suite('matmul', (test) => {
  for (const v of MATMUL_VARIANTS) {
    test(`${v} matches the reference: odd shapes, batches, broadcasts, all transposes, alpha`, async (e) => {
      const why = matmulUnavailable(e, v);
      if (why) {
        // A variant this adapter cannot run must say so, and refuse to launch.
        const a = e.tensor(new Float32Array(4), [2, 2]);
        await expectThrows(() => launchMatmul(a, a, false, false, 1, v), /cannot run here/, `${v} on this adapter`);
        a.dispose();
        return;
      }
      let seed = 10;
      for (const [sa, sb] of SHAPES) {
        for (const ta of [false, true]) for (const tb of [false, true]) await checkProduct(e, v, sa, sb, ta, tb, ta ? -0.5 : 1, seed++);
      }
    });
  }

  test('the default choice matches the reference, and matmul() records the product', async (e) => {
    await checkProduct(e, undefined, [70, 130], [130, 72], false, true, 1, 3);
    const a = randomArray(6 * 5, 4);
    const b = randomArray(5 * 7, 5);
    const y = e.scope(() => ops.matmul(e.tensor(a, [6, 5]), e.tensor(b, [5, 7])));
    expectClose(await y.data(), matmulRef(a, [6, 5], b, [5, 7]).data, 'matmul()', 1e-5, 1e-4);
    y.dispose();
  });

  test('the rule of thumb on this adapter: register blocks on a software adapter, by shape', async (e) => {
    const pick = (a: number[], b: number[]) => matmulRuleOfThumb(e, plan(a, b, false, false));
    if (!isSoftwareAdapter(e)) {
      expectTrue(['tiled', 'reg8x8'].includes(pick([1040, 64], [64, 192])), 'a GPU gets workgroup tiles (or reg8x8 without them)');
      return;
    }
    if (!subgroupsOf4(e)) {
      expectEqual(pick([1040, 64], [64, 192]), 'reg8x8', 'no subgroups of 4: reg8x8');
      return;
    }
    expectEqual(pick([1040, 64], [64, 192]), 'sg8x16', '[1040,64]·[64,192] (N a multiple of 16)');
    expectEqual(pick([1040, 64], [64, 200]), 'sg8x12', '[1040,64]·[64,200] (N no multiple of 16)');
    expectEqual(pick([1024, 1024], [1024, 1024]), 'sg16x32', '1024³ (long K, many full tiles)');
    expectEqual(pick([40, 64], [64, 64]), 'reg8x8', '[40,64]·[64,64] (32-row tiles mostly padding)');
  });

  // dA and dB against the reference rules: dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, summed over the
  // batch for a shared operand.
  async function checkBackward(e: Engine, sa: number[], sb: number[], ta: boolean, tb: boolean, seed: number): Promise<void> {
    const A = stored(sa, ta);
    const B = stored(sb, tb);
    const ad = randomArray(size(A), seed);
    const bd = randomArray(size(B), seed + 1);
    const a = e.tensor(ad, A);
    const b = e.tensor(bd, B);
    a.requiresGrad = b.requiresGrad = true;
    const y = ops.matmul(a, b, { transA: ta, transB: tb });
    const gd = randomArray(y.size, seed + 2);
    const g = e.tensor(gd, y.shape);
    backward(y, g);
    const p = plan(A, B, ta, tb);
    const M = p.M, N = p.N, K = p.K;
    // Per batch item, on the CPU.
    const dA = new Float32Array(size(A));
    const dB = new Float32Array(size(B));
    for (let bi = 0; bi < p.batch; bi++) {
      const ao = p.aBatched ? bi * M * K : 0;
      const bo = p.bBatched ? bi * K * N : 0;
      const gc = gd.subarray(bi * M * N, (bi + 1) * M * N);
      // d op(A) [M,K] = dC [M,N] · op(B)ᵀ;  d op(B) [K,N] = op(A)ᵀ · dC.
      const dopA = matmulRef(gc, [M, N], bd.subarray(bo, bo + K * N), tb ? [N, K] : [K, N], { transB: !tb }).data;
      const dopB = matmulRef(ad.subarray(ao, ao + M * K), ta ? [K, M] : [M, K], gc, [M, N], { transA: !ta }).data;
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) dA[ao + (ta ? k * M + m : m * K + k)] += dopA[m * K + k];
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) dB[bo + (tb ? n * K + k : k * N + n)] += dopB[k * N + n];
    }
    const what = `[${A}]${ta ? 'ᵀ' : ''}·[${B}]${tb ? 'ᵀ' : ''}`;
    expectClose(await a.grad!.data(), dA, `d_a of ${what}`, 1e-4, 1e-4);
    expectClose(await b.grad!.data(), dB, `d_b of ${what}`, 1e-4, 1e-4);
    for (const t of [a, b, y, g]) t.dispose();
  }

  test('backward: shared weight [B,T,K]·[K,N] (and x·Wᵀ), batched, broadcast A, all transposes', async (e) => {
    let seed = 40;
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        await checkBackward(e, [3, 17, 24], [24, 13], ta, tb, seed++);
        await checkBackward(e, [2, 17, 24], [2, 24, 13], ta, tb, seed++);
        await checkBackward(e, [9, 7], [3, 7, 5], ta, tb, seed++);
      }
    }
  });

  test('gradients by finite differences', async (e) => {
    const r = (s: number[], seed: number) => ({ data: randomArray(size(s), seed), shape: s });
    await gradCheck(e, 'matmul', [r([3, 4], 1), r([4, 5], 2)], ([a, b]) => ops.matmul(a, b));
    await gradCheck(e, 'matmul transB shared', [r([2, 3, 4], 3), r([5, 4], 4)], ([a, b]) => ops.matmul(a, b, { transB: true }));
    await gradCheck(e, 'matmul transA batched', [r([2, 4, 3], 5), r([2, 4, 2], 6)], ([a, b]) => ops.matmul(a, b, { transA: true }));
  });

  test('bad input is a clear error', async (e) => {
    const a = e.tensor(new Float32Array(6), [2, 3]);
    const b = e.tensor(new Float32Array(8), [4, 2]);
    const c = e.tensor(new Float32Array(24), [2, 3, 4]);
    const d = e.tensor(new Float32Array(36), [3, 3, 4]);
    const i = e.tensor(new Int32Array(6), [3, 2]);
    await expectThrows(() => ops.matmul(a, b), /inner dimensions differ: \[2,3\] · \[4,2\] \(3 vs 4\)/, 'inner mismatch');
    await expectThrows(() => ops.matmul(c, d, { transB: true }), /batch dimensions differ: \[2,3,4\] · \[3,3,4\]/, 'batch mismatch');
    await expectThrows(() => ops.matmul(a, i), /needs float32 tensors/, 'int32 operand');
    for (const t of [a, b, c, d, i]) t.dispose();
  });

  test('autotune picks the fastest correct variant, caches it, and honours a forced one', async (e) => {
    // Generic facility, with made-up variants: 'slow' does 16× the work of 'fast' (a wide margin:
    // CI shares two cores with other test files, and one preempted 5 ms window once flipped a 6×
    // margin); 'wrong' is rejected.
    const x = e.tensor(randomArray(96 * 96, 9), [96, 96]);
    const key = `test.autotune/${Math.random()}`;
    let built = 0;
    const bench = (v: string) => {
      built++;
      if (v === 'missing') return 'not on this adapter';
      return {
        run: () => {
          const outs: Tensor[] = [];
          for (let r = 0; r < (v === 'slow' ? 16 : 1); r++) outs.push(launchMatmul(x, x, false, false, 1, 'reg4x4'));
          return outs;
        },
        check: async () => (v === 'wrong' ? 'C[0][0] is off' : null),
      };
    };
    const first = await autotune(e, key, ['slow', 'fast', 'wrong', 'missing'], bench, { persist: false, rounds: 3, minMs: 20 });
    expectEqual(first.pick, 'fast', 'picked');
    expectEqual(first.source, 'measured', 'source');
    expectTrue(first.rejected.wrong === 'C[0][0] is off' && first.rejected.missing === 'not on this adapter', `rejected: ${JSON.stringify(first.rejected)}`);
    expectTrue(first.ms.slow > first.ms.fast, `timed: ${JSON.stringify(first.ms)}`);
    const n = built;
    const again = await autotune(e, key, ['slow', 'fast'], bench, { persist: false });
    expectEqual([again.pick, built], ['fast', n], 'cached: no second measurement');
    expectEqual(tunedChoice(e, key)?.pick, 'fast', 'tunedChoice');
    forceChoice(e, 'test.autotune/', 'slow');
    expectEqual([tunedChoice(e, key)?.pick, tunedChoice(e, key)?.source], ['slow', 'forced'], 'forced');
    forceChoice(e, 'test.autotune/', null);
    expectEqual(tunedChoice(e, key)?.pick, 'fast', 'unforced');
    x.dispose();

    // Matmul: a tuned class is used by later launches; a forced variant overrides it.
    const shape = { a: [40, 24], b: [24, 36] };
    const [t] = await ops.tuneMatmul(e, [shape], { persist: false, retune: true, rounds: 1, minMs: 2, variants: ['reg4x4', 'reg8x8'] });
    expectTrue(t.pick === 'reg4x4' || t.pick === 'reg8x8', `tuned pick ${t.pick}`);
    const [t2] = await ops.tuneMatmul(e, [shape], { persist: false, variants: ['reg4x4', 'reg8x8'] });
    expectEqual([t2.pick, t2.source], [t.pick, 'measured'], 'tuneMatmul again: the cached measurement');
    await checkProduct(e, undefined, shape.a, shape.b, false, false, 1, 77);
    const used = () => ops.matmulChoices(e).find((c) => c.key === t.key);
    expectEqual([used()?.variant, used()?.source], [t.pick, 'measured'], 'launch used the tuned variant');
    ops.forceMatmulVariant(e, 'naive');
    try {
      await checkProduct(e, undefined, shape.a, shape.b, false, false, 1, 78);
      expectEqual([used()?.variant, used()?.source], ['naive', 'forced'], 'launch used the forced variant');
    } finally {
      ops.forceMatmulVariant(e, null);
    }
  });
});
