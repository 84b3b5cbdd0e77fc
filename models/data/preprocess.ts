// CT preprocessing on the GPU (shaders/resample.wgsl): a volume in Hounsfield units, RAS, x fastest,
// is resampled trilinearly to a config's spacing and size around the body (crop or pad with air)
// and windowed to [0, 1]. The same kernel resizes 2-D images (X-rays) to an encoder's input size.
//
// Axis orders: NIfTI-style inputs give dims and spacing as [x, y, z]; grids and tensors are in
// tensor order [D, H, W] = [z, y, x] (the configs' `size` and `spacing`).
import src from '../../shaders/resample.wgsl';
import { Kernel } from '../../engine/kernel.ts';
import type { Engine } from '../../engine/engine.ts';
import { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';
import { chestWarnings } from './chest-check.ts';

const K = {
  resample: new Kernel('resample', src, 'resample'),
  window: new Kernel('resample.window', src, 'window'),
};
const WG = 64;

/** CT-RATE's window: [−1150, 350] HU → [0, 1]. */
export const HU_WINDOW: readonly [number, number] = [-1150, 350];
/** Tissue (soft tissue, bone) is above this; air and lung below. */
export const BODY_HU = -500;
/** What lies outside the scanned field: air. */
export const AIR_HU = -1024;
/** Most sub-samples per axis an antialiased resample takes (S³ trilinear samples per voxel). */
export const MAX_SUBSAMPLES = 4;

export type Vec3 = [number, number, number];

/** A target grid in tensor order: size [D, H, W] voxels, spacing [z, y, x] mm. */
export interface Grid {
  size: Vec3;
  spacing: Vec3;
}

/** A volume as the NIfTI reader gives it after toRAS: x fastest, dims and spacing as [x, y, z]. */
export interface HuVolume {
  data: Float32Array;
  dims: Vec3;
  spacing: Vec3;
  /** Warnings the reader already produced (the chest heuristic among them); kept and passed on. */
  warnings?: string[];
}

/**
 * Where the output grid samples the input, per axis in [x, y, z] order and input index units:
 * output voxel idx samples input index origin + idx · step (see shaders/resample.wgsl).
 */
export interface ResampleSpec {
  /** Output shape: [D, H, W] or [H, W]. */
  shape: number[];
  origin: Vec3;
  step: Vec3;
  /** Value outside the input (border 'pad'); default AIR_HU. */
  pad?: number;
  /** 'pad' reads `pad` outside the input; 'clamp' repeats the edge (images). Default 'pad'. */
  border?: 'pad' | 'clamp';
  /** Fuse clamp((v − lo) / (hi − lo), 0, 1) into the same pass. */
  window?: readonly [number, number] | null;
  /** Sub-samples per axis (1 = plain trilinear). */
  samples?: number;
}

// ------------------------------------------------------------------ checks

function checkVec(v: readonly number[], n: number, what: string, integer: boolean): void {
  if (v.length !== n || v.some((x) => !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x)))) {
    throw new BiudError(`${what} [${v.join(', ')}] is impossible: it needs ${n} ${integer ? 'positive integers' : 'positive finite numbers'}`);
  }
}

function checkBytes(e: Engine, elements: number, what: string): void {
  const bytes = elements * 4;
  const limit = e.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new BiudError(`${what} needs ${bytes} bytes, over this adapter's maxStorageBufferBindingSize (${limit}): choose a smaller size or a coarser spacing`);
  }
}

function checkWindow(w: readonly [number, number]): void {
  if (!(Number.isFinite(w[0]) && Number.isFinite(w[1]) && w[1] > w[0])) throw new BiudError(`HU window [${w.join(', ')}] is impossible: it needs lo < hi, both finite`);
}

function in3(x: Tensor): Vec3 {
  const s = x.shape;
  if (s.length === 3) return [s[2], s[1], s[0]];
  if (s.length === 2) return [s[1], s[0], 1];
  throw new BiudError(`resample: needs a [D, H, W] volume or an [H, W] image, got ${x}`);
}

// ------------------------------------------------------------------ GPU

