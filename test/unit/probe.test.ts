// The CPU linear probe: its logistic regressions reach the optimum of the regularised loss.
import { describe, it, expect } from 'vitest';
import { LinearProbe, scoreAuc } from '../../models/probe.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('LinearProbe', () => {
  it('reaches the optimum of a case solved by hand', () => {
    // x = [−1, 1] (already standard), y = [0, 1] for finding 0. By symmetry b = 0, and
    //   f(w) = ½[softplus(−w) + softplus(w) − w] + (λ/2)w²,  f'(w) = σ(w) − 1 + λw = 0.
    const lambda = 0.1;
    let lo = 0, hi = 20;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (sigmoid(mid) - 1 + lambda * mid < 0) lo = mid;
      else hi = mid;
    }
    const labels = [new Uint8Array(18), new Uint8Array(18)];
    labels[1][0] = 1;
    const p = LinearProbe.fit([Float32Array.of(-1), Float32Array.of(1)], labels, { l2: lambda, iterations: 2000 });
    expect(p.weights[0][0]).toBeCloseTo(lo, 5);
    expect(p.bias[0]).toBeCloseTo(0, 6);
    // Standardisation: features scaled by 10 and shifted give the same logits.
    const q = LinearProbe.fit([Float32Array.of(-7), Float32Array.of(13)], labels, { l2: lambda, iterations: 2000 });
    expect(q.predict([Float32Array.of(13)])[0][0]).toBeCloseTo(lo, 5);
  });

  it('separates separable data; missing labels are left out', () => {
    const n = 40;
    const xs: Float32Array[] = [];
    const ys: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const y = i % 2;
      xs.push(Float32Array.of(y ? 1 + (i % 7) * 0.1 : -1 - (i % 5) * 0.1, (i * 37) % 11));
      const l = new Uint8Array(18);
      l[3] = y;
      l[5] = i < 5 ? 255 : 1 - y;
      ys.push(l);
    }
    const p = LinearProbe.fit(xs, ys);
    const r = scoreAuc(p.predict(xs), ys);
    expect(r.auc['Pericardial effusion']).toBe(1);
    expect(r.auc['Hiatal hernia']).toBe(1); // the opposite labels, five of them missing
    expect(Number.isNaN(r.auc.Cardiomegaly)).toBe(true); // no positives
    expect(() => LinearProbe.fit([], [])).toThrow(/no training volumes/);
  });
});
