// The double-precision erf / Φ / GELU references vs known values and PyTorch's fixture.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { erfRef, normalCdfRef, geluRef, geluGradRef } from '../../engine/ops/activation.ts';

describe('erfRef and normalCdfRef', () => {
  // Values from mpmath at 30 digits.
  const erf: [number, number][] = [
    [0, 0], [1e-8, 1.1283791670955126e-8], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
    [2.4999, 0.99959283009966655], [2.5, 0.99959304798255504], [3, 0.9999779095030014], [-1.5, -0.9661051464753108], [6, 1],
  ];
  it('erf to ~1e-14 relative on both sides of the series/continued-fraction switch', () => {
    for (const [x, want] of erf) expect(Math.abs(erfRef(x) - want)).toBeLessThanOrEqual(1e-14 * Math.abs(want) + 1e-300);
  });
  it('Φ keeps relative accuracy in the far left tail', () => {
    // Φ(−5), Φ(−10), Φ(3) from mpmath.
    expect(Math.abs(normalCdfRef(-5) / 2.8665157187919391e-7 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(normalCdfRef(-10) / 7.619853024160527e-24 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(normalCdfRef(3) - 0.9986501019683699)).toBeLessThan(1e-15);
    expect(normalCdfRef(0)).toBe(0.5);
  });
});

describe('geluRef vs PyTorch', () => {
  it('gelu.safetensors (exact form), forward and backward', () => {
    const f = readSafetensors(new Uint8Array(readFileSync('test/golden/gelu.safetensors')));
    const get = (k: string) => toFloat32(f.tensors.get(k)!);
    const x = get('x');
    const y = geluRef(x);
    const dx = geluGradRef(x, get('gy'));
    const want = get('y');
    const wantDx = get('d_x');
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(y[i] - want[i])).toBeLessThan(1e-6 * (1 + Math.abs(want[i])));
      expect(Math.abs(dx[i] - wantDx[i])).toBeLessThan(1e-6 * (1 + Math.abs(wantDx[i])));
    }
  });
  it('the tanh form is close to the exact one and equals its formula', () => {
    const xs = [-3, -1, -0.1, 0, 0.3, 1, 2.5];
    const a = geluRef(xs, 'tanh');
    const b = geluRef(xs, 'none');
    for (let i = 0; i < xs.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(2e-3);
    expect(a[5]).toBeCloseTo(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 14);
  });
  it('refuses an unknown approximation', () => {
    expect(() => geluRef([1], 'fast' as 'tanh')).toThrow(/approximate must be 'none' or 'tanh'/);
  });
});
