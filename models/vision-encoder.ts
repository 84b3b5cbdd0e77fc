// A ViT over volumes (the CT encoder) or images (the X-ray expert): conv patch embedding with
// kernel = stride = patch, a learned [CLS] token and position embedding, pre-LN blocks, a final
// norm, and a linear projection of the mean token into the shared embedding space. Names follow timm
// (`patch_embed.proj`, `cls_token`, `pos_embed`, `blocks.N`, `norm`, `head`).
import type { Tensor } from '../engine/tensor.ts';
import type { ParamStore } from '../engine/params.ts';
import * as ops from '../engine/ops/index.ts';
import { Block, LayerNorm, Linear } from './nn.ts';
import type { VisionConfig } from './config.ts';

/** Mean and spread of windowed chest CT voxels (HU window [−1150, 350] → [0, 1]). */
const CT_MEAN = 0.35;
const CT_STD = 0.3;

/** Windowed CT voxels standardised around the chest's typical value and spread (embedPatches says why). */
function centreCt(x: Tensor): Tensor {
  return ops.affine(x, 1 / CT_STD, -CT_MEAN / CT_STD);
}

/** Statistics per cell that ops.cellStats3d computes: mean, maximum, minimum, spread. */
export const CELL_STATS = ops.CELL_STAT_NAMES.length;

/** Channels of the encoder's statistics: 4 of the voxels, and 4 of each blob map with `blob`. */
export function statsChannels(stats: NonNullable<VisionConfig['stats']>): number {
  return CELL_STATS * (stats.blob ? 3 : 1);
}

/**
 * The encoder's fixed features of x [B, 1, D, H, W] (config `stats`): per cell of c voxels the
 * mean, maximum, minimum and spread of the voxels, in one pass (ops.cellStats3d; its CPU reference
 * is ops.cellStats3dRef), then with `blob` the same of their bright- and dark-ball maps
 * (ops.blobness3d at σ = blob voxels), concatenated on the channel axis: [B, statsChannels, D/c,
 * H/c, W/c]. The input is data, not a weight, so no gradient is kept (PyTorch: the same pools
 * under torch.no_grad()). A cell's maximum rises as much for a vessel crossing it as for a nodule;
 * the bright-ball map answers the nodule (every curvature negative) and not the vessel (one near
 * 0). With the labels, a linear model on all 12 reaches 0.866 held-out AUC against 0.825 on the
 * voxels' four (Lung nodule 0.74 against 0.51, Lymphadenopathy 0.80 against 0.60:
 * `HESS=1 bench/diagnose/cell-statistics.ts`).
 */
export function encoderStats(x: Tensor, stats: NonNullable<VisionConfig['stats']>): Tensor {
  return x.engine.noGrad(() => {
    const s = ops.cellStats3d(x, stats.cell);
    if (!stats.blob) return s;
    const b = ops.blobness3d(x, stats.blob);
    const bs = ops.cellStats3d(b, stats.cell);
    b.dispose();
    const out = ops.concat([s, bs], 1);
    s.dispose();
    bs.dispose();
    return out;
  });
}

/**
 * A fixed standardisation (x − mean) / std, feature by feature. Kept in the parameter store, so
 * checkpoints carry it (PyTorch: buffers), but it never gets a gradient and takes no weight
 * decay, so AdamW leaves it as fitStandardisation() set it.
 */
export interface Standardiser {
  mean: Tensor;
  std: Tensor;
}

/** Floor of a standardised feature's spread, in the units of the globally standardised input (≈ 45 HU). */
export const STD_FLOOR = 0.1;

function standardiser(store: ParamStore, name: string, shape: number[]): Standardiser {
  return { mean: store.param(`${name}.mean`, shape, 'zeros', { decay: false }), std: store.param(`${name}.std`, shape, 'ones', { decay: false }) };
}

function standardise(x: Tensor, n: Standardiser): Tensor {
  return x.engine.noGrad(() => ops.div(ops.sub(x, n.mean), n.std));
}

export interface VisionOutput {
  /** [B, embedDim]: the projected mean token. */
  embedding: Tensor;
  /** [B, 1 + patches, width]: every token after the final norm (memory for the report decoder). */
  tokens: Tensor;
  /** [B, width]: the pooled representation (mean of [CLS] and patch tokens) before projection. */
  cls: Tensor;
}

