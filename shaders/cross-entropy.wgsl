// Cross-entropy fused with log-softmax, mean over rows whose label is not `ignore`:
//
//   loss = (1/count) Σ_{rows, label ≠ ignore} (lse − x[label]),   lse = log Σ_v e^(x_v)
//   dx   = g·(softmax(x) − onehot(label))/count on counted rows, 0 on ignored ones
//
// Logits are [n, V]. The forward reads each row once, with an online log-sum-exp: the running
// (m, s) = (max, Σ e^(x−m)) takes x as  s ← s + e^(x−m) if x ≤ m,  s ← s·e^(m−x) + 1 otherwise,
// one exponential e^(−|x−m|) either way. With few rows, each row is split over `lanes` threads
// (lane k takes columns k, k + lanes, …) and `merge` combines the lanes' (m, s); with many rows,
// `rows` does a whole row per thread. Labels outside [0, V) (other than `ignore`) are never used
// as an index: their row counts with a NaN loss, so the mistake shows, and a zero gradient.
//
// Width: written for rows of vec4 (V % 4 == 0); engine/ops/cross-entropy.ts swaps the block
// between the markers for its vec2 or f32 version when V is no multiple of 4.

// width {
alias vec = vec4f;
const W = 4u;
fn hsum(v: vec) -> f32 { return dot(v, vec4f(1.0)); }
fn hmax(v: vec) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }
fn onehot(c: u32, l: u32) -> vec { return select(vec(0.0), vec(1.0), vec4u(W * c) + vec4u(0u, 1u, 2u, 3u) == vec4u(l)); }
fn logit(i: u32) -> f32 { return x[i / W][i % W]; }
// }

struct Params {
  n: u32,
  V: u32,          // floats per row
  ignore: i32,
  lanes: u32,
  nan_bits: u32,   // 0x7fc00000: a NaN the compiler cannot fold away
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<vec>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> part: array<f32>;          // [n, lanes, 2]: m, s
@group(0) @binding(4) var<storage, read_write> part_out: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;         // [2n + 1]: lse, row loss, 1/count
@group(0) @binding(6) var<storage, read_write> stats_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(8) var<storage, read> gy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dx: array<vec>;

override WG: u32 = 64;
override PER: u32 = 4;   // vecs per thread in `backward`

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn counted(l: i32) -> bool {
  return l != u.ignore;
}

fn in_range(l: i32) -> bool {
  return l >= 0 && u32(l) < u.V;
}

// (max, Σ e^(x − max)) over the vecs lane, lane + lanes, … of one row.
fn lane_stats(row: u32, lane: u32) -> vec2f {
  let vw = u.V / W;
  let base = row * vw;
  var m = vec(-3.4028234e38);
  var s = vec(0.0);
  for (var c = lane; c < vw; c += u.lanes) {
    let xv = x[base + c];
    let d = xv - m;
    let ex = exp(-abs(d));
    s = select(s + ex, fma(s, ex, vec(1.0)), d > vec(0.0));
    m = max(m, xv);
  }
  let mm = hmax(m);
  return vec2f(mm, hsum(s * exp(m - mm)));
}

// Row loss from the row's log-sum-exp; stats_out = [lse…, row loss…, (1/count by `finish`)].
fn finish_row(row: u32, lse: f32) {
  let l = labels[row];
  var rl = 0.0;
  if (counted(l)) {
    if (in_range(l)) {
      rl = lse - logit(row * u.V + u32(l));
    } else {
      rl = bitcast<f32>(u.nan_bits);
    }
  }
  stats_out[row] = lse;
  stats_out[u.n + row] = rl;
}

// One thread per (row, lane).
@compute @workgroup_size(WG)
fn partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n * u.lanes) { return; }
  let ms = lane_stats(t / u.lanes, t % u.lanes);
  part_out[2u * t] = ms.x;
  part_out[2u * t + 1u] = ms.y;
}

// One thread per row: the lanes' (m, s) combined, Σ s_k e^(m_k − M) with M = max m_k.
@compute @workgroup_size(WG)
fn merge(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = linear(gid, nwg);
  if (row >= u.n) { return; }
  let p0 = row * u.lanes;
  var m = -3.4028234e38;
  for (var k = 0u; k < u.lanes; k++) { m = max(m, part[2u * (p0 + k)]); }
  var s = 0.0;
  for (var k = 0u; k < u.lanes; k++) { s = fma(part[2u * (p0 + k) + 1u], exp(part[2u * (p0 + k)] - m), s); }
  finish_row(row, m + log(s));
}

// One thread per row, the whole row (lanes = 1).
@compute @workgroup_size(WG)
fn rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = linear(gid, nwg);
  if (row >= u.n) { return; }
  let ms = lane_stats(row, 0u);
  finish_row(row, ms.x + log(ms.y));
}

// One thread: the mean over counted rows (0 when none is counted, not 0/0); 1/count saved.
@compute @workgroup_size(1)
fn finish() {
  var total = 0.0;
  var count = 0u;
  for (var row = 0u; row < u.n; row++) {
    if (counted(labels[row])) {
      total += stats_out[u.n + row];
      count++;
    }
  }
  let inv = select(0.0, 1.0 / f32(count), count > 0u);
  loss[0] = total * inv;
  stats_out[2u * u.n] = inv;
}

// dx: workgroups along x cover a row's vecs (PER per thread, WG apart), y and z the rows.
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y + wid.z * nwg.y;
  if (row >= u.n) { return; }
  let vw = u.V / W;
  let base = row * vw;
  let l = labels[row];
  let ok = counted(l) && in_range(l);
  let lse = stats[row];
  let c = select(0.0, gy[0] * stats[2u * u.n], ok);
  let lu = select(0xffffffffu, u32(l), ok);
  for (var k = 0u; k < PER; k++) {
    let col = (wid.x * PER + k) * WG + lid;
    if (col >= vw) { return; }
    dx[base + col] = (exp(x[base + col] - lse) - onehot(col, lu)) * c;
  }
}
