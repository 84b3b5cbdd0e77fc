import type { Engine, Tensor } from '../../engine/index.ts';
import { ops } from '../../engine/index.ts';
import { attentionRef, attentionBackwardRef, attentionTuning, attentionQuad, type AttentionDims, type Causal } from '../../engine/ops/attention.ts';
import { subgroupsOf4 } from '../../engine/ops/subgroups.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

interface Case extends AttentionDims {
  causal?: Causal;
  /**
   * 'some' masks every third key (plus all keys of batch 0 when B > 1); 'none' leaves it out;
   * 'segments' gives each batch row runs of 1–5 tokens with ids 1, 2, 3, … and a padded tail.
   */
  mask?: 'none' | 'some' | 'segments';
  scale?: number;
}

function maskFor(c: Case): Int32Array | null {
  if (c.mask === 'segments') {
    const m = new Int32Array(c.B * c.Tk);
    for (let b = 0; b < c.B; b++) {
      let id = 1, left = 1 + b;
      // The last 2 + b tokens are padding (id 0).
      for (let j = 0; j < c.Tk - 2 - b; j++) {
        m[b * c.Tk + j] = id;
        if (--left === 0) [id, left] = [id + 1, 1 + ((id * 7 + b) % 5)];
      }
    }
    return m;
  }
  if (c.mask !== 'some') return null;
  const m = Int32Array.from({ length: c.B * c.Tk }, (_, i) => (i % c.Tk) % 3 === 1 ? 0 : 1);
  // A fully masked batch row: its outputs and gradients must be zeros, not NaN.
  if (c.B > 1) m.fill(0, 0, c.Tk);
  return m;
}

function inputs(c: Case, seed: number) {
  const { B, H, Tq, Tk, d } = c;
  return {
    q: randomArray(B * H * Tq * d, seed, -2, 2),
    k: randomArray(B * H * Tk * d, seed + 1, -2, 2),
    v: randomArray(B * H * Tk * d, seed + 2),
    gy: randomArray(B * H * Tq * d, seed + 3),
    mask: maskFor(c),
  };
}

const name = (c: Case) => `B${c.B} H${c.H} Tq${c.Tq} Tk${c.Tk} d${c.d}${c.causal ? ` causal${c.causal === 'top-left' ? ' top-left' : ''}` : ''}${c.mask && c.mask !== 'none' ? ` ${c.mask}` : ''}${c.scale ? ` scale ${c.scale}` : ''}`;

/** Forward (and backward when `grads`) on the GPU against the references. */
async function check(e: Engine, c: Case, seed: number, grads: boolean, label = ''): Promise<void> {
  const what = `${name(c)}${label}`;
  const x = inputs(c, seed);
  const opts = { causal: c.causal, keyMask: x.mask, scale: c.scale, segments: c.mask === 'segments' };
  const leaves = [e.tensor(x.q, [c.B, c.H, c.Tq, c.d]), e.tensor(x.k, [c.B, c.H, c.Tk, c.d]), e.tensor(x.v, [c.B, c.H, c.Tk, c.d])];
  for (const t of leaves) t.requiresGrad = grads;
  const mask = x.mask ? e.tensor(x.mask, [c.B, c.Tk], 'int32') : null;
  const y = e.scope(() => {
    const out = ops.attention(leaves[0], leaves[1], leaves[2], { ...opts, keyMask: mask });
    if (grads) out.backward(e.tensor(x.gy, out.shape));
    return out;
  });
  expectEqual(y.shape, [c.B, c.H, c.Tq, c.d], `${what}: output shape`);
  expectClose(await y.data(), attentionRef(x.q, x.k, x.v, c, opts), `${what}: forward`, 2e-5);
  if (grads) {
    const ref = attentionBackwardRef(x.q, x.k, x.v, x.gy, c, opts);
    const [dq, dk, dv] = await Promise.all(leaves.map((t) => t.grad!.data()));
    expectClose(dq, ref.dq, `${what}: dq`, 5e-5);
    expectClose(dk, ref.dk, `${what}: dk`, 5e-5);
    expectClose(dv, ref.dv, `${what}: dv`, 5e-5);
  }
  for (const t of [...leaves, y, mask]) t?.dispose();
}

