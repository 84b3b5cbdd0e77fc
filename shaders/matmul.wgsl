// Batched matrix multiply  C[b] = alpha · op(A[b]) · op(B[b]),  op = identity or transpose.
//
// A is [batch, M, K] (or [batch, K, M] when TA), B is [batch, K, N] (or [batch, N, K] when TB),
// C is [batch, M, N]; a batch stride of 0 broadcasts one matrix over the batch.
//
// Variants (engine/ops/matmul.ts picks one per adapter and shape class, engine/autotune.ts):
//   naive     one thread per output: the reference, runs everywhere.
//   reg4x4,   one thread per 4×4 / 8×8 block of C, kept in registers; no workgroup memory.
//   reg8x8    What a software adapter (SwiftShader, lavapipe) wants: it runs a workgroup's
//             invocations as the SIMD lanes of one CPU thread and every load from a buffer is a
//             per-lane gather, so loads and barriers are what cost and more FMAs per loaded value
//             is the lever (PLATFORM.md).
//   tiled     16×16 threads share 64×64 tiles of C through workgroup memory: what a GPU wants.
//   sg8x8,    (matmul-subgroups.wgsl, appended to this file) 8×8 / 8×12 / 8×16 register blocks
//   sg8x12,   per lane whose B loads are shared by the four lanes of a subgroup.
//   sg8x16
//   sg16x32   (matmul-subgroups-wide.wgsl, appended after those) 16×32 per lane, written out by
//             engine/ops/matmul.ts: the fastest on SwiftShader where M and N fill its 64×32 tiles.
//
// A and B are bound as vec4 arrays. VA/VB say the operand may be read four floats at a time along
// its contiguous axis (the launcher sets them when that axis' length is a multiple of 4, so every
// row starts on a vec4); otherwise it is read one float at a time, through the same binding
// rounded up to 16 bytes.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  stride_a: u32,   // elements between consecutive batch matrices of A (0 = broadcast)
  stride_b: u32,
  alpha: f32,      // C = alpha · A·B
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override WG: u32 = 64;
override TA: bool = false;
override TB: bool = false;
override VA: bool = false;
override VB: bool = false;

fn a1(i: u32) -> f32 { return a[i >> 2u][i & 3u]; }
fn b1(i: u32) -> f32 { return b[i >> 2u][i & 3u]; }

fn a_at(base: u32, m: u32, k: u32) -> f32 {
  if (TA) { return a1(base + k * u.M + m); }
  return a1(base + m * u.K + k);
}

fn b_at(base: u32, k: u32, n: u32) -> f32 {
  if (TB) { return b1(base + n * u.K + k); }
  return b1(base + k * u.N + n);
}

// One thread per output element: the reference variant, correct for every shape and adapter.
@compute @workgroup_size(WG)
fn naive(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.batch * u.M * u.N) { return; }
  let n = t % u.N;
  let m = (t / u.N) % u.M;
  let bi = t / (u.M * u.N);
  let ab = bi * u.stride_a;
  let bb = bi * u.stride_b;
  var acc = 0.0;
  for (var k = 0u; k < u.K; k++) {
    acc = fma(a_at(ab, m, k), b_at(bb, k, n), acc);
  }
  c[t] = u.alpha * acc;
}

// ---------------------------------------------------------------- register blocks
//
// The unit is a 4×4 block: a thread holds its part of C as mat4x4f values whose column i is row i
// of the block, and per step of 4 along K it loads a 4×4 block of op(A) (column i = row i over
// k..k+3) and of op(B) (column kk = row k+kk over n..n+3), then
//   C[i] += Σ_kk A[i][kk] · B[kk]      (16 vec4 fma).
// Everything is written out (no loops over register arrays): software adapters do not unroll,
// and an indexed array of registers becomes memory, ten times slower.

// Where a 4×4 block of op(A) lives: element (i, kk) at o[i] + (k + kk)·sk. Rows past M are clamped
// to M−1 (their results are never stored). When the block is read as one vec4 across its rows
// (Aᵀ with VA), every o[i] holds that vec4's start instead, clamped to the last whole vec4.
struct Blk { o: vec4u, sk: u32 }

fn a_blk_at(base: u32, m0: u32) -> Blk {
  let m = min(vec4u(m0) + vec4u(0u, 1u, 2u, 3u), vec4u(u.M - 1u));
  if (TA) {
    // Read as one vec4 across the block (VA): a block past the end of M reads the last whole vec4.
    if (VA) { return Blk(vec4u(min(base + m0, base + u.M - 4u)), u.M); }
    return Blk(base + m, u.M);
  }
  return Blk(base + m * u.K, 1u);
}

