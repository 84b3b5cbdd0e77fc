// The findings: region-wide patterns of the lung parenchyma (emphysema, mosaic attenuation,
// interlobular septal thickening), the primitive list (vessels, airways, and each finding's
// nodules, patches, bands, nodes, plaques, sacs and devices), and dependent pleural fluid.
// Which findings are present, where and how big, is decided in TypeScript
// (models/data/phantom-findings.ts); a zero amplitude slot means absent.

// Centrilobular emphysema: holes of near-air density where lobular-scale noise is high, in the
// upper zones (fading in over EMPH2.x mm above EMPH.z), with the zone's lung a little darker.
fn emphysema(q: vec3f, v: f32) -> f32 {
  let e = slot(S_EMPH);
  if (e.x == 0.0) { return v; }
  let e2 = slot(S_EMPH2);
  let wz = smoothstep(e.z - e2.x, e.z + e2.x, q.z);
  let hole = smoothstep(e.x, e.x + 0.08, vnoise(q / e.y, u.offs.w ^ 0x7f4a7c15u)) * wz;
  return mix(v - e.w * wz, e2.y, hole);
}

// Mosaic attenuation: geographic lobular patches alternately denser and lucent (± amplitude).
fn mosaic(q: vec3f, v: f32) -> f32 {
  let m = slot(S_MOSAIC);
  if (m.x == 0.0) { return v; }
  let wz = smoothstep(m.z - 20.0, m.z + 20.0, q.z) * (1.0 - smoothstep(m.w - 20.0, m.w + 20.0, q.z));
  let n = vnoise(q / m.y, u.offs.w ^ 0x1656667bu);
  return v + m.x * (2.0 * smoothstep(0.4, 0.6, n) - 1.0) * wz;
}

// Interlobular septal thickening: a polygonal network of lines (the ridges of lobular noise)
// in the lung periphery, below SEPTAL.w, on one side or both.
fn septal(q: vec3f, v: f32, depth: f32, side: f32) -> f32 {
  let s = slot(S_SEPTAL);
  if (s.x == 0.0) { return v; }
  let s2 = slot(S_SEPTAL2);
  if (s2.x * side < 0.0) { return v; }
  let wz = 1.0 - smoothstep(s.w - 20.0, s.w + 20.0, q.z);
  let wp = 1.0 - smoothstep(0.5 * s.z, s.z, depth);
  let n = vnoise(q / s.y, u.offs.w ^ 0x3c6ef372u);
  let ridge = 1.0 - abs(2.0 * n - 1.0);
  return mix(v, s2.y, smoothstep(0.78, 0.92, ridge) * wz * wp * s.x);
}

// The primitives that may touch this voxel's brick, in painting order: the brick's list holds
// four runs (vessels, shapes under the airways, airways, shapes over them), each painted by a
// loop with only its own code.
fn paint_primitives(q: vec3f, hu0: f32, lung: f32, b: u32) -> f32 {
  var hu = hu0;
  let nb = u.bricks.x * u.bricks.y * u.bricks.z;
  let head = u.offs.y + BRICK_HEADER * b;
  var at = u.offs.y + BRICK_HEADER * nb + bricks[head];
  let n0 = bricks[head + 1u];
  for (var n = 0u; n < n0; n++) { hu = paint_vessel(q, hu, lung, bricks[at + n]); }
  at += n0;
  let n1 = bricks[head + 2u];
  if (PRIMS > 1u) {
    for (var n = 0u; n < n1; n++) { hu = paint_shape(q, hu, lung, bricks[at + n]); }
  }
  at += n1;
  let n2 = bricks[head + 3u];
  for (var n = 0u; n < n2; n++) { hu = paint_airway(q, hu, lung, bricks[at + n]); }
  at += n2;
  if (PRIMS > 1u) {
    let n3 = bricks[head + 4u];
    for (var n = 0u; n < n3; n++) { hu = paint_shape(q, hu, lung, bricks[at + n]); }
  }
  return hu;
}

fn lung_weight(k: u32, lung: f32) -> f32 {
  return select(1.0, lung, (u32(prim(k, 0u).z) & F_LUNG_ONLY) != 0u);
}

