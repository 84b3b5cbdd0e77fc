// Matrix multiply, batched, either operand transposed: shaders/matmul.wgsl (+ matmul-subgroups.wgsl).
//
//   C = alpha · op(A)·op(B);   dA = dC·op(B)ᵀ (transposed back if A was),   dB = op(A)ᵀ·dC (likewise).
//
// Several kernels compute the same product (see the WGSL's header). Which one runs is chosen per
// launch: a variant forced or measured for this shape class on this adapter (engine/autotune.ts,
// `tuneMatmul`), else a rule of thumb: register blocks on a software adapter, workgroup tiles on
// a GPU. Every variant handles every shape; they differ only in speed.
import src from '../../shaders/matmul.wgsl';
import sgSrc from '../../shaders/matmul-subgroups.wgsl';
import wideSrc from '../../shaders/matmul-subgroups-wide.wgsl';
import { subgroupsOf4, SUBGROUPS_OF_4 } from './subgroups.ts';
import { Kernel } from '../kernel.ts';
import { Tensor } from '../tensor.ts';
import type { Engine } from '../engine.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { autotune, forceChoice, tunedChoice, type TuneCase, type TuneChoice, type TuneOptions } from '../autotune.ts';
import { WG } from './elementwise.ts';
import { sumToShape } from './reduce.ts';

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

/**
 * The product as the kernels run it: a batched A times a shared B (x·W, the linear layer) is one
 * taller matrix product, since A's batch items and C's are contiguous rows; that spares every
 * batch item its own partial edge tiles. (Not when A is transposed: its batch items are then
 * column blocks.)
 */
function kernelPlan(p: Plan, ta: boolean): Plan {
  if (!p.aBatched || p.bBatched || ta || p.batch === 1) return p;
  return { ...p, M: p.M * p.batch, batch: 1, batchShape: [], aBatched: false };
}

// ---------------------------------------------------------------- variants

export const MATMUL_VARIANTS = ['naive', 'reg4x4', 'reg8x8', 'sg8x8', 'sg8x12', 'sg8x16', 'sg16x32', 'tiled'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** Whether an operand's contiguous axis is a multiple of 4 long (then it is read as vec4). */
function aligned(p: Plan, ta: boolean, tb: boolean): { va: boolean; vb: boolean } {
  return { va: (ta ? p.M : p.K) % 4 === 0, vb: (tb ? p.K : p.N) % 4 === 0 };
}

interface VariantSpec {
  /** Rows and columns of C per block, and threads per block (4 for the subgroup kernels). */
  rows: number;
  cols: number;
  lanes: number;
  subgroups?: boolean;
}

const SPECS: Record<MatmulVariant, VariantSpec> = {
  naive: { rows: 1, cols: 1, lanes: 1 },
  reg4x4: { rows: 4, cols: 4, lanes: 1 },
  reg8x8: { rows: 8, cols: 8, lanes: 1 },
  sg8x8: { rows: 32, cols: 8, lanes: 4, subgroups: true },
  sg8x12: { rows: 32, cols: 12, lanes: 4, subgroups: true },
  sg8x16: { rows: 32, cols: 16, lanes: 4, subgroups: true },
  sg16x32: { rows: 64, cols: 32, lanes: 4, subgroups: true },
  tiled: { rows: 0, cols: 0, lanes: 0 }, // its own grid, below
};

const kernels = new Map<MatmulVariant, Kernel>();
function kernel(v: MatmulVariant): Kernel {
  let k = kernels.get(v);
  if (!k) {
    // The subgroup kernels reuse matmul.wgsl's bindings and helpers; `enable` must come first.
    const source = v === 'sg16x32' ? `enable subgroups;\n${src}\n${sgSrc}\n${wideSource()}`
      : SPECS[v].subgroups ? `enable subgroups;\n${src}\n${sgSrc}` : src;
    kernels.set(v, (k = new Kernel(`matmul.${v}`, source, v)));
  }
  return k;
}

/**
 * matmul-subgroups-wide.wgsl with its markers filled: one step's operands (two halves of 4 k,
 * S = 0, 1: B's shared blocks bQ_S and the lane's rows of A aG_S), the lane's 16×32 accumulators,
 * their fma (each entry's eight k in a row: see the WGSL for why) and the stores. Row R of the
 * lane's block is column R % 4 of aR/4_S (a_blk's layout), column C is entry C % 4 of row kk of
 * bC/4_S (b_share's).
 */
export function wideSource(): string {
  const ab: string[] = [];
  const acc: string[] = [];
  const fma: string[] = [];
  const store: string[] = [];
  for (const S of [0, 1]) for (let Q = 0; Q < 8; Q++) ab.push(`    let b${Q}_${S} = b_keep(xb${Q}, k, kc + ${4 * S}u, lane, keep${S});`);
  for (let G = 0; G < 4; G++) for (const S of [0, 1]) ab.push(`    let a${G}_${S} = a_keep(xa${G}, kc + ${4 * S}u, keep${S});`);
  for (let R = 0; R < 16; R++) {
    acc.push('  ' + Array.from({ length: 32 }, (_, C) => `var c${R}_${C} = 0.0;`).join(' '));
    for (let C = 0; C < 32; C++) {
      let e = `c${R}_${C}`;
      for (const S of [0, 1]) {
        for (let kk = 0; kk < 4; kk++) e = `fma(a${R >> 2}_${S}[${R & 3}][${kk}], b${C >> 2}_${S}[${kk}][${C & 3}], ${e})`;
      }
      fma.push(`    c${R}_${C} = ${e};`);
    }
  }
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 8; q++) {
      const row = (i: number) => `vec4f(${[0, 1, 2, 3].map((j) => `c${4 * r + i}_${4 * q + j}`).join(', ')})`;
      store.push(`  store(mat4x4f(${[0, 1, 2, 3].map(row).join(', ')}), p.bi, m0 + ${4 * r}u, p.n0 + ${4 * q}u);`);
    }
  }
  const filled = wideSrc.replace('$AB', ab.join('\n')).replace('$ACC', acc.join('\n'))
    .replace('$FMA', fma.join('\n')).replace('$STORE', store.join('\n'));
  if (filled.includes('$')) throw new BiudError('matmul-subgroups-wide.wgsl: a marker was left unfilled');
  return filled;
}

