// Register-blocked matmul with B shared by the four lanes of a subgroup. Appended to matmul.wgsl
// (its bindings and helpers) behind `enable subgroups;` by engine/ops/matmul.ts, only on an
// adapter whose subgroups are exactly 4 lanes (SwiftShader: its SIMD width).
//
// On a software adapter the lanes of a SIMD group are the invocations of a subgroup, and every
// load whose address is computed at run time is a gather, one float per lane per instruction
// (SwiftShader issues a plain vector load only for offsets it knows when compiling). Here the
// four lanes own four 8-row strips of one tile and need the same 4×4 blocks of op(B): lane l
// reads only row k+l of each block (TB: column l) and the block is assembled with
// quadBroadcast (with subgroups of 4 a quad is the whole subgroup). Per step of 4 along K a lane
// then loads 8 vec4 of A and RN/4 vec4 of B, instead of RN of B.
//
// quadBroadcast, not subgroupBroadcast: with it SwiftShader's code for one step of sg16x32's loop
// (256 broadcasts) is 1,600 instructions shorter, of 52,000 (bench/diagnose/matmul-jit.ts), and
// alternating with the other in one Chromium page 1024³ ran 1–10% faster, [1024,1024]·[1024,256]
// 7–10%. Alone, in a loop of nothing else, the two cost the same (bench/diagnose/swiftshader-costs.ts).
//
// Where the time goes (sg8x12 at 1024³, Node, SwiftShader on a 2-core AMD EPYC; the loop with its
// loads alone, then with its FMAs alone): the gathers about a third, the broadcasts a fifth, the
// FMAs the rest, at a third of the adapter's FMA peak since 96 accumulators per lane do not fit
// in registers. Larger blocks (16×16 per lane: fewer loads per FMA) were 30% faster there but not
// in Chromium's SwiftShader, and slower at the model's shapes, so they are not kept.

// Lane `lane`'s quarter of B's block at rows k..k+3: element (lane, j) for j = 0..3 (TB: (kk, lane)
// for kk = 0..3).
// With TB, `x` comes from lane_blk: every entry holds this lane's column.
fn b_part(x: Blk, k: u32, lane: u32) -> vec4f {
  if (TB) {
    let o = x.o[0] + k;
    if (VB) { return b[o >> 2u]; }
    return vec4f(b1(o), b1(o + 1u), b1(o + 2u), b1(o + 3u));
  }
  let r = (k + lane) * x.sk;
  if (VB) { return b[(x.o[0] + r) >> 2u]; }
  return vec4f(b1(x.o[0] + r), b1(x.o[1] + r), b1(x.o[2] + r), b1(x.o[3] + r));
}

// The same on the last, partial step: clamped reads, zero past the end of K.
fn b_part_tail(x: Blk, k: u32, lane: u32) -> vec4f {
  if (TB) {
    let o = x.o[0];
    let k4 = k_tail(k);
    return vec4f(b1(o + k4[0]), b1(o + k4[1]), b1(o + k4[2]), b1(o + k4[3])) * k_mask(k);
  }
  let r = min(k + lane, u.K - 1u) * x.sk;
  var v: vec4f;
  if (VB) { v = b[(x.o[0] + r) >> 2u]; }  // b_blk_at gave the vec4's start in every entry
  else { v = vec4f(b1(x.o[0] + r), b1(x.o[1] + r), b1(x.o[2] + r), b1(x.o[3] + r)); }
  return select(vec4f(0.0), v, k + lane < u.K);
}

// B's block as this lane reads it: with TB only its own column (picked once, outside the K loop:
// an index that differs per lane costs a software adapter a select per use).
fn lane_blk(x: Blk, lane: u32) -> Blk {
  if (TB) { return Blk(vec4u(x.o[lane]), x.sk); }
  return x;
}

// The four quarters → the block, column kk = op(B) row k+kk.
fn b_share(v: vec4f) -> mat4x4f {
  if (TB) {
    // Lane q holds column q over kk: gather entry kk of every lane into column kk.
    return mat4x4f(
      vec4f(quadBroadcast(v.x, 0u), quadBroadcast(v.x, 1u), quadBroadcast(v.x, 2u), quadBroadcast(v.x, 3u)),
      vec4f(quadBroadcast(v.y, 0u), quadBroadcast(v.y, 1u), quadBroadcast(v.y, 2u), quadBroadcast(v.y, 3u)),
      vec4f(quadBroadcast(v.z, 0u), quadBroadcast(v.z, 1u), quadBroadcast(v.z, 2u), quadBroadcast(v.z, 3u)),
      vec4f(quadBroadcast(v.w, 0u), quadBroadcast(v.w, 1u), quadBroadcast(v.w, 2u), quadBroadcast(v.w, 3u)));
  }
  return mat4x4f(quadBroadcast(v, 0u), quadBroadcast(v, 1u), quadBroadcast(v, 2u), quadBroadcast(v, 3u));
}

