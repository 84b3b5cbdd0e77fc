// GELU: shaders/gelu.wgsl. (Being written.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

/** x·Φ(x) with the exact erf form ('none', PyTorch's default) or the tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  void x; void approximate;
  throw new BiudError('gelu is not implemented yet');
}
