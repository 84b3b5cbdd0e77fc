// attention.wgsl's entry points with the streamed rows shared across a quad (needs `subgroups`;
// engine/ops/attention.ts prepends `enable subgroups;` and appends this after attention.wgsl).
//
// Why: in each kernel's inner loop the four threads of a quad read the same row (one key's k and v
// in `forward` and `backward_dq`, one query's q and dO in `backward_dkdv`), since slot() gives a
// quad one (b, h) and the loop bounds are made quad-wide. On SwiftShader a load whose address is
// known only at run time is a per-lane gather, ~115 fma per vec4, while a quadBroadcast of a float
// costs ~4 (bench/diagnose/README.md). So each lane loads a quarter of the row (vec4s lane,
// lane + 4, lane + 8, …) and the four trade: per row and lane D16 loads and 4·D16 vec4 broadcasts
// instead of 4·D16 loads. At head size 16 and 4 rows a thread that is ~190 fma-equivalents per row
// instead of ~460, against ~40 of arithmetic per query–key pair.
//
// Needs the four lanes of a quad to be four consecutive threads (as matmul's subgroup kernels do);
// the engine runs this only on subgroups of exactly 4 lanes (engine/ops/subgroups.ts).

const QUADS = 4u;

// One lane's quarter of a row: p[m] is vec4 4m + lane.
alias Part = array<vec4f, 8>;

// The whole row from the four lanes' quarters: vec4 4m + s is lane s's p[m].
fn trade(p: Part) -> Row {
  var r = Row();
  r[0] = quadBroadcast(p[0], 0u); r[1] = quadBroadcast(p[0], 1u); r[2] = quadBroadcast(p[0], 2u); r[3] = quadBroadcast(p[0], 3u);
  if (D16 > 1u) { r[4] = quadBroadcast(p[1], 0u); r[5] = quadBroadcast(p[1], 1u); r[6] = quadBroadcast(p[1], 2u); r[7] = quadBroadcast(p[1], 3u); }
  if (D16 > 2u) { r[8] = quadBroadcast(p[2], 0u); r[9] = quadBroadcast(p[2], 1u); r[10] = quadBroadcast(p[2], 2u); r[11] = quadBroadcast(p[2], 3u); }
  if (D16 > 3u) { r[12] = quadBroadcast(p[3], 0u); r[13] = quadBroadcast(p[3], 1u); r[14] = quadBroadcast(p[3], 2u); r[15] = quadBroadcast(p[3], 3u); }
  if (D16 > 4u) { r[16] = quadBroadcast(p[4], 0u); r[17] = quadBroadcast(p[4], 1u); r[18] = quadBroadcast(p[4], 2u); r[19] = quadBroadcast(p[4], 3u); }
  if (D16 > 5u) { r[20] = quadBroadcast(p[5], 0u); r[21] = quadBroadcast(p[5], 1u); r[22] = quadBroadcast(p[5], 2u); r[23] = quadBroadcast(p[5], 3u); }
  if (D16 > 6u) { r[24] = quadBroadcast(p[6], 0u); r[25] = quadBroadcast(p[6], 1u); r[26] = quadBroadcast(p[6], 2u); r[27] = quadBroadcast(p[6], 3u); }
  if (D16 > 7u) { r[28] = quadBroadcast(p[7], 0u); r[29] = quadBroadcast(p[7], 1u); r[30] = quadBroadcast(p[7], 2u); r[31] = quadBroadcast(p[7], 3u); }
  return r;
}

fn shared_q(base: u32, lane: u32) -> Row {
  var p = Part();
  let x = base + lane;
  p[0] = q[x];
  if (D16 > 1u) { p[1] = q[x + 4u]; }
  if (D16 > 2u) { p[2] = q[x + 8u]; }
  if (D16 > 3u) { p[3] = q[x + 12u]; }
  if (D16 > 4u) { p[4] = q[x + 16u]; }
  if (D16 > 5u) { p[5] = q[x + 20u]; }
  if (D16 > 6u) { p[6] = q[x + 24u]; }
  if (D16 > 7u) { p[7] = q[x + 28u]; }
  return trade(p);
}

fn shared_k(base: u32, lane: u32) -> Row {
  var p = Part();
  let x = base + lane;
  p[0] = k[x];
  if (D16 > 1u) { p[1] = k[x + 4u]; }
  if (D16 > 2u) { p[2] = k[x + 8u]; }
  if (D16 > 3u) { p[3] = k[x + 12u]; }
  if (D16 > 4u) { p[4] = k[x + 16u]; }
  if (D16 > 5u) { p[5] = k[x + 20u]; }
  if (D16 > 6u) { p[6] = k[x + 24u]; }
  if (D16 > 7u) { p[7] = k[x + 28u]; }
  return trade(p);
}

fn shared_v(base: u32, lane: u32) -> Row {
  var p = Part();
  let x = base + lane;
  p[0] = v[x];
  if (D16 > 1u) { p[1] = v[x + 4u]; }
  if (D16 > 2u) { p[2] = v[x + 8u]; }
  if (D16 > 3u) { p[3] = v[x + 12u]; }
  if (D16 > 4u) { p[4] = v[x + 16u]; }
  if (D16 > 5u) { p[5] = v[x + 20u]; }
  if (D16 > 6u) { p[6] = v[x + 24u]; }
  if (D16 > 7u) { p[7] = v[x + 28u]; }
  return trade(p);
}

fn shared_dout(base: u32, lane: u32) -> Row {
  var p = Part();
  let x = base + lane;
  p[0] = dout[x];
  if (D16 > 1u) { p[1] = dout[x + 4u]; }
  if (D16 > 2u) { p[2] = dout[x + 8u]; }
  if (D16 > 3u) { p[3] = dout[x + 12u]; }
  if (D16 > 4u) { p[4] = dout[x + 16u]; }
  if (D16 > 5u) { p[5] = dout[x + 20u]; }
  if (D16 > 6u) { p[6] = dout[x + 24u]; }
  if (D16 > 7u) { p[7] = dout[x + 28u]; }
  return trade(p);
}

// Loop bounds and the skip test made the same for the quad (each lane's own bound still masks
// its own rows: causal_ok, the visibility flags).
fn quad_max(x: u32) -> u32 {
  let y = max(x, quadSwapX(x));
  return max(y, quadSwapY(y));
}

fn quad_min(x: u32) -> u32 {
  let y = min(x, quadSwapX(x));
  return min(y, quadSwapY(y));
}

fn quad_any(x: bool) -> bool {
  return quad_max(select(0u, 1u, x)) != 0u;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  forward_main(thread_index(gid, nwg), lane % 4u);
}

@compute @workgroup_size(WG)
fn backward_dq(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  backward_dq_main(thread_index(gid, nwg), lane % 4u);
}

@compute @workgroup_size(WG)
fn backward_dkdv(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  backward_dkdv_main(thread_index(gid, nwg), lane % 4u);
}
