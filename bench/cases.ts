// The benchmark's cases: each is one computation at one of BIUD's shapes, written once for the
// engine and once for TensorFlow.js (its WebGPU backend), from the same input values. A case's
// name starts with its op; `.fwd+bwd` cases run the forward and the backward together (TF.js
// through tf.grads), `.bwd` cases the backward alone (both gradients of a convolution).
//
// Batches are cut where TF.js would take tens of seconds per run (said in the shape and in the
// notes); the per-row shapes (tokens, widths, heads, patch sizes) are the configs'.
import type * as TF from '@tensorflow/tfjs-core';
import type { Engine } from '../engine/engine.ts';
import type { Tensor } from '../engine/tensor.ts';
import * as ops from '../engine/ops/index.ts';
import { CONFIGS, ctTokens, type BiudConfig } from '../models/config.ts';

export type Tf = typeof TF;

/** One side of a case, set up and ready to run. */
export interface Prepared {
  /** Record one run; everything it makes is freed. */
  run(): void;
  /** Σ y² over the case's outputs (a layout-independent checksum), read back. */
  checksum(): Promise<number>;
  dispose(): void;
}

export interface BenchCase {
  name: string;
  shape: string;
  /** Floating-point operations of one run (multiply-adds count two). */
  flops: number;
  engine(e: Engine): Prepared;
  peer?(tf: Tf): Prepared;
}

// ------------------------------------------------------------------ inputs

/** Uniform values in [-1, 1) from a seed (the same on both sides). */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

