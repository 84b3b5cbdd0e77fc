// The adapter's measured ceiling (bench/peak.wgsl): FMA throughput and storage-copy bandwidth,
// at every workgroup size the device's limits allow among 64, 128 and 256 (the best counts), and
// copyBufferToBuffer's bandwidth for comparison.
import src from './peak.wgsl';
import { Kernel } from '../engine/kernel.ts';
import type { Engine } from '../engine/engine.ts';
import { timeBatch, type Side } from './timing.ts';

/** Chains of FMAs per thread: their type and count, and copies of the chain step per loop trip. */
export interface FmaShape {
  type: 'f32' | 'vec4f';
  chains: number;
  unroll: number;
}

/** The fillings tried: scalar and vec4 chains, few and many (the best counts). */
export const FMA_SHAPES: FmaShape[] = [
  { type: 'f32', chains: 8, unroll: 16 },
  { type: 'f32', chains: 16, unroll: 8 },
  { type: 'vec4f', chains: 2, unroll: 16 },
  { type: 'vec4f', chains: 4, unroll: 8 },
];

/** peak.wgsl with its FMA template filled for `s`. */
export function fmaSource(s: FmaShape): string {
  const a = Array.from({ length: s.chains }, (_, i) => `a${i}`);
  const decl = a.map((v, i) => `var ${v} = ${s.type}(x + ${(0.01 * i).toFixed(2)});`).join('\n  ');
  const step = a.map((v) => `${v} = fma(${v}, m, c);`).join(' ');
  const body = Array.from({ length: s.unroll }, () => step).join('\n    ');
  return src.replace(/\$DECL/g, decl).replace(/\$BODY/g, body).replace(/\$SUM/g, a.join(' + ')).replace(/\$T/g, s.type);
}

/** Floating-point operations of one loop trip of one thread. */
export function fmaFlopsPerTrip(s: FmaShape): number {
  return s.chains * s.unroll * 2 * (s.type === 'vec4f' ? 4 : 1);
}

/** Threads of an FMA measurement (rounded up to whole workgroups). */
const FMA_THREADS = 32768;

const fmaKernels = new Map<string, Kernel>();
function fmaKernel(s: FmaShape): Kernel {
  const key = `${s.type}x${s.chains}u${s.unroll}`;
  let k = fmaKernels.get(key);
  if (!k) fmaKernels.set(key, (k = new Kernel(`bench.fma_peak.${key}`, fmaSource(s), 'fma_peak')));
  return k;
}
const copyKernel = new Kernel('bench.copy', fmaSource(FMA_SHAPES[0]), 'copy');

/** Workgroup sizes the device can run: 64, 128, 256 within maxComputeInvocationsPerWorkgroup and maxComputeWorkgroupSizeX. */
export function workgroupSizes(limits: Pick<GPUSupportedLimits, 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'>): number[] {
  const cap = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const sizes = [64, 128, 256].filter((s) => s <= cap);
  return sizes.length ? sizes : [cap];
}

export interface Peak {
  gflops: number;
  gbps: number;
  detail: Record<string, number | string>;
  /** The FMA kernel that reached `gflops`, to measure again next to each case (measureFma). */
  probe?: FmaProbe;
}

/** One FMA filling at one workgroup size, with the loop length that makes a dispatch ~40 ms. */
export interface FmaProbe {
  shape: FmaShape;
  WG: number;
  iters: number;
}

function engineSide(e: Engine, record: () => void): Side {
  return { run: record, sync: () => e.sync() };
}

async function best(side: Side, runs: number, rounds: number): Promise<number> {
  await timeBatch(side, 1);
  let ms = Infinity;
  for (let r = 0; r < rounds; r++) ms = Math.min(ms, await timeBatch(side, runs));
  return ms;
}

/**
 * One FMA filling at one workgroup size over FMA_THREADS threads, ready to time: each dispatch
 * reads `probe.iters` when it is recorded, so the caller may grow the loop between timings.
 */
function fmaRun(e: Engine, probe: FmaProbe): { probe: FmaProbe; side: Side; gflops: (ms: number) => number; dispose: () => void } {
  const groups = e.grid1d(FMA_THREADS, probe.WG);
  const threads = groups[0] * groups[1] * probe.WG;
  const out = e.keep(e.empty([threads * 4]));
  const k = fmaKernel(probe.shape);
  const side = engineSide(e, () => e.dispatch(k, { bindings: { out }, uniforms: { iters: probe.iters, n: 0, seed: 0.5, _pad: 0 }, workgroups: groups, constants: { WG: probe.WG } }));
  return {
    probe,
    side,
    gflops: (ms) => (threads * probe.iters * fmaFlopsPerTrip(probe.shape)) / ms / 1e6,
    dispose: () => out.dispose(),
  };
}

