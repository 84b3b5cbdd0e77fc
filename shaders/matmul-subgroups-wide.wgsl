// The widest register block: lane `lane` of a subgroup computes rows m0+16·lane .. +15 of C over 32
// columns, so a subgroup computes a 64×32 tile. Appended after matmul.wgsl and
// matmul-subgroups.wgsl (their bindings, tile(), a_blk, b_part, b_share, store) by
// engine/ops/matmul.ts, whose wideSource() fills the three markers (a dollar sign, then the name):
//   ACC    one `var cR_C = 0.0;` per entry of the lane's 16×32 block (R row, C column);
//   FMA    per entry, its four fma along k, chained, one entry after the other;
//   STORE  the block written out as 4×4 blocks through store().
//
// Why this shape and order (2-core AMD EPYC, SwiftShader; bench/diagnose/swiftshader-costs.ts
// measures the parts): a load whose address is computed at run time is a gather, one float per
// lane, and costs about 40 fma (a vec4 load about 130); a subgroupBroadcast about 3.5. Per step
// of 4 along K a lane loads 16 vec4 of A and 8 quarter-blocks of B and makes 128 broadcasts for
// 2048 fma, so the loads alone cap it at about a third of the FMA peak (sg8x12: 11 vec4 and 48
// broadcasts for 384 fma, a fifth). The 512 accumulators do not fit in registers: writing each
// entry's four fma one after the other (rather than one k for all entries, or four entries per
// vec4 as `mac` does) lets the compiler load and store each spilled accumulator once per step.
// Measured in Chromium: 1024³ at about 8–9.5 GFLOP/s against sg8x12's 4.8–5.7 (the order alone,
// on sg8x12's block: 6.2).

// When K % 4 ≠ 0 the last step starts at K − 4 instead, so that every read stays inside the
// operands without clamps, and drops the k it already counted: `keep` is false for them, and
// select (not a multiply, so that an inf there cannot turn into NaN) zeroes them in both operands.
// Branching to edge-safe loads on the last step instead would halve the speed (the branch splits
// the 2048 fma from their operands), and a second copy of the fma for that step would double a
// shader that SwiftShader already takes seconds to compile. Needs K ≥ 4 (the launcher runs sg8x12
// below that).

fn a_keep(x: Blk, kc: u32, keep: vec4<bool>) -> mat4x4f {
  let a = a_blk(x, vec4u(kc) + vec4u(0u, 1u, 2u, 3u));
  let z = vec4f(0.0);
  return mat4x4f(select(z, a[0], keep), select(z, a[1], keep), select(z, a[2], keep), select(z, a[3], keep));
}

// This lane's quarter of B's block is its row kc + lane (TB: its column over kc..kc+3); zeroed
// before it is shared.
fn b_keep(x: Blk, k: u32, kc: u32, lane: u32, keep: vec4<bool>) -> mat4x4f {
  let v = b_part(x, kc, lane);
  if (TB) { return b_share(select(vec4f(0.0), v, keep)); }
  return b_share(select(vec4f(0.0), v, kc + lane >= k));
}

// Lanes past the last tile keep running on the last tile (they take part in the broadcasts) and
// store nothing.
@compute @workgroup_size(WG)
fn sg16x32(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let p = tile((gid.x + gid.y * nwg.x * WG) / 4u, 64u, 32u);
  let m0 = p.m0 + 16u * lane;
  let xa0 = a_blk_at(p.ab, m0);
  let xa1 = a_blk_at(p.ab, m0 + 4u);
  let xa2 = a_blk_at(p.ab, m0 + 8u);
  let xa3 = a_blk_at(p.ab, m0 + 12u);
  let xb0 = lane_blk(b_blk_at(p.bb, p.n0), lane);
  let xb1 = lane_blk(b_blk_at(p.bb, p.n0 + 4u), lane);
  let xb2 = lane_blk(b_blk_at(p.bb, p.n0 + 8u), lane);
  let xb3 = lane_blk(b_blk_at(p.bb, p.n0 + 12u), lane);
  let xb4 = lane_blk(b_blk_at(p.bb, p.n0 + 16u), lane);
  let xb5 = lane_blk(b_blk_at(p.bb, p.n0 + 20u), lane);
  let xb6 = lane_blk(b_blk_at(p.bb, p.n0 + 24u), lane);
  let xb7 = lane_blk(b_blk_at(p.bb, p.n0 + 28u), lane);
$ACC
  for (var k = 0u; k < u.K; k += 4u) {
    let kc = min(k, u.K - 4u);
    let keep = vec4u(kc) + vec4u(0u, 1u, 2u, 3u) >= vec4u(k);
    // aR[i][kk] = A(m0 + 4R + i, kc + kk);  bQ[kk][j] = B(kc + kk, n0 + 4Q + j).
    let a0 = a_keep(xa0, kc, keep); let a1 = a_keep(xa1, kc, keep); let a2 = a_keep(xa2, kc, keep); let a3 = a_keep(xa3, kc, keep);
    let b0 = b_keep(xb0, k, kc, lane, keep); let b1 = b_keep(xb1, k, kc, lane, keep);
    let b2 = b_keep(xb2, k, kc, lane, keep); let b3 = b_keep(xb3, k, kc, lane, keep);
    let b4 = b_keep(xb4, k, kc, lane, keep); let b5 = b_keep(xb5, k, kc, lane, keep);
    let b6 = b_keep(xb6, k, kc, lane, keep); let b7 = b_keep(xb7, k, kc, lane, keep);
$FMA
  }
  if (!p.ok) { return; }
$STORE
}
