// The normal chest: body wall, thoracic cavity with lungs, mediastinum, heart and aorta, the
// upper abdomen under the diaphragm, and the bones. Patient coordinates in mm: x right, y
// anterior, z superior. Parameters come from the slots (models/data/phantom-layout.ts).

const PI: f32 = 3.14159265;

struct Anat {
  hu: f32,
  lung: f32,    // lung occupancy of the voxel, 0..1
  dlung: f32,   // signed distance to the lung of this side (mm; 1e3 outside the cavity)
  side: f32,    // +1 right (x > mediastinal centre), −1 left
}

// The neck: above BODY2.x the body and cavity narrow towards the thoracic inlet.
fn neck(z: f32) -> f32 {
  let b2 = slot(S_BODY2);
  return slot(S_BODY).w * smoothstep(b2.x, b2.x + 60.0, z);
}

fn chest_sdf(q: vec3f) -> f32 {
  let b = slot(S_BODY);
  let n = neck(q.z);
  return sd_ellipse(vec2f(q.x, q.y - b.z), vec2f(b.x * (1.0 - n), b.y * (1.0 - 0.5 * n)));
}

// The rib cage is a cone: it narrows from mid-chest towards the apices (CAV2), and further at the neck.
fn cavity_axes(z: f32) -> vec2f {
  let c = slot(S_CAV);
  let c2 = slot(S_CAV2);
  let t = clamp((z - c2.x) / (c2.y - c2.x), 0.0, 1.0);
  let n = neck(z) + c2.z * t * t;
  return vec2f(c.x * (1.0 - 1.2 * n), c.y * (1.0 - 0.8 * n));
}

fn cavity_sdf(q: vec3f) -> f32 {
  return sd_ellipse(vec2f(q.x, q.y - slot(S_CAV).z), cavity_axes(q.z));
}

// Two paraboloid domes (the right one higher), their upper envelope, tilted so that the posterior
// recesses reach lower than the front. Negative below the surface (the abdomen).
fn diaphragm_sdf(q: vec3f) -> f32 {
  let d = slot(S_DIA);
  let d2 = slot(S_DIA2);
  let dy = q.y - d2.z;
  let xr = q.x - d2.x;
  let xl = q.x - d2.y;
  let zr = d.x - d.z * (xr * xr + d2.w * dy * dy);
  let zl = d.y - d.z * (xl * xl + d2.w * dy * dy);
  let dx = select(xl, xr, zr >= zl);
  let zd = max(zr, zl) + d.w * dy;
  let gx = -2.0 * d.z * dx;
  let gy = -2.0 * d.z * d2.w * dy + d.w;
  return (q.z - zd) / sqrt(1.0 + gx * gx + gy * gy);
}

fn heart_local(q: vec3f) -> vec3f {
  let d = q - slot(S_HEART_C).xyz;
  return vec3f(dot(d, slot(S_HEART_U).xyz), dot(d, slot(S_HEART_V).xyz), dot(d, slot(S_HEART_W).xyz));
}

fn heart_sdf(q: vec3f) -> f32 {
  return sd_ellipsoid(heart_local(q), vec3f(slot(S_HEART_U).w, slot(S_HEART_V).w, slot(S_HEART_W).w));
}

// Pericardial fluid thickness here: thicker behind and below the heart (it settles, supine).
fn peri_thickness(q: vec3f) -> f32 {
  let p = slot(S_PERI);
  let c = slot(S_HEART_C);
  let f = 1.0 + 0.4 * clamp((c.y - q.y) / 40.0, -1.0, 1.0) + 0.3 * clamp((c.z - q.z) / 40.0, -1.0, 1.0);
  return p.x * f;
}

// The heart with its epicardial fat, pericardial fluid (when present) and pericardium.
fn heart_outer(q: vec3f, dh: f32) -> f32 {
  return dh - slot(S_HEART_C).w - peri_thickness(q) - 1.5;
}