function sumSquares(arrays: ArrayLike<number>[]): number {
  let s = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** The engine side: inputs are made once; `body` returns the outputs of one run. */
function engineSide(e: Engine, inputs: Tensor[], body: () => Tensor | (Tensor | null)[]): Prepared {
  for (const t of inputs) e.keep(t);
  return {
    run: () => {
      e.scope(() => {
        body();
      });
    },
    checksum: async () => {
      const out = e.scope(() => body());
      const list = (Array.isArray(out) ? out : [out]).filter((t): t is Tensor => t !== null);
      const data = await Promise.all(list.map((t) => t.data()));
      list.forEach((t) => t.dispose());
      return sumSquares(data);
    },
    dispose: () => inputs.forEach((t) => t.dispose()),
  };
}

/** The TF.js side: the same, with tf.tidy freeing each run's tensors. */
function peerSide(tf: Tf, inputs: TF.Tensor[], body: () => TF.Tensor | TF.Tensor[]): Prepared {
  return {
    run: () => {
      tf.tidy(() => {
        body();
      });
    },
    checksum: async () => {
      const out = tf.tidy(() => body());
      const list = Array.isArray(out) ? out : [out];
      const data = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
      list.forEach((t) => t.dispose());
      return sumSquares(data);
    },
    dispose: () => inputs.forEach((t) => t.dispose()),
  };
}

/** The gradients of `y` (made with inputs that require them) for upstream gradient `gy`, by y's own backward rule. */
function grads(y: Tensor, gy: Tensor): (Tensor | null)[] {
  return [...y.node!.backward(gy)];
}

function needGrad(...ts: Tensor[]): void {
  for (const t of ts) t.requiresGrad = true;
}

// ------------------------------------------------------------------ matmul

export function matmulCase(name: string, M: number, K: number, N: number): BenchCase {
  const ad = rand(M * K, 1), bd = rand(K * N, 2);
  return {
    name, shape: `[${M},${K}]·[${K},${N}]`, flops: 2 * M * N * K,
    engine: (e) => {
      const a = e.tensor(ad, [M, K]), b = e.tensor(bd, [K, N]);
      return engineSide(e, [a, b], () => ops.matmul(a, b));
    },
    peer: (tf) => {
      const a = tf.tensor2d(ad, [M, K]), b = tf.tensor2d(bd, [K, N]);
      return peerSide(tf, [a, b], () => tf.matMul(a, b));
    },
  };
}

// ------------------------------------------------------------------ conv3d

export interface ConvShape {
  N: number;
  Cin: number;
  size: [number, number, number];
  Cout: number;
  kernel: [number, number, number];
  /** Stride = kernel with no padding (patch embedding), or stride 1 with 'same' padding. */
  patch: boolean;
}

function convOut(c: ConvShape): number[] {
  return c.patch ? c.size.map((s, i) => s / c.kernel[i]) : [...c.size];
}

function convFlops(c: ConvShape): number {
  return 2 * c.N * c.Cout * prod(convOut(c)) * c.Cin * prod(c.kernel);
}

/** Engine tensors x [N,Cin,D,H,W], w [Cout,Cin,kd,kh,kw], b [Cout]; TF.js gets them channels-last. */
function convData(c: ConvShape) {
  const xs: [number, number, number, number, number] = [c.N, c.Cin, ...c.size];
  const ws: [number, number, number, number, number] = [c.Cout, c.Cin, ...c.kernel];
  const fan = c.Cin * prod(c.kernel);
  return { xs, ws, x: rand(prod(xs), 3), w: rand(prod(ws), 4, 1 / Math.sqrt(fan)), b: rand(c.Cout, 5, 0.1) };
}

function convOpts(c: ConvShape) {
  return c.patch ? { stride: c.kernel, padding: 0 } : { stride: 1, padding: c.kernel.map((k) => (k - 1) / 2) };
}

function tfConvInputs(tf: Tf, c: ConvShape, d: ReturnType<typeof convData>) {
  const x = tf.tidy(() => tf.transpose(tf.tensor(d.x, d.xs), [0, 2, 3, 4, 1]) as TF.Tensor5D);
  const w = tf.tidy(() => tf.transpose(tf.tensor(d.w, d.ws), [2, 3, 4, 1, 0]) as TF.Tensor5D);
  const b = tf.tensor1d(d.b);
  const strides = (c.patch ? c.kernel : [1, 1, 1]) as [number, number, number];
  const pad: 'valid' | 'same' = c.patch ? 'valid' : 'same';
  return { x, w, b, strides, pad };
}

export function conv3dForwardCase(name: string, c: ConvShape): BenchCase {
  const d = convData(c);
  return {
    name, shape: `${fmt(d.xs)} ∗ ${fmt(d.ws)}${c.patch ? ` stride ${c.kernel.join('×')}` : ' pad same'}`, flops: convFlops(c),
    engine: (e) => {
      const x = e.tensor(d.x, d.xs), w = e.tensor(d.w, d.ws), b = e.tensor(d.b, [c.Cout]);
      return engineSide(e, [x, w, b], () => ops.conv3d(x, w, b, convOpts(c)));
    },
    peer: (tf) => {
      const { x, w, b, strides, pad } = tfConvInputs(tf, c, d);
      // The bias is added over a 2-D view: TF.js 4.22's WebGPU broadcast of a 5-D add fails to compile ("cannot index type 'vec5'").
      const addBias = (y: TF.Tensor5D) => tf.reshape(tf.add(tf.reshape(y, [-1, c.Cout]), b), y.shape);
      return peerSide(tf, [x, w, b], () => addBias(tf.conv3d(x, w, strides, pad)));
    },
  };
}

/** dx, dw and db for a given dy (the forward is not timed). TF.js runs its Conv3DBackprop{Input,Filter}V2 kernels. */
export function conv3dBackwardCase(name: string, c: ConvShape): BenchCase {
  const d = convData(c);
  const ys = [c.N, c.Cout, ...convOut(c)];
  const gyd = rand(prod(ys), 6);
  return {
    name, shape: `${fmt(d.xs)} ∗ ${fmt(d.ws)}${c.patch ? ` stride ${c.kernel.join('×')}` : ' pad same'}`, flops: 2 * convFlops(c),
    engine: (e) => {
      const x = e.tensor(d.x, d.xs), w = e.tensor(d.w, d.ws), b = e.tensor(d.b, [c.Cout]), gy = e.tensor(gyd, ys);
      needGrad(x, w, b);
      const y = e.keep(ops.conv3d(x, w, b, convOpts(c)));
      return engineSide(e, [x, w, b, gy, y], () => grads(y, gy));
    },
    peer: (tf) => {
      const { x, w, b, strides, pad } = tfConvInputs(tf, c, d);
      const dy = tf.tidy(() => tf.transpose(tf.tensor(gyd, ys), [0, 2, 3, 4, 1]));
      const inputShape = x.shape as [number, number, number, number, number];
      const filterShape = w.shape as [number, number, number, number, number];
      return peerSide(tf, [x, w, b, dy], () => [
        tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: w }, { strides, pad, inputShape }) as TF.Tensor,
        tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, { strides, pad, filterShape }) as TF.Tensor,
        tf.sum(tf.reshape(dy, [-1, c.Cout]), 0),
      ]);
    },
  };
}

