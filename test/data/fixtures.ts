// Test-only builders: NIfTI-1 files written field by field (either byte order), raw PNGs written
// chunk by chunk with node:zlib (independent of png.ts's encoder), and a seeded PRNG.
import { readFileSync } from 'node:fs';
import { gunzipSync, deflateSync } from 'node:zlib';
import { crc32 } from '../../models/data/png.ts';

export const root = new URL('../../', import.meta.url).pathname;
export const readData = (p: string) => new Uint8Array(readFileSync(root + p));
export const shippedNii = (name: string) => new Uint8Array(gunzipSync(readFileSync(`${root}data/ct/${name}`)));

/** mulberry32: a tiny seeded PRNG with a full 2^32 period, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Header fields by (offset, type), from nifti1.h: what must be swapped for the other byte order. */
export const NIFTI_FIELDS: [number, 'i32' | 'i16' | 'f32', number][] = [
  [0, 'i32', 1], [32, 'i32', 1], [36, 'i16', 1], [40, 'i16', 8], [56, 'f32', 3], [68, 'i16', 4],
  [76, 'f32', 8], [108, 'f32', 3], [120, 'i16', 1], [124, 'f32', 4], [140, 'i32', 2], [252, 'i16', 2],
  [256, 'f32', 18],
];

/** The same file in the other byte order: every numeric header field and every voxel swapped. */
export function swapEndian(nii: Uint8Array, bytesPerVoxel: number, voxOffset: number): Uint8Array {
  const out = nii.slice();
  const swap = (o: number, n: number) => { for (let i = 0; i < n; i++) out[o + i] = nii[o + n - 1 - i]; };
  for (const [off, t, count] of NIFTI_FIELDS) {
    const size = t === 'i16' ? 2 : 4;
    for (let k = 0; k < count; k++) swap(off + k * size, size);
  }
  for (let o = voxOffset; o + bytesPerVoxel <= nii.length; o += bytesPerVoxel) swap(o, bytesPerVoxel);
  return out;
}

export type NiftiSpec = {
  dims: number[];
  datatype: number;
  bytesPerVoxel: number;
  /** Stored values, written with the datatype's setter. */
  values: number[] | ArrayLike<number>;
  littleEndian?: boolean;
  pixdim?: number[];
  slope?: number;
  inter?: number;
  qform?: { code: number; quatern: number[]; qoffset: number[] };
  sform?: { code: number; rows: number[][] };
  voxOffset?: number;
  magic?: string;
};

const SETTERS: Record<number, (dv: DataView, o: number, v: number, le: boolean) => void> = {
  2: (dv, o, v) => dv.setUint8(o, v), 256: (dv, o, v) => dv.setInt8(o, v),
  4: (dv, o, v, le) => dv.setInt16(o, v, le), 512: (dv, o, v, le) => dv.setUint16(o, v, le),
  8: (dv, o, v, le) => dv.setInt32(o, v, le), 768: (dv, o, v, le) => dv.setUint32(o, v, le),
  16: (dv, o, v, le) => dv.setFloat32(o, v, le), 64: (dv, o, v, le) => dv.setFloat64(o, v, le),
};

export function makeNifti(s: NiftiSpec): Uint8Array {
  const le = s.littleEndian ?? true;
  const off = s.voxOffset ?? 352;
  const n = s.values.length;
  const out = new Uint8Array(off + n * s.bytesPerVoxel);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, le);
  const dim = [s.dims.length, ...s.dims, 1, 1, 1, 1, 1, 1, 1].slice(0, 8);
  dim.forEach((d, k) => dv.setInt16(40 + 2 * k, d, le));
  dv.setInt16(70, s.datatype, le);
  dv.setInt16(72, s.bytesPerVoxel * 8, le);
  (s.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1]).forEach((p, k) => dv.setFloat32(76 + 4 * k, p, le));
  dv.setFloat32(108, off, le);
  dv.setFloat32(112, s.slope ?? 1, le);
  dv.setFloat32(116, s.inter ?? 0, le);
  out[123] = 2; // mm
  if (s.qform) {
    dv.setInt16(252, s.qform.code, le);
    [...s.qform.quatern, ...s.qform.qoffset].forEach((v, k) => dv.setFloat32(256 + 4 * k, v, le));
  }
  if (s.sform) {
    dv.setInt16(254, s.sform.code, le);
    s.sform.rows.flat().forEach((v, k) => dv.setFloat32(280 + 4 * k, v, le));
  }
  const magic = s.magic ?? 'n+1\0';
  for (let i = 0; i < 4; i++) out[344 + i] = magic.charCodeAt(i);
  const set = SETTERS[s.datatype];
  for (let i = 0; i < n; i++) set(dv, off + i * s.bytesPerVoxel, s.values[i], le);
  return out;
}

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

/**
 * A PNG from samples (already at the file's bit depth, channels interleaved), unfiltered (filter
 * type 0 on every row), optionally Adam7-interlaced: the simplest correct writer, to check the
 * decoder against.
 */
export function rawPng(o: { width: number; height: number; colorType: number; depth: number; samples: ArrayLike<number>; interlace?: boolean; palette?: number[]; trns?: number[]; idatSplit?: number }): Uint8Array {
  const spp = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[o.colorType]!;
  const passes = o.interlace
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  const bytes: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < o.width; x += dx) xs.push(x);
    if (!xs.length) continue;
    for (let y = y0; y < o.height; y += dy) {
      bytes.push(0);
      let acc = 0, bits = 0;
      for (const x of xs) {
        for (let k = 0; k < spp; k++) {
          const v = o.samples[(y * o.width + x) * spp + k];
          if (o.depth === 16) bytes.push(v >> 8, v & 255);
          else if (o.depth === 8) bytes.push(v);
          else {
            acc = (acc << o.depth) | v; bits += o.depth;
            if (bits === 8) { bytes.push(acc); acc = 0; bits = 0; }
          }
        }
      }
      if (bits) bytes.push(acc << (8 - bits));
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, o.width); dv.setUint32(4, o.height);
  ihdr[8] = o.depth; ihdr[9] = o.colorType; ihdr[12] = o.interlace ? 1 : 0;
  const z = new Uint8Array(deflateSync(new Uint8Array(bytes)));
  const split = o.idatSplit ?? z.length;
  const idats: Uint8Array[] = [];
  for (let i = 0; i < z.length; i += split) idats.push(pngChunk('IDAT', z.subarray(i, i + split)));
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...(o.palette ? [pngChunk('PLTE', new Uint8Array(o.palette))] : []),
    ...(o.trns ? [pngChunk('tRNS', new Uint8Array(o.trns))] : []),
    ...idats,
    pngChunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Byte offsets of each chunk: [start, length, type]. */
export function pngChunks(png: Uint8Array): [number, number, string][] {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: [number, number, string][] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const len = dv.getUint32(at);
    out.push([at, len, String.fromCharCode(...png.subarray(at + 4, at + 8))]);
    at += 12 + len;
  }
  return out;
}

/** Recomputes every chunk's CRC, so a mutation reaches the parser instead of the checksum. */
export function fixPngCrcs(png: Uint8Array): void {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (const [at, len] of pngChunks(png)) {
    if (at + 12 + len > png.length) break;
    dv.setUint32(at + 8 + len, crc32(png, at + 4, at + 8 + len));
  }
}
