// avg / max pool3d, forward and backward: shaders/pool.wgsl.
//
//   avg (count_include_pad=True):  y[o] = Σ_window x / |k|          dx[i] = Σ_{windows ∋ i} gy[o] / |k|
//   max:                           y[o] = max_window x, arg[o] its first cell   dx[i] = Σ_{o: arg[o] = i} gy[o]
//   cell statistics (no gradient):  mean, max, min, √max(E[x²] − mean², 0) of each window, one pass
import src from '../../shaders/pool.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { WG } from './elementwise.ts';

const K = {
  avg: new Kernel('pool.avg_forward', src, 'avg_forward'),
  max: new Kernel('pool.max_forward', src, 'max_forward'),
  backward: new Kernel('pool.backward', src, 'backward'),
  cellStats: new Kernel('pool.cell_stats', src, 'cell_stats'),
  cellStats4: new Kernel('pool.cell_stats4', src, 'cell_stats4'),
};

export interface PoolOptions {
  kernel: number | readonly number[];
  /** Defaults to the kernel (PyTorch). */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
}

type V3 = [number, number, number];

export interface PoolGeometry {
  /** N·C volumes pooled independently. */
  NC: number;
  N: number;
  C: number;
  input: V3;
  kernel: V3;
  stride: V3;
  padding: V3;
  output: V3;
}

const AXES = ['D', 'H', 'W'];
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function v3(v: number | readonly number[], what: string, op: string, min: number): V3 {
  const list = typeof v === 'number' ? [v, v, v] : [...v];
  if (list.length !== 3) throw new BiudError(`${op}: ${what} needs one value or three ([d, h, w]), got ${fmt(list)}`);
  for (const s of list) {
    if (!Number.isInteger(s) || s < min) throw new BiudError(`${op}: ${what} must be ${min === 0 ? 'non-negative' : 'positive'} integers, got ${fmt(list)}`);
  }
  return list as V3;
}

/** Check the input and attributes as PyTorch does; output ⌊(in + 2p − k)/s⌋ + 1 per axis. */
export function poolGeometry(op: string, xShape: readonly number[], opts: PoolOptions): PoolGeometry {
  if (xShape.length !== 5) throw new BiudError(`${op}: x must be [N, C, D, H, W] (rank 5), got ${fmt(xShape)}`);
  if (opts.kernel === undefined) throw new BiudError(`${op}: a kernel size is required`);
  const kernel = v3(opts.kernel, 'kernel', op, 1);
  const stride = opts.stride === undefined ? kernel : v3(opts.stride, 'stride', op, 1);
  const padding = v3(opts.padding ?? 0, 'padding', op, 0);
  const input = xShape.slice(2) as V3;
  const output = [0, 1, 2].map((a) => {
    if (2 * padding[a] > kernel[a]) {
      throw new BiudError(`${op}: padding ${padding[a]} along ${AXES[a]} is more than half the kernel (${kernel[a]}); PyTorch refuses it too`);
    }
    const padded = input[a] + 2 * padding[a];
    if (kernel[a] > padded) {
      throw new BiudError(`${op}: the kernel (${kernel[a]} along ${AXES[a]}) is larger than the padded input (${input[a]} + 2·${padding[a]} = ${padded}); x ${fmt(xShape)}`);
    }
    return Math.floor((padded - kernel[a]) / stride[a]) + 1;
  }) as V3;
  const [N, C] = xShape;
  return { NC: N * C, N, C, input, kernel, stride, padding, output };
}

function uniforms(g: PoolGeometry, n: number): Record<string, number> {
  const [D, H, W] = g.input;
  const [OD, OH, OW] = g.output;
  const [KD, KH, KW] = g.kernel;
  const [SD, SH, SW] = g.stride;
  const [PD, PH, PW] = g.padding;
  return { NC: g.NC, D, H, W, OD, OH, OW, n, KD, KH, KW, C: g.C, SD, SH, SW, PD, PH, PW, _p1: 0, _p2: 0 };
}

function check(op: string, x: Tensor): void {
  if (x.dtype !== 'float32') throw new BiudError(`${op}: needs a float32 tensor, got ${x}`);
}

