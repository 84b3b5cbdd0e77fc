// attention.wgsl's entry points for any adapter: every thread reads each k, v, q or dO row it
// needs itself. Appended after attention.wgsl by engine/ops/attention.ts; attention-quad.wgsl is
// the same interface with the rows shared across a quad.

const QUADS = 1u;   // rows are not shared, so blocks need no padding (attention.wgsl, slot())

fn shared_q(base: u32, lane: u32) -> Row { return load_q(base); }
fn shared_k(base: u32, lane: u32) -> Row { return load_k(base); }
fn shared_v(base: u32, lane: u32) -> Row { return load_v(base); }
fn shared_dout(base: u32, lane: u32) -> Row { return load_dout(base); }
fn quad_max(x: u32) -> u32 { return x; }
fn quad_min(x: u32) -> u32 { return x; }
fn quad_any(x: bool) -> bool { return x; }

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  forward_main(thread_index(gid, nwg), 0u);
}

@compute @workgroup_size(WG)
fn backward_dq(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  backward_dq_main(thread_index(gid, nwg), 0u);
}

@compute @workgroup_size(WG)
fn backward_dkdv(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  backward_dkdv_main(thread_index(gid, nwg), 0u);
}
