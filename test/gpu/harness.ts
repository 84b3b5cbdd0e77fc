// GPU test cases, written once and run twice: by vitest in Node (Dawn) for a fast loop, and in
// headless Chromium by Playwright (test/browser), which is what CI and users' browsers run.
// A suite file registers cases; runners pick them up from `cases`.
import { ops, type Engine, type Tensor } from '../../engine/index.ts';

export interface GpuCase {
  suite: string;
  name: string;
  fn: (e: Engine) => Promise<void>;
}

export const cases: GpuCase[] = [];

export function suite(name: string, body: (test: (caseName: string, fn: (e: Engine) => Promise<void>) => void) => void): void {
  body((caseName, fn) => cases.push({ suite: name, name: caseName, fn }));
}

export class CheckError extends Error {
  override name = 'CheckError';
}

/** |got − want| ≤ atol + rtol·|want| everywhere (the golden fixtures' rule is atol = rtol = tol). */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 1e-5, rtol = atol): number {
  if (got.length !== want.length) throw new CheckError(`${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const bad = !(err <= atol + rtol * Math.abs(want[i]));
    if (bad && (at < 0 || err > worst || Number.isNaN(err))) {
      worst = Number.isNaN(err) ? NaN : err;
      at = i;
    }
    if (!bad) worst = Math.max(worst, err);
  }
  if (at >= 0) throw new CheckError(`${what}: element ${at} is ${got[at]}, expected ${want[at]} (|error| ${Math.abs(got[at] - want[at])} > ${atol} + ${rtol}·|want|)`);
  return worst;
}

export function expectEqual<T>(got: T, want: T, what: string): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new CheckError(`${what}: got ${g}, expected ${w}`);
}

export function expectTrue(cond: boolean, what: string): void {
  if (!cond) throw new CheckError(what);
}

/** Expect `fn` to throw (or reject) with a message matching `pattern`. */
export async function expectThrows(fn: () => unknown, pattern: RegExp, what: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (!pattern.test(msg)) throw new CheckError(`${what}: threw "${msg}", expected a message matching ${pattern}`);
    return;
  }
  throw new CheckError(`${what}: did not throw`);
}

/**
 * An op frees what it saves for backward whichever way its output is used, outside any scope: a
 * no-grad forward; a recorded forward whose output dies undifferentiated (what it saved dies with
 * the output's node); and forward + backward with the inputs' gradients then dropped. After each,
 * the engine holds as many live tensors as before.
 */
export function expectFreesSaved(e: Engine, inputs: Tensor[], run: () => Tensor): void {
  const live = e.memory().liveTensors;
  e.noGrad(() => run()).dispose();
  expectEqual(e.memory().liveTensors, live, 'live tensors after a no-grad forward');
  for (const t of inputs) t.requiresGrad = true;
  run().dispose();
  expectEqual(e.memory().liveTensors, live, 'live tensors after a recorded forward never differentiated');
  const y = run();
  const seed = ops.fill(e, y.shape, 1);
  y.backward(seed);
  seed.dispose();
  y.dispose();
  for (const t of inputs) {
    t.grad?.dispose();
    t.grad = null;
  }
  expectEqual(e.memory().liveTensors, live, 'live tensors after forward and backward');
  e.flush();
}

/** Run `fn` with the name of every kernel the engine dispatches appended to `ran`. */
export async function withKernelLog(e: Engine, fn: (ran: string[]) => Promise<void>): Promise<void> {
  const ran: string[] = [];
  const dispatch = e.dispatch;
  e.dispatch = function (this: typeof e, ...args: Parameters<typeof e.dispatch>) {
    ran.push(args[0].name);
    return dispatch.apply(this, args);
  } as typeof e.dispatch;
  try {
    await fn(ran);
  } finally {
    e.dispatch = dispatch;
  }
}

/** Seeded uniform values in [lo, hi) (mulberry32), so failures reproduce. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/**
 * Files of the repository, for suites that need them (fixtures, data). Node reads the disk; the
 * browser page fetches them from the test server. Set by each runner before suites run.
 */
/** Makes a fresh engine (a case that destroys its device must not take the shared one down). */
export const engines = {
  create: async (): Promise<Engine> => {
    throw new Error('engines.create is not set by this runner');
  },
};

export const assets = {
  read: async (path: string): Promise<Uint8Array> => {
    void path;
    throw new Error('assets.read is not set by this runner');
  },
  list: async (dir: string): Promise<string[]> => {
    void dir;
    throw new Error('assets.list is not set by this runner');
  },
};
