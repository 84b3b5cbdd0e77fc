// Softmax and log-softmax along an axis: shaders/softmax.wgsl. (Being written.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

export function softmax(x: Tensor, axis = -1): Tensor {
  void x; void axis;
  throw new BiudError('softmax is not implemented yet');
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  void x; void axis;
  throw new BiudError('logSoftmax is not implemented yet');
}