/** dx of either pool: one thread per input cell gathers from the windows that hold it. */
function launchBackward(gy: Tensor, arg: Tensor | null, g: PoolGeometry): Tensor {
  const e = gy.engine;
  const dx = e.empty([g.N, g.C, ...g.input]);
  e.dispatch(K.backward, {
    bindings: { gy, arg_in: arg ?? gy, y: dx },
    uniforms: uniforms(g, dx.size),
    workgroups: e.grid1d(dx.size, WG),
    constants: { MAX: arg ? 1 : 0 },
  });
  return dx;
}

/** x [N, C, D, H, W] → [N, C, D', H', W'] (F.avg_pool3d, count_include_pad=True). */
export function avgPool3d(x: Tensor, opts: PoolOptions): Tensor {
  check('avgPool3d', x);
  const g = poolGeometry('avgPool3d', x.shape, opts);
  const e = x.engine;
  const y = e.empty([g.N, g.C, ...g.output]);
  e.dispatch(K.avg, { bindings: { x, y }, uniforms: uniforms(g, y.size), workgroups: e.grid1d(y.size, WG) });
  return record('avgPool3d', [x], y, (gy) => [launchBackward(gy, null, g)]);
}

/** x [N, C, D, H, W] → [N, C, D', H', W'] (F.max_pool3d). */
export function maxPool3d(x: Tensor, opts: PoolOptions): Tensor {
  check('maxPool3d', x);
  const g = poolGeometry('maxPool3d', x.shape, opts);
  const e = x.engine;
  const y = e.empty([g.N, g.C, ...g.output]);
  // arg: the winning cell's index inside its (n, c) volume, kept for backward.
  const arg = e.empty(y.shape, 'int32');
  e.dispatch(K.max, { bindings: { x, y, arg }, uniforms: uniforms(g, y.size), workgroups: e.grid1d(y.size, WG) });
  const out = record('maxPool3d', [x], y, (gy) => {
    const dx = launchBackward(gy, arg, g);
    arg.dispose();
    return [dx];
  });
  if (!out.requiresGrad) arg.dispose();
  return out;
}

/** The statistics cellStats3d gives per cell, in its channel order. */
export const CELL_STAT_NAMES = ['mean', 'max', 'min', 'spread'] as const;

/**
 * x [N, C, D, H, W] → [N, 4·C, D/c, H/c, W/c] (whole cells only, as pooling): per cell of `cell`
 * voxels its mean, maximum, minimum and spread (standard deviation, √max(E[x²] − E[x]², 0)); the
 * statistic s of channel c is channel s·C + c (PyTorch: torch.cat of the four pools on dim 1).
 * No gradient: these are features of data (the CT encoder's input), and a tensor that needs one is
 * refused rather than silently cut off.
 */
export function cellStats3d(x: Tensor, cell: number | readonly number[]): Tensor {
  check('cellStats3d', x);
  if (x.requiresGrad && x.engine.gradEnabled) throw new BiudError(`cellStats3d: ${x} requires a gradient, and cell statistics have none (they are features of data); detach it or run under noGrad`);
  const g = poolGeometry('cellStats3d', x.shape, { kernel: cell });
  const e = x.engine;
  const y = e.empty([g.N, CELL_STAT_NAMES.length * g.C, ...g.output]);
  const cells = g.NC * prod(g.output);
  if (cells === 0) return y;
  // cell_stats4 reads a vec4 at a time where each cell's rows are whole, aligned vec4s.
  const v4 = g.kernel[2] % 4 === 0 && g.stride[2] % 4 === 0 && g.input[2] % 4 === 0 && g.padding.every((p) => p === 0);
  e.dispatch(v4 ? K.cellStats4 : K.cellStats, { bindings: v4 ? { x4: x, y } : { x, y }, uniforms: uniforms(g, cells), workgroups: e.grid1d(cells, WG) });
  return y;
}

// ------------------------------------------------------------------ CPU references

