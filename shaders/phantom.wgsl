// The procedural chest CT: one thread per voxel evaluates the chest's implicit shapes at the
// voxel centre and writes Hounsfield units.
//
// The shader is four files concatenated by models/data/phantom.ts after a generated header of slot
// constants (models/data/phantom-layout.ts): this one (bindings, entry, helpers),
// phantom-anatomy.wgsl (body wall, bones, lungs, heart, vessels, abdomen) and
// phantom-findings.wgsl (region-wide findings, the primitive list, pleural fluid).
// models/data/phantom-ref.ts is the same voxel function in TypeScript, line for line.
//
// Shapes are signed distance functions (negative inside, in mm). A shape covers a voxel with
// occupancy ramp(d) = clamp(½ − d/h, 0, 1), h the voxel size: a linear partial-volume edge one
// voxel wide, so the image is antialiased at any resolution and small structures fade in
// proportion to the volume they fill, as on a real scanner. Painting is back to front:
// hu = mix(hu, tissue, occupancy).

struct Params {
  dims: vec4u,      // W, H, D, W·H·D
  spacing: vec4f,   // x, y, z voxel size (mm), h (the ramp width)
  offs: vec4u,      // primitive block offset (vec4s), brick table offset (u32s), output offset, patient seed
  bricks: vec4u,    // bricks along x, y, z; primitive count
  tiles: vec4u,     // this dispatch's tile list (offset into `bricks`, count), tiles along x, along y
  slots: array<vec4f, NUM_SLOTS>,  // the anatomy and region-finding slots (phantom-layout.ts)
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> prm: array<vec4f>;   // the primitives, PRIM_VEC4 vec4s each
@group(0) @binding(2) var<storage, read> bricks: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// Specialisation of a dispatch to a class of 4³ tiles, decided in TypeScript from the anatomy
// (models/data/phantom.ts, classifyTiles): MODE 0 tiles lie wholly outside the body, MODE 1 tiles
// wholly outside the thoracic cavity, MODE 2 the rest; PRIMS 0: no primitive reaches the tile,
// 1: only vessels and airways, 2: general shapes too. Each class gets its own pipeline with the
// code it cannot need removed: SwiftShader runs the straight-line code of branches no lane takes
// (under an empty lane mask) and every loop body at least once, so on a software adapter a
// shader costs what it contains, not what it executes. The image is the same bit for bit.
override MODE: u32 = 2u;
override PRIMS: u32 = 2u;
const TILE: u32 = 4u;

const AIR_HU: f32 = -1000.0;

fn slot(i: u32) -> vec4f { return u.slots[i]; }
fn prim(k: u32, j: u32) -> vec4f { return prm[u.offs.x + k * PRIM_VEC4 + j]; }

fn ramp(d: f32) -> f32 { return clamp(0.5 - d / u.spacing.w, 0.0, 1.0); }

// An integer hash (murmur3's finaliser over a mix of the coordinates): the same bits in the
// TypeScript reference, so noise agrees exactly.
fn hash(x: i32, y: i32, z: i32, s: u32) -> u32 {
  var h = (bitcast<u32>(x) * 0x8da6b343u) ^ (bitcast<u32>(y) * 0xd8163841u) ^ (bitcast<u32>(z) * 0xcb1ab31fu) ^ s;
  h = (h ^ (h >> 16u)) * 0x7feb352du;
  h = (h ^ (h >> 15u)) * 0x846ca68bu;
  return h ^ (h >> 16u);
}

fn hashf(x: i32, y: i32, z: i32, s: u32) -> f32 { return f32(hash(x, y, z, s) >> 8u) / 16777216.0; }

// Value noise in [0, 1]: hashed lattice values, smoothstep-weighted trilinear blend (C¹, so
// thresholds on it move smoothly and the f32 shader and f64 reference agree).
fn vnoise(p: vec3f, s: u32) -> f32 {
  let fl = floor(p);
  let i = vec3i(fl);
  let f = p - fl;
  let w = f * f * (3.0 - 2.0 * f);
  let x00 = mix(hashf(i.x, i.y, i.z, s), hashf(i.x + 1, i.y, i.z, s), w.x);
  let x10 = mix(hashf(i.x, i.y + 1, i.z, s), hashf(i.x + 1, i.y + 1, i.z, s), w.x);
  let x01 = mix(hashf(i.x, i.y, i.z + 1, s), hashf(i.x + 1, i.y, i.z + 1, s), w.x);
  let x11 = mix(hashf(i.x, i.y + 1, i.z + 1, s), hashf(i.x + 1, i.y + 1, i.z + 1, s), w.x);
  return mix(mix(x00, x10, w.y), mix(x01, x11, w.y), w.z);
}

// Distance (approximate, exact on the curve) to an ellipse with semi-axes r, centred at 0.
fn sd_ellipse(p: vec2f, r: vec2f) -> f32 {
  let k0 = length(p / r);
  let k1 = max(length(p / (r * r)), 1e-6);
  return k0 * (k0 - 1.0) / k1;
}

fn sd_ellipsoid(p: vec3f, r: vec3f) -> f32 {
  let k0 = length(p / r);
  let k1 = max(length(p / (r * r)), 1e-6);
  return k0 * (k0 - 1.0) / k1;
}

// A tube from a (radius ra) to b (radius rb).
fn sd_tube(p: vec3f, a: vec3f, ra: f32, b: vec3f, rb: f32) -> f32 {
  let pa = p - a;
  let ba = b - a;
  let t = clamp(dot(pa, ba) / max(dot(ba, ba), 1e-6), 0.0, 1.0);
  return length(pa - ba * t) - mix(ra, rb, t);
}

// Rounded union: like min(a, b), with a fillet of size k.
fn smin(a: f32, b: f32, k: f32) -> f32 {
  let h = clamp(0.5 + 0.5 * (b - a) / k, 0.0, 1.0);
  return mix(b, a, h) - k * h * (1.0 - h);
}

// Image noise: a sum of three uniforms, centred and scaled to unit variance.
fn gauss(vi: vec3u, s: u32) -> f32 {
  let i = vec3i(vi);
  return (hashf(i.x, i.y, i.z, s) + hashf(i.x, i.y, i.z, s ^ 0x5bd1e995u) + hashf(i.x, i.y, i.z, s ^ 0x27d4eb2fu) - 1.5) * 2.0;
}

// Voxel centre → patient coordinates (mm; x right, y anterior, z superior; 0 at the grid centre),
// undoing the patient's pose (a shift and a turn about z).
fn patient_point(vi: vec3u) -> vec3f {
  let n = vec3f(u.dims.xyz);
  let p = (vec3f(vi) - 0.5 * (n - 1.0)) * u.spacing.xyz;
  let pose = slot(S_POSE);
  let d = p - pose.xyz;
  let c = cos(pose.w);
  let s = sin(pose.w);
  return vec3f(c * d.x + s * d.y, -s * d.x + c * d.y, d.z);
}

// One workgroup per tile of the dispatch's list, one invocation per voxel of the tile.
@compute @workgroup_size(64)
fn render(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= u.tiles.y) { return; }
  let tile = bricks[u.offs.y + u.tiles.x + t];
  let tz = tile / (u.tiles.z * u.tiles.w);
  let ty = (tile / u.tiles.z) % u.tiles.w;
  let tx = tile % u.tiles.z;
  let vi = vec3u(tx, ty, tz) * TILE + vec3u(li % TILE, (li / TILE) % TILE, li / (TILE * TILE));
  if (any(vi >= u.dims.xyz)) { return; }
  out[u.offs.z + vi.x + u.dims.x * (vi.y + u.dims.y * vi.z)] = voxel(patient_point(vi), vi);
}

fn voxel(q: vec3f, vi: vec3u) -> f32 {
  var hu = AIR_HU;
  if (MODE > 0u) {
    let a = anatomy(q);
    hu = a.hu;
    if (PRIMS > 0u) {
      let brick = vi / BRICK;
      hu = paint_primitives(q, hu, a.lung, brick.x + u.bricks.x * (brick.y + u.bricks.y * brick.z));
    }
    if (MODE > 1u) { hu = paint_effusion(q, hu, a); }
  }
  hu += slot(S_BODY2).w * gauss(vi, u.offs.w);
  return clamp(hu, -1024.0, 3071.0);
}
