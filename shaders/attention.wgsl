// Fused attention, FlashAttention-style: out = softmax(q kᵀ·scale + mask) v, never materialising
// the Tq×Tk matrix. q [BH, Tq, dp], k and v [BH, Tk, dp]: rows of dp = 16·D16 floats (the op pads
// d up to a multiple of 16 with zeros, which changes no dot product), dp ≤ 128.
//
// Written for software adapters (SwiftShader, PLATFORM.md): no workgroup memory, no barriers, and
// no loops over d. A loop over d indexes its private arrays dynamically, which SwiftShader turns
// into per-lane memory gathers (10× slower, measured); so every row operation below is unrolled
// with constant indices, in blocks of 16 floats switched on by the override D16, and rows live in
// registers as `Row` values. A thread owns R rows (query rows in `forward` and `backward_dq`, key
// rows in `backward_dkdv`), so every k/v (or q/dO) row it reads from storage feeds R rows of work.
//
// Scores are kept in base 2: s₂ = (q·k)·scale·log₂e, so softmax uses exp2 and the saved per-row
// logsumexp is lse₂ = m₂ + log₂ l (natural lse = lse₂·ln 2).
//
// Masks: key j is visible to query i iff key_mask[b, j] ≠ 0 (when MASKED) and, when CAUSAL,
// j ≤ i + shift with shift = Tk − Tq (causal aligned bottom-right). Under SEGMENTED (self-attention,
// Tq = Tk) key_mask holds segment ids, and query i sees key j only when both lie in one segment:
// key_mask[b, j] ≠ 0 and (key_mask[b, i] = key_mask[b, j], or key_mask[b, i] = 0: a padding query
// sees every real key, as without segments). A row that sees no key gets output 0, lse₂ 0 and
// zero gradients.
//
// The three streaming kernels are written as functions of a thread index and a lane
// (forward_main, backward_dq_main, backward_dkdv_main); their entry points and the four row
// fetchers shared_q/k/v/dout come from one of two files appended by engine/ops/attention.ts:
// attention-plain.wgsl (each thread reads its rows) or attention-quad.wgsl (a quad shares them).
//
// Each entry point binds at most 8 storage buffers (WebGPU's default maxStorageBuffersPerShaderStage):
// the backward keeps lse₂ and D side by side in one `stats` buffer for that reason.
//
// Every `var` is initialised explicitly: Dawn/SwiftShader was seen to keep a loop-body `var`'s
// value from the previous iteration instead of zeroing it.