// ------------------------------------------------------------------ attention

/** softmax(q kᵀ/√d) v over [B, H, T, d]; TF.js composes it from matMul, softmax, matMul. */
export function attentionCase(name: string, B: number, H: number, T: number, d: number, backward: boolean): BenchCase {
  const s = [B, H, T, d];
  const n = prod(s);
  const qd = rand(n, 7), kd = rand(n, 8), vd = rand(n, 9), gd = rand(n, 10);
  const scale = 1 / Math.sqrt(d);
  const fwd = 4 * B * H * T * T * d;
  return {
    name, shape: `[${B},${H},${T},${d}]`, flops: backward ? 3 * fwd : fwd,
    engine: (e) => {
      const q = e.tensor(qd, s), k = e.tensor(kd, s), v = e.tensor(vd, s), gy = e.tensor(gd, s);
      if (!backward) return engineSide(e, [q, k, v, gy], () => ops.attention(q, k, v));
      needGrad(q, k, v);
      return engineSide(e, [q, k, v, gy], () => grads(ops.attention(q, k, v), gy));
    },
    peer: (tf) => {
      const q = tf.tensor(qd, s), k = tf.tensor(kd, s), v = tf.tensor(vd, s), gy = tf.tensor(gd, s);
      const f = (q: TF.Tensor, k: TF.Tensor, v: TF.Tensor) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v);
      if (!backward) return peerSide(tf, [q, k, v, gy], () => f(q, k, v));
      const g = tf.grads(f);
      return peerSide(tf, [q, k, v, gy], () => g([q, k, v], gy));
    },
  };
}

// ------------------------------------------------------------------ layerNorm, softmax

export function layerNormCase(name: string, R: number, C: number, backward: boolean): BenchCase {
  const xd = rand(R * C, 11), gd = rand(C, 12), bd = rand(C, 13, 0.1), gyd = rand(R * C, 14);
  return {
    // Nominal flops: ~8 per element forward, ~12 more backward.
    name, shape: `[${R},${C}]`, flops: (backward ? 20 : 8) * R * C,
    engine: (e) => {
      const x = e.tensor(xd, [R, C]), g = e.tensor(gd, [C]), b = e.tensor(bd, [C]), gy = e.tensor(gyd, [R, C]);
      if (!backward) return engineSide(e, [x, g, b, gy], () => ops.layerNorm(x, g, b));
      needGrad(x, g, b);
      return engineSide(e, [x, g, b, gy], () => grads(ops.layerNorm(x, g, b), gy));
    },
    peer: (tf) => {
      const x = tf.tensor2d(xd, [R, C]), g = tf.tensor1d(gd), b = tf.tensor1d(bd), gy = tf.tensor2d(gyd, [R, C]);
      const f = (x: TF.Tensor, g: TF.Tensor, b: TF.Tensor) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
      };
      if (!backward) return peerSide(tf, [x, g, b, gy], () => f(x, g, b));
      const gr = tf.grads(f);
      return peerSide(tf, [x, g, b, gy], () => gr([x, g, b], gy));
    },
  };
}

