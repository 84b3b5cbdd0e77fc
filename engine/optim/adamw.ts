// AdamW as one fused kernel over a ParamStore's slab, with global-norm gradient clipping:
// shaders/adamw.wgsl. (Being written: the agreed interface.)
import type { ParamStore } from '../params.ts';
import { BiudError } from '../errors.ts';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip gradients to this global L2 norm before the update (off when undefined). */
  maxGradNorm?: number;
}

export class AdamW {
  step = 0;
  constructor(readonly store: ParamStore, readonly opts: AdamWOptions) {}
  /** One update of every parameter from its gradient; `lr` overrides opts.lr (schedules). */
  update(lr?: number): void {
    void lr;
    throw new BiudError('AdamW is not implemented yet');
  }
  /** Release the optimiser state. */
  destroy(): void {}
}