/** Run `fn` with every kernel at `rows` rows per thread. */
async function withRows(rows: number, fn: () => Promise<void>): Promise<void> {
  const saved = { ...attentionTuning };
  Object.assign(attentionTuning, { forwardRows: rows, dqRows: rows, dkdvRows: rows });
  try {
    await fn();
  } finally {
    Object.assign(attentionTuning, saved);
  }
}

/** Run `fn` with the streaming kernels in one build: rows shared across a quad (quad) or not. */
async function withBuild(quad: boolean, fn: () => Promise<void>): Promise<void> {
  const saved = attentionTuning.quad;
  attentionTuning.quad = quad;
  try {
    await fn();
  } finally {
    attentionTuning.quad = saved;
  }
}

suite('attention', (test) => {
  // Sizes that are no multiple of any row block (R = 1, 2, 4) or of the 16-float row padding.
  const forwardCases: Case[] = [
    { B: 2, H: 3, Tq: 17, Tk: 17, d: 8 },
    { B: 1, H: 1, Tq: 1, Tk: 1, d: 12 },
    { B: 2, H: 2, Tq: 33, Tk: 65, d: 32, mask: 'some' },
    { B: 1, H: 2, Tq: 65, Tk: 33, d: 64, causal: true },
    { B: 3, H: 1, Tq: 17, Tk: 17, d: 12, causal: true, mask: 'some' },
    { B: 2, H: 2, Tq: 1, Tk: 65, d: 32, causal: true, mask: 'some' },
    { B: 1, H: 3, Tq: 96, Tk: 65, d: 32 },
    // The largest rows (d up to 128), padded from d = 100.
    { B: 1, H: 2, Tq: 9, Tk: 33, d: 100, causal: true, scale: 0.3 },
    // PyTorch's causal rule (j ≤ i), where it differs from the default: Tq ≠ Tk.
    { B: 2, H: 2, Tq: 9, Tk: 21, d: 16, causal: 'top-left', mask: 'some' },
    { B: 1, H: 3, Tq: 21, Tk: 9, d: 24, causal: 'top-left' },
  ];

  test('forward matches the reference: odd sizes, Tq ≠ Tk, masks, causal', async (e) => {
    for (const [i, c] of forwardCases.entries()) await check(e, c, 10 * i, false);
  });

  test('backward matches the reference', async (e) => {
    for (const [i, c] of forwardCases.entries()) await check(e, c, 100 + 10 * i, true);
  });

  test('every rows-per-thread variant (1, 2, 4) forward and backward', async (e) => {
    const cases: Case[] = [
      { B: 2, H: 1, Tq: 17, Tk: 33, d: 16, causal: true, mask: 'some' },
      { B: 1, H: 2, Tq: 33, Tk: 17, d: 48 },
    ];
    for (const rows of [1, 2, 4]) {
      await withRows(rows, async () => {
        for (const [i, c] of cases.entries()) await check(e, c, 300 + 10 * i + rows, true);
      });
    }
  });

  test('segments: forward and backward match the reference at 1, 2 and 4 rows per thread', async (e) => {
    const cases: Case[] = [
      { B: 2, H: 2, Tq: 23, Tk: 23, d: 16, mask: 'segments' },
      { B: 3, H: 1, Tq: 17, Tk: 17, d: 40, mask: 'segments', causal: true },
    ];
    for (const rows of [1, 2, 4]) {
      await withRows(rows, async () => {
        for (const [i, c] of cases.entries()) await check(e, c, 500 + 10 * i + rows, true);
      });
    }
  });

  test('both builds (each thread reading its rows, and a quad sharing them) at 1, 2 and 4 rows per thread, forward and backward', async (e) => {
    // Shapes that make the quad build's layout matter: blocks per (b, h) no multiple of 4 (padding
    // threads that must trade but not store), several (b, h) so that a quad would straddle two
    // without that padding, causal with Tq ≠ Tk so that a quad's threads end at different keys (and
    // under dk/dv start at different queries), a key mask that leaves some threads no key, segments,
    // and rows of 16 to 128 floats (each lane loads a quarter).
    const cases: Case[] = [
      { B: 2, H: 3, Tq: 7, Tk: 13, d: 16, causal: true, mask: 'some' },
      { B: 3, H: 2, Tq: 21, Tk: 21, d: 24, mask: 'segments' },
      { B: 1, H: 3, Tq: 37, Tk: 11, d: 8, causal: true },
      { B: 2, H: 1, Tq: 5, Tk: 29, d: 40 },
      { B: 2, H: 2, Tq: 7, Tk: 13, d: 16, causal: 'top-left' },
    ];
    const quad = subgroupsOf4(e);
    expectEqual(attentionQuad(e), quad, 'the engine runs the quad build exactly where the adapter has subgroups of 4');
    // The other tests run the engine's choice (the quad build here when it can); the plain build
    // at 1 and 4 rows, the quad build at all three. Each setting is three pipelines per case to
    // compile, which is most of this test's time.
    for (const build of quad ? [false, true] : [false]) {
      await withBuild(build, async () => {
        for (const rows of build ? [1, 2, 4] : [1, 4]) {
          await withRows(rows, async () => {
            for (const [i, c] of cases.entries()) await check(e, c, 700 + 10 * i + rows, true, `, ${build ? 'quad' : 'plain'} build, ${rows} rows`);
          });
        }
      });
    }
    if (!quad) {
      const t = e.tensor(randomArray(16, 1), [1, 1, 4, 4]);
      await withBuild(true, () => expectThrows(() => ops.attention(t, t, t), /subgroups/, 'forcing the quad build without subgroups of 4'));
      t.dispose();
    }
  });

  test('segments: each segment comes out as if it were attended alone, and padding queries see every real key', async (e) => {
    // Independent of the reference: one row holding sentences of 3, 5, 1 and 4 tokens and 2 of
    // padding against each sentence run through attention on its own, without a mask.
    const lengths = [3, 5, 1, 4];
    const [H, d] = [2, 12];
    const T = lengths.reduce((a, b) => a + b, 0) + 2;
    const ids = Int32Array.from(lengths.flatMap((n, k) => Array<number>(n).fill(k + 1)).concat([0, 0]));
    const x = { q: randomArray(H * T * d, 61, -2, 2), k: randomArray(H * T * d, 62, -2, 2), v: randomArray(H * T * d, 63) };
    const whole = e.tensor(ids, [1, T], 'int32');
    const y = await e.scope(() => ops.attention(e.tensor(x.q, [1, H, T, d]), e.tensor(x.k, [1, H, T, d]), e.tensor(x.v, [1, H, T, d]), { keyMask: whole, segments: true })).data();
    const rows = (a: Float32Array, h: number, from: number, n: number) => a.slice((h * T + from) * d, (h * T + from + n) * d);
    let from = 0;
    for (const n of lengths) {
      const part = (a: Float32Array) => {
        const out = new Float32Array(H * n * d);
        for (let h = 0; h < H; h++) out.set(rows(a, h, from, n), h * n * d);
        return out;
      };
      const alone = await e.scope(() => {
        const t = (a: Float32Array) => e.tensor(part(a), [1, H, n, d]);
        return ops.attention(t(x.q), t(x.k), t(x.v));
      }).data();
      for (let h = 0; h < H; h++) expectClose(rows(y as Float32Array, h, from, n), alone.slice(h * n * d, (h + 1) * n * d), `segment of ${n} tokens at ${from}, head ${h}`, 2e-5);
      from += n;
    }
    // The two padding queries attend to all 13 real keys, as with a 0/1 key mask.
    const plain = await e.scope(() => ops.attention(e.tensor(x.q, [1, H, T, d]), e.tensor(x.k, [1, H, T, d]), e.tensor(x.v, [1, H, T, d]), { keyMask: e.tensor(Int32Array.from(ids, (s) => (s ? 1 : 0)), [1, T], 'int32') })).data();
    for (let h = 0; h < H; h++) expectClose(rows(y as Float32Array, h, T - 2, 2), rows(plain as Float32Array, h, T - 2, 2), `padding queries, head ${h}`, 2e-5);
    whole.dispose();
  });

  test('segments: gradients match finite differences', async (e) => {
    const [H, T, d] = [1, 6, 4];
    const mask = e.tensor(Int32Array.from([1, 1, 2, 2, 2, 0, 3, 3, 0, 1, 1, 1]), [2, T], 'int32');
    const leaf = (seed: number) => ({ data: randomArray(2 * H * T * d, seed, -1, 1), shape: [2, H, T, d] });
    await gradCheck(e, 'attention (segments)', [leaf(71), leaf(72), leaf(73)], ([q, k, v]) => ops.attention(q, k, v, { keyMask: mask, segments: true }), 1e-2, 2e-2);
    mask.dispose();
  });

  test('a row that sees no key gives zeros and zero gradients, not NaN', async (e) => {
    // Batch 0 has every key masked; under causal with Tq > Tk the first Tq − Tk queries see none.
    for (const c of [{ B: 2, H: 2, Tq: 5, Tk: 7, d: 8, mask: 'some' }, { B: 1, H: 1, Tq: 9, Tk: 4, d: 8, causal: true }] as Case[]) {
      const x = inputs(c, 7);
      const q = e.tensor(x.q, [c.B, c.H, c.Tq, c.d]);
      const k = e.tensor(x.k, [c.B, c.H, c.Tk, c.d]);
      const v = e.tensor(x.v, [c.B, c.H, c.Tk, c.d]);
      for (const t of [q, k, v]) t.requiresGrad = true;
      const mask = x.mask ? e.tensor(x.mask, [c.B, c.Tk], 'int32') : null;
      const y = e.scope(() => {
        const out = ops.attention(q, k, v, { causal: c.causal, keyMask: mask });
        out.backward(e.tensor(x.gy, out.shape));
        return out;
      });
      const [yd, dq, dk, dv] = await Promise.all([y, q.grad!, k.grad!, v.grad!].map((t) => t.data()));
      const all = [...yd, ...dq, ...dk, ...dv];
      expectTrue(all.every(Number.isFinite), `${name(c)}: every output and gradient is finite`);
      const rowLen = c.d;
      const blind = c.mask ? c.H * c.Tq : c.Tq - c.Tk; // leading query rows that see nothing
      for (let r = 0; r < blind; r++) {
        for (let x2 = 0; x2 < rowLen; x2++) {
          expectTrue(yd[r * rowLen + x2] === 0 && dq[r * rowLen + x2] === 0, `${name(c)}: blind query row ${r} is zero`);
        }
      }
      if (c.mask) {
        // Keys of batch 0 are all masked, and every third key of batch 1: zero dk, dv.
        for (let h = 0; h < c.H; h++) {
          for (let j = 0; j < c.Tk; j++) {
            const masked = [0, 1].map((b) => x.mask![b * c.Tk + j] === 0);
            for (const b of [0, 1]) {
              if (!masked[b]) continue;
              const at = ((b * c.H + h) * c.Tk + j) * c.d;
              for (let x2 = 0; x2 < c.d; x2++) expectTrue(dk[at + x2] === 0 && dv[at + x2] === 0, `${name(c)}: masked key ${b},${h},${j} gets zero gradient`);
            }
          }
        }
      }
      for (const t of [q, k, v, y, mask]) t?.dispose();
    }
    // No keys at all (Tk = 0): zeros, and gradients of the inputs' shapes.
    const q = e.tensor(randomArray(2 * 3 * 4, 5), [1, 2, 3, 4]);
    const kv = e.tensor(new Float32Array(0), [1, 2, 0, 4]);
    q.requiresGrad = true;
    const y = e.scope(() => {
      const out = ops.attention(q, kv, kv, { causal: true });
      out.backward(e.tensor(randomArray(out.size, 6), out.shape));
      return out;
    });
    expectClose(await y.data(), new Float32Array(24), 'Tk = 0: output', 0);
    expectClose(await q.grad!.data(), new Float32Array(24), 'Tk = 0: dq', 0);
    for (const t of [q, kv, y]) t.dispose();
  });

  test('gradients match finite differences (q, k, v; causal with a key mask)', async (e) => {
    const [B, H, Tq, Tk, d] = [2, 1, 3, 4, 5];
    const mask = e.tensor(Int32Array.from([1, 0, 1, 1, 1, 1, 1, 0]), [B, Tk], 'int32');
    await gradCheck(
      e,
      'attention',
      [
        { data: randomArray(B * H * Tq * d, 21, -1, 1), shape: [B, H, Tq, d] },
        { data: randomArray(B * H * Tk * d, 22, -1, 1), shape: [B, H, Tk, d] },
        { data: randomArray(B * H * Tk * d, 23, -1, 1), shape: [B, H, Tk, d] },
      ],
      ([q, k, v]) => ops.attention(q, k, v, { causal: true, keyMask: mask }),
      1e-2,
      2e-2,
    );
    await gradCheck(
      e,
      'attention (plain, scale 0.7)',
      [
        { data: randomArray(1 * 2 * 4 * 3, 31, -1, 1), shape: [1, 2, 4, 3] },
        { data: randomArray(1 * 2 * 6 * 3, 32, -1, 1), shape: [1, 2, 6, 3] },
        { data: randomArray(1 * 2 * 6 * 3, 33, -1, 1), shape: [1, 2, 6, 3] },
      ],
      ([q, k, v]) => ops.attention(q, k, v, { scale: 0.7 }),
    );
    mask.dispose();
  });

  test('frees what it saves for backward', async (e) => {
    const q = e.tensor(randomArray(2 * 2 * 9 * 12, 1), [2, 2, 9, 12]);
    const k = e.tensor(randomArray(2 * 2 * 7 * 12, 2), [2, 2, 7, 12]);
    const v = e.tensor(randomArray(2 * 2 * 7 * 12, 3), [2, 2, 7, 12]);
    for (const t of [q, k, v]) t.requiresGrad = true;
    const step = () => e.scope(() => ops.sum(ops.attention(q, k, v, { causal: true })).backward());
    step(); // the first step creates the .grad tensors
    await q.grad!.data();
    const before = e.memory().liveTensors;
    for (let i = 0; i < 3; i++) step();
    e.noGrad(() => e.scope(() => { ops.attention(q, k, v); }));
    await q.grad!.data();
    expectEqual(e.memory().liveTensors, before, 'live tensors after three more steps');
    for (const t of [q, k, v]) t.dispose();
  });

  test('bad input is a clear error', async (e) => {
    const t = (shape: number[]) => e.tensor(new Float32Array(shape.reduce((p, x) => p * x, 1)), shape);
    const q = t([2, 3, 5, 8]);
    const k = t([2, 3, 7, 8]);
    const v = t([2, 3, 7, 8]);
    const k6 = t([2, 3, 7, 6]);
    const v6 = t([2, 3, 7, 6]);
    const q3 = t([6, 5, 8]);
    const maskBad = e.tensor(new Int32Array(2 * 5), [2, 5], 'int32');
    const maskFloat = t([2, 7]);
    const big = t([1, 1, 2, 130]);
    const mask7 = e.tensor(new Int32Array(2 * 7), [2, 7], 'int32');
    await expectThrows(() => ops.attention(q, k6, v), /q and k must have the same head size d: q \[2, 3, 5, 8\], k \[2, 3, 7, 6\]/, 'd mismatch (k)');
    await expectThrows(() => ops.attention(q, k, v6), /v must have the head size of q and k/, 'd mismatch (v)');
    await expectThrows(() => ops.attention(q3, k, v), /q must be \[batch, heads, tokens, d\], got \[6, 5, 8\]/, 'rank 3');
    await expectThrows(() => ops.attention(q, k, v, { keyMask: maskBad }), /keyMask must be \[batch, key tokens\] = \[2, 7\], got \[2, 5\]/, 'mask shape');
    await expectThrows(() => ops.attention(q, k, v, { keyMask: maskFloat }), /keyMask must be int32/, 'mask dtype');
    await expectThrows(() => ops.attention(q, t([2, 3, 7, 8]), t([2, 3, 6, 8])), /k and v must have the same number of tokens/, 'Tk mismatch');
    await expectThrows(() => ops.attention(big, big, big), /head size d = 130 is over the fused kernel's limit of 128/, 'd over the limit');
    await expectThrows(() => ops.attention(k, k, v, { segments: true }), /segments need a keyMask holding the segment ids/, 'segments without ids');
    await expectThrows(() => ops.attention(q, k, v, { keyMask: mask7, segments: true }), /segments are for self-attention \(Tq = Tk\), got Tq = 5, Tk = 7/, 'segments with Tq ≠ Tk');
    for (const x of [q, k, v, k6, v6, q3, maskBad, maskFloat, big, mask7] as Tensor[]) x.dispose();
  });
});