/** Resample x ([D, H, W] or [H, W]) as `spec` says; a new tensor of shape spec.shape. */
export function resample(x: Tensor, spec: ResampleSpec): Tensor {
  const e = x.engine;
  if (x.dtype !== 'float32') throw new BiudError(`resample: needs float32, got ${x}`);
  const inDims = in3(x);
  const shape = spec.shape;
  if (shape.length !== 2 && shape.length !== 3) throw new BiudError(`resample: output shape [${shape.join(', ')}] must be [D, H, W] or [H, W]`);
  checkVec(shape, shape.length, 'resample: output size', true);
  const out: Vec3 = shape.length === 3 ? [shape[2], shape[1], shape[0]] : [shape[1], shape[0], 1];
  const n = out[0] * out[1] * out[2];
  checkBytes(e, n, `resampling to [${shape.join(', ')}]`);
  const samples = spec.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SUBSAMPLES) throw new BiudError(`resample: samples must be 1..${MAX_SUBSAMPLES}, got ${samples}`);
  if (spec.window) checkWindow(spec.window);
  if ([...spec.origin, ...spec.step].some((v) => !Number.isFinite(v))) throw new BiudError(`resample: origin [${spec.origin}] and step [${spec.step}] must be finite`);
  const y = e.empty(shape);
  const [lo, hi] = spec.window ?? [0, 1];
  e.dispatch(K.resample, {
    bindings: { x, y },
    uniforms: {
      in_dims: [...inDims, spec.border === 'clamp' ? 1 : 0],
      out_dims: [...out, n],
      origin: [...spec.origin, spec.pad ?? AIR_HU],
      step: [...spec.step, spec.window ? 1 : 0],
      window: [lo, 1 / (hi - lo), 0, 0],
      offs: [0, 0, 0, 0],
    },
    workgroups: e.grid1d(n, WG),
    constants: { S: samples },
  });
  return y;
}

/** clamp((x − lo) / (hi − lo), 0, 1): HU → the model's [0, 1] input. */
export function windowHU(x: Tensor, lo = HU_WINDOW[0], hi = HU_WINDOW[1]): Tensor {
  if (x.dtype !== 'float32') throw new BiudError(`windowHU: needs float32, got ${x}`);
  checkWindow([lo, hi]);
  const e = x.engine;
  const y = e.empty(x.shape);
  e.dispatch(K.window, {
    bindings: { x, y },
    uniforms: { in_dims: [0, 0, 0, 0], out_dims: [0, 0, 0, x.size], origin: [0, 0, 0, 0], step: [0, 0, 0, 0], window: [lo, 1 / (hi - lo), 0, 0], offs: [0, 0, 0, 0] },
    workgroups: e.grid1d(x.size, WG),
  });
  return y;
}

/**
 * Resize an image [H, W] to [h, w] like PyTorch's interpolate(bilinear, align_corners=False):
 * pixel centres map to (o + ½)·(in/out) − ½, edges repeat. `antialias` averages sub-samples over
 * each output pixel's footprint (a box prefilter), which a strong downsample needs.
 */
export function resizeImage(x: Tensor, size: [number, number], opts: { antialias?: boolean } = {}): Tensor {
  if (x.rank !== 2) throw new BiudError(`resizeImage: needs an [H, W] image, got ${x}`);
  checkVec(size, 2, 'resizeImage: size', true);
  const sy = x.shape[0] / size[0];
  const sx = x.shape[1] / size[1];
  const samples = opts.antialias ? subsamplesFor(Math.max(sx, sy)) : 1;
  return resample(x, { shape: [...size], origin: [0.5 * sx - 0.5, 0.5 * sy - 0.5, 0], step: [sx, sy, 1], border: 'clamp', samples });
}

/** Sub-samples per axis for a downsample by `factor`: enough to cover each output voxel's footprint. */
export function subsamplesFor(factor: number): number {
  return Math.min(MAX_SUBSAMPLES, Math.max(1, Math.ceil(factor - 1e-6)));
}

// ------------------------------------------------------------------ the CT path

export interface BodyBox {
  /** Inclusive voxel index bounds [x, y, z] of voxels above the threshold. */
  lo: Vec3;
  hi: Vec3;
}

