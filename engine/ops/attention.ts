// Fused attention with online softmax, key-padding mask and causal mask: shaders/attention.wgsl.
//
//   S = q kᵀ·scale (+ mask),  P = softmax_rows(S),  out = P v.
// Forward keeps, per query row, only the logsumexp of S (no Tq×Tk matrix in memory). Backward
// (FlashAttention-2) recomputes P from q, k and that logsumexp:
//   D_i = Σ_x dO_ix O_ix,  dP = dO vᵀ,  dS = P ∘ (dP − D),
//   dq = scale·dS k,  dk = scale·dSᵀ q,  dv = Pᵀ dO.
// dq is one kernel over query rows, dk/dv one over key rows: no atomics.
//
// Causal is aligned bottom-right by default: query i sees key j iff j ≤ i + (Tk − Tq), what a
// decoder needs when Tq < Tk (new queries against a longer key cache): the last query sees every
// key. `causal: 'top-left'` is PyTorch's rule (is_causal, torch.ones(Tq, Tk).tril()): j ≤ i. The
// two agree when Tq = Tk; the kernels take either as one shift, Tk − Tq or 0.
// Segments (self-attention only): with `segments`, keyMask holds a segment id per token (0 =
// padding) and a query attends only to keys of its own segment, so one row of B can carry several
// independent sequences: several sentences of a report encoded each on its own, as a prompt is,
// at the cost of one report's row. A padding query sees every real key, as without segments.
// A query row that sees no key (all its keys masked, or one of the first Tq − Tk rows under
// bottom-right causal with Tq > Tk) gives zeros and zero gradients, where PyTorch gives NaN.
// Two builds of the kernels compute the same thing: on SwiftShader (subgroups of 4) the four
// threads of a quad share each row they stream (shaders/attention-quad.wgsl), elsewhere each
// thread reads its own (attention-plain.wgsl); attentionTuning.quad forces one.
import src from '../../shaders/attention.wgsl';
import plainSrc from '../../shaders/attention-plain.wgsl';
import quadSrc from '../../shaders/attention-quad.wgsl';
import { Kernel } from '../kernel.ts';
import type { Engine } from '../engine.ts';
import { subgroupsOf4, SUBGROUPS_OF_4 } from './subgroups.ts';
import type { Tensor } from '../tensor.ts';
import { record, needsGrad } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { WG, UNARY, launchMap } from './elementwise.ts';

export type Causal = boolean | 'bottom-right' | 'top-left';

/** Under a causal mask query i sees keys j ≤ i + shift. */
const causalShift = (causal: Causal | undefined, Tq: number, Tk: number) => (causal === 'top-left' ? 0 : Tk - Tq);

export interface AttentionOptions {
  /** true or 'bottom-right': query i attends to keys j ≤ i + (Tk − Tq); 'top-left' (PyTorch's): j ≤ i. */
  causal?: Causal;
  /** int32 [B, Tk], 1 = attend, 0 = masked out (with `segments`: a segment id, 0 = masked out). */
  keyMask?: Tensor | null;
  /** keyMask holds segment ids; query i attends to key j only if their ids are equal (or i's is 0). Needs Tq = Tk. */
  segments?: boolean;
  /** Defaults to 1/√d. */
  scale?: number;
}

const PLAIN = `${src}\n${plainSrc}`;
// The quad build trades inside loops whose bounds WGSL's uniformity analysis cannot prove equal
// across the quad; slot() and quad_max/quad_min make them so, hence the diagnostic's off switch.
const QUAD = `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${src}\n${quadSrc}`;
const K = {
  forward: new Kernel('attention.forward', PLAIN, 'forward'),
  prep: new Kernel('attention.backward_prep', PLAIN, 'backward_prep'),
  dq: new Kernel('attention.backward_dq', PLAIN, 'backward_dq'),
  dkdv: new Kernel('attention.backward_dkdv', PLAIN, 'backward_dkdv'),
  quad: {
    forward: new Kernel('attention.forward.quad', QUAD, 'forward'),
    dq: new Kernel('attention.backward_dq.quad', QUAD, 'backward_dq'),
    dkdv: new Kernel('attention.backward_dkdv.quad', QUAD, 'backward_dkdv'),
  },
};

