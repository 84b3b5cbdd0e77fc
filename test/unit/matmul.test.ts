// matmulRef (the CPU reference of the GPU kernels) vs PyTorch's fixtures, forward and backward,
// and the shape logic that every variant shares.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { matmulRef, plan, gradLaunches, matmulKey } from '../../engine/ops/matmul.ts';
import { BiudError } from '../../engine/errors.ts';

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (1 + Math.abs(want[i])))) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]} (tolerance ${tol})`);
  }
}

describe('matmulRef vs the PyTorch fixtures', () => {
  for (const name of ['matmul_1x300x7', 'matmul_37x53x29', 'matmul_64x64x64', 'bmm']) {
    it(`${name}: y = a·b, d_a = gy·bᵀ, d_b = aᵀ·gy`, () => {
      const f = readSafetensors(new Uint8Array(readFileSync(`test/golden/${name}.safetensors`)));
      expect(f.metadata.op).toBe('matmul');
      const tol = Number(f.metadata.tolerance);
      const t = (k: string) => ({ data: toFloat32(f.tensors.get(k)!), shape: f.tensors.get(k)!.shape });
      const [a, b] = f.metadata.inputs.split(',').map(t);
      const gy = t(f.metadata.grad_output);
      const y = matmulRef(a.data, a.shape, b.data, b.shape);
      expect(y.shape).toEqual(f.tensors.get('y')!.shape);
      expectClose(y.data, t('y').data, tol, `${name} y`);
      // The backward rules as the GPU op states them, computed by the same reference.
      expectClose(matmulRef(gy.data, gy.shape, b.data, b.shape, { transB: true }).data, t('d_a').data, tol, `${name} d_a`);
      expectClose(matmulRef(a.data, a.shape, gy.data, gy.shape, { transA: true }).data, t('d_b').data, tol, `${name} d_b`);
    });
  }
});

describe('matmul shapes', () => {
  it('transposes swap the last two axes; a 2-D operand is shared by the batch', () => {
    expect(plan([5, 3], [3, 4], false, false)).toMatchObject({ M: 5, N: 4, K: 3, batch: 1, batchShape: [] });
    expect(plan([3, 5], [4, 3], true, true)).toMatchObject({ M: 5, N: 4, K: 3 });
    expect(plan([2, 6, 5, 3], [3, 4], false, false)).toMatchObject({ batch: 12, batchShape: [2, 6], aBatched: true, bBatched: false });
    expect(plan([5, 3], [7, 3, 4], false, false)).toMatchObject({ batch: 7, batchShape: [7], aBatched: false, bBatched: true });
  });

  it('refuses mismatched inner and batch dimensions with the shapes in the message', () => {
    expect(() => plan([5, 3], [4, 4], false, false)).toThrow(BiudError);
    expect(() => plan([5, 3], [4, 4], false, false)).toThrow(/inner dimensions differ: \[5,3\] · \[4,4\] \(3 vs 4\)/);
    expect(() => plan([2, 5, 3], [3, 3, 4], false, false)).toThrow(/batch dimensions differ/);
    expect(() => plan([5], [5, 2], false, false)).toThrow(/needs matrices/);
  });

  it('a transposed reference equals the reference of the transposed data', () => {
    const a = Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const b = Array.from({ length: 20 }, (_, i) => Math.cos(i * 0.7));
    const tr = (x: number[], r: number, c: number) => Array.from({ length: r * c }, (_, i) => x[(i % r) * c + Math.floor(i / r)]);
    const want = matmulRef(a, [3, 4], b, [4, 5]).data;
    expect(Array.from(matmulRef(tr(a, 3, 4), [4, 3], b, [4, 5], { transA: true }).data)).toEqual(Array.from(want));
    expect(Array.from(matmulRef(a, [3, 4], tr(b, 4, 5), [5, 4], { transB: true }).data)).toEqual(Array.from(want));
  });

  it('lists the backward products of a shared-weight linear layer', () => {
    // y = x·Wᵀ, x [B,T,K], W [N,K]: dx = dy·W, dW = dyᵀ·x with the batch folded into the rows.
    expect(gradLaunches({ a: [8, 65, 128], b: [384, 128], transB: true })).toEqual([
      { a: [8, 65, 384], b: [384, 128], transA: false, transB: false },
      { a: [520, 384], b: [520, 128], transA: true, transB: false },
    ]);
  });

  it('shape classes round sizes to powers of two and keep transposes and alignment apart', () => {
    const k = (a: number[], b: number[], ta = false, tb = false) => matmulKey(plan(a, b, ta, tb), ta, tb);
    expect(k([1040, 128], [128, 384])).toBe(k([1024, 128], [128, 384]));
    expect(k([1040, 128], [128, 384])).not.toBe(k([1040, 128], [384, 128], false, true));
    expect(k([64, 64], [64, 64])).not.toBe(k([64, 65], [65, 64]));
  });
});
