// crossEntropyRef (the CPU reference of the fused kernel) vs PyTorch's masked-LM fixture.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32, toInt32 } from '../../engine/safetensors.ts';
import { crossEntropyRef, crossEntropyLanes } from '../../engine/ops/cross-entropy.ts';

describe('crossEntropyRef', () => {
  it('matches mlm_n20v50.safetensors (with ignored rows), loss and gradient', () => {
    const f = readSafetensors(new Uint8Array(readFileSync('test/golden/mlm_n20v50.safetensors')));
    const logits = toFloat32(f.tensors.get('logits')!);
    const labels = toInt32(f.tensors.get('labels')!);
    expect([...labels].some((l) => l === -100)).toBe(true);
    const V = f.tensors.get('logits')!.shape[1];
    const gy = toFloat32(f.tensors.get('gy')!)[0];
    const { loss, dx } = crossEntropyRef(logits, labels, V, JSON.parse(f.metadata.attrs).ignore_index, gy);
    expect(Math.abs(loss - toFloat32(f.tensors.get('y')!)[0])).toBeLessThan(1e-6);
    const want = toFloat32(f.tensors.get('d_logits')!);
    for (let i = 0; i < want.length; i++) expect(Math.abs(dx[i] - want[i])).toBeLessThan(1e-7);
  });

  it('gives 0, not NaN, when every row is ignored', () => {
    const r = crossEntropyRef([1, 2, 3, 4], [-100, -100], 2);
    expect(r.loss).toBe(0);
    expect([...r.dx].every((v) => v === 0)).toBe(true);
  });

  it('makes the loss NaN for a label outside [0, V)', () => {
    expect(crossEntropyRef([1, 2, 3, 4], [0, 7], 2).loss).toBeNaN();
  });

  it('splits rows over lanes only when rows are few and long', () => {
    expect(crossEntropyLanes(2000, 30522)).toBe(3);
    expect(crossEntropyLanes(8192, 30522)).toBe(1);
    expect(crossEntropyLanes(4, 1500)).toBe(23);
    expect(crossEntropyLanes(4, 50)).toBe(1);
    expect(crossEntropyLanes(1, 1e6)).toBe(256);
  });
});