fn paint_heart(q: vec3f, c: f32, dh: f32) -> f32 {
  let p = slot(S_PERI);
  let te = slot(S_HEART_C).w;
  var v = mix(c, 20.0, ramp(heart_outer(q, dh)));
  if (p.x > 0.0) { v = mix(v, p.y, ramp(dh - te - peri_thickness(q))); }
  v = mix(v, p.w, ramp(dh - te));
  return mix(v, p.z, ramp(dh));
}

fn aorta_sdf(q: vec3f) -> f32 {
  var d = 1e9;
  for (var i = 0u; i < 6u; i++) {
    let a = slot(S_AORTA0 + i);
    let b = slot(S_AORTA0 + i + 1u);
    d = min(d, sd_tube(q, a.xyz, a.w, b.xyz, b.w));
  }
  return d;
}

// One lung (side +1 right, −1 left): inside the ribs by the pleural gap, above the diaphragm,
// under its apex dome, lateral to the mediastinum (wider at the hila, narrow in front), around
// the heart, the aorta, the superior vena cava and the spine.
fn lung_sdf(q: vec3f, side: f32, dh: f32, dao: f32) -> f32 {
  let cav = slot(S_CAV);
  var d = cavity_sdf(q) + cav.w;
  d = max(d, -diaphragm_sdf(q));
  let ap = slot(S_APEX);
  let ax = abs(q.x) - ap.z;
  let ay = q.y - ap.w;
  let ztop = ap.x - ap.y * (ax * ax + ay * ay);
  let g = 2.0 * ap.y * sqrt(ax * ax + ay * ay);
  d = max(d, (q.z - ztop) / sqrt(1.0 + g * g));
  let m = slot(S_MED);
  let hz = (q.z - m.w) / 40.0;
  let ant = clamp((q.y - cav.z) / cav.y, 0.0, 1.0);
  let w = m.y * (1.0 - 0.6 * ant) + m.z * exp(-hz * hz);
  d = -smin(-d, -(side * (m.x - q.x) + w), 8.0);
  d = max(d, -(heart_outer(q, dh) - 2.0));
  d = max(d, -(dao - 3.0));
  let sv = slot(S_SVC);
  d = max(d, -(max(length(q.xy - sv.xy) - sv.z, sv.w - q.z) - 2.0));
  let sp = slot(S_SPINE);
  d = max(d, -(length(q.xy - sp.xy) - sp.z - 6.0));
  return d;
}

fn lung_hu(q: vec3f, depth: f32, side: f32) -> f32 {
  let l = slot(S_LUNG);
  let cav = slot(S_CAV);
  // Dependent density: the posterior lung is denser in a supine patient.
  let dep = clamp(0.5 - (q.y - cav.z) / (2.0 * cav.y), 0.0, 1.0);
  var v = l.x + l.y * dep * dep + l.z * (vnoise(q / l.w, u.offs.w ^ 0x1b873593u) - 0.5) * 2.0;
  v = emphysema(q, v);
  v = mosaic(q, v);
  v = septal(q, v, depth, side);
  return v;
}

fn abdomen(q: vec3f) -> f32 {
  let a = slot(S_ABD);
  let cy = slot(S_CAV).z;
  var v = a.z + 80.0 * (vnoise(q / 12.0, u.offs.w ^ 0x68e31da4u) - 0.5);
  v = mix(v, a.x, ramp(a.w - 0.5 * (q.y - cy) - q.x));
  let s = slot(S_STOMACH);
  let inside = mix(15.0, AIR_HU, ramp(s.y + 0.55 * s.w - q.y));
  v = mix(v, inside, ramp(length(q - s.xyz) - s.w));
  let sp = slot(S_SPLEEN);
  v = mix(v, a.y, ramp(length((q - sp.xyz) * vec3f(1.0, 0.7, 0.8)) - sp.w));
  return v;
}

