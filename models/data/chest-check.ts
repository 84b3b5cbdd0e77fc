// "Does this look like a chest CT?" A heuristic for a warning, never an error: a chest CT has large
// air-filled lungs inside the body over a long head-foot extent; an abdomen, a head or a phantom
// of something else does not.
import { orientationOf, type Affine, type Vec3 } from './orientation.ts';

/** Soft tissue and bone are above this; air and lung below. */
const BODY_HU = -500;
/** Aerated lung parenchyma (outside air is ≈ −1000, below the range). */
const LUNG_HU: [number, number] = [-950, -600];
/** Thresholds, chosen on the shipped volumes: the two chest scans have 17.5% and 19.2% aerated lung
 * inside the body over 168 and 333 mm; the abdomen (its top slices catch the lung bases) has 3.8%
 * over 90 mm. A whole-chest scan covers ~250–350 mm. */
const MIN_LUNG_FRACTION = 0.08;
const MIN_Z_EXTENT_MM = 120;

export type ChestMetrics = {
  /** Head-foot extent of the volume in mm. */
  zExtentMm: number;
  /** Voxels in the lung HU range / voxels inside the body outline. */
  lungFraction: number;
  /** Voxels inside the body outline (of those looked at). */
  bodyVoxels: number;
};

type VolumeLike = { data: Float32Array; dims: Vec3; spacing: Vec3; affine: Affine };

/**
 * Per axial slice, the body outline is taken as the voxels that lie between the first and last
 * tissue voxel (> −500 HU) both along their row and along their column: a cheap stand-in for
 * filling the body mask's holes, which are the lungs we look for. Outside air never counts.
 */
export function chestMetrics(vol: VolumeLike): ChestMetrics {
  const { data, dims, spacing } = vol;
  const zAxis = orientationOf(vol.affine).axis.indexOf(2);
  const [uAxis, vAxis] = [0, 1, 2].filter((a) => a !== zAxis);
  const stride = [1, dims[0], dims[0] * dims[1]];
  // Large volumes are looked at on every step-th voxel along each axis (about 8 M voxels at most):
  // a ratio of two volumes hardly changes, and it keeps a 512×512×300 scan under 100 ms.
  const step = Math.max(1, Math.round(Math.cbrt(data.length / 8e6)));
  const nu = Math.ceil(dims[uAxis] / step), nv = Math.ceil(dims[vAxis] / step), nz = Math.ceil(dims[zAxis] / step);
  const su = stride[uAxis] * step, sv = stride[vAxis] * step, sz = stride[zAxis] * step;
  const rowLo = new Int32Array(nv), rowHi = new Int32Array(nv);
  const colLo = new Int32Array(nu), colHi = new Int32Array(nu);
  let body = 0, lung = 0;
  for (let z = 0; z < nz; z++) {
    rowLo.fill(nu); rowHi.fill(-1); colLo.fill(nv); colHi.fill(-1);
    for (let v = 0; v < nv; v++) {
      for (let u = 0; u < nu; u++) {
        if (data[z * sz + v * sv + u * su] > BODY_HU) {
          if (u < rowLo[v]) rowLo[v] = u;
          rowHi[v] = u;
          if (v < colLo[u]) colLo[u] = v;
          colHi[u] = v;
        }
      }
    }
    for (let v = 0; v < nv; v++) {
      for (let u = rowLo[v]; u <= rowHi[v]; u++) {
        if (v < colLo[u] || v > colHi[u]) continue;
        body++;
        const x = data[z * sz + v * sv + u * su];
        if (x >= LUNG_HU[0] && x <= LUNG_HU[1]) lung++;
      }
    }
  }
  return { zExtentMm: dims[zAxis] * spacing[zAxis], lungFraction: body ? lung / body : 0, bodyVoxels: body };
}

/** Warnings (possibly none) saying why the volume may not be a chest CT. */
export function chestWarnings(vol: VolumeLike): string[] {
  const m = chestMetrics(vol);
  const why: string[] = [];
  if (m.lungFraction < MIN_LUNG_FRACTION) {
    why.push(`only ${(100 * m.lungFraction).toFixed(1)}% of the body is aerated lung ([${LUNG_HU.join(', ')}] HU; a chest CT has ≥ ${100 * MIN_LUNG_FRACTION}%)`);
  }
  if (m.zExtentMm < MIN_Z_EXTENT_MM) {
    why.push(`the head-foot extent is ${m.zExtentMm.toFixed(0)} mm (a chest CT covers ≥ ${MIN_Z_EXTENT_MM} mm)`);
  }
  return why.length ? [`non-chest volume? ${why.join('; ')}. The model expects a chest CT.`] : [];
}