struct Params {
  BH: u32,       // batch × heads
  H: u32,
  Tq: u32,
  Tk: u32,
  shift: i32,    // Tk − Tq
  scale: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4f>;
@group(0) @binding(2) var<storage, read> k: array<vec4f>;
@group(0) @binding(3) var<storage, read> v: array<vec4f>;
@group(0) @binding(4) var<storage, read> key_mask: array<i32>;      // [B, Tk]
@group(0) @binding(5) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> lse_out: array<f32>;  // [BH, Tq], base 2
@group(0) @binding(7) var<storage, read> o: array<vec4f>;
@group(0) @binding(8) var<storage, read> dout: array<vec4f>;
@group(0) @binding(9) var<storage, read> lse: array<f32>;
@group(0) @binding(10) var<storage, read_write> stats_out: array<vec2f>; // [BH, Tq]: (lse₂, D)
@group(0) @binding(11) var<storage, read> stats: array<vec2f>;
@group(0) @binding(12) var<storage, read_write> dq: array<vec4f>;
@group(0) @binding(13) var<storage, read_write> dk: array<vec4f>;
@group(0) @binding(14) var<storage, read_write> dv: array<vec4f>;

override WG: u32 = 64;
override R: u32 = 2;          // rows per thread: 1, 2 or 4
override D16: u32 = 2;        // row length in blocks of 16 floats: 1 … 8
override CAUSAL: bool = false;
override MASKED: bool = false;
override SEGMENTED: bool = false;   // needs MASKED

const LOG2E = 1.4426950408889634;
// Running max before any visible key: finite, so exp2(m − m') never meets ∞ − ∞.
const NEG = -1.0e30;

// A row of up to 128 floats; only the first 4·D16 vec4s are ever touched.
alias Row = array<vec4f, 32>;

fn thread_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn key_visible(b: u32, j: u32) -> bool {
  if (MASKED) { return key_mask[b * u.Tk + j] != 0; }
  return true;
}

// Segment id of token i of batch row b under SEGMENTED (0 otherwise: every pair is in one segment).
fn segment(b: u32, i: u32) -> i32 {
  if (SEGMENTED) { return key_mask[b * u.Tk + min(i, u.Tk - 1u)]; }
  return 0;
}

// Segment rule for a query in segment sq and a visible key in segment sk.
fn same_segment(sq: i32, sk: i32) -> bool {
  return !SEGMENTED || sq == 0 || sq == sk;
}

// Causal rule for query i, key j.
fn causal_ok(i: u32, j: u32) -> bool {
  return !CAUSAL || i32(j) <= i32(i) + u.shift;
}

// ------------------------------------------------------------------ row helpers (unrolled)

// Σ a·b over the row.
fn dot(a: Row, b: Row) -> f32 {
  var s = vec4f(0.0);
  s = fma(a[0], b[0], s); s = fma(a[1], b[1], s); s = fma(a[2], b[2], s); s = fma(a[3], b[3], s);
  if (D16 > 1u) { s = fma(a[4], b[4], s); s = fma(a[5], b[5], s); s = fma(a[6], b[6], s); s = fma(a[7], b[7], s); }
  if (D16 > 2u) { s = fma(a[8], b[8], s); s = fma(a[9], b[9], s); s = fma(a[10], b[10], s); s = fma(a[11], b[11], s); }
  if (D16 > 3u) { s = fma(a[12], b[12], s); s = fma(a[13], b[13], s); s = fma(a[14], b[14], s); s = fma(a[15], b[15], s); }
  if (D16 > 4u) { s = fma(a[16], b[16], s); s = fma(a[17], b[17], s); s = fma(a[18], b[18], s); s = fma(a[19], b[19], s); }
  if (D16 > 5u) { s = fma(a[20], b[20], s); s = fma(a[21], b[21], s); s = fma(a[22], b[22], s); s = fma(a[23], b[23], s); }
  if (D16 > 6u) { s = fma(a[24], b[24], s); s = fma(a[25], b[25], s); s = fma(a[26], b[26], s); s = fma(a[27], b[27], s); }
  if (D16 > 7u) { s = fma(a[28], b[28], s); s = fma(a[29], b[29], s); s = fma(a[30], b[30], s); s = fma(a[31], b[31], s); }
  return s.x + s.y + s.z + s.w;
}

// acc + c·x.
fn axpy(acc: Row, c: f32, x: Row) -> Row {
  var r = acc;
  let cv = vec4f(c);
  r[0] = fma(cv, x[0], r[0]); r[1] = fma(cv, x[1], r[1]); r[2] = fma(cv, x[2], r[2]); r[3] = fma(cv, x[3], r[3]);
  if (D16 > 1u) { r[4] = fma(cv, x[4], r[4]); r[5] = fma(cv, x[5], r[5]); r[6] = fma(cv, x[6], r[6]); r[7] = fma(cv, x[7], r[7]); }
  if (D16 > 2u) { r[8] = fma(cv, x[8], r[8]); r[9] = fma(cv, x[9], r[9]); r[10] = fma(cv, x[10], r[10]); r[11] = fma(cv, x[11], r[11]); }
  if (D16 > 3u) { r[12] = fma(cv, x[12], r[12]); r[13] = fma(cv, x[13], r[13]); r[14] = fma(cv, x[14], r[14]); r[15] = fma(cv, x[15], r[15]); }
  if (D16 > 4u) { r[16] = fma(cv, x[16], r[16]); r[17] = fma(cv, x[17], r[17]); r[18] = fma(cv, x[18], r[18]); r[19] = fma(cv, x[19], r[19]); }
  if (D16 > 5u) { r[20] = fma(cv, x[20], r[20]); r[21] = fma(cv, x[21], r[21]); r[22] = fma(cv, x[22], r[22]); r[23] = fma(cv, x[23], r[23]); }
  if (D16 > 6u) { r[24] = fma(cv, x[24], r[24]); r[25] = fma(cv, x[25], r[25]); r[26] = fma(cv, x[26], r[26]); r[27] = fma(cv, x[27], r[27]); }
  if (D16 > 7u) { r[28] = fma(cv, x[28], r[28]); r[29] = fma(cv, x[29], r[29]); r[30] = fma(cv, x[30], r[30]); r[31] = fma(cv, x[31], r[31]); }
  return r;
}

// c·a.
fn scaled(a: Row, c: f32) -> Row {
  var r = a;
  r[0] *= c; r[1] *= c; r[2] *= c; r[3] *= c;
  if (D16 > 1u) { r[4] *= c; r[5] *= c; r[6] *= c; r[7] *= c; }
  if (D16 > 2u) { r[8] *= c; r[9] *= c; r[10] *= c; r[11] *= c; }
  if (D16 > 3u) { r[12] *= c; r[13] *= c; r[14] *= c; r[15] *= c; }
  if (D16 > 4u) { r[16] *= c; r[17] *= c; r[18] *= c; r[19] *= c; }
  if (D16 > 5u) { r[20] *= c; r[21] *= c; r[22] *= c; r[23] *= c; }
  if (D16 > 6u) { r[24] *= c; r[25] *= c; r[26] *= c; r[27] *= c; }
  if (D16 > 7u) { r[28] *= c; r[29] *= c; r[30] *= c; r[31] *= c; }
  return r;
}


// a·c + p·x.
fn scaled_axpy(a: Row, c: f32, p: f32, x: Row) -> Row {
  var r = Row();
  let pv = vec4f(p);
  r[0] = fma(pv, x[0], a[0] * c); r[1] = fma(pv, x[1], a[1] * c); r[2] = fma(pv, x[2], a[2] * c); r[3] = fma(pv, x[3], a[3] * c);
  if (D16 > 1u) { r[4] = fma(pv, x[4], a[4] * c); r[5] = fma(pv, x[5], a[5] * c); r[6] = fma(pv, x[6], a[6] * c); r[7] = fma(pv, x[7], a[7] * c); }
  if (D16 > 2u) { r[8] = fma(pv, x[8], a[8] * c); r[9] = fma(pv, x[9], a[9] * c); r[10] = fma(pv, x[10], a[10] * c); r[11] = fma(pv, x[11], a[11] * c); }
  if (D16 > 3u) { r[12] = fma(pv, x[12], a[12] * c); r[13] = fma(pv, x[13], a[13] * c); r[14] = fma(pv, x[14], a[14] * c); r[15] = fma(pv, x[15], a[15] * c); }
  if (D16 > 4u) { r[16] = fma(pv, x[16], a[16] * c); r[17] = fma(pv, x[17], a[17] * c); r[18] = fma(pv, x[18], a[18] * c); r[19] = fma(pv, x[19], a[19] * c); }
  if (D16 > 5u) { r[20] = fma(pv, x[20], a[20] * c); r[21] = fma(pv, x[21], a[21] * c); r[22] = fma(pv, x[22], a[22] * c); r[23] = fma(pv, x[23], a[23] * c); }
  if (D16 > 6u) { r[24] = fma(pv, x[24], a[24] * c); r[25] = fma(pv, x[25], a[25] * c); r[26] = fma(pv, x[26], a[26] * c); r[27] = fma(pv, x[27], a[27] * c); }
  if (D16 > 7u) { r[28] = fma(pv, x[28], a[28] * c); r[29] = fma(pv, x[29], a[29] * c); r[30] = fma(pv, x[30], a[30] * c); r[31] = fma(pv, x[31], a[31] * c); }
  return r;
}

fn load_q(base: u32) -> Row {
  var r = Row();
  r[0] = q[base + 0u]; r[1] = q[base + 1u]; r[2] = q[base + 2u]; r[3] = q[base + 3u];
  if (D16 > 1u) { r[4] = q[base + 4u]; r[5] = q[base + 5u]; r[6] = q[base + 6u]; r[7] = q[base + 7u]; }
  if (D16 > 2u) { r[8] = q[base + 8u]; r[9] = q[base + 9u]; r[10] = q[base + 10u]; r[11] = q[base + 11u]; }
  if (D16 > 3u) { r[12] = q[base + 12u]; r[13] = q[base + 13u]; r[14] = q[base + 14u]; r[15] = q[base + 15u]; }
  if (D16 > 4u) { r[16] = q[base + 16u]; r[17] = q[base + 17u]; r[18] = q[base + 18u]; r[19] = q[base + 19u]; }
  if (D16 > 5u) { r[20] = q[base + 20u]; r[21] = q[base + 21u]; r[22] = q[base + 22u]; r[23] = q[base + 23u]; }
  if (D16 > 6u) { r[24] = q[base + 24u]; r[25] = q[base + 25u]; r[26] = q[base + 26u]; r[27] = q[base + 27u]; }
  if (D16 > 7u) { r[28] = q[base + 28u]; r[29] = q[base + 29u]; r[30] = q[base + 30u]; r[31] = q[base + 31u]; }
  return r;
}

fn load_k(base: u32) -> Row {
  var r = Row();
  r[0] = k[base + 0u]; r[1] = k[base + 1u]; r[2] = k[base + 2u]; r[3] = k[base + 3u];
  if (D16 > 1u) { r[4] = k[base + 4u]; r[5] = k[base + 5u]; r[6] = k[base + 6u]; r[7] = k[base + 7u]; }
  if (D16 > 2u) { r[8] = k[base + 8u]; r[9] = k[base + 9u]; r[10] = k[base + 10u]; r[11] = k[base + 11u]; }
  if (D16 > 3u) { r[12] = k[base + 12u]; r[13] = k[base + 13u]; r[14] = k[base + 14u]; r[15] = k[base + 15u]; }
  if (D16 > 4u) { r[16] = k[base + 16u]; r[17] = k[base + 17u]; r[18] = k[base + 18u]; r[19] = k[base + 19u]; }
  if (D16 > 5u) { r[20] = k[base + 20u]; r[21] = k[base + 21u]; r[22] = k[base + 22u]; r[23] = k[base + 23u]; }
  if (D16 > 6u) { r[24] = k[base + 24u]; r[25] = k[base + 25u]; r[26] = k[base + 26u]; r[27] = k[base + 27u]; }
  if (D16 > 7u) { r[28] = k[base + 28u]; r[29] = k[base + 29u]; r[30] = k[base + 30u]; r[31] = k[base + 31u]; }
  return r;
}

fn load_v(base: u32) -> Row {
  var r = Row();
  r[0] = v[base + 0u]; r[1] = v[base + 1u]; r[2] = v[base + 2u]; r[3] = v[base + 3u];
  if (D16 > 1u) { r[4] = v[base + 4u]; r[5] = v[base + 5u]; r[6] = v[base + 6u]; r[7] = v[base + 7u]; }
  if (D16 > 2u) { r[8] = v[base + 8u]; r[9] = v[base + 9u]; r[10] = v[base + 10u]; r[11] = v[base + 11u]; }
  if (D16 > 3u) { r[12] = v[base + 12u]; r[13] = v[base + 13u]; r[14] = v[base + 14u]; r[15] = v[base + 15u]; }
  if (D16 > 4u) { r[16] = v[base + 16u]; r[17] = v[base + 17u]; r[18] = v[base + 18u]; r[19] = v[base + 19u]; }
  if (D16 > 5u) { r[20] = v[base + 20u]; r[21] = v[base + 21u]; r[22] = v[base + 22u]; r[23] = v[base + 23u]; }
  if (D16 > 6u) { r[24] = v[base + 24u]; r[25] = v[base + 25u]; r[26] = v[base + 26u]; r[27] = v[base + 27u]; }
  if (D16 > 7u) { r[28] = v[base + 28u]; r[29] = v[base + 29u]; r[30] = v[base + 30u]; r[31] = v[base + 31u]; }
  return r;
}

fn load_dout(base: u32) -> Row {
  var r = Row();
  r[0] = dout[base + 0u]; r[1] = dout[base + 1u]; r[2] = dout[base + 2u]; r[3] = dout[base + 3u];
  if (D16 > 1u) { r[4] = dout[base + 4u]; r[5] = dout[base + 5u]; r[6] = dout[base + 6u]; r[7] = dout[base + 7u]; }
  if (D16 > 2u) { r[8] = dout[base + 8u]; r[9] = dout[base + 9u]; r[10] = dout[base + 10u]; r[11] = dout[base + 11u]; }
  if (D16 > 3u) { r[12] = dout[base + 12u]; r[13] = dout[base + 13u]; r[14] = dout[base + 14u]; r[15] = dout[base + 15u]; }
  if (D16 > 4u) { r[16] = dout[base + 16u]; r[17] = dout[base + 17u]; r[18] = dout[base + 18u]; r[19] = dout[base + 19u]; }
  if (D16 > 5u) { r[20] = dout[base + 20u]; r[21] = dout[base + 21u]; r[22] = dout[base + 22u]; r[23] = dout[base + 23u]; }
  if (D16 > 6u) { r[24] = dout[base + 24u]; r[25] = dout[base + 25u]; r[26] = dout[base + 26u]; r[27] = dout[base + 27u]; }
  if (D16 > 7u) { r[28] = dout[base + 28u]; r[29] = dout[base + 29u]; r[30] = dout[base + 30u]; r[31] = dout[base + 31u]; }
  return r;
}


// Store the first 4·D16 vec4s of a row (once per row: a plain loop is fine here).
fn store_out(base: u32, r: Row) { var t = r; for (var x = 0u; x < D16 * 4u; x++) { out[base + x] = t[x]; } }
fn store_dq(base: u32, r: Row) { var t = r; for (var x = 0u; x < D16 * 4u; x++) { dq[base + x] = t[x]; } }
fn store_dk(base: u32, r: Row) { var t = r; for (var x = 0u; x < D16 * 4u; x++) { dk[base + x] = t[x]; } }
fn store_dv(base: u32, r: Row) { var t = r; for (var x = 0u; x < D16 * 4u; x++) { dv[base + x] = t[x]; } }

// ------------------------------------------------------------------ forward

// One query row's running state: max m, sum l, unnormalised output acc.
struct Online {
  acc: Row,
  m: f32,
  l: f32,
}

// Take in key j with score s (base 2) and value row vx, if visible:
//   m' = max(m, s),  l' = l·2^(m−m') + 2^(s−m'),  acc' = acc·2^(m−m') + 2^(s−m')·v_j.
// Branch-free: on SwiftShader a divergent branch costs more than the exp2 it would skip.
fn online(st: Online, s: f32, visible: bool, vx: Row) -> Online {
  var r = st;
  let m = select(r.m, max(r.m, s), visible);
  let a = exp2(r.m - m);
  let p = select(0.0, exp2(s - m), visible);
  r.l = fma(r.l, a, p);
  r.m = m;
  r.acc = scaled_axpy(r.acc, a, p, vx);
  return r;
}

// out_i = acc / l,  lse₂_i = m + log₂ l; a row that saw no key gets 0 and 0.
fn finish(st: Online, bh: u32, i: u32) {
  if (i >= u.Tq) { return; }
  let seen = st.l > 0.0;
  store_out((bh * u.Tq + i) * D16 * 4u, scaled(st.acc, select(0.0, 1.0 / st.l, seen)));
  lse_out[bh * u.Tq + i] = select(0.0, st.m + log2(st.l), seen);
}

// Which rows thread t owns: `blocks` blocks of R rows per (b, h), padded to a whole number of quads
// (QUADS, from the entry file) so that the four threads of a quad share one (b, h) and can trade
// the rows they read (attention-quad.wgsl). A thread in the padding works on the last block and
// stores nothing (`live` false), so that it still takes part in the trades.
struct Slot {
  ok: bool,    // t is inside the grid
  bh: u32,
  r0: u32,     // first row of the block
  live: bool,  // the block is real: its results are stored
}

fn slot(t: u32, rows: u32) -> Slot {
  let blocks = (rows + R - 1u) / R;
  let span = (blocks + QUADS - 1u) / QUADS * QUADS;
  let blk = t % span;
  return Slot(t < u.BH * span, t / span, min(blk, blocks - 1u) * R, blk < blocks);
}

// R query rows per thread, one pass over the keys.
fn forward_main(t: u32, lane: u32) {
  let sl = slot(t, u.Tq);
  if (!sl.ok) { return; }
  let bh = sl.bh;
  let i0 = sl.r0;
  let b = bh / u.H;
  let last = min(i0 + R, u.Tq) - 1u;
  var jend = u.Tk;
  if (CAUSAL) { jend = u32(clamp(i32(last) + u.shift + 1, 0, i32(u.Tk))); }
  // One loop for the quad: keys past a thread's own end are invisible to it (causal_ok).
  jend = quad_max(jend);

  // q pre-scaled by scale·log₂e. Rows past Tq repeat the last row and are not written.
  let c = u.scale * LOG2E;
  let qb = bh * u.Tq;
  let q0 = scaled(load_q((qb + i0) * D16 * 4u), c);
  let q1 = scaled(load_q((qb + min(i0 + 1u, last)) * D16 * 4u), c);
  let q2 = scaled(load_q((qb + min(i0 + 2u, last)) * D16 * 4u), c);
  let q3 = scaled(load_q((qb + min(i0 + 3u, last)) * D16 * 4u), c);
  let g0 = segment(b, i0);
  let g1 = segment(b, min(i0 + 1u, last));
  let g2 = segment(b, min(i0 + 2u, last));
  let g3 = segment(b, min(i0 + 3u, last));
  var s0 = Online(Row(), NEG, 0.0);
  var s1 = Online(Row(), NEG, 0.0);
  var s2 = Online(Row(), NEG, 0.0);
  var s3 = Online(Row(), NEG, 0.0);

  // A masked key is computed and dropped (its visible flag false), not skipped: on SwiftShader a
  // `continue` here put the rest of the body under a lane mask, merging every running row at each
  // key, and made a masked forward 4–6× slower than an unmasked one (bench/diagnose/attention-quad.ts).
  // Its weight is exactly 0, so it changes nothing as long as its k and v are finite (an inf or
  // NaN in a masked key's v would now reach the output as 0·inf).
  for (var j = 0u; j < jend; j++) {
    let kb = (bh * u.Tk + j) * D16 * 4u;
    let kx = shared_k(kb, lane);
    let vx = shared_v(kb, lane);
    let kv = key_visible(b, j);
    let gk = segment(b, j);
    s0 = online(s0, dot(q0, kx), kv && causal_ok(i0, j) && same_segment(g0, gk), vx);
    if (R > 1u) { s1 = online(s1, dot(q1, kx), kv && causal_ok(i0 + 1u, j) && same_segment(g1, gk), vx); }
    if (R > 2u) {
      s2 = online(s2, dot(q2, kx), kv && causal_ok(i0 + 2u, j) && same_segment(g2, gk), vx);
      s3 = online(s3, dot(q3, kx), kv && causal_ok(i0 + 3u, j) && same_segment(g3, gk), vx);
    }
  }

  if (!sl.live) { return; }
  finish(s0, bh, i0);
  if (R > 1u) { finish(s1, bh, i0 + 1u); }
  if (R > 2u) {
    finish(s2, bh, i0 + 2u);
    finish(s3, bh, i0 + 3u);
  }
}

// ------------------------------------------------------------------ backward

// Step 1 (one thread per query row): D_i = Σ_x dO_ix·O_ix, stored beside lse₂.
@compute @workgroup_size(WG)
fn backward_prep(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= u.BH * u.Tq) { return; }
  let base = i * D16 * 4u;
  var acc = vec4f(0.0);
  for (var x = 0u; x < D16 * 4u; x++) { acc = fma(dout[base + x], o[base + x], acc); }
  stats_out[i] = vec2f(lse[i], acc.x + acc.y + acc.z + acc.w);
}

