// Fused attention with online softmax, key-padding mask and causal mask: shaders/attention.wgsl.
// (Being written: the agreed signature.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

export interface AttentionOptions {
  /** Query i attends to keys j ≤ i + (Tk − Tq). */
  causal?: boolean;
  /** int32 [B, Tk], 1 = attend, 0 = masked out. */
  keyMask?: Tensor | null;
  /** Defaults to 1/√d. */
  scale?: number;
}

/** softmax(q kᵀ·scale + mask) v; q [B, H, Tq, d], k and v [B, H, Tk, d] → [B, H, Tq, d]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  void q; void k; void v; void opts;
  throw new BiudError('attention is not implemented yet');
}
