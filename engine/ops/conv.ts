// conv3d / conv2d (any kernel, stride, padding), forward and both backward passes: shaders/conv.wgsl.
//
//   y  = conv(x, w) + b                    y[n,co,o]   = b[co] + Σ_{ci,k} x[n,ci,o·s−p+k]·w[co,ci,k]
//   dx = transposed conv of gy with w       dx[n,ci,i]  = Σ_{co,k: o=(i+p−k)/s whole, in range} gy[n,co,o]·w[co,ci,k]
//   dw = correlation of gy with x           dw[co,ci,k] = Σ_{n,o} gy[n,co,o]·x[n,ci,o·s−p+k]
//   db = Σ_{n,o} gy[n,co,o]
//
// Two paths. Patches (kernel = stride, no padding: the ViT patch embedding) are a permutation of
// x (im2col of non-overlapping patches, a strided copy) followed by a matmul, and so are both
// gradients. Everything else runs the direct kernels, register-blocked over channels.
import src from '../../shaders/conv.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { needsGrad, record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { WG, launchMap, UNARY, contiguousStrides } from './elementwise.ts';
import { launchMatmul } from './matmul.ts';
import { sum } from './reduce.ts';

const K = {
  packForward: new Kernel('conv.pack_forward', src, 'pack_forward'),
  packBackward: new Kernel('conv.pack_backward', src, 'pack_backward'),
  forward: new Kernel('conv.forward', src, 'forward'),
  backwardX: new Kernel('conv.backward_x', src, 'backward_x'),
  backwardW: new Kernel('conv.backward_w', src, 'backward_w'),
  addBias: new Kernel('conv.add_bias', src, 'add_bias'),
  patches: new Kernel('conv.patches', src, 'patches'),
  patches4: new Kernel('conv.patches4', src, 'patches4'),
};

/** Channels per thread in forward and dx (the packed weights are padded to a multiple). */
const CB = 16;
/** Output positions (forward) or input positions (dx) per thread along W. */
const PB = 8;
/** Output × input channels per backward_w thread (8 × 8). */
const DW_CB = 8;
/** backward_w splits its reduction until about this many threads run. */
const DW_THREADS = 4096;

export interface ConvOptions {
  /** One value for every spatial axis, or one per axis ([d, h, w] / [h, w]). */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  /**
   * 'auto' (default): patches (kernel = stride, no padding) take the im2col + matmul path, the
   * rest the direct kernels. 'direct' forces the direct kernels (tests, benchmarks).
   */
  path?: 'auto' | 'direct';
}

type V3 = [number, number, number];

/** Everything about one convolution's shapes: batch, channels, and per-axis [d, h, w] sizes. */
export interface ConvGeometry {
  N: number;
  Cin: number;
  Cout: number;
  input: V3;
  kernel: V3;
  stride: V3;
  padding: V3;
  output: V3;
}

const AXES = ['D', 'H', 'W'];
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function perAxis(v: number | readonly number[] | undefined, dflt: number, what: string, op: string, rank: number): number[] {
  const list = v === undefined ? new Array<number>(rank).fill(dflt) : typeof v === 'number' ? new Array<number>(rank).fill(v) : [...v];
  if (list.length !== rank) throw new BiudError(`${op}: ${what} needs one value or ${rank} (one per spatial axis), got ${fmt(list)}`);
  const min = what === 'padding' ? 0 : 1;
  for (const s of list) {
    if (!Number.isInteger(s) || s < min) throw new BiudError(`${op}: ${what} must be ${min === 0 ? 'non-negative' : 'positive'} integers, got ${fmt(list)}`);
  }
  return list;
}

/**
 * Check shapes and attributes the way PyTorch does and work out the output size,
 * ⌊(in + 2p − k)/s⌋ + 1 per axis. `spatial` is 3 for conv3d, 2 for conv2d (depth 1).
 */
