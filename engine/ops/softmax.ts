// Softmax and log-softmax along an axis: shaders/softmax.wgsl. The kernels walk the axis with a
// stride, so a non-last axis needs no transpose.
//
//   softmax:      y = e^(x−m)/Σe^(x−m),     dx = y·(g − Σ g·y)
//   log-softmax:  y = x − m − log Σe^(x−m), dx = g − softmax(x)·Σ g = g − e^y·Σ g
import src from '../../shaders/softmax.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';

const K = {
  forward: new Kernel('softmax.forward', src, 'forward'),
  backward: new Kernel('softmax.backward', src, 'backward'),
};
const WG = 64;

function layout(op: string, x: Tensor, axis: number): { outer: number; r: number; inner: number } {
  if (x.dtype !== 'float32') throw new BiudError(`${op}: needs a float32 tensor, got ${x}`);
  if (!Number.isInteger(axis)) throw new BiudError(`${op}: axis must be an integer, got ${axis}`);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new BiudError(`${op}: axis ${axis} is out of range for x of shape [${x.shape}]`);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  return { outer, r: x.shape[a], inner };
}

function softmaxOp(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  const uniforms = layout(op, x, axis);
  const e = x.engine;
  const constants = { LOG: op === 'logSoftmax' ? 1 : 0 };
  const workgroups = e.grid1d(uniforms.outer * uniforms.inner, WG);
  const y = e.empty(x.shape);
  if (uniforms.r > 0) e.dispatch(K.forward, { bindings: { x, y }, uniforms, workgroups, constants });
  return record(op, [x], y, (g) => {
    const dx = e.empty(x.shape);
    if (uniforms.r > 0) e.dispatch(K.backward, { bindings: { x: y, g, y: dx }, uniforms, workgroups, constants });
    return [dx];
  });
}

/** e^x / Σ e^x along `axis`, computed as e^(x − max) for stability. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('softmax', x, axis);
}

/** x − log Σ e^x along `axis` (the log-sum-exp taken about the maximum). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('logSoftmax', x, axis);
}

// ------------------------------------------------------------------ CPU references (double)

/** Softmax or log-softmax along `axis` of a row-major array, with the backward for `g`. */
export function softmaxRef(x: ArrayLike<number>, shape: readonly number[], axis = -1, log = false, g?: ArrayLike<number>): { y: Float64Array; dx: Float64Array } {
  const a = axis < 0 ? axis + shape.length : axis;
  const outer = shape.slice(0, a).reduce((p, d) => p * d, 1);
  const r = shape[a];
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * r + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < r; k++) m = Math.max(m, x[at(k)]);
      let s = 0;
      for (let k = 0; k < r; k++) s += Math.exp(x[at(k)] - m);
      for (let k = 0; k < r; k++) y[at(k)] = log ? x[at(k)] - m - Math.log(s) : Math.exp(x[at(k)] - m) / s;
      if (!g) continue;
      let sg = 0;
      for (let k = 0; k < r; k++) sg += log ? g[at(k)] : g[at(k)] * y[at(k)];
      for (let k = 0; k < r; k++) dx[at(k)] = log ? g[at(k)] - Math.exp(y[at(k)]) * sg : y[at(k)] * (g[at(k)] - sg);
    }
  }
  return { y, dx };
}
