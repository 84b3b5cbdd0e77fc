// contrastiveLossRef (the CPU reference of the fused kernels) vs PyTorch's fixtures, and its
// gradients (img, txt, τ) vs central differences in double precision.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { contrastiveLossRef } from '../../engine/ops/contrastive.ts';

function rand(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

describe('contrastiveLossRef vs PyTorch', () => {
  for (const file of ['contrastive_hard_n8d16.safetensors', 'contrastive_soft_n12d32.safetensors']) {
    it(file, () => {
      const f = readSafetensors(new Uint8Array(readFileSync(`test/golden/${file}`)));
      const get = (k: string) => toFloat32(f.tensors.get(k)!);
      const [n, d] = f.tensors.get('img')!.shape;
      const tau = JSON.parse(f.metadata.attrs).temperature;
      const r = contrastiveLossRef(get('img'), get('txt'), n, d, get('targets'), tau, get('gy')[0]);
      expect(Math.abs(r.loss - get('y')[0])).toBeLessThan(2e-6);
      for (const [got, want] of [[r.dImg, get('d_img')], [r.dTxt, get('d_txt')]] as const) {
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6 * (1 + Math.abs(want[i])));
      }
    });
  }

  it('the soft fixture really has soft (false-negative) targets with rows summing to 1', () => {
    const f = readSafetensors(new Uint8Array(readFileSync('test/golden/contrastive_soft_n12d32.safetensors')));
    const T = toFloat32(f.tensors.get('targets')!);
    const n = 12;
    expect([...T].filter((v) => v > 0 && v < 1).length).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) expect(T.slice(i * n, i * n + n).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

describe('contrastiveLossRef gradients (central differences)', () => {
  const n = 5;
  const d = 3;
  const img = rand(n * d, 1);
  const txt = rand(n * d, 2);
  const soft = rand(n * n, 3).map((v) => Math.abs(v));
  for (const [what, targets] of [['identity', null], ['soft, unnormalised', soft]] as const) {
    it(`${what} targets: d/dimg, d/dtxt, d/dτ`, () => {
      const tau = 0.3;
      const g = 1.7;
      const r = contrastiveLossRef(img, txt, n, d, targets, tau, g);
      const h = 1e-6;
      const L = (a: number[], b: number[], t: number) => g * contrastiveLossRef(a, b, n, d, targets, t).loss;
      for (let j = 0; j < n * d; j++) {
        const p = img.slice(); p[j] += h;
        const m = img.slice(); m[j] -= h;
        expect(r.dImg[j]).toBeCloseTo((L(p, txt, tau) - L(m, txt, tau)) / (2 * h), 6);
        const q = txt.slice(); q[j] += h;
        const s = txt.slice(); s[j] -= h;
        expect(r.dTxt[j]).toBeCloseTo((L(img, q, tau) - L(img, s, tau)) / (2 * h), 6);
      }
      expect(r.dTemp).toBeCloseTo((L(img, txt, tau + h) - L(img, txt, tau - h)) / (2 * h), 6);
    });
  }
});