export function convGeometry(op: string, xShape: readonly number[], wShape: readonly number[], bShape: readonly number[] | null, opts: ConvOptions = {}, spatial = 3): ConvGeometry {
  const rank = spatial + 2;
  const layout = spatial === 3 ? '[N, Cin, D, H, W]' : '[N, Cin, H, W]';
  const wLayout = spatial === 3 ? '[Cout, Cin, kD, kH, kW]' : '[Cout, Cin, kH, kW]';
  if (xShape.length !== rank) throw new BiudError(`${op}: x must be ${layout} (rank ${rank}), got ${fmt(xShape)}`);
  if (wShape.length !== rank) throw new BiudError(`${op}: w must be ${wLayout} (rank ${rank}), got ${fmt(wShape)}`);
  const [N, Cin] = xShape;
  const [Cout, wCin] = wShape;
  if (wCin !== Cin) throw new BiudError(`${op}: x ${fmt(xShape)} has ${Cin} input channels but w ${fmt(wShape)} expects ${wCin} (w is ${wLayout})`);
  if (Cin === 0 || Cout === 0) throw new BiudError(`${op}: x ${fmt(xShape)} and w ${fmt(wShape)} need at least one input and one output channel`);
  if (bShape && (bShape.length !== 1 || bShape[0] !== Cout)) throw new BiudError(`${op}: b must be [${Cout}] (one per output channel of w ${fmt(wShape)}), got ${fmt(bShape)}`);
  const stride = perAxis(opts.stride, 1, 'stride', op, spatial);
  const padding = perAxis(opts.padding, 0, 'padding', op, spatial);
  const lift = (v: readonly number[], fill: number): V3 => (spatial === 3 ? [v[0], v[1], v[2]] : [fill, v[0], v[1]]);
  const input = lift(xShape.slice(2), 1);
  const kernel = lift(wShape.slice(2), 1);
  const s3 = lift(stride, 1);
  const p3 = lift(padding, 0);
  const output = [0, 1, 2].map((a) => {
    const padded = input[a] + 2 * p3[a];
    if (kernel[a] < 1) throw new BiudError(`${op}: w ${fmt(wShape)} has an empty kernel`);
    if (kernel[a] > padded) {
      const axis = AXES[a];
      throw new BiudError(`${op}: the kernel (${kernel[a]} along ${axis}) is larger than the padded input (${input[a]} + 2·${p3[a]} = ${padded}); x ${fmt(xShape)}, w ${fmt(wShape)}`);
    }
    return Math.floor((padded - kernel[a]) / s3[a]) + 1;
  }) as V3;
  return { N, Cin, Cout, input, kernel, stride: s3, padding: p3, output };
}

/** Kernel = stride and no padding: non-overlapping patches, a permutation and a matmul. */
export function isPatchConv(g: ConvGeometry): boolean {
  return [0, 1, 2].every((a) => g.kernel[a] === g.stride[a] && g.padding[a] === 0);
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
const prod = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);

function uniforms(g: ConvGeometry, extra: Partial<Record<'blocks' | 'cpad' | 'has_bias' | 'chunks' | 'chunk_rows', number>>): Record<string, number> {
  const [D, H, W] = g.input;
  const [OD, OH, OW] = g.output;
  const [KD, KH, KW] = g.kernel;
  const [SD, SH, SW] = g.stride;
  const [PD, PH, PW] = g.padding;
  return {
    N: g.N, Cin: g.Cin, Cout: g.Cout, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, PD, PH, PW,
    blocks: 0, cpad: 0, has_bias: 0, chunks: 1, chunk_rows: 0, _pad: 0, ...extra,
  };
}

function checkFloat(op: string, ts: (Tensor | null)[]): void {
  for (const t of ts) if (t && t.dtype !== 'float32') throw new BiudError(`${op}: needs float32 tensors, got ${t}`);
}

// ------------------------------------------------------------------ direct kernels