/** Visit each output cell's window: f(outIndex, volumeBase, cells inside the input, in row-major order). */
function eachWindow(g: PoolGeometry, f: (o: number, cells: number[]) => void): void {
  const [D, H, W] = g.input;
  const [OD, OH, OW] = g.output;
  let o = 0;
  for (let nc = 0; nc < g.NC; nc++) {
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const cells: number[] = [];
          for (let kd = 0; kd < g.kernel[0]; kd++) {
            const d = od * g.stride[0] - g.padding[0] + kd;
            if (d < 0 || d >= D) continue;
            for (let kh = 0; kh < g.kernel[1]; kh++) {
              const h = oh * g.stride[1] - g.padding[1] + kh;
              if (h < 0 || h >= H) continue;
              for (let kw = 0; kw < g.kernel[2]; kw++) {
                const w = ow * g.stride[2] - g.padding[2] + kw;
                if (w < 0 || w >= W) continue;
                cells.push(((nc * D + d) * H + h) * W + w);
              }
            }
          }
          f(o++, cells);
        }
      }
    }
  }
}

const prod = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);

/** Reference F.avg_pool3d (count_include_pad=True) and its gradient for `gy`. */
export function avgPool3dRef(x: ArrayLike<number>, xShape: readonly number[], opts: PoolOptions, gy?: ArrayLike<number>): { data: Float32Array; shape: number[]; dx: Float32Array | null } {
  const g = poolGeometry('avgPool3d', xShape, opts);
  const kv = prod(g.kernel);
  const y = new Float32Array(g.NC * prod(g.output));
  const dx = gy ? new Float64Array(prod(xShape)) : null;
  eachWindow(g, (o, cells) => {
    let acc = 0;
    for (const c of cells) acc += x[c];
    y[o] = acc / kv;
    if (dx && gy) for (const c of cells) dx[c] += gy[o] / kv;
  });
  return { data: y, shape: [g.N, g.C, ...g.output], dx: dx && Float32Array.from(dx) };
}

/** Reference F.max_pool3d (first maximum in row-major order wins) and its gradient for `gy`. */
export function maxPool3dRef(x: ArrayLike<number>, xShape: readonly number[], opts: PoolOptions, gy?: ArrayLike<number>): { data: Float32Array; shape: number[]; dx: Float32Array | null } {
  const g = poolGeometry('maxPool3d', xShape, opts);
  const y = new Float32Array(g.NC * prod(g.output));
  const dx = gy ? new Float64Array(prod(xShape)) : null;
  eachWindow(g, (o, cells) => {
    let at = cells[0];
    for (const c of cells) if (x[c] > x[at] || Number.isNaN(x[c])) at = c;
    y[o] = x[at];
    if (dx && gy) dx[at] += gy[o];
  });
  return { data: y, shape: [g.N, g.C, ...g.output], dx: dx && Float32Array.from(dx) };
}

/** Reference of cellStats3d: x [N, C, D, H, W] flat → [N, 4·C, D/c, H/c, W/c] flat. */
export function cellStats3dRef(x: ArrayLike<number>, xShape: readonly number[], cell: number | readonly number[]): Float32Array {
  const g = poolGeometry('cellStats3d', xShape, { kernel: cell });
  const G = prod(g.output), kv = prod(g.kernel);
  const out = new Float32Array(g.NC * CELL_STAT_NAMES.length * G);
  eachWindow(g, (o, cells) => {
    let s = 0, s2 = 0, mx = x[cells[0]], mn = x[cells[0]];
    for (const c of cells) {
      const v = x[c];
      s += v; s2 += v * v;
      if (v > mx || Number.isNaN(v)) mx = v;
      if (v < mn || Number.isNaN(v)) mn = v;
    }
    const m = s / kv;
    const nc = Math.floor(o / G), n = Math.floor(nc / g.C), ch = nc % g.C;
    const at = (n * CELL_STAT_NAMES.length * g.C + ch) * G + (o % G);
    out[at] = m;
    out[at + g.C * G] = mx;
    out[at + 2 * g.C * G] = mn;
    out[at + 3 * g.C * G] = Math.sqrt(Math.max(0, s2 / kv - m * m));
  });
  return out;
}
