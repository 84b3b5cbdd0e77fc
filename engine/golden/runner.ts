// Runs a PyTorch golden fixture (safetensors; see test/golden/README.md) through the engine:
// the op and its tensor names come from the file's metadata, never from its name, so fixtures of
// any valid shape run the same way. Forward output and every listed gradient are compared with
// the fixture's own tolerance:  |got − want| ≤ tol·(1 + |want|).
import type { Engine } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { BiudError } from '../errors.ts';
import { readSafetensors, toFloat32, toInt32, type SafeTensor } from '../safetensors.ts';
import { GOLDEN_OPS } from './ops.ts';

export interface Fixture {
  file: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: string[];
  output: string;
  gradOutput: string;
  grads: string[];
  tolerance: number;
  tensors: Map<string, SafeTensor>;
}

export interface CheckResult {
  name: string;
  /** Largest |got − want| / (1 + |want|): passes when ≤ tolerance. */
  error: number;
}

export interface CaseResult {
  file: string;
  op: string;
  /** Shapes of the inputs, e.g. "a[2,17,24] b[2,24,13]". */
  shape: string;
  checks: CheckResult[];
  maxError: number;
  tolerance: number;
  passed: boolean;
  /** Why it failed to run at all (malformed fixture, unsupported op, GPU error). */
  error?: string;
  /** Attributes of the fixture the op never read (e.g. a dilation the engine has no notion of), as "name=value". */
  unread?: string[];
}

function meta(m: Record<string, string>, key: string, file: string, required = true): string {
  const v = m[key];
  if (v === undefined && required) throw new BiudError(`${file}: metadata has no "${key}" (see test/golden/README.md)`);
  return v ?? '';
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** Parse and validate a fixture's metadata against its tensors. */
export function parseFixture(bytes: Uint8Array, file: string): Fixture {
  const { tensors, metadata } = readSafetensors(bytes, file);
  const op = meta(metadata, 'op', file);
  let attrs: Record<string, unknown>;
  try {
    attrs = JSON.parse(meta(metadata, 'attrs', file, false) || '{}');
  } catch {
    throw new BiudError(`${file}: metadata "attrs" is not JSON: ${metadata.attrs}`);
  }
  const tolerance = Number(meta(metadata, 'tolerance', file));
  if (!(tolerance > 0)) throw new BiudError(`${file}: metadata "tolerance" must be a positive number, got ${metadata.tolerance}`);
  const fx: Fixture = {
    file, op, attrs, tolerance, tensors,
    inputs: list(meta(metadata, 'inputs', file)),
    output: meta(metadata, 'output', file),
    gradOutput: meta(metadata, 'grad_output', file, false),
    grads: list(meta(metadata, 'grads', file, false)),
  };
  for (const name of [...fx.inputs, fx.output, ...(fx.gradOutput ? [fx.gradOutput] : []), ...fx.grads]) {
    if (!tensors.has(name)) throw new BiudError(`${file}: metadata names tensor "${name}" but the file has none (it has: ${[...tensors.keys()].join(', ')})`);
  }
  for (const g of fx.grads) {
    if (!g.startsWith('d_') || !fx.inputs.includes(g.slice(2))) throw new BiudError(`${file}: gradient "${g}" is not d_<input> for any input`);
  }
  if (fx.grads.length && !fx.gradOutput) throw new BiudError(`${file}: it lists gradients but no grad_output`);
  return fx;
}

/** What an op entry gets: the fixture's inputs as tensors (gradient-tracked where a d_ is listed). */
export interface GoldenContext {
  engine: Engine;
  fixture: Fixture;
  attrs: Record<string, unknown>;
  /** An input as a tensor: float32, or int32 when the fixture stores integers. */
  input(name: string): Tensor;
  /** An input's values on the CPU. */
  values(name: string): Float32Array;
  /** Inputs by position (the op's argument order). */
  inputs: Tensor[];
  /** The input at `position` (the op's argument order), which the op cannot do without: `what` names it in the error when the fixture lists fewer. */
  arg(position: number, what: string): Tensor;
}

export interface GoldenOp {
  /** The forward result; gradients flow back from it unless `noBackward`. */
  run(ctx: GoldenContext): Tensor;
  noBackward?: boolean;
}

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(r <= w)) w = Number.isNaN(r) ? Infinity : Math.max(w, r);
  }
  return w;
}

const shapeOf = (t: SafeTensor) => `[${t.shape.join(',')}]`;

