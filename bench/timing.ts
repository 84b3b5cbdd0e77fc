// Timing on the GPU queue: a side records runs without waiting, and `sync` waits until the queue
// has done them (no readback). Sides of one case are timed alternately, round after round, so
// that a noisy neighbour on the shared CPU slows both alike.
import { median } from './stats.ts';

export interface Side {
  /** Record (and, for TF.js, possibly submit) one run; nothing is read back. */
  run(): void;
  /** Submit what is recorded and wait until the GPU has finished it. */
  sync(): Promise<void>;
}

export interface TimingOptions {
  /** Target wall time of one timed batch of runs (ms); runs per batch adapt to it. */
  batchMs: number;
  /** Budget for all timed rounds of one case, both sides together (ms). */
  budgetMs: number;
  minRounds: number;
  maxRounds: number;
}

export const FULL: TimingOptions = { batchMs: 120, budgetMs: 6000, minRounds: 3, maxRounds: 7 };
export const QUICK: TimingOptions = { batchMs: 60, budgetMs: 2500, minRounds: 2, maxRounds: 3 };

const now = () => performance.now();

/** Milliseconds per run of `n` runs recorded back to back and synchronised once. */
export async function timeBatch(s: Side, n: number): Promise<number> {
  await s.sync();
  const t0 = now();
  for (let i = 0; i < n; i++) s.run();
  await s.sync();
  return (now() - t0) / n;
}

/** How many runs make a batch of about `batchMs`, from one run's time. */
export function runsPerBatch(oneMs: number, batchMs: number, max = 64): number {
  return Math.max(1, Math.min(max, Math.round(batchMs / Math.max(oneMs, 1e-3))));
}

/** Rounds that fit the budget, within [minRounds, maxRounds] (minRounds gives way to a budget too small for one). */
export function roundsFor(roundMs: number, o: TimingOptions): number {
  const fit = Math.floor(o.budgetMs / Math.max(roundMs, 1e-3));
  if (fit < 1) return 1;
  return Math.max(Math.min(o.minRounds, fit), Math.min(o.maxRounds, fit));
}

export interface Timed {
  /** Median ms per run of each side (null where a side is absent or failed). */
  ms: (number | null)[];
  runs: number[];
  rounds: number;
}

/**
 * Warm every side up (the first run compiles its pipelines: not timed), size its batches, then
 * time rounds in which every side runs one batch in turn; medians per side.
 */
export async function timeAlternating(sides: (Side | null)[], o: TimingOptions): Promise<Timed> {
  const n: number[] = [];
  const est: number[] = [];
  for (const s of sides) {
    if (!s) {
      n.push(0);
      est.push(0);
      continue;
    }
    await timeBatch(s, 1); // compile
    const one = await timeBatch(s, 1);
    const k = runsPerBatch(one, o.batchMs);
    n.push(k);
    est.push(one * k);
  }
  const samples: number[][] = sides.map(() => []);
  // Where every side runs one run per batch (slow cases), the sizing runs were already a
  // round: they count, and one round fewer is run.
  const sizingCounts = n.every((k, i) => !sides[i] || k === 1);
  if (sizingCounts) sides.forEach((s, i) => s && samples[i].push(est[i]));
  const rounds = roundsFor(est.reduce((a, b) => a + b, 0), o);
  for (let r = sizingCounts ? 1 : 0; r < rounds; r++) {
    for (let i = 0; i < sides.length; i++) {
      const s = sides[i];
      if (s) samples[i].push(await timeBatch(s, n[i]));
    }
  }
  return { ms: samples.map((xs, i) => (sides[i] ? median(xs) : null)), runs: n, rounds };
}