export class VisionEncoder {
  /** The optional convolutional stem (config `stem`). */
  readonly stemWeight: Tensor | null = null;
  readonly stemBias: Tensor | null = null;
  /** The optional map of the stem's per-patch or whole-volume maxima (config `stemMax`). */
  readonly stemMax: Linear | null = null;
  /** The optional map of each channel's maximum over the patch tokens (config `poolMax`). */
  readonly poolMax: Linear | null = null;
  /** The optional map of cell statistics into the tokens (config `stats`). */
  readonly statsWeight: Tensor | null = null;
  readonly statsBias: Tensor | null = null;
  readonly statsKernel: number[] | null = null;
  /** Fixed per-feature standardisation (config `standardise`), set by fitStandardisation(). */
  readonly voxelNorm: Standardiser | null = null;
  readonly statsNorm: Standardiser | null = null;
  /** The patch embedding's kernel = stride: the patch, or the patch over the stem's size. */
  readonly patchKernel: number[];
  readonly patchWeight: Tensor;
  readonly patchBias: Tensor;
  readonly cls: Tensor;
  readonly pos: Tensor;
  readonly blocks: Block[];
  readonly norm: LayerNorm;
  readonly head: Linear;
  readonly flat: Linear | null;
  readonly grid: number[];
  readonly is2d: boolean;

  constructor(store: ParamStore, readonly name: string, readonly cfg: VisionConfig, embedDim: number) {
    this.is2d = cfg.size[0] === 1 && cfg.patch[0] === 1;
    this.grid = cfg.size.map((s, i) => s / cfg.patch[i]);
    const patches = this.grid.reduce((a, b) => a * b, 1);
    const stem = this.is2d ? undefined : cfg.stem;
    if (stem) {
      // Filters widened by `overlap` voxels a side (config `stem`), at the same stride.
      const kernel = stem.size.map((s) => s + 2 * (stem.overlap ?? 0));
      const fan = kernel.reduce((a, b) => a * b, 1);
      // Kaiming-uniform for a GELU that follows: keeps the stem's output spread near its input's.
      this.stemWeight = store.param(`${name}.patch_embed.stem.weight`, [stem.channels, 1, ...kernel], { uniform: Math.sqrt(6 / fan) });
      this.stemBias = store.param(`${name}.patch_embed.stem.bias`, [stem.channels], 'zeros', { decay: false });
      // Starts quiet (std 0.02, as ViT's linear maps). Measured in BIUD `tiny` (README, runs SM-patch,
      // SM-global, SMq-patch, seed 1): zero-shot 0.705 / 0.707 at init 1/√channels and 0.699 at
      // 0.02, against 0.773 without: Emphysema reaches 1.00 and most other findings lose, so off.
      if (cfg.stemMax) this.stemMax = new Linear(store, `${name}.patch_embed.stem_max`, stem.channels, cfg.width);
    }
    const stats = this.is2d ? undefined : cfg.stats;
    if (stats) {
      const sk = (this.statsKernel = cfg.patch.map((p, i) => p / stats.cell[i]));
      const fan = statsChannels(stats) * sk.reduce((a, b) => a * b, 1);
      this.statsWeight = store.param(`${name}.patch_embed.stats_proj.weight`, [cfg.width, statsChannels(stats), ...sk], { uniform: 1 / Math.sqrt(fan) });
      this.statsBias = store.param(`${name}.patch_embed.stats_proj.bias`, [cfg.width], 'zeros', { decay: false });
    }
    const st = this.is2d ? undefined : cfg.standardise;
    if (st?.voxels) this.voxelNorm = standardiser(store, `${name}.patch_embed.input_norm`, [1, 1, ...cfg.size]);
    if (st?.stats && stats) this.statsNorm = standardiser(store, `${name}.patch_embed.stats_norm`, [1, statsChannels(stats), ...cfg.size.map((s, i) => s / stats.cell[i])]);
    const k = (this.patchKernel = this.is2d ? cfg.patch.slice(1) : stem ? cfg.patch.map((p, i) => p / stem.size[i]) : cfg.patch);
    const cin = stem?.channels ?? 1;
    const fanIn = cin * k.reduce((a, b) => a * b, 1);
    this.patchWeight = store.param(`${name}.patch_embed.proj.weight`, [cfg.width, cin, ...k], { uniform: 1 / Math.sqrt(fanIn) });
    this.patchBias = store.param(`${name}.patch_embed.proj.bias`, [cfg.width], 'zeros', { decay: false });
    this.cls = store.param(`${name}.cls_token`, [1, 1, cfg.width], { normal: 0.02 }, { decay: false });
    this.pos = store.param(`${name}.pos_embed`, [1, patches + 1, cfg.width], { normal: 0.02 }, { decay: false });
    this.blocks = Array.from({ length: cfg.depth }, (_, i) => new Block(store, `${name}.blocks.${i}`, cfg.width, cfg.heads, cfg.mlpRatio));
    this.norm = new LayerNorm(store, `${name}.norm`, cfg.width);
    this.head = new Linear(store, `${name}.head`, cfg.width, embedDim);
    const T = patches + 1;
    this.flat = cfg.pool === 'flat' ? new Linear(store, `${name}.pool_proj`, T * cfg.width, cfg.width, { std: 1 / Math.sqrt(T * cfg.width) }) : null;
    if (cfg.poolMax) this.poolMax = new Linear(store, `${name}.pool_max`, cfg.width, cfg.width);
  }

