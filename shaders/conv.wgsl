// 3-D convolution (PyTorch F.conv3d: cross-correlation, zero padding), forward and both
// backward passes, as direct kernels. conv2d runs here with depth 1.
//
//   y[n,co,o]  = b[co] + Σ_{ci,k} x[n,ci, o·s − p + k] · w[co,ci,k]                       (o, k, s, p per axis)
//   dx[n,ci,i] = Σ_{co,k : (i + p − k) ≡ 0 mod s, 0 ≤ (i + p − k)/s < O} gy[n,co,(i + p − k)/s] · w[co,ci,k]
//   dw[co,ci,k] = Σ_{n,o} gy[n,co,o] · x[n,ci, o·s − p + k]
//
// Register blocking (PLATFORM.md: on a software adapter every storage load is a per-lane
// gather and each loop level costs, so what counts is FMAs per load and per loop step): each
// `forward` thread holds 8 output positions along W × 16 output channels (32 vec4 accumulators
// a<p><v>: position p, channels 4v..4v+3; the weights are packed so that 4 channels are one
// vec4); `backward_x` holds 8 input positions × 16 input channels; `backward_w` holds 8 output
// × 8 input channels of one kernel tap. Along W the inputs a thread needs at kernel tap kw + s
// are the ones it needed at kw shifted by one position, so the window slides: one new load per
// tap instead of eight. No workgroup memory, no barriers. (Measured on SwiftShader, 3×3×3 over
// 32 channels: 16×8 blocks beat 8×4 by about a quarter; a loop level inside the (ci, kd, kh)
// nest cost as much again, hence the tap chains outermost.)

struct Params {
  N: u32, Cin: u32, Cout: u32, blocks: u32,    // blocks: work items of the dispatch
  D: u32, H: u32, W: u32, cpad: u32,           // cpad: channels of the packed weights (multiple of 16)
  OD: u32, OH: u32, OW: u32, has_bias: u32,
  KD: u32, KH: u32, KW: u32, chunks: u32,      // chunks: the reduction of backward_w split this many ways
  SD: u32, SH: u32, SW: u32, chunk_rows: u32,  // chunk_rows: (n, od, oh) rows per chunk
  PD: u32, PH: u32, PW: u32, _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> wv: array<vec4f>;   // packed weights, read as vec4
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> gy: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn kvol() -> u32 { return u.KD * u.KH * u.KW; }

// ------------------------------------------------------------------ weight packing

// out[(ci·kvol + k)·cpad + co] = w[co, ci, k], zero for co ≥ Cout: the forward reads 4 output
// channels of one tap as one vec4.
@compute @workgroup_size(WG)
fn pack_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.blocks) { return; }
  let co = i % u.cpad;
  let rk = i / u.cpad;
  let ci = rk / kvol();
  let k = rk % kvol();
  out[i] = select(0.0, w[(min(co, u.Cout - 1u) * u.Cin + ci) * kvol() + k], co < u.Cout);
}

// out[(co·kvol + k)·cpad + ci] = w[co, ci, k], zero for ci ≥ Cin: backward_x reads 4 input
// channels of one tap as one vec4.
@compute @workgroup_size(WG)
fn pack_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.blocks) { return; }
  let ci = i % u.cpad;
  let rk = i / u.cpad;
  let co = rk / kvol();
  let k = rk % kvol();
  out[i] = select(0.0, w[(co * u.Cin + min(ci, u.Cin - 1u)) * kvol() + k], ci < u.Cin);
}

// ------------------------------------------------------------------ forward

// x at (row, iw), zero outside [0, W): the padding.
fn x_row(row: u32, iw: i32) -> f32 {
  let ok = iw >= 0 && iw < i32(u.W);
  return select(0.0, x[row + u32(select(0, iw, ok))], ok);
}

