// Symmetric InfoNCE with soft targets, fused (CLIP; RoCo's false-negative correction).
//
// img, txt [n, d]; rows L2-normalised: â_i = a_i·rA_i, b̂_j = b_j·rB_j, r = 1/max(‖·‖, 1e-12).
//   S_ij  = â_i·b̂_j / τ
//   loss  = 1/(2n) · ( Σ_i Σ_j T_ij (lseR_i − S_ij)  +  Σ_j Σ_i T_ij (lseC_j − S_ij) )
// with lseR_i = log Σ_j e^S_ij (rows) and lseC_j = log Σ_i e^S_ij (columns: logitsᵀ with targetsᵀ).
// T is the identity without targets. The column term uses Tᵀ as given; its rows need not sum to 1.
//
// Backward, g the upstream gradient, P = e^(S − lseR) (row softmax), Q = e^(S − lseC) (column):
//   G_ij  = dL/dS_ij = g/(2n) · (rowT_i P_ij + colT_j Q_ij − 2 T_ij),  rowT = Σ_j T_ij, colT = Σ_i T_ij
//   dâ_i  = Σ_j G_ij b̂_j / τ,   db̂_j = Σ_i G_ij â_i / τ
//   da_i  = rA_i (dâ_i − â_i (â_i·dâ_i))          (through the normalisation; likewise db)
//   dτ    = −Σ_ij G_ij S_ij / τ
//
// Forward: `logits` (S, and the row norms, from the raw rows in one pass), `loss` (one workgroup:
// every row and column log-sum-exp, the loss). Backward: `grad_logits`, `grad_rows` (dâ, db̂: two
// small matmuls), `grad_inputs` (through the normalisation, and dτ).

struct Params {
  n: u32,
  d: u32,
  inv_tau: f32,    // 1/τ when τ is a number (TAU_BUF = false)
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> img: array<f32>;
@group(0) @binding(2) var<storage, read> txt: array<f32>;
@group(0) @binding(3) var<storage, read> temp: array<f32>;       // [1]: τ (TAU_BUF)
@group(0) @binding(4) var<storage, read> targets: array<f32>;    // [n, n] (HAS_T)
@group(0) @binding(5) var<storage, read> S: array<f32>;          // [n, n] logits
@group(0) @binding(6) var<storage, read> stats: array<f32>;      // [6, n]: rA, rB, lseR, lseC, rowT, colT
@group(0) @binding(7) var<storage, read> G: array<f32>;          // [n·n + n]: dL/dS, then Σ_j G_ij S_ij per row
@group(0) @binding(8) var<storage, read> gy: array<f32>;         // [1]
@group(0) @binding(9) var<storage, read_write> out: array<f32>;  // S (logits), the loss (loss), G (grad_logits), dimg
@group(0) @binding(10) var<storage, read_write> stats_out: array<f32>;
@group(0) @binding(11) var<storage, read_write> dtxt: array<f32>;
@group(0) @binding(12) var<storage, read_write> dtau: array<f32>;

override WG: u32 = 64;
override TAU_BUF: bool = false;
override HAS_T: bool = false;

var<workgroup> wsum: array<f32, WG>;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn inv_tau() -> f32 {
  if (TAU_BUF) { return 1.0 / temp[0]; }
  return u.inv_tau;
}

fn tgt(i: u32, j: u32) -> f32 {
  if (HAS_T) { return targets[i * u.n + j]; }
  return select(0.0, 1.0, i == j);
}

// One thread per 4×4 block of S: dot products of raw rows and their squared norms in one pass
// over d, then S = (a_i·b_j)·rA_i·rB_j/τ. Rows past n repeat row n−1 so loads stay in bounds.
@compute @workgroup_size(WG)
fn logits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  let nb = (u.n + 3u) / 4u;
  if (t >= nb * nb) { return; }
  let i0 = (t / nb) * 4u;
  let j0 = (t % nb) * 4u;
  let last = u.n - 1u;
  let a0 = min(i0, last) * u.d;
  let a1 = min(i0 + 1u, last) * u.d;
  let a2 = min(i0 + 2u, last) * u.d;
  let a3 = min(i0 + 3u, last) * u.d;
  let b0 = min(j0, last) * u.d;
  let b1 = min(j0 + 1u, last) * u.d;
  let b2 = min(j0 + 2u, last) * u.d;
  let b3 = min(j0 + 3u, last) * u.d;
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  var na = vec4f(0.0);
  var nb2 = vec4f(0.0);
  for (var k = 0u; k < u.d; k++) {
    let a = vec4f(img[a0 + k], img[a1 + k], img[a2 + k], img[a3 + k]);
    let b = vec4f(txt[b0 + k], txt[b1 + k], txt[b2 + k], txt[b3 + k]);
    c0 = fma(vec4f(a.x), b, c0);
    c1 = fma(vec4f(a.y), b, c1);
    c2 = fma(vec4f(a.z), b, c2);
    c3 = fma(vec4f(a.w), b, c3);
    na = fma(a, a, na);
    nb2 = fma(b, b, nb2);
  }
  let ra = 1.0 / max(sqrt(na), vec4f(1e-12));
  let rb = 1.0 / max(sqrt(nb2), vec4f(1e-12));
  let it = inv_tau();
  var rows = array<vec4f, 4>(c0 * (ra.x * it) * rb, c1 * (ra.y * it) * rb, c2 * (ra.z * it) * rb, c3 * (ra.w * it) * rb);
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i >= u.n) { break; }
    for (var c = 0u; c < 4u; c++) {
      if (j0 + c < u.n) { out[i * u.n + j0 + c] = rows[r][c]; }
    }
    if (j0 == 0u) { stats_out[i] = ra[r]; }
  }
  if (i0 == 0u) {
    for (var c = 0u; c < 4u; c++) {
      if (j0 + c < u.n) { stats_out[u.n + j0 + c] = rb[c]; }
    }
  }
}