/** Bounding box of voxels > threshold HU (the body), or null when there are none. */
export function bodyBox(vol: Pick<HuVolume, 'data' | 'dims'>, threshold = BODY_HU): BodyBox | null {
  const [nx, ny, nz] = vol.dims;
  const d = vol.data;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [-1, -1, -1];
  for (let z = 0, p = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      let rowLo = -1, rowHi = -1;
      for (let x = 0; x < nx; x++, p++) {
        if (d[p] > threshold) {
          if (rowLo < 0) rowLo = x;
          rowHi = x;
        }
      }
      if (rowLo < 0) continue;
      if (rowLo < lo[0]) lo[0] = rowLo;
      if (rowHi > hi[0]) hi[0] = rowHi;
      if (y < lo[1]) lo[1] = y;
      if (y > hi[1]) hi[1] = y;
      if (z < lo[2]) lo[2] = z;
      if (z > hi[2]) hi[2] = z;
    }
  }
  return hi[0] < 0 ? null : { lo, hi };
}

export interface PreprocessOptions {
  /** HU window to [0, 1]; null keeps Hounsfield units. Default HU_WINDOW. */
  window?: readonly [number, number] | null;
  /** Body threshold for the crop centre; default BODY_HU. */
  bodyThreshold?: number;
  /** Fill outside the scanned field; default AIR_HU. */
  pad?: number;
  /** Average sub-samples over each output voxel (needed when the spacing grows several-fold). Default false: plain trilinear, as CT-RATE's preprocessing. */
  antialias?: boolean;
  /** Return [1, 1, D, H, W] instead of [D, H, W]. */
  batchDims?: boolean;
}

export interface Preprocessed {
  /** [D, H, W] (or [1, 1, D, H, W]): windowed to [0, 1], or HU when window is null. */
  volume: Tensor;
  /** The reader's warnings, the chest heuristic's, and this step's (no body, body cropped). */
  warnings: string[];
  /** The body's bounding box in input voxels (null: none found, the volume centre was used). */
  box: BodyBox | null;
  spec: ResampleSpec;
}

/** The resample spec that centres the body box of `vol` in `grid` (crop or pad). */
export function centredSpec(vol: Pick<HuVolume, 'dims' | 'spacing'>, grid: Grid, box: BodyBox | null, opts: PreprocessOptions = {}): ResampleSpec {
  const out: Vec3 = [grid.size[2], grid.size[1], grid.size[0]];
  const outSpacing: Vec3 = [grid.spacing[2], grid.spacing[1], grid.spacing[0]];
  const step = [0, 1, 2].map((a) => outSpacing[a] / vol.spacing[a]) as Vec3;
  const centre = [0, 1, 2].map((a) => (box ? (box.lo[a] + box.hi[a]) / 2 : (vol.dims[a] - 1) / 2)) as Vec3;
  const origin = [0, 1, 2].map((a) => centre[a] - ((out[a] - 1) / 2) * step[a]) as Vec3;
  const samples = opts.antialias ? subsamplesFor(Math.max(...step)) : 1;
  return { shape: [...grid.size], origin, step, pad: opts.pad ?? AIR_HU, border: 'pad', window: opts.window === undefined ? HU_WINDOW : opts.window, samples };
}

/** Check a volume's fields before anything is uploaded. */
export function checkVolume(vol: HuVolume, what = 'volume'): void {
  checkVec(vol.dims, 3, `${what}: dims`, true);
  checkVec(vol.spacing, 3, `${what}: spacing`, false);
  const n = vol.dims[0] * vol.dims[1] * vol.dims[2];
  if (vol.data.length !== n) throw new BiudError(`${what}: ${vol.data.length} voxels for dims [${vol.dims.join(', ')}] (${n})`);
}

/**
 * The whole CT path: upload, resample to `grid` around the body, window. The body box comes from
 * the CPU copy the caller already holds (one pass over the voxels); everything else is one dispatch.
 */
