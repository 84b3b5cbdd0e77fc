// The procedural chest's voxel function in TypeScript: the same maths as shaders/phantom*.wgsl,
// function for function, in doubles. Tests compare the GPU against it; the TypeScript side also
// uses it to place findings (is this point inside the lung, how deep?).
import { SLOT, NUM_SLOTS, PRIM_VEC4, KIND, FLAG, BRICK } from './phantom-layout.ts';

export type V3 = [number, number, number];

const AIR_HU = -1000;
const PI = 3.14159265;

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
const mix = (a: number, b: number, t: number) => a + (b - a) * t;
const smoothstep = (e0: number, e1: number, x: number) => {
  const t = clamp((x - e0) / (e1 - e0), 0, 1);
  return t * t * (3 - 2 * t);
};
const len2 = (x: number, y: number) => Math.sqrt(x * x + y * y);
const len3 = (x: number, y: number, z: number) => Math.sqrt(x * x + y * y + z * z);
/** WGSL's round(): halves go to even. */
const roundEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

export function hash(x: number, y: number, z: number, s: number): number {
  let h = (Math.imul(x >>> 0, 0x8da6b343) ^ Math.imul(y >>> 0, 0xd8163841) ^ Math.imul(z >>> 0, 0xcb1ab31f) ^ s) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export const hashf = (x: number, y: number, z: number, s: number) => (hash(x, y, z, s) >>> 8) / 16777216;

export function vnoise(px: number, py: number, pz: number, s: number): number {
  const fx = Math.floor(px), fy = Math.floor(py), fz = Math.floor(pz);
  const x = fx | 0, y = fy | 0, z = fz | 0;
  const tx = px - fx, ty = py - fy, tz = pz - fz;
  const wx = tx * tx * (3 - 2 * tx), wy = ty * ty * (3 - 2 * ty), wz = tz * tz * (3 - 2 * tz);
  const x00 = mix(hashf(x, y, z, s), hashf(x + 1, y, z, s), wx);
  const x10 = mix(hashf(x, y + 1, z, s), hashf(x + 1, y + 1, z, s), wx);
  const x01 = mix(hashf(x, y, z + 1, s), hashf(x + 1, y, z + 1, s), wx);
  const x11 = mix(hashf(x, y + 1, z + 1, s), hashf(x + 1, y + 1, z + 1, s), wx);
  return mix(mix(x00, x10, wy), mix(x01, x11, wy), wz);
}

export function sdEllipse(px: number, py: number, rx: number, ry: number): number {
  const k0 = len2(px / rx, py / ry);
  const k1 = Math.max(len2(px / (rx * rx), py / (ry * ry)), 1e-6);
  return (k0 * (k0 - 1)) / k1;
}

export function sdEllipsoid(px: number, py: number, pz: number, rx: number, ry: number, rz: number): number {
  const k0 = len3(px / rx, py / ry, pz / rz);
  const k1 = Math.max(len3(px / (rx * rx), py / (ry * ry), pz / (rz * rz)), 1e-6);
  return (k0 * (k0 - 1)) / k1;
}

export function sdTube(p: V3, a: V3, ra: number, b: V3, rb: number): number {
  const pax = p[0] - a[0], pay = p[1] - a[1], paz = p[2] - a[2];
  const bax = b[0] - a[0], bay = b[1] - a[1], baz = b[2] - a[2];
  const t = clamp((pax * bax + pay * bay + paz * baz) / Math.max(bax * bax + bay * bay + baz * baz, 1e-6), 0, 1);
  return len3(pax - bax * t, pay - bay * t, paz - baz * t) - mix(ra, rb, t);
}

export function smin(a: number, b: number, k: number): number {
  const h = clamp(0.5 + (0.5 * (b - a)) / k, 0, 1);
  return mix(b, a, h) - k * h * (1 - h);
}

export interface Anat {
  hu: number;
  lung: number;
  dlung: number;
  side: number;
}

export interface Geometry {
  /** W, H, D voxels. */
  dims: V3;
  /** x, y, z mm. */
  spacing: V3;
}

/** The ramp width: the voxel's geometric-mean size. */
export const rampWidth = (spacing: V3) => Math.cbrt(spacing[0] * spacing[1] * spacing[2]);

/**
 * The voxel function over one packed parameter block (the same Float32Array the GPU reads:
 * anatomy slots, then primitives). `h` is the ramp width (voxel size).
 */
export class PhantomRef {
  private readonly s: Float32Array;

  constructor(
    readonly prm: Float32Array,
    readonly nPrims: number,
    readonly seed: number,
    readonly h: number,
  ) {
    this.s = prm;
  }

  private sl(i: number, c: number): number {
    return this.s[4 * i + c];
  }

  ramp(d: number): number {
    return clamp(0.5 - d / this.h, 0, 1);
  }

  /** Voxel centre → patient coordinates, as the shader's patient_point. */
  patientPoint(vi: V3, g: Geometry): V3 {
    const p = [0, 1, 2].map((a) => (vi[a] - 0.5 * (g.dims[a] - 1)) * g.spacing[a]);
    const [tx, ty, tz, ang] = [0, 1, 2, 3].map((c) => this.sl(SLOT.POSE, c));
    const dx = p[0] - tx, dy = p[1] - ty, dz = p[2] - tz;
    const c = Math.cos(ang), s = Math.sin(ang);
    return [c * dx + s * dy, -s * dx + c * dy, dz];
  }

  /** Inverse of patientPoint: a patient point's position in grid mm (before voxel indexing). */
  gridPoint(q: V3): V3 {
    const [tx, ty, tz, ang] = [0, 1, 2, 3].map((c) => this.sl(SLOT.POSE, c));
    const c = Math.cos(ang), s = Math.sin(ang);
    return [c * q[0] - s * q[1] + tx, s * q[0] + c * q[1] + ty, q[2] + tz];
  }

  gauss(vi: V3): number {
    const s = this.seed;
    return (hashf(vi[0], vi[1], vi[2], s) + hashf(vi[0], vi[1], vi[2], (s ^ 0x5bd1e995) >>> 0) + hashf(vi[0], vi[1], vi[2], (s ^ 0x27d4eb2f) >>> 0) - 1.5) * 2;
  }

  /** The full voxel value; `prims` limits the primitive loop (a brick list), all by default. */
  voxel(q: V3, vi: V3, prims?: ArrayLike<number>): number {
    const a = this.anatomy(q);
    let hu = this.paintPrimitives(q, a.hu, a.lung, prims);
    hu = this.paintEffusion(q, hu, a);
    hu += this.sl(SLOT.BODY2, 3) * this.gauss(vi);
    return clamp(hu, -1024, 3071);
  }

  // ------------------------------------------------------------ anatomy

  neck(z: number): number {
    return this.sl(SLOT.BODY, 3) * smoothstep(this.sl(SLOT.BODY2, 0), this.sl(SLOT.BODY2, 0) + 60, z);
  }

  chestSdf(q: V3): number {
    const n = this.neck(q[2]);
    return sdEllipse(q[0], q[1] - this.sl(SLOT.BODY, 2), this.sl(SLOT.BODY, 0) * (1 - n), this.sl(SLOT.BODY, 1) * (1 - 0.5 * n));
  }

  cavityAxes(z: number): [number, number] {
    const [z0, z1, taper] = [0, 1, 2].map((i) => this.sl(SLOT.CAV2, i));
    const t = clamp((z - z0) / (z1 - z0), 0, 1);
    const n = this.neck(z) + taper * t * t;
    return [this.sl(SLOT.CAV, 0) * (1 - 1.2 * n), this.sl(SLOT.CAV, 1) * (1 - 0.8 * n)];
  }

  cavitySdf(q: V3): number {
    const [ax, ay] = this.cavityAxes(q[2]);
    return sdEllipse(q[0], q[1] - this.sl(SLOT.CAV, 2), ax, ay);
  }

  diaphragmSdf(q: V3): number {
    const [dzR, dzL, c, tilt] = [0, 1, 2, 3].map((i) => this.sl(SLOT.DIA, i));
    const [xR, xL, yD, ky] = [0, 1, 2, 3].map((i) => this.sl(SLOT.DIA2, i));
    const dy = q[1] - yD;
    const xr = q[0] - xR, xl = q[0] - xL;
    const zr = dzR - c * (xr * xr + ky * dy * dy);
    const zl = dzL - c * (xl * xl + ky * dy * dy);
    const dx = zr >= zl ? xr : xl;
    const zd = Math.max(zr, zl) + tilt * dy;
    const gx = -2 * c * dx, gy = -2 * c * ky * dy + tilt;
    return (q[2] - zd) / Math.sqrt(1 + gx * gx + gy * gy);
  }

  heartLocal(q: V3): V3 {
    const dx = q[0] - this.sl(SLOT.HEART_C, 0), dy = q[1] - this.sl(SLOT.HEART_C, 1), dz = q[2] - this.sl(SLOT.HEART_C, 2);
    const dot = (i: number) => dx * this.sl(i, 0) + dy * this.sl(i, 1) + dz * this.sl(i, 2);
    return [dot(SLOT.HEART_U), dot(SLOT.HEART_V), dot(SLOT.HEART_W)];
  }

  heartSdf(q: V3): number {
    const l = this.heartLocal(q);
    return sdEllipsoid(l[0], l[1], l[2], this.sl(SLOT.HEART_U, 3), this.sl(SLOT.HEART_V, 3), this.sl(SLOT.HEART_W, 3));
  }

  periThickness(q: V3): number {
    const cy = this.sl(SLOT.HEART_C, 1), cz = this.sl(SLOT.HEART_C, 2);
    const f = 1 + 0.4 * clamp((cy - q[1]) / 40, -1, 1) + 0.3 * clamp((cz - q[2]) / 40, -1, 1);
    return this.sl(SLOT.PERI, 0) * f;
  }

  heartOuter(q: V3, dh: number): number {
    return dh - this.sl(SLOT.HEART_C, 3) - this.periThickness(q) - 1.5;
  }

  paintHeart(q: V3, c: number, dh: number): number {
    const te = this.sl(SLOT.HEART_C, 3);
    let v = mix(c, 20, this.ramp(this.heartOuter(q, dh)));
    if (this.sl(SLOT.PERI, 0) > 0) v = mix(v, this.sl(SLOT.PERI, 1), this.ramp(dh - te - this.periThickness(q)));
    v = mix(v, this.sl(SLOT.PERI, 3), this.ramp(dh - te));
    return mix(v, this.sl(SLOT.PERI, 2), this.ramp(dh));
  }

  aortaSdf(q: V3): number {
    let d = 1e9;
    for (let i = 0; i < 6; i++) {
      const a = SLOT.AORTA0 + i;
      d = Math.min(d, sdTube(q, [this.sl(a, 0), this.sl(a, 1), this.sl(a, 2)], this.sl(a, 3), [this.sl(a + 1, 0), this.sl(a + 1, 1), this.sl(a + 1, 2)], this.sl(a + 1, 3)));
    }
    return d;
  }

  lungSdf(q: V3, side: number, dh = this.heartSdf(q), dao = this.aortaSdf(q)): number {
    let d = this.cavitySdf(q) + this.sl(SLOT.CAV, 3);
    d = Math.max(d, -this.diaphragmSdf(q));
    const ax = Math.abs(q[0]) - this.sl(SLOT.APEX, 2), ay = q[1] - this.sl(SLOT.APEX, 3);
    const c = this.sl(SLOT.APEX, 1);
    const ztop = this.sl(SLOT.APEX, 0) - c * (ax * ax + ay * ay);
    const g = 2 * c * Math.sqrt(ax * ax + ay * ay);
    d = Math.max(d, (q[2] - ztop) / Math.sqrt(1 + g * g));
    const hz = (q[2] - this.sl(SLOT.MED, 3)) / 40;
    const ant = clamp((q[1] - this.sl(SLOT.CAV, 2)) / this.sl(SLOT.CAV, 1), 0, 1);
    const w = this.sl(SLOT.MED, 1) * (1 - 0.6 * ant) + this.sl(SLOT.MED, 2) * Math.exp(-hz * hz);
    d = -smin(-d, -(side * (this.sl(SLOT.MED, 0) - q[0]) + w), 8);
    d = Math.max(d, -(this.heartOuter(q, dh) - 2));
    d = Math.max(d, -(dao - 3));
    d = Math.max(d, -(Math.max(len2(q[0] - this.sl(SLOT.SVC, 0), q[1] - this.sl(SLOT.SVC, 1)) - this.sl(SLOT.SVC, 2), this.sl(SLOT.SVC, 3) - q[2]) - 2));
    d = Math.max(d, -(len2(q[0] - this.sl(SLOT.SPINE, 0), q[1] - this.sl(SLOT.SPINE, 1)) - this.sl(SLOT.SPINE, 2) - 6));
    return d;
  }

  /** Which lung a point belongs to: +1 right, −1 left. */
  side(q: V3): number {
    return q[0] > this.sl(SLOT.MED, 0) ? 1 : -1;
  }

  lungHu(q: V3, depth: number, side: number): number {
    const cy = this.sl(SLOT.CAV, 2), cb = this.sl(SLOT.CAV, 1);
    const dep = clamp(0.5 - (q[1] - cy) / (2 * cb), 0, 1);
    const sc = this.sl(SLOT.LUNG, 3);
    let v = this.sl(SLOT.LUNG, 0) + this.sl(SLOT.LUNG, 1) * dep * dep + this.sl(SLOT.LUNG, 2) * (vnoise(q[0] / sc, q[1] / sc, q[2] / sc, (this.seed ^ 0x1b873593) >>> 0) - 0.5) * 2;
    v = this.emphysema(q, v);
    v = this.mosaic(q, v);
    v = this.septal(q, v, depth, side);
    return v;
  }

  abdomen(q: V3): number {
    const cy = this.sl(SLOT.CAV, 2);
    let v = this.sl(SLOT.ABD, 2) + 80 * (vnoise(q[0] / 12, q[1] / 12, q[2] / 12, (this.seed ^ 0x68e31da4) >>> 0) - 0.5);
    v = mix(v, this.sl(SLOT.ABD, 0), this.ramp(this.sl(SLOT.ABD, 3) - 0.5 * (q[1] - cy) - q[0]));
    const [sx, sy, sz, sr] = [0, 1, 2, 3].map((i) => this.sl(SLOT.STOMACH, i));
    const inside = mix(15, AIR_HU, this.ramp(sy + 0.55 * sr - q[1]));
    v = mix(v, inside, this.ramp(len3(q[0] - sx, q[1] - sy, q[2] - sz) - sr));
    const [px, py, pz, pr] = [0, 1, 2, 3].map((i) => this.sl(SLOT.SPLEEN, i));
    v = mix(v, this.sl(SLOT.ABD, 1), this.ramp(len3(q[0] - px, (q[1] - py) * 0.7, (q[2] - pz) * 0.8) - pr));
    return v;
  }

  cavity(q: V3, side: number): Anat {
    const ax = this.sl(SLOT.APEX, 0);
    let c = mix(this.sl(SLOT.BODY2, 1) + 10, this.sl(SLOT.BODY2, 2), 0.6 * smoothstep(ax - 10, ax + 30, q[2]));
    const dab = this.diaphragmSdf(q);
    if (dab < this.h) c = mix(c, this.abdomen(q), this.ramp(dab));
    const dh = this.heartSdf(q);
    c = this.paintHeart(q, c, dh);
    const dao = this.aortaSdf(q);
    c = mix(c, 40, this.ramp(dao));
    const dl = this.lungSdf(q, side, dh, dao);
    const lo = this.ramp(dl);
    if (lo > 0) c = mix(c, this.lungHu(q, -dl, side), lo);
    return { hu: c, lung: lo, dlung: dl, side };
  }

  ribFrame(q: V3, offset: number): { phi: number; rl: number; dr: number } {
    const [cx, cy] = this.cavityAxes(q[2]);
    const ax = cx + this.sl(SLOT.RIB2, 0) + 2 + offset, ay = cy + this.sl(SLOT.RIB2, 0) + 2 + offset;
    const rx = Math.abs(q[0]), ry = q[1] - this.sl(SLOT.CAV, 2);
    const e = Math.max(len2(rx / ax, ry / ay), 1e-4);
    const rl = len2(rx, ry) / e;
    return { phi: Math.atan2(rx / ax, -ry / ay), rl, dr: (e - 1) * rl };
  }

  ribs(q: V3, v: number): number {
    const [z1, sp, drop, count] = [0, 1, 2, 3].map((i) => this.sl(SLOT.RIB, i));
    const [ht, hh, boneHU, cartHU] = [0, 1, 2, 3].map((i) => this.sl(SLOT.RIB2, i));
    const [phi0, end1, endN, phiS] = [0, 1, 2, 3].map((i) => this.sl(SLOT.RIB3, i));
    const f = this.ribFrame(q, 0);
    const g = drop * Math.pow(f.phi / PI, 1.2);
    const i0 = Math.floor((z1 - g - q[2]) / sp);
    let out = v;
    for (let k = 0; k < 2; k++) {
      const i = i0 + k;
      if (i < 0 || i > count - 1) continue;
      const zc = z1 - i * sp - g;
      const ds = (len2(f.dr / ht, (q[2] - zc) / hh) - 1) * Math.min(ht, hh);
      const end = mix(end1, endN, i / Math.max(count - 1, 1));
      const arc0 = (phi0 - f.phi) * f.rl, arc1 = (f.phi - end) * f.rl, arc2 = (f.phi - phiS) * f.rl;
      if (i < 7) out = mix(out, cartHU, this.ramp(Math.max(ds, Math.max(-arc1, arc2))));
      out = mix(out, boneHU, this.ramp(Math.max(ds, Math.max(arc0, arc1))));
    }
    return out;
  }

  scapulae(q: V3, v: number): number {
    const [off, a0, a1, th] = [0, 1, 2, 3].map((i) => this.sl(SLOT.SCAP, i));
    const [top, bot, hu] = [0, 1, 2].map((i) => this.sl(SLOT.SCAP2, i));
    const f = this.ribFrame(q, off);
    const d = Math.max(Math.abs(f.dr) - 0.5 * th, Math.max(Math.max((a0 - f.phi) * f.rl, (f.phi - a1) * f.rl), Math.max(q[2] - top, bot - q[2])));
    return mix(v, hu, this.ramp(d));
  }

  spine(q: V3, v: number): number {
    const [sx, sy, rv, period] = [0, 1, 2, 3].map((i) => this.sl(SLOT.SPINE, i));
    const [phase, rcan, bodyHU, discHU] = [0, 1, 2, 3].map((i) => this.sl(SLOT.SPINE2, i));
    const [spl, trl, postHU] = [0, 1, 2].map((i) => this.sl(SLOT.SPINE3, i));
    const t = q[2] - phase;
    const m = t - period * roundEven(t / period);
    let out = mix(v, mix(bodyHU, discHU, this.ramp(Math.abs(m) - 3)), this.ramp(len2(q[0] - sx, q[1] - sy) - rv));
    const ccx = sx, ccy = sy - rv - rcan - 2;
    const rc = len2(q[0] - ccx, q[1] - ccy);
    const arch = Math.abs(rc - rcan - 3.5) - 3.5;
    const spinous = sdTube([q[0], q[1], 0], [ccx, ccy - rcan - 3, 0], 4.5, [ccx, ccy - rcan - spl, 0], 3.5);
    const tr = sdTube([Math.abs(q[0] - ccx), q[1], 0], [0, ccy + 2, 0], 5, [trl, ccy - 4, 0], 4);
    const dz = Math.abs(Math.abs(m) - 0.5 * period) - 0.3 * period;
    out = mix(out, postHU, this.ramp(Math.max(Math.min(arch, Math.min(spinous, tr)), dz)));
    return mix(out, 20, this.ramp(rc - rcan));
  }

  sternum(q: V3, v: number): number {
    const [, top, bottom, hw] = [0, 1, 2, 3].map((i) => this.sl(SLOT.STERN, i));
    const [th, hu] = [0, 1].map((i) => this.sl(SLOT.STERN2, i));
    const yc = this.sl(SLOT.CAV, 2) + this.cavityAxes(q[2])[1] + 0.5 * th + 2;
    const bx = hw - 3, by = 0.5 * th - 3, bz = 0.5 * (top - bottom) - 3;
    const dx = Math.abs(q[0]) - bx, dy = Math.abs(q[1] - yc) - by, dz = Math.abs(q[2] - 0.5 * (top + bottom)) - bz;
    const d = len3(Math.max(dx, 0), Math.max(dy, 0), Math.max(dz, 0)) + Math.min(Math.max(dx, Math.max(dy, dz)), 0) - 3;
    return mix(v, hu, this.ramp(d));
  }

  clavicles(q: V3, v: number): number {
    const a: V3 = [this.sl(SLOT.CLAV, 0), this.sl(SLOT.CLAV, 1), this.sl(SLOT.CLAV, 2)];
    const b: V3 = [this.sl(SLOT.CLAV2, 0), this.sl(SLOT.CLAV2, 1), this.sl(SLOT.CLAV2, 2)];
    const r = this.sl(SLOT.CLAV, 3);
    return mix(v, this.sl(SLOT.RIB2, 2), this.ramp(sdTube([Math.abs(q[0]), q[1], q[2]], a, r, b, 0.8 * r)));
  }

  /** The body's signed distance: the chest, smoothly joined with the breasts (as anatomy()). */
  bodySdf(q: V3): number {
    const d = this.chestSdf(q);
    if (!(this.sl(SLOT.BREAST_C, 3) > 0)) return d;
    const db = sdEllipsoid(Math.abs(q[0]) - this.sl(SLOT.BREAST_C, 0), q[1] - this.sl(SLOT.BREAST_C, 1), q[2] - this.sl(SLOT.BREAST_C, 2), this.sl(SLOT.BREAST_R, 0), this.sl(SLOT.BREAST_R, 1), this.sl(SLOT.BREAST_R, 2));
    return smin(d, db, 12);
  }

  anatomy(q: V3): Anat {
    const side = this.side(q);
    const dchest = this.chestSdf(q);
    let dbody = dchest;
    let gland = 0;
    if (this.sl(SLOT.BREAST_C, 3) > 0) {
      const db = sdEllipsoid(Math.abs(q[0]) - this.sl(SLOT.BREAST_C, 0), q[1] - this.sl(SLOT.BREAST_C, 1), q[2] - this.sl(SLOT.BREAST_C, 2), this.sl(SLOT.BREAST_R, 0), this.sl(SLOT.BREAST_R, 1), this.sl(SLOT.BREAST_R, 2));
      dbody = smin(dbody, db, 12);
      gland = this.ramp(db + 10) * smoothstep(0.45, 0.6, vnoise(q[0] / 7, q[1] / 7, q[2] / 7, (this.seed ^ 0x2c1b3c6d) >>> 0));
    }
    if (dbody > this.h) return { hu: AIR_HU, lung: 0, dlung: 1e3, side };
    let v = this.sl(SLOT.BODY2, 1) + 16 * (vnoise(q[0] / 9, q[1] / 9, q[2] / 9, (this.seed ^ 0x297a2d39) >>> 0) - 0.5);
    v = mix(v, this.sl(SLOT.BREAST_R, 3), gland);
    v = mix(v, this.sl(SLOT.BODY2, 2), this.ramp(this.sl(SLOT.WALL, 0) + dchest));
    let lung = 0, dl = 1e3;
    const dcav = this.cavitySdf(q);
    if (dcav < this.h) {
      const c = this.cavity(q, side);
      v = mix(v, c.hu, this.ramp(dcav));
      lung = c.lung;
      dl = c.dlung;
    }
    v = this.ribs(q, v);
    v = this.scapulae(q, v);
    v = this.spine(q, v);
    v = this.sternum(q, v);
    v = this.clavicles(q, v);
    return { hu: mix(AIR_HU, v, this.ramp(dbody)), lung, dlung: dl, side };
  }

  // ------------------------------------------------------------ findings

  emphysema(q: V3, v: number): number {
    const [thr, sc, zlo, dark] = [0, 1, 2, 3].map((i) => this.sl(SLOT.EMPH, i));
    if (thr === 0) return v;
    const fade = this.sl(SLOT.EMPH2, 0), holeHU = this.sl(SLOT.EMPH2, 1);
    const wz = smoothstep(zlo - fade, zlo + fade, q[2]);
    const hole = smoothstep(thr, thr + 0.08, vnoise(q[0] / sc, q[1] / sc, q[2] / sc, (this.seed ^ 0x7f4a7c15) >>> 0)) * wz;
    return mix(v - dark * wz, holeHU, hole);
  }

  mosaic(q: V3, v: number): number {
    const [amp, sc, zlo, zhi] = [0, 1, 2, 3].map((i) => this.sl(SLOT.MOSAIC, i));
    if (amp === 0) return v;
    const wz = smoothstep(zlo - 20, zlo + 20, q[2]) * (1 - smoothstep(zhi - 20, zhi + 20, q[2]));
    const n = vnoise(q[0] / sc, q[1] / sc, q[2] / sc, (this.seed ^ 0x1656667b) >>> 0);
    return v + amp * (2 * smoothstep(0.4, 0.6, n) - 1) * wz;
  }

  septal(q: V3, v: number, depth: number, side: number): number {
    const [amp, sc, pd, zhi] = [0, 1, 2, 3].map((i) => this.sl(SLOT.SEPTAL, i));
    if (amp === 0) return v;
    if (this.sl(SLOT.SEPTAL2, 0) * side < 0) return v;
    const wz = 1 - smoothstep(zhi - 20, zhi + 20, q[2]);
    const wp = 1 - smoothstep(0.5 * pd, pd, depth);
    const n = vnoise(q[0] / sc, q[1] / sc, q[2] / sc, (this.seed ^ 0x3c6ef372) >>> 0);
    const ridge = 1 - Math.abs(2 * n - 1);
    return mix(v, this.sl(SLOT.SEPTAL2, 1), smoothstep(0.78, 0.92, ridge) * wz * wp * amp);
  }

  private pv(k: number, j: number, c: number): number {
    return this.s[4 * (NUM_SLOTS + k * PRIM_VEC4 + j) + c];
  }

  private p3(k: number, j: number): V3 {
    return [this.pv(k, j, 0), this.pv(k, j, 1), this.pv(k, j, 2)];
  }

  /** Signed distance to primitive k's shape (tubes and airways: the lumen), without lobulation. */
  primSdf(k: number, q: V3): number {
    const kind = this.pv(k, 0, 0);
    if (kind === KIND.tube || kind === KIND.airway) return sdTube(q, this.p3(k, 1), this.pv(k, 1, 3), this.p3(k, 2), this.pv(k, 2, 3));
    const c = this.p3(k, 1);
    const p: V3 = [q[0] - c[0], q[1] - c[1], q[2] - c[2]];
    const dot = (j: number) => p[0] * this.pv(k, j, 0) + p[1] * this.pv(k, j, 1) + p[2] * this.pv(k, j, 2);
    return sdEllipsoid(dot(2), dot(3), dot(4), this.pv(k, 2, 3), this.pv(k, 3, 3), this.pv(k, 4, 3));
  }

  paintPrimitives(q: V3, hu0: number, lung: number, prims?: ArrayLike<number>): number {
    let hu = hu0;
    const n = prims ? prims.length : this.nPrims;
    for (let i = 0; i < n; i++) {
      const k = prims ? prims[i] : i;
      const kind = this.pv(k, 0, 0), fillHU = this.pv(k, 0, 1), bits = this.pv(k, 0, 2), p = this.pv(k, 0, 3);
      const flags = bits & 15;
      const pseed = (this.seed ^ Math.imul(bits >>> 4, 0x9e3779b9)) >>> 0;
      let occ = 0;
      let fill = fillHU;
      if (kind === KIND.airway) {
        const d = this.primSdf(k, q);
        const wl = flags & FLAG.lungOnly ? lung : 1;
        hu = mix(hu, fillHU, this.ramp(d - p) * wl);
        hu = mix(hu, AIR_HU, this.ramp(d) * wl);
        continue;
      }
      let d = this.primSdf(k, q);
      if (kind === KIND.tube) {
        if (p > 0) d += p * 2 * (vnoise(q[0] / 6, q[1] / 6, q[2] / 6, pseed) - 0.5);
        occ = this.ramp(d);
      } else {
        const lob = this.pv(k, 1, 3);
        if (lob > 0) d += lob * 2 * (vnoise(q[0] / 6, q[1] / 6, q[2] / 6, pseed) - 0.5);
        occ = this.ramp(d);
        if (kind === KIND.sac) {
          hu = mix(hu, fillHU, occ);
          occ = this.ramp(d + 3);
          fill = mix(15, AIR_HU, this.ramp(this.pv(k, 1, 1) + p - q[1]));
        }
      }
      if (flags & FLAG.lungOnly) occ *= lung;
      if (flags & FLAG.patchy) occ *= smoothstep(0.3, 0.6, vnoise(q[0] / 9, q[1] / 9, q[2] / 9, (pseed ^ 0x85ebca6b) >>> 0));
      const painted = mix(hu, fill, occ);
      hu = flags & FLAG.max ? Math.max(hu, painted) : painted;
    }
    return hu;
  }

  paintEffusion(q: V3, hu: number, a: Anat): number {
    const t = a.side > 0 ? this.sl(SLOT.EFF, 0) : this.sl(SLOT.EFF, 1);
    if (t === 0) return hu;
    const zlow = a.side > 0 ? this.sl(SLOT.EFF2, 0) : this.sl(SLOT.EFF2, 1);
    const height = this.sl(SLOT.EFF, 3);
    const [ax, ay] = this.cavityAxes(q[2]);
    const xr = clamp(q[0] / ax, -0.85, 0.85);
    const above = q[1] - (this.sl(SLOT.CAV, 2) - ay * Math.sqrt(1 - xr * xr));
    const thick = t * Math.sqrt(clamp((zlow + height - q[2]) / height, 0, 1));
    return mix(hu, this.sl(SLOT.EFF, 2), this.ramp(Math.max(a.dlung, above - thick)));
  }
}

/** The brick that voxel vi falls in, as the shader computes it. */
export function brickOf(vi: V3, bricksPerAxis: V3): number {
  return Math.floor(vi[0] / BRICK) + bricksPerAxis[0] * (Math.floor(vi[1] / BRICK) + bricksPerAxis[1] * Math.floor(vi[2] / BRICK));
}