// The same for op(B), element (kk, j) at o[j] + (k + kk)·sk; columns past N clamped (B with VB:
// the vec4's start in every entry).
fn b_blk_at(base: u32, n0: u32) -> Blk {
  let n = min(vec4u(n0) + vec4u(0u, 1u, 2u, 3u), vec4u(u.N - 1u));
  if (TB) { return Blk(base + n * u.K, 1u); }
  if (VB) { return Blk(vec4u(min(base + n0, base + u.N - 4u)), u.N); }
  return Blk(base + n, u.N);
}

// Column i = element (i, k4[0..3]) of A's block. `k4` holds the four k (clamped to K−1 on a last,
// partial step). With VA the block's contiguous axis is read as vec4: along k for A, across the
// block (then transposed, which costs nothing) for Aᵀ.
fn a_blk(x: Blk, k4: vec4u) -> mat4x4f {
  let r = k4 * x.sk;
  if (VA) {
    if (!TA) { return mat4x4f(a[(x.o[0] + r[0]) >> 2u], a[(x.o[1] + r[0]) >> 2u], a[(x.o[2] + r[0]) >> 2u], a[(x.o[3] + r[0]) >> 2u]); }
    let o = x.o[0];
    return transpose(mat4x4f(a[(o + r[0]) >> 2u], a[(o + r[1]) >> 2u], a[(o + r[2]) >> 2u], a[(o + r[3]) >> 2u]));
  }
  return mat4x4f(vec4f(a1(x.o[0] + r[0]), a1(x.o[0] + r[1]), a1(x.o[0] + r[2]), a1(x.o[0] + r[3])),
                 vec4f(a1(x.o[1] + r[0]), a1(x.o[1] + r[1]), a1(x.o[1] + r[2]), a1(x.o[1] + r[3])),
                 vec4f(a1(x.o[2] + r[0]), a1(x.o[2] + r[1]), a1(x.o[2] + r[2]), a1(x.o[2] + r[3])),
                 vec4f(a1(x.o[3] + r[0]), a1(x.o[3] + r[1]), a1(x.o[3] + r[2]), a1(x.o[3] + r[3])));
}

// Column kk = row k4[kk] of B's block over its four columns.
fn b_blk(x: Blk, k4: vec4u) -> mat4x4f {
  let r = k4 * x.sk;
  if (VB) {
    if (TB) { return transpose(mat4x4f(b[(x.o[0] + r[0]) >> 2u], b[(x.o[1] + r[0]) >> 2u], b[(x.o[2] + r[0]) >> 2u], b[(x.o[3] + r[0]) >> 2u])); }
    let o = x.o[0];
    return mat4x4f(b[(o + r[0]) >> 2u], b[(o + r[1]) >> 2u], b[(o + r[2]) >> 2u], b[(o + r[3]) >> 2u]);
  }
  return mat4x4f(vec4f(b1(x.o[0] + r[0]), b1(x.o[1] + r[0]), b1(x.o[2] + r[0]), b1(x.o[3] + r[0])),
                 vec4f(b1(x.o[0] + r[1]), b1(x.o[1] + r[1]), b1(x.o[2] + r[1]), b1(x.o[3] + r[1])),
                 vec4f(b1(x.o[0] + r[2]), b1(x.o[1] + r[2]), b1(x.o[2] + r[2]), b1(x.o[3] + r[2])),
                 vec4f(b1(x.o[0] + r[3]), b1(x.o[1] + r[3]), b1(x.o[2] + r[3]), b1(x.o[3] + r[3])));
}

// c + a·b for 4×4 blocks held as rows (see above); fma chains, which software adapters run about
// twice as fast as a*b+c.
fn mac(c: mat4x4f, a: mat4x4f, b: mat4x4f) -> mat4x4f {
  return mat4x4f(
    fma(vec4f(a[0][0]), b[0], fma(vec4f(a[0][1]), b[1], fma(vec4f(a[0][2]), b[2], fma(vec4f(a[0][3]), b[3], c[0])))),
    fma(vec4f(a[1][0]), b[0], fma(vec4f(a[1][1]), b[1], fma(vec4f(a[1][2]), b[2], fma(vec4f(a[1][3]), b[3], c[1])))),
    fma(vec4f(a[2][0]), b[0], fma(vec4f(a[2][1]), b[1], fma(vec4f(a[2][2]), b[2], fma(vec4f(a[2][3]), b[3], c[2])))),
    fma(vec4f(a[3][0]), b[0], fma(vec4f(a[3][1]), b[1], fma(vec4f(a[3][2]), b[2], fma(vec4f(a[3][3]), b[3], c[3])))));
}

