// AdamW as one fused kernel over a ParamStore's slab, with global-norm gradient clipping:
// shaders/adamw.wgsl (the update rule is stated there). One step records at most three
// dispatches, the Σg² reduction (two passes over a long slab) and the update, and reads nothing
// back: the clip factor is computed on the GPU from the reduction's result.
import src from '../../shaders/adamw.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import type { ParamStore } from '../params.ts';
import { BiudError } from '../errors.ts';
import { sumOfSquares } from '../ops/reduce.ts';

const kernel = new Kernel('adamw.update', src, 'update');
const WG = 64;
/** vec4s per thread (the shader's PER): 1.5–2× over one on SwiftShader. */
const PER = 4;

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip gradients to this global L2 norm before the update (off when undefined). */
  maxGradNorm?: number;
  /** Compute the global gradient norm (`gradNorm`) even without clipping. */
  trackGradNorm?: boolean;
}

/** What a checkpoint keeps of the optimiser: the step count and both moment slabs. */
export interface AdamWState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export class AdamW {
  step = 0;
  private m: GPUBuffer;
  private v: GPUBuffer;
  private norm: Tensor;
  private dummySumsq: Tensor;
  private destroyed = false;

  constructor(readonly store: ParamStore, readonly opts: AdamWOptions) {
    if (!store.paramSlab || !store.gradSlab) throw new BiudError('AdamW: the ParamStore is not finalized: call store.finalize() after building the model, then create the optimiser');
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, maxGradNorm } = opts;
    const bad = (what: string, x: number, ok: boolean) => {
      if (!ok || !Number.isFinite(x)) throw new BiudError(`AdamW: ${what} is ${x}`);
    };
    bad('lr (must be ≥ 0)', opts.lr, opts.lr >= 0);
    bad('beta1 (must be in [0, 1))', beta1, beta1 >= 0 && beta1 < 1);
    bad('beta2 (must be in [0, 1))', beta2, beta2 >= 0 && beta2 < 1);
    bad('eps (must be ≥ 0)', eps, eps >= 0);
    bad('weightDecay (must be ≥ 0)', weightDecay, weightDecay >= 0);
    if (maxGradNorm !== undefined) bad('maxGradNorm (must be > 0)', maxGradNorm, maxGradNorm > 0);
    if (store.length % 4 !== 0) throw new BiudError(`AdamW: the slab holds ${store.length} floats, not a multiple of 4 (ParamStore aligns parameters to 4)`);
    const e = store.engine;
    this.m = e.createFixedBuffer(store.length * 4, 'adamw.m');
    this.v = e.createFixedBuffer(store.length * 4, 'adamw.v');
    this.norm = e.keep(e.zeros([1]));
    this.dummySumsq = e.keep(e.zeros([1]));
  }

  private get computesNorm(): boolean {
    return this.opts.maxGradNorm !== undefined || this.opts.trackGradNorm === true;
  }

  /**
   * The global gradient norm of the last update (before clipping), on the GPU: read it when
   * convenient (`await opt.gradNorm.item()`). Null unless clipping or `trackGradNorm`.
   */
  get gradNorm(): Tensor | null {
    return this.computesNorm ? this.norm : null;
  }

  /** One update of every parameter from its gradient; `lr` overrides opts.lr (schedules). */
  update(lr = this.opts.lr): void {
    if (this.destroyed) throw new BiudError('AdamW: update() after destroy()');
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new BiudError(`AdamW: lr is ${lr}`);
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, maxGradNorm } = this.opts;
    const store = this.store;
    const e = store.engine;
    if (!store.paramSlab || !store.gradSlab) throw new BiudError('AdamW: the ParamStore was destroyed');
    this.step++;
    const t = this.step;
    const bytes = store.length * 4;
    const slab = (buffer: GPUBuffer): GPUBufferBinding => ({ buffer, offset: 0, size: bytes });
    let sumsq = this.dummySumsq;
    if (this.computesNorm) {
      const grads = store.flatGrads();
      sumsq = sumOfSquares(grads);
      grads.dispose();
    }
    e.dispatch(kernel, {
      bindings: { p: slab(store.paramSlab), g: slab(store.gradSlab), m: slab(this.m), v: slab(this.v), sumsq, norm_out: this.norm },
      uniforms: {
        n4: store.length / 4, decay_end: store.decayEnd, clip: this.computesNorm ? 1 : 0, _pad: 0,
        beta1, beta2, one_minus_beta1: 1 - beta1, one_minus_beta2: 1 - beta2,
        decay: 1 - lr * weightDecay, step_size: lr / (1 - beta1 ** t), bc2_sqrt: Math.sqrt(1 - beta2 ** t), eps,
        // Tracking the norm without clipping: a bound no norm reaches keeps the factor at 1.
        max_norm: maxGradNorm ?? 3.4e38,
      },
      workgroups: e.grid1d(Math.ceil(store.length / 4 / PER), WG),
      constants: { PER },
    });
    if (sumsq !== this.dummySumsq) sumsq.dispose();
  }

  /** The step count and both moment slabs, for a checkpoint (reads the GPU). */
  async state(): Promise<AdamWState> {
    const e = this.store.engine;
    const read = async (buffer: GPUBuffer) => {
      const view = e.view(buffer, 0, [this.store.length]);
      try {
        return (await view.data()) as Float32Array;
      } finally {
        view.dispose();
      }
    };
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  /** Restore what state() returned (same model layout). */
  loadState(s: AdamWState): void {
    const n = this.store.length;
    if (s.m.length !== n || s.v.length !== n) {
      throw new BiudError(`AdamW.loadState: the state holds ${s.m.length} / ${s.v.length} moments, this model's slab ${n}: it belongs to another model layout`);
    }
    if (!Number.isInteger(s.step) || s.step < 0) throw new BiudError(`AdamW.loadState: step must be a non-negative integer, got ${s.step}`);
    const e = this.store.engine;
    for (const [buffer, data] of [[this.m, s.m], [this.v, s.v]] as const) {
      const view = e.view(buffer, 0, [n]);
      e.write(view, data);
      view.dispose();
    }
    this.step = s.step;
  }

  /** Release the optimiser state. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const e = this.store.engine;
    // Work already recorded may still use the moments: submit it before the buffers go.
    e.flush();
    e.destroyFixedBuffer(this.m);
    e.destroyFixedBuffer(this.v);
    this.norm.dispose();
    this.dummySumsq.dispose();
  }
}

// ------------------------------------------------------------------ CPU reference

/**
 * PyTorch's AdamW on the CPU in float32 steps, for `grads` one array per step; returns the final
 * parameters. `decayEnd`: elements [0, decayEnd) take weight decay (default: all); `lrs`: a
 * learning rate per step (default: opts.lr throughout).
 */
export function adamwRef(param: ArrayLike<number>, grads: ArrayLike<number>[], opts: AdamWOptions & { decayEnd?: number; lrs?: readonly number[] }): Float32Array {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, maxGradNorm } = opts;
  const n = param.length;
  const decayEnd = opts.decayEnd ?? n;
  const f = Math.fround;
  const p = Float32Array.from(param);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  grads.forEach((g, s) => {
    const t = s + 1;
    const lr = opts.lrs?.[s] ?? opts.lr;
    let c = 1;
    if (maxGradNorm !== undefined) {
      let ss = 0;
      for (let i = 0; i < n; i++) ss += g[i] * g[i];
      c = Math.min(1, maxGradNorm / (Math.sqrt(ss) + 1e-6));
    }
    const decay = f(1 - lr * weightDecay);
    const stepSize = f(lr / (1 - beta1 ** t));
    const bc2 = f(Math.sqrt(1 - beta2 ** t));
    for (let i = 0; i < n; i++) {
      const gi = f(g[i] * c);
      if (i < decayEnd) p[i] = f(p[i] * decay);
      m[i] = f(f(m[i] * beta1) + f(gi * f(1 - beta1)));
      v[i] = f(f(v[i] * beta2) + f(f(gi * gi) * f(1 - beta2)));
      p[i] = f(p[i] - f(stepSize * f(m[i] / f(f(f(Math.sqrt(v[i])) / bc2) + eps))));
    }
  });
  return p;
}
