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
      const fan = stem.size.reduce((a, b) => a * b, 1);
      // Kaiming-uniform for a GELU that follows: keeps the stem's output spread near its input's.
      this.stemWeight = store.param(`${name}.patch_embed.stem.weight`, [stem.channels, 1, ...stem.size], { uniform: Math.sqrt(6 / fan) });
      this.stemBias = store.param(`${name}.patch_embed.stem.bias`, [stem.channels], 'zeros', { decay: false });
    }
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
  }

  /** x: [B, 1, D, H, W] (3-D) or [B, 1, H, W] (2-D), already windowed to [0, 1]. */
  forward(x: Tensor): VisionOutput {
    const B = x.shape[0];
    const W = this.cfg.width;
    const cls = ops.expand(this.cls, [B, 1, W]);
    let h = ops.add(ops.concat([cls, this.embedPatches(x)], 1), this.pos);
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
    const pooled = this.flat ? this.flat.forward(h.reshape([B, -1])) : ops.mean(h, 1);
    return { embedding: this.head.forward(pooled), tokens: h, cls: pooled };
  }

  /** The patch tokens [B, patches, width] before [CLS] and the position embedding. */
  embedPatches(x: Tensor): Tensor {
    const conv = this.is2d ? ops.conv2d : ops.conv3d;
    // CT input standardised around the windowed chest's typical value and spread (air ≈ 0.1,
    // soft tissue ≈ 0.75): the patch embedding then sees contrasts rather than a large shared
    // offset that the token LayerNorms largely normalise away.
    let xin = this.is2d ? x : ops.affine(x, 1 / CT_STD, -CT_MEAN / CT_STD);
    // A stem turns each small cube of voxels into features with a nonlinearity before the patch
    // embedding sums them: a linear map of a whole 16³ patch sees a 2-voxel nodule or plaque as
    // a 1/4096 share of its input; a filter the size of the finding fires on it wherever it is.
    const stem = this.stemWeight && this.cfg.stem;
    if (stem) xin = ops.gelu(conv(xin, this.stemWeight!, this.stemBias, { stride: stem.size, padding: 0 }));
    const p = conv(xin, this.patchWeight, this.patchBias, { stride: this.patchKernel, padding: 0 });
    // [B, W, g…] → [B, patches, W]
    return ops.permute(p.reshape([x.shape[0], this.cfg.width, -1]), [0, 2, 1]);
  }
}
