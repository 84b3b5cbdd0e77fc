// The engine itself: reductions, shape ops, autograd semantics, scopes and memory, and a small
// training loop whose memory must stay flat.
import { ops, type Engine, type Tensor } from '../../engine/index.ts';
import { ParamStore } from '../../engine/params.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, CheckError } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

function permuteRef(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) {
    let rest = i, off = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      off += (rest % outShape[d]) * inStrides[perm[d]];
      rest = Math.floor(rest / outShape[d]);
    }
    out[i] = x[off];
  }
  return out;
}

suite('engine', (test) => {
  test('reductions along each axis match the reference, including a long axis (two passes)', async (e) => {
    const shape = [3, 5, 7];
    const x = randomArray(105, 21);
    for (let axis = 0; axis < 3; axis++) {
      for (const op of ['sum', 'mean', 'max'] as const) {
        const y = e.scope(() => ops[op](e.tensor(x, shape), axis));
        expectClose(await y.data(), ops.reduceRef(x, shape, axis, op), `${op} axis ${axis}`, 1e-5);
        y.dispose();
      }
    }
    const long = randomArray(10007, 22);
    const s = e.scope(() => ops.sum(e.tensor(long)));
    expectClose(await s.data(), ops.reduceRef(long, [10007], 0, 'sum'), 'sum of 10007', 1e-4);
    s.dispose();
    const m = e.scope(() => ops.max(e.tensor(long, [1, 10007]), 1));
    expectClose(await m.data(), ops.reduceRef(long, [1, 10007], 1, 'max'), 'max of 10007', 0);
    m.dispose();
  });

  test('gradients of reductions and shape ops (finite differences)', async (e) => {
    const x = { data: randomArray(24, 23), shape: [2, 3, 4] };
    await gradCheck(e, 'sum axis 1', [x], ([t]) => ops.sum(t, 1));
    await gradCheck(e, 'mean axes 0,2', [x], ([t]) => ops.mean(t, [0, 2]));
    await gradCheck(e, 'max axis 2', [x], ([t]) => ops.max(t, 2));
    await gradCheck(e, 'permute', [x], ([t]) => ops.permute(t, [2, 0, 1]));
    await gradCheck(e, 'slice', [x], ([t]) => ops.slice(t, 2, 1, 3));
    await gradCheck(e, 'concat', [x, { data: randomArray(8, 24), shape: [2, 1, 4] }], ([a, b]) => ops.concat([a, b], 1));
    await gradCheck(e, 'reshape·expand', [{ data: randomArray(3, 25), shape: [3] }], ([t]) => ops.expand(t.reshape([3, 1]), [3, 5]));
  });

  test('permute, slice and concat move the right elements', async (e) => {
    const shape = [2, 3, 4, 5];
    const x = randomArray(120, 26);
    const p = e.scope(() => ops.permute(e.tensor(x, shape), [3, 1, 0, 2]));
    expectEqual(p.shape, [5, 3, 2, 4], 'permuted shape');
    expectClose(await p.data(), permuteRef(x, shape, [3, 1, 0, 2]), 'permute', 0);
    p.dispose();
    const s = e.scope(() => ops.slice(e.tensor(x, [6, 20]), 1, 7, 11));
    const want = new Float32Array(24);
    for (let r = 0; r < 6; r++) for (let c = 0; c < 4; c++) want[r * 4 + c] = x[r * 20 + 7 + c];
    expectClose(await s.data(), want, 'slice', 0);
    s.dispose();
    const c = e.scope(() => ops.concat([e.tensor(x.subarray(0, 6), [2, 3]), e.tensor(x.subarray(6, 10), [2, 2])], 1));
    expectClose(await c.data(), [x[0], x[1], x[2], x[6], x[7], x[3], x[4], x[5], x[8], x[9]], 'concat', 0);
    c.dispose();
  });

  test('copy into part of a tensor: only those elements change; past the end is refused', async (e) => {
    const dst = e.tensor(new Float32Array(10).fill(-1), [10]);
    e.scope(() => e.copy(e.tensor([1, 2, 3], [3]), dst, 6));
    expectClose(await dst.data(), [-1, -1, -1, -1, -1, -1, 1, 2, 3, -1], 'copy at element 6', 0);
    await expectThrows(() => e.scope(() => e.copy(e.tensor([1, 2, 3], [3]), dst, 8)), /3 elements into 10 from element 8/, 'a copy past the end');
    dst.dispose();
  });

  test('clear part of a tensor: only those elements become 0; past the end is refused', async (e) => {
    const t = e.tensor(new Float32Array(6).fill(5), [6]);
    e.clear(t, 2, 3);
    expectClose(await t.data(), [5, 5, 0, 0, 0, 5], 'clear elements 2 to 5', 0);
    await expectThrows(() => e.clear(t, 4, 3), /elements 4 to 7 of 6/, 'a clear past the end');
    t.dispose();
  });

  test('gradients accumulate across backward calls; noGrad records nothing', async (e) => {
    const x = e.tensor([1, 2, 3]);
    x.requiresGrad = true;
    e.scope(() => ops.sum(ops.square(x)).backward());
    e.scope(() => ops.sum(ops.square(x)).backward());
    expectClose(await x.grad!.data(), [4, 8, 12], 'accumulated 2·(2x)', 1e-6);
    const y = e.noGrad(() => ops.square(x));
    expectTrue(!y.requiresGrad && y.node === null, 'noGrad output has no tape node');
    // A tensor used twice (a diamond) gets both contributions.
    const z = e.tensor([0.5, -1]);
    z.requiresGrad = true;
    e.scope(() => ops.sum(ops.mul(ops.exp(z), z)).backward());
    expectClose(await z.grad!.data(), [Math.exp(0.5) * 1.5, 0], 'd(x·eˣ) = eˣ(1+x)', 1e-6);
    for (const t of [x, y, z]) t.dispose();
  });

  test('clear errors: non-scalar backward, use after dispose, shape mismatch in matmul', async (e) => {
    const x = e.tensor([1, 2]);
    x.requiresGrad = true;
    await expectThrows(() => e.scope(() => ops.square(x).backward()), /not a scalar/, 'non-scalar backward');
    const d = e.tensor([1]);
    d.dispose();
    await expectThrows(() => ops.exp(d), /used after dispose/, 'use after dispose');
    const a = e.tensor(new Float32Array(6), [2, 3]);
    await expectThrows(() => ops.matmul(a, a), /inner dimensions differ/, 'matmul [2,3]·[2,3]');
    await expectThrows(() => e.tensor([1, 2, 3], [2, 2]), /3 values cannot fill shape \[2, 2\]/, 'bad tensor()');
    for (const t of [x, a]) t.dispose();
  });

  test('scopes free what they do not return; the pool reuses buffers', async (e) => {
    await e.sync();
    const before = e.memory();
    const kept = e.scope(() => {
      const a = e.tensor(randomArray(1000, 27));
      const b = ops.exp(a);
      ops.add(a, b);
      return ops.mul(a, b);
    });
    const mid = e.memory();
    expectEqual(mid.liveTensors - before.liveTensors, 1, 'one tensor outlives the scope');
    kept.dispose();
    const after = e.memory();
    expectEqual(after.liveBytes, before.liveBytes, 'live bytes back to where they were');
    const created = after.buffersCreated;
    e.scope(() => ops.mul(e.tensor(randomArray(1000, 28)), e.tensor(randomArray(1000, 29))));
    expectEqual(e.memory().buffersCreated, created, 'a second scope of the same shapes creates no buffers');
  });

  test('a parameter store destroyed while its work is still recorded breaks nothing after it', async (e) => {
    await e.sync();
    const store = new ParamStore(e, 5);
    const w = store.param('w', [64], randomArray(64, 30));
    store.finalize();
    // Recorded, not submitted: a gradient into the store's slab and a zeroing of it.
    ops.sum(ops.mul(w, w)).backward();
    store.zeroGrad();
    store.destroy();
    const x = e.tensor(randomArray(16, 31));
    const y = ops.mul(x, x);
    const got = (await y.data()) as Float32Array;
    const xs = (await x.data()) as Float32Array;
    expectClose(got, xs.map((v) => v * v), 'work after the destroy runs and reads back', 1e-6);
    x.dispose();
    y.dispose();
  });

  test('a two-layer MLP trains for 200 steps: loss falls, memory stays flat', async (e) => {
    await trainMlp(e);
  });
});

