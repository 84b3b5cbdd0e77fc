// Layers with PyTorch names and layouts, so checkpoints move to and from PyTorch unchanged:
// Linear weight [out, in], LayerNorm weight/bias [C], a timm-style ViT block
// (`norm1`, `attn.qkv`, `attn.proj`, `norm2`, `mlp.fc1`, `mlp.fc2`).
import type { Tensor } from '../engine/tensor.ts';
import type { ParamStore } from '../engine/params.ts';
import * as ops from '../engine/ops/index.ts';

export class Linear {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(store: ParamStore, name: string, readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; std?: number } = {}) {
    // ViT/BERT initialise linear weights with a truncated normal of std 0.02.
    this.weight = store.param(`${name}.weight`, [outFeatures, inFeatures], { normal: opts.std ?? 0.02 });
    this.bias = opts.bias === false ? null : store.param(`${name}.bias`, [outFeatures], 'zeros', { decay: false });
  }
  /** y = x·Wᵀ + b over the last axis. */
  forward(x: Tensor): Tensor {
    const y = ops.matmul(x, this.weight, { transB: true });
    return this.bias ? ops.add(y, this.bias) : y;
  }
}

export class LayerNorm {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(store: ParamStore, name: string, dim: number, readonly eps = 1e-6) {
    this.weight = store.param(`${name}.weight`, [dim], 'ones', { decay: false });
    this.bias = store.param(`${name}.bias`, [dim], 'zeros', { decay: false });
  }
  forward(x: Tensor): Tensor {
    return ops.layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class Mlp {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(store: ParamStore, name: string, dim: number, hidden: number) {
    this.fc1 = new Linear(store, `${name}.fc1`, dim, hidden);
    this.fc2 = new Linear(store, `${name}.fc2`, hidden, dim);
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(ops.gelu(this.fc1.forward(x)));
  }
}

/** Split [B, T, H·dh] into heads [B, H, T, dh]. */
export function toHeads(x: Tensor, heads: number): Tensor {
  const [B, T, C] = x.shape;
  return ops.permute(x.reshape([B, T, heads, C / heads]), [0, 2, 1, 3]);
}

/** Merge heads [B, H, T, dh] into [B, T, H·dh]. */
export function fromHeads(x: Tensor): Tensor {
  const [B, H, T, dh] = x.shape;
  return ops.permute(x, [0, 2, 1, 3]).reshape([B, T, H * dh]);
}

export interface AttentionMasks {
  /** int32 [B, Tk]: 1 = attend (with `segments`: segment ids, 0 = padding). */
  keyMask?: Tensor | null;
  causal?: boolean;
  /** keyMask holds segment ids: attention stays inside a segment (ops.attention). */
  segments?: boolean;
}

/** Multi-head self-attention with a fused qkv projection (timm's `attn.qkv`, `attn.proj`). */
export class SelfAttention {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(store: ParamStore, name: string, readonly dim: number, readonly heads: number) {
    this.qkv = new Linear(store, `${name}.qkv`, dim, 3 * dim);
    this.proj = new Linear(store, `${name}.proj`, dim, dim);
  }
  forward(x: Tensor, masks: AttentionMasks = {}): Tensor {
    const [B, T] = x.shape;
    const dh = this.dim / this.heads;
    // [B, T, 3·C] → [3, B, H, T, dh]: one copy, then q, k, v are slices of the leading axis.
    const qkv = ops.permute(this.qkv.forward(x).reshape([B, T, 3, this.heads, dh]), [2, 0, 3, 1, 4]);
    const part = (i: number) => ops.slice(qkv, 0, i, i + 1).reshape([B, this.heads, T, dh]);
    const o = ops.attention(part(0), part(1), part(2), { keyMask: masks.keyMask ?? null, causal: masks.causal ?? false, segments: masks.segments ?? false });
    return this.proj.forward(fromHeads(o));
  }
}

/** Multi-head cross-attention: queries from x, keys and values from a memory (the CT tokens). */
export class CrossAttention {
  readonly q: Linear;
  readonly kv: Linear;
  readonly proj: Linear;
  constructor(store: ParamStore, name: string, readonly dim: number, memoryDim: number, readonly heads: number) {
    this.q = new Linear(store, `${name}.q`, dim, dim);
    this.kv = new Linear(store, `${name}.kv`, memoryDim, 2 * dim);
    this.proj = new Linear(store, `${name}.proj`, dim, dim);
  }
  forward(x: Tensor, memory: Tensor, memoryMask: Tensor | null = null): Tensor {
    const [B, Tm] = memory.shape;
    const dh = this.dim / this.heads;
    const kv = ops.permute(this.kv.forward(memory).reshape([B, Tm, 2, this.heads, dh]), [2, 0, 3, 1, 4]);
    const part = (i: number) => ops.slice(kv, 0, i, i + 1).reshape([B, this.heads, Tm, dh]);
    const o = ops.attention(toHeads(this.q.forward(x), this.heads), part(0), part(1), { keyMask: memoryMask });
    return this.proj.forward(fromHeads(o));
  }
}

/** Pre-LN transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)). */
export class Block {
  readonly norm1: LayerNorm;
  readonly attn: SelfAttention;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  constructor(store: ParamStore, name: string, dim: number, heads: number, mlpRatio = 4, eps = 1e-6) {
    this.norm1 = new LayerNorm(store, `${name}.norm1`, dim, eps);
    this.attn = new SelfAttention(store, `${name}.attn`, dim, heads);
    this.norm2 = new LayerNorm(store, `${name}.norm2`, dim, eps);
    this.mlp = new Mlp(store, `${name}.mlp`, dim, Math.round(dim * mlpRatio));
  }
  forward(x: Tensor, masks: AttentionMasks = {}): Tensor {
    const h = ops.add(x, this.attn.forward(this.norm1.forward(x), masks));
    return ops.add(h, this.mlp.forward(this.norm2.forward(h)));
  }
}

/** Rows scaled to unit L2 norm: x / √(Σx² + ε). */
export function l2normalize(x: Tensor, eps = 1e-12): Tensor {
  const n = ops.sqrt(ops.addScalar(ops.sum(ops.square(x), -1, true), eps));
  return ops.div(x, n);
}