/** Pack w into [rows][cpad] (forward: rows = Cin·kvol over output channels; backward: Cout·kvol over input channels). */
function packWeights(w: Tensor, g: ConvGeometry, forward: boolean): Tensor {
  const e = w.engine;
  const kvol = prod(g.kernel);
  const cpad = roundUp(forward ? g.Cout : g.Cin, CB);
  const rows = (forward ? g.Cin : g.Cout) * kvol;
  const packed = e.empty([rows, cpad]);
  e.dispatch(forward ? K.packForward : K.packBackward, {
    bindings: { w, out: packed },
    uniforms: uniforms(g, { blocks: rows * cpad, cpad }),
    workgroups: e.grid1d(rows * cpad, WG),
  });
  return packed;
}

function directForward(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, yShape: readonly number[]): Tensor {
  const e = x.engine;
  const y = e.empty(yShape);
  const wp = packWeights(w, g, true);
  const cpad = roundUp(g.Cout, CB);
  const [OD, OH, OW] = g.output;
  const blocks = g.N * (cpad / CB) * OD * OH * Math.ceil(OW / PB);
  e.dispatch(K.forward, {
    bindings: { x, wv: wp, bias: b ?? w, out: y },
    uniforms: uniforms(g, { blocks, cpad, has_bias: b ? 1 : 0 }),
    workgroups: e.grid1d(blocks, WG),
  });
  wp.dispose();
  return y;
}

function directBackwardX(gy: Tensor, w: Tensor, g: ConvGeometry, xShape: readonly number[]): Tensor {
  const e = gy.engine;
  const dx = e.empty(xShape);
  const wq = packWeights(w, g, false);
  const cpad = roundUp(g.Cin, CB);
  const [D, H, W] = g.input;
  const sw = g.stride[2];
  const phases = Math.min(sw, W);
  const mBlocks = Math.ceil(Math.ceil(W / sw) / PB);
  const blocks = g.N * (cpad / CB) * D * H * phases * mBlocks;
  e.dispatch(K.backwardX, {
    bindings: { gy, wv: wq, out: dx },
    uniforms: uniforms(g, { blocks, cpad }),
    workgroups: e.grid1d(blocks, WG),
  });
  wq.dispose();
  return dx;
}

function directBackwardW(gy: Tensor, x: Tensor, g: ConvGeometry, wShape: readonly number[]): Tensor {
  const e = gy.engine;
  const kvol = prod(g.kernel);
  const perChunk = Math.ceil(g.Cout / DW_CB) * Math.ceil(g.Cin / DW_CB) * kvol;
  const rows = g.N * g.output[0] * g.output[1];
  if (rows === 0) return e.zeros(wShape);   // an empty batch
  let chunks = Math.max(1, Math.min(rows, Math.ceil(DW_THREADS / perChunk)));
  const chunkRows = Math.ceil(rows / chunks);
  chunks = Math.ceil(rows / chunkRows);
  const partial = e.empty(chunks > 1 ? [chunks, g.Cout * g.Cin * kvol] : wShape);
  e.dispatch(K.backwardW, {
    bindings: { x, gy, out: partial },
    uniforms: uniforms(g, { blocks: chunks * perChunk, chunks, chunk_rows: chunkRows }),
    workgroups: e.grid1d(chunks * perChunk, WG),
  });
  if (chunks === 1) return partial;
  const dw = e.scope(() => sum(partial, 0, true).reshape(wShape));
  partial.dispose();
  return dw;
}

// ------------------------------------------------------------------ patch path
//
// With Q = Cin·kvol values per patch and P patches per volume:
//   y[n]     [Cout, P] = W [Cout, Q] · colsT[n] [Q, P]            (lands in y's own layout)
//   dcols[n]    [P, Q] = gy[n]ᵀ [P, Cout] · W [Cout, Q]
//   dW       [Cout, Q] = gy as [Cout, N·P] · cols as [N·P, Q]      (gy permuted when N > 1)
//            or, for a small weight, Σ_n gy[n] [Cout, P] · colsT[n]ᵀ  (perSampleDw, colsT kept)
// (The matmul kernels read a transposed operand about as fast as a plain one, measured; this
// arrangement needs no copy of W and gives the bias-free y directly.)

/**
 * Whether `patches4` can move the patches a vec4 at a time: every run of 4 taps along W starts on
 * a vec4 of x and of cols (KW and W multiples of 4), and, into colsT, every 4 patches along W too
 * (OW a multiple of 4). It writes colsT only forward (dir 0): nothing writes colsT back.
 */
