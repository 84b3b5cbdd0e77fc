// Cross-entropy fused with log-softmax, with an ignore index (masked LM): shaders/cross-entropy.wgsl.
//
//   loss = (1/count) Σ_{i: label_i ≠ ignore} (log Σ_v e^(x_iv) − x_i,label_i)
//   dx_i = g·(softmax(x_i) − onehot(label_i))/count, and 0 for ignored rows; count = 0 gives loss 0.
//
// Forward: one read of each row (online log-sum-exp), 2 dispatches (3 when few rows are split
// over lanes); backward: 1. Rows of vec4 when V % 4 = 0, else vec2 or f32 variants of the shader.
// Nothing is read back: labels outside [0, V) cannot be checked on the host, so the kernel makes
// their loss NaN (visible at the next read) and never indexes with them.
import src from '../../shaders/cross-entropy.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { scalarVariant } from './norm.ts';

/** The vec2 width block, for rows of even length (BERT's vocabulary of 30522, say). */
const VEC2_WIDTH = `
alias vec = vec2f;
const W = 2u;
fn hsum(v: vec) -> f32 { return v.x + v.y; }
fn hmax(v: vec) -> f32 { return max(v.x, v.y); }
fn onehot(c: u32, l: u32) -> vec { return select(vec(0.0), vec(1.0), vec2u(W * c) + vec2u(0u, 1u) == vec2u(l)); }
fn logit(i: u32) -> f32 { return x[i / W][i % W]; }
`;

/** The f32 width block, for rows of odd length. */
const SCALAR_WIDTH = `
alias vec = f32;
const W = 1u;
fn hsum(v: vec) -> f32 { return v; }
fn hmax(v: vec) -> f32 { return v; }
fn onehot(c: u32, l: u32) -> vec { return select(0.0, 1.0, c == l); }
fn logit(i: u32) -> f32 { return x[i]; }
`;

function kernels(width: string, source: string) {
  const k = (entry: string) => new Kernel(`cross-entropy.${entry}.${width}`, source, entry);
  return { partial: k('partial'), merge: k('merge'), rows: k('rows'), finish: k('finish'), backward: k('backward') };
}
const VEC4 = kernels('vec4', src);
const VEC2 = kernels('vec2', scalarVariant(src, VEC2_WIDTH));
const SCALAR = kernels('f32', scalarVariant(src, SCALAR_WIDTH));
const WG = 64;
/** Floats per thread in the backward (the shader's PER counts vecs). */
const PER_FLOATS = 16;
/** Rows are split over lanes until this many threads share the forward... */
const TARGET_THREADS = 4096;
/** ...with at least this many vecs per lane. */
const MIN_PER_LANE = 64;

/** Threads per row for the forward, for rows of `vecs` loads: 1 when there are rows enough to fill the adapter. */
export function crossEntropyLanes(n: number, vecs: number): number {
  return Math.max(1, Math.min(Math.ceil(TARGET_THREADS / Math.max(n, 1)), Math.floor(vecs / MIN_PER_LANE), 256));
}

/** Mean over rows whose label ≠ ignoreIndex of −log softmax(logits)[label]; logits [n, V], labels int32 [n]. */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  if (logits.dtype !== 'float32' || logits.rank !== 2) throw new BiudError(`crossEntropy: logits must be float32 [n, V], got ${logits}`);
  if (labels.dtype !== 'int32') throw new BiudError(`crossEntropy: labels must be int32 (class indices), got ${labels}`);
  const [n, V] = logits.shape;
  if (labels.rank !== 1 || labels.shape[0] !== n) {
    throw new BiudError(`crossEntropy: labels have shape [${labels.shape}], logits [${logits.shape}]: expected labels [${n}], one per row`);
  }
  if (V === 0) throw new BiudError(`crossEntropy: logits [${logits.shape}] have no classes`);
  if (!Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) > 2 ** 31 - 1) throw new BiudError(`crossEntropy: ignoreIndex must be an int32, got ${ignoreIndex}`);
  const e = logits.engine;
  // The widest vector that tiles a row.
  const W = V % 4 === 0 ? 4 : V % 2 === 0 ? 2 : 1;
  const K = W === 4 ? VEC4 : W === 2 ? VEC2 : SCALAR;
  const lanes = crossEntropyLanes(n, V / W);
  const uniforms = { n, V, ignore: ignoreIndex, lanes, nan_bits: 0x7fc00000 };
  const loss = e.empty([]);
  const stats = e.empty([2 * n + 1]); // lse per row, loss per row, 1/count
  if (n === 0) {
    e.clear(loss);
    e.clear(stats);
  } else if (lanes > 1) {
    const part = e.empty([n, lanes, 2]);
    e.dispatch(K.partial, { bindings: { x: logits, part_out: part }, uniforms, workgroups: e.grid1d(n * lanes, WG) });
    e.dispatch(K.merge, { bindings: { x: logits, labels, part, stats_out: stats }, uniforms, workgroups: e.grid1d(n, WG) });
    part.dispose();
  } else {
    e.dispatch(K.rows, { bindings: { x: logits, labels, stats_out: stats }, uniforms, workgroups: e.grid1d(n, WG) });
  }
  if (n > 0) e.dispatch(K.finish, { bindings: { labels, stats_out: stats, loss }, uniforms, workgroups: [1] });
  return record('crossEntropy', [logits, labels], loss, (gy) => {
    const dx = e.empty(logits.shape);
    const maxRows = e.limits.maxComputeWorkgroupsPerDimension;
    const workgroups = [Math.ceil(V / (WG * PER_FLOATS)), Math.min(n, maxRows), Math.ceil(n / maxRows)];
    e.dispatch(K.backward, { bindings: { x: logits, labels, stats, gy, dx }, uniforms, workgroups, constants: { PER: PER_FLOATS / W } });
    return [dx, null];
  }, [stats]);
}

// ------------------------------------------------------------------ CPU reference (double)

/** Loss and d loss/d logits (for upstream gradient `g`) over row-major logits [n, V]. */
export function crossEntropyRef(logits: ArrayLike<number>, labels: ArrayLike<number>, V: number, ignoreIndex = -100, g = 1): { loss: number; dx: Float64Array } {
  const n = labels.length;
  const dx = new Float64Array(n * V);
  let total = 0;
  let count = 0;
  const lses: number[] = [];
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[i * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[i * V + v] - m);
    lses.push(m + Math.log(s));
    const l = labels[i];
    if (l === ignoreIndex) continue;
    count++;
    total += l >= 0 && l < V ? lses[i] - logits[i * V + l] : NaN;
  }
  const loss = count ? total / count : 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === ignoreIndex || !(l >= 0 && l < V)) continue;
    for (let v = 0; v < V; v++) dx[i * V + v] = ((Math.exp(logits[i * V + v] - lses[i]) - (v === l ? 1 : 0)) * g) / count;
  }
  return { loss, dx };
}
