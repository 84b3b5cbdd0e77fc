// A tensor: a shape, a dtype and a range of one GPUBuffer. Storage is shared by views
// (reshape) and reference-counted; the buffer returns to the engine's pool when the last
// tensor over it is disposed.
import type { Engine } from './engine.ts';
import type { TapeNode } from './autograd.ts';
import { BiudError } from './errors.ts';
import { reshape } from './ops/shape.ts';
import { backward } from './autograd.ts';

export type DType = 'float32' | 'int32';
export type TypedArrayOf<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

/**
 * A range of a GPUBuffer that one or more tensors read. `owned` storage goes back to the pool.
 * `buffer` is null only for parameters declared but not yet allocated (see ParamStore).
 */
export class Storage {
  refs = 0;
  constructor(
    public buffer: GPUBuffer | null,
    public offset: number,
    readonly byteLength: number,
    readonly owned: boolean,
  ) {}
}

let nextId = 1;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape: readonly number[], what = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new BiudError(`${what} [${shape.join(', ')}] has a dimension that is not a non-negative integer`);
  }
}

export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** Set by ops that record on the tape; null for leaves. */
  node: TapeNode | null = null;
  /** Leaves with requiresGrad receive their gradient here (accumulated across backward calls). */
  grad: Tensor | null = null;
  requiresGrad = false;
  /** Parameter name (PyTorch module path) or a debugging label. */
  name?: string;
  private disposed = false;

  constructor(
    readonly engine: Engine,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly storage: Storage,
  ) {
    this.size = numel(shape);
    storage.refs++;
    engine.track(this);
  }

  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The bytes this tensor covers, as a buffer binding. */
  binding(): GPUBufferBinding {
    if (this.disposed) throw new BiudError(`tensor #${this.id}${this.name ? ` (${this.name})` : ''} [${this.shape}] was used after dispose()`);
    if (!this.storage.buffer) throw new BiudError(`parameter ${this.name ?? '#' + this.id} was used before its ParamStore was finalized: call store.finalize() after building the model`);
    return { buffer: this.storage.buffer, offset: this.storage.offset, size: Math.max(4, this.size * 4) };
  }

  /** A view with another shape over the same storage (no copy). Records on the tape so gradients flow. */
  reshape(shape: readonly number[]): Tensor {
    return reshape(this, shape);
  }

  /** Accumulate d(this)/d(leaf) into each leaf's `.grad` (this must be a scalar unless `seed` is given). */
  backward(seed?: Tensor): void {
    backward(this, seed);
  }

  /** Copy to the CPU. The one way data leaves the GPU: it flushes pending work and waits for it. */
  data(): Promise<TypedArrayOf<this['dtype']>> {
    return this.engine.read(this) as Promise<TypedArrayOf<this['dtype']>>;
  }

  /** Read a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new BiudError(`item() needs a one-element tensor, this one has shape [${this.shape}]`);
    return (await this.data())[0];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.node?.saved ?? []) t.dispose();
    this.node = null;
    this.engine.untrack(this);
    if (--this.storage.refs === 0) this.engine.releaseStorage(this.storage);
  }

  toString(): string {
    return `Tensor#${this.id}(${this.dtype}[${this.shape.join(', ')}]${this.name ? ' ' + this.name : ''})`;
  }
}
