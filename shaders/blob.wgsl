// Blob filters of 3-D volumes: a Gaussian blur along one axis (blur_axis, run once per axis; for
// rows of whole vec4s blur_w4 along W and blur_block4 along H and D), and the scale-normalised
// Hessian's bright- and dark-blob responses of the blurred volume (hessian_blob, or hessian_blob4
// four voxels a thread; Lindeberg's blob detector). Each (n, c) volume [D, H, W] is filtered on its own.
//
//   blur:  y[i] = Σ_{t=−R..R} g(t) x[i + clamp(c + t) − c along the axis] / Σ g,  g(t) = exp(−t²/2σ²)
//          (edges clamped: the border voxel repeats, as the reference does)
//   blob:  H = the 3×3 matrix of second central differences of the blurred volume at a voxel,
//          λ1 ≤ λ2 ≤ λ3 its eigenvalues (closed form for a symmetric 3×3, Smith 1961);
//          bright = σ²·max(0, −λ3)   (every curvature negative: a bright ball, not a tube or a sheet)
//          dark   = σ²·max(0,  λ1)   (every curvature positive: a dark ball)
//          Border voxels (no neighbour on some side) are 0. σ² makes the response the same for
//          a ball the filter's size at any scale.
// Output of hessian_blob: [N, 2·C, D, H, W], bright of channel c at c, dark at C + c.

struct Params {
  NC: u32, D: u32, H: u32, W: u32,
  C: u32, n: u32,          // n: threads of the dispatch (voxels, or the vec4 kernels' vec4s or blocks)
  stride: u32, len: u32,   // blur_axis: the axis's stride and length in voxels
  R: i32, inv2s2: f32, norm: f32, s2: f32,  // radius, 1/(2σ²), 1/Σg, σ²
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// The same buffers a vec4 at a time, for volumes whose rows are whole vec4s (W a multiple of 4):
// one load brings 4 voxels, and on a software rasteriser a load costs as much as tens of fma.
@group(0) @binding(3) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4f>;

override WG: u32 = 64;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn blur_axis(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  let c = i32((i / u.stride) % u.len);
  let last = i32(u.len) - 1;
  // g(t) = exp(−t²a) by a recurrence, two exp() a voxel instead of one a tap:
  // g(t + 1) = g(t)·r(t), r(t) = exp(−(2t + 1)a), r(t + 1) = r(t)·exp(−2a).
  let a = u.inv2s2;
  var g = exp(-f32(u.R * u.R) * a);
  var r = exp(f32(2 * u.R - 1) * a);
  let q = exp(-2.0 * a);
  var s = 0.0;
  for (var t = -u.R; t <= u.R; t++) {
    let at = clamp(c + t, 0, last);
    s += g * x[u32(i32(i) + (at - c) * i32(u.stride))];
    g *= r;
    r *= q;
  }
  y[i] = s * u.norm;
}

// The fast blur, for rows of whole vec4s (W a multiple of 4) and R ≤ 4 (σ ≤ 4/3): the weights
// g(t)/Σg for t = −R…R, made once a thread by the same recurrence. The radius is a pipeline
// constant here (FR = FR, set by the launch), so the compiler can unroll the tap loops and keep
// the small arrays they index in registers; with a uniform bound they stay loops over memory.
override FR: i32 = 3;
fn taps9() -> array<f32, 9> {
  var w: array<f32, 9>;
  let a = u.inv2s2;
  var g = exp(-f32(FR * FR) * a);
  var r = exp(f32(2 * FR - 1) * a);
  let q = exp(-2.0 * a);
  for (var t = 0; t <= 2 * FR; t++) {
    w[t] = g * u.norm;
    g *= r;
    r *= q;
  }
  return w;
}

// Along W: one thread, the vec4 of voxels w0…w0 + 3, from the vec4s before, at and after it (with
// R ≤ 4 no tap reaches further). Past a row's end a whole vec4 lies outside it, so clamping is a
// splat of the row's first or last voxel.
@compute @workgroup_size(WG)
fn blur_w4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i4 = linear(gid, nwg);
  if (i4 >= u.n) { return; }
  let w0 = (i4 * 4u) % u.W;
  let row4 = i4 - w0 / 4u;
  let m = x4[i4];
  // select() evaluates both sides, so the neighbours' indices are clamped to the row first: no
  // read leaves the row, whatever the adapter's robustness.
  let last4 = row4 + u.W / 4u - 1u;
  let l = select(vec4f(x4[row4].x), x4[max(i4, row4 + 1u) - 1u], w0 > 0u);
  let r = select(vec4f(x4[last4].w), x4[min(i4 + 1u, last4)], w0 + 4u < u.W);
  let v = array<f32, 12>(l.x, l.y, l.z, l.w, m.x, m.y, m.z, m.w, r.x, r.y, r.z, r.w);
  let w = taps9();
  var out = vec4f(0.0);
  for (var k = 0; k < 4; k++) {
    var s = 0.0;
    for (var t = -FR; t <= FR; t++) { s += w[t + FR] * v[4 + k + t]; }
    out[k] = s;
  }
  y4[i4] = out;
}