// One workgroup: each thread takes rows lid, lid + WG, … and columns likewise; the per-thread
// sums meet in workgroup memory once.
@compute @workgroup_size(WG)
fn loss(@builtin(local_invocation_index) lid: u32) {
  let n = u.n;
  var part = 0.0;
  for (var i = lid; i < n; i += WG) {
    var m = -3.4028234e38;
    for (var j = 0u; j < n; j++) { m = max(m, S[i * n + j]); }
    var s = 0.0;
    var tsum = 0.0;
    var ts = 0.0;
    for (var j = 0u; j < n; j++) {
      let v = S[i * n + j];
      s += exp(v - m);
      let tv = tgt(i, j);
      tsum += tv;
      ts = fma(tv, v, ts);
    }
    let lse = m + log(s);
    stats_out[2u * n + i] = lse;
    stats_out[4u * n + i] = tsum;
    part += tsum * lse - ts;
  }
  for (var j = lid; j < n; j += WG) {
    var m = -3.4028234e38;
    for (var i = 0u; i < n; i++) { m = max(m, S[i * n + j]); }
    var s = 0.0;
    var tsum = 0.0;
    var ts = 0.0;
    for (var i = 0u; i < n; i++) {
      let v = S[i * n + j];
      s += exp(v - m);
      let tv = tgt(i, j);
      tsum += tv;
      ts = fma(tv, v, ts);
    }
    let lse = m + log(s);
    stats_out[3u * n + j] = lse;
    stats_out[5u * n + j] = tsum;
    part += tsum * lse - ts;
  }
  wsum[lid] = part;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var k = 0u; k < WG; k++) { total += wsum[k]; }
    out[0] = total / f32(2u * n);
  }
}

// One thread per row i: G_ij for every j, and Σ_j G_ij S_ij (for dτ).
@compute @workgroup_size(WG)
fn grad_logits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  let n = u.n;
  if (i >= n) { return; }
  let c = gy[0] / f32(2u * n);
  let lse_r = stats[2u * n + i];
  let row_t = stats[4u * n + i];
  var gs = 0.0;
  for (var j = 0u; j < n; j++) {
    let s = S[i * n + j];
    let p = exp(s - lse_r);
    let q = exp(s - stats[3u * n + j]);
    let g = c * (row_t * p + stats[5u * n + j] * q - 2.0 * tgt(i, j));
    out[i * n + j] = g;
    gs = fma(g, s, gs);
  }
  out[n * n + i] = gs;
}

