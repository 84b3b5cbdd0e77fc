// Digitally reconstructed radiographs (shaders/drr.wgsl): front-to-back line integrals of
// attenuation through a HU volume, shown as a radiograph (bright bone, dark lungs), with the
// patient's right on the viewer's left. The launch and its CPU reference.
import src from '../../shaders/drr.wgsl';
import { Kernel } from '../../engine/kernel.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { BiudError } from '../../engine/errors.ts';

const kernel = new Kernel('drr', src, 'project');
const WG = 64;

export interface DrrOptions {
  /** Attenuation of water, 1/mm (≈ 0.02 at the 60–70 keV of a chest radiograph). */
  muWater?: number;
  /** How much more a HU above 0 attenuates than the same HU of water-like tissue (bone contrast). */
  bone?: number;
  /** The radiograph is 1 − exp(−gain · max(L − offset, 0)): the detector curve that keeps lungs and mediastinum apart. */
  gain?: number;
  /** Optical depth shown as black: about the least a ray crosses through the chest wall and lungs. */
  offset?: number;
  /** 'radiograph' (default) or 'depth': the optical depth L itself (I = exp(−L)). */
  output?: 'radiograph' | 'depth';
}

export const DRR_DEFAULTS: Required<DrrOptions> = { muWater: 0.02, bone: 1.6, gain: 0.6, offset: 1.8, output: 'radiograph' };

function resolve(opts: DrrOptions): Required<DrrOptions> {
  const o = { ...DRR_DEFAULTS, ...opts };
  if (!(Number.isFinite(o.offset) && o.offset >= 0)) throw new BiudError(`drr: offset must be a non-negative number, got ${o.offset}`);
  for (const k of ['muWater', 'bone', 'gain'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] > 0)) throw new BiudError(`drr: ${k} must be a positive number, got ${o[k]}`);
  }
  if (o.output !== 'radiograph' && o.output !== 'depth') throw new BiudError(`drr: output must be 'radiograph' or 'depth', got ${o.output}`);
  return o;
}

/**
 * Project a volume [D, H, W] (or a batch [B, D, H, W]) in HU along y (H, anterior–posterior) with
 * voxel depth `spacingY` mm: an image [D, W] (or [B, D, W]), head up, patient's right on the left.
 */
export function drr(volume: Tensor, spacingY: number, opts: DrrOptions = {}): Tensor {
  const o = resolve(opts);
  if (volume.dtype !== 'float32') throw new BiudError(`drr: needs a float32 volume, got ${volume}`);
  if (volume.rank !== 3 && volume.rank !== 4) throw new BiudError(`drr: needs a [D, H, W] or [B, D, H, W] volume, got ${volume}`);
  if (!(Number.isFinite(spacingY) && spacingY > 0)) throw new BiudError(`drr: spacing along y must be positive, got ${spacingY}`);
  const [B, D, H, W] = volume.rank === 4 ? volume.shape : [1, ...volume.shape];
  const e = volume.engine;
  const out = e.empty(volume.rank === 4 ? [B, D, W] : [D, W]);
  const total = B * D * W;
  e.dispatch(kernel, {
    bindings: { vol: volume, img: out },
    uniforms: { dims: [W, H, D, B], coef: [o.muWater, o.bone, spacingY, o.gain], coef2: [o.offset, 0, 0, 0], n: [D * W, total, o.output === 'depth' ? 1 : 0, 0] },
    workgroups: e.grid1d(total, WG),
  });
  return out;
}

/** The same projection on the CPU, in doubles. `shape` is [D, H, W] or [B, D, H, W]. */
export function drrRef(data: ArrayLike<number>, shape: readonly number[], spacingY: number, opts: DrrOptions = {}): Float32Array {
  const o = resolve(opts);
  const [B, D, H, W] = shape.length === 4 ? shape : [1, ...shape];
  const out = new Float32Array(B * D * W);
  const mu = (hu: number) => o.muWater * Math.max(0, 1 + (hu > 0 ? o.bone : 1) * (hu / 1000));
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < D; r++) {
      for (let c = 0; c < W; c++) {
        const z = D - 1 - r, x = W - 1 - c;
        let l = 0;
        for (let y = 0; y < H; y++) l += mu(data[((b * D + z) * H + y) * W + x]);
        l *= spacingY;
        out[(b * D + r) * W + c] = o.output === 'depth' ? l : 1 - Math.exp(-o.gain * Math.max(l - o.offset, 0));
      }
    }
  }
  return out;
}
