// Voxel-to-world affines and axis orientation. Affines are 4x4, column-major (gl-matrix's layout:
// element (row r, column c) at index 4c + r), in Float64Array, mapping voxel index (i, j, k, 1) to
// world millimetres in NIfTI's RAS+ space (+x Right, +y Anterior, +z Superior).
import { mat4 } from 'gl-matrix';
import type { NiftiHeader } from './nifti-header.ts';

export type Affine = Float64Array;
export type Vec3 = [number, number, number];

/** Orientation of a voxel grid: for each voxel axis, the world axis it runs along and whether it runs towards minus. */
export type Ornt = { axis: Vec3; flip: [boolean, boolean, boolean] };

const POS = 'RAS';
const NEG = 'LPI';

/** A voxel size as a usable length: |p|, or 1 where the header has 0 or junk (nifti1_io does the same). */
function voxelSize(p: number): number {
  return Number.isFinite(p) && p !== 0 ? Math.abs(p) : 1;
}

/** mm per header unit (xyzt_units & 7): metres and microns are rare but legal. */
export function unitToMm(code: number): number {
  return code === 1 ? 1000 : code === 3 ? 0.001 : 1;
}

/** Voxel spacing in mm as stored: |pixdim[1..3]| in the header's unit. */
export function headerSpacing(h: NiftiHeader): Vec3 {
  const s = unitToMm(h.spatialUnits);
  return [voxelSize(h.pixdim[1]) * s, voxelSize(h.pixdim[2]) * s, voxelSize(h.pixdim[3]) * s];
}

function usable(a: Affine): boolean {
  if (!a.every(Number.isFinite)) return false;
  const det = mat4.determinant(a);
  // Relative to the column lengths, so that 0.1 mm voxels are not mistaken for a singular matrix.
  const scale = colNorm(a, 0) * colNorm(a, 1) * colNorm(a, 2);
  return scale > 0 && Math.abs(det) > 1e-6 * scale;
}

function colNorm(a: Affine, c: number): number {
  return Math.hypot(a[4 * c], a[4 * c + 1], a[4 * c + 2]);
}

/** sform: its three stored rows, as they are. */
function sformAffine(h: NiftiHeader): Affine {
  const a = mat4.identity(new Float64Array(16)) as Affine;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) a[4 * c + r] = h.srow[r][c];
  return a;
}

/**
 * qform (nifti1.h method 2): world = R · diag(dx, dy, qfac·dz) · ijk + qoffset, where R is the
 * rotation of the unit quaternion (a, b, c, d) with a = sqrt(1 − b² − c² − d²), and qfac = −1
 * when pixdim[0] < 0 (a left-handed voxel grid), else 1.
 */
function qformAffine(h: NiftiHeader): Affine {
  let [b, c, d] = h.quatern;
  const s = b * b + c * c + d * d;
  let a: number;
  // As nifti1_io: when b,c,d already have (nearly) unit length, a is 0 and they are renormalised.
  if (1 - s < 1e-7) {
    const n = Math.sqrt(s);
    b /= n; c /= n; d /= n; a = 0;
  } else a = Math.sqrt(1 - s);
  const qfac = h.pixdim[0] < 0 ? -1 : 1;
  const out = new Float64Array(16) as Affine;
  // gl-matrix's quaternion is (x, y, z, w) = (b, c, d, a).
  mat4.fromQuat(out, [b, c, d, a]);
  mat4.scale(out, out, [voxelSize(h.pixdim[1]), voxelSize(h.pixdim[2]), qfac * voxelSize(h.pixdim[3])]);
  out[12] = h.qoffset[0]; out[13] = h.qoffset[1]; out[14] = h.qoffset[2];
  return out;
}

/**
 * The voxel-to-world affine the NIfTI standard asks readers to use: the sform when sform_code > 0,
 * else the qform when qform_code > 0, else the pixdim diagonal (no orientation information).
 * World units are converted to mm.
 */
