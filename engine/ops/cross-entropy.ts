// Cross-entropy fused with log-softmax, with an ignore index (masked LM): shaders/cross-entropy.wgsl.
// (Being written.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

/** Mean over rows whose label ≠ ignoreIndex of −log softmax(logits)[label]; logits [n, V], labels int32 [n]. */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  void logits; void labels; void ignoreIndex;
  throw new BiudError('crossEntropy is not implemented yet');
}