// One thread: output positions ow0..ow0+7 of row (n, od, oh) × output channels 16·cb..16·cb+15.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.blocks) { return; }
  let owBlocks = (u.OW + 7u) / 8u;
  let cBlocks = u.cpad / 16u;
  var r = t;
  let ow0 = (r % owBlocks) * 8u; r /= owBlocks;
  let oh = r % u.OH; r /= u.OH;
  let od = r % u.OD; r /= u.OD;
  let cb = r % cBlocks;
  let n = r / cBlocks;

  var a00 = vec4f(0.0); var a01 = vec4f(0.0); var a02 = vec4f(0.0); var a03 = vec4f(0.0);
  var a10 = vec4f(0.0); var a11 = vec4f(0.0); var a12 = vec4f(0.0); var a13 = vec4f(0.0);
  var a20 = vec4f(0.0); var a21 = vec4f(0.0); var a22 = vec4f(0.0); var a23 = vec4f(0.0);
  var a30 = vec4f(0.0); var a31 = vec4f(0.0); var a32 = vec4f(0.0); var a33 = vec4f(0.0);
  var a40 = vec4f(0.0); var a41 = vec4f(0.0); var a42 = vec4f(0.0); var a43 = vec4f(0.0);
  var a50 = vec4f(0.0); var a51 = vec4f(0.0); var a52 = vec4f(0.0); var a53 = vec4f(0.0);
  var a60 = vec4f(0.0); var a61 = vec4f(0.0); var a62 = vec4f(0.0); var a63 = vec4f(0.0);
  var a70 = vec4f(0.0); var a71 = vec4f(0.0); var a72 = vec4f(0.0); var a73 = vec4f(0.0);

  let sw = i32(u.SW);
  let iw0 = i32(ow0 * u.SW) - i32(u.PW);
  let id0 = i32(od * u.SD) - i32(u.PD);
  let ih0 = i32(oh * u.SH) - i32(u.PH);
  // Taps whose rows lie in the padding contribute nothing: clip the kd, kh ranges.
  let kd_lo = u32(max(-id0, 0));
  let kd_hi = u32(clamp(i32(u.D) - id0, 0, i32(u.KD)));
  let kh_lo = u32(max(-ih0, 0));
  let kh_hi = u32(clamp(i32(u.H) - ih0, 0, i32(u.KH)));
  let cv = u.cpad / 4u;

  // Taps kw ≡ c (mod s) form a chain: from one to the next the 8 positions shift by one.
  // (One chain when s = 1.)
  for (var c = 0u; c < min(u.SW, u.KW); c++) {
    for (var ci = 0u; ci < u.Cin; ci++) {
      let xc = (n * u.Cin + ci) * u.D;
      for (var kd = kd_lo; kd < kd_hi; kd++) {
        let xd = (xc + u32(id0 + i32(kd))) * u.H;
        for (var kh = kh_lo; kh < kh_hi; kh++) {
          let row = (xd + u32(ih0 + i32(kh))) * u.W;
          let wrow = ((ci * u.KD + kd) * u.KH + kh) * u.KW;
          var iw = iw0 + i32(c);
          var x0 = x_row(row, iw);
          var x1 = x_row(row, iw + sw);
          var x2 = x_row(row, iw + 2 * sw);
          var x3 = x_row(row, iw + 3 * sw);
          var x4 = x_row(row, iw + 4 * sw);
          var x5 = x_row(row, iw + 5 * sw);
          var x6 = x_row(row, iw + 6 * sw);
          var x7 = x_row(row, iw + 7 * sw);
          for (var kw = c; kw < u.KW; kw += u.SW) {
            let wi = (wrow + kw) * cv + 4u * cb;
            let w0 = wv[wi]; let w1 = wv[wi + 1u]; let w2 = wv[wi + 2u]; let w3 = wv[wi + 3u];
            a00 = fma(vec4f(x0), w0, a00); a01 = fma(vec4f(x0), w1, a01); a02 = fma(vec4f(x0), w2, a02); a03 = fma(vec4f(x0), w3, a03);
            a10 = fma(vec4f(x1), w0, a10); a11 = fma(vec4f(x1), w1, a11); a12 = fma(vec4f(x1), w2, a12); a13 = fma(vec4f(x1), w3, a13);
            a20 = fma(vec4f(x2), w0, a20); a21 = fma(vec4f(x2), w1, a21); a22 = fma(vec4f(x2), w2, a22); a23 = fma(vec4f(x2), w3, a23);
            a30 = fma(vec4f(x3), w0, a30); a31 = fma(vec4f(x3), w1, a31); a32 = fma(vec4f(x3), w2, a32); a33 = fma(vec4f(x3), w3, a33);
            a40 = fma(vec4f(x4), w0, a40); a41 = fma(vec4f(x4), w1, a41); a42 = fma(vec4f(x4), w2, a42); a43 = fma(vec4f(x4), w3, a43);
            a50 = fma(vec4f(x5), w0, a50); a51 = fma(vec4f(x5), w1, a51); a52 = fma(vec4f(x5), w2, a52); a53 = fma(vec4f(x5), w3, a53);
            a60 = fma(vec4f(x6), w0, a60); a61 = fma(vec4f(x6), w1, a61); a62 = fma(vec4f(x6), w2, a62); a63 = fma(vec4f(x6), w3, a63);
            a70 = fma(vec4f(x7), w0, a70); a71 = fma(vec4f(x7), w1, a71); a72 = fma(vec4f(x7), w2, a72); a73 = fma(vec4f(x7), w3, a73);
            x0 = x1; x1 = x2; x2 = x3; x3 = x4; x4 = x5; x5 = x6; x6 = x7;
            iw += sw;
            x7 = x_row(row, iw + 7 * sw);
          }
        }
      }
    }
  }

  let s = u.OD * u.OH * u.OW;
  let pos = (od * u.OH + oh) * u.OW + ow0;
  let left = u.OW - ow0;   // positions of this block inside the row
  let co0 = 16u * cb;
  // Stored inline: handing the 32 accumulators to a helper function made the whole kernel
  // about 1.8× slower on SwiftShader.
  for (var j = 0u; j < 4u; j++) {   // channels co0 + j: components of a<p>0
    let c = co0 + j;
    if (c < u.Cout) {
      let b = select(0.0, bias[c], u.has_bias != 0u);
      let base = (n * u.Cout + c) * s + pos;
      out[base] = a00[j] + b;
      if (left > 1u) { out[base + 1u] = a10[j] + b; }
      if (left > 2u) { out[base + 2u] = a20[j] + b; }
      if (left > 3u) { out[base + 3u] = a30[j] + b; }
      if (left > 4u) { out[base + 4u] = a40[j] + b; }
      if (left > 5u) { out[base + 5u] = a50[j] + b; }
      if (left > 6u) { out[base + 6u] = a60[j] + b; }
      if (left > 7u) { out[base + 7u] = a70[j] + b; }
    }
  }
  for (var j = 0u; j < 4u; j++) {   // channels co0 + 4 + j: components of a<p>1
    let c = co0 + 4u + j;
    if (c < u.Cout) {
      let b = select(0.0, bias[c], u.has_bias != 0u);
      let base = (n * u.Cout + c) * s + pos;
      out[base] = a01[j] + b;
      if (left > 1u) { out[base + 1u] = a11[j] + b; }
      if (left > 2u) { out[base + 2u] = a21[j] + b; }
      if (left > 3u) { out[base + 3u] = a31[j] + b; }
      if (left > 4u) { out[base + 4u] = a41[j] + b; }
      if (left > 5u) { out[base + 5u] = a51[j] + b; }
      if (left > 6u) { out[base + 6u] = a61[j] + b; }
      if (left > 7u) { out[base + 7u] = a71[j] + b; }
    }
  }
  for (var j = 0u; j < 4u; j++) {   // channels co0 + 8 + j: components of a<p>2
    let c = co0 + 8u + j;
    if (c < u.Cout) {
      let b = select(0.0, bias[c], u.has_bias != 0u);
      let base = (n * u.Cout + c) * s + pos;
      out[base] = a02[j] + b;
      if (left > 1u) { out[base + 1u] = a12[j] + b; }
      if (left > 2u) { out[base + 2u] = a22[j] + b; }
      if (left > 3u) { out[base + 3u] = a32[j] + b; }
      if (left > 4u) { out[base + 4u] = a42[j] + b; }
      if (left > 5u) { out[base + 5u] = a52[j] + b; }
      if (left > 6u) { out[base + 6u] = a62[j] + b; }
      if (left > 7u) { out[base + 7u] = a72[j] + b; }
    }
  }
  for (var j = 0u; j < 4u; j++) {   // channels co0 + 12 + j: components of a<p>3
    let c = co0 + 12u + j;
    if (c < u.Cout) {
      let b = select(0.0, bias[c], u.has_bias != 0u);
      let base = (n * u.Cout + c) * s + pos;
      out[base] = a03[j] + b;
      if (left > 1u) { out[base + 1u] = a13[j] + b; }
      if (left > 2u) { out[base + 2u] = a23[j] + b; }
      if (left > 3u) { out[base + 3u] = a33[j] + b; }
      if (left > 4u) { out[base + 4u] = a43[j] + b; }
      if (left > 5u) { out[base + 5u] = a53[j] + b; }
      if (left > 6u) { out[base + 6u] = a63[j] + b; }
      if (left > 7u) { out[base + 7u] = a73[j] + b; }
    }
  }
}