// The thoracic cavity: mediastinal fat (neck tissue towards the inlet), the abdomen under the
// diaphragm, the heart, the aorta, and the lung of this side.
fn cavity(q: vec3f, side: f32) -> Anat {
  let ap = slot(S_APEX);
  let b2 = slot(S_BODY2);
  var c = mix(b2.y + 10.0, b2.z, 0.6 * smoothstep(ap.x - 10.0, ap.x + 30.0, q.z));
  let dab = diaphragm_sdf(q);
  if (dab < u.spacing.w) { c = mix(c, abdomen(q), ramp(dab)); }
  let dh = heart_sdf(q);
  c = paint_heart(q, c, dh);
  let dao = aorta_sdf(q);
  c = mix(c, 40.0, ramp(dao));
  let dl = lung_sdf(q, side, dh, dao);
  let lo = ramp(dl);
  if (lo > 0.0) { c = mix(c, lung_hu(q, -dl, side), lo); }
  return Anat(c, lo, dl, side);
}

// The rib line: an ellipse just outside the cavity. For a point, its angle around the chest
// (0 behind, π in front; mirrored, so both sides share it), the line's radius in that direction,
// and the radial distance to the line pushed out by `offset`.
struct RibFrame { phi: f32, rl: f32, dr: f32 }

fn rib_frame(q: vec3f, offset: f32) -> RibFrame {
  let ax = cavity_axes(q.z) + slot(S_RIB2).x + 2.0 + offset;
  let rel = vec2f(abs(q.x), q.y - slot(S_CAV).z);
  let e = max(length(rel / ax), 1e-4);
  let rl = length(rel) / e;
  return RibFrame(atan2(rel.x / ax.x, -rel.y / ax.y), rl, (e - 1.0) * rl);
}

// Twelve ribs a side: each a tube of elliptical section along the rib line, falling by `drop`
// from back to front, bone to its last bony angle, then costal cartilage to the sternum
// (the seven true ribs).
fn ribs(q: vec3f, v: f32) -> f32 {
  let r = slot(S_RIB);
  let r2 = slot(S_RIB2);
  let r3 = slot(S_RIB3);
  let f = rib_frame(q, 0.0);
  let g = r.z * pow(f.phi / PI, 1.2);
  let i0 = floor((r.x - g - q.z) / r.y);
  var out = v;
  for (var k = 0; k < 2; k++) {
    let i = i0 + f32(k);
    if (i < 0.0 || i > r.w - 1.0) { continue; }
    let zc = r.x - i * r.y - g;
    let ds = (length(vec2f(f.dr / r2.x, (q.z - zc) / r2.y)) - 1.0) * min(r2.x, r2.y);
    let end = mix(r3.y, r3.z, i / max(r.w - 1.0, 1.0));
    let arc0 = (r3.x - f.phi) * f.rl;
    let arc1 = (f.phi - end) * f.rl;
    let arc2 = (f.phi - r3.w) * f.rl;
    if (i < 7.0) { out = mix(out, r2.w, ramp(max(ds, max(-arc1, arc2)))); }
    out = mix(out, r2.z, ramp(max(ds, max(arc0, arc1))));
  }
  return out;
}

fn scapulae(q: vec3f, v: f32) -> f32 {
  let sc = slot(S_SCAP);
  let sc2 = slot(S_SCAP2);
  let f = rib_frame(q, sc.x);
  let d = max(abs(f.dr) - 0.5 * sc.w, max(max((sc.y - f.phi) * f.rl, (f.phi - sc.z) * f.rl), max(q.z - sc2.x, sc2.y - q.z)));
  return mix(v, sc2.z, ramp(d));
}