export async function runFixture(e: Engine, fx: Fixture): Promise<CaseResult> {
  const result: CaseResult = {
    file: fx.file, op: fx.op, tolerance: fx.tolerance, checks: [], maxError: 0, passed: false,
    shape: fx.inputs.map((n) => `${n}${shapeOf(fx.tensors.get(n)!)}`).join(' '),
  };
  const entry = GOLDEN_OPS[fx.op];
  if (!entry) {
    result.error = `unknown op "${fx.op}" (the runner knows: ${Object.keys(GOLDEN_OPS).join(', ')})`;
    return result;
  }
  const made: Tensor[] = [];
  try {
    const gradFor = new Set(fx.grads.map((g) => g.slice(2)));
    const byName = new Map<string, Tensor>();
    const input = (name: string): Tensor => {
      let t = byName.get(name);
      if (t) return t;
      const st = fx.tensors.get(name);
      if (!st) throw new BiudError(`${fx.file}: no tensor "${name}"`);
      const isInt = st.dtype.startsWith('I') || st.dtype.startsWith('U') || st.dtype === 'BOOL';
      t = e.keep(isInt ? e.tensor(toInt32(st, `${fx.file}:${name}`), st.shape, 'int32') : e.tensor(toFloat32(st), st.shape));
      if (!isInt && gradFor.has(name) && !entry.noBackward) t.requiresGrad = true;
      byName.set(name, t);
      made.push(t);
      return t;
    };
    // The op's attributes are read through this, so that any it never asks for can be named:
    // an attribute the engine has no notion of would otherwise only show as a wrong number.
    const read = new Set<string>();
    const attrs = new Proxy(fx.attrs, { get: (t, k) => (typeof k === 'string' && read.add(k), Reflect.get(t, k)) });
    const ctx: GoldenContext = {
      engine: e, fixture: fx, attrs, input,
      values: (name) => toFloat32(fx.tensors.get(name)!),
      get inputs() { return fx.inputs.map(input); },
      arg: (position, what) => {
        const name = fx.inputs[position];
        if (name === undefined) throw new BiudError(`${fx.op} needs ${what} as input ${position + 1}; the fixture lists ${fx.inputs.length}: ${fx.inputs.join(', ')}`);
        return input(name);
      },
    };
    const want = toFloat32(fx.tensors.get(fx.output)!);
    const wantShape = fx.tensors.get(fx.output)!.shape;
    const backward = fx.grads.length > 0 && !entry.noBackward;
    // Forward and backward in one scope: what the forward saved for backward lives until then.
    const y = e.scope(() => {
      const out = entry.run(ctx);
      if (out.size !== want.length) throw new BiudError(`output has shape [${out.shape}], the fixture's "${fx.output}" [${wantShape}]`);
      if (backward) out.backward(e.tensor(toFloat32(fx.tensors.get(fx.gradOutput)!), out.shape));
      return out;
    });
    made.push(y);
    const unread = Object.keys(fx.attrs).filter((k) => !read.has(k));
    if (unread.length) result.unread = unread.map((k) => `${k}=${JSON.stringify(fx.attrs[k])}`);
    result.checks.push({ name: fx.output, error: worst(await y.data(), want) });
    if (backward) {
      for (const g of fx.grads) {
        const t = byName.get(g.slice(2));
        if (!t?.grad) throw new BiudError(`no gradient reached input "${g.slice(2)}"`);
        result.checks.push({ name: g, error: worst(await t.grad.data(), toFloat32(fx.tensors.get(g)!)) });
      }
    }
    result.maxError = Math.max(...result.checks.map((c) => c.error));
    result.passed = result.maxError <= fx.tolerance;
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    for (const t of made) t.dispose();
  }
  return result;
}

/** One line for a case: op, shapes, max error against the tolerance. */
export function formatResult(r: CaseResult): string {
  const status = r.passed ? 'pass' : 'FAIL';
  if (r.error) return `${status}  ${r.op.padEnd(18)} ${r.file}: ${r.error}`;
  const detail = r.checks.map((c) => `${c.name} ${c.error.toExponential(2)}`).join(', ');
  const unread = r.unread ? `  (attributes not read: ${r.unread.join(', ')})` : '';
  return `${status}  ${r.op.padEnd(18)} ${r.shape}  max error ${r.maxError.toExponential(2)} (tol ${r.tolerance})  [${detail}]  ${r.file}${unread}`;
}
