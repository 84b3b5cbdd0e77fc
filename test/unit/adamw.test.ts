// adamwRef (the CPU reference of the fused AdamW kernel) vs PyTorch's fixture.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { adamwRef } from '../../engine/optim/adamw.ts';

describe('adamwRef', () => {
  it('matches adamw_3steps.safetensors', () => {
    const f = readSafetensors(new Uint8Array(readFileSync('test/golden/adamw_3steps.safetensors')));
    const a = JSON.parse(f.metadata.attrs);
    const p = toFloat32(f.tensors.get('param')!);
    const all = toFloat32(f.tensors.get('grads')!);
    const grads = Array.from({ length: a.steps }, (_, s) => all.subarray(s * p.length, (s + 1) * p.length));
    const y = adamwRef(p, grads, { lr: a.lr, beta1: a.beta1, beta2: a.beta2, eps: a.eps, weightDecay: a.weight_decay });
    const want = toFloat32(f.tensors.get('y')!);
    for (let i = 0; i < want.length; i++) expect(Math.abs(y[i] - want[i])).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(want[i])));
  });

  it('clips by the global norm and spares elements past decayEnd from weight decay', () => {
    const p = [1, 1, 1, 1];
    const g = [3, 4, 0, 0]; // norm 5
    const clipped = adamwRef(p, [g], { lr: 0.1, weightDecay: 0.5, maxGradNorm: 1, decayEnd: 3 });
    const scaled = adamwRef(p, [g.map((v) => v * (1 / (5 + 1e-6)))], { lr: 0.1, weightDecay: 0.5, decayEnd: 3 });
    expect([...clipped]).toEqual([...scaled]);
    // Zero gradient: only decay moves the parameter, and only before decayEnd.
    expect(clipped[2]).toBeCloseTo(1 - 0.1 * 0.5, 7);
    expect(clipped[3]).toBe(1);
  });
});
