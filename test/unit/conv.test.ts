// conv3d / conv2d on the CPU: the TypeScript references against PyTorch's fixtures, and the shape
// rules (output sizes, refusals) shared by the kernels.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import { conv3dRef, conv3dBackwardRef, convGeometry, isPatchConv } from '../../engine/ops/conv.ts';
import { BiudError } from '../../engine/errors.ts';

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return w;
}

describe('conv references vs PyTorch fixtures', () => {
  const files = readdirSync('test/golden').filter((f) => /^conv[23]d_.*\.safetensors$/.test(f));
  it('finds the shipped fixtures', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const file of files) {
    it(file, () => {
      const f = readSafetensors(new Uint8Array(readFileSync(`test/golden/${file}`)), file);
      const attrs = JSON.parse(f.metadata.attrs ?? '{}');
      const tol = Number(f.metadata.tolerance);
      const t = (k: string) => f.tensors.get(k)!;
      const get = (k: string) => toFloat32(t(k));
      // conv2d fixtures are conv3d with depth 1: [N, C, H, W] → [N, C, 1, H, W].
      const is2d = f.metadata.op === 'conv2d';
      const lift = (s: number[]) => (is2d ? [s[0], s[1], 1, s[2], s[3]] : s);
      const lift2 = (v: number | number[], depth: number) => (is2d ? [depth, ...(typeof v === 'number' ? [v, v] : v)] : v);
      const opts = { stride: lift2(attrs.stride ?? 1, 1), padding: lift2(attrs.padding ?? 0, 0) };
      const xs = lift(t('x').shape), ws = lift(t('w').shape);
      const y = conv3dRef(get('x'), xs, get('w'), ws, f.tensors.has('b') ? get('b') : null, opts);
      expect(y.shape).toEqual(lift(t('y').shape));
      expect(worst(y.data, get('y'))).toBeLessThanOrEqual(tol);
      const g = conv3dBackwardRef(get('x'), xs, get('w'), ws, get('gy'), opts);
      expect(worst(g.dx, get('d_x'))).toBeLessThanOrEqual(tol);
      expect(worst(g.dw, get('d_w'))).toBeLessThanOrEqual(tol);
      if (f.tensors.has('d_b')) expect(worst(g.db, get('d_b'))).toBeLessThanOrEqual(tol);
    });
  }
});

describe('convGeometry', () => {
  it('output size is ⌊(in + 2p − k)/s⌋ + 1 per axis, like PyTorch', () => {
    const g = convGeometry('conv3d', [2, 3, 7, 12, 9], [6, 3, 3, 3, 3], [6], { stride: 2, padding: 1 });
    expect(g.output).toEqual([4, 6, 5]);
    const h = convGeometry('conv3d', [1, 1, 9, 10, 11], [4, 1, 2, 3, 4], null, { stride: [2, 3, 4], padding: [1, 0, 2] });
    expect(h.output).toEqual([5, 3, 3]);
    expect(convGeometry('conv3d', [1, 1, 5, 5, 5], [1, 1, 5, 5, 5], null).output).toEqual([1, 1, 1]);
  });

  it('conv2d is depth 1 with stride 1 and no padding along D', () => {
    const g = convGeometry('conv2d', [2, 3, 13, 11], [5, 3, 3, 3], null, { stride: [2, 1], padding: 1 }, 2);
    expect(g.input).toEqual([1, 13, 11]);
    expect(g.kernel).toEqual([1, 3, 3]);
    expect(g.stride).toEqual([1, 2, 1]);
    expect(g.padding).toEqual([0, 1, 1]);
    expect(g.output).toEqual([1, 7, 11]);
  });

  it('recognises the patch embedding (kernel = stride, no padding)', () => {
    expect(isPatchConv(convGeometry('conv3d', [2, 1, 64, 64, 64], [64, 1, 16, 16, 16], null, { stride: 16 }))).toBe(true);
    expect(isPatchConv(convGeometry('conv3d', [2, 1, 64, 128, 128], [64, 1, 8, 16, 16], null, { stride: [8, 16, 16] }))).toBe(true);
    expect(isPatchConv(convGeometry('conv3d', [2, 1, 64, 64, 64], [64, 1, 16, 16, 16], null, { stride: 16, padding: 1 }))).toBe(false);
    expect(isPatchConv(convGeometry('conv3d', [2, 1, 8, 8, 8], [4, 1, 3, 3, 3], null, { stride: 2 }))).toBe(false);
  });

  it('refuses bad shapes and attributes with the cause', () => {
    const bad = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(BiudError);
      expect(f).toThrow(re);
    };
    bad(() => convGeometry('conv3d', [2, 3, 4, 4], [5, 3, 3, 3, 3], null), /x must be \[N, Cin, D, H, W\] \(rank 5\), got \[2, 3, 4, 4\]/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 3, 3, 3], null), /w must be \[Cout, Cin, kD, kH, kW\]/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 4, 3, 3, 3], null), /3 input channels but w \[5, 4, 3, 3, 3\] expects 4/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 3, 3, 3, 3], [4]), /b must be \[5\]/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 3, 3, 7, 3], null, { padding: 1 }), /kernel \(7 along H\) is larger than the padded input \(4 \+ 2·1 = 6\)/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 3, 3, 3, 3], null, { stride: [1, 0, 1] }), /stride must be positive integers/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 3, 3, 3, 3], null, { padding: -1 }), /padding must be non-negative integers/);
    bad(() => convGeometry('conv3d', [2, 3, 4, 4, 4], [5, 3, 3, 3, 3], null, { stride: 1.5 }), /stride must be positive integers/);
    bad(() => convGeometry('conv2d', [2, 3, 4, 4], [5, 3, 3, 3], null, { stride: [1, 1, 1] }, 2), /stride needs one value or 2/);
  });
});
