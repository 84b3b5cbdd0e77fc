// Embedding lookup (gather) and its backward (scatter-add).
//
// Forward: y[n, :] = table[ids[n], :]; an id outside [0, V) gives a zero row (never an
// out-of-bounds read). Backward: dtable[ids[n], :] += dy[n, :]. Several rows may share an id, and
// WGSL has no float atomics, so the add is a compare-exchange loop on the float's bits.

struct Params {
  n: u32,      // rows (tokens)
  dim: u32,    // embedding width
  vocab: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dtable: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read> table4: array<vec4f>;   // gather4: table and y as vec4
@group(0) @binding(7) var<storage, read_write> y4: array<vec4f>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.n * u.dim) { return; }
  let row = t / u.dim;
  let col = t % u.dim;
  let id = ids[row];
  if (id < 0 || u32(id) >= u.vocab) {
    y[t] = 0.0;
    return;
  }
  y[t] = table[u32(id) * u.dim + col];
}

// The same with dim a multiple of 4 and four floats a thread. On SwiftShader each load costs
// about as much whether it reads one float or four, and every thread also loads its row's id:
// gathering a batch of 64³ volumes from the training pool, one float a thread, was 23 ms a call
// (bench/diagnose/step-profile.ts).
@compute @workgroup_size(WG)
fn gather4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  let d4 = u.dim / 4u;
  if (t >= u.n * d4) { return; }
  let id = ids[t / d4];
  if (id < 0 || u32(id) >= u.vocab) {
    y4[t] = vec4f(0.0);
    return;
  }
  y4[t] = table4[u32(id) * d4 + t % d4];
}

@compute @workgroup_size(WG)
fn scatter_add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.n * u.dim) { return; }
  let row = t / u.dim;
  let col = t % u.dim;
  let id = ids[row];
  if (id < 0 || u32(id) >= u.vocab) { return; }
  let g = dy[t];
  if (g == 0.0) { return; }
  let at = u32(id) * u.dim + col;
  var old = atomicLoad(&dtable[at]);
  loop {
    let r = atomicCompareExchangeWeak(&dtable[at], old, bitcast<u32>(bitcast<f32>(old) + g));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}
