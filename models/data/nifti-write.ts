// NIfTI-1 writing, for volumes the project makes itself (`biud cohort --format nifti`: the
// procedural cohort as files a CT tool or `biud train --volumes` can read). The reader
// (nifti.ts) takes every variant the format allows; the writer makes one: a single .nii file,
// signed 16-bit Hounsfield units (CT's own range and what CT-RATE ships), little-endian, and an
// sform that is the voxel spacing on the diagonal with the volume's centre at the origin, so the
// voxel axes are R, A, S as the procedural chest is stored.
import { BiudError } from '../../engine/errors.ts';
import type { Vec3 } from './orientation.ts';

const HEADER = 348;
/** The header, four bytes of extension flags (none), then the voxels. */
const VOX_OFFSET = 352;
const DT_INT16 = 4;
const NIFTI_XFORM_SCANNER_ANAT = 1;

export interface NiftiToWrite {
  /** Hounsfield units, x fastest: dims[0] · dims[1] · dims[2] values. */
  data: Float32Array;
  /** Voxels per axis [x, y, z]; +x toward the patient's right (R), +y anterior (A), +z superior (S). */
  dims: Vec3;
  /** Voxel size in mm [x, y, z]. */
  spacing: Vec3;
  /** Up to 80 characters in the header's description field. */
  description?: string;
}

/** .nii bytes (not compressed; `gzip` from gzip.ts makes the .nii.gz). Values are rounded to whole HU and clamped to int16. */
export function writeNifti(v: NiftiToWrite): Uint8Array {
  const n = v.dims[0] * v.dims[1] * v.dims[2];
  if (!v.dims.every((d) => Number.isInteger(d) && d >= 1 && d <= 32767)) throw new BiudError(`writeNifti: dims must be integers in [1, 32767], got [${v.dims.join(', ')}]`);
  if (!v.spacing.every((s) => Number.isFinite(s) && s > 0)) throw new BiudError(`writeNifti: spacing must be positive, got [${v.spacing.join(', ')}]`);
  if (v.data.length !== n) throw new BiudError(`writeNifti: ${v.data.length} values for dims [${v.dims.join(', ')}] (${n} voxels)`);
  const out = new Uint8Array(VOX_OFFSET + 2 * n);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, HEADER, true);
  [3, ...v.dims, 1, 1, 1, 1].forEach((d, k) => dv.setInt16(40 + 2 * k, d, true));
  dv.setInt16(70, DT_INT16, true);
  dv.setInt16(72, 16, true);
  // pixdim[0] is qfac (1: a right-handed voxel frame), then the spacings; the rest unused.
  [1, ...v.spacing, 1, 1, 1, 1].forEach((p, k) => dv.setFloat32(76 + 4 * k, p, true));
  dv.setFloat32(108, VOX_OFFSET, true);
  dv.setFloat32(112, 1, true); // scl_slope
  dv.setFloat32(116, 0, true); // scl_inter
  out[123] = 2; // xyzt_units: millimetres
  const text = (v.description ?? '').slice(0, 79);
  for (let i = 0; i < text.length; i++) out[148 + i] = text.charCodeAt(i) & 0x7f;
  dv.setInt16(254, NIFTI_XFORM_SCANNER_ANAT, true); // sform_code (qform_code 0: the sform alone places the voxels)
  // srow_x, srow_y, srow_z: world mm = diag(spacing) · index + offset, the centre voxel at 0.
  for (let a = 0; a < 3; a++) {
    const row = [0, 0, 0, -((v.dims[a] - 1) / 2) * v.spacing[a]];
    row[a] = v.spacing[a];
    row.forEach((x, k) => dv.setFloat32(280 + 16 * a + 4 * k, x, true));
  }
  'n+1\0'.split('').forEach((c, i) => (out[344 + i] = c.charCodeAt(0)));
  for (let i = 0; i < n; i++) {
    const hu = Math.round(v.data[i]);
    if (!Number.isFinite(hu)) throw new BiudError(`writeNifti: voxel ${i} is ${v.data[i]}; only finite values can be stored`);
    dv.setInt16(VOX_OFFSET + 2 * i, Math.max(-32768, Math.min(32767, hu)), true);
  }
  return out;
}
