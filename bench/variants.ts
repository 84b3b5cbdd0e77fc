// Kernel variants per adapter (DESIGN.md, kernel choice): where an op has several kernels for the
// same result, each is timed alone on this adapter, and the table marks the one the engine runs
// when nobody forces a choice (and why: its rule of thumb, or a tuned measurement).
import type { Engine } from '../engine/engine.ts';
import type { Tensor } from '../engine/tensor.ts';
import * as ops from '../engine/ops/index.ts';
import { launchMatmul, matmulChoices, matmulKey, matmulUnavailable, plan, MATMUL_VARIANTS, type MatmulVariant } from '../engine/ops/matmul.ts';
import { attentionQuad, attentionTuning } from '../engine/ops/attention.ts';
import { subgroupsOf4, SUBGROUPS_OF_4 } from '../engine/ops/subgroups.ts';
import { rand } from './cases.ts';
import { gflops, median, round, type VariantResult } from './stats.ts';
import { runsPerBatch, timeBatch, type Side, type TimingOptions } from './timing.ts';

interface Candidate {
  variant: string;
  run: () => void;
  /** Why it cannot run here, found before timing. */
  error?: string;
}

/** Time candidates interleaved (round by round); median ms per run of each. */
async function timeCandidates(e: Engine, cands: Candidate[], o: TimingOptions): Promise<Map<string, number | string>> {
  const out = new Map<string, number | string>();
  const live: { c: Candidate; side: Side; n: number; xs: number[] }[] = [];
  for (const c of cands) {
    if (c.error) {
      out.set(c.variant, c.error);
      continue;
    }
    const side: Side = { run: () => e.scope(() => c.run()), sync: () => e.sync() };
    try {
      await timeBatch(side, 1); // compiles
      const one = await timeBatch(side, 1);
      live.push({ c, side, n: runsPerBatch(one, o.batchMs / 2), xs: [] });
    } catch (err) {
      out.set(c.variant, (err as Error).message);
    }
  }
  const rounds = Math.max(2, o.minRounds);
  for (let r = 0; r < rounds; r++) {
    // After the first round, variants over 3× slower than the best are out of the race (as in autotune).
    const fastest = r ? Math.min(...live.map((l) => l.xs[0])) : Infinity;
    for (const l of live) if (!r || l.xs[0] <= 3 * fastest) l.xs.push(await timeBatch(l.side, l.n));
  }
  for (const l of live) out.set(l.c.variant, median(l.xs));
  return out;
}

function results(op: string, shape: string, flops: number, timed: Map<string, number | string>, picked: string, source: string): VariantResult[] {
  return [...timed].map(([variant, v]) => ({
    op, shape, variant,
    ms: typeof v === 'number' ? round(v, 4) : null,
    gflops: typeof v === 'number' ? round(gflops(flops, v), 4) : null,
    picked: variant === picked, source: variant === picked ? source : undefined,
    error: typeof v === 'string' ? v : undefined,
  }));
}