// On the last step when K % 4 ≠ 0, the clamped k repeat k = K−1: those entries must count zero
// (in A and in B, so that an inf there cannot turn into NaN).
fn k_tail(k: u32) -> vec4u { return min(vec4u(k) + vec4u(0u, 1u, 2u, 3u), vec4u(u.K - 1u)); }
fn k_mask(k: u32) -> vec4f { return select(vec4f(0.0), vec4f(1.0), vec4u(k) + vec4u(0u, 1u, 2u, 3u) < vec4u(u.K)); }
fn mask_a(x: mat4x4f, mk: vec4f) -> mat4x4f { return mat4x4f(x[0] * mk, x[1] * mk, x[2] * mk, x[3] * mk); }
fn mask_b(y: mat4x4f, mk: vec4f) -> mat4x4f { return mat4x4f(y[0] * mk.x, y[1] * mk.y, y[2] * mk.z, y[3] * mk.w); }

fn store_row(v: vec4f, bi: u32, m: u32, n0: u32) {
  if (m >= u.M) { return; }
  let o = (bi * u.M + m) * u.N + n0;
  let w = u.alpha * v;
  if (n0 + 3u < u.N) {
    c[o] = w[0]; c[o + 1u] = w[1]; c[o + 2u] = w[2]; c[o + 3u] = w[3];
    return;
  }
  if (n0 < u.N) { c[o] = w[0]; }
  if (n0 + 1u < u.N) { c[o + 1u] = w[1]; }
  if (n0 + 2u < u.N) { c[o + 2u] = w[2]; }
}

// Rows m0..m0+3, columns n0..n0+3 of C (those inside it) = alpha · acc.
fn store(acc: mat4x4f, bi: u32, m0: u32, n0: u32) {
  store_row(acc[0], bi, m0, n0);
  store_row(acc[1], bi, m0 + 1u, n0);
  store_row(acc[2], bi, m0 + 2u, n0);
  store_row(acc[3], bi, m0 + 3u, n0);
}

// Block index q → (batch, first row, first column) for RM×RN blocks, columns fastest, so that the
// threads of a workgroup share rows of A and walk along B. Past the last block, `ok` is false and
// the fields repeat the last block (so that lanes which must keep running read valid memory).
struct Tile { bi: u32, m0: u32, n0: u32, ab: u32, bb: u32, ok: bool }

fn tile(q: u32, RM: u32, RN: u32) -> Tile {
  let tn = (u.N + RN - 1u) / RN;
  let tm = (u.M + RM - 1u) / RM;
  let last = tn * tm * u.batch - 1u;
  let t = min(q, last);
  let bi = t / (tn * tm);
  return Tile(bi, ((t / tn) % tm) * RM, (t % tn) * RN, bi * u.stride_a, bi * u.stride_b, q <= last);
}

@compute @workgroup_size(WG)
fn reg4x4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = tile(gid.x + gid.y * nwg.x * WG, 4u, 4u);
  if (!p.ok) { return; }
  let xa = a_blk_at(p.ab, p.m0);
  let xb = b_blk_at(p.bb, p.n0);
  var c0 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
    let k4 = vec4u(k) + vec4u(0u, 1u, 2u, 3u);
    c0 = mac(c0, a_blk(xa, k4), b_blk(xb, k4));
  }
  if (k < u.K) {
    let k4 = k_tail(k);
    let mk = k_mask(k);
    c0 = mac(c0, mask_a(a_blk(xa, k4), mk), mask_b(b_blk(xb, k4), mk));
  }
  store(c0, p.bi, p.m0, p.n0);
}

