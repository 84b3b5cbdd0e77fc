// Softmax and log-softmax along one axis of x viewed as [outer, r, inner] (inner = 1 for the last
// axis): one thread per (outer, inner) walks its r elements with stride `inner`, so any axis runs
// without a transpose, and for inner > 1 neighbouring threads read neighbouring addresses.
//
// forward:   m = max x,  s = Σ e^(x−m);   softmax y = e^(x−m)/s,   log-softmax y = x − m − log s
// backward:  softmax      dx = y·(g − Σ g·y)
//            log-softmax  dx = g − e^y·Σ g

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;     // forward: the input; backward: y
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;
override LOG: bool = false;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.outer * u.inner) { return; }
  let i = t % u.inner;
  let base = (t / u.inner) * u.r * u.inner + i;
  let end = base + u.r * u.inner;
  var m = -3.4028234e38;
  for (var p = base; p < end; p += u.inner) { m = max(m, x[p]); }
  var s = 0.0;
  for (var p = base; p < end; p += u.inner) { s += exp(x[p] - m); }
  if (LOG) {
    let lse = m + log(s);
    for (var p = base; p < end; p += u.inner) { y[p] = x[p] - lse; }
  } else {
    let inv = 1.0 / s;
    for (var p = base; p < end; p += u.inner) { y[p] = exp(x[p] - m) * inv; }
  }
}

// `x` holds the forward's output y; `y` receives dx.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.outer * u.inner) { return; }
  let i = t % u.inner;
  let base = (t / u.inner) * u.r * u.inner + i;
  let end = base + u.r * u.inner;
  var s = 0.0;
  if (LOG) {
    for (var p = base; p < end; p += u.inner) { s += g[p]; }
    for (var p = base; p < end; p += u.inner) { y[p] = g[p] - exp(x[p]) * s; }
  } else {
    for (var p = base; p < end; p += u.inner) { s = fma(g[p], x[p], s); }
    for (var p = base; p < end; p += u.inner) { y[p] = x[p] * (g[p] - s); }
  }
}
