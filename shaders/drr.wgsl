// Digitally reconstructed radiographs: parallel line integrals of X-ray attenuation through a CT
// volume [B, D, H, W] (x fastest) from front to back (along y, anterior–posterior), one thread per
// output pixel.
//
//   μ(HU) = μ_water · (1 + HU/1000)            for HU ≤ 0 (air 0, water μ_water)
//         = μ_water · (1 + bone · HU/1000)     for HU > 0 (bone attenuates more at diagnostic energies)
//   L     = Σ_y μ(HU[z, y, x]) · Δy            (mm · 1/mm: optical depth)
//   I     = exp(−L)                             (transmitted fraction)
//   pixel = 1 − exp(−gain · max(L − L₀, 0))      (the radiograph: bright where much is absorbed; L₀, the
//                                                 least depth through a chest wall, sets the darkest lung)
//
// The image is written as a radiograph is viewed: row 0 at the head (z = D−1), column 0 at the
// patient's right (x = W−1), so the patient's right is on the viewer's left.

struct Params {
  dims: vec4u,     // W, H, D, B
  coef: vec4f,     // μ_water (1/mm), bone factor, Δy (mm), gain
  coef2: vec4f,    // L₀
  n: vec4u,        // pixels per image (D·W), total pixels (B·D·W), output 0 radiograph / 1 optical depth L
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> vol: array<f32>;
@group(0) @binding(2) var<storage, read_write> img: array<f32>;

override WG: u32 = 64;

fn mu(hu: f32) -> f32 {
  let s = hu / 1000.0;
  return u.coef.x * max(0.0, 1.0 + select(s, u.coef.y * s, hu > 0.0));
}

@compute @workgroup_size(WG)
fn project(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= u.n.y) { return; }
  let W = u.dims.x;
  let H = u.dims.y;
  let D = u.dims.z;
  let b = o / u.n.x;
  let p = o % u.n.x;
  let x = W - 1u - p % W;
  let z = D - 1u - p / W;
  var base = ((b * D + z) * H) * W + x;
  var l = 0.0;
  for (var y = 0u; y < H; y++) {
    l += mu(vol[base]);
    base += W;
  }
  l *= u.coef.z;
  img[o] = select(1.0 - exp(-u.coef.w * max(l - u.coef2.x, 0.0)), l, u.n.z == 1u);
}
