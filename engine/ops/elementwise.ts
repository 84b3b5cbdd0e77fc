// Elementwise ops with NumPy broadcasting, and the strided copies that make permute, expand and
// slice: shaders/elementwise.wgsl. Each op: its launch, its backward rule, its CPU reference.
import src from '../../shaders/elementwise.wgsl';
import { Kernel } from '../kernel.ts';
import { Tensor, numel } from '../tensor.ts';
import type { Engine } from '../engine.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { sumToShape } from './reduce.ts';

const K = {
  map: new Kernel('elementwise.map', src, 'map'),
  mapFlat: new Kernel('elementwise.map_flat', src, 'map_flat'),
  zip: new Kernel('elementwise.zip', src, 'zip'),
  zipFlat: new Kernel('elementwise.zip_flat', src, 'zip_flat'),
  axpy: new Kernel('elementwise.axpy', src, 'axpy'),
  fill: new Kernel('elementwise.fill', src, 'fill'),
  // The flat ones four floats at a time, where counts and offsets allow (elementwise.wgsl).
  mapFlat4: new Kernel('elementwise.map_flat4', src, 'map_flat4'),
  zipFlat4: new Kernel('elementwise.zip_flat4', src, 'zip_flat4'),
  axpy4: new Kernel('elementwise.axpy4', src, 'axpy4'),
  fill4: new Kernel('elementwise.fill4', src, 'fill4'),
  // The strided ones on whole vec4s, where every operand's innermost dimension allows (inVec4s).
  mapV4: new Kernel('elementwise.map_v4', src, 'map_v4'),
  zipV4: new Kernel('elementwise.zip_v4', src, 'zip_v4'),
};

/** Whether a flat launch over n elements at these element offsets can run on vec4s. */
function vec4able(n: number, ...offsets: number[]): boolean {
  return n % 4 === 0 && offsets.every((o) => o % 4 === 0);
}

/** Workgroups for the vec4 entries: two vec4s per invocation. */
function grid4(e: Engine, n: number): [number, number] {
  return e.grid1d(Math.ceil(n / 8), WG);
}
export const WG = 64;
const MAX_RANK = 8;

// Op codes of the WGSL switches.
export const UNARY = { copy: 0, affine: 1, exp: 2, log: 3, sqrt: 4, rsqrt: 5, relu: 6, tanh: 7, sigmoid: 8, abs: 9, square: 10, clamp: 11, reciprocal: 12 } as const;
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, reluGrad: 6, tanhGrad: 7, sigmoidGrad: 8, absGrad: 9, clampGrad: 10, equal: 11, greater: 12 } as const;

// ------------------------------------------------------------------ shapes

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** NumPy broadcasting: align right; each pair of dims equal or one of them 1. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new BiudError(`shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together (dimension ${i}: ${x} vs ${y})`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Strides that read `shape` (contiguous) as if it had `out` shape: 0 along broadcast dims. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = contiguousStrides(shape);
  const k = out.length - shape.length;
  return out.map((n, i) => (i < k || shape[i - k] === 1 ? 0 : s[i - k]));
}

function pad8(v: readonly number[]): number[] {
  const out = new Array<number>(MAX_RANK).fill(0);
  v.forEach((x, i) => (out[i] = x));
  return out;
}

/** Shapes and strides as the kernels read them: innermost first, in two vec4s (elementwise.wgsl). */
function packed(name: string, v: readonly number[]): Record<string, number[]> {
  const r = pad8([...v].reverse());
  return { [`${name}0`]: r.slice(0, 4), [`${name}1`]: r.slice(4) };
}

/** Uniforms of every elementwise entry; zero where an entry does not read them. */
function params(n: number, o: { offA?: number; offY?: number; alpha?: number; beta?: number; shape?: readonly number[]; sa?: readonly number[]; sb?: readonly number[]; sy?: readonly number[] }) {
  return {
    n, _rank: 0, off_a: o.offA ?? 0, off_b: 0, off_y: o.offY ?? 0, alpha: o.alpha ?? 0, beta: o.beta ?? 0, _pad: 0,
    ...packed('shape', o.shape ?? []), ...packed('sa', o.sa ?? []), ...packed('sb', o.sb ?? []), ...packed('sy', o.sy ?? []),
  };
}

/** Drop size-1 dimensions (their strides never matter) so kernels specialise on a smaller rank. */
function squeezeDims(shape: readonly number[], ...strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((d) => d !== 1);
  if (!keep.some(Boolean)) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: shape.filter((_, i) => keep[i]), strides: strides.map((s) => s.filter((_, i) => keep[i])) };
}

/**
 * A strided launch in vec4 units (shape, strides, offsets), or null where it cannot be one: every
 * operand must read the innermost dimension contiguously, its length and every other stride and
 * offset must be multiples of 4. Shapes as squeezeDims leaves them.
 */