function patchesInVec4s(g: ConvGeometry, dir: 0 | 1, trans: boolean): boolean {
  const [, , W] = g.input;
  return g.kernel[2] % 4 === 0 && W % 4 === 0 && (!trans || (dir === 0 && g.output[2] % 4 === 0));
}

/** cols [N, P, Q] (or colsT [N, Q, P]) from x; or back into x (dir 1). */
function launchPatches(src: Tensor, out: Tensor, g: ConvGeometry, dir: 0 | 1, trans: boolean): void {
  const e = src.engine;
  const rows = g.N * prod(g.output) * g.Cin * g.kernel[0] * g.kernel[1];
  // patches4: a thread per run of 4 taps, or per block of 4 patches × 4 taps into colsT.
  const v4 = patchesInVec4s(g, dir, trans);
  const blocks = v4 ? (rows * g.kernel[2]) / (trans ? 16 : 4) : rows;
  e.dispatch(v4 ? K.patches4 : K.patches, {
    bindings: v4 ? { src4: src, out4: out } : { src, out },
    uniforms: uniforms(g, { blocks }),
    workgroups: e.grid1d(blocks, WG),
    constants: { DIR: dir, TRANS: trans ? 1 : 0 },
  });
}

/** Whether the patches cover x exactly (otherwise the cells past the last patch get no gradient). */
const tiles = (g: ConvGeometry) => [0, 1, 2].every((a) => g.output[a] * g.kernel[a] === g.input[a]);

function im2col(x: Tensor, g: ConvGeometry, trans: boolean): Tensor {
  const P = prod(g.output);
  const Q = g.Cin * prod(g.kernel);
  const cols = x.engine.empty(trans ? [g.N, Q, P] : [g.N, P, Q]);
  launchPatches(x, cols, g, 0, trans);
  return cols;
}

/**
 * Whether dW takes the per-sample path: dW = Σ_n gy[n] · colsT[n]ᵀ, a batched product of N small
 * outputs and a sum over n, reusing the forward pass's colsT. For a weight of few values (a
 * stem's [16, 64]) the single product [Cout, N·P]·[N·P, Q] has one or two output tiles and a K of
 * N·P (65,536 for a `tiny` batch), so it runs on one core of a software adapter, one lane group
 * after another down that K; split by sample it has N times the tiles and a K of P, and needs
 * neither the second im2col nor gy's permutation. Above this many weight values the single
 * product has tiles enough, and N copies of dW would cost more to sum than they save.
 */
const PER_SAMPLE_DW_MAX = 4096;
const perSampleDw = (g: ConvGeometry) => g.N > 1 && g.Cout * g.Cin * prod(g.kernel) <= PER_SAMPLE_DW_MAX;

/** y, and the forward's colsT when dW will want it (perSampleDw), else null. */
function patchForward(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, yShape: readonly number[], keepCols: boolean): { y: Tensor; colsT: Tensor | null } {
  const e = x.engine;
  const colsT = im2col(x, g, true);
  const w2 = w.reshape([g.Cout, g.Cin * prod(g.kernel)]);
  const y3 = launchMatmul(w2, colsT, false, false);
  if (!keepCols) colsT.dispose();
  w2.dispose();
  const y = y3.reshape(yShape);
  y3.dispose();
  if (b) {
    e.dispatch(K.addBias, {
      bindings: { bias: b, out: y },
      uniforms: uniforms(g, { blocks: y.size }),
      workgroups: e.grid1d(y.size, WG),
    });
  }
  return { y, colsT: keepCols ? colsT : null };
}

function patchBackwardX(gy: Tensor, w: Tensor, g: ConvGeometry, xShape: readonly number[]): Tensor {
  const e = gy.engine;
  const P = prod(g.output);
  const gy3 = gy.reshape([g.N, g.Cout, P]);
  const w2 = w.reshape([g.Cout, g.Cin * prod(g.kernel)]);
  const dcols = launchMatmul(gy3, w2, true, false);
  for (const t of [gy3, w2]) t.dispose();
  const dx = tiles(g) ? e.empty(xShape) : e.zeros(xShape);
  launchPatches(dcols, dx, g, 1, false);
  dcols.dispose();
  return dx;
}