/** Threads per side of the tiled variant's workgroup: 16 (64×64 tiles) where the limits allow, else 8. */
function tiledSize(e: Engine): { TS: number; TK: number } | null {
  const L = e.limits;
  for (const TS of [16, 8]) {
    const TK = 16;
    if (TS * TS <= L.maxComputeInvocationsPerWorkgroup && TS <= L.maxComputeWorkgroupSizeX && TS <= L.maxComputeWorkgroupSizeY &&
      2 * TK * (TS + 1) * 16 <= L.maxComputeWorkgroupStorageSize) return { TS, TK };
  }
  return null;
}

/** Why variant `v` cannot run this product on this engine, or null if it can. */
export function matmulUnavailable(e: Engine, v: MatmulVariant, p?: Plan): string | null {
  if (SPECS[v].subgroups && !subgroupsOf4(e)) {
    return SUBGROUPS_OF_4;
  }
  if (v === 'tiled') {
    const t = tiledSize(e);
    if (!t) {
      return `needs 64 invocations per workgroup and ${2 * 16 * 9 * 16} bytes of workgroup storage ` +
        `(maxComputeInvocationsPerWorkgroup ${e.limits.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupStorageSize ${e.limits.maxComputeWorkgroupStorageSize})`;
    }
    if (p && p.batch > e.limits.maxComputeWorkgroupsPerDimension) {
      return `a batch of ${p.batch} exceeds maxComputeWorkgroupsPerDimension (${e.limits.maxComputeWorkgroupsPerDimension})`;
    }
  }
  return null;
}

/** A software adapter runs shaders on the CPU: it wants register blocks, not workgroup memory. */
export function isSoftwareAdapter(e: Engine): boolean {
  const a = e.adapterInfo;
  return a.isFallbackAdapter || /swiftshader|lavapipe|llvmpipe|software/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}

/**
 * The choice when nothing was measured, from the adapter's kind and the shape (as measured on
 * SwiftShader in Node and Chromium, 2 cores): on a software adapter, register blocks, those with
 * subgroup-shared B unless their 32-row tiles would mostly be padding (small M), the widest of them
 * for long products; on a GPU, workgroup tiles.
 */
