import { ops } from '../../engine/index.ts';
import { suite, expectClose, expectEqual, expectThrows, randomArray } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

suite('elementwise', (test) => {
  test('binary ops broadcast like NumPy, odd shapes', async (e) => {
    const cases: [number[], number[]][] = [[[3, 5, 7], [7]], [[2, 1, 5], [3, 1]], [[1], [4, 3]], [[6, 1], [1, 9]], [[65, 3], [65, 3]]];
    for (const [sa, sb] of cases) {
      const a = randomArray(sa.reduce((p, d) => p * d, 1), 1);
      const b = randomArray(sb.reduce((p, d) => p * d, 1), 2, 0.5, 2);
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        const y = e.scope(() => ops[op](e.tensor(a, sa), e.tensor(b, sb)));
        const ref = ops.binaryRef(op, a, sa, b, sb);
        expectEqual(y.shape, ref.shape, `${op} shape`);
        expectClose(await y.data(), ref.data, `${op} [${sa}]·[${sb}]`, 1e-6);
        y.dispose();
      }
    }
  });

  test('unary ops match the reference', async (e) => {
    const x = randomArray(1000, 3, 0.1, 3);
    for (const op of ['exp', 'log', 'sqrt', 'relu', 'tanh', 'sigmoid', 'abs', 'square', 'reciprocal'] as const) {
      const y = e.scope(() => ops[op](e.tensor(x, [10, 100])));
      expectClose(await y.data(), ops.unaryRef(op, x), op, 1e-5);
      y.dispose();
    }
  });

  test('gradients of binary ops with broadcasting (finite differences)', async (e) => {
    const a = { data: randomArray(6, 4, 0.5, 1.5), shape: [2, 3] };
    const b = { data: randomArray(3, 5, 0.5, 1.5), shape: [3] };
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      await gradCheck(e, op, [a, b], ([x, y]) => ops[op](x, y));
    }
    await gradCheck(e, 'maximum', [a, { data: randomArray(6, 9, 0.5, 1.5), shape: [2, 3] }], ([x, y]) => ops.maximum(x, y));
  });

  test('gradients of unary ops (finite differences)', async (e) => {
    const x = { data: randomArray(7, 6, 0.3, 2), shape: [7] };
    for (const op of ['exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'square', 'reciprocal'] as const) {
      await gradCheck(e, op, [x], ([t]) => ops[op](t), 1e-2, 3e-2);
    }
  });

  test('shape mismatch is a clear error', async (e) => {
    const a = e.tensor(new Float32Array(6), [2, 3]);
    const b = e.tensor(new Float32Array(4), [4]);
    await expectThrows(() => ops.add(a, b), /\[2, 3\] and \[4\] cannot be broadcast/, 'add [2,3]+[4]');
    a.dispose();
    b.dispose();
  });
});
