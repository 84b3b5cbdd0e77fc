// Reductions along axes (sum, mean, max, sum of squares): shaders/reduce.wgsl.
import src from '../../shaders/reduce.wgsl';
import { Kernel } from '../kernel.ts';
import { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { expand, mul, equal, div, scale, WG } from './elementwise.ts';

const kernel = new Kernel('reduce', src, 'reduce');
const OP = { sum: 0, max: 1, sumsq: 2 } as const;

/** Below this many outputs, a long axis is reduced in two passes so more threads share it. */
const FEW_OUTPUTS = 256;
const LONG_AXIS = 2048;

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new BiudError(`axis ${axis} is out of range for a rank-${rank} tensor`);
  return a;
}

/** Reduce one axis of x (kept as size 1 in the output shape). */
function reduceAxis(x: Tensor, axis: number, op: keyof typeof OP, scale: number): Tensor {
  if (x.dtype !== 'float32') throw new BiudError(`reduce: needs a float32 tensor, got ${x}`);
  const e = x.engine;
  const a = normAxis(axis, x.rank);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const r = x.shape[a];
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outShape = x.shape.map((d, i) => (i === a ? 1 : d));
  if (r === 0) throw new BiudError(`reduce: axis ${axis} of [${x.shape}] is empty`);
  const y = e.empty(outShape);
  const launch = (src: Tensor, dst: Tensor, rr: number, chunks: number, chunk: number, o: number, s: number) =>
    e.dispatch(kernel, {
      bindings: { x: src, y: dst },
      uniforms: { outer, r: rr, inner, chunks, chunk, scale: s },
      workgroups: e.grid1d(outer * chunks * inner, WG),
      constants: { OP: o },
    });
  if (outer * inner < FEW_OUTPUTS && r > LONG_AXIS) {
    const chunks = Math.min(Math.ceil(r / 256), 1024);
    const chunk = Math.ceil(r / chunks);
    const partial = e.empty([outer, chunks, inner]);
    launch(x, partial, r, chunks, chunk, OP[op], 1);
    launch(partial, y, chunks, 1, chunks, op === 'max' ? OP.max : OP.sum, scale);
    partial.dispose();
  } else {
    launch(x, y, r, 1, r, OP[op], scale);
  }
  return y;
}

function axesOf(x: Tensor, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  return [...new Set((typeof axes === 'number' ? [axes] : axes).map((a) => normAxis(a, x.rank)))].sort((a, b) => a - b);
}

function squeeze(shape: readonly number[], axes: number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

function reduceAxes(x: Tensor, axes: number[], op: keyof typeof OP, scale: number): Tensor {
  let cur = x;
  for (const [k, a] of axes.entries()) {
    const next = reduceAxis(cur, a, k === 0 ? op : op === 'max' ? 'max' : 'sum', k === axes.length - 1 ? scale : 1);
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur;
}

function finish(y: Tensor, x: Tensor, axes: number[], keepDims: boolean): Tensor {
  return keepDims ? y : y.reshape(squeeze(x.shape, axes));
}

/** Σ over `axes` (all by default). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(x, axes);
  const kept = x.engine.noGrad(() => reduceAxes(x, ax, 'sum', 1));
  const y = record('sum', [x], kept, (gy) => [expand(gy, x.shape)]);
  return finish(y, x, ax, keepDims);
}

/** Mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(x, axes);
  const count = ax.reduce((p, a) => p * x.shape[a], 1);
  const kept = x.engine.noGrad(() => reduceAxes(x, ax, 'sum', 1 / count));
  const y = record('mean', [x], kept, (gy) => {
    const g = expand(gy, x.shape);
    const r = scale(g, 1 / count);
    g.dispose();
    return [r];
  });
  return finish(y, x, ax, keepDims);
}

/** Max over `axes`; the gradient is shared equally among tied maxima. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(x, axes);
  const kept = x.engine.noGrad(() => reduceAxes(x, ax, 'max', 1));
  const y = record('max', [x], kept, (gy) => {
    const m = equal(x, kept);
    const ties = reduceAxes(m, ax, 'sum', 1);
    const share = div(gy, ties);
    const g = mul(m, share);
    for (const t of [m, ties, share]) t.dispose();
    return [g];
  });
  return finish(y, x, ax, keepDims);
}

/** Σ x² over everything: a scalar (no gradient; for norms). */
export function sumOfSquares(x: Tensor): Tensor {
  const flat = x.reshape([x.size]);
  const y = x.engine.noGrad(() => reduceAxis(flat, 0, 'sumsq', 1));
  flat.dispose();
  return y;
}

/**
 * Sum a tensor down to `shape` by NumPy broadcasting rules: the inverse of expanding `shape`
 * to `g.shape` (the backward of every broadcasting op).
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.rank - shape.length;
  if (lead < 0) throw new BiudError(`sumToShape: [${g.shape}] has fewer dimensions than [${shape}]`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) throw new BiudError(`sumToShape: [${g.shape}] does not broadcast from [${shape}]`);
  }
  if (axes.length === 0) return g.reshape(shape);
  const y = sum(g, axes, true);
  const r = y.reshape(shape);
  y.dispose();
  return r;
}

// ------------------------------------------------------------------ CPU references

/** Reference reduction over one axis, kept as size 1. */
export function reduceRef(x: ArrayLike<number>, shape: readonly number[], axis: number, op: 'sum' | 'mean' | 'max'): Float32Array {
  const a = normAxis(axis, shape.length);
  const outer = shape.slice(0, a).reduce((p, d) => p * d, 1);
  const r = shape[a];
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === 'max' ? -Infinity : 0;
      for (let k = 0; k < r; k++) {
        const v = x[(o * r + k) * inner + i];
        acc = op === 'max' ? Math.max(acc, v) : acc + v;
      }
      out[o * inner + i] = op === 'mean' ? acc / r : acc;
    }
  }
  return out;
}
