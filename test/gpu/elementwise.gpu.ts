import { ops, type Engine } from '../../engine/index.ts';
import { suite, expectClose, expectEqual, expectThrows, randomArray, withKernelLog } from './harness.ts';
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

  // The flat kernels have vec4 twins (two vec4s per invocation) that run where the element count
  // and every offset are multiples of 4: check both routes are taken where they should be and both
  // give the reference, including a last invocation with one vec4 and a tail the scalar kernel keeps.
  test('flat ops run on vec4s where counts and offsets allow, on floats otherwise; both match the reference', async (e) => {
    await withKernelLog(e, async (ran) => {
      for (const n of [4, 8, 12, 20, 1000, 1, 5, 7, 1001]) {
        const v4 = n % 4 === 0;
        const x = randomArray(n, n, 0.2, 2);
        const z = randomArray(n, n + 1, 0.2, 2);
        ran.length = 0;
        const y = e.scope(() => ops.exp(e.tensor(x, [n])));
        expectEqual(ran.filter((k) => k.startsWith('elementwise.')), [v4 ? 'elementwise.map_flat4' : 'elementwise.map_flat'], `exp over ${n}: kernel`);
        expectClose(await y.data(), ops.unaryRef('exp', x), `exp over ${n}`, 1e-6);
        ran.length = 0;
        const s = e.scope(() => ops.mul(e.tensor(x, [n]), e.tensor(z, [n])));
        expectEqual(ran.filter((k) => k.startsWith('elementwise.')), [v4 ? 'elementwise.zip_flat4' : 'elementwise.zip_flat'], `mul over ${n}: kernel`);
        expectClose(await s.data(), ops.binaryRef('mul', x, [n], z, [n]).data, `mul over ${n}`, 1e-6);
        ran.length = 0;
        ops.addInto(s, y, -0.5);
        expectEqual(ran, [v4 ? 'elementwise.axpy4' : 'elementwise.axpy'], `addInto over ${n}: kernel`);
        expectClose(await s.data(), x.map((xi, i) => xi * z[i] - 0.5 * Math.fround(Math.exp(xi))), `addInto over ${n}`, 1e-5);
        ran.length = 0;
        ops.fillInto(y, 2.5);
        expectEqual(ran, [v4 ? 'elementwise.fill4' : 'elementwise.fill'], `fillInto over ${n}: kernel`);
        expectClose(await y.data(), new Float32Array(n).fill(2.5), `fillInto over ${n}`, 0);
        y.dispose();
        s.dispose();
      }
      // Slices at an offset: rows 1..3 of [3,4] start at a multiple of 4 (vec4s), of [3,5] not (floats).
      for (const cols of [4, 5]) {
        const x = randomArray(3 * cols, 40 + cols);
        ran.length = 0;
        const y = e.scope(() => ops.slice(e.tensor(x, [3, cols]), 0, 1, 3));
        expectEqual(ran.filter((k) => k.startsWith('elementwise.')), [cols === 4 ? 'elementwise.map_flat4' : 'elementwise.map_flat'], `slice of [3,${cols}]: kernel`);
        expectClose(await y.data(), x.slice(cols), `slice of [3,${cols}]`, 0);
        y.dispose();
      }
    });
  });

  // Strided map and zip have vec4 twins for views whose innermost dimension every operand reads
  // contiguously, with that length and every other stride and offset a multiple of 4.
  test('strided ops run on vec4s where every operand allows, on floats otherwise; both match the reference', async (e) => {
    await withKernelLog(e, async (ran) => {
      const kernels = () => ran.filter((k) => k.startsWith('elementwise.'));
      // [2,3,5,W] → [2,5,3,W]: the innermost dimension kept (W = 8: vec4s; 6: floats).
      for (const W of [8, 6]) {
        const x = randomArray(2 * 3 * 5 * W, 50 + W);
        ran.length = 0;
        const y = e.scope(() => ops.permute(e.tensor(x, [2, 3, 5, W]), [0, 2, 1, 3]));
        expectEqual(kernels(), [W === 8 ? 'elementwise.map_v4' : 'elementwise.map'], `permute of [2,3,5,${W}]: kernel`);
        const want = new Float32Array(x.length);
        for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 5; c++) for (let w = 0; w < W; w++) {
          want[((a * 5 + c) * 3 + b) * W + w] = x[((a * 3 + b) * 5 + c) * W + w];
        }
        expectClose(await y.data(), want, `permute of [2,3,5,${W}]`, 0);
        y.dispose();
      }
      // A transpose moves the innermost dimension: floats.
      {
        const x = randomArray(24, 61);
        ran.length = 0;
        const y = e.scope(() => ops.transpose(e.tensor(x, [3, 8])));
        expectEqual(kernels(), ['elementwise.map'], 'transpose of [3,8]: kernel');
        expectClose(await y.data(), Float32Array.from({ length: 24 }, (_, i) => x[(i % 3) * 8 + Math.floor(i / 3)]), 'transpose of [3,8]', 0);
        y.dispose();
      }
      // Columns 4..11 of [3,12] (offset and row stride multiples of 4: vec4s); 2..9 (offset 2: floats).
      for (const start of [4, 2]) {
        const x = randomArray(36, 70 + start);
        ran.length = 0;
        const y = e.scope(() => ops.slice(e.tensor(x, [3, 12]), 1, start, start + 8));
        expectEqual(kernels(), [start === 4 ? 'elementwise.map_v4' : 'elementwise.map'], `columns ${start}.. of [3,12]: kernel`);
        expectClose(await y.data(), Float32Array.from({ length: 24 }, (_, i) => x[Math.floor(i / 8) * 12 + start + (i % 8)]), `columns ${start}.. of [3,12]`, 0);
        y.dispose();
      }
      // Broadcast zips: a row vector along an odd number of rows (vec4s); a column, read with
      // stride 0 innermost, and rows of 6 (floats).
      const cases: [number[], number[], string][] = [[[5, 7, 8], [8], 'zip_v4'], [[3, 7, 8], [7, 8], 'zip_v4'], [[5, 7, 8], [7, 1], 'zip'], [[5, 6], [6], 'zip']];
      for (const [sa, sb, kernel] of cases) {
        const a = randomArray(sa.reduce((p, d) => p * d, 1), 80);
        const b = randomArray(sb.reduce((p, d) => p * d, 1), 81, 0.5, 2);
        for (const op of ['sub', 'div'] as const) {
          ran.length = 0;
          const y = e.scope(() => ops[op](e.tensor(a, sa), e.tensor(b, sb)));
          expectEqual(kernels(), [`elementwise.${kernel}`], `${op} [${sa}]·[${sb}]: kernel`);
          expectClose(await y.data(), ops.binaryRef(op, a, sa, b, sb).data, `${op} [${sa}]·[${sb}]`, 1e-6);
          y.dispose();
        }
      }
    });
  });

  test('shape mismatch is a clear error', async (e) => {
    const a = e.tensor(new Float32Array(6), [2, 3]);
    const b = e.tensor(new Float32Array(4), [4]);
    await expectThrows(() => ops.add(a, b), /\[2, 3\] and \[4\] cannot be broadcast/, 'add [2,3]+[4]');
    a.dispose();
    b.dispose();
  });
});
