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
  rank: u32,
  off_a: u32,
  off_b: u32,
  off_y: u32,
  alpha: f32,
  beta: f32,
  _pad: u32,
  shape: array<vec4u, 2>,
  sa: array<vec4u, 2>,   // strides of a (elements)
  sb: array<vec4u, 2>,   // strides of b
  sy: array<vec4u, 2>,   // strides of y (map only)
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;
override OP: u32 = 0;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn dim(i: u32) -> u32 { return u.shape[i / 4u][i % 4u]; }

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

// Offset of output coordinate `i` (row-major over u.shape) under strides `s`.
fn offset_a(i: u32) -> u32 {
  var rest = i;
  var off = u.off_a;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = dim(u32(d));
    off += (rest % n) * u.sa[u32(d) / 4u][u32(d) % 4u];
    rest /= n;
  }
  return off;
}

fn offset_b(i: u32) -> u32 {
  var rest = i;
  var off = u.off_b;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = dim(u32(d));
    off += (rest % n) * u.sb[u32(d) / 4u][u32(d) % 4u];
    rest /= n;
  }
  return off;
}

fn offset_y(i: u32) -> u32 {
  var rest = i;
  var off = u.off_y;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let n = dim(u32(d));
    off += (rest % n) * u.sy[u32(d) / 4u][u32(d) % 4u];
    rest /= n;
  }
  return off;
}

// y[strided] = f(a[strided]).
@compute @workgroup_size(WG)
fn map(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[offset_y(i)] = unary(a[offset_a(i)]);
}

// y[i] = f(a[strided], b[strided]), y contiguous.
@compute @workgroup_size(WG)
fn zip(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  y[i] = binary(a[offset_a(i)], b[offset_b(i)]);
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