// ------------------------------------------------------------------ backward: dx

// gy at (row, ow), zero outside [0, OW).
fn gy_row(row: u32, ow: i32) -> f32 {
  let ok = ow >= 0 && ow < i32(u.OW);
  return select(0.0, gy[row + u32(select(0, ow, ok))], ok);
}

// One thread: input channels 16·cb..16·cb+15 × eight input positions of one phase along W,
// iw = rw + s·(m0 + t), t = 0..7. Positions of one phase receive from the same taps
// kw ≡ rw + p (mod s), and from output positions (rw + p − kw)/s + m0 + t: consecutive, so the
// window of gy values slides by one from tap to tap, for every stride.
@compute @workgroup_size(WG)
fn backward_x(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.blocks) { return; }
  let phases = min(u.SW, u.W);
  let perPhase = (u.W + u.SW - 1u) / u.SW;
  let mBlocks = (perPhase + 7u) / 8u;
  let cBlocks = u.cpad / 16u;
  var r = t;
  let m0 = (r % mBlocks) * 8u; r /= mBlocks;
  let rw = r % phases; r /= phases;
  let ih = r % u.H; r /= u.H;
  let id = r % u.D; r /= u.D;
  let cb = r % cBlocks;
  let n = r / cBlocks;

  var a00 = vec4f(0.0); var a01 = vec4f(0.0); var a02 = vec4f(0.0); var a03 = vec4f(0.0);
  var a10 = vec4f(0.0); var a11 = vec4f(0.0); var a12 = vec4f(0.0); var a13 = vec4f(0.0);
  var a20 = vec4f(0.0); var a21 = vec4f(0.0); var a22 = vec4f(0.0); var a23 = vec4f(0.0);
  var a30 = vec4f(0.0); var a31 = vec4f(0.0); var a32 = vec4f(0.0); var a33 = vec4f(0.0);
  var a40 = vec4f(0.0); var a41 = vec4f(0.0); var a42 = vec4f(0.0); var a43 = vec4f(0.0);
  var a50 = vec4f(0.0); var a51 = vec4f(0.0); var a52 = vec4f(0.0); var a53 = vec4f(0.0);
  var a60 = vec4f(0.0); var a61 = vec4f(0.0); var a62 = vec4f(0.0); var a63 = vec4f(0.0);
  var a70 = vec4f(0.0); var a71 = vec4f(0.0); var a72 = vec4f(0.0); var a73 = vec4f(0.0);

  let cv = u.cpad / 4u;
  let kw0 = (rw + u.PW) % u.SW;
  let jd = id + u.PD;   // od·s + kd = id + p
  let jh = ih + u.PH;
  let jw = rw + u.PW;
  if (kw0 < u.KW) {
    for (var co = 0u; co < u.Cout; co++) {
      let gc = (n * u.Cout + co) * u.OD;
      let wc = co * u.KD;
      for (var kd = jd % u.SD; kd < u.KD && kd <= jd; kd += u.SD) {
        let od = (jd - kd) / u.SD;
        if (od >= u.OD) { continue; }
        for (var kh = jh % u.SH; kh < u.KH && kh <= jh; kh += u.SH) {
          let oh = (jh - kh) / u.SH;
          if (oh >= u.OH) { continue; }
          let row = ((gc + od) * u.OH + oh) * u.OW;
          let wrow = ((wc + kd) * u.KH + kh) * u.KW;
          var ow = i32((jw - kw0) / u.SW + m0);
          var g0 = gy_row(row, ow);
          var g1 = gy_row(row, ow + 1);
          var g2 = gy_row(row, ow + 2);
          var g3 = gy_row(row, ow + 3);
          var g4 = gy_row(row, ow + 4);
          var g5 = gy_row(row, ow + 5);
          var g6 = gy_row(row, ow + 6);
          var g7 = gy_row(row, ow + 7);
          for (var kw = kw0; kw < u.KW; kw += u.SW) {
            let wi = (wrow + kw) * cv + 4u * cb;
            let w0 = wv[wi]; let w1 = wv[wi + 1u]; let w2 = wv[wi + 2u]; let w3 = wv[wi + 3u];
            a00 = fma(vec4f(g0), w0, a00); a01 = fma(vec4f(g0), w1, a01); a02 = fma(vec4f(g0), w2, a02); a03 = fma(vec4f(g0), w3, a03);
            a10 = fma(vec4f(g1), w0, a10); a11 = fma(vec4f(g1), w1, a11); a12 = fma(vec4f(g1), w2, a12); a13 = fma(vec4f(g1), w3, a13);
            a20 = fma(vec4f(g2), w0, a20); a21 = fma(vec4f(g2), w1, a21); a22 = fma(vec4f(g2), w2, a22); a23 = fma(vec4f(g2), w3, a23);
            a30 = fma(vec4f(g3), w0, a30); a31 = fma(vec4f(g3), w1, a31); a32 = fma(vec4f(g3), w2, a32); a33 = fma(vec4f(g3), w3, a33);
            a40 = fma(vec4f(g4), w0, a40); a41 = fma(vec4f(g4), w1, a41); a42 = fma(vec4f(g4), w2, a42); a43 = fma(vec4f(g4), w3, a43);
            a50 = fma(vec4f(g5), w0, a50); a51 = fma(vec4f(g5), w1, a51); a52 = fma(vec4f(g5), w2, a52); a53 = fma(vec4f(g5), w3, a53);
            a60 = fma(vec4f(g6), w0, a60); a61 = fma(vec4f(g6), w1, a61); a62 = fma(vec4f(g6), w2, a62); a63 = fma(vec4f(g6), w3, a63);
            a70 = fma(vec4f(g7), w0, a70); a71 = fma(vec4f(g7), w1, a71); a72 = fma(vec4f(g7), w2, a72); a73 = fma(vec4f(g7), w3, a73);
            g7 = g6; g6 = g5; g5 = g4; g4 = g3; g3 = g2; g2 = g1; g1 = g0;
            ow -= 1;
            g0 = gy_row(row, ow);
          }
        }
      }
    }
  }

  let s = u.D * u.H * u.W;
  let rowBase = (id * u.H + ih) * u.W;
  let ci0 = 16u * cb;
  let iw0 = rw + u.SW * m0;
  // Stored inline, as in forward.
  for (var j = 0u; j < 4u; j++) {   // channels ci0 + j: components of a<p>0
    let c = ci0 + j;
    if (c < u.Cin) {
      let base = (n * u.Cin + c) * s + rowBase + iw0;
      if (iw0 < u.W) { out[base] = a00[j]; }
      if (iw0 + 1u * u.SW < u.W) { out[base + 1u * u.SW] = a10[j]; }
      if (iw0 + 2u * u.SW < u.W) { out[base + 2u * u.SW] = a20[j]; }
      if (iw0 + 3u * u.SW < u.W) { out[base + 3u * u.SW] = a30[j]; }
      if (iw0 + 4u * u.SW < u.W) { out[base + 4u * u.SW] = a40[j]; }
      if (iw0 + 5u * u.SW < u.W) { out[base + 5u * u.SW] = a50[j]; }
      if (iw0 + 6u * u.SW < u.W) { out[base + 6u * u.SW] = a60[j]; }
      if (iw0 + 7u * u.SW < u.W) { out[base + 7u * u.SW] = a70[j]; }
    }
  }
  for (var j = 0u; j < 4u; j++) {   // channels ci0 + 4 + j: components of a<p>1
    let c = ci0 + 4u + j;
    if (c < u.Cin) {
      let base = (n * u.Cin + c) * s + rowBase + iw0;
      if (iw0 < u.W) { out[base] = a01[j]; }
      if (iw0 + 1u * u.SW < u.W) { out[base + 1u * u.SW] = a11[j]; }
      if (iw0 + 2u * u.SW < u.W) { out[base + 2u * u.SW] = a21[j]; }
      if (iw0 + 3u * u.SW < u.W) { out[base + 3u * u.SW] = a31[j]; }
      if (iw0 + 4u * u.SW < u.W) { out[base + 4u * u.SW] = a41[j]; }
      if (iw0 + 5u * u.SW < u.W) { out[base + 5u * u.SW] = a51[j]; }
      if (iw0 + 6u * u.SW < u.W) { out[base + 6u * u.SW] = a61[j]; }
      if (iw0 + 7u * u.SW < u.W) { out[base + 7u * u.SW] = a71[j]; }
    }
  }
  for (var j = 0u; j < 4u; j++) {   // channels ci0 + 8 + j: components of a<p>2
    let c = ci0 + 8u + j;
    if (c < u.Cin) {
      let base = (n * u.Cin + c) * s + rowBase + iw0;
      if (iw0 < u.W) { out[base] = a02[j]; }
      if (iw0 + 1u * u.SW < u.W) { out[base + 1u * u.SW] = a12[j]; }
      if (iw0 + 2u * u.SW < u.W) { out[base + 2u * u.SW] = a22[j]; }
      if (iw0 + 3u * u.SW < u.W) { out[base + 3u * u.SW] = a32[j]; }
      if (iw0 + 4u * u.SW < u.W) { out[base + 4u * u.SW] = a42[j]; }
      if (iw0 + 5u * u.SW < u.W) { out[base + 5u * u.SW] = a52[j]; }
      if (iw0 + 6u * u.SW < u.W) { out[base + 6u * u.SW] = a62[j]; }
      if (iw0 + 7u * u.SW < u.W) { out[base + 7u * u.SW] = a72[j]; }
    }
  }
  for (var j = 0u; j < 4u; j++) {   // channels ci0 + 12 + j: components of a<p>3
    let c = ci0 + 12u + j;
    if (c < u.Cin) {
      let base = (n * u.Cin + c) * s + rowBase + iw0;
      if (iw0 < u.W) { out[base] = a03[j]; }
      if (iw0 + 1u * u.SW < u.W) { out[base + 1u * u.SW] = a13[j]; }
      if (iw0 + 2u * u.SW < u.W) { out[base + 2u * u.SW] = a23[j]; }
      if (iw0 + 3u * u.SW < u.W) { out[base + 3u * u.SW] = a33[j]; }
      if (iw0 + 4u * u.SW < u.W) { out[base + 4u * u.SW] = a43[j]; }
      if (iw0 + 5u * u.SW < u.W) { out[base + 5u * u.SW] = a53[j]; }
      if (iw0 + 6u * u.SW < u.W) { out[base + 6u * u.SW] = a63[j]; }
      if (iw0 + 7u * u.SW < u.W) { out[base + 7u * u.SW] = a73[j]; }
    }
  }
}

