// 3-D average and max pooling (PyTorch F.avg_pool3d with count_include_pad=True, F.max_pool3d),
// forward and backward, and the four cell statistics in one pass (cell_stats). Each (n, c) volume
// is pooled on its own; o, k, s, p are per axis.
//
//   avg:  y[o] = (1/|k|) Σ_{k} x[o·s − p + k]        (padding cells count as zeros)
//         dx[i] = (1/|k|) Σ_{o : window o holds i} gy[o]
//   max:  y[o] = max over the window's real cells;  arg[o] = the first cell reaching it in
//         row-major order (PyTorch's scan; a NaN takes over as it does there)
//         dx[i] = Σ_{o : arg[o] = i} gy[o]
//
// Backward gathers: one thread per input cell visits just the windows that hold it, the o with
// o·s − p ≤ i ≤ o·s − p + k − 1, so no atomics are needed.

struct Params {
  NC: u32, D: u32, H: u32, W: u32,
  OD: u32, OH: u32, OW: u32, n: u32,   // n: threads of the dispatch
  KD: u32, KH: u32, KW: u32, C: u32,  // C: channels (cell_stats' output layout)
  SD: u32, SH: u32, SW: u32, _p1: u32,
  PD: u32, PH: u32, PW: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> arg_in: array<i32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> arg: array<i32>;

override WG: u32 = 64;

fn linear(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// The window of output cell t: its first input coordinate per axis (may lie in the padding),
// and its volume (n, c).
struct Window { nc: u32, d0: i32, h0: i32, w0: i32 }

fn window(t: u32) -> Window {
  let ow = t % u.OW;
  let oh = (t / u.OW) % u.OH;
  let od = (t / (u.OW * u.OH)) % u.OD;
  let nc = t / (u.OW * u.OH * u.OD);
  return Window(nc, i32(od * u.SD) - i32(u.PD), i32(oh * u.SH) - i32(u.PH), i32(ow * u.SW) - i32(u.PW));
}

// Whether v is a NaN, by its bits: WGSL lets an implementation assume no float is a NaN, and
// SwiftShader folds `v != v` to false, so the float comparison cannot be used.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// The part of a window inside the input along one axis: [max(a, 0), min(a + k, n)).
fn lo(a: i32) -> i32 { return max(a, 0); }
fn hi(a: i32, k: u32, n: u32) -> i32 { return min(a + i32(k), i32(n)); }

@compute @workgroup_size(WG)
fn avg_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n) { return; }
  let w = window(t);
  let base = w.nc * u.D * u.H * u.W;
  var acc = 0.0;
  for (var d = lo(w.d0); d < hi(w.d0, u.KD, u.D); d++) {
    for (var h = lo(w.h0); h < hi(w.h0, u.KH, u.H); h++) {
      let row = base + (u32(d) * u.H + u32(h)) * u.W;
      for (var c = lo(w.w0); c < hi(w.w0, u.KW, u.W); c++) {
        acc += x[row + u32(c)];
      }
    }
  }
  y[t] = acc / f32(u.KD * u.KH * u.KW);
}

@compute @workgroup_size(WG)
fn max_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n) { return; }
  let w = window(t);
  let base = w.nc * u.D * u.H * u.W;
  var best = 0.0;
  var at = -1;
  for (var d = lo(w.d0); d < hi(w.d0, u.KD, u.D); d++) {
    for (var h = lo(w.h0); h < hi(w.h0, u.KH, u.H); h++) {
      let row = (u32(d) * u.H + u32(h)) * u.W;
      for (var c = lo(w.w0); c < hi(w.w0, u.KW, u.W); c++) {
        let v = x[base + row + u32(c)];
        // Strictly greater keeps the first of equal maxima; a NaN takes over, and so does each
        // later NaN, as in PyTorch's scan (`val > maxval || isnan(val)`).
        if (at < 0 || is_nan(v) || (v > best && !is_nan(best))) {
          best = v;
          at = i32(row + u32(c));
        }
      }
    }
  }
  y[t] = best;
  arg[t] = at;
}

// The output cells whose window holds input coordinate i along one axis: [first, last).
fn first_out(i: u32, k: u32, s: u32, p: u32) -> u32 {
  // o·s − p + k − 1 ≥ i  ⇔  o ≥ (i + p − k + 1)/s, rounded up.
  let a = i32(i + p) - i32(k) + 1;
  return select(0u, (u32(a) + s - 1u) / s, a > 0);
}
fn end_out(i: u32, s: u32, p: u32, o: u32) -> u32 {
  // o·s − p ≤ i  ⇔  o ≤ (i + p)/s.
  return min((i + p) / s + 1u, o);
}

// One thread per input cell. MAX 0: average pooling; MAX 1: max pooling through arg.
override MAX: bool = false;

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n) { return; }
  let iw = t % u.W;
  let ih = (t / u.W) % u.H;
  let id = (t / (u.W * u.H)) % u.D;
  let nc = t / (u.W * u.H * u.D);
  let me = i32((id * u.H + ih) * u.W + iw);
  let base = nc * u.OD * u.OH * u.OW;
  var acc = 0.0;
  for (var od = first_out(id, u.KD, u.SD, u.PD); od < end_out(id, u.SD, u.PD, u.OD); od++) {
    for (var oh = first_out(ih, u.KH, u.SH, u.PH); oh < end_out(ih, u.SH, u.PH, u.OH); oh++) {
      let row = base + (od * u.OH + oh) * u.OW;
      for (var ow = first_out(iw, u.KW, u.SW, u.PW); ow < end_out(iw, u.SW, u.PW, u.OW); ow++) {
        if (MAX) {
          if (arg_in[row + ow] == me) { acc += gy[row + ow]; }
        } else {
          acc += gy[row + ow];
        }
      }
    }
  }
  y[t] = select(acc / f32(u.KD * u.KH * u.KW), acc, MAX);
}