/** Largest head size the kernels hold in registers: the WGSL's `Row`. */
export const MAX_HEAD_DIM = 128;

/**
 * Rows a thread owns in each kernel: 1, 2 or 4 (null: the default below). More rows mean more
 * arithmetic per value read from storage, which is what software adapters are short of
 * (PLATFORM.md), and more registers. Tests and benchmarks set these to reach every variant.
 */
export const attentionTuning: { forwardRows: number | null; dqRows: number | null; dkdvRows: number | null; quad: boolean | null } = {
  forwardRows: null,
  dqRows: null,
  dkdvRows: null,
  /** Share streamed rows across a quad (null: wherever the adapter has subgroups of 4). */
  quad: null,
};

/** Whether the streaming kernels run their quad build on this engine (attentionTuning.quad, else where they can). */
export function attentionQuad(e: Engine): boolean {
  if (attentionTuning.quad === false) return false;
  if (!subgroupsOf4(e)) {
    if (attentionTuning.quad) throw new BiudError(`attentionTuning.quad: the quad build ${SUBGROUPS_OF_4}; this adapter has not`);
    return false;
  }
  return true;
}

/**
 * Measured on SwiftShader (CPU time per kernel, d = 32, 64, 128; scratch/attention/kern.ts):
 * 4 rows win everywhere (1.5–3× over 1 row) except dk/dv at d ≤ 32, where 2 rows are ~10% faster.
 * On a hardware GPU fewer, lighter threads would likely do better; that is not measured here.
 */
function rowsFor(kernel: 'forward' | 'dq' | 'dkdv', p: Plan): number {
  const set = kernel === 'forward' ? attentionTuning.forwardRows : kernel === 'dq' ? attentionTuning.dqRows : attentionTuning.dkdvRows;
  if (set !== null) {
    if (set !== 1 && set !== 2 && set !== 4) throw new BiudError(`attentionTuning: rows per thread must be 1, 2 or 4, got ${set}`);
    return set;
  }
  return kernel === 'dkdv' && p.D16 <= 2 ? 2 : 4;
}

export interface AttentionDims {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  d: number;
}

/** Validate shapes: q [B, H, Tq, d], k and v [B, H, Tk, d], keyMask [B, Tk]. */
export function attentionDims(qShape: readonly number[], kShape: readonly number[], vShape: readonly number[], maskShape?: readonly number[] | null): AttentionDims {
  const s = (x: readonly number[]) => `[${x.join(', ')}]`;
  const all = `q ${s(qShape)}, k ${s(kShape)}, v ${s(vShape)}`;
  for (const [name, sh] of [['q', qShape], ['k', kShape], ['v', vShape]] as const) {
    if (sh.length !== 4) throw new BiudError(`attention: ${name} must be [batch, heads, tokens, d], got ${s(sh)} (${all})`);
  }
  const [B, H, Tq, d] = qShape;
  const Tk = kShape[2];
  if (kShape[0] !== B || kShape[1] !== H || vShape[0] !== B || vShape[1] !== H) {
    throw new BiudError(`attention: batch and heads of q, k and v differ: ${all}`);
  }
  if (kShape[3] !== d) throw new BiudError(`attention: q and k must have the same head size d: ${all} (${d} vs ${kShape[3]})`);
  if (vShape[3] !== d) throw new BiudError(`attention: v must have the head size of q and k: ${all} (${d} vs ${vShape[3]})`);
  if (vShape[2] !== Tk) throw new BiudError(`attention: k and v must have the same number of tokens: ${all}`);
  if (maskShape && (maskShape.length !== 2 || maskShape[0] !== B || maskShape[1] !== Tk)) {
    throw new BiudError(`attention: keyMask must be [batch, key tokens] = [${B}, ${Tk}], got ${s(maskShape)} (${all})`);
  }
  return { B, H, Tq, Tk, d };
}

