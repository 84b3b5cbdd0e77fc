// The widest register block: lane `lane` of a subgroup computes rows m0+16·lane .. +15 of C over 32
// columns, so a subgroup computes a 64×32 tile, 8 steps along K at a time. Appended after
// matmul.wgsl and matmul-subgroups.wgsl (their bindings, tile(), a_blk, b_part, b_share, store)
// by engine/ops/matmul.ts, whose wideSource() fills the four markers (a dollar sign, then the name):
//   AB     the step's operands, in two halves of 4 k (S = 0, 1): B's shared blocks bQ_S, then the
//          lane's rows of A aG_S;
//   ACC    one `var cR_C = 0.0;` per entry of the lane's 16×32 block (R row, C column);
//   FMA    per entry, its eight fma along k, chained, one entry after the other;
//   STORE  the block written out as 4×4 blocks through store().
//
// Why this shape and order (2-core AMD EPYC, SwiftShader in Chromium; bench/diagnose/README.md has
// the measurements). SwiftShader's JIT emits SSE code with 16 registers, an fma as a mulps and an
// addps, and keeps almost every value of a block this size on the stack. Per step and lane:
//   - the fma: each entry's chain loads its accumulator once, then per k an A and a B value;
//     writing the entry's k one after the other (rather than one k for all entries, or four
//     entries per vec4 as `mac` does) is what lets the compiler keep the running sum in a register
//     (30% on sg8x12's block);
//   - the loads: a load whose address is computed at run time is a per-lane gather (about 40 fma;
//     a vec4 about 130), and B's blocks are shared by quadBroadcast. For 4096 fma a step makes
//     48 vec4 loads and 256 broadcasts;
//   - the loop: SwiftShader does not know that all four lanes run the same number of steps, so at
//     the end of every step each of the 512 accumulators is merged under the lanes' mask (about ten
//     instructions each: 5,200 of a 4-k step's ~30,000 instructions, by objdump of the JIT code
//     that perf sampled; bench/diagnose/README.md). Steps of 8 along K spread that over twice the
//     fma: 1024³ ran 8–12% faster than with steps of 4, alternating in one page for 20–30 rounds.
//     A's rows are loaded with B at the start of the step: loading each group of four rows just
//     before its entries was no faster at 8 k.

// When K % 8 ≠ 0 the last step starts at K − 8 instead, so that every read stays inside the
// operands without clamps, and drops the k it already counted: `keep0`/`keep1` are 0 for them and
// all ones for the rest, and a bitwise and with them (not a multiply, so that an inf there cannot
// turn into NaN) zeroes those k in both operands. The and is select(0, x, keep) bit for bit; the
// select itself cost a few percent more at 1024³. Branching to edge-safe loads on the last step
// instead would halve the speed (the branch splits the fma from their operands), and a second
// copy of the fma for that step would double a shader that SwiftShader already takes seconds to
// compile. Needs K ≥ 8 (the launcher runs sg8x12 below that).

fn a_keep(x: Blk, kc: u32, keep: vec4u) -> mat4x4f {
  let a = a_blk(x, vec4u(kc) + vec4u(0u, 1u, 2u, 3u));
  return mat4x4f(bitcast<vec4f>(bitcast<vec4u>(a[0]) & keep), bitcast<vec4f>(bitcast<vec4u>(a[1]) & keep),
                 bitcast<vec4f>(bitcast<vec4u>(a[2]) & keep), bitcast<vec4f>(bitcast<vec4u>(a[3]) & keep));
}

// This lane's quarter of B's block is its row kc + lane (TB: its column over kc..kc+3); zeroed
// before it is shared.
fn b_keep(x: Blk, k: u32, kc: u32, lane: u32, keep: vec4u) -> mat4x4f {
  let v = bitcast<vec4u>(b_part(x, kc, lane));
  if (TB) { return b_share(bitcast<vec4f>(v & keep)); }
  return b_share(bitcast<vec4f>(v & vec4u(select(0u, 0xffffffffu, kc + lane >= k))));
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
  for (var k = 0u; k < u.K; k += 8u) {
    let kc = min(k, u.K - 8u);
    let keep0 = select(vec4u(0u), vec4u(0xffffffffu), vec4u(kc) + vec4u(0u, 1u, 2u, 3u) >= vec4u(k));
    let keep1 = select(vec4u(0u), vec4u(0xffffffffu), vec4u(kc) + vec4u(4u, 5u, 6u, 7u) >= vec4u(k));
$AB
$FMA
  }
  if (!p.ok) { return; }
$STORE
}
