// The adapter's ceiling, measured rather than assumed (bench/peak.ts):
//   fma_peak  independent fma() chains held in registers, no memory traffic but one store per
//             thread: the arithmetic throughput any kernel could at best reach;
//   copy      one vec4 load and one vec4 store per thread: the storage-buffer bandwidth a kernel
//             sees (on SwiftShader far below copyBufferToBuffer's, PLATFORM.md).
// The workgroup size is an override the launcher sets from the device's limits.
//
// fma_peak is a template: bench/peak.ts fills in the chains' type (f32 or vec4f), their
// declarations (a0, a1, … from x), one unrolled loop trip (`aK = fma(aK, m, c);` for every
// chain, repeated) and their sum, at the markers that start with a dollar sign. The best filling depends on the adapter: on
// SwiftShader a vec4 holds four SIMD registers of four invocations each, so too many vec4 chains
// spill, and a loop trip costs about as much as a dozen FMAs, so trips must be long.

struct Params {
  iters: u32,   // fma_peak: loop trips
  n: u32,       // copy: vec4s to copy
  seed: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<$T>;
@group(0) @binding(2) var<storage, read> src: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4f>;

override WG: u32 = 64;

fn flat(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn fma_peak(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  let x = f32(i & 1023u) * 1e-6 + params.seed;
  $DECL
  let m = $T(0.999999);
  let c = $T(1e-6);
  for (var k = 0u; k < params.iters; k++) {
    $BODY
  }
  // One store keeps every chain alive.
  out[i] = $SUM;
}

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i < params.n) {
    dst[i] = src[i];
  }
}
