// Kernel choice per adapter, by measurement. Where an op has variants (workgroup-memory tiles or
// register blocks, block sizes), which one is fastest depends on the adapter: a software adapter
// and a real GPU want opposite things (PLATFORM.md). `autotune` times each correct variant once on
// the adapter in use and remembers the fastest, per (adapter, key):
//   - in memory, for the process;
//   - in a persistent store where there is one: localStorage in a browser, a JSON file in Node
//     (engine/autotune-store-node.ts, registered by the Node entry).
// Tuning is explicit and asynchronous (it reads back and waits for the GPU), so it never happens
// inside a recorded step: an op asks `tunedChoice(e, key)` (synchronous) and falls back to its
// own rule of thumb when nothing was measured.
import type { Engine } from './engine.ts';
import { BiudError } from './errors.ts';
import { Tensor } from './tensor.ts';

/** One variant's benchmark, made by the caller of `autotune` for each variant. */
export interface TuneCase {
  /** Record one run (no readback). Tensors it returns are disposed after each run. */
  run(): unknown;
  /** Resolves to a message if the variant computes a wrong result, else null. Called once, before timing. */
  check?(): Promise<string | null>;
  /** Free what the case holds; called once at the end. */
  dispose?(): void;
}

export interface TuneOptions {
  /** Measure again even if a choice is stored. */
  retune?: boolean;
  /** Write the choice to the persistent store (default true). */
  persist?: boolean;
  /** Measurement rounds; each round times every variant once (interleaved), the best round counts. Default 3. */
  rounds?: number;
  /** Minimum wall time of one timed batch of runs, in ms (the run count per batch adapts). Default 30. */
  minMs?: number;
}

export interface TuneChoice {
  key: string;
  pick: string;
  /** 'measured' now, 'stored' by an earlier measurement (this process or a previous one), 'forced' by `forceChoice`. */
  source: 'measured' | 'stored' | 'forced';
  /** Milliseconds per run of each variant that was timed. */
  ms: Record<string, number>;
  /** Variants left out, and why (unavailable here, wrong result, failed to compile). */
  rejected: Record<string, string>;
  timer?: 'gpu-timestamps' | 'wall';
}

/** What a persistent store keeps, per `${adapter}|${key}`. */
export interface StoredChoice {
  pick: string;
  ms: Record<string, number>;
  at: string;
}

export interface TuneStore {
  load(): Record<string, StoredChoice>;
  save(all: Record<string, StoredChoice>): void;
}

let store: TuneStore | null = browserStore();
let stored: Record<string, StoredChoice> | null = null;

/** Use another persistent store (the Node entry registers a file); null keeps choices in memory only. */
export function setTuneStore(s: TuneStore | null): void {
  store = s;
  stored = null;
}

export function hasTuneStore(): boolean {
  return store !== null;
}

function browserStore(): TuneStore | null {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls) return null;
  const item = 'biud.autotune';
  return {
    load: () => JSON.parse(ls.getItem(item) ?? '{}') as Record<string, StoredChoice>,
    save: (all) => ls.setItem(item, JSON.stringify(all)),
  };
}

function storedChoices(): Record<string, StoredChoice> {
  if (stored) return stored;
  try {
    stored = store?.load() ?? {};
  } catch {
    stored = {}; // an unreadable store is an empty one; the next save rewrites it
  }
  return stored;
}

/** The adapter as the cache knows it: the same driver on the same device gets the same choices. */
export function adapterId(e: Engine): string {
  const a = e.adapterInfo;
  return [a.vendor, a.architecture, a.device, a.description].join('/');
}

interface EngineState {
  choices: Map<string, TuneChoice>;
  forced: [prefix: string, variant: string][];
}
const states = new WeakMap<Engine, EngineState>();

function state(e: Engine): EngineState {
  let s = states.get(e);
  if (!s) states.set(e, (s = { choices: new Map(), forced: [] }));
  return s;
}

/**
 * Force `variant` for every key that starts with `prefix` on this engine (the latest call wins);
 * `variant` null removes the forcing for that prefix.
 */
export function forceChoice(e: Engine, prefix: string, variant: string | null): void {
  const s = state(e);
  s.forced = s.forced.filter(([p]) => p !== prefix);
  if (variant !== null) s.forced.push([prefix, variant]);
}

function forcedFor(e: Engine, key: string): string | undefined {
  const f = state(e).forced;
  for (let i = f.length - 1; i >= 0; i--) if (key.startsWith(f[i][0])) return f[i][1];
  return undefined;
}

/** The choice for `key` on this engine's adapter, if one was forced or measured (now or before); synchronous. */
export function tunedChoice(e: Engine, key: string): TuneChoice | undefined {
  const forced = forcedFor(e, key);
  if (forced !== undefined) return { key, pick: forced, source: 'forced', ms: {}, rejected: {} };
  const s = state(e);
  const mem = s.choices.get(key);
  if (mem) return mem;
  const st = storedChoices()[`${adapterId(e)}|${key}`];
  if (!st) return undefined;
  const c: TuneChoice = { key, pick: st.pick, source: 'stored', ms: st.ms, rejected: {} };
  s.choices.set(key, c);
  return c;
}

