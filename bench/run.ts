// The whole benchmark on one engine (and TF.js, when given, on the same adapter in the same
// process): the adapter's peak, every case side by side, the kernel variants, training steps.
// The same code runs in the headless page (bench/page.ts) and in Node (cli/bench.ts).
import type { Engine } from '../engine/engine.ts';
import type { Assets } from '../models/assets.ts';
import { benchCases, type Prepared, type Tf } from './cases.ts';
import { measureFma, measurePeak, mergePeaks } from './peak.ts';
import { caseResult, round, withPeak, type AdapterReport, type BenchReport, type VariantResult } from './stats.ts';
import { FULL, QUICK, timeAlternating, type Side } from './timing.ts';
import { attentionBuildVariants, attentionRowVariants, convPathVariants, matmulVariants } from './variants.ts';
import { measureTraining, type TrainOptions } from './train.ts';
import { CONFIGS, ctTokens } from '../models/config.ts';

export interface RunOptions {
  runtime: 'browser' | 'node';
  quick: boolean;
  assets: Assets;
  /** TensorFlow.js with its WebGPU backend set, or null (no peer). */
  tf: Tf | null;
  peerName: string;
  /** Only cases whose name contains one of these (all when empty). */
  only?: string[];
  /** Skip the training steps (and the variants) to look at kernels alone. */
  kernelsOnly?: boolean;
  /** A fresh engine on the same adapter for each training run, so that its memory is the step's alone. */
  newEngine: () => Promise<Engine>;
  log: (line: string) => void;
}

const LIMITS = [
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize',
  'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension',
] as const;

export function adapterReport(e: Engine, runtime: string): AdapterReport {
  const info = e.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const limits: Record<string, number> = {};
  for (const k of LIMITS) limits[k] = e.limits[k];
  return {
    runtime, ...e.adapterInfo,
    subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize,
    features: [...e.features].sort(), limits,
  };
}

/** Submit what TF.js has recorded and wait for its device's queue: no readback. */
function tfSync(tf: Tf): () => Promise<void> {
  const b = tf.backend() as unknown as { commandEncoder: GPUCommandEncoder | null; endComputePassEncoder(): void; submitQueue(): void; device: GPUDevice };
  return async () => {
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
    await b.device.queue.onSubmittedWorkDone();
  };
}

/** Longest run of the peer worth timing (ms); slower cases are reported for the engine alone. */
const PEER_MAX_RUN_MS = 9000;

/** 'attention.small.ct.fwd+bwd' → 'attention.ct.fwd+bwd': the case without its config's name. */
export function family(name: string): string {
  return name.split('.').filter((p) => !Object.hasOwn(CONFIGS, p)).join('.');
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);
}