function inVec4s(shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[]): { shape: number[]; strides: number[][]; offsets: number[] } | null {
  const last = shape.length - 1;
  if (shape[last] % 4 !== 0 || offsets.some((o) => o % 4 !== 0)) return null;
  if (strides.some((s) => s[last] !== 1 || s.some((x, d) => d < last && x % 4 !== 0))) return null;
  return {
    shape: shape.map((n, d) => (d === last ? n / 4 : n)),
    strides: strides.map((s) => s.map((x, d) => (d === last ? 1 : x / 4))),
    offsets: offsets.map((o) => o / 4),
  };
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  const c = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || strides[i] === c[i]);
}

function checkFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new BiudError(`${op}: needs float32 tensors, got ${t.dtype} ${t}`);
  }
}

// ------------------------------------------------------------------ launches

export interface StridedView {
  tensor: Tensor;
  offset?: number;
  strides: readonly number[];
}

/** dst[view] = f(src[view]) over `shape`; the engine-level strided map behind permute/expand/slice/concat. */
export function launchMap(op: number, shape: readonly number[], src: StridedView, dst: StridedView, alpha = 0, beta = 0): void {
  const e = src.tensor.engine;
  if (shape.length > MAX_RANK) throw new BiudError(`rank ${shape.length} is over the elementwise kernels' limit of ${MAX_RANK}`);
  const n = numel(shape);
  const flat = isContiguous(shape, src.strides) && isContiguous(shape, dst.strides);
  if (flat && vec4able(n, src.offset ?? 0, dst.offset ?? 0)) {
    e.dispatch(K.mapFlat4, {
      bindings: { a4: src.tensor, y4: dst.tensor },
      uniforms: params(n, { offA: src.offset, offY: dst.offset, alpha, beta }),
      workgroups: grid4(e, n),
      constants: { OP: op },
    });
    return;
  }
  const sq = squeezeDims(shape, src.strides, dst.strides);
  const v4 = flat ? null : inVec4s(sq.shape, sq.strides, [src.offset ?? 0, dst.offset ?? 0]);
  if (v4) {
    e.dispatch(K.mapV4, {
      bindings: { a4: src.tensor, y4: dst.tensor },
      uniforms: params(n / 4, { offA: v4.offsets[0], offY: v4.offsets[1], alpha, beta, shape: v4.shape, sa: v4.strides[0], sy: v4.strides[1] }),
      workgroups: e.grid1d(n / 4, WG),
      constants: { OP: op, RANK: v4.shape.length },
    });
    return;
  }
  e.dispatch(flat ? K.mapFlat : K.map, {
    bindings: { a: src.tensor, y: dst.tensor },
    uniforms: params(n, { offA: src.offset, offY: dst.offset, alpha, beta, shape: sq.shape, sa: sq.strides[0], sy: sq.strides[1] }),
    workgroups: e.grid1d(n, WG),
    constants: flat ? { OP: op } : { OP: op, RANK: sq.shape.length },
  });
}

function launchZip(op: number, a: Tensor, b: Tensor, outShape: readonly number[], alpha = 0, beta = 0): Tensor {
  const e = a.engine;
  const y = e.empty(outShape);
  const n = y.size;
  const same = sameShape(a.shape, outShape) && sameShape(b.shape, outShape);
  if (outShape.length > MAX_RANK) throw new BiudError(`rank ${outShape.length} is over the elementwise kernels' limit of ${MAX_RANK}`);
  if (same && vec4able(n)) {
    e.dispatch(K.zipFlat4, { bindings: { a4: a, b4: b, y4: y }, uniforms: params(n, { alpha, beta }), workgroups: grid4(e, n), constants: { OP: op } });
    return y;
  }
  const sq = squeezeDims(outShape, broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape));
  const v4 = same ? null : inVec4s(sq.shape, sq.strides, [0, 0]);
  if (v4) {
    e.dispatch(K.zipV4, {
      bindings: { a4: a, b4: b, y4: y },
      uniforms: params(n / 4, { alpha, beta, shape: v4.shape, sa: v4.strides[0], sb: v4.strides[1] }),
      workgroups: e.grid1d(n / 4, WG),
      constants: { OP: op, RANK: v4.shape.length },
    });
    return y;
  }
  e.dispatch(same ? K.zipFlat : K.zip, {
    bindings: { a, b, y },
    uniforms: params(n, { alpha, beta, shape: sq.shape, sa: sq.strides[0], sb: sq.strides[1] }),
    workgroups: e.grid1d(n, WG),
    constants: same ? { OP: op } : { OP: op, RANK: sq.shape.length },
  });
  return y;
}

