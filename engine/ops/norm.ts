// LayerNorm over the last axis, forward and backward: shaders/layernorm.wgsl. (Being written.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

/** (x − mean) / √(var + eps) · gamma + beta over the last axis; gamma and beta [C]. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  void x; void gamma; void beta; void eps;
  throw new BiudError('layerNorm is not implemented yet');
}
