// The 348-byte NIfTI-1 header (nifti1.h): parsing and validation. Offsets below are the standard's;
// the byte order is whichever makes sizeof_hdr read 348.
import { BiudError } from '../../engine/errors.ts';
import { isGzip } from './gzip.ts';

export const NIFTI1_HEADER_BYTES = 348;

/** Datatypes we read, by NIfTI code: name and bytes per voxel. */
export const NIFTI_DATATYPES = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
} as const;
export type NiftiDatatypeName = (typeof NIFTI_DATATYPES)[keyof typeof NIFTI_DATATYPES]['name'];

/** Datatypes the standard defines but a CT reader has no use for: named so the error can say which. */
const UNSUPPORTED_DATATYPES: Record<number, string> = {
  0: 'unknown', 1: 'binary (1 bit)', 32: 'complex64', 128: 'rgb24', 1024: 'int64', 1280: 'uint64',
  1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'rgba32',
};

export type NiftiHeader = {
  littleEndian: boolean;
  magic: 'n+1' | 'ni1';
  /** dim[0] is the number of dimensions, dim[1..dim[0]] their sizes. */
  dim: number[];
  datatype: keyof typeof NIFTI_DATATYPES;
  datatypeName: NiftiDatatypeName;
  bytesPerVoxel: number;
  bitpix: number;
  /** pixdim[0] is qfac (the sign of the qform's z axis); pixdim[1..3] the voxel size. */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  /** Spatial unit code (xyzt_units & 7): 0 unknown, 1 metre, 2 mm, 3 micron. */
  spatialUnits: number;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** Rows of the sform's 3x4 matrix. */
  srow: [number[], number[], number[]];
  descrip: string;
};

export type ParsedHeader = { header: NiftiHeader; warnings: string[] };

function ascii(bytes: Uint8Array, from: number, len: number): string {
  let s = '';
  for (let i = from; i < from + len && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Says what the bytes are when they are not NIfTI-1, or null when they may be. */
function otherFormat(bytes: Uint8Array): string | null {
  if (bytes.length >= 132 && ascii(bytes, 128, 4) === 'DICM') {
    return "not a NIfTI file: DICOM detected ('DICM' at byte 128); convert the series to NIfTI first (e.g. dcm2niix)";
  }
  if (isGzip(bytes)) return 'gzip-compressed; decompress it first (readNifti does this)';
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') return 'not a NIfTI file: a PNG image';
  return null;
}

/**
 * Reads and checks the header. Throws BiudError naming the field when the file cannot be a
 * readable NIfTI-1 volume; returns warnings for oddities that do not stop reading.
 */
export function parseNiftiHeader(bytes: Uint8Array, name = 'file'): ParsedHeader {
  const other = otherFormat(bytes);
  if (other) throw new BiudError(`${name}: ${other}`);
  if (bytes.length < NIFTI1_HEADER_BYTES) {
    throw new BiudError(`${name}: truncated: a NIfTI-1 header is ${NIFTI1_HEADER_BYTES} bytes but the file has ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLE = dv.getInt32(0, true);
  const sizeBE = dv.getInt32(0, false);
  const le = sizeLE === 348 ? true : sizeBE === 348 ? false : null;
  if (le === null) {
    if (sizeLE === 540 || sizeBE === 540) throw new BiudError(`${name}: NIfTI-2 header (sizeof_hdr 540) is not supported; convert to NIfTI-1 (e.g. nibabel's Nifti1Image)`);
    throw new BiudError(`${name}: not a NIfTI-1 file: sizeof_hdr is ${sizeLE} (expected 348 in either byte order)`);
  }
  const i16 = (o: number) => dv.getInt16(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const warnings: string[] = [];

  const magicStr = ascii(bytes, 344, 4);
  if (magicStr === 'ni1') {
    throw new BiudError(`${name}: a two-file NIfTI header (magic 'ni1'): the voxels live in a separate .img file; convert it to a single .nii (e.g. fslchfiletype NIFTI_GZ)`);
  }
  if (magicStr !== 'n+1') {
    throw new BiudError(`${name}: bad NIfTI-1 magic ${JSON.stringify(ascii(bytes, 344, 3))} at byte 344 (expected 'n+1'); an Analyze 7.5 file or a damaged header`);
  }

  const dim = Array.from({ length: 8 }, (_, k) => i16(40 + 2 * k));
  if (dim[0] < 1 || dim[0] > 7) throw new BiudError(`${name}: header field dim[0] = ${dim[0]}, must be 1..7 (number of dimensions)`);
  for (let k = 1; k <= dim[0]; k++) {
    if (dim[k] < 1) throw new BiudError(`${name}: header field dim[${k}] = ${dim[k]}, must be positive`);
  }
  // Unused dimensions are 1 by convention; some writers leave 0 or junk there.
  for (let k = dim[0] + 1; k < 8; k++) dim[k] = 1;

  const code = i16(70);
  const dt = (NIFTI_DATATYPES as Record<number, { name: NiftiDatatypeName; bytes: number }>)[code];
  if (!dt) {
    const known = UNSUPPORTED_DATATYPES[code];
    const supported = Object.values(NIFTI_DATATYPES).map((d) => d.name).join(', ');
    throw new BiudError(`${name}: datatype ${code} (${known ?? 'not a NIfTI datatype code'}) is not supported; supported: ${supported}`);
  }
  const bitpix = i16(72);
  if (bitpix !== dt.bytes * 8) warnings.push(`bitpix ${bitpix} disagrees with datatype ${dt.name} (${dt.bytes * 8} bits); trusting the datatype`);

  const pixdim = Array.from({ length: 8 }, (_, k) => f32(76 + 4 * k));
  const voxOffset = f32(108);
  if (!Number.isFinite(voxOffset) || voxOffset !== Math.floor(voxOffset)) {
    throw new BiudError(`${name}: header field vox_offset = ${voxOffset}, must be a whole number of bytes`);
  }
  if (voxOffset < 352) throw new BiudError(`${name}: header field vox_offset = ${voxOffset}; a single-file NIfTI-1 keeps its voxels at byte 352 or later`);
  if (voxOffset > bytes.length) {
    throw new BiudError(`${name}: truncated: vox_offset is ${voxOffset} but the file has only ${bytes.length} bytes`);
  }

  let sclSlope = f32(112);
  let sclInter = f32(116);
  // nifti1.h: "If the scl_slope field is nonzero, then each voxel value is scaled". Zero (and
  // non-finite, as nibabel treats it) means the stored values are used as they are.
  if (sclSlope === 0 || !Number.isFinite(sclSlope)) {
    if (sclSlope !== 0) warnings.push(`scl_slope is ${sclSlope}; treating it as 'no scaling'`);
    sclSlope = 1;
    sclInter = 0;
  } else if (!Number.isFinite(sclInter)) {
    warnings.push(`scl_inter is ${sclInter}; using 0`);
    sclInter = 0;
  }

  const srow: [number[], number[], number[]] = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f32(280 + 16 * r + 4 * c))) as [number[], number[], number[]];
  const header: NiftiHeader = {
    littleEndian: le,
    magic: 'n+1',
    dim,
    datatype: code as keyof typeof NIFTI_DATATYPES,
    datatypeName: dt.name,
    bytesPerVoxel: dt.bytes,
    bitpix,
    pixdim,
    voxOffset,
    sclSlope,
    sclInter,
    spatialUnits: bytes[123] & 7,
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow,
    descrip: ascii(bytes, 148, 80),
  };
  return { header, warnings };
}