export function headerAffine(h: NiftiHeader, warnings: string[]): { affine: Affine; source: 'sform' | 'qform' | 'pixdim' } {
  let affine: Affine | null = null;
  let source: 'sform' | 'qform' | 'pixdim' = 'pixdim';
  if (h.sformCode > 0) {
    const a = sformAffine(h);
    if (usable(a)) { affine = a; source = 'sform'; } else warnings.push(`sform (code ${h.sformCode}) is singular or not finite; ignoring it`);
  }
  if (!affine && h.qformCode > 0) {
    const a = qformAffine(h);
    if (usable(a)) { affine = a; source = 'qform'; } else warnings.push(`qform (code ${h.qformCode}) is not finite; ignoring it`);
  }
  if (!affine) {
    warnings.push('no usable sform or qform: orientation unknown, assuming the voxel axes are RAS with pixdim spacing');
    const s = headerSpacing(h);
    return { affine: mat4.fromScaling(new Float64Array(16), s) as Affine, source };
  }
  const mm = unitToMm(h.spatialUnits);
  if (mm !== 1) for (let c = 0; c < 4; c++) for (let r = 0; r < 3; r++) affine[4 * c + r] *= mm;
  return { affine, source };
}

const PERMS: Vec3[] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

/**
 * Which world axis each voxel axis runs along. nibabel's io_orientation takes, per voxel axis, the
 * largest component of its unit direction, greedily; here the permutation maximising the sum of
 * those components is taken instead, which agrees for any affine near the axes and, unlike the
 * greedy pass, always yields a permutation for oblique ones.
 */
export function orientationOf(affine: Affine): Ornt {
  const unit = [0, 1, 2].map((c) => {
    const n = colNorm(affine, c) || 1;
    return [0, 1, 2].map((r) => affine[4 * c + r] / n);
  });
  let best = PERMS[0];
  let bestScore = -1;
  for (const p of PERMS) {
    const score = Math.abs(unit[0][p[0]]) + Math.abs(unit[1][p[1]]) + Math.abs(unit[2][p[2]]);
    if (score > bestScore + 1e-12) { best = p; bestScore = score; }
  }
  return {
    axis: [...best] as Vec3,
    flip: [0, 1, 2].map((c) => unit[c][best[c]] < 0) as [boolean, boolean, boolean],
  };
}

/** Axis codes as nibabel's aff2axcodes: the letter each voxel axis points towards, e.g. 'LPS'. */
export function axcodes(affine: Affine): string {
  const o = orientationOf(affine);
  return o.axis.map((w, c) => (o.flip[c] ? NEG : POS)[w]).join('');
}

/**
 * Permutes and flips a voxel array (x fastest) so that its axes run R, A, S; no resampling.
 * The affine is composed with the index map T (new voxel → old voxel), A' = A · T, so every
 * voxel keeps its world position.
 */
export function reorientToRAS(data: Float32Array, dims: Vec3, spacing: Vec3, affine: Affine): { data: Float32Array; dims: Vec3; spacing: Vec3; affine: Affine } {
  const o = orientationOf(affine);
  const src: Vec3 = [0, 0, 0]; // src[k]: the old voxel axis that becomes new axis k
  for (let c = 0; c < 3; c++) src[o.axis[c]] = c;
  const oldStride = [1, dims[0], dims[0] * dims[1]];
  const nd = src.map((a) => dims[a]) as Vec3;
  const step = src.map((a) => (o.flip[a] ? -oldStride[a] : oldStride[a]));
  const start = src.map((a) => (o.flip[a] ? (dims[a] - 1) * oldStride[a] : 0));

  const out = new Float32Array(data.length);
  let n = 0;
  for (let k = 0, pk = start[0] + start[1] + start[2]; k < nd[2]; k++, pk += step[2]) {
    for (let j = 0, pj = pk; j < nd[1]; j++, pj += step[1]) {
      for (let i = 0, p = pj; i < nd[0]; i++, p += step[0]) out[n++] = data[p];
    }
  }

  const t = new Float64Array(16);
  t[15] = 1;
  for (let k = 0; k < 3; k++) {
    const a = src[k];
    t[4 * k + a] = o.flip[a] ? -1 : 1;
    t[12 + a] = o.flip[a] ? dims[a] - 1 : 0;
  }
  const na = mat4.multiply(new Float64Array(16), affine, t) as Affine;
  return { data: out, dims: nd, spacing: src.map((a) => spacing[a]) as Vec3, affine: na };
}
