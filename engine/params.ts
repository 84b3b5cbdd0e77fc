// Parameters live in one slab: every parameter is a view into one GPUBuffer, and its gradient a
// view at the same offset of a second one. So the optimiser is one fused dispatch over the slab,
// zeroing gradients is one clearBuffer, and the global gradient norm is one reduction.
//
// A model declares its parameters while it is built (`store.param(...)` returns a tensor at
// once); `store.finalize()` then allocates the slabs and uploads the initial values. Parameters
// without weight decay (biases, norms, embeddings by choice) are placed after those with it, so
// the optimiser needs only the boundary.
import type { Engine } from './engine.ts';
import { Tensor, Storage, numel } from './tensor.ts';
import { BiudError } from './errors.ts';

export type Init = Float32Array | 'zeros' | 'ones' | { normal: number } | { uniform: number } | ((n: number) => Float32Array);

interface Spec {
  name: string;
  shape: number[];
  init: Init;
  decay: boolean;
  tensor: Tensor;
}

export class ParamStore {
  private specs: Spec[] = [];
  private byName = new Map<string, Spec>();
  /** Set by finalize(). */
  paramSlab: GPUBuffer | null = null;
  gradSlab: GPUBuffer | null = null;
  /** Floats in each slab (padding between parameters included). */
  length = 0;
  /** Elements [0, decayEnd) take weight decay. */
  decayEnd = 0;
  private grads: Tensor[] = [];

  constructor(readonly engine: Engine, private seed = 1234) {}

  /**
   * Declare a parameter by its PyTorch module path (`ct_encoder.blocks.0.attn.qkv.weight`).
   * `decay: false` exempts it from weight decay.
   */
  param(name: string, shape: readonly number[], init: Init, opts: { decay?: boolean } = {}): Tensor {
    if (this.paramSlab) throw new BiudError(`parameter ${name} declared after finalize()`);
    if (this.byName.has(name)) throw new BiudError(`parameter ${name} declared twice`);
    const storage = new Storage(null, 0, numel(shape) * 4, false); // placed by finalize()
    const t = new Tensor(this.engine, [...shape], 'float32', storage);
    this.engine.keep(t);
    t.name = name;
    t.requiresGrad = true;
    const spec: Spec = { name, shape: [...shape], init, decay: opts.decay ?? true, tensor: t };
    this.specs.push(spec);
    this.byName.set(name, spec);
    return t;
  }

  get(name: string): Tensor {
    const s = this.byName.get(name);
    if (!s) throw new BiudError(`no parameter named ${name}`);
    return s.tensor;
  }

  /** Parameters in declaration order. */
  get list(): Tensor[] {
    return this.specs.map((s) => s.tensor);
  }

  get names(): string[] {
    return this.specs.map((s) => s.name);
  }

  get count(): number {
    return this.specs.reduce((n, s) => n + numel(s.shape), 0);
  }

  /** Allocate the slabs and upload the initial values. */
  finalize(): void {
    if (this.paramSlab) return;
    const e = this.engine;
    const align = Math.max(e.limits.minStorageBufferOffsetAlignment, 16) / 4; // in floats
    const order = [...this.specs.filter((s) => s.decay), ...this.specs.filter((s) => !s.decay)];
    const offsets = new Map<Spec, number>();
    let off = 0;
    for (const s of order) {
      if (!s.decay && this.decayEnd === 0) this.decayEnd = off;
      offsets.set(s, off);
      off += Math.ceil(numel(s.shape) / align) * align;
    }
    if (order.every((s) => s.decay)) this.decayEnd = off;
    this.length = off;
    this.paramSlab = e.createFixedBuffer(off * 4, 'parameters');
    this.gradSlab = e.createFixedBuffer(off * 4, 'gradients');
    const host = new Float32Array(off);
    let rng = this.seed >>> 0;
    const next = () => {
      rng = (rng + 0x6d2b79f5) >>> 0;
      let t = rng;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (const s of this.specs) {
      const o = offsets.get(s)!;
      const n = numel(s.shape);
      s.tensor.storage.buffer = this.paramSlab;
      s.tensor.storage.offset = o * 4;
      host.set(initValues(s, n, next), o);
      const g = e.view(this.gradSlab, o * 4, s.shape);
      e.keep(g);
      s.tensor.grad = g;
      this.grads.push(g);
    }
    e.device.queue.writeBuffer(this.paramSlab, 0, host);
    this.zeroGrad();
  }

  zeroGrad(): void {
    if (!this.gradSlab) return;
    const all = this.engine.view(this.gradSlab, 0, [this.length]);
    this.engine.clear(all);
    all.dispose();
  }

  /** The whole parameter / gradient slab as one flat tensor view. */
  flatParams(): Tensor {
    return this.engine.view(this.paramSlab!, 0, [this.length]);
  }
  flatGrads(): Tensor {
    return this.engine.view(this.gradSlab!, 0, [this.length]);
  }

  /** Copy all parameters to the CPU (for checkpoints), by name. */
  async read(): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
    const flat = this.flatParams();
    const all = (await flat.data()) as Float32Array;
    flat.dispose();
    const out = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const s of this.specs) {
      const o = s.tensor.storage.offset / 4;
      out.set(s.name, { data: all.slice(o, o + numel(s.shape)), shape: s.shape });
    }
    return out;
  }

  /** Overwrite parameters by name (a checkpoint). Lists every missing, unexpected or mis-shaped name. */
  load(values: Map<string, { data: Float32Array; shape: readonly number[] }>, what = 'checkpoint'): void {
    const problems: string[] = [];
    for (const s of this.specs) {
      const v = values.get(s.name);
      if (!v) problems.push(`missing ${s.name} [${s.shape}]`);
      else if (v.shape.length !== s.shape.length || v.shape.some((d, i) => d !== s.shape[i])) problems.push(`${s.name}: shape [${v.shape}] in the ${what}, [${s.shape}] in the model`);
    }
    for (const k of values.keys()) if (!this.byName.has(k)) problems.push(`unexpected ${k}`);
    if (problems.length) throw new BiudError(`the ${what} does not match this model (${problems.length} problems):\n  ${problems.join('\n  ')}`);
    for (const s of this.specs) this.engine.write(s.tensor, values.get(s.name)!.data);
  }

  /** Release the slabs. */
  destroy(): void {
    for (const g of this.grads) g.dispose();
    for (const s of this.specs) s.tensor.dispose();
    if (this.paramSlab) this.engine.destroyFixedBuffer(this.paramSlab);
    if (this.gradSlab) this.engine.destroyFixedBuffer(this.gradSlab);
    this.paramSlab = this.gradSlab = null;
  }
}

function initValues(s: Spec, n: number, rand: () => number): Float32Array {
  const init = s.init;
  if (init instanceof Float32Array) {
    if (init.length !== n) throw new BiudError(`parameter ${s.name}: ${init.length} initial values for shape [${s.shape}]`);
    return init;
  }
  if (typeof init === 'function') return init(n);
  if (init === 'zeros') return new Float32Array(n);
  if (init === 'ones') return new Float32Array(n).fill(1);
  const out = new Float32Array(n);
  if ('normal' in init) {
    // Box–Muller, truncated at 2σ like timm's trunc_normal_.
    for (let i = 0; i < n; i++) {
      let z: number;
      do z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      while (Math.abs(z) > 2);
      out[i] = z * init.normal;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * init.uniform;
  }
  return out;
}
