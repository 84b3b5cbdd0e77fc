// LayerNorm over the last axis, forward and backward: shaders/layernorm.wgsl.
//
//   x̂ = (x − μ)/√(σ² + eps),  y = x̂·γ + β
//   dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·γ, r = 1/√(σ² + eps);  dγ = Σ_rows g·x̂;  dβ = Σ_rows g
import src from '../../shaders/layernorm.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';

/**
 * The f32 variant of a kernel written for vec4 elements: its text between the markers
 * `// width {` and `// }` (alias vec = vec4f, W = 4 and the helpers that depend on them) is
 * replaced with `scalarBlock`. Shared by the vec4 kernels of layernorm, cross-entropy and GELU.
 */
export function scalarVariant(source: string, scalarBlock: string): string {
  const start = source.indexOf('// width {\n');
  const end = source.indexOf('// }\n', start);
  if (start < 0 || end < 0) throw new Error('scalarVariant: the shader has no "// width {" … "// }" block');
  return source.slice(0, start) + scalarBlock + source.slice(end + '// }\n'.length);
}

/** layernorm.wgsl's width block for f32 rows. */
const SCALAR_WIDTH = `
alias vec = f32;
const W = 1u;
fn hsum(v: vec) -> f32 { return v; }
`;

function kernels(width: string, source: string) {
  return {
    forward: new Kernel(`layernorm.forward.${width}`, source, 'forward'),
    backwardX: new Kernel(`layernorm.backward_x.${width}`, source, 'backward_x'),
    paramsPartial: new Kernel(`layernorm.backward_params_partial.${width}`, source, 'backward_params_partial'),
    paramsFinal: new Kernel(`layernorm.backward_params_final.${width}`, source, 'backward_params_final'),
  };
}
const VEC4 = kernels('vec4', src);
const SCALAR = kernels('f32', scalarVariant(src, SCALAR_WIDTH));
const WG = 64;
/** Threads wanted for the column sums of dγ and dβ; each sums at least MIN_CHUNK rows. */
const PARAM_THREADS = 2048;
const MIN_CHUNK = 8;

/** Rows of the partial sums for dγ, dβ (threads = chunks × columns): enough chunks to fill the adapter, each ≥ MIN_CHUNK rows. */
export function paramChunks(rows: number, columns: number): { chunk: number; chunks: number } {
  const chunks = Math.max(1, Math.min(Math.ceil(rows / MIN_CHUNK), Math.ceil(PARAM_THREADS / columns)));
  const chunk = Math.ceil(rows / chunks);
  return { chunk, chunks: Math.ceil(rows / chunk) };
}

/** (x − mean) / √(var + eps) · gamma + beta over the last axis; gamma and beta [C]. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  for (const [name, t] of [['x', x], ['gamma', gamma], ['beta', beta]] as const) {
    if (t.dtype !== 'float32') throw new BiudError(`layerNorm: ${name} must be float32, got ${t}`);
  }
  if (x.rank < 1) throw new BiudError(`layerNorm: x must have at least one axis, got shape [${x.shape}]`);
  const C = x.shape[x.rank - 1];
  if (C === 0) throw new BiudError(`layerNorm: the last axis of x [${x.shape}] is empty`);
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t.rank !== 1 || t.shape[0] !== C) {
      throw new BiudError(`layerNorm: ${name} has shape [${t.shape}], but x [${x.shape}] normalises a last axis of ${C}: expected [${C}]`);
    }
  }
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new BiudError(`layerNorm: eps must be a finite number ≥ 0, got ${eps}`);
  const e = x.engine;
  const rows = x.size / C;
  const y = e.empty(x.shape);
  const stats = e.empty([rows, 2]); // μ, r per row
  const uniforms = { rows, C, eps, chunk: 0, chunks: 0 };
  // Rows of vec4 when C allows; the scalar variant otherwise (same kernels, f32 elements).
  const K = C % 4 === 0 ? VEC4 : SCALAR;
  const W = C % 4 === 0 ? 4 : 1;
  e.dispatch(K.forward, { bindings: { x, gamma, beta, y, stats_out: stats }, uniforms, workgroups: e.grid1d(rows, WG) });
  return record('layerNorm', [x, gamma, beta], y, (g) => {
    let dx: Tensor | null = null;
    let dgamma: Tensor | null = null;
    let dbeta: Tensor | null = null;
    if (x.requiresGrad) {
      dx = e.empty(x.shape);
      e.dispatch(K.backwardX, { bindings: { x, gamma, g, stats, y: dx }, uniforms, workgroups: e.grid1d(rows, WG) });
    }
    if (gamma.requiresGrad || beta.requiresGrad) {
      const { chunk, chunks } = paramChunks(rows, C / W);
      const u = { ...uniforms, chunk, chunks };
      const part = e.empty([2, chunks, C]);
      dgamma = e.empty([C]);
      dbeta = e.empty([C]);
      e.dispatch(K.paramsPartial, { bindings: { x, g, stats, part_out: part }, uniforms: u, workgroups: e.grid1d((chunks * C) / W, WG) });
      e.dispatch(K.paramsFinal, { bindings: { part, y: dgamma, dbeta }, uniforms: u, workgroups: e.grid1d(C / W, WG) });
      part.dispose();
      if (!gamma.requiresGrad) { dgamma.dispose(); dgamma = null; }
      if (!beta.requiresGrad) { dbeta.dispose(); dbeta = null; }
    }
    return [dx, dgamma, dbeta];
  }, [stats]);
}

// ------------------------------------------------------------------ CPU reference (double)

export interface LayerNormRef {
  y: Float64Array;
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/** Forward and, given `g`, backward of layerNorm over rows of length C, in double precision. */
export function layerNormRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, C: number, eps = 1e-5, g?: ArrayLike<number>): LayerNormRef {
  const rows = x.length / C;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  const xh = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let mu = 0;
    for (let c = 0; c < C; c++) mu += x[o + c];
    mu /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[o + c] - mu) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) {
      xh[c] = (x[o + c] - mu) * rs;
      y[o + c] = xh[c] * gamma[c] + beta[c];
    }
    if (!g) continue;
    let a = 0;
    let b = 0;
    for (let c = 0; c < C; c++) {
      const gh = g[o + c] * gamma[c];
      a += gh;
      b += gh * xh[c];
      dgamma[c] += g[o + c] * xh[c];
      dbeta[c] += g[o + c];
    }
    for (let c = 0; c < C; c++) dx[o + c] = rs * (g[o + c] * gamma[c] - a / C - xh[c] * (b / C));
  }
  return { y, dx, dgamma, dbeta };
}