export async function measurePeak(e: Engine, quick = false): Promise<Peak> {
  const detail: Record<string, number | string> = {};
  // ------------------------------------------------------------- FMA
  let gflops = 0;
  const sizes = workgroupSizes(e.limits);
  // Every filling at the smallest workgroup size, then the best filling at every size.
  const tries: [FmaShape, number][] = FMA_SHAPES.map((s) => [s, sizes[0]]);
  let bestShape = FMA_SHAPES[0];
  let probe: FmaProbe | undefined;
  for (let t = 0; t < tries.length; t++) {
    const [shape, WG] = tries[t];
    const f = fmaRun(e, { shape, WG, iters: 4 });
    // Grow the loop until one dispatch lasts ~40 ms (timer resolution and submit cost vanish).
    await timeBatch(f.side, 1);
    for (let i = 0; i < 8; i++) {
      const ms = await timeBatch(f.side, 1);
      if (ms > 25) break;
      f.probe.iters = Math.min(1 << 16, Math.ceil(f.probe.iters * Math.min(16, 40 / Math.max(ms, 0.05))));
    }
    const g = f.gflops(await best(f.side, 1, quick ? 2 : 3));
    const key = `fma_gflops_${shape.type}x${shape.chains}_wg${WG}`;
    detail[key] = Number(g.toFixed(2));
    if (g > gflops) {
      gflops = g;
      bestShape = shape;
      probe = { ...f.probe };
      detail.fma_kernel = `${shape.chains} ${shape.type} chains, ${shape.unroll}× unrolled, workgroup ${WG}`;
    }
    f.dispose();
    if (t === FMA_SHAPES.length - 1) for (const s of sizes.slice(1)) tries.push([bestShape, s]);
  }
  // ------------------------------------------------------------- copy
  const vec4s = Math.min(2 << 20, Math.floor(e.limits.maxStorageBufferBindingSize / 16)); // 32 MiB each way
  const a = e.keep(e.zeros([vec4s * 4]));
  const b = e.keep(e.empty([vec4s * 4]));
  let gbps = 0;
  for (const WG of workgroupSizes(e.limits)) {
    const groups = e.grid1d(vec4s, WG);
    const side = engineSide(e, () => e.dispatch(copyKernel, { bindings: { src: a, dst: b }, uniforms: { iters: 0, n: vec4s, seed: 0, _pad: 0 }, workgroups: groups, constants: { WG } }));
    const ms = await best(side, 2, quick ? 2 : 4);
    const g = (2 * vec4s * 16) / ms / 1e6;
    detail[`copy_gbps_wg${WG}`] = Number(g.toFixed(3));
    if (g > gbps) {
      gbps = g;
      detail.copy_workgroup = WG;
    }
  }
  const b2b = await best(engineSide(e, () => e.copy(a, b)), 4, quick ? 2 : 4);
  detail.b2b_gbps = Number(((2 * vec4s * 16) / b2b / 1e6).toFixed(2));
  detail.copy_bytes = vec4s * 16;
  a.dispose();
  b.dispose();
  return { gflops, gbps, detail, probe };
}

/**
 * The FMA rate of `p` now: the best of `rounds` dispatches after one untimed. A few tenths of a
 * second, so the benchmark runs it before and after every case: this host's speed drifts by 10–20%
 * within minutes (one 1024³ product: 218 ms among the cases, 259 ms in the variants table of the
 * same run), more than the gap a fraction of the peak is meant to show.
 */
export async function measureFma(e: Engine, p: FmaProbe, rounds = 3): Promise<number> {
  const f = fmaRun(e, { ...p });
  try {
    return f.gflops(await best(f.side, 1, rounds));
  } finally {
    f.dispose();
  }
}

/**
 * Two measurements of the ceilings (before and after the cases) as one: their mean, since the
 * cases' medians are taken over the same stretch of time, on a CPU whose other load varies; each
 * measurement's details are kept (the second's keys suffixed _2).
 */
export function mergePeaks(a: Peak, b: Peak): Peak {
  const detail: Record<string, number | string> = { ...a.detail };
  for (const [k, v] of Object.entries(b.detail)) detail[`${k}_2`] = v;
  detail.fma_gflops_first = Number(a.gflops.toFixed(2));
  detail.fma_gflops_second = Number(b.gflops.toFixed(2));
  detail.fma_kernel = b.gflops > a.gflops ? b.detail.fma_kernel : a.detail.fma_kernel;
  return { gflops: (a.gflops + b.gflops) / 2, gbps: (a.gbps + b.gbps) / 2, detail, probe: b.gflops > a.gflops ? b.probe : a.probe };
}