// ------------------------------------------------------------------ backward: dw

// One thread: output channels 8·cb..+7 × input channels 8·ib..+7 of one tap k, summed over the
// (n, od, oh) rows of one chunk; chunk partial sums land in out[chunk][co][ci][k] and are added
// up afterwards. Along a row only ow with 0 ≤ ow·s − p + kw < W contribute: the loop visits
// just those, so it needs no masks.
@compute @workgroup_size(WG)
fn backward_w(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.blocks) { return; }
  let kv = kvol();
  let oBlocks = (u.Cout + 7u) / 8u;
  let iBlocks = (u.Cin + 7u) / 8u;
  var r = t;
  let k = r % kv; r /= kv;
  let ib = r % iBlocks; r /= iBlocks;
  let ob = r % oBlocks;
  let chunk = r / oBlocks;
  let kw = k % u.KW;
  let kh = (k / u.KW) % u.KH;
  let kd = k / (u.KW * u.KH);

  // c<j><h>: output channel 8·ob + j, input channels 8·ib + 4h .. +3.
  var c00 = vec4f(0.0); var c01 = vec4f(0.0);
  var c10 = vec4f(0.0); var c11 = vec4f(0.0);
  var c20 = vec4f(0.0); var c21 = vec4f(0.0);
  var c30 = vec4f(0.0); var c31 = vec4f(0.0);
  var c40 = vec4f(0.0); var c41 = vec4f(0.0);
  var c50 = vec4f(0.0); var c51 = vec4f(0.0);
  var c60 = vec4f(0.0); var c61 = vec4f(0.0);
  var c70 = vec4f(0.0); var c71 = vec4f(0.0);

  // Valid ow: 0 ≤ ow·s − p + kw < W.
  let shift = i32(kw) - i32(u.PW);
  let ow_lo = u32(max((-shift + i32(u.SW) - 1) / i32(u.SW), 0));
  let last = i32(u.W) - 1 - shift;   // ow·s ≤ last; none when last < 0 (truncating division would say one)
  let ow_hi = select(0u, min(u32(last) / u.SW + 1u, u.OW), last >= 0);
  let rows = u.N * u.OD * u.OH;
  let r_lo = chunk * u.chunk_rows;
  let r_hi = min(r_lo + u.chunk_rows, rows);
  let so = u.OD * u.OH * u.OW;     // gy channel stride
  let si = u.D * u.H * u.W;        // x channel stride
  let co0 = 8u * ob;
  let ci0 = 8u * ib;
  // Channel offsets, clamped to a real channel: the extra lanes compute sums never stored.
  let g1 = min(co0 + 1u, u.Cout - 1u) * so; let g2 = min(co0 + 2u, u.Cout - 1u) * so;
  let g3 = min(co0 + 3u, u.Cout - 1u) * so; let g4 = min(co0 + 4u, u.Cout - 1u) * so;
  let g5 = min(co0 + 5u, u.Cout - 1u) * so; let g6 = min(co0 + 6u, u.Cout - 1u) * so;
  let g7 = min(co0 + 7u, u.Cout - 1u) * so; let g0 = co0 * so;
  let x1 = min(ci0 + 1u, u.Cin - 1u) * si; let x2 = min(ci0 + 2u, u.Cin - 1u) * si;
  let x3 = min(ci0 + 3u, u.Cin - 1u) * si; let x4 = min(ci0 + 4u, u.Cin - 1u) * si;
  let x5 = min(ci0 + 5u, u.Cin - 1u) * si; let x6 = min(ci0 + 6u, u.Cin - 1u) * si;
  let x7 = min(ci0 + 7u, u.Cin - 1u) * si; let x0 = ci0 * si;

  for (var rr = r_lo; rr < r_hi; rr++) {
    let oh = rr % u.OH;
    let od = (rr / u.OH) % u.OD;
    let n = rr / (u.OH * u.OD);
    let id = i32(od * u.SD + kd) - i32(u.PD);
    let ih = i32(oh * u.SH + kh) - i32(u.PH);
    if (id < 0 || id >= i32(u.D) || ih < 0 || ih >= i32(u.H)) { continue; }
    let gb = n * u.Cout * so + (od * u.OH + oh) * u.OW;
    let xb = n * u.Cin * si + (u32(id) * u.H + u32(ih)) * u.W;
    for (var ow = ow_lo; ow < ow_hi; ow++) {
      let gi = gb + ow;
      let xi = xb + u32(i32(ow * u.SW) + shift);
      let xa = vec4f(x[xi + x0], x[xi + x1], x[xi + x2], x[xi + x3]);
      let xb4 = vec4f(x[xi + x4], x[xi + x5], x[xi + x6], x[xi + x7]);
      var g = vec4f(gy[gi + g0]);
      c00 = fma(g, xa, c00); c01 = fma(g, xb4, c01);
      g = vec4f(gy[gi + g1]);
      c10 = fma(g, xa, c10); c11 = fma(g, xb4, c11);
      g = vec4f(gy[gi + g2]);
      c20 = fma(g, xa, c20); c21 = fma(g, xb4, c21);
      g = vec4f(gy[gi + g3]);
      c30 = fma(g, xa, c30); c31 = fma(g, xb4, c31);
      g = vec4f(gy[gi + g4]);
      c40 = fma(g, xa, c40); c41 = fma(g, xb4, c41);
      g = vec4f(gy[gi + g5]);
      c50 = fma(g, xa, c50); c51 = fma(g, xb4, c51);
      g = vec4f(gy[gi + g6]);
      c60 = fma(g, xa, c60); c61 = fma(g, xb4, c61);
      g = vec4f(gy[gi + g7]);
      c70 = fma(g, xa, c70); c71 = fma(g, xb4, c71);
    }
  }

  // dw[co0 + j, ci0 + i, k] of this chunk, stored inline (see forward).
  let at = chunk * u.Cout * u.Cin * kv + (co0 * u.Cin + ci0) * kv + k;
  let co_step = u.Cin * kv;
  for (var i = 0u; i < 4u; i++) {
    if (ci0 + i < u.Cin) {
      let o = at + i * kv;
      out[o] = c00[i];
      if (co0 + 1u < u.Cout) { out[o + 1u * co_step] = c10[i]; }
      if (co0 + 2u < u.Cout) { out[o + 2u * co_step] = c20[i]; }
      if (co0 + 3u < u.Cout) { out[o + 3u * co_step] = c30[i]; }
      if (co0 + 4u < u.Cout) { out[o + 4u * co_step] = c40[i]; }
      if (co0 + 5u < u.Cout) { out[o + 5u * co_step] = c50[i]; }
      if (co0 + 6u < u.Cout) { out[o + 6u * co_step] = c60[i]; }
      if (co0 + 7u < u.Cout) { out[o + 7u * co_step] = c70[i]; }
    }
    if (ci0 + 4u + i < u.Cin) {
      let o = at + (4u + i) * kv;
      out[o] = c01[i];
      if (co0 + 1u < u.Cout) { out[o + 1u * co_step] = c11[i]; }
      if (co0 + 2u < u.Cout) { out[o + 2u * co_step] = c21[i]; }
      if (co0 + 3u < u.Cout) { out[o + 3u * co_step] = c31[i]; }
      if (co0 + 4u < u.Cout) { out[o + 4u * co_step] = c41[i]; }
      if (co0 + 5u < u.Cout) { out[o + 5u * co_step] = c51[i]; }
      if (co0 + 6u < u.Cout) { out[o + 6u * co_step] = c61[i]; }
      if (co0 + 7u < u.Cout) { out[o + 7u * co_step] = c71[i]; }
    }
  }
}

