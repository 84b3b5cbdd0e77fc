// AdamW over a parameter slab, one fused pass, exactly as PyTorch's torch.optim.AdamW:
//
//   g ← g·c                       c = min(1, maxNorm/(‖g‖ + 1e-6)) when clipping (clip_grad_norm_)
//   p ← p·(1 − lr·wd)             decoupled weight decay, elements [0, decay_end) only
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   p ← p − (lr/(1 − β1ᵗ))·m / (√v/√(1 − β2ᵗ) + eps)
//
// The global norm comes from a reduction recorded just before (Σg² in `sumsq`), read here on the
// GPU, so clipping needs no readback; thread 0 also publishes ‖g‖ for whoever wants to log it.
// The slabs' lengths are multiples of 4 (ParamStore aligns every parameter), so the kernel works
// in vec4s, PER of them per thread, WG apart (neighbouring threads, neighbouring addresses).

struct Params {
  n4: u32,           // vec4s in the slab
  decay_end: u32,    // elements [0, decay_end) take weight decay
  clip: u32,         // 1: clip to max_norm
  _pad: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  decay: f32,        // 1 − lr·wd
  step_size: f32,    // lr/(1 − β1ᵗ)
  bc2_sqrt: f32,     // √(1 − β2ᵗ)
  eps: f32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> p: array<vec4f>;
@group(0) @binding(2) var<storage, read> g: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(5) var<storage, read> sumsq: array<f32>;        // [1]: Σ g² over the slab
@group(0) @binding(6) var<storage, read_write> norm_out: array<f32>; // [1]: ‖g‖

override WG: u32 = 64;
override PER: u32 = 1;   // vec4s per thread, WG apart

@compute @workgroup_size(WG)
fn update(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  var c = 1.0;
  if (u.clip == 1u) {
    let norm = sqrt(sumsq[0]);
    if (wid.x + wid.y == 0u && lid == 0u) { norm_out[0] = norm; }
    c = min(1.0, u.max_norm / (norm + 1e-6));
  }
  for (var k = 0u; k < PER; k++) {
    let i = ((wid.x + wid.y * nwg.x) * PER + k) * WG + lid;
    if (i >= u.n4) { return; }
    let gv = g[i] * c;
    let idx = vec4u(4u * i) + vec4u(0u, 1u, 2u, 3u);
    let pd = p[i] * select(vec4f(1.0), vec4f(u.decay), idx < vec4u(u.decay_end));
    let mv = m[i] * u.beta1 + gv * u.one_minus_beta1;
    let vv = v[i] * u.beta2 + gv * gv * u.one_minus_beta2;
    m[i] = mv;
    v[i] = vv;
    p[i] = pd - u.step_size * mv / (sqrt(vv) / u.bc2_sqrt + u.eps);
  }
}
