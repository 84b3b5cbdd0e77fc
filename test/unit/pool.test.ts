// avg / max pool3d on the CPU: the references against PyTorch's fixtures, and the shape rules.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { avgPool3dRef, maxPool3dRef, poolGeometry } from '../../engine/ops/pool.ts';
import { BiudError } from '../../engine/errors.ts';

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return w;
}

describe('pool references vs PyTorch fixtures', () => {
  const files = readdirSync('test/golden').filter((f) => /pool3d.*\.safetensors$/.test(f));
  it('finds the shipped fixtures', () => expect(files.length).toBeGreaterThanOrEqual(2));
  for (const file of files) {
    it(file, () => {
      const f = readSafetensors(new Uint8Array(readFileSync(`test/golden/${file}`)), file);
      const attrs = JSON.parse(f.metadata.attrs ?? '{}');
      const tol = Number(f.metadata.tolerance);
      const get = (k: string) => toFloat32(f.tensors.get(k)!);
      const ref = f.metadata.op === 'max_pool3d' ? maxPool3dRef : avgPool3dRef;
      const r = ref(get('x'), f.tensors.get('x')!.shape, { kernel: attrs.kernel, stride: attrs.stride, padding: attrs.padding ?? 0 }, get('gy'));
      expect(r.shape).toEqual(f.tensors.get('y')!.shape);
      expect(worst(r.data, get('y'))).toBeLessThanOrEqual(tol);
      expect(worst(r.dx!, get('d_x'))).toBeLessThanOrEqual(tol);
    });
  }
});

describe('poolGeometry', () => {
  it('stride defaults to the kernel; output ⌊(in + 2p − k)/s⌋ + 1', () => {
    expect(poolGeometry('maxPool3d', [1, 3, 6, 8, 4], { kernel: 2 }).output).toEqual([3, 4, 2]);
    expect(poolGeometry('maxPool3d', [1, 3, 7, 8, 5], { kernel: 2 }).output).toEqual([3, 4, 2]);
    expect(poolGeometry('avgPool3d', [1, 1, 7, 9, 5], { kernel: 3, stride: 2, padding: 1 }).output).toEqual([4, 5, 3]);
    expect(poolGeometry('avgPool3d', [1, 1, 5, 6, 7], { kernel: [3, 2, 5], stride: [1, 2, 3], padding: [1, 0, 2] }).output).toEqual([5, 3, 3]);
  });

  it('the references count padding as zeros (avg) and skip it (max)', () => {
    // One cell, kernel 3, padding 1: the window holds the cell and 26 padding cells.
    expect(avgPool3dRef([27], [1, 1, 1, 1, 1], { kernel: 3, padding: 1 }).data[0]).toBeCloseTo(1, 6);
    expect(maxPool3dRef([-4], [1, 1, 1, 1, 1], { kernel: 3, padding: 1 }).data[0]).toBe(-4);
  });

  it('refuses what PyTorch refuses, naming the cause', () => {
    const bad = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(BiudError);
      expect(f).toThrow(re);
    };
    bad(() => poolGeometry('avgPool3d', [3, 4, 4, 4], { kernel: 2 }), /rank 5/);
    bad(() => poolGeometry('avgPool3d', [1, 1, 4, 4, 4], { kernel: 3, padding: 2 }), /padding 2 along D is more than half the kernel/);
    bad(() => poolGeometry('maxPool3d', [1, 1, 4, 2, 4], { kernel: 3 }), /kernel \(3 along H\) is larger than the padded input/);
    bad(() => poolGeometry('maxPool3d', [1, 1, 4, 4, 4], { kernel: 0 }), /kernel must be positive integers/);
  });
});
