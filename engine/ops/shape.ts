// Shape ops. A reshape is a view (no copy); permute, slice and concat are strided copies through
// the elementwise map kernel (shaders/elementwise.wgsl).
import { Tensor, Storage, numel } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { launchMap, contiguousStrides, UNARY, fillInto } from './elementwise.ts';

/** Same storage, another shape. One dimension may be −1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const rest = s.reduce((p, d, i) => (i === free ? p : p * d), 1);
    s[free] = rest === 0 ? 0 : x.size / rest;
  }
  if (numel(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new BiudError(`reshape: [${x.shape.join(', ')}] (${x.size} elements) cannot become [${shape.join(', ')}]`);
  }
  const y = new Tensor(x.engine, s, x.dtype, x.storage as Storage);
  return record('reshape', [x], y, (gy) => [reshape(gy, x.shape)]);
}

/** Reorder axes: y.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new BiudError(`permute: [${perm}] is not a permutation of the ${x.rank} axes of [${x.shape}]`);
  }
  if (x.dtype !== 'float32') throw new BiudError(`permute: needs float32, got ${x}`);
  const shape = perm.map((p) => x.shape[p]);
  const xs = contiguousStrides(x.shape);
  const y = x.engine.empty(shape);
  launchMap(UNARY.copy, shape, { tensor: x, strides: perm.map((p) => xs[p]) }, { tensor: y, strides: contiguousStrides(shape) });
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return record('permute', [x], y, (gy) => [permute(gy, inverse)]);
}

/** Swap two axes (a copy). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  const i = a < 0 ? a + r : a;
  const j = b < 0 ? b + r : b;
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

/** x[..., start:end, ...] along one axis (a copy). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank || start < 0 || end > x.shape[a] || start > end) {
    throw new BiudError(`slice: [${start}, ${end}) along axis ${axis} is outside [${x.shape}]`);
  }
  const shape = x.shape.map((d, i) => (i === a ? end - start : d));
  const xs = contiguousStrides(x.shape);
  const y = x.engine.empty(shape);
  launchMap(UNARY.copy, shape, { tensor: x, offset: start * xs[a], strides: xs }, { tensor: y, strides: contiguousStrides(shape) });
  return record('slice', [x], y, (gy) => {
    // The gradient is gy placed into zeros of x's shape.
    const g = x.engine.empty(x.shape);
    fillInto(g, 0);
    launchMap(UNARY.copy, shape, { tensor: gy, strides: contiguousStrides(shape) }, { tensor: g, offset: start * xs[a], strides: xs });
    return [g];
  });
}

/** Join tensors along an axis. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new BiudError('concat: no tensors');
  const r = xs[0].rank;
  const a = axis < 0 ? axis + r : axis;
  for (const t of xs) {
    if (t.rank !== r || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new BiudError(`concat: shapes ${xs.map((t) => `[${t.shape}]`).join(', ')} differ outside axis ${axis}`);
    }
  }
  const shape = xs[0].shape.map((d, i) => (i === a ? xs.reduce((s, t) => s + t.shape[a], 0) : d));
  const ys = contiguousStrides(shape);
  const y = xs[0].engine.empty(shape);
  let start = 0;
  const starts: number[] = [];
  for (const t of xs) {
    starts.push(start);
    launchMap(UNARY.copy, t.shape, { tensor: t, strides: contiguousStrides(t.shape) }, { tensor: y, offset: start * ys[a], strides: ys });
    start += t.shape[a];
  }
  return record('concat', xs, y, (gy) => xs.map((t, k) => (t.requiresGrad ? slice(gy, a, starts[k], starts[k] + t.shape[a]) : null)));
}
