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
//
// Width: written for rows of vec4 (C % 4 == 0, every model width), which software adapters load
// 2–5× faster than scalars; engine/ops/norm.ts swaps the block between the markers for its f32
// version when C is no multiple of 4.

// width {
alias vec = vec4f;
const W = 4u;                 // floats per vec
fn hsum(v: vec) -> f32 { return dot(v, vec4f(1.0)); }
// }

struct Params {
  rows: u32,
  C: u32,       // floats per row
  eps: f32,
  chunk: u32,   // rows per partial sum (param-gradient kernels)
  chunks: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<vec>;
@group(0) @binding(2) var<storage, read> gamma: array<vec>;
@group(0) @binding(3) var<storage, read> beta: array<vec>;
@group(0) @binding(4) var<storage, read> g: array<vec>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;      // [rows, 2]: μ, r
@group(0) @binding(6) var<storage, read_write> y: array<vec>;
@group(0) @binding(7) var<storage, read_write> stats_out: array<f32>;
@group(0) @binding(8) var<storage, read> part: array<vec>;       // [2, chunks, C]: Σ g·x̂, Σ g
@group(0) @binding(9) var<storage, read_write> part_out: array<vec>;
@group(0) @binding(10) var<storage, read_write> dbeta: array<vec>;

override WG: u32 = 64;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// y = x̂·γ + β; saves μ and r for backward. Two passes for the variance (no cancellation).
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = linear(gid, nwg);
  if (row >= u.rows) { return; }
  let cw = u.C / W;
  let base = row * cw;
  var s = vec(0.0);
  for (var c = 0u; c < cw; c++) { s += x[base + c]; }
  let mu = hsum(s) / f32(u.C);
  var v = vec(0.0);
  for (var c = 0u; c < cw; c++) {
    let d = x[base + c] - mu;
    v = fma(d, d, v);
  }
  let r = inverseSqrt(hsum(v) / f32(u.C) + u.eps);
  for (var c = 0u; c < cw; c++) {
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
  let cw = u.C / W;
  let base = row * cw;
  let mu = stats[2u * row];
  let r = stats[2u * row + 1u];
  var sg = vec(0.0);
  var sgx = vec(0.0);
  for (var c = 0u; c < cw; c++) {
    let gh = g[base + c] * gamma[c];
    sg += gh;
    sgx = fma(gh, (x[base + c] - mu) * r, sgx);
  }
  let inv_c = 1.0 / f32(u.C);
  let a = hsum(sg) * inv_c;
  let b = hsum(sgx) * inv_c;
  for (var c = 0u; c < cw; c++) {
    let xh = (x[base + c] - mu) * r;
    y[base + c] = r * (g[base + c] * gamma[c] - a - xh * b);
  }
}

// part_out[0, k, c] = Σ g·x̂ and part_out[1, k, c] = Σ g over rows [k·chunk, (k+1)·chunk).
@compute @workgroup_size(WG)
fn backward_params_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  let cw = u.C / W;
  if (t >= u.chunks * cw) { return; }
  let c = t % cw;
  let k = t / cw;
  let r0 = k * u.chunk;
  let r1 = min(u.rows, r0 + u.chunk);
  var sgx = vec(0.0);
  var sg = vec(0.0);
  for (var row = r0; row < r1; row++) {
    let gv = g[row * cw + c];
    sgx = fma(gv, (x[row * cw + c] - stats[2u * row]) * stats[2u * row + 1u], sgx);
    sg += gv;
  }
  part_out[t] = sgx;
  part_out[u.chunks * cw + t] = sg;
}

// y = dγ, dbeta = dβ: the chunks' partial sums added.
@compute @workgroup_size(WG)
fn backward_params_final(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = linear(gid, nwg);
  let cw = u.C / W;
  if (c >= cw) { return; }
  var sgx = vec(0.0);
  var sg = vec(0.0);
  for (var k = 0u; k < u.chunks; k++) {
    sgx += part[k * cw + c];
    sg += part[(u.chunks + k) * cw + c];
  }
  y[c] = sgx;
  dbeta[c] = sg;
}