// dS_ij for query row (qr pre-scaled, gr = dO_i, st = (lse₂_i, D_i)) and key row (kx, vx), with
// P recomputed from the saved logsumexp:
//   P_ij = 2^(s₂_ij − lse₂_i),  dP_ij = dO_i·v_j,  dS_ij = P_ij (dP_ij − D_i).
fn dscore(p: f32, gr: Row, vx: Row, st: vec2f) -> f32 {
  return p * (dot(gr, vx) - st.y);
}

fn prob(s: f32, st: vec2f, visible: bool) -> f32 {
  return select(0.0, exp2(s - st.x), visible);
}

// Step 2 (R query rows per thread, loop over keys): dq_i = scale · Σ_j dS_ij k_j.
fn backward_dq_main(t: u32, lane: u32) {
  let sl = slot(t, u.Tq);
  if (!sl.ok) { return; }
  let bh = sl.bh;
  let i0 = sl.r0;
  let b = bh / u.H;
  let last = min(i0 + R, u.Tq) - 1u;
  var jend = u.Tk;
  if (CAUSAL) { jend = u32(clamp(i32(last) + u.shift + 1, 0, i32(u.Tk))); }
  jend = quad_max(jend);

  let c = u.scale * LOG2E;
  let qb = bh * u.Tq;
  let r0 = qb + i0;
  let r1 = qb + min(i0 + 1u, last);
  let r2 = qb + min(i0 + 2u, last);
  let r3 = qb + min(i0 + 3u, last);
  let q0 = scaled(load_q(r0 * D16 * 4u), c);
  let q1 = scaled(load_q(r1 * D16 * 4u), c);
  let q2 = scaled(load_q(r2 * D16 * 4u), c);
  let q3 = scaled(load_q(r3 * D16 * 4u), c);
  let g0 = load_dout(r0 * D16 * 4u);
  let g1 = load_dout(r1 * D16 * 4u);
  let g2 = load_dout(r2 * D16 * 4u);
  let g3 = load_dout(r3 * D16 * 4u);
  let st0 = stats[r0];
  let st1 = stats[r1];
  let st2 = stats[r2];
  let st3 = stats[r3];
  let sg0 = segment(b, i0);
  let sg1 = segment(b, min(i0 + 1u, last));
  let sg2 = segment(b, min(i0 + 2u, last));
  let sg3 = segment(b, min(i0 + 3u, last));
  var a0 = Row();
  var a1 = Row();
  var a2 = Row();
  var a3 = Row();

  // Masked keys computed and dropped, as in forward_main.
  for (var j = 0u; j < jend; j++) {
    let kb = (bh * u.Tk + j) * D16 * 4u;
    let kx = shared_k(kb, lane);
    let vx = shared_v(kb, lane);
    let kv = key_visible(b, j);
    let gk = segment(b, j);
    a0 = axpy(a0, dscore(prob(dot(q0, kx), st0, kv && causal_ok(i0, j) && same_segment(sg0, gk)), g0, vx, st0), kx);
    if (R > 1u) { a1 = axpy(a1, dscore(prob(dot(q1, kx), st1, kv && causal_ok(i0 + 1u, j) && same_segment(sg1, gk)), g1, vx, st1), kx); }
    if (R > 2u) {
      a2 = axpy(a2, dscore(prob(dot(q2, kx), st2, kv && causal_ok(i0 + 2u, j) && same_segment(sg2, gk)), g2, vx, st2), kx);
      a3 = axpy(a3, dscore(prob(dot(q3, kx), st3, kv && causal_ok(i0 + 3u, j) && same_segment(sg3, gk)), g3, vx, st3), kx);
    }
  }

  if (!sl.live) { return; }
  store_dq(r0 * D16 * 4u, scaled(a0, u.scale));
  if (R > 1u && i0 + 1u < u.Tq) { store_dq(r1 * D16 * 4u, scaled(a1, u.scale)); }
  if (R > 2u && i0 + 2u < u.Tq) { store_dq(r2 * D16 * 4u, scaled(a2, u.scale)); }
  if (R > 2u && i0 + 3u < u.Tq) { store_dq(r3 * D16 * 4u, scaled(a3, u.scale)); }
}

