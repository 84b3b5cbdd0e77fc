import { ops } from '../../engine/index.ts';
import { suite, expectClose, expectThrows, randomArray } from './harness.ts';

suite('embedding', (test) => {
  test('gather and scatter-add match the reference, with repeated and out-of-range ids', async (e) => {
    // D = 13: one float a thread; 16 and 4: the vec4 gather.
    for (const D of [13, 16, 4]) {
      const V = 37;
      const table = randomArray(V * D, 11 + D);
      const ids = Int32Array.from([3, 0, 36, 3, 3, -1, 37, 12, 0, 5, 5]);
      const gy = randomArray(ids.length * D, 12 + D);
      const t = e.tensor(table, [V, D]);
      t.requiresGrad = true;
      const y = e.scope(() => {
        const out = ops.embedding(t, e.tensor(ids, [ids.length], 'int32'));
        out.backward(e.tensor(gy, out.shape));
        return out;
      });
      expectClose(await y.data(), ops.embeddingRef(table, V, D, ids), `gather, D = ${D}`, 0);
      expectClose(await t.grad!.data(), ops.embeddingGradRef(gy, V, D, ids), `scatter-add, D = ${D}`, 1e-6);
      y.dispose();
      t.dispose();
    }
  });

  test('ids must be int32', async (e) => {
    const t = e.tensor(new Float32Array(6), [3, 2]);
    const f = e.tensor([0, 1]);
    await expectThrows(() => ops.embedding(t, f), /ids must be int32/, 'float ids');
    t.dispose();
    f.dispose();
  });
});