  /** x: [B, 1, D, H, W] (3-D) or [B, 1, H, W] (2-D), already windowed to [0, 1]. */
  forward(x: Tensor): VisionOutput {
    const B = x.shape[0];
    const W = this.cfg.width;
    const cls = ops.expand(this.cls, [B, 1, W]);
    const { tokens, stemGlobalMax } = this.embed(x);
    let h = ops.add(ops.concat([cls, tokens], 1), this.pos);
    for (const b of this.blocks) h = b.forward(h);
    h = this.norm.forward(h);
    // Pooling uses every token, not [CLS] alone: at initialisation the residual branches are
    // small, so [CLS] is nearly the same vector for every input (cosines ≈ 1) and contrastive
    // training spends its first hundreds of steps just breaking that symmetry; the patch tokens
    // differ from the start. 'mean' averages them. 'flat' (micro, tiny) maps all of them at once,
    // [B, T·W] → [B, W]: a finding is a few voxels in one place (a calcified coronary, a nodule),
    // and a mean over 65 tokens of a two-block encoder dilutes it 65-fold and forgets where it
    // was. Measured on `tiny` trained supervised (bench/diagnose/supervised-ceiling.ts 300 1e-3
    // 0.1): held-out AUC 0.604 → 0.670; on its own training volumes 0.67 → 0.82.
    // At 1,025 tokens (small, base) the map would be 67M+ weights, so those keep the mean.
    let pooled = this.flat ? this.flat.forward(h.reshape([B, -1])) : ops.mean(h, 1);
    if (stemGlobalMax) pooled = ops.add(pooled, stemGlobalMax);
    // The tokens' maximum (config `poolMax`): both poolings are linear in the tokens, so "a
    // nodule in any one patch" is a different direction for each of the 64 patches and needs the
    // two blocks to route it; a channel's maximum over the patches is one number wherever it is.
    // Unlike the stem's maxima (runs SM in the README), these are LayerNorm'd token values, so no
    // single loud input (an emphysematous hole) can swamp the vector. [CLS] is left out: it is
    // one learnt vector plus attention, not a place in the volume. Measured in BIUD `tiny` (README,
    // runs PM): zero-shot 0.711 and 0.730 at seeds 1 and 2, against 0.773 and 0.746 without, and
    // Lung nodule no better (0.67, 0.56 against 0.70), so off.
    if (this.poolMax) pooled = ops.add(pooled, this.poolMax.forward(ops.max(ops.slice(h, 1, 1, h.shape[1]), 1)));
    return { embedding: this.head.forward(pooled), tokens: h, cls: pooled };
  }

  /**
   * Set the standardisation (config `standardise`) from `rounds` batches of training volumes
   * ([B, 1, D, H, W], windowed): each feature's mean over them, and its spread with a floor, so
   * that a feature constant over the training set (air outside the body) is not blown up.
   * Returns the number of volumes used.
   */
  fitStandardisation(volumes: (round: number) => Tensor, rounds: number): number {
    const e = this.patchWeight.engine;
    const targets = [this.voxelNorm, this.statsNorm].filter((n): n is Standardiser => n !== null);
    if (!targets.length) return 0;
    const sums = targets.map((n) => ({ n, s: e.keep(e.zeros(n.mean.shape)), q: e.keep(e.zeros(n.mean.shape)) }));
    let count = 0;
    e.noGrad(() => {
      for (let r = 0; r < rounds; r++) {
        e.scope(() => {
          const x = volumes(r);
          count += x.shape[0];
          const v = centreCt(x);
          for (const a of sums) {
            const f = a.n === this.voxelNorm ? v : encoderStats(v, this.cfg.stats!);
            ops.addInto(a.s, ops.sum(f, 0, true));
            ops.addInto(a.q, ops.sum(ops.square(f), 0, true));
          }
        });
      }
      for (const a of sums) {
        e.scope(() => {
          const mean = ops.scale(a.s, 1 / count);
          const variance = ops.relu(ops.sub(ops.scale(a.q, 1 / count), ops.square(mean)));
          e.copy(mean, a.n.mean);
          e.copy(ops.sqrt(ops.affine(variance, 1, STD_FLOOR * STD_FLOOR)), a.n.std);
        });
        a.s.dispose();
        a.q.dispose();
      }
    });
    return count;
  }

  /** The patch tokens [B, patches, width] before [CLS] and the position embedding. */
  embedPatches(x: Tensor): Tensor {
    return this.embed(x).tokens;
  }