// A subgroup computes a 32×12 tile: lane l rows 8l..8l+7, all 12 columns (8×12 per lane measured
// fastest in Chromium's SwiftShader: 96 accumulators, 11 vec4 loads per step of 4 along K). Lanes
// past the last tile keep running (they must take part in the broadcasts) on the last tile and
// store nothing.
@compute @workgroup_size(WG)
fn sg8x12(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let p = tile((gid.x + gid.y * nwg.x * WG) / 4u, 32u, 12u);
  let m0 = p.m0 + 8u * lane;
  let xa0 = a_blk_at(p.ab, m0);
  let xa1 = a_blk_at(p.ab, m0 + 4u);
  let xb0 = lane_blk(b_blk_at(p.bb, p.n0), lane);
  let xb1 = lane_blk(b_blk_at(p.bb, p.n0 + 4u), lane);
  let xb2 = lane_blk(b_blk_at(p.bb, p.n0 + 8u), lane);
  var c00 = mat4x4f(); var c01 = mat4x4f(); var c02 = mat4x4f();
  var c10 = mat4x4f(); var c11 = mat4x4f(); var c12 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
    let k4 = vec4u(k) + vec4u(0u, 1u, 2u, 3u);
    let a0 = a_blk(xa0, k4); let a1 = a_blk(xa1, k4);
    let b0 = b_share(b_part(xb0, k, lane)); c00 = mac(c00, a0, b0); c10 = mac(c10, a1, b0);
    let b1 = b_share(b_part(xb1, k, lane)); c01 = mac(c01, a0, b1); c11 = mac(c11, a1, b1);
    let b2 = b_share(b_part(xb2, k, lane)); c02 = mac(c02, a0, b2); c12 = mac(c12, a1, b2);
  }
  if (k < u.K) {
    let k4 = k_tail(k);
    let mk = k_mask(k);
    let a0 = mask_a(a_blk(xa0, k4), mk); let a1 = mask_a(a_blk(xa1, k4), mk);
    let b0 = b_share(b_part_tail(xb0, k, lane)); c00 = mac(c00, a0, b0); c10 = mac(c10, a1, b0);
    let b1 = b_share(b_part_tail(xb1, k, lane)); c01 = mac(c01, a0, b1); c11 = mac(c11, a1, b1);
    let b2 = b_share(b_part_tail(xb2, k, lane)); c02 = mac(c02, a0, b2); c12 = mac(c12, a1, b2);
  }
  if (!p.ok) { return; }
  store(c00, p.bi, m0, p.n0); store(c01, p.bi, m0, p.n0 + 4u); store(c02, p.bi, m0, p.n0 + 8u);
  store(c10, p.bi, m0 + 4u, p.n0); store(c11, p.bi, m0 + 4u, p.n0 + 4u); store(c12, p.bi, m0 + 4u, p.n0 + 8u);
}

// The same with 8×8 per lane (a 32×8 tile per subgroup): fewer registers, more loads per FMA.
@compute @workgroup_size(WG)
fn sg8x8(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let p = tile((gid.x + gid.y * nwg.x * WG) / 4u, 32u, 8u);
  let m0 = p.m0 + 8u * lane;
  let xa0 = a_blk_at(p.ab, m0);
  let xa1 = a_blk_at(p.ab, m0 + 4u);
  let xb0 = lane_blk(b_blk_at(p.bb, p.n0), lane);
  let xb1 = lane_blk(b_blk_at(p.bb, p.n0 + 4u), lane);
  var c00 = mat4x4f(); var c01 = mat4x4f();
  var c10 = mat4x4f(); var c11 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
    let k4 = vec4u(k) + vec4u(0u, 1u, 2u, 3u);
    let a0 = a_blk(xa0, k4); let a1 = a_blk(xa1, k4);
    let b0 = b_share(b_part(xb0, k, lane)); c00 = mac(c00, a0, b0); c10 = mac(c10, a1, b0);
    let b1 = b_share(b_part(xb1, k, lane)); c01 = mac(c01, a0, b1); c11 = mac(c11, a1, b1);
  }
  if (k < u.K) {
    let k4 = k_tail(k);
    let mk = k_mask(k);
    let a0 = mask_a(a_blk(xa0, k4), mk); let a1 = mask_a(a_blk(xa1, k4), mk);
    let b0 = b_share(b_part_tail(xb0, k, lane)); c00 = mac(c00, a0, b0); c10 = mac(c10, a1, b0);
    let b1 = b_share(b_part_tail(xb1, k, lane)); c01 = mac(c01, a0, b1); c11 = mac(c11, a1, b1);
  }
  if (!p.ok) { return; }
  store(c00, p.bi, m0, p.n0); store(c01, p.bi, m0, p.n0 + 4u);
  store(c10, p.bi, m0 + 4u, p.n0); store(c11, p.bi, m0 + 4u, p.n0 + 4u);
}