// Along H or D (the stride a multiple of W, so of 4): one thread, a vec4 of voxels at 4 consecutive
// places c…c + 3 of the axis, from the 4 + 2R vec4s around them: each load serves up to 4 outputs
// (2.5 loads an output vec4 at R = 3, against 7 one place a thread).
@compute @workgroup_size(WG)
fn blur_block4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = linear(gid, nwg);
  if (j >= u.n) { return; }
  let st4 = u.stride / 4u;
  let nb = (u.len + 3u) / 4u;
  let inner = j % st4;
  let b = (j / st4) % nb;
  let outer = j / (st4 * nb);
  let base = outer * st4 * u.len + inner;
  let c0 = i32(4u * b);
  let last = i32(u.len) - 1;
  let w = taps9();
  var s = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var p = c0 - FR; p <= c0 + 3 + FR; p++) {
    let v = x4[base + u32(clamp(p, 0, last)) * st4];
    for (var k = 0; k < 4; k++) {
      let t = p - c0 - k;
      if (t >= -FR && t <= FR) { s[k] += w[t + FR] * v; }
    }
  }
  for (var k = 0; k < 4; k++) {
    if (c0 + k <= last) { y4[base + u32(c0 + k) * st4] = s[k]; }
  }
}

// Voxel i of the input (all volumes in a row): its place in its volume, and where its bright and
// dark responses go in the [N, 2·C, D, H, W] output.
struct Place { w: u32, h: u32, d: u32, out_b: u32, out_d: u32 }

fn place(i: u32) -> Place {
  let vol = u.D * u.H * u.W;
  let nc = i / vol;
  let r = i % vol;
  let out_b = ((nc / u.C) * 2u * u.C + nc % u.C) * vol + r;
  return Place(r % u.W, (r / u.W) % u.H, r / (u.W * u.H), out_b, out_b + u.C * vol);
}

// Bright and dark responses from the six second differences (hessian_blob says how).
fn blob_of(hxx: f32, hyy: f32, hzz: f32, hxy: f32, hxz: f32, hyz: f32) -> vec2f {
  // Eigenvalues: q the mean of the diagonal, p the spread; B = (H − qI)/p has det(B)/2 = cos 3φ.
  let q = (hxx + hyy + hzz) / 3.0;
  let a = hxx - q;
  let b = hyy - q;
  let c = hzz - q;
  let p = sqrt((a * a + b * b + c * c + 2.0 * (hxy * hxy + hxz * hxz + hyz * hyz)) / 6.0);
  var l1 = min(min(hxx, hyy), hzz);
  var l3 = max(max(hxx, hyy), hzz);
  if (p > 1e-12) {
    let ip = 1.0 / p;
    let A = a * ip;
    let Bb = b * ip;
    let Cc = c * ip;
    let XY = hxy * ip;
    let XZ = hxz * ip;
    let YZ = hyz * ip;
    let det = A * (Bb * Cc - YZ * YZ) - XY * (XY * Cc - YZ * XZ) + XZ * (XY * YZ - Bb * XZ);
    let phi = acos(clamp(det * 0.5, -1.0, 1.0)) / 3.0;
    l3 = q + 2.0 * p * cos(phi);
    l1 = q + 2.0 * p * cos(phi + 2.0943951023931953);
  }
  return u.s2 * vec2f(max(0.0, -l3), max(0.0, l1));
}

// A row of 4 voxels w0..w0+3 of the row starting at `row` (a scalar index), with its neighbours
// w0 − 1 and w0 + 4 where they exist (0 where they do not: only border lanes, set to 0 below, would
// use them; the indices are clamped into the row because select() reads both sides).
struct Row6 { l: f32, m: vec4f, r: f32 }

fn row6(row: u32, w0: u32) -> Row6 {
  let l = select(0.0, x[row + max(w0, 1u) - 1u], w0 > 0u);
  let r = select(0.0, x[row + min(w0 + 4u, u.W - 1u)], w0 + 4u < u.W);
  return Row6(l, x4[(row + w0) / 4u], r);
}