export function preprocessVolume(e: Engine, vol: HuVolume, grid: Grid, opts: PreprocessOptions = {}): Preprocessed {
  checkVolume(vol);
  checkVec(grid.size, 3, 'target size', true);
  checkVec(grid.spacing, 3, 'target spacing', false);
  checkBytes(e, grid.size[0] * grid.size[1] * grid.size[2], `the target size [${grid.size.join(', ')}]`);
  checkBytes(e, vol.data.length, `the input volume [${vol.dims.join(', ')}]`);
  const warnings = [...(vol.warnings ?? chestWarnings({ ...vol, affine: diagonalAffine(vol.spacing) }))];
  const box = bodyBox(vol, opts.bodyThreshold ?? BODY_HU);
  if (!box) warnings.push(`no voxel above ${opts.bodyThreshold ?? BODY_HU} HU: no body found, centring on the volume`);
  else {
    const axes = ['x', 'y', 'z'];
    const field = [grid.size[2] * grid.spacing[2], grid.size[1] * grid.spacing[1], grid.size[0] * grid.spacing[0]];
    for (let a = 0; a < 3; a++) {
      const extent = (box.hi[a] - box.lo[a] + 1) * vol.spacing[a];
      if (extent > field[a] + vol.spacing[a]) warnings.push(`the body spans ${extent.toFixed(0)} mm along ${axes[a]}, more than the ${field[a].toFixed(0)} mm field: cropped around its centre`);
    }
  }
  const spec = centredSpec(vol, grid, box, opts);
  const volume = e.scope(() => {
    const x = e.tensor(vol.data, [vol.dims[2], vol.dims[1], vol.dims[0]]);
    const y = resample(x, spec);
    return opts.batchDims ? y.reshape([1, 1, ...grid.size]) : y;
  });
  return { volume, warnings, box, spec };
}

function diagonalAffine(s: Vec3): Float64Array {
  const a = new Float64Array(16);
  a[0] = s[0]; a[5] = s[1]; a[10] = s[2]; a[15] = 1;
  return a;
}

// ------------------------------------------------------------------ CPU references

/** The same maths as the kernel, in doubles: `data` is [D, H, W] (or [H, W]) with shape `inShape`. */
export function resampleRef(data: ArrayLike<number>, inShape: readonly number[], spec: ResampleSpec): Float32Array {
  const [W, H, D] = inShape.length === 3 ? [inShape[2], inShape[1], inShape[0]] : [inShape[1], inShape[0], 1];
  const [ow, oh, od] = spec.shape.length === 3 ? [spec.shape[2], spec.shape[1], spec.shape[0]] : [spec.shape[1], spec.shape[0], 1];
  const pad = spec.pad ?? AIR_HU;
  const clampMode = spec.border === 'clamp';
  const S = spec.samples ?? 1;
  const fetch = (i: number, j: number, k: number): number => {
    if (i < 0 || j < 0 || k < 0 || i >= W || j >= H || k >= D) {
      if (!clampMode) return pad;
      i = Math.min(Math.max(i, 0), W - 1);
      j = Math.min(Math.max(j, 0), H - 1);
      k = Math.min(Math.max(k, 0), D - 1);
    }
    return data[i + W * (j + H * k)];
  };
  const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
  const tri = (cx: number, cy: number, cz: number): number => {
    const i = Math.floor(cx), j = Math.floor(cy), k = Math.floor(cz);
    const fx = cx - i, fy = cy - j, fz = cz - k;
    const c00 = lerp(fetch(i, j, k), fetch(i + 1, j, k), fx);
    const c10 = lerp(fetch(i, j + 1, k), fetch(i + 1, j + 1, k), fx);
    const c01 = lerp(fetch(i, j, k + 1), fetch(i + 1, j, k + 1), fx);
    const c11 = lerp(fetch(i, j + 1, k + 1), fetch(i + 1, j + 1, k + 1), fx);
    return lerp(lerp(c00, c10, fy), lerp(c01, c11, fy), fz);
  };
  const out = new Float32Array(ow * oh * od);
  const [lo, hi] = spec.window ?? [0, 1];
  for (let k = 0, o = 0; k < od; k++) {
    for (let j = 0; j < oh; j++) {
      for (let i = 0; i < ow; i++, o++) {
        let acc = 0;
        for (let sz = 0; sz < S; sz++) for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) {
          const t = (s: number) => (s + 0.5) / S - 0.5;
          acc += tri(spec.origin[0] + (i + t(sx)) * spec.step[0], spec.origin[1] + (j + t(sy)) * spec.step[1], spec.origin[2] + (k + t(sz)) * spec.step[2]);
        }
        const v = acc / (S * S * S);
        out[o] = spec.window ? Math.min(Math.max((v - lo) / (hi - lo), 0), 1) : v;
      }
    }
  }
  return out;
}

export function windowRef(data: ArrayLike<number>, lo = HU_WINDOW[0], hi = HU_WINDOW[1]): Float32Array {
  return Float32Array.from(data, (v) => Math.min(Math.max((v - lo) / (hi - lo), 0), 1));
}
