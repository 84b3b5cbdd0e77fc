// avg / max pool3d, forward and backward: shaders/pool.wgsl. (Being written: the agreed signature.)
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';

export interface PoolOptions {
  kernel: number | readonly number[];
  /** Defaults to the kernel (PyTorch). */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
}

/** x [N, C, D, H, W] → [N, C, D', H', W'] (F.avg_pool3d, count_include_pad=True). */
export function avgPool3d(x: Tensor, opts: PoolOptions): Tensor {
  void x; void opts;
  throw new BiudError('avgPool3d is not implemented yet');
}

/** x [N, C, D, H, W] → [N, C, D', H', W'] (F.max_pool3d). */
export function maxPool3d(x: Tensor, opts: PoolOptions): Tensor {
  void x; void opts;
  throw new BiudError('maxPool3d is not implemented yet');
}
