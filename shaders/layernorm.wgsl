// LayerNorm over the last axis of x viewed as [rows, C].
//
// forward:   x̂ = (x − μ)·r,  r = 1/√(σ² + eps),  y = x̂·γ + β      (σ² the biased variance)
// backward:  with ĝ = g·γ,
//            dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))       (per row)
//            dγ = Σ_rows g·x̂,   dβ = Σ_rows g            (per column)
//
// Row kernels give each thread one row: no workgroup memory or barriers, which software adapters
// punish (shared/PLATFORM.md). The column sums have few outputs (C) and many rows, so they run in
// two steps without atomics: partial sums over chunks of rows, then one thread per column adds
// the chunks.

struct Params {
  rows: u32,
  C: u32,
  eps: f32,
  chunk: u32,    // rows per partial sum (param-gradient kernels)
  chunks: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;      // [rows, 2]: μ, r
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats_out: array<f32>;
@group(0) @binding(8) var<storage, read> part: array<f32>;       // [2, chunks, C]: Σ g·x̂, Σ g
@group(0) @binding(9) var<storage, read_write> part_out: array<f32>;
@group(0) @binding(10) var<storage, read_write> dbeta: array<f32>;

override WG: u32 = 64;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// y = x̂·γ + β; saves μ and r for backward. Two passes for the variance (no cancellation).
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = linear(gid, nwg);
  if (row >= u.rows) { return; }
  let base = row * u.C;
  var s = 0.0;
  for (var c = 0u; c < u.C; c++) { s += x[base + c]; }
  let mu = s / f32(u.C);
  var v = 0.0;
  for (var c = 0u; c < u.C; c++) {
    let d = x[base + c] - mu;
    v = fma(d, d, v);
  }
  let r = inverseSqrt(v / f32(u.C) + u.eps);
  for (var c = 0u; c < u.C; c++) {
    y[base + c] = fma((x[base + c] - mu) * r, gamma[c], beta[c]);
  }
  stats_out[2u * row] = mu;
  stats_out[2u * row + 1u] = r;
}

// y = dx.
@compute @workgroup_size(WG)
fn backward_x(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = linear(gid, nwg);
  if (row >= u.rows) { return; }
  let base = row * u.C;
  let mu = stats[2u * row];
  let r = stats[2u * row + 1u];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = 0u; c < u.C; c++) {
    let gh = g[base + c] * gamma[c];
    sg += gh;
    sgx = fma(gh, (x[base + c] - mu) * r, sgx);
  }
  let inv_c = 1.0 / f32(u.C);
  let a = sg * inv_c;
  let b = sgx * inv_c;
  for (var c = 0u; c < u.C; c++) {
    let xh = (x[base + c] - mu) * r;
    y[base + c] = r * (g[base + c] * gamma[c] - a - xh * b);
  }
}

// part_out[0, k, c] = Σ g·x̂ and part_out[1, k, c] = Σ g over rows [k·chunk, (k+1)·chunk).
@compute @workgroup_size(WG)
fn backward_params_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.chunks * u.C) { return; }
  let c = t % u.C;
  let k = t / u.C;
  let r0 = k * u.chunk;
  let r1 = min(u.rows, r0 + u.chunk);
  var sgx = 0.0;
  var sg = 0.0;
  for (var row = r0; row < r1; row++) {
    let gv = g[row * u.C + c];
    sgx = fma(gv, (x[row * u.C + c] - stats[2u * row]) * stats[2u * row + 1u], sgx);
    sg += gv;
  }
  part_out[t] = sgx;
  part_out[u.chunks * u.C + t] = sg;
}

// y = dγ, dbeta = dβ: the chunks' partial sums added.
@compute @workgroup_size(WG)
fn backward_params_final(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = linear(gid, nwg);
  if (c >= u.C) { return; }
  var sgx = 0.0;
  var sg = 0.0;
  for (var k = 0u; k < u.chunks; k++) {
    sgx += part[k * u.C + c];
    sg += part[(u.chunks + k) * u.C + c];
  }
  y[c] = sgx;
  dbeta[c] = sg;
}