/** Every choice this engine has made or loaded, for reports (the benchmark prints them). */
export function tuneReport(e: Engine): TuneChoice[] {
  return [...state(e).choices.values()];
}

/** Forget this engine's in-memory choices (the persistent store is left alone). */
export function clearTuning(e: Engine): void {
  state(e).choices.clear();
}

/**
 * Time every variant's case on this engine and keep the fastest correct one for `key`.
 * `variants` are names; `bench(name)` builds that variant's case, or returns a string saying
 * why the variant cannot run here. A stored choice is returned without measuring unless `retune`.
 */
export async function autotune(
  e: Engine,
  key: string,
  variants: readonly string[],
  bench: (variant: string) => TuneCase | string | Promise<TuneCase | string>,
  opts: TuneOptions = {},
): Promise<TuneChoice> {
  const forced = forcedFor(e, key);
  if (forced !== undefined) return { key, pick: forced, source: 'forced', ms: {}, rejected: {} };
  if (!opts.retune) {
    const known = tunedChoice(e, key);
    if (known) return known;
  }
  if (!variants.length) throw new BiudError(`autotune ${key}: no variants to choose from`);
  const rejected: Record<string, string> = {};
  const cases = new Map<string, TuneCase>();
  try {
    for (const v of variants) {
      try {
        const c = await bench(v);
        if (typeof c === 'string') {
          rejected[v] = c;
          continue;
        }
        cases.set(v, c);
        // The first run compiles the pipelines; errors (compile, validation) surface at sync.
        disposeResult(c.run());
        await e.sync();
        const wrong = c.check ? await c.check() : null;
        if (wrong) {
          rejected[v] = wrong;
          cases.delete(v);
          c.dispose?.();
        }
      } catch (err) {
        rejected[v] = (err as Error).message;
        const c = cases.get(v);
        cases.delete(v);
        c?.dispose?.();
      }
    }
    if (!cases.size) {
      throw new BiudError(`autotune ${key}: no variant ran correctly here: ${Object.entries(rejected).map(([v, m]) => `${v}: ${m}`).join('; ')}`);
    }
    const timer = e.profiler ? 'gpu-timestamps' : 'wall';
    const best = new Map<string, number>();
    const reps = new Map<string, number>();
    const minMs = opts.minMs ?? 30;
    for (let r = 0; r < (opts.rounds ?? 3); r++) {
      if (r === 1) {
        // Variants more than 3× slower than the best after one round are out of the race.
        const fastest = Math.min(...best.values());
        for (const [v, ms] of best) {
          if (ms > 3 * fastest) {
            cases.get(v)?.dispose?.();
            cases.delete(v);
          }
        }
      }
      for (const [v, c] of cases) {
        let n = reps.get(v) ?? 1;
        let ms = await timeRuns(e, c, n);
        // Grow the batch until it lasts minMs, so that timer resolution and submit cost do not count.
        while (ms * n < minMs && n < 1024) {
          n = Math.min(1024, Math.max(2 * n, Math.ceil((minMs / Math.max(ms, 1e-3)) * 1.2)));
          ms = await timeRuns(e, c, n);
        }
        reps.set(v, n);
        best.set(v, Math.min(best.get(v) ?? Infinity, ms));
      }
    }
    const ms = Object.fromEntries(best);
    const pick = [...best.entries()].sort((x, y) => x[1] - y[1])[0][0];
    const choice: TuneChoice = { key, pick, source: 'measured', ms, rejected, timer };
    state(e).choices.set(key, choice);
    if (opts.persist !== false && store) {
      const all = storedChoices();
      all[`${adapterId(e)}|${key}`] = { pick, ms, at: new Date().toISOString() };
      try {
        store.save(all);
      } catch {
        // a read-only cache only costs a re-measurement next time
      }
    }
    return choice;
  } finally {
    for (const c of cases.values()) c.dispose?.();
  }
}

/** Milliseconds per run of `n` runs in one submit: GPU timestamps when the engine profiles, else wall time. */
async function timeRuns(e: Engine, c: TuneCase, n: number): Promise<number> {
  await e.sync();
  const prof = e.profiler;
  const before = prof ? sumMs(await prof.report()) : 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) disposeResult(c.run());
  await e.sync();
  const wall = performance.now() - t0;
  if (!prof) return wall / n;
  const gpu = sumMs(await prof.report()) - before;
  return (gpu > 0 ? gpu : wall) / n;
}

function sumMs(list: { totalMs: number }[]): number {
  return list.reduce((s, k) => s + k.totalMs, 0);
}

function disposeResult(r: unknown): void {
  if (r instanceof Tensor) r.dispose();
  else if (Array.isArray(r)) for (const t of r) if (t instanceof Tensor) t.dispose();
}