// The same with 8×16 per lane (a 32×16 tile per subgroup): 128 accumulators, 12 vec4 loads per
// step of 4 along K for 512 FMAs (8×12: 11 for 384), so fewer loads per FMA at more register
// pressure; which wins depends on the adapter (bench/variants.ts shows both).
@compute @workgroup_size(WG)
fn sg8x16(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let p = tile((gid.x + gid.y * nwg.x * WG) / 4u, 32u, 16u);
  let m0 = p.m0 + 8u * lane;
  let xa0 = a_blk_at(p.ab, m0);
  let xa1 = a_blk_at(p.ab, m0 + 4u);
  let xb0 = lane_blk(b_blk_at(p.bb, p.n0), lane);
  let xb1 = lane_blk(b_blk_at(p.bb, p.n0 + 4u), lane);
  let xb2 = lane_blk(b_blk_at(p.bb, p.n0 + 8u), lane);
  let xb3 = lane_blk(b_blk_at(p.bb, p.n0 + 12u), lane);
  var c00 = mat4x4f(); var c01 = mat4x4f(); var c02 = mat4x4f(); var c03 = mat4x4f();
  var c10 = mat4x4f(); var c11 = mat4x4f(); var c12 = mat4x4f(); var c13 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
    let k4 = vec4u(k) + vec4u(0u, 1u, 2u, 3u);
    let a0 = a_blk(xa0, k4); let a1 = a_blk(xa1, k4);
    let b0 = b_share(b_part(xb0, k, lane)); c00 = mac(c00, a0, b0); c10 = mac(c10, a1, b0);
    let b1 = b_share(b_part(xb1, k, lane)); c01 = mac(c01, a0, b1); c11 = mac(c11, a1, b1);
    let b2 = b_share(b_part(xb2, k, lane)); c02 = mac(c02, a0, b2); c12 = mac(c12, a1, b2);
    let b3 = b_share(b_part(xb3, k, lane)); c03 = mac(c03, a0, b3); c13 = mac(c13, a1, b3);
  }
  if (k < u.K) {
    let k4 = k_tail(k);
    let mk = k_mask(k);
    let a0 = mask_a(a_blk(xa0, k4), mk); let a1 = mask_a(a_blk(xa1, k4), mk);
    let b0 = b_share(b_part_tail(xb0, k, lane)); c00 = mac(c00, a0, b0); c10 = mac(c10, a1, b0);
    let b1 = b_share(b_part_tail(xb1, k, lane)); c01 = mac(c01, a0, b1); c11 = mac(c11, a1, b1);
    let b2 = b_share(b_part_tail(xb2, k, lane)); c02 = mac(c02, a0, b2); c12 = mac(c12, a1, b2);
    let b3 = b_share(b_part_tail(xb3, k, lane)); c03 = mac(c03, a0, b3); c13 = mac(c13, a1, b3);
  }
  if (!p.ok) { return; }
  store(c00, p.bi, m0, p.n0); store(c01, p.bi, m0, p.n0 + 4u); store(c02, p.bi, m0, p.n0 + 8u); store(c03, p.bi, m0, p.n0 + 12u);
  store(c10, p.bi, m0 + 4u, p.n0); store(c11, p.bi, m0 + 4u, p.n0 + 4u); store(c12, p.bi, m0 + 4u, p.n0 + 8u); store(c13, p.bi, m0 + 4u, p.n0 + 12u);
}
