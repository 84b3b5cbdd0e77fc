// The X-ray expert (teacher): a 2-D ViT over radiographs and its own text encoder, trained with
// CLIP on X-ray–report pairs (stage 1), then frozen. Its parameters live in their own slab, so
// it saves, loads and freezes as one unit (`xray_expert.safetensors`).
import type { Tensor } from '../engine/tensor.ts';
import { ParamStore } from '../engine/params.ts';
import type { Engine } from '../engine/engine.ts';
import * as ops from '../engine/ops/index.ts';
import { VisionEncoder } from './vision-encoder.ts';
import { TextEncoder, type TextBatch } from './text-encoder.ts';
import { Temperature } from './losses.ts';
import type { BiudConfig } from './config.ts';

/**
 * Pretrained experts shipped in the repository, by config: stage 1 done once (the command is in
 * data/PROVENANCE.md), so a run can start with stage 2 as the paper's does. Others are trained.
 */
export const PRETRAINED_EXPERT: Partial<Record<string, string>> = {
  tiny: 'data/pretrained/xray-expert-tiny.safetensors',
};

export class XrayExpert {
  readonly store: ParamStore;
  readonly image: VisionEncoder;
  readonly text: TextEncoder;
  readonly temperature: Temperature;

  constructor(engine: Engine, readonly cfg: BiudConfig, vocabSize: number) {
    this.store = new ParamStore(engine, cfg.seed + 101);
    this.image = new VisionEncoder(this.store, 'xray_expert.image_encoder', cfg.expert.image, cfg.embedDim);
    this.text = new TextEncoder(this.store, 'xray_expert.text_encoder', cfg.expert.text, vocabSize, cfg.embedDim);
    this.temperature = new Temperature(this.store, 'xray_expert.logit_scale', cfg.loss.temperature);
    this.store.finalize();
  }

  /** CLIP loss of a batch of radiographs [B, 1, H, W] and their reports. */
  clipLoss(images: Tensor, reports: TextBatch): Tensor {
    const img = this.image.forward(images).embedding;
    const txt = this.text.forward(reports).embedding;
    return ops.contrastiveLoss(img, txt, null, this.temperature.value());
  }

  /** Image features (no gradient: the expert is frozen once trained). */
  encodeImages(images: Tensor): Tensor {
    return images.engine.noGrad(() => this.image.forward(images).embedding);
  }

  encodeText(reports: TextBatch): Tensor {
    return reports.ids.engine.noGrad(() => this.text.forward(reports).embedding);
  }
}