// ------------------------------------------------------------------ bias

// out[n, co, s] += b[co] (the patch-embedding path: the matmul leaves the bias out).
@compute @workgroup_size(WG)
fn add_bias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= u.blocks) { return; }
  let s = u.OD * u.OH * u.OW;
  out[i] += bias[(i / s) % u.Cout];
}

// ------------------------------------------------------------------ patches (kernel = stride, no padding)

// Non-overlapping patches are a permutation of x. With p = (pd, ph, pw) the patch and
// q = (ci, kd, kh, kw) the place in it:
//   cols[n, p, q] = x[n, ci, pd·KD + kd, ph·KH + kh, pw·KW + kw]      (TRANS: colsT[n, q, p])
// One thread copies one kernel row (KW values). DIR 0 gathers x into cols (im2col); DIR 1
// writes cols back into x's layout (col2im, the dx of the patch path; cells past the last whole
// patch are not written and are zeroed beforehand).
override DIR: u32 = 0;
override TRANS: bool = false;

@group(0) @binding(7) var<storage, read> src: array<f32>;

@compute @workgroup_size(WG)
fn patches(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.blocks) { return; }
  var r = t;
  let kh = r % u.KH; r /= u.KH;
  let kd = r % u.KD; r /= u.KD;
  let ci = r % u.Cin; r /= u.Cin;
  let P = u.OD * u.OH * u.OW;
  let p = r % P;
  let n = r / P;
  let pw = p % u.OW;
  let ph = (p / u.OW) % u.OH;
  let pd = p / (u.OW * u.OH);
  let xi = (((n * u.Cin + ci) * u.D + pd * u.KD + kd) * u.H + ph * u.KH + kh) * u.W + pw * u.KW;
  let Q = u.Cin * kvol();
  let q0 = ((ci * u.KD + kd) * u.KH + kh) * u.KW;
  // Offset of (n, p, q0) in cols, and the step from q to q + 1.
  let c0 = select((n * P + p) * Q + q0, (n * Q + q0) * P + p, TRANS);
  let step = select(1u, P, TRANS);
  for (var kw = 0u; kw < u.KW; kw++) {
    if (DIR == 0u) {
      out[c0 + kw * step] = src[xi + kw];
    } else {
      out[xi + kw] = src[c0 + kw * step];
    }
  }
}

