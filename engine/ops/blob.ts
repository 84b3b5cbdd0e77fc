// Blob filters of volumes: a separable Gaussian blur, and the scale-normalised Hessian's bright- and
// dark-blob responses (shaders/blob.wgsl states the maths). Features of data, like cellStats3d: no
// gradient, and a tensor that needs one is refused rather than silently cut off.
import src from '../../shaders/blob.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';
import { WG } from './elementwise.ts';

const K = {
  blur: new Kernel('blob.blur_axis', src, 'blur_axis'),
  blurW4: new Kernel('blob.blur_w4', src, 'blur_w4'),
  blurBlock4: new Kernel('blob.blur_block4', src, 'blur_block4'),
  hessian: new Kernel('blob.hessian_blob', src, 'hessian_blob'),
  hessian4: new Kernel('blob.hessian_blob4', src, 'hessian_blob4'),
};

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function check(op: string, x: Tensor, sigma: number): void {
  if (x.dtype !== 'float32') throw new BiudError(`${op}: needs a float32 tensor, got ${x}`);
  if (x.shape.length !== 5) throw new BiudError(`${op}: x must be [N, C, D, H, W] (rank 5), got ${fmt(x.shape)}`);
  // Below 0.25 voxels the blur is the identity to 3e-4 (and the kernel's tap recurrence would
  // overflow float32); above 16 its taps outrun any volume the engine is used for.
  if (!(sigma >= 0.25 && sigma <= 16)) throw new BiudError(`${op}: σ must be between 0.25 and 16 voxels, got ${sigma}`);
  if (x.requiresGrad && x.engine.gradEnabled) throw new BiudError(`${op}: ${x} requires a gradient, and blob filters have none (they are features of data); detach it or run under noGrad`);
}

/** The blur's taps: radius ⌈3σ⌉, weights exp(−t²/2σ²) normalised to sum 1. */
function taps(sigma: number): { R: number; inv2s2: number; norm: number } {
  const R = Math.ceil(3 * sigma), inv2s2 = 1 / (2 * sigma * sigma);
  let sum = 0;
  for (let t = -R; t <= R; t++) sum += Math.exp(-t * t * inv2s2);
  return { R, inv2s2, norm: 1 / sum };
}

function params(shape: readonly number[], extra: Record<string, number>): Record<string, number> {
  const [N, C, D, H, W] = shape;
  return { NC: N * C, D, H, W, C, n: N * C * D * H * W, stride: 1, len: 1, R: 0, inv2s2: 0, norm: 1, s2: 1, ...extra };
}

/** x [N, C, D, H, W] → the same shape, each volume blurred by a Gaussian of σ voxels (edges clamped). */
export function gaussianBlur3d(x: Tensor, sigma: number): Tensor {
  check('gaussianBlur3d', x, sigma);
  const e = x.engine;
  const [, , D, H, W] = x.shape;
  const t = taps(sigma);
  let a = x;
  // Along W, then H, then D: each pass one 1-D blur, so 3·(2R+1) reads a voxel instead of (2R+1)³.
  // Rows of whole vec4s and R ≤ 4 (σ ≤ 4/3) take the vec4 kernels, 4 voxels a load; along H and D
  // each thread also blurs 4 places of the axis from one run of loads (shaders/blob.wgsl).
  const fast = W % 4 === 0 && t.R <= 4;
  for (const [stride, len] of [[1, W], [W, H], [W * H, D]]) {
    const b = e.empty(x.shape);
    const kernel = !fast ? K.blur : stride === 1 ? K.blurW4 : K.blurBlock4;
    // blur_block4: one thread per vec4 of a place and block of 4 places along the axis.
    const n = !fast ? b.size : stride === 1 ? b.size / 4 : (b.size / 4 / len) * Math.ceil(len / 4);
    if (b.size) e.dispatch(kernel, { bindings: fast ? { x4: a, y4: b } : { x: a, y: b }, uniforms: params(x.shape, { stride, len, n, ...t }), workgroups: e.grid1d(n, WG), constants: fast ? { FR: t.R } : undefined });
    if (a !== x) a.dispose();
    a = b;
  }
  return a;
}

/**
 * x [N, C, D, H, W] → [N, 2·C, D, H, W]: for each volume blurred by σ voxels, σ²·max(0, −λ3) (a
 * bright ball about 2σ√3 voxels across: a nodule, a node) at channel c and σ²·max(0, λ1) (a dark
 * one: an emphysematous hole, a dilated bronchus's lumen) at C + c, λ1 ≤ λ3 the extreme eigenvalues
 * of the blurred volume's Hessian. A vessel (one curvature near 0) or an edge gives little of either,
 * which is what a difference of Gaussians cannot tell apart. Border voxels are 0.
 */