/** softmax(q kᵀ·scale + mask) v; q [B, H, Tq, d], k and v [B, H, Tk, d] → [B, H, Tq, d]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const mask = opts.keyMask ?? null;
  for (const [name, t] of [['q', q], ['k', k], ['v', v]] as const) {
    if (t.dtype !== 'float32') throw new BiudError(`attention: ${name} must be float32, got ${t}`);
  }
  if (mask && mask.dtype !== 'int32') throw new BiudError(`attention: keyMask must be int32 [batch, key tokens] (1 = attend, 0 = masked), got ${mask}`);
  if (q.engine !== k.engine || q.engine !== v.engine || (mask && mask.engine !== q.engine)) throw new BiudError('attention: the tensors belong to different engines');
  const dims = attentionDims(q.shape, k.shape, v.shape, mask?.shape);
  if (dims.d > MAX_HEAD_DIM) {
    throw new BiudError(`attention: head size d = ${dims.d} is over the fused kernel's limit of ${MAX_HEAD_DIM} (q [${q.shape}]); split the heads further`);
  }
  const segments = opts.segments ?? false;
  if (segments && !mask) throw new BiudError('attention: segments need a keyMask holding the segment ids');
  if (segments && dims.Tq !== dims.Tk) throw new BiudError(`attention: segments are for self-attention (Tq = Tk), got Tq = ${dims.Tq}, Tk = ${dims.Tk}`);
  const scale = opts.scale ?? 1 / Math.sqrt(dims.d);
  if (!Number.isFinite(scale)) throw new BiudError(`attention: scale must be a finite number, got ${scale}`);
  if (dims.B * dims.H * dims.Tq * dims.Tk * dims.d === 0) {
    // Nothing to attend to (or nothing asks): zeros, and zero gradients. Also keeps the kernels
    // from binding empty buffers, which vec4 bindings refuse.
    const e = q.engine;
    return record('attention', [q, k, v], e.zeros(q.shape), () => [e.zeros(q.shape), e.zeros(k.shape), e.zeros(v.shape)]);
  }
  const plan = makePlan(dims, scale, opts.causal ?? false, mask, segments);

  const [qp, kp, vp] = [q, k, v].map((t) => padRows(t, plan));
  const { out: op, lse } = launchForward(plan, qp, kp, vp);
  for (const [t, p] of [[q, qp], [k, kp], [v, vp]]) if (p !== t) p.dispose();
  const out = unpadRows(op, q.shape, plan);
  if (!needsGrad(q, k, v)) {
    lse.dispose();
    return out;
  }
  return record('attention', [q, k, v], out, (gy) => {
    const grads = attentionBackward(plan, q, k, v, out, lse, gy);
    lse.dispose();
    const wanted = (g: Tensor, x: Tensor) => {
      if (x.requiresGrad) return g;
      g.dispose();
      return null;
    };
    return [wanted(grads.dq, q), wanted(grads.dk, k), wanted(grads.dv, v)];
  });
}

interface Plan extends AttentionDims {
  scale: number;
  causal: boolean;
  /** Query i sees keys j ≤ i + shift under the causal mask. */
  shift: number;
  mask: Tensor | null;
  segments: boolean;
  /** Row length in blocks of 16 floats; rows are zero-padded to 16·D16 when d is no multiple of 16. */
  D16: number;
}

function makePlan(dims: AttentionDims, scale: number, causal: Causal, mask: Tensor | null, segments: boolean): Plan {
  return { ...dims, scale, causal: causal !== false, shift: causalShift(causal, dims.Tq, dims.Tk), mask, segments, D16: Math.ceil(dims.d / 16) };
}

function uniforms(p: Plan) {
  return { BH: p.B * p.H, H: p.H, Tq: p.Tq, Tk: p.Tk, shift: p.shift, scale: p.scale, _pad0: 0, _pad1: 0 };
}

/** Threads for `rows` rows at R a thread: whole quads per (b, h) in the quad build (attention.wgsl, slot()). */
function threads(p: Plan, rows: number, R: number, quad: boolean): number {
  const blocks = Math.ceil(rows / R);
  return p.B * p.H * (quad ? Math.ceil(blocks / 4) * 4 : blocks);
}

function constants(p: Plan, rows: number) {
  return { WG, R: rows, D16: p.D16, CAUSAL: p.causal ? 1 : 0, MASKED: p.mask ? 1 : 0, SEGMENTED: p.segments ? 1 : 0 };
}