/** Every matmul variant on [M,K]·[K,N]; the engine's pick is read from matmulChoices after one default launch. */
export async function matmulVariants(e: Engine, M: number, K: number, N: number, o: TimingOptions, withNaive: boolean): Promise<VariantResult[]> {
  const a = e.keep(e.tensor(rand(M * K, 21), [M, K]));
  const b = e.keep(e.tensor(rand(K * N, 22), [K, N]));
  try {
    e.scope(() => ops.matmul(a, b)); // lets the engine pick, as a model would
    const key = matmulKey(plan([M, K], [K, N], false, false), false, false);
    const choice = matmulChoices(e).find((c) => c.key === key);
    const p = plan([M, K], [K, N], false, false);
    const cands: Candidate[] = MATMUL_VARIANTS.filter((v) => withNaive || v !== 'naive').map((v: MatmulVariant) => ({
      variant: v,
      run: () => launchMatmul(a, b, false, false, 1, v),
      error: matmulUnavailable(e, v, p) ?? undefined,
    }));
    const timed = await timeCandidates(e, cands, o);
    return results('matmul', `[${M},${K}]·[${K},${N}]`, 2 * M * N * K, timed, choice?.variant ?? '', choice?.source ?? '');
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** The patch embedding (kernel = stride) as im2col + matmul (the engine's choice) against the direct kernel. */
export async function convPathVariants(e: Engine, size: [number, number, number], kernel: [number, number, number], Cout: number, o: TimingOptions): Promise<VariantResult[]> {
  const xs = [1, 1, ...size];
  const ws = [Cout, 1, ...kernel];
  const x = e.keep(e.tensor(rand(xs.reduce((p, q) => p * q, 1), 23), xs));
  const w = e.keep(e.tensor(rand(ws.reduce((p, q) => p * q, 1), 24, 0.05), ws));
  const outVox = size.reduce((p, s, i) => p * (s / kernel[i]), 1);
  const flops = 2 * Cout * outVox * kernel.reduce((p, k) => p * k, 1);
  try {
    const timed = await timeCandidates(e, [
      { variant: 'patches (im2col + matmul)', run: () => ops.conv3d(x, w, null, { stride: kernel, path: 'auto' }) },
      { variant: 'direct', run: () => ops.conv3d(x, w, null, { stride: kernel, path: 'direct' }) },
    ], o);
    return results('conv3d.fwd', `[${xs}] ∗ [${ws}] stride ${kernel.join('×')}`, flops, timed, 'patches (im2col + matmul)', 'rule');
  } finally {
    x.dispose();
    w.dispose();
  }
}

/** Rows per thread of the fused attention kernels (1, 2, 4), forward and backward; the engine's default is marked. */
export async function attentionRowVariants(e: Engine, B: number, H: number, T: number, d: number, o: TimingOptions): Promise<VariantResult[]> {
  const s = [B, H, T, d];
  const n = B * H * T * d;
  const q = e.keep(e.tensor(rand(n, 25), s)), k = e.keep(e.tensor(rand(n, 26), s)), v = e.keep(e.tensor(rand(n, 27), s));
  const gy = e.keep(e.tensor(rand(n, 28), s));
  const saved = { ...attentionTuning };
  const shape = `[${B},${H},${T},${d}]`;
  const out: VariantResult[] = [];
  try {
    for (const kernel of ['forwardRows', 'dkdvRows'] as const) {
      const cands: Candidate[] = [1, 2, 4].map((rows) => ({
        variant: `${rows} row${rows > 1 ? 's' : ''}/thread`,
        run: () => {
          attentionTuning[kernel] = rows;
          try {
            if (kernel === 'forwardRows') ops.attention(q, k, v);
            else {
              for (const t of [q, k, v]) t.requiresGrad = true;
              const y = ops.attention(q, k, v);
              y.node!.backward(gy);
              for (const t of [q, k, v]) t.requiresGrad = false;
            }
          } finally {
            attentionTuning[kernel] = saved[kernel];
          }
        },
      }));
      const timed = await timeCandidates(e, cands, o);
      // The default (attention.ts rowsFor): 4 rows, but 2 for dk/dv at d ≤ 32.
      const dflt = kernel === 'dkdvRows' && d <= 32 ? 2 : 4;
      const fwd = 4 * B * H * T * T * d;
      out.push(...results(kernel === 'forwardRows' ? 'attention.fwd' : 'attention.fwd+bwd (dk/dv rows)', shape, kernel === 'forwardRows' ? fwd : 3 * fwd, timed, `${dflt} row${dflt > 1 ? 's' : ''}/thread`, 'default'));
    }
    return out;
  } finally {
    Object.assign(attentionTuning, saved);
    [q, k, v, gy].forEach((t: Tensor) => t.dispose());
  }
}

/**
 * The fused attention kernels' two builds, forward and backward at the default rows per thread:
 * each thread reading its own rows, or a quad sharing them (shaders/attention-quad.wgsl). With
 * `masked`, a key mask with the last eighth of each row's keys off, as the report encoder runs it.
 */
export async function attentionBuildVariants(e: Engine, B: number, H: number, T: number, d: number, masked: boolean, o: TimingOptions): Promise<VariantResult[]> {
  const s = [B, H, T, d];
  const n = B * H * T * d;
  const q = e.keep(e.tensor(rand(n, 35), s)), k = e.keep(e.tensor(rand(n, 36), s)), v = e.keep(e.tensor(rand(n, 37), s));
  const gy = e.keep(e.tensor(rand(n, 38), s));
  const keyMask = masked ? e.keep(e.tensor(Int32Array.from({ length: B * T }, (_, i) => ((i % T) < T - (T >> 3) ? 1 : 0)), [B, T], 'int32')) : null;
  const saved = attentionTuning.quad;
  const picked = attentionQuad(e) ? 'quad build' : 'plain build';
  try {
    const cands: Candidate[] = [false, true].map((quad) => ({
      variant: quad ? 'quad build' : 'plain build',
      error: quad && !subgroupsOf4(e) ? SUBGROUPS_OF_4 : undefined,
      run: () => {
        attentionTuning.quad = quad;
        try {
          for (const t of [q, k, v]) t.requiresGrad = true;
          ops.attention(q, k, v, { keyMask }).node!.backward(gy);
        } finally {
          for (const t of [q, k, v]) t.requiresGrad = false;
          attentionTuning.quad = saved;
        }
      },
    }));
    const timed = await timeCandidates(e, cands, o);
    return results('attention.fwd+bwd', `[${s}]${masked ? ' key mask' : ''}`, 3 * 4 * B * H * T * T * d, timed, picked, 'rule');
  } finally {
    attentionTuning.quad = saved;
    [q, k, v, gy, keyMask].forEach((t) => t?.dispose());
  }
}
