// Reduction along one axis of a tensor viewed as [outer, r, inner].
//
// One thread per (outer, chunk, inner) reduces `chunk` consecutive elements of the r axis. With
// chunks = 1 this is the whole reduction; for a long axis and few outputs the engine runs it
// twice (r → chunks → 1), so that more than a handful of threads share the work.

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
  chunks: u32,
  chunk: u32,
  scale: f32,      // multiplies the result (1/r for a mean)
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;
override OP: u32 = 0;   // 0 sum, 1 max, 2 sum of squares

@compute @workgroup_size(WG)
fn reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.outer * u.chunks * u.inner) { return; }
  let i = t % u.inner;
  let c = (t / u.inner) % u.chunks;
  let o = t / (u.inner * u.chunks);
  let r0 = c * u.chunk;
  let r1 = min(u.r, r0 + u.chunk);
  var acc = select(0.0, -3.4028234e38, OP == 1u);
  var p = (o * u.r + r0) * u.inner + i;
  for (var r = r0; r < r1; r++) {
    let v = x[p];
    switch OP {
      case 1u: { acc = max(acc, v); }
      case 2u: { acc += v * v; }
      default: { acc += v; }
    }
    p += u.inner;
  }
  y[t] = acc * u.scale;
}