/** x [..., d] as rows of 16·D16 floats (zero-padded; the same tensor when d is a multiple of 16). */
function padRows(x: Tensor, p: Plan): Tensor {
  const dp = 16 * p.D16;
  if (dp === p.d) return x;
  const rows = x.size / p.d;
  const y = x.engine.zeros([rows, dp]);
  if (rows > 0) launchMap(UNARY.copy, [rows, p.d], { tensor: x, strides: [p.d, 1] }, { tensor: y, strides: [dp, 1] });
  return y;
}

/** The inverse of padRows: drop the padding columns, giving `shape`. Disposes `y` if it copies. */
function unpadRows(y: Tensor, shape: readonly number[], p: Plan): Tensor {
  const dp = 16 * p.D16;
  if (dp === p.d) return y;
  const rows = y.size / dp;
  const out = y.engine.empty(shape);
  if (rows > 0) launchMap(UNARY.copy, [rows, p.d], { tensor: y, strides: [dp, 1] }, { tensor: out, strides: [p.d, 1] });
  y.dispose();
  return out;
}

function launchForward(p: Plan, q: Tensor, k: Tensor, v: Tensor): { out: Tensor; lse: Tensor } {
  const e = q.engine;
  const R = rowsFor('forward', p);
  const quad = attentionQuad(e);
  const out = e.empty([p.B, p.H, p.Tq, 16 * p.D16]);
  const lse = e.empty([p.B, p.H, p.Tq]);
  e.dispatch(quad ? K.quad.forward : K.forward, {
    bindings: { q, k, v, key_mask: p.mask ?? q, out, lse_out: lse },
    uniforms: uniforms(p),
    workgroups: e.grid1d(threads(p, p.Tq, R, quad), WG),
    constants: constants(p, R),
  });
  return { out, lse };
}

function attentionBackward(p: Plan, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, gy: Tensor): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const e = q.engine;
  const [qp, kp, vp, op, gp] = [q, k, v, out, gy].map((t) => padRows(t, p));
  const stats = e.empty([p.B * p.H * p.Tq * 2]);
  e.dispatch(K.prep, {
    bindings: { o: op, dout: gp, lse, stats_out: stats },
    uniforms: uniforms(p),
    workgroups: e.grid1d(p.B * p.H * p.Tq, WG),
    constants: { WG, D16: p.D16 },
  });
  const dq = e.empty([p.B, p.H, p.Tq, 16 * p.D16]);
  const Rq = rowsFor('dq', p);
  const quad = attentionQuad(e);
  e.dispatch(quad ? K.quad.dq : K.dq, {
    bindings: { q: qp, k: kp, v: vp, key_mask: p.mask ?? qp, dout: gp, stats, dq },
    uniforms: uniforms(p),
    workgroups: e.grid1d(threads(p, p.Tq, Rq, quad), WG),
    constants: constants(p, Rq),
  });
  const dk = e.empty([p.B, p.H, p.Tk, 16 * p.D16]);
  const dv = e.empty([p.B, p.H, p.Tk, 16 * p.D16]);
  const Rk = rowsFor('dkdv', p);
  e.dispatch(quad ? K.quad.dkdv : K.dkdv, {
    bindings: { q: qp, k: kp, v: vp, key_mask: p.mask ?? qp, dout: gp, stats, dk, dv },
    uniforms: uniforms(p),
    workgroups: e.grid1d(threads(p, p.Tk, Rk, quad), WG),
    constants: constants(p, Rk),
  });
  stats.dispose();
  for (const [t, x] of [[q, qp], [k, kp], [v, vp], [out, op], [gy, gp]]) if (x !== t) x.dispose();
  return { dq: unpadRows(dq, q.shape, p), dk: unpadRows(dk, k.shape, p), dv: unpadRows(dv, v.shape, p) };
}

// ------------------------------------------------------------------ CPU references

export interface AttentionRefOptions {
  causal?: Causal;
  /** [B, Tk], nonzero = attend (with `segments`: segment ids). */
  keyMask?: ArrayLike<number> | null;
  segments?: boolean;
  scale?: number;
}