// Step 3 (R key rows per thread, loop over queries), P and dS as in step 2:
//   dv_j = Σ_i P_ij dO_i,  dk_j = scale · Σ_i dS_ij q_i.
// A key no query sees (masked out, or after every query under CAUSAL) gets zeros.
fn backward_dkdv_main(t: u32, lane: u32) {
  let sl = slot(t, u.Tk);
  if (!sl.ok) { return; }
  let bh = sl.bh;
  let j0 = sl.r0;
  let b = bh / u.H;
  let last = min(j0 + R, u.Tk) - 1u;

  // k pre-scaled by scale·log₂e. Rows past Tk repeat the last row, are invisible and not written.
  let c = u.scale * LOG2E;
  let kb = bh * u.Tk;
  let r0 = kb + j0;
  let r1 = kb + min(j0 + 1u, last);
  let r2 = kb + min(j0 + 2u, last);
  let r3 = kb + min(j0 + 3u, last);
  let k0 = scaled(load_k(r0 * D16 * 4u), c);
  let k1 = scaled(load_k(r1 * D16 * 4u), c);
  let k2 = scaled(load_k(r2 * D16 * 4u), c);
  let k3 = scaled(load_k(r3 * D16 * 4u), c);
  let v0 = load_v(r0 * D16 * 4u);
  let v1 = load_v(r1 * D16 * 4u);
  let v2 = load_v(r2 * D16 * 4u);
  let v3 = load_v(r3 * D16 * 4u);
  let vis0 = key_visible(b, j0);
  let vis1 = R > 1u && j0 + 1u < u.Tk && key_visible(b, j0 + 1u);
  let vis2 = R > 2u && j0 + 2u < u.Tk && key_visible(b, j0 + 2u);
  let vis3 = R > 2u && j0 + 3u < u.Tk && key_visible(b, j0 + 3u);
  let gk0 = segment(b, j0);
  let gk1 = segment(b, min(j0 + 1u, last));
  let gk2 = segment(b, min(j0 + 2u, last));
  let gk3 = segment(b, min(j0 + 3u, last));
  var dk0 = Row();
  var dk1 = Row();
  var dk2 = Row();
  var dk3 = Row();
  var dv0 = Row();
  var dv1 = Row();
  var dv2 = Row();
  var dv3 = Row();

  // Under CAUSAL, queries before j0 − shift see none of this thread's keys.
  var istart = 0u;
  if (CAUSAL) { istart = u32(clamp(i32(j0) - u.shift, 0, i32(u.Tq))); }
  if (!quad_any(vis0 || vis1 || vis2 || vis3)) { istart = u.Tq; }
  istart = quad_min(istart);

  for (var i = istart; i < u.Tq; i++) {
    let row = bh * u.Tq + i;
    let qx = shared_q(row * D16 * 4u, lane);
    let gx = shared_dout(row * D16 * 4u, lane);
    let st = stats[row];
    let gq = segment(b, i);
    let p0 = prob(dot(k0, qx), st, vis0 && causal_ok(i, j0) && same_segment(gq, gk0));
    dv0 = axpy(dv0, p0, gx);
    dk0 = axpy(dk0, dscore(p0, v0, gx, st), qx);
    if (R > 1u) {
      let p1 = prob(dot(k1, qx), st, vis1 && causal_ok(i, j0 + 1u) && same_segment(gq, gk1));
      dv1 = axpy(dv1, p1, gx);
      dk1 = axpy(dk1, dscore(p1, v1, gx, st), qx);
    }
    if (R > 2u) {
      let p2 = prob(dot(k2, qx), st, vis2 && causal_ok(i, j0 + 2u) && same_segment(gq, gk2));
      dv2 = axpy(dv2, p2, gx);
      dk2 = axpy(dk2, dscore(p2, v2, gx, st), qx);
      let p3 = prob(dot(k3, qx), st, vis3 && causal_ok(i, j0 + 3u) && same_segment(gq, gk3));
      dv3 = axpy(dv3, p3, gx);
      dk3 = axpy(dk3, dscore(p3, v3, gx, st), qx);
    }
  }

  if (!sl.live) { return; }
  store_dk(r0 * D16 * 4u, scaled(dk0, u.scale));
  store_dv(r0 * D16 * 4u, dv0);
  if (R > 1u && j0 + 1u < u.Tk) { store_dk(r1 * D16 * 4u, scaled(dk1, u.scale)); store_dv(r1 * D16 * 4u, dv1); }
  if (R > 2u && j0 + 2u < u.Tk) { store_dk(r2 * D16 * 4u, scaled(dk2, u.scale)); store_dv(r2 * D16 * 4u, dv2); }
  if (R > 2u && j0 + 3u < u.Tk) { store_dk(r3 * D16 * 4u, scaled(dk3, u.scale)); store_dv(r3 * D16 * 4u, dv3); }
}
