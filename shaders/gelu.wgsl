// GELU, y = x·Φ(x), Φ the standard normal CDF, and its derivative dy/dx = Φ(x) + x·φ(x).
//
// WGSL has no erf. Φ is computed from erfc of a non-negative argument, so that neither tail
// cancels: Φ(x) = ½·erfc(|x|/√2) for x < 0 and 1 − ½·erfc(|x|/√2) otherwise. erfc is Numerical
// Recipes' Chebyshev fit (erfcc: fractional error below 1.2e-7 for every z ≥ 0), which keeps GELU
// and its gradient within a few float32 ulps of the double-precision reference.
//
// APPROX = 1 selects PyTorch's tanh form: y = ½x(1 + tanh(k)), k = √(2/π)(x + 0.044715x³).
//
// Each thread takes PER vecs, WG apart, so that neighbouring threads touch neighbouring addresses
// (coalesced on a GPU) and each invocation does enough work to amortise its start-up on a
// software adapter (about 2× over one element per thread on SwiftShader, and vec4 another 1.5×).
//
// Width: written for vec4 elements (n % 4 == 0); engine/ops/activation.ts swaps the block between
// the markers for its f32 version otherwise.

// width {
alias vec = vec4f;
// }

struct Params {
  n: u32,   // vecs
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<vec>;
@group(0) @binding(2) var<storage, read> gy: array<vec>;
@group(0) @binding(3) var<storage, read_write> y: array<vec>;

override WG: u32 = 64;
override APPROX: u32 = 0;
override PER: u32 = 8;

const SQRT1_2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;
const SQRT_2_OVER_PI: f32 = 0.79788456080286536;
const TANH_C: f32 = 0.044715;

// erfc(z), z ≥ 0.
fn erfc_pos(z: vec) -> vec {
  let t = 1.0 / (1.0 + 0.5 * z);
  var p = vec(0.17087277);
  p = p * t - 0.82215223;
  p = p * t + 1.48851587;
  p = p * t - 1.13520398;
  p = p * t + 0.27886807;
  p = p * t - 0.18628806;
  p = p * t + 0.09678418;
  p = p * t + 0.37409196;
  p = p * t + 1.00002368;
  p = p * t - 1.26551223;
  return t * exp(p - z * z);
}

fn normal_cdf(v: vec) -> vec {
  let h = 0.5 * erfc_pos(abs(v) * SQRT1_2);
  return select(1.0 - h, h, v < vec(0.0));
}

// tanh(k) with k clamped: tanh is ±1 in float32 beyond |k| = 9, and some backends compute tanh
// through exp(2k), which overflows to NaN for large k.
fn tanh_arg(v: vec) -> vec {
  return tanh(clamp(SQRT_2_OVER_PI * (TANH_C * v * v * v + v), vec(-9.0), vec(9.0)));
}

// The k-th vec of this thread.
fn index(wid: vec3u, nwg: vec3u, lid: u32, k: u32) -> u32 {
  return ((wid.x + wid.y * nwg.x) * PER + k) * WG + lid;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  for (var k = 0u; k < PER; k++) {
    let i = index(wid, nwg, lid, k);
    if (i >= u.n) { return; }
    let v = x[i];
    if (APPROX == 1u) {
      y[i] = 0.5 * v * (1.0 + tanh_arg(v));
    } else {
      y[i] = v * normal_cdf(v);
    }
  }
}

// y = dx = gy · dGELU/dx.
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  for (var k = 0u; k < PER; k++) {
    let i = index(wid, nwg, lid, k);
    if (i >= u.n) { return; }
    let v = x[i];
    var d: vec;
    if (APPROX == 1u) {
      // d/dx ½x(1 + tanh k) = ½(1 + tanh k) + ½x(1 − tanh²k)·√(2/π)(1 + 3·0.044715x²).
      let th = tanh_arg(v);
      d = 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * SQRT_2_OVER_PI * (1.0 + 3.0 * TANH_C * v * v);
    } else {
      d = normal_cdf(v) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
    }
    y[i] = gy[i] * d;
  }
}
