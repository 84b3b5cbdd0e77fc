// Cross-entropy fused with log-softmax, mean over rows whose label is not `ignore`:
//
//   loss = (1/count) Σ_{rows, label ≠ ignore} (lse − x[label]),   lse = m + log Σ_v e^(x_v − m)
//   dx   = g·(softmax(x) − onehot(label))/count on counted rows, 0 on ignored ones
//
// Logits are [n, V]. The forward reads each row once for its maximum and once for Σ e^(x−m).
// With few rows, each row is split over LANES threads: lane k takes columns k, k+LANES, …, so
// neighbouring threads read neighbouring addresses; `merge` then combines the lanes' (m, s).
// With many rows, `rows` does a whole row per thread. Labels outside [0, V) (other than `ignore`)
// are never read through: their row counts with a NaN loss, so the mistake shows, and a zero
// gradient.

struct Params {
  n: u32,
  V: u32,
  ignore: i32,
  lanes: u32,
  nan_bits: u32,   // 0x7fc00000: a NaN the compiler cannot fold away
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> part: array<f32>;          // [n, lanes, 2]: m, s
@group(0) @binding(4) var<storage, read_write> part_out: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;         // [2n + 1]: lse, row loss, 1/count
@group(0) @binding(6) var<storage, read_write> stats_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(8) var<storage, read> gy: array<f32>;
@group(0) @binding(9) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn counted(l: i32) -> bool {
  return l != u.ignore;
}

fn in_range(l: i32) -> bool {
  return l >= 0 && u32(l) < u.V;
}

// Row loss from the row's log-sum-exp; stats_out = [lse…, row loss…, (1/count by `finish`)].
fn finish_row(row: u32, lse: f32) {
  let l = labels[row];
  var rl = 0.0;
  if (counted(l)) {
    if (in_range(l)) {
      rl = lse - x[row * u.V + u32(l)];
    } else {
      rl = bitcast<f32>(u.nan_bits);
    }
  }
  stats_out[row] = lse;
  stats_out[u.n + row] = rl;
}

// One thread per (row, lane): the lane's maximum and Σ e^(x−m).
@compute @workgroup_size(WG)
fn partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n * u.lanes) { return; }
  let lane = t % u.lanes;
  let base = (t / u.lanes) * u.V;
  var m = -3.4028234e38;
  for (var v = lane; v < u.V; v += u.lanes) { m = max(m, x[base + v]); }
  var s = 0.0;
  for (var v = lane; v < u.V; v += u.lanes) { s += exp(x[base + v] - m); }
  part_out[2u * t] = m;
  part_out[2u * t + 1u] = s;
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

// One thread per row, the whole row.
@compute @workgroup_size(WG)
fn rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = linear(gid, nwg);
  if (row >= u.n) { return; }
  let base = row * u.V;
  var m = -3.4028234e38;
  for (var v = 0u; v < u.V; v++) { m = max(m, x[base + v]); }
  var s = 0.0;
  for (var v = 0u; v < u.V; v++) { s += exp(x[base + v] - m); }
  finish_row(row, m + log(s));
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

// dx over [n, V], one element per thread.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n * u.V) { return; }
  let row = i / u.V;
  let v = i % u.V;
  let l = labels[row];
  var d = 0.0;
  if (counted(l) && in_range(l)) {
    let p = exp(x[i] - stats[row]);
    d = (p - select(0.0, 1.0, u32(l) == v)) * (gy[0] * stats[2u * u.n]);
  }
  dx[i] = d;
}