export async function runBench(e: Engine, o: RunOptions): Promise<BenchReport> {
  const t0 = performance.now();
  const timing = o.quick ? QUICK : FULL;
  const notes: string[] = [];
  const adapter = adapterReport(e, o.runtime);
  o.log(`adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' / ')}`);

  // The peak is measured before and after the cases and their mean counts: on a CPU shared with
  // other work, one measurement can land in a busy or an idle moment.
  const peak = await measurePeak(e, o.quick);
  o.log(`peak: ${peak.gflops.toFixed(1)} GFLOP/s FMA, ${peak.gbps.toFixed(2)} GB/s shader copy, ${peak.detail.b2b_gbps} GB/s buffer copy`);

  // ------------------------------------------------------------- cases
  const report: BenchReport = {
    adapter, peak: { gflops: round(peak.gflops, 4), gbps: round(peak.gbps, 4) }, cases: [], peak_detail: peak.detail,
    checks: {}, peer: o.tf ? o.peerName : undefined, notes,
  };
  const cases = benchCases({ quick: o.quick }).filter((c) => !o.only?.length || o.only.some((s) => c.name.includes(s)));
  const tfSide = o.tf ? tfSync(o.tf) : null;
  // The peer's rate per op family on the cases so far: a case it would need more than
  // PEER_MAX_RUN_MS per run for is timed on the engine alone (TF.js takes minutes on some).
  const peerRate = new Map<string, number>();
  for (const c of cases) {
    const c0 = performance.now();
    let mine: Prepared | null = null;
    let peer: Prepared | null = null;
    const fam = family(c.name);
    const rate = peerRate.get(fam);
    const predicted = rate ? c.flops / rate / 1e6 : 0;
    try {
      mine = c.engine(e);
      if (predicted > PEER_MAX_RUN_MS) {
        const why = `${o.peerName} not run: at its rate on a smaller ${fam} case (${rate!.toFixed(3)} GFLOP/s) one run would take ~${(predicted / 1000).toFixed(0)} s`;
        notes.push(`${c.name}: ${why}`);
        o.log(`${c.name}: ${why}`);
      } else if (o.tf && c.peer) {
        try {
          peer = c.peer(o.tf);
        } catch (err) {
          notes.push(`${c.name}: the peer could not run it (${(err as Error).message})`);
          o.log(`${c.name}: ${o.peerName} could not run it: ${(err as Error).message}`);
        }
      }
      // Validate before timing: the same checksum from both sides (Σ y², layout-independent).
      const ours = await mine.checksum();
      if (!Number.isFinite(ours)) throw new Error(`the engine's result is not finite (Σy² = ${ours})`);
      if (peer) {
        try {
          const theirs = await peer.checksum();
          const d = relDiff(ours, theirs);
          report.checks![c.name] = round(d, 3);
          if (d > 1e-2) notes.push(`${c.name}: engine and ${o.peerName} disagree (Σy² ${ours.toPrecision(6)} vs ${theirs.toPrecision(6)})`);
        } catch (err) {
          notes.push(`${c.name}: the peer failed (${(err as Error).message}); timed without it`);
          o.log(`${c.name}: ${o.peerName} failed: ${(err as Error).message}`);
          peer.dispose();
          peer = null;
        }
      }
      const sides: (Side | null)[] = [
        { run: mine.run, sync: () => e.sync() },
        peer && tfSide ? { run: peer.run, sync: tfSide } : null,
      ];
      const before = peak.probe ? await measureFma(e, peak.probe, o.quick ? 2 : 3) : undefined;
      const t = await timeAlternating(sides, timing);
      const after = peak.probe ? await measureFma(e, peak.probe, o.quick ? 2 : 3) : undefined;
      const nearby = before !== undefined && after !== undefined ? (before + after) / 2 : undefined;
      const r = caseResult(c.name, c.shape, c.flops, t.ms[0]!, t.ms[1], peak.gflops, nearby);
      if (t.ms[1] !== null) peerRate.set(fam, Math.min(peerRate.get(fam) ?? Infinity, c.flops / t.ms[1] / 1e6));
      report.cases.push(r);
      o.log(
        `${c.name.padEnd(34)} ${c.shape.padEnd(40)} engine ${r.engine_ms.toPrecision(3).padStart(8)} ms` +
          `${r.peer_ms !== null ? `  ${o.peerName} ${r.peer_ms.toPrecision(3).padStart(8)} ms  ×${r.ratio!.toFixed(1)}` : ''}` +
          `  ${r.gflops.toFixed(2)} GFLOP/s  (${t.rounds} rounds, ${((performance.now() - c0) / 1000).toFixed(1)} s)`,
      );
    } catch (err) {
      notes.push(`${c.name}: failed: ${(err as Error).message}`);
      o.log(`${c.name}: FAILED ${(err as Error).message}`);
    } finally {
      mine?.dispose();
      peer?.dispose();
    }
  }

  const again = await measurePeak(e, o.quick);
  o.log(`peak again: ${again.gflops.toFixed(1)} GFLOP/s FMA, ${again.gbps.toFixed(2)} GB/s shader copy`);
  const best = mergePeaks(peak, again);
  report.peak = { gflops: round(best.gflops, 4), gbps: round(best.gbps, 4) };
  report.peak_detail = best.detail;
  report.cases = withPeak(report.cases, best.gflops);

  if (!o.kernelsOnly) {
    // ----------------------------------------------------------- variants
    const vt = o.quick ? QUICK : { ...FULL, minRounds: 3 };
    const variants: VariantResult[] = [];
    const tiny = CONFIGS.tiny;
    const rows = tiny.train.batch * ctTokens(tiny.ct);
    const step = async (what: string, f: () => Promise<VariantResult[]>) => {
      try {
        const v = await f();
        variants.push(...v);
        o.log(`variants ${what}: ${v.map((x) => `${x.variant}${x.picked ? '*' : ''} ${x.ms === null ? 'n/a' : x.ms.toPrecision(3) + ' ms'}`).join(', ')}`);
      } catch (err) {
        notes.push(`variants ${what}: failed: ${(err as Error).message}`);
      }
    };
    await step('matmul tiny qkv', () => matmulVariants(e, rows, tiny.ct.width, 3 * tiny.ct.width, vt, true));
    if (!o.quick) await step('matmul 1024³', () => matmulVariants(e, 1024, 1024, 1024, vt, false));
    await step('conv3d patch path', () => convPathVariants(e, tiny.ct.size, tiny.ct.patch, tiny.ct.width, vt));
    await step('attention rows', () => attentionRowVariants(e, tiny.train.batch, tiny.ct.heads, ctTokens(tiny.ct), tiny.ct.width / tiny.ct.heads, vt));
    await step('attention builds, text', () => attentionBuildVariants(e, tiny.train.batch, tiny.text.heads, tiny.text.maxLen, tiny.text.width / tiny.text.heads, true, vt));
    report.variants = variants;

    // ----------------------------------------------------------- training steps
    report.train = [];
    const runs: Omit<TrainOptions, 'log'>[] = [{ config: 'tiny', maxSteps: o.quick ? 5 : 200, budgetMs: o.quick ? 20_000 : 60_000 }];
    // small's batch of 32 would take minutes per step here: 2 pairs (the least a contrastive batch takes).
    if (!o.quick) runs.push({ config: 'small', batch: 2, maxSteps: 200, budgetMs: 30_000 });
    for (const r of runs) {
      const fresh = await o.newEngine();
      try {
        const t = await measureTraining(fresh, o.assets, { ...r, log: o.log });
        report.train.push(t);
        if (t.error) o.log(`${r.config} training step failed: ${t.error}`);
      } finally {
        fresh.destroy();
      }
    }
  }
  report.seconds = round((performance.now() - t0) / 1000, 4);
  return report;
}