// A vessel: a plain tube of blood.
fn paint_vessel(q: vec3f, hu: f32, lung: f32, k: u32) -> f32 {
  let a = prim(k, 1u);
  let c = prim(k, 2u);
  return mix(hu, prim(k, 0u).y, ramp(sd_tube(q, a.xyz, a.w, c.xyz, c.w)) * lung_weight(k, lung));
}

// An airway: its wall, then the air of its lumen.
fn paint_airway(q: vec3f, hu0: f32, lung: f32, k: u32) -> f32 {
  let hdr = prim(k, 0u);
  let a = prim(k, 1u);
  let c = prim(k, 2u);
  let d = sd_tube(q, a.xyz, a.w, c.xyz, c.w);
  let wl = lung_weight(k, lung);
  let hu = mix(hu0, hdr.y, ramp(d - hdr.w) * wl);
  return mix(hu, AIR_HU, ramp(d) * wl);
}

// A general shape: a lobulated tube, an ellipsoid, or a sac.
fn paint_shape(q: vec3f, hu0: f32, lung: f32, k: u32) -> f32 {
  var hu = hu0;
  {
    let hdr = prim(k, 0u);
    let kind = u32(hdr.x);
    let bits = u32(hdr.z);
    let flags = bits & 15u;
    let pseed = u.offs.w ^ ((bits >> 4u) * 0x9e3779b9u);
    var occ = 0.0;
    var fill = hdr.y;
    if (kind == K_TUBE) {
      let a = prim(k, 1u);
      let c = prim(k, 2u);
      var d = sd_tube(q, a.xyz, a.w, c.xyz, c.w);
      if (hdr.w > 0.0) { d += hdr.w * 2.0 * (vnoise(q / 6.0, pseed) - 0.5); }
      occ = ramp(d);
    } else {
      let c = prim(k, 1u);
      let e0 = prim(k, 2u);
      let e1 = prim(k, 3u);
      let e2 = prim(k, 4u);
      let p = q - c.xyz;
      var d = sd_ellipsoid(vec3f(dot(p, e0.xyz), dot(p, e1.xyz), dot(p, e2.xyz)), vec3f(e0.w, e1.w, e2.w));
      if (c.w > 0.0) { d += c.w * 2.0 * (vnoise(q / 6.0, pseed) - 0.5); }
      occ = ramp(d);
      if (kind == K_SAC) {
        // Wall, then contents: gas over the level (anterior, supine), fluid below.
        hu = mix(hu, hdr.y, occ);
        occ = ramp(d + 3.0);
        fill = mix(15.0, AIR_HU, ramp(c.y + hdr.w - q.y));
      }
    }
    if ((flags & F_LUNG_ONLY) != 0u) { occ *= lung; }
    if ((flags & F_PATCHY) != 0u) { occ *= smoothstep(0.3, 0.6, vnoise(q / 9.0, pseed ^ 0x85ebca6bu)); }
    let painted = mix(hu, fill, occ);
    hu = select(painted, max(hu, painted), (flags & F_MAX) != 0u);
  }
  return hu;
}

// Pleural effusion: fluid in the lowest (posterior, supine) part of the pleural space, a layer
// over the posterior chest wall thickest at the base and thinning upwards, taking the lung's place.
// Thickness is measured up (anterior) from the back wall of the cavity.
fn paint_effusion(q: vec3f, hu: f32, a: Anat) -> f32 {
  let e = slot(S_EFF);
  let t = select(e.y, e.x, a.side > 0.0);
  if (t == 0.0) { return hu; }
  let e2 = slot(S_EFF2);
  let zlow = select(e2.y, e2.x, a.side > 0.0);
  let ax = cavity_axes(q.z);
  let xr = clamp(q.x / ax.x, -0.85, 0.85);
  let height = q.y - (slot(S_CAV).z - ax.y * sqrt(1.0 - xr * xr));
  let thick = t * sqrt(clamp((zlow + e.w - q.z) / e.w, 0.0, 1.0));
  return mix(hu, e.z, ramp(max(a.dlung, height - thick)));
}