function unaryOp(op: number, x: Tensor, alpha = 0, beta = 0): Tensor {
  checkFloat('elementwise', x);
  const y = x.engine.empty(x.shape);
  const strides = contiguousStrides(x.shape);
  launchMap(op, x.shape, { tensor: x, strides }, { tensor: y, strides }, alpha, beta);
  return y;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ------------------------------------------------------------------ binary ops

function binaryOp(name: keyof typeof BINARY, a: Tensor, b: Tensor, grads: (gy: Tensor, y: Tensor) => [Tensor | null, Tensor | null]): Tensor {
  checkFloat(name, a, b);
  if (a.engine !== b.engine) throw new BiudError(`${name}: the two tensors belong to different engines`);
  const shape = broadcastShapes(a.shape, b.shape);
  const y = launchZip(BINARY[name], a, b, shape);
  return record(name, [a, b], y, (gy) => {
    const [ga, gb] = grads(gy, y);
    return [ga && reduceTo(ga, a.shape), gb && reduceTo(gb, b.shape)];
  });
}

/** Sum a broadcast gradient back to an input's shape (identity when nothing was broadcast). */
function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const r = sumToShape(g, shape);
  g.dispose();
  return r;
}

export const add = (a: Tensor, b: Tensor): Tensor => binaryOp('add', a, b, (gy) => [copy(gy), copy(gy)]);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp('sub', a, b, (gy) => [copy(gy), scale(gy, -1)]);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp('mul', a, b, (gy) => [a.requiresGrad ? mul(gy, b) : null, b.requiresGrad ? mul(gy, a) : null]);
export const div = (a: Tensor, b: Tensor): Tensor =>
  binaryOp('div', a, b, (gy, y) => {
    // d(a/b)/da = 1/b; d(a/b)/db = −a/b² = −y/b.
    const ga = a.requiresGrad ? div(gy, b) : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      const t = mul(gy, y);
      gb = div(t, b);
      t.dispose();
      const n = scale(gb, -1);
      gb.dispose();
      gb = n;
    }
    return [ga, gb];
  });
/** Elementwise max; the gradient goes to `a` where a ≥ b, else to `b`. */
export const maximum = (a: Tensor, b: Tensor): Tensor =>
  binaryOp('max', a, b, (gy, y) => {
    const ma = launchZip(BINARY.equal, expandTo(a, y.shape), y, y.shape);
    const ga = mul(gy, ma);
    const gb = sub(gy, ga);
    ma.dispose();
    return [ga, gb];
  });

/** Elementwise comparison masks (1 or 0, no gradient). */
export const equal = (a: Tensor, b: Tensor): Tensor => launchZip(BINARY.equal, a, b, broadcastShapes(a.shape, b.shape));
export const greater = (a: Tensor, b: Tensor): Tensor => launchZip(BINARY.greater, a, b, broadcastShapes(a.shape, b.shape));

function expandTo(a: Tensor, shape: readonly number[]): Tensor {
  return sameShape(a.shape, shape) ? a : expand(a, shape);
}

// ------------------------------------------------------------------ unary ops

/** alpha·x + beta. */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  return record('affine', [x], unaryOp(UNARY.affine, x, alpha, beta), (gy) => [scale(gy, alpha)]);
}
export const scale = (x: Tensor, s: number): Tensor => affine(x, s, 0);
export const addScalar = (x: Tensor, c: number): Tensor => affine(x, 1, c);
export const neg = (x: Tensor): Tensor => affine(x, -1, 0);

/** Unary op whose derivative is a binary rule of (dy, x) or (dy, y). */
function unaryWithGrad(name: keyof typeof UNARY, x: Tensor, grad: (gy: Tensor, y: Tensor) => Tensor, alpha = 0, beta = 0): Tensor {
  const y = unaryOp(UNARY[name], x, alpha, beta);
  return record(name, [x], y, (gy) => [grad(gy, y)]);
}

export const exp = (x: Tensor): Tensor => unaryWithGrad('exp', x, (gy, y) => mul(gy, y));
export const log = (x: Tensor): Tensor => unaryWithGrad('log', x, (gy) => div(gy, x));
export const sqrt = (x: Tensor): Tensor =>
  unaryWithGrad('sqrt', x, (gy, y) => {
    const t = div(gy, y); // d√x = 1/(2√x)
    const r = scale(t, 0.5);
    t.dispose();
    return r;
  });
export const reciprocal = (x: Tensor): Tensor =>
  unaryWithGrad('reciprocal', x, (gy, y) => {
    const y2 = launchZip(BINARY.mul, y, y, y.shape); // d(1/x) = −1/x² = −y²
    const t = mul(gy, y2);
    const r = scale(t, -1);
    y2.dispose();
    t.dispose();
    return r;
  });
