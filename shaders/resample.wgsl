// The data path's resampling: trilinear interpolation of a volume [D, H, W] (x fastest) onto
// another grid, with an optional HU window fused in; and the window alone.
//
// Output voxel (i, j, k) samples the input at the continuous index
//   c = origin + (idx + t) · step          (per axis, x y z = W H D)
// where t runs over S³ sub-voxel offsets (s + ½)/S − ½ (S = 1: the voxel centre, plain trilinear;
// S > 1 averages S³ trilinear samples over the output voxel's footprint, a box prefilter that
// keeps a strong downsample from aliasing). Input voxel centres sit at integer indices. Outside
// the input a sample reads `pad` (border 0) or the nearest edge voxel (border 1); each of the 8
// corners is tested alone, so a sample half a voxel outside blends edge and pad.
// A 2-D image is the case D = 1 (index z = 0 exactly, so only one plane carries weight).

struct Params {
  in_dims: vec4u,    // W, H, D of the input; w: border mode (0 pad, 1 clamp to edge)
  out_dims: vec4u,   // W, H, D of the output; w: W·H·D
  origin: vec4f,     // input index of output voxel (0,0,0)'s centre, per axis; w: pad value
  step: vec4f,       // input index units per output voxel, per axis; w: 1 to apply the window
  window: vec4f,     // lo, 1 / (hi − lo)
  offs: vec4u,       // element offsets: x: input, y: output
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;
override S: u32 = 1;   // sub-samples per axis

fn fetch(i: i32, j: i32, k: i32) -> f32 {
  // Branch-free: every lane reads a clamped index, then picks the pad value where it fell outside.
  let n = vec3i(u.in_dims.xyz);
  let c = vec3i(i, j, k);
  let cc = clamp(c, vec3i(0), n - 1);
  let v = x[u.offs.x + u32(cc.x) + u.in_dims.x * (u32(cc.y) + u.in_dims.y * u32(cc.z))];
  return select(select(u.origin.w, v, u.in_dims.w != 0u), v, all(c == cc));
}

fn trilinear(c: vec3f) -> f32 {
  let f0 = floor(c);
  let f = c - f0;
  let i = vec3i(f0);
  let c00 = mix(fetch(i.x, i.y, i.z), fetch(i.x + 1, i.y, i.z), f.x);
  let c10 = mix(fetch(i.x, i.y + 1, i.z), fetch(i.x + 1, i.y + 1, i.z), f.x);
  let c01 = mix(fetch(i.x, i.y, i.z + 1), fetch(i.x + 1, i.y, i.z + 1), f.x);
  let c11 = mix(fetch(i.x, i.y + 1, i.z + 1), fetch(i.x + 1, i.y + 1, i.z + 1), f.x);
  return mix(mix(c00, c10, f.y), mix(c01, c11, f.y), f.z);
}

fn apply_window(v: f32) -> f32 {
  return clamp((v - u.window.x) * u.window.y, 0.0, 1.0);
}

@compute @workgroup_size(WG)
fn resample(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= u.out_dims.w) { return; }
  let W = u.out_dims.x;
  let H = u.out_dims.y;
  let idx = vec3f(f32(o % W), f32((o / W) % H), f32(o / (W * H)));
  var acc = 0.0;
  for (var sz = 0u; sz < S; sz++) {
    for (var sy = 0u; sy < S; sy++) {
      for (var sx = 0u; sx < S; sx++) {
        let t = (vec3f(f32(sx), f32(sy), f32(sz)) + 0.5) / f32(S) - 0.5;
        acc += trilinear(u.origin.xyz + (idx + t) * u.step.xyz);
      }
    }
  }
  var v = acc / f32(S * S * S);
  if (u.step.w != 0.0) { v = apply_window(v); }
  y[u.offs.y + o] = v;
}

// y = clamp((x − lo) / (hi − lo), 0, 1) elementwise over out_dims.w elements.
@compute @workgroup_size(WG)
fn window(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= u.out_dims.w) { return; }
  y[u.offs.y + o] = apply_window(x[u.offs.x + o]);
}