// dâ = G·B̂/τ into out (dimg) and db̂ = Gᵀ·Â/τ into dtxt: one thread per (side, 4 rows, 4 of d).
@compute @workgroup_size(WG)
fn grad_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  let n = u.n;
  let d = u.d;
  let nb = (n + 3u) / 4u;
  let db = (d + 3u) / 4u;
  if (t >= 2u * nb * db) { return; }
  let side = t / (nb * db);
  let r0 = ((t / db) % nb) * 4u;
  let k0 = (t % db) * 4u;
  let lastr = n - 1u;
  let lastk = d - 1u;
  let k = vec4u(min(k0, lastk), min(k0 + 1u, lastk), min(k0 + 2u, lastk), min(k0 + 3u, lastk));
  let rr = vec4u(min(r0, lastr), min(r0 + 1u, lastr), min(r0 + 2u, lastr), min(r0 + 3u, lastr));
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  if (side == 0u) {
    // Rows i of dâ: Σ_j G_ij rB_j txt_j.
    for (var j = 0u; j < n; j++) {
      let rbj = stats[n + j];
      let g = vec4f(G[rr.x * n + j], G[rr.y * n + j], G[rr.z * n + j], G[rr.w * n + j]) * rbj;
      let b = vec4f(txt[j * d + k.x], txt[j * d + k.y], txt[j * d + k.z], txt[j * d + k.w]);
      c0 = fma(vec4f(g.x), b, c0);
      c1 = fma(vec4f(g.y), b, c1);
      c2 = fma(vec4f(g.z), b, c2);
      c3 = fma(vec4f(g.w), b, c3);
    }
  } else {
    // Rows j of db̂: Σ_i G_ij rA_i img_i.
    for (var i = 0u; i < n; i++) {
      let rai = stats[i];
      let g = vec4f(G[i * n + rr.x], G[i * n + rr.y], G[i * n + rr.z], G[i * n + rr.w]) * rai;
      let a = vec4f(img[i * d + k.x], img[i * d + k.y], img[i * d + k.z], img[i * d + k.w]);
      c0 = fma(vec4f(g.x), a, c0);
      c1 = fma(vec4f(g.y), a, c1);
      c2 = fma(vec4f(g.z), a, c2);
      c3 = fma(vec4f(g.w), a, c3);
    }
  }
  let it = inv_tau();
  var rows = array<vec4f, 4>(c0 * it, c1 * it, c2 * it, c3 * it);
  for (var r = 0u; r < 4u; r++) {
    let row = r0 + r;
    if (row >= n) { break; }
    for (var c = 0u; c < 4u; c++) {
      if (k0 + c < d) {
        if (side == 0u) { out[row * d + k0 + c] = rows[r][c]; } else { dtxt[row * d + k0 + c] = rows[r][c]; }
      }
    }
  }
}

// One thread per row of img, then of txt: da = r(dâ − â(â·dâ)) in place. Thread 0 also writes dτ.
@compute @workgroup_size(WG)
fn grad_inputs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  let n = u.n;
  let d = u.d;
  if (t >= 2u * n) { return; }
  if (t < n) {
    let r = stats[t];
    var dot = 0.0;
    for (var k = 0u; k < d; k++) { dot = fma(img[t * d + k] * r, out[t * d + k], dot); }
    for (var k = 0u; k < d; k++) { out[t * d + k] = r * (out[t * d + k] - img[t * d + k] * r * dot); }
  } else {
    let j = t - n;
    let r = stats[n + j];
    var dot = 0.0;
    for (var k = 0u; k < d; k++) { dot = fma(txt[j * d + k] * r, dtxt[j * d + k], dot); }
    for (var k = 0u; k < d; k++) { dtxt[j * d + k] = r * (dtxt[j * d + k] - txt[j * d + k] * r * dot); }
  }
  if (t == 0u) {
    var gs = 0.0;
    for (var i = 0u; i < n; i++) { gs += G[n * n + i]; }
    dtau[0] = -gs * inv_tau();
  }
}