function patchBackwardW(gy: Tensor, x: Tensor, g: ConvGeometry, wShape: readonly number[], colsT: Tensor | null): Tensor {
  const e = gy.engine;
  const P = prod(g.output);
  const Q = g.Cin * prod(g.kernel);
  if (colsT) {
    // Per sample (perSampleDw): dW = Σ_n gy[n] [Cout, P] · colsT[n]ᵀ [P, Q].
    const gy3 = gy.reshape([g.N, g.Cout, P]);
    const parts = launchMatmul(gy3, colsT, false, true);
    gy3.dispose();
    const dw = e.scope(() => sum(parts, 0).reshape(wShape));
    parts.dispose();
    return dw;
  }
  let gyT: Tensor;
  if (g.N === 1) {
    gyT = gy.reshape([g.Cout, P]);
  } else {
    gyT = e.empty([g.Cout, g.N * P]);
    const shape = [g.Cout, g.N, P];
    launchMap(UNARY.copy, shape, { tensor: gy, strides: [P, g.Cout * P, 1] }, { tensor: gyT, strides: contiguousStrides(shape) });
  }
  const cols = im2col(x, g, false);
  const cols2 = cols.reshape([g.N * P, Q]);
  const dw2 = launchMatmul(gyT, cols2, false, false);
  for (const t of [gyT, cols, cols2]) t.dispose();
  const dw = dw2.reshape(wShape);
  dw2.dispose();
  return dw;
}

// ------------------------------------------------------------------ ops

/** db[co] = Σ over every axis but the channel axis of gy. */
function biasGrad(gy: Tensor): Tensor {
  if (gy.size === 0) return gy.engine.zeros([gy.shape[1]]);
  const axes = gy.shape.map((_, i) => i).filter((i) => i !== 1);
  return gy.engine.scope(() => sum(gy, axes, true).reshape([gy.shape[1]]));
}

/**
 * The op on tensors of their natural rank (5-D for conv3d, 4-D for conv2d): the kernels read
 * flat buffers through `g`, so conv2d needs no reshaped views and its gradients come out in the
 * inputs' own shapes.
 */
function conv(op: string, x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, yShape: readonly number[], opts: ConvOptions): Tensor {
  if (opts.path !== undefined && opts.path !== 'auto' && opts.path !== 'direct') throw new BiudError(`${op}: path must be 'auto' or 'direct', got ${JSON.stringify(opts.path)}`);
  checkFloat(op, [x, w, b]);
  if (x.engine !== w.engine || (b && b.engine !== x.engine)) throw new BiudError(`${op}: x, w and b belong to different engines`);
  const patch = (opts.path ?? 'auto') === 'auto' && isPatchConv(g);
  const inputs = b ? [x, w, b] : [x, w];
  // The forward's colsT is kept for dW (record's `saved`) only where a backward pass wants it.
  const keepCols = patch && perSampleDw(g) && w.requiresGrad && needsGrad(...inputs);
  const f = patch ? patchForward(x, w, b, g, yShape, keepCols) : { y: directForward(x, w, b, g, yShape), colsT: null };
  return record(op, inputs, f.y, (gy) => {
    const dx = x.requiresGrad ? (patch ? patchBackwardX(gy, w, g, x.shape) : directBackwardX(gy, w, g, x.shape)) : null;
    const dw = w.requiresGrad ? (patch ? patchBackwardW(gy, x, g, w.shape, f.colsT) : directBackwardW(gy, x, g, w.shape)) : null;
    const db = b?.requiresGrad ? biasGrad(gy) : null;
    return b ? [dx, dw, db] : [dx, dw];
  }, f.colsT ? [f.colsT] : []);
}

