// softmaxRef (the CPU reference of the GPU kernels) vs PyTorch's fixture and basic identities.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { softmaxRef } from '../../engine/ops/softmax.ts';

describe('softmaxRef', () => {
  it('matches softmax.safetensors, forward and backward', () => {
    const f = readSafetensors(new Uint8Array(readFileSync('test/golden/softmax.safetensors')));
    const get = (k: string) => toFloat32(f.tensors.get(k)!);
    const shape = f.tensors.get('x')!.shape;
    const { y, dx } = softmaxRef(get('x'), shape, JSON.parse(f.metadata.attrs).dim, false, get('gy'));
    const wy = get('y');
    const wd = get('d_x');
    for (let i = 0; i < wy.length; i++) {
      expect(Math.abs(y[i] - wy[i])).toBeLessThan(1e-6);
      expect(Math.abs(dx[i] - wd[i])).toBeLessThan(1e-6);
    }
  });

  it('log-softmax is the log of softmax along a middle axis, and its gradient is consistent', () => {
    const shape = [2, 3, 4];
    const x = Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 3);
    const g = Array.from({ length: 24 }, (_, i) => Math.cos(i));
    const s = softmaxRef(x, shape, 1, false, g);
    const l = softmaxRef(x, shape, 1, true, g);
    for (let i = 0; i < 24; i++) expect(l.y[i]).toBeCloseTo(Math.log(s.y[i]), 12);
    // Sums along axis 1 are 1.
    for (let o = 0; o < 2; o++) for (let k = 0; k < 4; k++) expect(s.y[o * 12 + k] + s.y[o * 12 + 4 + k] + s.y[o * 12 + 8 + k]).toBeCloseTo(1, 12);
    // Central differences of Σ g·y.
    for (const log of [false, true]) {
      const dx = log ? l.dx : s.dx;
      for (const j of [0, 5, 13, 23]) {
        const h = 1e-6;
        const f = (d: number) => {
          const xx = x.slice();
          xx[j] += d;
          return softmaxRef(xx, shape, 1, log).y.reduce((a, v, i) => a + v * g[i], 0);
        };
        expect(dx[j]).toBeCloseTo((f(h) - f(-h)) / (2 * h), 7);
      }
    }
  });

  it('is stable for large logits', () => {
    const { y } = softmaxRef([1000, 1001, 999], [3]);
    expect(y[1]).toBeCloseTo(Math.exp(1) / (1 + Math.exp(1) + Math.exp(-1)), 12);
  });
});