@compute @workgroup_size(WG)
fn reg8x8(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = tile(gid.x + gid.y * nwg.x * WG, 8u, 8u);
  if (!p.ok) { return; }
  let xa0 = a_blk_at(p.ab, p.m0);
  let xa1 = a_blk_at(p.ab, p.m0 + 4u);
  let xb0 = b_blk_at(p.bb, p.n0);
  let xb1 = b_blk_at(p.bb, p.n0 + 4u);
  var c00 = mat4x4f(); var c01 = mat4x4f();
  var c10 = mat4x4f(); var c11 = mat4x4f();
  var k = 0u;
  for (; k + 4u <= u.K; k += 4u) {
    let k4 = vec4u(k) + vec4u(0u, 1u, 2u, 3u);
    let a0 = a_blk(xa0, k4); let a1 = a_blk(xa1, k4);
    let b0 = b_blk(xb0, k4); let b1 = b_blk(xb1, k4);
    c00 = mac(c00, a0, b0); c01 = mac(c01, a0, b1);
    c10 = mac(c10, a1, b0); c11 = mac(c11, a1, b1);
  }
  if (k < u.K) {
    let k4 = k_tail(k);
    let mk = k_mask(k);
    let a0 = mask_a(a_blk(xa0, k4), mk); let a1 = mask_a(a_blk(xa1, k4), mk);
    let b0 = mask_b(b_blk(xb0, k4), mk); let b1 = mask_b(b_blk(xb1, k4), mk);
    c00 = mac(c00, a0, b0); c01 = mac(c01, a0, b1);
    c10 = mac(c10, a1, b0); c11 = mac(c11, a1, b1);
  }
  store(c00, p.bi, p.m0, p.n0); store(c01, p.bi, p.m0, p.n0 + 4u);
  store(c10, p.bi, p.m0 + 4u, p.n0); store(c11, p.bi, p.m0 + 4u, p.n0 + 4u);
}

// ---------------------------------------------------------------- workgroup tiles
//
// A TS×TS workgroup computes a (4·TS)×(4·TS) tile of C, each thread a 4×4 block in registers.
// Per step, the workgroup stages a TK-deep slice of op(A) and op(B) in workgroup memory (zero
// past the edges), laid out k-major with four consecutive rows (columns) per vec4, so that the
// inner loop reads whole vec4 blocks; loads are arranged so that neighbouring threads read
// neighbouring addresses of the operand's contiguous axis.

override TS: u32 = 16;
override TK: u32 = 16;   // a multiple of 4

// Rows of TS vec4 padded to TS + 1, so that threads storing consecutive k (the contiguous axis of A,
// or of Bᵀ) hit different memory banks.
var<workgroup> As: array<vec4f, TK * (TS + 1u)>;   // As[k·(TS+1) + i] = op(A)[m0 + 4i .. 4i+3][k0 + k]
var<workgroup> Bs: array<vec4f, TK * (TS + 1u)>;   // Bs[k·(TS+1) + j] = op(B)[k0 + k][n0 + 4j .. 4j+3]

fn a_el(base: u32, m: u32, k: u32) -> f32 {
  if (m >= u.M || k >= u.K) { return 0.0; }
  return a_at(base, m, k);
}

fn b_el(base: u32, k: u32, n: u32) -> f32 {
  if (k >= u.K || n >= u.N) { return 0.0; }
  return b_at(base, k, n);
}

@compute @workgroup_size(TS, TS)
fn tiled(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let T = 4u * TS;
  let m0 = wid.y * T;
  let n0 = wid.x * T;
  let bi = wid.z;
  let ab = bi * u.stride_a;
  let bb = bi * u.stride_b;
  let l = lid.y * TS + lid.x;
  let R = TS + 1u;
  var acc = mat4x4f();
  for (var k0 = 0u; k0 < u.K; k0 += TK) {
    // TK·T elements of each operand, TS·TS threads: consecutive threads walk the contiguous axis.
    for (var e = l; e < TK * T; e += TS * TS) {
      var m: u32; var k: u32;
      if (TA) { m = e % T; k = e / T; } else { k = e % TK; m = e / TK; }
      As[k * R + m / 4u][m % 4u] = a_el(ab, m0 + m, k0 + k);
      var n: u32; var kb: u32;
      if (TB) { kb = e % TK; n = e / TK; } else { n = e % T; kb = e / T; }
      Bs[kb * R + n / 4u][n % 4u] = b_el(bb, k0 + kb, n0 + n);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k += 4u) {
      let x = transpose(mat4x4f(As[k * R + lid.y], As[(k + 1u) * R + lid.y], As[(k + 2u) * R + lid.y], As[(k + 3u) * R + lid.y]));
      let y = mat4x4f(Bs[k * R + lid.x], Bs[(k + 1u) * R + lid.x], Bs[(k + 2u) * R + lid.x], Bs[(k + 3u) * R + lid.x]);
      acc = mac(acc, x, y);
    }
    workgroupBarrier();
  }
  store(acc, bi, m0 + 4u * lid.y, n0 + 4u * lid.x);
}
