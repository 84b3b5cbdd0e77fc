// NIfTI-1 volumes (.nii, .nii.gz) to Float32 Hounsfield units. Bytes in, no file system, so the
// same code serves the CLI and the browser. Header details in nifti-header.ts, affines in orientation.ts.
import { BiudError } from '../../engine/errors.ts';
import { gunzip, isGzip } from './gzip.ts';
import { parseNiftiHeader, type NiftiHeader, type NiftiDatatypeName } from './nifti-header.ts';
import { axcodes, headerAffine, headerSpacing, reorientToRAS, type Affine, type Vec3 } from './orientation.ts';
import { chestWarnings } from './chest-check.ts';

/** Largest voxel block we agree to hold: the raw bytes and their Float32 copy both live in memory. */
export const MAX_VOXEL_BYTES = 2 ** 31;

export type NiftiVolume = {
  /** Voxels per axis, [x, y, z], x fastest in `data`. */
  dims: Vec3;
  /** Voxel size in mm along each axis of `data`. */
  spacing: Vec3;
  /** Voxel index → world RAS mm, 4x4 column-major (gl-matrix layout). */
  affine: Affine;
  /** Where the voxel axes of `data` point, e.g. 'LPS'; 'RAS' after toRAS. */
  orientation: string;
  /** Which header transform gave the affine. */
  affineSource: 'sform' | 'qform' | 'pixdim';
  datatype: NiftiDatatypeName;
  /** Stored value · scl_slope + scl_inter: Hounsfield units for CT. */
  data: Float32Array;
  warnings: string[];
  header: NiftiHeader;
};

export type ReadNiftiOptions = {
  /** Names the input in messages (the file name). */
  name?: string;
  /** Run the "does this look like a chest CT" heuristic and add its warning (default true). */
  chestCheck?: boolean;
};

/** Reads .nii or .nii.gz bytes (gzip is recognised by its magic, not by the name). */
export async function readNifti(input: Uint8Array | ArrayBuffer, opts: ReadNiftiOptions = {}): Promise<NiftiVolume> {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (isGzip(bytes)) bytes = await gunzip(bytes, { what: opts.name ?? 'input', maxBytes: MAX_VOXEL_BYTES + 1024 * 1024 });
  return parseNifti(bytes, opts);
}

/** Reads an uncompressed .nii already in memory. */
export function parseNifti(bytes: Uint8Array, opts: ReadNiftiOptions = {}): NiftiVolume {
  const name = opts.name ?? 'input';
  const { header: h, warnings } = parseNiftiHeader(bytes, name);

  // Sizes as doubles: a product of seven int16s cannot overflow a double's exponent, only its
  // integer precision, and anything that large is refused anyway.
  let count = 1;
  for (let k = 1; k <= h.dim[0]; k++) count *= h.dim[k];
  const bytesNeeded = count * h.bytesPerVoxel;
  const dims: Vec3 = [h.dim[1], h.dim[2], h.dim[3]];
  const n3 = dims[0] * dims[1] * dims[2];
  // The stored block and the Float32 copy of the first volume must each fit.
  const footprint = Math.max(bytesNeeded, 4 * n3);
  if (footprint > MAX_VOXEL_BYTES) {
    throw new BiudError(`${name}: dims product overflows memory: dim ${h.dim.slice(1, h.dim[0] + 1).join('×')} of ${h.datatypeName} needs ${footprint} bytes, over the ${MAX_VOXEL_BYTES}-byte limit; crop or downsample the volume first`);
  }
  const have = bytes.length - h.voxOffset;
  if (bytesNeeded > have) {
    throw new BiudError(`${name}: truncated: header says ${bytesNeeded} bytes of voxels from offset ${h.voxOffset} but the file has ${have}; the file is cut short or its dim field is wrong`);
  }

  if (count > n3) warnings.push(`${h.dim[0]}-D volume (${count / n3} volumes of ${dims.join('×')}): using the first`);
  const data = decodeVoxels(bytes, h, n3);
  const { affine, source } = headerAffine(h, warnings);
  const vol: NiftiVolume = {
    dims,
    spacing: headerSpacing(h),
    affine,
    orientation: axcodes(affine),
    affineSource: source,
    datatype: h.datatypeName,
    data,
    warnings,
    header: h,
  };
  // Integers stay finite unless scaling pushes them past float32's range.
  const canOverflow = h.datatypeName.startsWith('float') || h.sclSlope !== 1 || h.sclInter !== 0;
  const bad = canOverflow ? countNonFinite(data) : 0;
  if (bad) warnings.push(`${bad} voxels are NaN or infinite; statistics skip them`);
  if (opts.chestCheck ?? true) warnings.push(...chestWarnings(vol));
  return vol;
}

const nativeLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TYPED = {
  uint8: Uint8Array, int8: Int8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array,
} as const;

/** Stored values → Float32 with scl_slope/scl_inter applied; handles either byte order. */
function decodeVoxels(bytes: Uint8Array, h: NiftiHeader, n: number): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + h.voxOffset, n * h.bytesPerVoxel);
  const le = h.littleEndian;
  const get: (o: number) => number = {
    uint8: (o: number) => dv.getUint8(o),
    int8: (o: number) => dv.getInt8(o),
    int16: (o: number) => dv.getInt16(o * 2, le),
    uint16: (o: number) => dv.getUint16(o * 2, le),
    int32: (o: number) => dv.getInt32(o * 4, le),
    uint32: (o: number) => dv.getUint32(o * 4, le),
    float32: (o: number) => dv.getFloat32(o * 4, le),
    float64: (o: number) => dv.getFloat64(o * 8, le),
  }[h.datatypeName];
  const { sclSlope: m, sclInter: b } = h;
  const off = bytes.byteOffset + h.voxOffset;
  // Fast path: a native-order, aligned block can be viewed as its typed array directly.
  if (le === nativeLittleEndian && off % h.bytesPerVoxel === 0) {
    const view = new TYPED[h.datatypeName](bytes.buffer as ArrayBuffer, off, n);
    const out = new Float32Array(n);
    // TypedArray.set converts natively: ~3x faster than a loop or the Float32Array constructor.
    if (m === 1 && b === 0) { out.set(view); return out; }
    for (let i = 0; i < n; i++) out[i] = view[i] * m + b;
    return out;
  }
  const out = new Float32Array(n);
  if (m === 1 && b === 0) for (let i = 0; i < n; i++) out[i] = get(i);
  else for (let i = 0; i < n; i++) out[i] = get(i) * m + b;
  return out;
}

function countNonFinite(data: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  return bad;
}

/** The same volume with its axes permuted and flipped to R, A, S (no resampling). */
export function toRAS(vol: NiftiVolume): NiftiVolume {
  if (vol.orientation === 'RAS') return vol;
  const r = reorientToRAS(vol.data, vol.dims, vol.spacing, vol.affine);
  return { ...vol, ...r, orientation: axcodes(r.affine) };
}

export type VolumeStats = { min: number; max: number; mean: number; count: number };

/** Min, max and mean over the finite voxels (mean accumulated in doubles). */
export function volumeStats(data: Float32Array): VolumeStats {
  let min = Infinity, max = -Infinity, sum = 0, count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    count++;
  }
  return count ? { min, max, mean: sum / count, count } : { min: NaN, max: NaN, mean: NaN, count };
}
