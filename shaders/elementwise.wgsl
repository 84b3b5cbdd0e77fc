// Elementwise ops over strided views, rank ≤ 8.
//
// Every entry iterates over an output shape `shape` in row-major order. An input is read at
// `off + Σ coord[d] · stride[d]`: contiguous inputs have row-major strides, broadcast dimensions
// stride 0, a transpose permutes strides, a slice adds an offset. So one kernel is also
// permute, expand and slice. `map` also writes through strides (concat, slice assignment).
//
// The op is an override constant: each op is its own pipeline, with the switch folded away.

struct Params {
  n: u32,          // elements in the output shape
  _rank: u32,     // (the rank is the RANK override)
  off_a: u32,
  off_b: u32,
  off_y: u32,
  alpha: f32,
  beta: f32,
  _pad: u32,
  shape0: vec4u,  // dimensions, innermost first
  shape1: vec4u,
  sa0: vec4u,     // strides of a (elements), innermost first
  sa1: vec4u,
  sb0: vec4u,     // strides of b
  sb1: vec4u,
  sy0: vec4u,     // strides of y (map only)
  sy1: vec4u,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;
override OP: u32 = 0;
override RANK: u32 = 1;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}


// Unary ops: y = f(a).
fn unary(x: f32) -> f32 {
  switch OP {
    case 0u: { return x; }                                   // copy / permute / expand / slice
    case 1u: { return u.alpha * x + u.beta; }                // affine (scale, shift, negate)
    case 2u: { return exp(x); }
    case 3u: { return log(x); }
    case 4u: { return sqrt(x); }
    case 5u: { return inverseSqrt(x); }
    case 6u: { return max(x, 0.0); }                          // relu
    case 7u: { return tanh(x); }
    case 8u: { return 1.0 / (1.0 + exp(-x)); }               // sigmoid
    case 9u: { return abs(x); }
    case 10u: { return x * x; }
    case 11u: { return clamp(x, u.alpha, u.beta); }
    case 12u: { return 1.0 / x; }
    default: { return x; }
  }
}

// Binary ops: y = f(a, b). The *_grad ops are the backward rules of unary ops: a = dy, b = x or y.
fn binary(x: f32, z: f32) -> f32 {
  switch OP {
    case 0u: { return x + z; }
    case 1u: { return x - z; }
    case 2u: { return x * z; }
    case 3u: { return x / z; }
    case 4u: { return max(x, z); }
    case 5u: { return min(x, z); }
    case 6u: { return select(0.0, x, z > 0.0); }             // relu_grad(dy, x)
    case 7u: { return x * (1.0 - z * z); }                   // tanh_grad(dy, y)
    case 8u: { return x * z * (1.0 - z); }                   // sigmoid_grad(dy, y)
    case 9u: { return x * sign(z); }                         // abs_grad(dy, x)
    case 10u: { return select(0.0, x, z >= u.alpha && z <= u.beta); } // clamp_grad(dy, x)
    case 11u: { return select(0.0, 1.0, x == z); }           // equal (a mask)
    case 12u: { return select(0.0, 1.0, x > z); }            // greater (a mask)
    default: { return x; }
  }
}

// Offset of output element `i` under strides (s0 for the innermost four dimensions, s1 for the
// next four). Shapes and strides are stored innermost first and the rank is an override
// constant, so every step below is a constant member access or folds away: SwiftShader turns
// runtime-indexed uniform arrays into very slow code.
fn strided(i: u32, s0: vec4u, s1: vec4u, base: u32) -> u32 {
  let d0 = u.shape0;
  let d1 = u.shape1;
  var rest = i;
  var off = base;
  if (RANK > 0u) { off += (rest % d0.x) * s0.x; rest /= d0.x; }
  if (RANK > 1u) { off += (rest % d0.y) * s0.y; rest /= d0.y; }
  if (RANK > 2u) { off += (rest % d0.z) * s0.z; rest /= d0.z; }
  if (RANK > 3u) { off += (rest % d0.w) * s0.w; rest /= d0.w; }
  if (RANK > 4u) { off += (rest % d1.x) * s1.x; rest /= d1.x; }
  if (RANK > 5u) { off += (rest % d1.y) * s1.y; rest /= d1.y; }
  if (RANK > 6u) { off += (rest % d1.z) * s1.z; rest /= d1.z; }
  if (RANK > 7u) { off += (rest % d1.w) * s1.w; }
  return off;
}

