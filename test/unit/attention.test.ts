// Attention on the CPU: the TypeScript references against PyTorch's fixtures and against finite
// differences of themselves, the masking conventions, and the shape rules the kernels share.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { readSafetensors, toFloat32, toInt32 } from '../../engine/safetensors.ts';
import { attentionRef, attentionBackwardRef, attentionDims, type AttentionDims } from '../../engine/ops/attention.ts';
import { BiudError } from '../../engine/errors.ts';

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return w;
}

function rand(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

describe('attention reference vs PyTorch fixtures', () => {
  // Chosen by the metadata's op, not the file name: any attention fixture in the folder runs.
  const files = readdirSync('test/golden').filter((f) => f.endsWith('.safetensors'));
  const fixtures = files
    .map((file) => ({ file, f: readSafetensors(new Uint8Array(readFileSync(`test/golden/${file}`)), file) }))
    .filter(({ f }) => f.metadata.op === 'attention');
  it('finds the shipped fixtures (plain, causal, key mask)', () => expect(fixtures.length).toBeGreaterThanOrEqual(3));
  for (const { file, f } of fixtures) {
    it(file, () => {
      const attrs = JSON.parse(f.metadata.attrs ?? '{}');
      const tol = Number(f.metadata.tolerance);
      const get = (k: string) => toFloat32(f.tensors.get(k)!);
      const dims = attentionDims(f.tensors.get('q')!.shape, f.tensors.get('k')!.shape, f.tensors.get('v')!.shape, f.tensors.get('key_mask')?.shape);
      const opts = {
        causal: attrs.causal ? ('top-left' as const) : false,
        keyMask: f.tensors.has('key_mask') ? toInt32(f.tensors.get('key_mask')!) : null,
        scale: attrs.scale,
      };
      expect(worst(attentionRef(get('q'), get('k'), get('v'), dims, opts), get('y'))).toBeLessThanOrEqual(tol);
      const g = attentionBackwardRef(get('q'), get('k'), get('v'), get('gy'), dims, opts);
      expect(worst(g.dq, get('d_q'))).toBeLessThanOrEqual(tol);
      expect(worst(g.dk, get('d_k'))).toBeLessThanOrEqual(tol);
      expect(worst(g.dv, get('d_v'))).toBeLessThanOrEqual(tol);
    });
  }
});

describe('attention reference', () => {
  const dims: AttentionDims = { B: 2, H: 2, Tq: 3, Tk: 4, d: 3 };
  const q = rand(dims.B * dims.H * dims.Tq * dims.d, 1);
  const k = rand(dims.B * dims.H * dims.Tk * dims.d, 2);
  const v = rand(dims.B * dims.H * dims.Tk * dims.d, 3);
  const gy = rand(dims.B * dims.H * dims.Tq * dims.d, 4);
  const mask = [1, 0, 1, 1, 0, 1, 1, 1];

  it('backward matches central differences of the forward', () => {
    for (const opts of [{}, { causal: true, keyMask: mask }, { scale: 0.9, keyMask: mask }]) {
      const loss = (qq: ArrayLike<number>, kk: ArrayLike<number>, vv: ArrayLike<number>) => {
        const y = attentionRef(qq, kk, vv, dims, opts);
        return y.reduce((s, x, i) => s + x * gy[i], 0);
      };
      const g = attentionBackwardRef(q, k, v, gy, dims, opts);
      const eps = 1e-3;
      for (const [which, x, grad] of [['q', q, g.dq], ['k', k, g.dk], ['v', v, g.dv]] as const) {
        for (let i = 0; i < x.length; i++) {
          const plus = Float64Array.from(x);
          const minus = Float64Array.from(x);
          plus[i] += eps;
          minus[i] -= eps;
          const args = (y: Float64Array) => (which === 'q' ? [y, k, v] : which === 'k' ? [q, y, v] : [q, k, y]) as [Float64Array, Float64Array, Float64Array];
          const num = (loss(...args(plus)) - loss(...args(minus))) / (2 * eps);
          expect(Math.abs(num - grad[i]), `d${which}[${i}] ${JSON.stringify(opts)}`).toBeLessThan(1e-3 * (1 + Math.abs(num)));
        }
      }
    }
  });

  it('causal aligns bottom-right: query i sees keys j ≤ i + Tk − Tq', () => {
    // One query against four keys: under causal it is the last query, so it sees them all.
    const one: AttentionDims = { B: 1, H: 1, Tq: 1, Tk: 4, d: 3 };
    const q1 = q.slice(0, 3);
    expect(Array.from(attentionRef(q1, k.slice(0, 12), v.slice(0, 12), one, { causal: true }))).toEqual(Array.from(attentionRef(q1, k.slice(0, 12), v.slice(0, 12), one)));
    // With Tq = Tk the first query sees only the first key: its output is v_0.
    const sq: AttentionDims = { B: 1, H: 1, Tq: 4, Tk: 4, d: 3 };
    const y = attentionRef(q.slice(0, 12), k.slice(0, 12), v.slice(0, 12), sq, { causal: true });
    for (let x = 0; x < 3; x++) expect(y[x]).toBeCloseTo(v[x], 6);
  });

  it("causal 'top-left' is PyTorch's rule: query i sees keys j ≤ i whatever Tk − Tq", () => {
    // Two queries against four keys: the first sees only key 0 (its output is v_0), the second
    // keys 0 and 1, as in a 2 × 2 causal product; bottom-right would give the second every key.
    const wide: AttentionDims = { B: 1, H: 1, Tq: 2, Tk: 4, d: 3 };
    const y = attentionRef(q.slice(0, 6), k.slice(0, 12), v.slice(0, 12), wide, { causal: 'top-left' });
    for (let x = 0; x < 3; x++) expect(y[x]).toBeCloseTo(v[x], 6);
    const square = attentionRef(q.slice(0, 6), k.slice(0, 6), v.slice(0, 6), { B: 1, H: 1, Tq: 2, Tk: 2, d: 3 }, { causal: true });
    for (let x = 3; x < 6; x++) expect(y[x]).toBeCloseTo(square[x], 6);
    const bottomRight = attentionRef(q.slice(0, 6), k.slice(0, 12), v.slice(0, 12), wide, { causal: true });
    expect(Math.abs(bottomRight[3] - y[3]) + Math.abs(bottomRight[4] - y[4])).toBeGreaterThan(1e-3);
    // With Tq = Tk the two rules are one.
    const sq: AttentionDims = { B: 1, H: 1, Tq: 4, Tk: 4, d: 3 };
    expect(Array.from(attentionRef(q.slice(0, 12), k.slice(0, 12), v.slice(0, 12), sq, { causal: 'top-left' }))).toEqual(Array.from(attentionRef(q.slice(0, 12), k.slice(0, 12), v.slice(0, 12), sq, { causal: true })));
  });

  it('a query that sees no key gives zeros and zero gradients', () => {
    const allMasked = [0, 0, 0, 0, 1, 1, 0, 1];
    const y = attentionRef(q, k, v, dims, { keyMask: allMasked });
    const g = attentionBackwardRef(q, k, v, gy, dims, { keyMask: allMasked });
    const batch0 = dims.H * dims.Tq * dims.d;
    expect(Array.from(y.slice(0, batch0)).every((x) => x === 0)).toBe(true);
    expect(Array.from(g.dq.slice(0, batch0)).every((x) => x === 0)).toBe(true);
    expect(Array.from(g.dk.slice(0, dims.H * dims.Tk * dims.d)).every((x) => x === 0)).toBe(true);
    expect([...y, ...g.dq, ...g.dk, ...g.dv].every(Number.isFinite)).toBe(true);
  });
});

describe('attention shapes', () => {
  it('accepts Tq ≠ Tk and reads the dims', () => {
    expect(attentionDims([2, 4, 96, 32], [2, 4, 65, 32], [2, 4, 65, 32], [2, 65])).toEqual({ B: 2, H: 4, Tq: 96, Tk: 65, d: 32 });
  });
  const bad: [string, number[], number[], number[], number[] | null, RegExp][] = [
    ['d of k', [2, 3, 5, 8], [2, 3, 7, 6], [2, 3, 7, 6], null, /q and k must have the same head size d: q \[2, 3, 5, 8\], k \[2, 3, 7, 6\]/],
    ['d of v', [2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 4], null, /v must have the head size of q and k/],
    ['Tk of v', [2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 6, 8], null, /k and v must have the same number of tokens/],
    ['heads', [2, 3, 5, 8], [2, 2, 7, 8], [2, 2, 7, 8], null, /batch and heads of q, k and v differ/],
    ['rank', [15, 8], [2, 3, 7, 8], [2, 3, 7, 8], null, /q must be \[batch, heads, tokens, d\], got \[15, 8\]/],
    ['mask batch', [2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 8], [1, 7], /keyMask must be \[batch, key tokens\] = \[2, 7\], got \[1, 7\]/],
    ['mask rank', [2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 8], [2, 1, 7], /keyMask must be \[batch, key tokens\]/],
  ];
  for (const [what, qs, ks, vs, ms, pattern] of bad) {
    it(`refuses a wrong ${what}`, () => {
      expect(() => attentionDims(qs, ks, vs, ms)).toThrow(BiudError);
      expect(() => attentionDims(qs, ks, vs, ms)).toThrow(pattern);
    });
  }
});
