// Batched matrix multiply  C[b] = op(A[b]) · op(B[b]),  op = identity or transpose.
//
// A is [batch, M, K] (or [batch, K, M] when TA), B is [batch, K, N] (or [batch, N, K] when TB),
// C is [batch, M, N]; a batch stride of 0 broadcasts one matrix over the batch.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  stride_a: u32,   // elements between consecutive batch matrices of A (0 = broadcast)
  stride_b: u32,
  alpha: f32,      // C = alpha · A·B
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override WG: u32 = 64;
override TA: bool = false;
override TB: bool = false;

fn a_at(base: u32, m: u32, k: u32) -> f32 {
  if (TA) { return a[base + k * u.M + m]; }
  return a[base + m * u.K + k];
}

fn b_at(base: u32, k: u32, n: u32) -> f32 {
  if (TB) { return b[base + n * u.K + k]; }
  return b[base + k * u.N + n];
}

// One thread per output element: the reference variant, correct for every shape and adapter.
@compute @workgroup_size(WG)
fn naive(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.batch * u.M * u.N) { return; }
  let n = t % u.N;
  let m = (t / u.N) % u.M;
  let bi = t / (u.M * u.N);
  let ab = bi * u.stride_a;
  let bb = bi * u.stride_b;
  var acc = 0.0;
  for (var k = 0u; k < u.K; k++) {
    acc = fma(a_at(ab, m, k), b_at(bb, k, n), acc);
  }
  c[t] = u.alpha * acc;
}
