// conv3d / conv2d (any kernel, stride, padding), forward and both backward passes: shaders/conv.wgsl.
// (Being written: this is the agreed signature.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

export interface ConvOptions {
  /** One value for every spatial axis, or one per axis ([d, h, w] / [h, w]). */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
}

/** x [N, Cin, D, H, W], w [Cout, Cin, kD, kH, kW], b [Cout] or null → [N, Cout, D', H', W'] (PyTorch F.conv3d). */
export function conv3d(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions = {}): Tensor {
  void x; void w; void b; void opts;
  throw new BiudError('conv3d is not implemented yet');
}

/** x [N, Cin, H, W], w [Cout, Cin, kH, kW], b [Cout] or null → [N, Cout, H', W'] (conv3d with depth 1). */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions = {}): Tensor {
  void x; void w; void b; void opts;
  throw new BiudError('conv2d is not implemented yet');
}
