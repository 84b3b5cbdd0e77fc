// layerNormRef (the CPU reference the GPU kernels are tested against) vs PyTorch's fixtures.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { layerNormRef, paramChunks } from '../../engine/ops/norm.ts';

function fixture(file: string) {
  const f = readSafetensors(new Uint8Array(readFileSync(`test/golden/${file}`)), file);
  return { get: (k: string) => toFloat32(f.tensors.get(k)!), shape: (k: string) => f.tensors.get(k)!.shape, meta: f.metadata };
}

function maxErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return w;
}

describe('layerNormRef vs PyTorch', () => {
  for (const file of ['layernorm_5x48.safetensors', 'layernorm_2x7x130.safetensors']) {
    it(file, () => {
      const f = fixture(file);
      const C = f.shape('x').at(-1)!;
      const eps = JSON.parse(f.meta.attrs).eps;
      const r = layerNormRef(f.get('x'), f.get('gamma'), f.get('beta'), C, eps, f.get('gy'));
      expect(maxErr(r.y, f.get('y'))).toBeLessThan(2e-6);
      expect(maxErr(r.dx, f.get('d_x'))).toBeLessThan(2e-6);
      expect(maxErr(r.dgamma, f.get('d_gamma'))).toBeLessThan(2e-6);
      expect(maxErr(r.dbeta, f.get('d_beta'))).toBeLessThan(2e-6);
    });
  }
});

describe('paramChunks (row chunks of the dγ/dβ partial sums)', () => {
  it('covers every row exactly once, with no empty chunk', () => {
    for (const [rows, C] of [[1, 1], [5, 48], [14, 130], [1040, 64], [3, 768], [100000, 4], [9, 2049]]) {
      const { chunk, chunks } = paramChunks(rows, C);
      expect(chunk * chunks).toBeGreaterThanOrEqual(rows);
      expect(chunk * (chunks - 1)).toBeLessThan(rows);
      expect(chunks).toBeGreaterThanOrEqual(1);
    }
  });
});
