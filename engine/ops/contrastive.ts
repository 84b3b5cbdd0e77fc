// Contrastive (InfoNCE) loss with soft targets, fused: shaders/contrastive.wgsl. (Being written.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

/**
 * Rows of img and txt [n, d] are L2-normalised; logits = img·txtᵀ / temperature;
 * loss = ½ (mean_i −Σ_j T_ij log softmax_j(logits_i) + mean_j −Σ_i T_ij log softmax_i(logits_·j)).
 * targets [n, n] (no gradient) or null for the identity. temperature: a number, or a [1] tensor
 * (learnable; receives a gradient).
 */
export function contrastiveLoss(img: Tensor, txt: Tensor, targets: Tensor | null, temperature: number | Tensor): Tensor {
  void img; void txt; void targets; void temperature;
  throw new BiudError('contrastiveLoss is not implemented yet');
}