export function softmaxCase(name: string, R: number, C: number, backward: boolean): BenchCase {
  const xd = rand(R * C, 15, 3), gyd = rand(R * C, 16);
  return {
    name, shape: `[${R},${C}]`, flops: (backward ? 9 : 5) * R * C,
    engine: (e) => {
      const x = e.tensor(xd, [R, C]), gy = e.tensor(gyd, [R, C]);
      if (!backward) return engineSide(e, [x, gy], () => ops.softmax(x));
      needGrad(x);
      return engineSide(e, [x, gy], () => grads(ops.softmax(x), gy));
    },
    peer: (tf) => {
      const x = tf.tensor2d(xd, [R, C]), gy = tf.tensor2d(gyd, [R, C]);
      if (!backward) return peerSide(tf, [x, gy], () => tf.softmax(x));
      const gr = tf.grads((x: TF.Tensor) => tf.softmax(x));
      return peerSide(tf, [x, gy], () => gr([x], gy));
    },
  };
}

// ------------------------------------------------------------------ losses

/** The RoCo/CLIP loss: rows L2-normalised, logits / τ, soft targets, both directions; forward and backward. */
export function contrastiveCase(name: string, n: number, D: number): BenchCase {
  const id = rand(n * D, 17), td = rand(n * D, 18);
  // Soft targets: the identity with a little mass on a neighbour (a RoCo correction), rows summing to 1.
  const T = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    T[i * n + i] = 0.8;
    T[i * n + ((i + 1) % n)] = 0.2;
  }
  const tau = 0.07;
  return {
    name, shape: `[${n},${D}]`, flops: 6 * n * n * D,
    engine: (e) => {
      const img = e.tensor(id, [n, D]), txt = e.tensor(td, [n, D]), targets = e.tensor(T, [n, n]), one = e.tensor([1], []);
      needGrad(img, txt);
      return engineSide(e, [img, txt, targets, one], () => grads(ops.contrastiveLoss(img, txt, targets, tau), one));
    },
    peer: (tf) => {
      const img = tf.tensor2d(id, [n, D]), txt = tf.tensor2d(td, [n, D]), targets = tf.tensor2d(T, [n, n]), targetsT = tf.transpose(targets);
      const f = (a: TF.Tensor, b: TF.Tensor) => {
        const an = tf.div(a, tf.norm(a, 'euclidean', -1, true));
        const bn = tf.div(b, tf.norm(b, 'euclidean', -1, true));
        const logits = tf.div(tf.matMul(an, bn, false, true), tau);
        const rows = tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits, -1)), -1)));
        // Columns through the transpose: TF.js's logSoftmax takes the last axis only.
        const cols = tf.neg(tf.mean(tf.sum(tf.mul(targetsT, tf.logSoftmax(tf.transpose(logits), -1)), -1)));
        return tf.mul(tf.add(rows, cols), 0.5);
      };
      const gr = tf.grads(f);
      return peerSide(tf, [img, txt, targets, targetsT], () => gr([img, txt]));
    },
  };
}

/** The masked-LM loss: cross-entropy over the vocabulary at the masked rows; forward and backward. */
export function mlmCase(name: string, M: number, V: number): BenchCase {
  const ld = rand(M * V, 19, 4);
  const labels = Int32Array.from({ length: M }, (_, i) => (i * 7919) % V);
  return {
    name, shape: `[${M},${V}]`, flops: 8 * M * V,
    engine: (e) => {
      const logits = e.tensor(ld, [M, V]), lab = e.tensor(labels, [M], 'int32'), one = e.tensor([1], []);
      needGrad(logits);
      return engineSide(e, [logits, lab, one], () => grads(ops.crossEntropy(logits, lab), one));
    },
    peer: (tf) => {
      const logits = tf.tensor2d(ld, [M, V]), onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), V);
      const gr = tf.grads((x: TF.Tensor) => tf.losses.softmaxCrossEntropy(onehot, x));
      return peerSide(tf, [logits, onehot], () => gr([logits]));
    },
  };
}