export function matmulRuleOfThumb(e: Engine, p?: Plan): MatmulVariant {
  if (isSoftwareAdapter(e)) {
    if (p && p.M <= 4) return 'reg4x4';
    if (!subgroupsOf4(e) || (p && Math.ceil(p.M / 32) * 32 > 1.3 * p.M)) return 'reg8x8';
    // The wide block where its 64×32 tiles are mostly full, there are enough of them to keep
    // every core busy (a workgroup runs 16 on one core: one volume's patch-embedding product,
    // [64, 4096]·[4096, 64], is 2 tiles and ran 3× slower than sg8x12), and K is long enough to
    // repay a shader that takes seconds to compile (at K = 64 it only ties sg8x12).
    const wide = p && p.K >= 128 && Math.ceil(p.M / 64) * Math.ceil(p.N / 32) * p.batch >= 64 &&
      Math.ceil(p.M / 64) * 64 <= 1.3 * p.M && Math.ceil(p.N / 32) * 32 <= 1.3 * p.N;
    if (wide) return 'sg16x32';
    // Otherwise 32×16 tiles where N is a multiple of 16 (every `tiny` product's width: 64, 128,
    // 192), else 32×12: in a `tiny` step the products took 714 / 761 ms with sg8x16 against
    // 892 / 862 with sg8x12 (bench/diagnose/step-profile.ts, two runs each, 2026-12-06), and
    // [1040,64]·[64,192] ran 5–7% faster in both benchmark runs of that day (bench/results.md).
    return p && p.N % 16 === 0 ? 'sg8x16' : 'sg8x12';
  }
  return matmulUnavailable(e, 'tiled', p) === null ? 'tiled' : 'reg8x8';
}

// Tuned choices are keyed by the kernels' text too, so that editing a kernel invalidates them.
const SOURCE_HASH = fnv1a(src + sgSrc + wideSrc);

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/**
 * The shape class a tuned choice applies to: transposes, vec4 alignment of each operand, and the
 * sizes rounded to a power of two (batch, M, N, K).
 */
export function matmulKey(p: Plan, ta: boolean, tb: boolean): string {
  p = kernelPlan(p, ta);
  const l = (x: number) => Math.round(Math.log2(Math.max(1, x)));
  const { va, vb } = aligned(p, ta, tb);
  return `matmul.${SOURCE_HASH}/${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}.${va ? 'a4' : 'a1'}${vb ? 'b4' : 'b1'}/b${l(p.batch)}m${l(p.M)}n${l(p.N)}k${l(p.K)}`;
}

export interface MatmulPick {
  variant: MatmulVariant;
  source: 'forced' | 'measured' | 'stored' | 'rule';
}

const picks = new WeakMap<Engine, Map<string, MatmulPick>>();

function pick(e: Engine, p: Plan, ta: boolean, tb: boolean): MatmulPick {
  const key = matmulKey(p, ta, tb);
  const t = tunedChoice(e, key);
  let chosen: MatmulPick;
  if (t && (MATMUL_VARIANTS as readonly string[]).includes(t.pick) && matmulUnavailable(e, t.pick as MatmulVariant, p) === null) {
    chosen = { variant: t.pick as MatmulVariant, source: t.source };
  } else {
    chosen = { variant: matmulRuleOfThumb(e, p), source: 'rule' };
  }
  let m = picks.get(e);
  if (!m) picks.set(e, (m = new Map()));
  m.set(key, chosen);
  return chosen;
}

/** The variant each shape class used on this engine, and why (for the benchmark and the profile panel). */
export function matmulChoices(e: Engine): { key: string; variant: MatmulVariant; source: MatmulPick['source'] }[] {
  return [...(picks.get(e) ?? new Map<string, MatmulPick>())].map(([key, c]) => ({ key, ...c }));
}

/** Run every matmul on this engine with `variant` (null: back to tuned choices and the rule). */
export function forceMatmulVariant(e: Engine, variant: MatmulVariant | null): void {
  const bad = variant && matmulUnavailable(e, variant);
  if (bad) throw new BiudError(`matmul variant ${variant} cannot run on this adapter: it ${bad}`);
  forceChoice(e, 'matmul.', variant);
}

// ---------------------------------------------------------------- launch