/** y = W2·relu(W1·x + b1) + b2 fit to a fixed smooth target; plain SGD over the parameter slab. */
async function trainMlp(e: Engine): Promise<void> {
  const store = new ParamStore(e, 5);
  const w1 = store.param('fc1.weight', [16, 32], { normal: 0.3 });
  const b1 = store.param('fc1.bias', [32], 'zeros', { decay: false });
  const w2 = store.param('fc2.weight', [32, 4], { normal: 0.2 });
  const b2 = store.param('fc2.bias', [4], 'zeros', { decay: false });
  store.finalize();
  const n = 64;
  const xs = randomArray(n * 16, 30);
  const ys = new Float32Array(n * 4).map((_, i) => Math.sin(xs[(i >> 2) * 16 + (i & 3)] * 2) * 0.5);
  const losses: Tensor[] = [];
  const mem: ReturnType<Engine['memory']>[] = [];
  const flatP = store.flatParams();
  const flatG = store.flatGrads();
  for (let step = 0; step < 200; step++) {
    const loss = e.scope(() => {
      store.zeroGrad();
      const x = e.tensor(xs, [n, 16]);
      const y = e.tensor(ys, [n, 4]);
      const h = ops.relu(ops.add(ops.matmul(x, w1), b1));
      const out = ops.add(ops.matmul(h, w2), b2);
      const l = ops.mean(ops.square(ops.sub(out, y)));
      l.backward();
      ops.addInto(flatP, flatG, -0.1);
      return l;
    });
    // Only a few losses are read, after the loop: no readback inside a step.
    if (step % 50 === 0 || step === 199) losses.push(loss);
    else loss.dispose();
    if (step === 20 || step === 199) {
      await e.sync();
      mem.push(e.memory());
    }
  }
  const values = await Promise.all(losses.map((l) => l.item()));
  losses.forEach((l) => l.dispose());
  flatP.dispose();
  flatG.dispose();
  store.destroy();
  if (!(values[values.length - 1] < values[0] * 0.5)) throw new CheckError(`loss did not fall enough: ${values.map((v) => v.toFixed(4)).join(' → ')}`);
  const [a, b] = mem;
  if (b.liveBytes + b.pooledBytes !== a.liveBytes + a.pooledBytes || b.buffersCreated !== a.buffersCreated) {
    throw new CheckError(`memory grew between step 20 and 199: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
  }
}