// ------------------------------------------------------------------ the list

/**
 * Sub-vocabulary size the masked-LM head predicts over: the WordPiece tokens that occur in the
 * shipped reports (models/tokenize.ts builds it at run time; about this many).
 */
export const SUB_VOCAB = 3000;

export interface CaseListOptions {
  quick?: boolean;
}

/** Shapes from a config: CT tokens, widths, heads; batches as given. */
function modelCases(cfg: BiudConfig, batch: number, quick: boolean): BenchCase[] {
  const n = cfg.name;
  const C = cfg.ct.width, Tct = ctTokens(cfg.ct), Ht = cfg.ct.heads, dh = C / Ht;
  const Tt = cfg.text.maxLen, Wt = cfg.text.width;
  const hidden = C * cfg.ct.mlpRatio;
  const rows = batch * Tct;
  const out: BenchCase[] = [
    matmulCase(`matmul.${n}.ct-qkv`, rows, C, 3 * C),
    matmulCase(`matmul.${n}.ct-mlp-up`, rows, C, hidden),
    matmulCase(`matmul.${n}.ct-mlp-down`, rows, hidden, C),
  ];
  if (!quick) out.push(matmulCase(`matmul.${n}.text-qkv`, batch * Tt, Wt, 3 * Wt));
  const patch: ConvShape = { N: 1, Cin: 1, size: cfg.ct.size, Cout: C, kernel: cfg.ct.patch, patch: true };
  out.push(conv3dForwardCase(`conv3d.${n}.patch-embed.fwd`, patch), conv3dBackwardCase(`conv3d.${n}.patch-embed.bwd`, patch));
  const ab = n === 'tiny' ? batch : 1;
  out.push(attentionCase(`attention.${n}.ct.fwd`, ab, Ht, Tct, dh, false), attentionCase(`attention.${n}.ct.fwd+bwd`, ab, Ht, Tct, dh, true));
  if (!quick) out.push(attentionCase(`attention.${n}.text.fwd+bwd`, ab, cfg.text.heads, Tt, Wt / cfg.text.heads, true));
  out.push(layerNormCase(`layernorm.${n}.fwd+bwd`, rows, C, true));
  out.push(softmaxCase(`softmax.${n}.attn-probs.fwd+bwd`, ab * Ht * Tct, Tct, true));
  out.push(contrastiveCase(`contrastive.${n}.fwd+bwd`, cfg.train.batch, cfg.embedDim));
  out.push(mlmCase(`mlm-loss.${n}.fwd+bwd`, Math.round(0.15 * cfg.train.batch * Tt), SUB_VOCAB));
  return out;
}

export function benchCases(o: CaseListOptions = {}): BenchCase[] {
  const quick = o.quick ?? false;
  const out: BenchCase[] = [matmulCase('matmul.256³', 256, 256, 256), matmulCase('matmul.512³', 512, 512, 512)];
  if (!quick) out.push(matmulCase('matmul.1024³', 1024, 1024, 1024));
  out.push(...modelCases(CONFIGS.tiny, CONFIGS.tiny.train.batch, quick));
  const k3: ConvShape = { N: 1, Cin: 32, size: [16, 16, 16], Cout: 32, kernel: [3, 3, 3], patch: false };
  out.push(conv3dForwardCase('conv3d.3x3x3.fwd', k3), conv3dBackwardCase('conv3d.3x3x3.bwd', k3));
  if (!quick) out.push(...modelCases(CONFIGS.small, 2, quick));
  return out;
}