// Vertebral bodies with discs, and each vertebra's arch, spinous and transverse processes around
// the spinal canal.
fn spine(q: vec3f, v: f32) -> f32 {
  let s = slot(S_SPINE);
  let s2 = slot(S_SPINE2);
  let s3 = slot(S_SPINE3);
  let t = q.z - s2.x;
  let m = t - s.w * round(t / s.w);
  var out = mix(v, mix(s2.z, s2.w, ramp(abs(m) - 3.0)), ramp(length(q.xy - s.xy) - s.z));
  let cc = vec2f(s.x, s.y - s.z - s2.y - 2.0);
  let rc = length(q.xy - cc);
  let p = vec3f(q.xy, 0.0);
  let arch = abs(rc - s2.y - 3.5) - 3.5;
  let spinous = sd_tube(p, vec3f(cc.x, cc.y - s2.y - 3.0, 0.0), 4.5, vec3f(cc.x, cc.y - s2.y - s3.x, 0.0), 3.5);
  let tr = sd_tube(vec3f(abs(q.x - cc.x), q.y, 0.0), vec3f(0.0, cc.y + 2.0, 0.0), 5.0, vec3f(s3.y, cc.y - 4.0, 0.0), 4.0);
  let dz = abs(abs(m) - 0.5 * s.w) - 0.3 * s.w;
  out = mix(out, s3.z, ramp(max(min(arch, min(spinous, tr)), dz)));
  return mix(out, 20.0, ramp(rc - s2.y));
}

fn sternum(q: vec3f, v: f32) -> f32 {
  let s = slot(S_STERN);
  let s2 = slot(S_STERN2);
  let yc = slot(S_CAV).z + cavity_axes(q.z).y + 0.5 * s2.x + 2.0;
  let b = vec3f(s.w, 0.5 * s2.x, 0.5 * (s.y - s.z)) - 3.0;
  let d3 = abs(vec3f(q.x, q.y - yc, q.z - 0.5 * (s.y + s.z))) - b;
  let d = length(max(d3, vec3f(0.0))) + min(max(d3.x, max(d3.y, d3.z)), 0.0) - 3.0;
  return mix(v, s2.y, ramp(d));
}

fn clavicles(q: vec3f, v: f32) -> f32 {
  let a = slot(S_CLAV);
  let b = slot(S_CLAV2);
  let d = sd_tube(vec3f(abs(q.x), q.y, q.z), a.xyz, a.w, b.xyz, 0.8 * a.w);
  return mix(v, slot(S_RIB2).z, ramp(d));
}

fn anatomy(q: vec3f) -> Anat {
  let b2 = slot(S_BODY2);
  let side = select(-1.0, 1.0, q.x > slot(S_MED).x);
  let dchest = chest_sdf(q);
  var dbody = dchest;
  var gland = 0.0;
  let br = slot(S_BREAST_C);
  if (br.w > 0.0) {
    let r = slot(S_BREAST_R);
    let db = sd_ellipsoid(vec3f(abs(q.x) - br.x, q.y - br.y, q.z - br.z), r.xyz);
    dbody = smin(dbody, db, 12.0);
    gland = ramp(db + 10.0) * smoothstep(0.45, 0.6, vnoise(q / 7.0, u.offs.w ^ 0x2c1b3c6du));
  }
  if (dbody > u.spacing.w) { return Anat(AIR_HU, 0.0, 1e3, side); }
  // Subcutaneous fat, then muscle down to the cavity.
  var v = b2.y + 16.0 * (vnoise(q / 9.0, u.offs.w ^ 0x297a2d39u) - 0.5);
  v = mix(v, slot(S_BREAST_R).w, gland);
  v = mix(v, b2.z, ramp(slot(S_WALL).x + dchest));
  var lung = 0.0;
  var dl = 1e3;
  let dcav = cavity_sdf(q);
  if (MODE > 1u && dcav < u.spacing.w) {
    let c = cavity(q, side);
    v = mix(v, c.hu, ramp(dcav));
    lung = c.lung;
    dl = c.dlung;
  }
  v = ribs(q, v);
  v = scapulae(q, v);
  v = spine(q, v);
  v = sternum(q, v);
  v = clavicles(q, v);
  return Anat(mix(AIR_HU, v, ramp(dbody)), lung, dl, side);
}
