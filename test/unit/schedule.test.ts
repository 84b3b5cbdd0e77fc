import { describe, it, expect } from 'vitest';
import { warmupCosine } from '../../engine/optim/schedule.ts';
import { distillFactor } from '../../models/losses.ts';

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

describe('distillFactor', () => {
  it('is 0 before `from`, rises linearly over `ramp` steps, then stays 1', () => {
    expect([0, 1, 39].map((s) => distillFactor(s, 40, 40))).toEqual([0, 0, 0]);
    expect(distillFactor(40, 40, 40)).toBeCloseTo(1 / 40, 12);
    expect(distillFactor(59, 40, 40)).toBeCloseTo(0.5, 12);
    expect(distillFactor(79, 40, 40)).toBe(1);
    expect(distillFactor(1000, 40, 40)).toBe(1);
  });
  it('defaults to on from the first step, and a ramp of 0 switches on at once', () => {
    expect(distillFactor(0)).toBe(1);
    expect(distillFactor(4, 5)).toBe(0);
    expect(distillFactor(5, 5)).toBe(1);
  });
});