/** x [N, Cin, D, H, W], w [Cout, Cin, kD, kH, kW], b [Cout] or null → [N, Cout, D', H', W'] (PyTorch F.conv3d). */
export function conv3d(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions = {}): Tensor {
  const g = convGeometry('conv3d', x.shape, w.shape, b?.shape ?? null, opts, 3);
  return conv('conv3d', x, w, b, g, [g.N, g.Cout, ...g.output], opts);
}

/** x [N, Cin, H, W], w [Cout, Cin, kH, kW], b [Cout] or null → [N, Cout, H', W'] (conv3d with depth 1). */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions = {}): Tensor {
  const g = convGeometry('conv2d', x.shape, w.shape, b?.shape ?? null, opts, 2);
  return conv('conv2d', x, w, b, g, [g.N, g.Cout, g.output[1], g.output[2]], opts);
}

// ------------------------------------------------------------------ CPU references

/** Reference forward over row-major arrays (PyTorch F.conv3d). */
export function conv3dRef(x: ArrayLike<number>, xShape: readonly number[], w: ArrayLike<number>, wShape: readonly number[], b: ArrayLike<number> | null, opts: ConvOptions = {}): { data: Float32Array; shape: number[] } {
  const g = convGeometry('conv3d', xShape, wShape, b ? [b.length] : null, opts);
  const [D, H, W] = g.input;
  const [OD, OH, OW] = g.output;
  const [KD, KH, KW] = g.kernel;
  const y = new Float32Array(g.N * g.Cout * OD * OH * OW);
  let i = 0;
  for (let n = 0; n < g.N; n++) {
    for (let co = 0; co < g.Cout; co++) {
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let acc = b ? b[co] : 0;
            for (let ci = 0; ci < g.Cin; ci++) {
              for (let kd = 0; kd < KD; kd++) {
                const id = od * g.stride[0] - g.padding[0] + kd;
                if (id < 0 || id >= D) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * g.stride[1] - g.padding[1] + kh;
                  if (ih < 0 || ih >= H) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * g.stride[2] - g.padding[2] + kw;
                    if (iw < 0 || iw >= W) continue;
                    acc += x[(((n * g.Cin + ci) * D + id) * H + ih) * W + iw] * w[(((co * g.Cin + ci) * KD + kd) * KH + kh) * KW + kw];
                  }
                }
              }
            }
            y[i++] = acc;
          }
        }
      }
    }
  }
  return { data: y, shape: [g.N, g.Cout, OD, OH, OW] };
}

/** Reference gradients: every (output, tap) pair scatters gy·w into dx and gy·x into dw. */
export function conv3dBackwardRef(x: ArrayLike<number>, xShape: readonly number[], w: ArrayLike<number>, wShape: readonly number[], gy: ArrayLike<number>, opts: ConvOptions = {}): { dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const g = convGeometry('conv3d', xShape, wShape, null, opts);
  const [D, H, W] = g.input;
  const [OD, OH, OW] = g.output;
  const [KD, KH, KW] = g.kernel;
  const dx = new Float64Array(prod(xShape));
  const dw = new Float64Array(prod(wShape));
  const db = new Float64Array(g.Cout);
  let o = 0;
  for (let n = 0; n < g.N; n++) {
    for (let co = 0; co < g.Cout; co++) {
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const gv = gy[o++];
            db[co] += gv;
            for (let ci = 0; ci < g.Cin; ci++) {
              for (let kd = 0; kd < KD; kd++) {
                const id = od * g.stride[0] - g.padding[0] + kd;
                if (id < 0 || id >= D) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * g.stride[1] - g.padding[1] + kh;
                  if (ih < 0 || ih >= H) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * g.stride[2] - g.padding[2] + kw;
                    if (iw < 0 || iw >= W) continue;
                    const xi = (((n * g.Cin + ci) * D + id) * H + ih) * W + iw;
                    const wi = (((co * g.Cin + ci) * KD + kd) * KH + kh) * KW + kw;
                    dx[xi] += gv * w[wi];
                    dw[wi] += gv * x[xi];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return { dx: Float32Array.from(dx), dw: Float32Array.from(dw), db: Float32Array.from(db) };
}