export function blobness3d(x: Tensor, sigma: number): Tensor {
  check('blobness3d', x, sigma);
  const e = x.engine;
  const [N, C, D, H, W] = x.shape;
  const y = e.empty([N, 2 * C, D, H, W]);
  if (!y.size) return y;
  const g = gaussianBlur3d(x, sigma);
  const v4 = W % 4 === 0;
  const n = v4 ? x.size / 4 : x.size;
  e.dispatch(v4 ? K.hessian4 : K.hessian, { bindings: v4 ? { x: g, x4: g, y4: y } : { x: g, y }, uniforms: params(x.shape, { s2: sigma * sigma, n }), workgroups: e.grid1d(n, WG) });
  g.dispose();
  return y;
}

// ------------------------------------------------------------------ CPU references

/** Reference of gaussianBlur3d: x [N, C, D, H, W] flat → the same, in float64 then rounded. */
export function gaussianBlur3dRef(x: ArrayLike<number>, shape: readonly number[], sigma: number): Float32Array {
  const [N, C, D, H, W] = shape;
  const { R, inv2s2, norm } = taps(sigma);
  let a = Float64Array.from(x);
  for (const [stride, len] of [[1, W], [W, H], [W * H, D]]) {
    const b = new Float64Array(a.length);
    for (let i = 0; i < N * C * D * H * W; i++) {
      const c = Math.floor(i / stride) % len;
      let s = 0;
      for (let t = -R; t <= R; t++) s += Math.exp(-t * t * inv2s2) * a[i + (Math.min(len - 1, Math.max(0, c + t)) - c) * stride];
      b[i] = s * norm;
    }
    a = b;
  }
  return Float32Array.from(a);
}

/** Eigenvalues λ1 ≤ λ2 ≤ λ3 of the symmetric matrix [[a, b, c], [b, d, e], [c, e, f]], in closed form (trigonometric, Smith 1961). */
export function eigenSym3(a: number, b: number, c: number, d: number, e: number, f: number): [number, number, number] {
  const q = (a + d + f) / 3, p1 = b * b + c * c + e * e;
  const p = Math.sqrt(((a - q) ** 2 + (d - q) ** 2 + (f - q) ** 2 + 2 * p1) / 6);
  if (p < 1e-300) return [q, q, q];
  const A = (a - q) / p, B = b / p, Cc = c / p, D = (d - q) / p, E = e / p, F = (f - q) / p;
  const det = A * (D * F - E * E) - B * (B * F - E * Cc) + Cc * (B * E - D * Cc);
  const phi = Math.acos(Math.min(1, Math.max(-1, det / 2))) / 3;
  const l3 = q + 2 * p * Math.cos(phi), l1 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  return [l1, 3 * q - l1 - l3, l3];
}

/** Reference of blobness3d: x [N, C, D, H, W] flat → [N, 2·C, D, H, W] flat. */
export function blobness3dRef(x: ArrayLike<number>, shape: readonly number[], sigma: number): Float32Array {
  const [N, C, D, H, W] = shape;
  const g = gaussianBlur3dRef(x, shape, sigma);
  const vol = D * H * W, X = 1, Y = W, Z = W * H, s2 = sigma * sigma;
  const out = new Float32Array(2 * N * C * vol);
  for (let nc = 0; nc < N * C; nc++) {
    const ob = (Math.floor(nc / C) * 2 * C + (nc % C)) * vol, od = ob + C * vol;
    for (let d = 1; d < D - 1; d++) for (let h = 1; h < H - 1; h++) for (let w = 1; w < W - 1; w++) {
      const r = (d * H + h) * W + w, i = nc * vol + r, c2 = 2 * g[i];
      const hxx = g[i + X] - c2 + g[i - X], hyy = g[i + Y] - c2 + g[i - Y], hzz = g[i + Z] - c2 + g[i - Z];
      const hxy = (g[i + X + Y] - g[i + X - Y] - g[i - X + Y] + g[i - X - Y]) / 4;
      const hxz = (g[i + X + Z] - g[i + X - Z] - g[i - X + Z] + g[i - X - Z]) / 4;
      const hyz = (g[i + Y + Z] - g[i + Y - Z] - g[i - Y + Z] + g[i - Y - Z]) / 4;
      const [l1, , l3] = eigenSym3(hxx, hxy, hxz, hyy, hyz, hzz);
      out[ob + r] = s2 * Math.max(0, -l3);
      out[od + r] = s2 * Math.max(0, l1);
    }
  }
  return out;
}