/** P = softmax(q kᵀ·scale + mask) for every (b, h), materialised: [B·H, Tq, Tk]; rows that see no key are 0. */
function probabilitiesRef(q: ArrayLike<number>, k: ArrayLike<number>, dims: AttentionDims, opts: AttentionRefOptions): Float64Array {
  const { B, H, Tq, Tk, d } = dims;
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  const shift = causalShift(opts.causal, Tq, Tk);
  const P = new Float64Array(B * H * Tq * Tk);
  const s = new Float64Array(Tk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      for (let i = 0; i < Tq; i++) {
        let max = -Infinity;
        for (let j = 0; j < Tk; j++) {
          const sq = opts.segments && opts.keyMask ? opts.keyMask[b * Tk + i] : 0;
          const visible =
            (!opts.keyMask || opts.keyMask[b * Tk + j] !== 0) && (!opts.causal || j <= i + shift) && (sq === 0 || sq === opts.keyMask![b * Tk + j]);
          if (!visible) {
            s[j] = -Infinity;
            continue;
          }
          let dot = 0;
          for (let x = 0; x < d; x++) dot += q[(bh * Tq + i) * d + x] * k[(bh * Tk + j) * d + x];
          s[j] = dot * scale;
          max = Math.max(max, s[j]);
        }
        if (max === -Infinity) continue;
        let sum = 0;
        for (let j = 0; j < Tk; j++) sum += Math.exp(s[j] - max);
        for (let j = 0; j < Tk; j++) P[(bh * Tq + i) * Tk + j] = Math.exp(s[j] - max) / sum;
      }
    }
  }
  return P;
}

/** Reference forward: [B, H, Tq, d] as a flat array. */
export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dims: AttentionDims, opts: AttentionRefOptions = {}): Float32Array {
  const { B, H, Tq, Tk, d } = dims;
  const P = probabilitiesRef(q, k, dims, opts);
  const out = new Float32Array(B * H * Tq * d);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < Tq; i++) {
      for (let x = 0; x < d; x++) {
        let acc = 0;
        for (let j = 0; j < Tk; j++) acc += P[(bh * Tq + i) * Tk + j] * v[(bh * Tk + j) * d + x];
        out[(bh * Tq + i) * d + x] = acc;
      }
    }
  }
  return out;
}

/** Reference backward: gradients of Σ out·gy with respect to q, k and v. */
export function attentionBackwardRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, gy: ArrayLike<number>, dims: AttentionDims, opts: AttentionRefOptions = {}): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { B, H, Tq, Tk, d } = dims;
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  const P = probabilitiesRef(q, k, dims, opts);
  const dq = new Float32Array(B * H * Tq * d);
  const dk = new Float32Array(B * H * Tk * d);
  const dv = new Float32Array(B * H * Tk * d);
  const dS = new Float64Array(Tk);
  for (let bh = 0; bh < B * H; bh++) {
    const dkb = new Float64Array(Tk * d);
    const dvb = new Float64Array(Tk * d);
    for (let i = 0; i < Tq; i++) {
      const row = (bh * Tq + i) * Tk;
      // dP_ij = gy_i·v_j;  dS_ij = P_ij (dP_ij − Σ_l P_il dP_il).
      let rowDot = 0;
      for (let j = 0; j < Tk; j++) {
        let dp = 0;
        for (let x = 0; x < d; x++) dp += gy[(bh * Tq + i) * d + x] * v[(bh * Tk + j) * d + x];
        dS[j] = dp;
        rowDot += P[row + j] * dp;
      }
      for (let j = 0; j < Tk; j++) dS[j] = P[row + j] * (dS[j] - rowDot);
      for (let x = 0; x < d; x++) {
        let acc = 0;
        for (let j = 0; j < Tk; j++) acc += dS[j] * k[(bh * Tk + j) * d + x];
        dq[(bh * Tq + i) * d + x] = scale * acc;
      }
      for (let j = 0; j < Tk; j++) {
        for (let x = 0; x < d; x++) {
          dkb[j * d + x] += scale * dS[j] * q[(bh * Tq + i) * d + x];
          dvb[j * d + x] += P[row + j] * gy[(bh * Tq + i) * d + x];
        }
      }
    }
    dk.set(dkb, bh * Tk * d);
    dv.set(dvb, bh * Tk * d);
  }
  return { dq, dk, dv };
}