// One thread, 4 voxels of a row: 19 loads (9 of them vec4) instead of 19 a voxel.
@compute @workgroup_size(WG)
fn hessian_blob4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i4 = linear(gid, nwg);
  if (i4 >= u.n) { return; }
  let i = i4 * 4u;
  let at = place(i);
  let w0 = at.w;
  let out_b = at.out_b;
  let out_d = at.out_d;
  if (at.h == 0u || at.d == 0u || at.h + 1u == u.H || at.d + 1u == u.D) {
    y4[out_b / 4u] = vec4f(0.0);
    y4[out_d / 4u] = vec4f(0.0);
    return;
  }
  let row = i - w0;
  let Y = u.W;
  let Z = u.W * u.H;
  let c0 = row6(row, w0);
  let yp = row6(row + Y, w0);
  let ym = row6(row - Y, w0);
  let zp = row6(row + Z, w0);
  let zm = row6(row - Z, w0);
  let ypzp = x4[(row + Y + Z + w0) / 4u];
  let ypzm = x4[(row + Y - Z + w0) / 4u];
  let ymzp = x4[(row - Y + Z + w0) / 4u];
  let ymzm = x4[(row - Y - Z + w0) / 4u];
  // Each row as 6 values at w0 − 1 … w0 + 4; lane k's x-neighbours are at k and k + 2.
  let cr = array<f32, 6>(c0.l, c0.m.x, c0.m.y, c0.m.z, c0.m.w, c0.r);
  let ypr = array<f32, 6>(yp.l, yp.m.x, yp.m.y, yp.m.z, yp.m.w, yp.r);
  let ymr = array<f32, 6>(ym.l, ym.m.x, ym.m.y, ym.m.z, ym.m.w, ym.r);
  let zpr = array<f32, 6>(zp.l, zp.m.x, zp.m.y, zp.m.z, zp.m.w, zp.r);
  let zmr = array<f32, 6>(zm.l, zm.m.x, zm.m.y, zm.m.z, zm.m.w, zm.r);
  var bright = vec4f(0.0);
  var dark = vec4f(0.0);
  for (var k = 0u; k < 4u; k++) {
    let w = w0 + k;
    if (w == 0u || w + 1u == u.W) { continue; }
    let c2 = 2.0 * cr[k + 1u];
    let hxx = cr[k + 2u] - c2 + cr[k];
    let hyy = ypr[k + 1u] - c2 + ymr[k + 1u];
    let hzz = zpr[k + 1u] - c2 + zmr[k + 1u];
    let hxy = (ypr[k + 2u] - ymr[k + 2u] - ypr[k] + ymr[k]) * 0.25;
    let hxz = (zpr[k + 2u] - zmr[k + 2u] - zpr[k] + zmr[k]) * 0.25;
    let hyz = (ypzp[k] - ypzm[k] - ymzp[k] + ymzm[k]) * 0.25;
    let bd = blob_of(hxx, hyy, hzz, hxy, hxz, hyz);
    bright[k] = bd.x;
    dark[k] = bd.y;
  }
  y4[out_b / 4u] = bright;
  y4[out_d / 4u] = dark;
}

@compute @workgroup_size(WG)
fn hessian_blob(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.n) { return; }
  let at = place(i);
  if (at.w == 0u || at.h == 0u || at.d == 0u || at.w + 1u == u.W || at.h + 1u == u.H || at.d + 1u == u.D) {
    y[at.out_b] = 0.0;
    y[at.out_d] = 0.0;
    return;
  }
  let X = 1u;
  let Y = u.W;
  let Z = u.W * u.H;
  let c2 = 2.0 * x[i];
  let hxx = x[i + X] - c2 + x[i - X];
  let hyy = x[i + Y] - c2 + x[i - Y];
  let hzz = x[i + Z] - c2 + x[i - Z];
  let hxy = (x[i + X + Y] - x[i + X - Y] - x[i - X + Y] + x[i - X - Y]) * 0.25;
  let hxz = (x[i + X + Z] - x[i + X - Z] - x[i - X + Z] + x[i - X - Z]) * 0.25;
  let hyz = (x[i + Y + Z] - x[i + Y - Z] - x[i - Y + Z] + x[i - Y - Z]) * 0.25;
  let bd = blob_of(hxx, hyy, hzz, hxy, hxz, hyz);
  y[at.out_b] = bd.x;
  y[at.out_d] = bd.y;
}
