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
