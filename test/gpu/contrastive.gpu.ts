import { ops } from '../../engine/index.ts';
import { contrastiveLossRef } from '../../engine/ops/contrastive.ts';
import { suite, expectClose, expectEqual, expectThrows, randomArray, expectFreesSaved } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

/** Row-normalised I + F with a few symmetric false negatives: RoCo's soft targets. */
function softTargets(n: number, seed: number): Float32Array {
  const T = new Float32Array(n * n);
  for (let i = 0; i < n; i++) T[i * n + i] = 1;
  const r = randomArray(n, seed, 0, n);
  for (let i = 0; i + 1 < n; i += 3) {
    const j = Math.floor(r[i]);
    if (j !== i) T[i * n + j] = T[j * n + i] = 1;
  }
  for (let i = 0; i < n; i++) {
    const s = T.slice(i * n, i * n + n).reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++) T[i * n + j] /= s;
  }
  return T;
}

suite('contrastive', (test) => {
  test('loss and gradients (img, txt, τ) match the reference: identity, soft and unnormalised targets', async (e) => {
    const live = e.memory().liveTensors;
    // n = 67 and 130: more rows than the loss kernel's workgroup; d odd and not a tile multiple.
    const shapes: [number, number][] = [[8, 16], [1, 5], [13, 7], [67, 33], [130, 256]];
    for (const [k, [n, d]] of shapes.entries()) {
      const img = randomArray(n * d, 100 + k, -1, 1);
      const txt = randomArray(n * d, 200 + k, -1, 1);
      const targetsList: [string, Float32Array | null][] = [['identity', null], ['soft', softTargets(n, 300 + k)], ['unnormalised', randomArray(n * n, 400 + k, 0, 1)]];
      for (const [name, T] of targetsList) {
        for (const tauKind of ['number', 'tensor'] as const) {
          const tau = 0.07 + 0.05 * k;
          const g = 0.8;
          const ref = contrastiveLossRef(img, txt, n, d, T, tau, g);
          const a = e.tensor(img, [n, d]);
          const b = e.tensor(txt, [n, d]);
          const tt = tauKind === 'tensor' ? e.tensor([tau], [1]) : null;
          for (const t of [a, b, tt]) if (t) t.requiresGrad = true;
          const Tt = T ? e.tensor(T, [n, n]) : null;
          const loss = e.scope(() => {
            const out = ops.contrastiveLoss(a, b, Tt, tt ?? tau);
            out.backward(e.tensor([g], []));
            return out;
          });
          const what = `contrastive n ${n} d ${d}, ${name} targets, τ ${tauKind}`;
          expectClose(await loss.data(), [ref.loss], `${what} loss`, 2e-5, 2e-5);
          expectClose(await a.grad!.data(), ref.dImg, `${what} dimg`, 2e-5, 1e-4);
          expectClose(await b.grad!.data(), ref.dTxt, `${what} dtxt`, 2e-5, 1e-4);
          if (tt) expectClose(await tt.grad!.data(), [ref.dTemp], `${what} dτ`, 1e-4, 1e-4);
          for (const t of [loss, a, b, tt, Tt]) t?.dispose();
        }
      }
    }
    // Whatever the ops saved for backward was freed with the scope or by backward itself.
    expectEqual(e.memory().liveTensors, live, 'live tensors after the cases');
  });

  test('contrastive gradients (finite differences), τ a tensor', async (e) => {
    const n = 4;
    const d = 3;
    const soft = softTargets(n, 5);
    for (const T of [null, soft]) {
      // The loss viewed as [1]: ops.sum of a rank-0 tensor returns that tensor itself and re-records it.
      await gradCheck(e, `contrastive ${T ? 'soft' : 'identity'}`, [
        { data: randomArray(n * d, 1), shape: [n, d] },
        { data: randomArray(n * d, 2), shape: [n, d] },
        { data: new Float32Array([0.5]), shape: [1] },
      ], ([img, txt, tau]) => ops.contrastiveLoss(img, txt, T && e.tensor(T, [n, n]), tau).reshape([1]), 1e-2, 3e-2);
    }
  });

  test('contrastiveLoss frees what it saves, with or without backward, outside any scope', async (e) => {
    const a = e.tensor(randomArray(15, 1), [5, 3]);
    const b = e.tensor(randomArray(15, 2), [5, 3]);
    const tau = e.tensor([0.1]);
    const T = e.tensor(randomArray(25, 3, 0, 1), [5, 5]);
    const inputs = [a, b, tau];
    const run = () => ops.contrastiveLoss(a, b, T, tau);
    expectFreesSaved(e, inputs, run);
  });

  test('bad input is a clear error', async (e) => {
    const a = e.tensor(new Float32Array(12), [4, 3]);
    const b = e.tensor(new Float32Array(15), [5, 3]);
    const T = e.tensor(new Float32Array(9), [3, 3]);
    const tau2 = e.tensor(new Float32Array(2));
    await expectThrows(() => ops.contrastiveLoss(a, b, null, 0.07), /img \[4,3\] and txt \[5,3\] must have the same shape/, 'mismatched batches');
    await expectThrows(() => ops.contrastiveLoss(a, a, T, 0.07), /targets must be float32 \[4, 4\]/, 'targets [3, 3] for n = 4');
    await expectThrows(() => ops.contrastiveLoss(a, a, null, 0), /temperature must be a positive finite number/, 'τ = 0');
    await expectThrows(() => ops.contrastiveLoss(a, a, null, tau2), /temperature tensor must hold one float32/, 'τ [2]');
    for (const t of [a, b, T, tau2]) t.dispose();
  });
});