export const relu = (x: Tensor): Tensor => unaryWithGrad('relu', x, (gy) => launchZip(BINARY.reluGrad, gy, x, x.shape));
export const tanh = (x: Tensor): Tensor => unaryWithGrad('tanh', x, (gy, y) => launchZip(BINARY.tanhGrad, gy, y, y.shape));
export const sigmoid = (x: Tensor): Tensor => unaryWithGrad('sigmoid', x, (gy, y) => launchZip(BINARY.sigmoidGrad, gy, y, y.shape));
export const abs = (x: Tensor): Tensor => unaryWithGrad('abs', x, (gy) => launchZip(BINARY.absGrad, gy, x, x.shape));
export const square = (x: Tensor): Tensor =>
  unaryWithGrad('square', x, (gy) => {
    const t = mul(gy, x);
    const r = scale(t, 2);
    t.dispose();
    return r;
  });
export const clamp = (x: Tensor, lo: number, hi: number): Tensor =>
  unaryWithGrad('clamp', x, (gy) => launchZip(BINARY.clampGrad, gy, x, x.shape, lo, hi), lo, hi);

/** A contiguous copy (its own storage). */
export function copy(x: Tensor): Tensor {
  const y = x.engine.empty(x.shape, x.dtype);
  x.engine.copy(x, y);
  return record('copy', [x], y, (gy) => [copy(gy)]);
}

/** Broadcast to a larger shape (materialised). Backward sums over the broadcast dims. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkFloat('expand', x);
  const out = broadcastShapes(x.shape, shape);
  if (!sameShape(out, shape)) throw new BiudError(`expand: [${x.shape}] cannot be expanded to [${shape}]`);
  const y = x.engine.empty(shape);
  launchMap(UNARY.copy, shape, { tensor: x, strides: broadcastStrides(x.shape, shape) }, { tensor: y, strides: contiguousStrides(shape) });
  return record('expand', [x], y, (gy) => [sumToShape(gy, x.shape)]);
}

// ------------------------------------------------------------------ in place

/** dst += alpha·src (same size). Not recorded: for gradient accumulation and optimisers. */
export function addInto(dst: Tensor, src: Tensor, alpha = 1): void {
  if (dst.size !== src.size) throw new BiudError(`addInto: ${src.size} elements into ${dst.size}`);
  const e = dst.engine;
  const v4 = vec4able(dst.size);
  e.dispatch(v4 ? K.axpy4 : K.axpy, {
    bindings: v4 ? { a4: src, y4: dst } : { a: src, y: dst },
    uniforms: params(dst.size, { alpha }),
    workgroups: v4 ? grid4(e, dst.size) : e.grid1d(dst.size, WG),
  });
}

/** A new tensor filled with `value`. */
export function fill(e: Engine, shape: readonly number[], value: number): Tensor {
  const y = e.empty(shape);
  fillInto(y, value);
  return y;
}

export function fillInto(y: Tensor, value: number): void {
  const e = y.engine;
  const v4 = vec4able(y.size);
  e.dispatch(v4 ? K.fill4 : K.fill, {
    bindings: v4 ? { y4: y } : { y },
    uniforms: params(y.size, { alpha: value }),
    workgroups: v4 ? grid4(e, y.size) : e.grid1d(y.size, WG),
  });
}

// ------------------------------------------------------------------ CPU references

const unaryRefs: Record<string, (x: number, alpha: number, beta: number) => number> = {
  copy: (x) => x,
  affine: (x, a, b) => a * x + b,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  relu: (x) => Math.max(x, 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  abs: Math.abs,
  square: (x) => x * x,
  clamp: (x, a, b) => Math.min(Math.max(x, a), b),
  reciprocal: (x) => 1 / x,
};

export function unaryRef(name: keyof typeof UNARY, x: ArrayLike<number>, alpha = 0, beta = 0): Float32Array {
  const f = unaryRefs[name];
  return Float32Array.from(x, (v) => f(v, alpha, beta));
}

const binaryRefs: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
  min: Math.min,
};

/** Reference broadcasting binary op over row-major arrays. */
export function binaryRef(name: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min', a: ArrayLike<number>, aShape: readonly number[], b: ArrayLike<number>, bShape: readonly number[]): { data: Float32Array; shape: number[] } {
  const shape = broadcastShapes(aShape, bShape);
  const sa = broadcastStrides(aShape, shape);
  const sb = broadcastStrides(bShape, shape);
  const n = numel(shape);
  const out = new Float32Array(n);
  const f = binaryRefs[name];
  for (let i = 0; i < n; i++) {
    let rest = i, oa = 0, ob = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      oa += c * sa[d];
      ob += c * sb[d];
    }
    out[i] = f(a[oa], b[ob]);
  }
  return { data: out, shape };
}