  /** The patch tokens, and with `stemMax: 'global'` the stem's mapped whole-volume maxima [B, width]. */
  private embed(x: Tensor): { tokens: Tensor; stemGlobalMax: Tensor | null } {
    const conv = this.is2d ? ops.conv2d : ops.conv3d;
    // CT input standardised around the windowed chest's typical value and spread (air ≈ 0.1,
    // soft tissue ≈ 0.75): the patch embedding then sees contrasts rather than a large shared
    // offset that the token LayerNorms largely normalise away.
    let xin = this.is2d ? x : centreCt(x);
    // A stem turns each small cube of voxels into features with a nonlinearity before the patch
    // embedding sums them: a linear map of a whole 16³ patch sees a 2-voxel nodule or plaque as
    // a 1/4096 share of its input; a filter the size of the finding fires on it wherever it is.
    // In BIUD `tiny` (16 filters of 4³, with the standardised statistics below): zero-shot 0.774
    // against 0.755 without (README, runs ST and N2), `tiny`'s default.
    const stem = this.stemWeight && this.cfg.stem;
    const voxels = xin;
    // Standardisation (config `standardise`, fitted on training volumes): a feature's spread over
    // patients differs by place and kind, by tens of times (a lung cell's maximum moves by
    // hundreds of HU when a vessel crosses it, its mean by tens; air outside the body not at all),
    // so a learnt map that starts at one scale for all hears the loud ones first. Dividing each
    // by its own spread gives every feature one unit of variation, as the linear diagnostic does
    // (bench/diagnose/cell-statistics.ts); subtracting each voxel's mean leaves what differs from
    // the average chest. In BIUD `tiny` (README, runs S8, N2, N1): zero-shot 0.720 with the
    // statistics as they are, 0.755 with them standardised, 0.733 with the voxels standardised
    // too, so `tiny` standardises the statistics only.
    if (this.voxelNorm) xin = standardise(xin, this.voxelNorm);
    if (stem) xin = ops.gelu(conv(xin, this.stemWeight!, this.stemBias, { stride: stem.size, padding: stem.overlap ?? 0 }));
    let p = conv(xin, this.patchWeight, this.patchBias, { stride: this.patchKernel, padding: 0 });
    // The stem's maxima: the patch embedding is linear in the stem's features, so a filter that
    // fires on a nodule is again a different direction at each of a patch's 64 stem cells; its
    // maximum over the patch (or the volume) is one number wherever the nodule lies.
    let stemPatchMax: Tensor | null = null;
    let stemGlobalMax: Tensor | null = null;
    if (stem && this.stemMax) {
      const B = x.shape[0], C = stem.channels;
      const kernel = this.cfg.stemMax === 'patch' ? this.patchKernel : xin.shape.slice(2);
      const m = ops.maxPool3d(xin, { kernel, stride: kernel });
      if (this.cfg.stemMax === 'patch') stemPatchMax = this.stemMax.forward(ops.permute(m.reshape([B, C, -1]), [0, 2, 1]));
      else stemGlobalMax = this.stemMax.forward(m.reshape([B, C]));
    }
    // Cell statistics: a patch embedding is linear in its 4,096 voxels, so a finding a few voxels
    // across that may sit anywhere in the patch (a calcified plaque, a nodule, an emphysematous
    // hole) is one faint direction among thousands, and a different one at each position. The
    // maximum, minimum and spread of each small cell turn it into a large change of one number,
    // wherever in the cell it is. Fixed features, no weights; the learnt part is the map of each
    // patch's cells into its token, added to the patch embedding. Measured with the labels
    // (bench/diagnose/cell-statistics.ts): a linear model on these statistics of 8³ cells of the
    // 960 `tiny` training volumes reaches 0.83 held-out AUC (16³-block histograms of 256: 0.77).
    // In BIUD `tiny` (300 steps) they raised the CT embeddings' label-prototype ceiling from 0.73
    // to 0.75 but not zero-shot (0.720 against 0.717: README, run S8) until each was standardised
    // (above): 0.755 (run N2), and 0.774 with the stem as well (run ST, `tiny`'s default).
    const cs = this.statsWeight && this.cfg.stats;
    if (cs) {
      let s = encoderStats(voxels, cs);
      if (this.statsNorm) s = standardise(s, this.statsNorm);
      p = ops.add(p, conv(s, this.statsWeight!, this.statsBias, { stride: this.statsKernel!, padding: 0 }));
    }
    // [B, W, g…] → [B, patches, W]
    const tokens = ops.permute(p.reshape([x.shape[0], this.cfg.width, -1]), [0, 2, 1]);
    return { tokens: stemPatchMax ? ops.add(tokens, stemPatchMax) : tokens, stemGlobalMax };
  }
}
