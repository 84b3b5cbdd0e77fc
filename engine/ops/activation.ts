// GELU: shaders/gelu.wgsl. Launch, backward rule and a double-precision CPU reference.
//
//   exact:  y = x·Φ(x),                  dy/dx = Φ(x) + x·φ(x)
//   tanh:   y = ½x(1 + tanh k),          k = √(2/π)(x + 0.044715x³)
import src from '../../shaders/gelu.wgsl';
import { Kernel } from '../kernel.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { BiudError } from '../errors.ts';
import { scalarVariant } from './norm.ts';

function kernels(width: string, source: string) {
  return { forward: new Kernel(`gelu.forward.${width}`, source, 'forward'), backward: new Kernel(`gelu.backward.${width}`, source, 'backward') };
}
/** vec4 elements when the size allows, else the f32 variant of the same shader. */
const VEC4 = kernels('vec4', src);
const SCALAR = kernels('f32', scalarVariant(src, 'alias vec = f32;\n'));
const WG = 64;
/** Vecs per thread (the shader's PER). */
const PER = 8;
const APPROX = { none: 0, tanh: 1 } as const;

export type GeluApproximation = keyof typeof APPROX;

function checkApprox(approximate: string): asserts approximate is GeluApproximation {
  if (!(approximate in APPROX)) throw new BiudError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
}

/** x·Φ(x) with the exact erf form ('none', PyTorch's default) or the tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  checkApprox(approximate);
  if (x.dtype !== 'float32') throw new BiudError(`gelu: needs a float32 tensor, got ${x}`);
  const e = x.engine;
  const y = e.empty(x.shape);
  const constants = { APPROX: APPROX[approximate], PER };
  const W = x.size % 4 === 0 ? 4 : 1;
  const K = W === 4 ? VEC4 : SCALAR;
  const uniforms = { n: x.size / W };
  const workgroups = e.grid1d(Math.ceil(x.size / W / PER), WG);
  e.dispatch(K.forward, { bindings: { x, y }, uniforms, workgroups, constants });
  return record('gelu', [x], y, (gy) => {
    const dx = e.empty(x.shape);
    e.dispatch(K.backward, { bindings: { x, gy, y: dx }, uniforms, workgroups, constants });
    return [dx];
  });
}

// ------------------------------------------------------------------ CPU references (double)

/**
 * erf(x) to ~1e-14: the Maclaurin series below |x| = 2.5 (terms peak near e^(x²), so at most a
 * few hundred ulps are lost), Lentz's continued fraction for erfc above.
 */
export function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    // erf x = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(a));
}

/** erfc(z) for z ≥ 2.5: e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + 2/(z + …))))). */
function erfcLarge(z: number): number {
  // Modified Lentz on the continued fraction erfc z = e^(−z²)/√π · K, K = 1/(z + (1/2)/(z + (2/2)/(z + …))).
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const ak = k / 2;
    d = z + ak * d;
    d = d === 0 ? tiny : d;
    c = z + ak / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}

/** Φ(x), the standard normal CDF, without cancellation in either tail. */
export function normalCdfRef(x: number): number {
  const z = x / Math.SQRT2;
  if (z < -2.5) return 0.5 * erfcLarge(-z);
  if (z > 2.5) return 1 - 0.5 * erfcLarge(z);
  return 0.5 * (1 + erfRef(z));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function geluRef(x: ArrayLike<number>, approximate: GeluApproximation = 'none'): Float64Array {
  checkApprox(approximate);
  return Float64Array.from(x, (v) => {
    if (approximate === 'tanh') return 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    return v * normalCdfRef(v);
  });
}

/** dx = gy · dGELU/dx. */
export function geluGradRef(x: ArrayLike<number>, gy: ArrayLike<number>, approximate: GeluApproximation = 'none'): Float64Array {
  checkApprox(approximate);
  return Float64Array.from(x, (v, i) => {
    let d: number;
    if (approximate === 'tanh') {
      const th = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
      d = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    } else {
      d = normalCdfRef(v) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);
    }
    return gy[i] * d;
  });
}