// Cell statistics, forward only (their input is data, so no gradient): per window its mean,
// maximum, minimum and spread √max(E[x²] − E[x]², 0), the four pools the CT encoder concatenates
// (torch.cat([avg, max, −max(−x), √relu(avg(x²) − avg²)], 1)), read in one pass instead of six
// passes over the volume and two written copies of it. y [N, 4·C, OD, OH, OW]: statistic s of
// channel c is channel s·C + c. A NaN takes over its cell's maximum and minimum (and so its mean
// and spread), as in max_forward.
// The running statistics of one cell. `take` keeps max_forward's NaN rule: a NaN replaces the
// maximum and minimum and nothing replaces a NaN.
struct Cell { sum: f32, sq: f32, hi: f32, lo: f32, first: bool }

fn take(a: Cell, v: f32) -> Cell {
  var b = a;
  b.sum += v;
  b.sq += v * v;
  if (a.first || is_nan(v) || (v > a.hi && !is_nan(a.hi))) { b.hi = v; }
  if (a.first || is_nan(v) || (v < a.lo && !is_nan(a.lo))) { b.lo = v; }
  b.first = false;
  return b;
}

// Writes cell t's four statistics into y's [N, 4·C, cells] layout.
fn store_cell(t: u32, nc: u32, a: Cell) {
  let k = f32(u.KD * u.KH * u.KW);
  let mean = a.sum / k;
  let cells = u.OD * u.OH * u.OW;
  let n = nc / u.C;
  let ch = nc % u.C;
  let o = (n * 4u * u.C + ch) * cells + t % cells;
  let step = u.C * cells;
  y[o] = mean;
  y[o + step] = a.hi;
  y[o + 2u * step] = a.lo;
  y[o + 3u * step] = sqrt(max(a.sq / k - mean * mean, 0.0));
}

@compute @workgroup_size(WG)
fn cell_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n) { return; }
  let w = window(t);
  let base = w.nc * u.D * u.H * u.W;
  var a = Cell(0.0, 0.0, 0.0, 0.0, true);
  for (var d = lo(w.d0); d < hi(w.d0, u.KD, u.D); d++) {
    for (var h = lo(w.h0); h < hi(w.h0, u.KH, u.H); h++) {
      let row = base + (u32(d) * u.H + u32(h)) * u.W;
      for (var c = lo(w.w0); c < hi(w.w0, u.KW, u.W); c++) {
        a = take(a, x[row + u32(c)]);
      }
    }
  }
  store_cell(t, w.nc, a);
}

// The same, reading 4 voxels of a row as one vec4 where every cell row is whole vec4s (no
// padding; KW, SW and W multiples of 4, so each cell starts on a vec4): a quarter of the loads,
// which on a software adapter cost far more than the arithmetic (PLATFORM.md), and no branch per
// voxel. Four lanes of sums, maxima and minima run side by side and meet at the end; a NaN is
// kept aside (nan4) and, as in take(), becomes the cell's maximum and minimum (WGSL's max and
// min leave NaNs to the implementation, so they are not trusted with one).
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;

@compute @workgroup_size(WG)
fn cell_stats4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear(gid, nwg);
  if (t >= u.n) { return; }
  let w = window(t);
  let base = w.nc * u.D * u.H * u.W;
  let first = x4[(base + (u32(w.d0) * u.H + u32(w.h0)) * u.W + u32(w.w0)) / 4u];
  var sum4 = vec4f(0.0);
  var sq4 = vec4f(0.0);
  var hi4 = first;
  var lo4 = first;
  var nan4 = vec4f(0.0);
  var has_nan = vec4<bool>(false);
  for (var d = w.d0; d < w.d0 + i32(u.KD); d++) {
    for (var h = w.h0; h < w.h0 + i32(u.KH); h++) {
      let row = (base + (u32(d) * u.H + u32(h)) * u.W + u32(w.w0)) / 4u;
      for (var c = 0u; c < u.KW / 4u; c++) {
        let v = x4[row + c];
        sum4 += v;
        sq4 += v * v;
        hi4 = max(hi4, v);
        lo4 = min(lo4, v);
        let isnan = (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
        nan4 = select(nan4, v, isnan);
        has_nan = has_nan | isnan;
      }
    }
  }
  var a = Cell(sum4.x + sum4.y + sum4.z + sum4.w, sq4.x + sq4.y + sq4.z + sq4.w,
               max(max(hi4.x, hi4.y), max(hi4.z, hi4.w)), min(min(lo4.x, lo4.y), min(lo4.z, lo4.w)), false);
  if (any(has_nan)) {
    let v = select(select(select(nan4.w, nan4.z, has_nan.z), nan4.y, has_nan.y), nan4.x, has_nan.x);
    a.hi = v;
    a.lo = v;
  }
  store_cell(t, w.nc, a);
}
