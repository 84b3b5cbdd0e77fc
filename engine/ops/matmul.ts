// Matrix multiply, batched, either operand transposed: shaders/matmul.wgsl.
//
//   C = op(A)·op(B);   dA = dC·op(B)ᵀ (transposed back if A was),   dB = op(A)ᵀ·dC (likewise).
import src from '../../shaders/matmul.wgsl';
import { Kernel } from '../kernel.ts';
import { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { WG } from './elementwise.ts';
import { sumToShape } from './reduce.ts';

const naive = new Kernel('matmul.naive', src, 'naive');

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

interface Plan {
  M: number;
  N: number;
  K: number;
  batch: number;
  batchShape: number[];
  aBatched: boolean;
  bBatched: boolean;
}

/** Shapes: a [..., M, K], b [..., K, N] (or [K, N] shared by the batch); transposes swap the last two. */
export function plan(aShape: readonly number[], bShape: readonly number[], transA: boolean, transB: boolean): Plan {
  if (aShape.length < 2 || bShape.length < 2) throw new BiudError(`matmul needs matrices, got [${aShape}] and [${bShape}]`);
  const [am, ak] = aShape.slice(-2);
  const [bk, bn] = bShape.slice(-2);
  const M = transA ? ak : am;
  const K = transA ? am : ak;
  const Kb = transB ? bn : bk;
  const N = transB ? bk : bn;
  if (K !== Kb) {
    throw new BiudError(
      `matmul: inner dimensions differ: [${aShape}]${transA ? 'ᵀ' : ''} · [${bShape}]${transB ? 'ᵀ' : ''} (${K} vs ${Kb})`,
    );
  }
  const ab = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const aBatch = ab.reduce((p, d) => p * d, 1);
  const bBatch = bb.reduce((p, d) => p * d, 1);
  let batchShape: number[];
  if (ab.length && bb.length) {
    if (ab.length !== bb.length || ab.some((d, i) => d !== bb[i])) {
      throw new BiudError(`matmul: batch dimensions differ: [${aShape}] · [${bShape}]`);
    }
    batchShape = ab;
  } else batchShape = ab.length ? ab : bb;
  const batch = Math.max(aBatch, bBatch);
  return { M, N, K, batch, batchShape, aBatched: ab.length > 0, bBatched: bb.length > 0 };
}

/** Record the kernel: c = alpha · op(a)·op(b). */
export function launchMatmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean, alpha = 1): Tensor {
  const p = plan(a.shape, b.shape, transA, transB);
  const e = a.engine;
  const c = e.empty([...p.batchShape, p.M, p.N]);
  e.dispatch(naive, {
    bindings: { a, b, c },
    uniforms: {
      M: p.M, N: p.N, K: p.K, batch: p.batch,
      stride_a: p.aBatched ? p.M * p.K : 0, stride_b: p.bBatched ? p.K * p.N : 0, alpha, _pad: 0,
    },
    workgroups: e.grid1d(p.batch * p.M * p.N, WG),
    constants: { TA: transA ? 1 : 0, TB: transB ? 1 : 0 },
  });
  return c;
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const ta = opts.transA ?? false;
  const tb = opts.transB ?? false;
  for (const t of [a, b]) if (t.dtype !== 'float32') throw new BiudError(`matmul: needs float32 tensors, got ${t}`);
  const c = launchMatmul(a, b, ta, tb);
  return record('matmul', [a, b], c, (gc) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      // d op(A) = dC · op(B)ᵀ; if A was transposed, dA = (dC · op(B)ᵀ)ᵀ = op(B) · dCᵀ.
      ga = ta ? launchMatmul(b, gc, tb, true) : launchMatmul(gc, b, false, !tb);
      if (!plan(a.shape, b.shape, ta, tb).aBatched && ga.rank > 2) ga = sumBatch(ga, a.shape);
    }
    if (b.requiresGrad) {
      const bShared = b.rank === 2 && a.rank > 2;
      if (bShared) {
        // B shared by the batch: fold the batch into M, one matmul sums over it.
        const a2 = ta ? null : a.reshape([-1, a.shape[a.rank - 1]]);
        const g2 = gc.reshape([-1, gc.shape[gc.rank - 1]]);
        if (a2) {
          gb = tb ? launchMatmul(g2, a2, true, false) : launchMatmul(a2, g2, true, false);
          a2.dispose();
        } else {
          const full = tb ? launchMatmul(gc, a, true, true) : launchMatmul(a, gc, !ta, false);
          gb = sumBatch(full, b.shape);
        }
        g2.dispose();
      } else {
        gb = tb ? launchMatmul(gc, a, true, ta) : launchMatmul(a, gc, !ta, false);
      }
    }
    return [ga, gb];
  });
}

function sumBatch(g: Tensor, shape: readonly number[]): Tensor {
  const r = sumToShape(g.reshape([-1, ...shape]), [1, ...shape]);
  g.dispose();
  return r.reshape([...shape]);
}

/** Reference: C = op(A)·op(B) over row-major arrays with the same batch rules. */
export function matmulRef(a: ArrayLike<number>, aShape: readonly number[], b: ArrayLike<number>, bShape: readonly number[], opts: MatmulOptions = {}): { data: Float32Array; shape: number[] } {
  const ta = opts.transA ?? false;
  const tb = opts.transB ?? false;
  const p = plan(aShape, bShape, ta, tb);
  const out = new Float32Array(p.batch * p.M * p.N);
  for (let bi = 0; bi < p.batch; bi++) {
    const ao = p.aBatched ? bi * p.M * p.K : 0;
    const bo = p.bBatched ? bi * p.K * p.N : 0;
    for (let m = 0; m < p.M; m++) {
      for (let n = 0; n < p.N; n++) {
        let acc = 0;
        for (let k = 0; k < p.K; k++) {
          const av = ta ? a[ao + k * p.M + m] : a[ao + m * p.K + k];
          const bv = tb ? b[bo + n * p.K + k] : b[bo + k * p.N + n];
          acc += av * bv;
        }
        out[(bi * p.M + m) * p.N + n] = acc;
      }
    }
  }
  return { data: out, shape: [...p.batchShape, p.M, p.N] };
}