// y[strided] = f(a[strided]).
@compute @workgroup_size(WG)
fn map(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[strided(i, u.sy0, u.sy1, u.off_y)] = unary(a[strided(i, u.sa0, u.sa1, u.off_a)]);
}

// y[i] = f(a[strided], b[strided]), y contiguous.
@compute @workgroup_size(WG)
fn zip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[i] = binary(a[strided(i, u.sa0, u.sa1, u.off_a)], b[strided(i, u.sb0, u.sb1, u.off_b)]);
}

// y[i] = f(a[i]) for a contiguous input: no index arithmetic.
@compute @workgroup_size(WG)
fn map_flat(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[u.off_y + i] = unary(a[u.off_a + i]);
}

// y[i] = f(a[i], b[i]) for same-shape contiguous inputs: no index arithmetic.
@compute @workgroup_size(WG)
fn zip_flat(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[i] = binary(a[u.off_a + i], b[u.off_b + i]);
}

// y[i] += alpha · a[i]: gradient accumulation in place.
@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[u.off_y + i] += u.alpha * a[u.off_a + i];
}

// y[i] = alpha.
@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[u.off_y + i] = u.alpha;
}

// ---------------------------------------------------------------- four floats at a time
//
// The flat entries again over vec4s, two per invocation; the launcher picks them when the element
// count and every offset are multiples of 4 (so every row starts on a vec4). On a software adapter
// each access costs a gather or scatter and its own bounds check, and each invocation its own
// set-up, so whole vec4s, two per invocation, run about four times faster than one float per
// invocation (y = 2a + 1 on 66,560 floats, Node, SwiftShader: 0.43 → 1.8 GB/s). The same buffers
// as a, b and y, bound as vec4 arrays (an entry point uses one or the other).

@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4f>;

fn unary4(x: vec4f) -> vec4f { return vec4f(unary(x.x), unary(x.y), unary(x.z), unary(x.w)); }
fn binary4(x: vec4f, z: vec4f) -> vec4f { return vec4f(binary(x.x, z.x), binary(x.y, z.y), binary(x.z, z.z), binary(x.w, z.w)); }

@compute @workgroup_size(WG)
fn map_flat4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = 2u * linear(gid, nwg);
  let n = u.n >> 2u;
  let oa = u.off_a >> 2u;
  let oy = u.off_y >> 2u;
  if (i < n) { y4[oy + i] = unary4(a4[oa + i]); }
  if (i + 1u < n) { y4[oy + i + 1u] = unary4(a4[oa + i + 1u]); }
}

@compute @workgroup_size(WG)
fn zip_flat4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = 2u * linear(gid, nwg);
  let n = u.n >> 2u;
  let oa = u.off_a >> 2u;
  let ob = u.off_b >> 2u;
  if (i < n) { y4[i] = binary4(a4[oa + i], b4[ob + i]); }
  if (i + 1u < n) { y4[i + 1u] = binary4(a4[oa + i + 1u], b4[ob + i + 1u]); }
}

// map and zip over strided views in whole vec4s: the launcher passes the count, shape, strides
// and offsets in vec4 units, which it can when every operand reads the innermost dimension
// contiguously, that dimension's length is a multiple of 4, and every other stride and every
// offset is too (a permute that keeps the innermost dimension, as splitting and merging attention
// heads does; a bias added along rows). One vec4 and one index computation per invocation.
@compute @workgroup_size(WG)
fn map_v4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y4[strided(i, u.sy0, u.sy1, u.off_y)] = unary4(a4[strided(i, u.sa0, u.sa1, u.off_a)]);
}

@compute @workgroup_size(WG)
fn zip_v4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y4[i] = binary4(a4[strided(i, u.sa0, u.sa1, u.off_a)], b4[strided(i, u.sb0, u.sb1, u.off_b)]);
}

@compute @workgroup_size(WG)
fn axpy4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = 2u * linear(gid, nwg);
  let n = u.n >> 2u;
  let oa = u.off_a >> 2u;
  let oy = u.off_y >> 2u;
  if (i < n) { y4[oy + i] += u.alpha * a4[oa + i]; }
  if (i + 1u < n) { y4[oy + i + 1u] += u.alpha * a4[oa + i + 1u]; }
}

@compute @workgroup_size(WG)
fn fill4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = 2u * linear(gid, nwg);
  let n = u.n >> 2u;
  let oy = u.off_y >> 2u;
  if (i < n) { y4[oy + i] = vec4f(u.alpha); }
  if (i + 1u < n) { y4[oy + i + 1u] = vec4f(u.alpha); }
}