// The same copy a vec4 at a time, where every run of 4 taps along W is a vec4 of x and of cols
// (KW and W multiples of 4; with TRANS also OW, so that 4 patches along W are a vec4 of colsT).
// On a software adapter each storage access costs about as much as a vec4 one (PLATFORM.md), so
// this moves 4 floats an access instead of 1. Without TRANS a thread copies one run of 4 taps of
// one patch (DIR 0 or 1). With TRANS (DIR 0 only: the engine never writes colsT back) a thread
// moves a 4×4 block, 4 patches along W × 4 taps, and transposes it in registers:
//   x's 4 vec4s  a_i = x[.., (pw + i)·KW + kw .. + 3]   (patch pw + i, taps kw..kw+3)
//   colsT's vec4s    colsT[n, q + k, p .. p + 3] = (a_0[k], a_1[k], a_2[k], a_3[k])
@group(0) @binding(7) var<storage, read> src4: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4f>;

@compute @workgroup_size(WG)
fn patches4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.blocks) { return; }
  let KW4 = u.KW / 4u;
  let PW = select(u.OW, u.OW / 4u, TRANS);   // threads along W: patches, or blocks of 4 of them
  var r = t;
  let j = r % KW4; r /= KW4;
  let kh = r % u.KH; r /= u.KH;
  let kd = r % u.KD; r /= u.KD;
  let ci = r % u.Cin; r /= u.Cin;
  let pw = select(1u, 4u, TRANS) * (r % PW); r /= PW;
  let ph = r % u.OH; r /= u.OH;
  let pd = r % u.OD;
  let n = r / u.OD;
  let P = u.OD * u.OH * u.OW;
  let p = (pd * u.OH + ph) * u.OW + pw;
  let Q = u.Cin * kvol();
  let q = ((ci * u.KD + kd) * u.KH + kh) * u.KW + 4u * j;
  // Offsets in vec4s.
  let xi = ((((n * u.Cin + ci) * u.D + pd * u.KD + kd) * u.H + ph * u.KH + kh) * u.W + pw * u.KW) / 4u + j;
  if (!TRANS) {
    let c = ((n * P + p) * Q + q) / 4u;
    if (DIR == 0u) {
      out4[c] = src4[xi];
    } else {
      out4[xi] = src4[c];
    }
    return;
  }
  let a0 = src4[xi];
  let a1 = src4[xi + KW4];
  let a2 = src4[xi + 2u * KW4];
  let a3 = src4[xi + 3u * KW4];
  let c = ((n * Q + q) * P + p) / 4u;
  let row = P / 4u;   // from tap q to q + 1 in colsT
  out4[c] = vec4f(a0.x, a1.x, a2.x, a3.x);
  out4[c + row] = vec4f(a0.y, a1.y, a2.y, a3.y);
  out4[c + 2u * row] = vec4f(a0.z, a1.z, a2.z, a3.z);
  out4[c + 3u * row] = vec4f(a0.w, a1.w, a2.w, a3.w);
}
