import { describe, it, expect } from 'vitest';
import { warmupCosine } from '../../engine/optim/schedule.ts';

describe('warmupCosine', () => {
  const o = { lr: 1e-3, warmup: 10, total: 110, minLr: 1e-5 };
  it('warms up linearly from the first step to the peak', () => {
    expect(warmupCosine(0, o)).toBeCloseTo(1e-4, 12);
    expect(warmupCosine(4, o)).toBeCloseTo(5e-4, 12);
    expect(warmupCosine(9, o)).toBeCloseTo(1e-3, 12);
    for (let s = 1; s < 10; s++) expect(warmupCosine(s, o)).toBeGreaterThan(warmupCosine(s - 1, o));
  });
  it('then decays along a half cosine to minLr at total, and stays there', () => {
    expect(warmupCosine(10, o)).toBeCloseTo(1e-3, 12);
    expect(warmupCosine(60, o)).toBeCloseTo((1e-3 + 1e-5) / 2, 12);
    expect(warmupCosine(110, o)).toBeCloseTo(1e-5, 12);
    expect(warmupCosine(500, o)).toBeCloseTo(1e-5, 12);
    for (let s = 11; s <= 110; s++) expect(warmupCosine(s, o)).toBeLessThan(warmupCosine(s - 1, o));
  });
  it('handles no warm-up and a run no longer than the warm-up', () => {
    expect(warmupCosine(0, { lr: 1, warmup: 0, total: 10 })).toBe(1);
    expect(warmupCosine(5, { lr: 1, warmup: 5, total: 5, minLr: 0.1 })).toBe(0.1);
  });
});