/** A and B are read as vec4 arrays: bind the tensor's range rounded up to 16 bytes (pool and slab leave room). */
function vec4Binding(t: Tensor): GPUBufferBinding {
  const b = t.binding();
  const size = Math.ceil(b.size! / 16) * 16;
  if (b.offset! + size > b.buffer.size) {
    throw new BiudError(`matmul: ${t} ends within 16 bytes of its buffer's end; matmul reads operands as vec4 and needs that padding`);
  }
  return { buffer: b.buffer, offset: b.offset, size };
}

/** Record the kernel: c = alpha · op(a)·op(b), with the variant chosen for this shape class (or `variant`). */
export function launchMatmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean, alpha = 1, variant?: MatmulVariant): Tensor {
  for (const t of [a, b]) if (t.dtype !== 'float32') throw new BiudError(`matmul: needs float32 tensors, got ${t}`);
  const full = plan(a.shape, b.shape, transA, transB);
  const e = a.engine;
  const p = kernelPlan(full, transA);
  const why = variant ? matmulUnavailable(e, variant, p) : null;
  if (why) throw new BiudError(`matmul variant ${variant} cannot run here: it ${why}`);
  const c = e.empty([...full.batchShape, full.M, full.N]);
  if (full.batch * full.M * full.N === 0) return c;
  const chosen = variant ?? pick(e, p, transA, transB).variant;
  // sg16x32's last step starts at K − 8 (matmul-subgroups-wide.wgsl); below that sg8x12, which
  // needs the same adapter, computes the same product.
  const v = chosen === 'sg16x32' && p.K < 8 ? 'sg8x12' : chosen;
  const { va, vb } = aligned(p, transA, transB);
  const uniforms = {
    M: p.M, N: p.N, K: p.K, batch: p.batch,
    stride_a: p.aBatched ? p.M * p.K : 0, stride_b: p.bBatched ? p.K * p.N : 0, alpha, _pad: 0,
  };
  const bindings = { a: vec4Binding(a), b: vec4Binding(b), c };
  const TA = transA ? 1 : 0;
  const TB = transB ? 1 : 0;
  if (v === 'naive') {
    e.dispatch(kernel(v), { bindings, uniforms, workgroups: e.grid1d(p.batch * p.M * p.N, WG), constants: { TA, TB } });
  } else if (v === 'tiled') {
    const { TS, TK } = tiledSize(e)!;
    const T = 4 * TS;
    e.dispatch(kernel(v), {
      bindings, uniforms,
      workgroups: [Math.ceil(p.N / T), Math.ceil(p.M / T), p.batch],
      constants: { TA, TB, TS, TK },
    });
  } else {
    const s = SPECS[v];
    const blocks = Math.ceil(p.M / s.rows) * Math.ceil(p.N / s.cols) * p.batch;
    e.dispatch(kernel(v), {
      bindings, uniforms,
      workgroups: e.grid1d(blocks * s.lanes, WG),
      constants: { TA, TB, VA: va ? 1 : 0, VB: vb ? 1 : 0 },
    });
  }
  return c;
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const ta = opts.transA ?? false;
  const tb = opts.transB ?? false;
  const c = launchMatmul(a, b, ta, tb);
  return record('matmul', [a, b], c, (gc) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    // The launches below are mirrored, as shapes, by gradLaunches() (for tuning): keep them in step.
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
        // d op(B) = op(A)ᵀ · dC; if B was transposed, dB = dCᵀ · op(A).
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

// ---------------------------------------------------------------- tuning

export interface MatmulShape {
  a: readonly number[];
  b: readonly number[];
  transA?: boolean;
  transB?: boolean;
}

/** The products matmul's backward launches for a forward `a·b` (as in `matmul` above). */
export function gradLaunches(s: MatmulShape): MatmulShape[] {
  const ta = s.transA ?? false;
  const tb = s.transB ?? false;
  const p = plan(s.a, s.b, ta, tb);
  const gc = [...p.batchShape, p.M, p.N];
  const out: MatmulShape[] = [];
  out.push(ta ? { a: s.b, b: gc, transA: tb, transB: true } : { a: gc, b: s.b, transA: false, transB: !tb });
  if (s.b.length === 2 && s.a.length > 2) {
    if (!ta) {
      const a2 = [s.a.slice(0, -1).reduce((x, y) => x * y, 1), s.a[s.a.length - 1]];
      const g2 = [a2[0], p.N];
      out.push(tb ? { a: g2, b: a2, transA: true, transB: false } : { a: a2, b: g2, transA: true, transB: false });
    } else {
      out.push(tb ? { a: gc, b: s.a, transA: true, transB: true } : { a: s.a, b: gc, transA: !ta, transB: false });
    }
  } else {
    out.push(tb ? { a: gc, b: s.a, transA: true, transB: ta } : { a: s.a, b: gc, transA: !ta, transB: false });
  }
  return out;
}

/**
 * Measure the matmul variants on this engine for the shape classes of `shapes` (and of their
 * backward products with `withGrads`), and keep the fastest correct one of each for later
 * launches. Explicit and asynchronous: call it before a run, never inside a step. Classes already
 * measured (in this process or stored by an earlier one) are not measured again unless `retune`.
 */
export async function tuneMatmul(
  e: Engine,
  shapes: readonly MatmulShape[],
  opts: TuneOptions & { variants?: readonly MatmulVariant[]; withGrads?: boolean } = {},
): Promise<TuneChoice[]> {
  const all = opts.withGrads ? shapes.flatMap((s) => [s, ...gradLaunches(s)]) : [...shapes];
  const done = new Map<string, TuneChoice>();
  for (const s of all) {
    const ta = s.transA ?? false;
    const tb = s.transB ?? false;
    const p = plan(s.a, s.b, ta, tb);
    if (p.batch * p.M * p.N === 0) continue;
    const key = matmulKey(p, ta, tb);
    if (done.has(key)) continue;
    const variants = opts.variants ?? MATMUL_VARIANTS.filter((v) => v !== 'naive');
    const ad = seeded(s.a.reduce((x, y) => x * y, 1), 1);
    const bd = seeded(s.b.reduce((x, y) => x * y, 1), 2);
    const probes = samplePositions(p, 48);
    const want = probes.map(([bi, m, n]) => refEntry(ad, bd, p, ta, tb, bi, m, n));
    const bench = (v: string): TuneCase | string => {
      const why = matmulUnavailable(e, v as MatmulVariant, p);
      if (why) return why;
      const at = e.keep(e.tensor(ad, s.a));
      const bt = e.keep(e.tensor(bd, s.b));
      return {
        run: () => launchMatmul(at, bt, ta, tb, 1, v as MatmulVariant),
        check: async () => {
          const c = launchMatmul(at, bt, ta, tb, 1, v as MatmulVariant);
          const got = await c.data();
          c.dispose();
          for (let i = 0; i < probes.length; i++) {
            const [bi, m, n] = probes[i];
            const g = got[(bi * p.M + m) * p.N + n];
            if (!(Math.abs(g - want[i]) <= 1e-5 * (1 + p.K) * (1 + Math.abs(want[i])))) {
              return `C[${bi}][${m}][${n}] = ${g}, expected ${want[i]}`;
            }
          }
          return null;
        },
        dispose: () => {
          at.dispose();
          bt.dispose();
        },
      };
    };
    done.set(key, await autotune(e, key, variants, bench, opts));
  }
  return [...done.values()];
}

/** Uniform values in [-1, 1) from a fixed seed (tuning inputs). */
function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Output positions to check a variant at: the corners (edge blocks) and a spread of others. */
function samplePositions(p: Plan, n: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  const last = [p.batch - 1, p.M - 1, p.N - 1];
  for (const bi of [0, last[0]]) for (const m of [0, last[1]]) for (const nn of [0, last[2]]) out.push([bi, m, nn]);
  let s = 12345;
  const r = (k: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s % k);
  while (out.length < n) out.push([r(p.batch), r(p.M), r(p.N)]);
  return out;
}

function refEntry(a: Float32Array, b: Float32Array, p: Plan, ta: boolean, tb: boolean, bi: number, m: number, n: number): number {
  const ao = p.aBatched ? bi * p.M * p.K : 0;
  const bo = p.bBatched ? bi * p.K * p.N : 0;
  let acc = 0;
  for (let k = 0; k < p.K; k++) {
    acc += (ta ? a[ao + k * p.M + m] : a[ao + m * p.K + k]) * (tb ? b[bo + n * p.K + k] : b[bo + k * p.N + n]);
  }
  return acc;
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
