// PNG (ISO/IEC 15948) read and write, bytes in and out, for X-rays and saved figures. Reads every
// colour type and bit depth, Adam7 interlacing, all five filters; checks every chunk's CRC (the
// zlib stream's own Adler-32 is checked by the platform's inflater). Writes 8/16-bit gray, gray +
// alpha, RGB and RGBA.
import { BiudError } from '../../engine/errors.ts';
import { compress, decompress } from './gzip.ts';

export type PngImage = {
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA (palette images come out as 3 or 4). */
  channels: 1 | 2 | 3 | 4;
  /** 16-bit files give a Uint16Array; all others 8 bits (1, 2 and 4-bit gray scaled to 0..255). */
  bitDepth: 8 | 16;
  /** Row-major, channels interleaved. */
  data: Uint8Array | Uint16Array;
};

/** Refuse images whose decoded bytes exceed this: 1 GiB is 16k × 16k RGBA. */
export const MAX_PNG_BYTES = 2 ** 30;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel by colour type: 0 gray, 2 RGB, 3 palette index, 4 gray + alpha, 6 RGBA. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, reflected, polynomial 0xEDB88320) as PNG chunks use it. */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function notPng(bytes: Uint8Array): string {
  const at = (o: number, s: string) => bytes.length >= o + s.length && [...s].every((ch, i) => bytes[o + i] === ch.charCodeAt(0));
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'a JPEG file, not PNG';
  if (at(128, 'DICM')) return "DICOM detected ('DICM' at byte 128), not PNG";
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'a gzip file, not PNG';
  return 'not a PNG file (no PNG signature at byte 0)';
}

type Header = { width: number; height: number; depth: number; colorType: number; interlace: number };

export async function decodePng(input: Uint8Array | ArrayBuffer, opts: { name?: string } = {}): Promise<PngImage> {
  const name = opts.name ?? 'PNG';
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new BiudError(`${name}: ${notPng(bytes)}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let hdr: Header | null = null;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let ended = false;
  for (let at = 8; !ended; ) {
    if (at + 12 > bytes.length) throw new BiudError(`${name}: truncated: the file ends at byte ${bytes.length} inside a chunk header, before IEND`);
    const len = dv.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new BiudError(`${name}: corrupt chunk type ${JSON.stringify(type)} at byte ${at + 4}`);
    if (at + 12 + len > bytes.length) throw new BiudError(`${name}: truncated: chunk ${type} at byte ${at} says ${len} bytes but the file has ${bytes.length - at - 12} left`);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (crc32(bytes, at + 4, at + 8 + len) !== dv.getUint32(at + 8 + len)) {
      throw new BiudError(`${name}: CRC mismatch in chunk ${type} at byte ${at}: the file is damaged`);
    }
    if (!hdr && type !== 'IHDR') throw new BiudError(`${name}: the first chunk is ${type}, not IHDR`);
    switch (type) {
      case 'IHDR': hdr = readHeader(body, name); break;
      case 'PLTE':
        if (len % 3 || len === 0 || len > 768) throw new BiudError(`${name}: PLTE has ${len} bytes, not 3 per entry for 1..256 entries`);
        palette = body; break;
      case 'tRNS': trns = body; break;
      case 'IDAT': idat.push(body); idatBytes += len; break;
      case 'IEND': ended = true; break;
      default:
        // Bit 5 of the first letter set (lower case) marks a chunk a decoder may skip.
        if (!(bytes[at + 4] & 0x20)) throw new BiudError(`${name}: unknown critical chunk ${type}; cannot decode`);
    }
    at += 12 + len;
  }
  const h = hdr!;
  if (!idat.length) throw new BiudError(`${name}: no IDAT chunk (no image data)`);
  if (h.colorType === 3 && !palette) throw new BiudError(`${name}: palette image without a PLTE chunk`);

  const spp = SAMPLES[h.colorType];
  // Each pass is a sub-image of every dx-th pixel from x0 (dy-th row from y0); without interlacing, one pass of all.
  const passes = (h.interlace ? ADAM7 : [[0, 0, 1, 1]]).map(([x0, y0, dx, dy]) => ({
    x0, y0, dx, dy, w: Math.ceil(Math.max(0, h.width - x0) / dx), h: Math.ceil(Math.max(0, h.height - y0) / dy),
  })).filter((p) => p.w && p.h);
  let rawBytes = 0;
  for (const p of passes) rawBytes += p.h * (1 + rowBytes(p.w, spp, h.depth));
  const outBytes = h.width * h.height * (h.colorType === 3 ? 4 : spp) * (h.depth === 16 ? 2 : 1);
  if (Math.max(rawBytes, outBytes) > MAX_PNG_BYTES) {
    throw new BiudError(`${name}: ${h.width}×${h.height} image is ${Math.max(rawBytes, outBytes)} bytes decoded, over the ${MAX_PNG_BYTES}-byte limit`);
  }
  const zdata = idat.length === 1 ? idat[0] : concat(idat, idatBytes);
  const raw = await decompress(zdata, 'deflate', { what: `${name}: image data (IDAT)`, maxBytes: rawBytes }).catch((err) => {
    if (err instanceof BiudError && /more than/.test(err.message)) {
      throw new BiudError(`${name}: IDAT inflates to more than the ${rawBytes} bytes a ${h.width}×${h.height} image needs: corrupt header or data`);
    }
    throw err;
  });
  if (raw.length < rawBytes) throw new BiudError(`${name}: truncated image data: IDAT inflates to ${raw.length} bytes, the ${h.width}×${h.height} image needs ${rawBytes}`);

  const samples = h.depth === 16 ? new Uint16Array(h.width * h.height * spp) : new Uint8Array(h.width * h.height * spp);
  let off = 0;
  for (const p of passes) {
    off = unfilterPass(raw, off, p.w, p.h, spp, h.depth, name, (x, y, k, v) => {
      samples[((p.y0 + y * p.dy) * h.width + p.x0 + x * p.dx) * spp + k] = v;
    });
  }
  return finish(h, samples, palette, trns, name);
}

function readHeader(b: Uint8Array, name: string): Header {
  if (b.length !== 13) throw new BiudError(`${name}: IHDR has ${b.length} bytes, not 13`);
  const dv = new DataView(b.buffer, b.byteOffset, 13);
  const h = { width: dv.getUint32(0), height: dv.getUint32(4), depth: b[8], colorType: b[9], interlace: b[12] };
  if (!h.width || !h.height || h.width > 2 ** 31 - 1 || h.height > 2 ** 31 - 1) throw new BiudError(`${name}: IHDR size ${h.width}×${h.height} is invalid`);
  if (!DEPTHS[h.colorType]) throw new BiudError(`${name}: IHDR colour type ${h.colorType} is invalid (0, 2, 3, 4 or 6)`);
  if (!DEPTHS[h.colorType].includes(h.depth)) throw new BiudError(`${name}: IHDR bit depth ${h.depth} is invalid for colour type ${h.colorType} (allowed: ${DEPTHS[h.colorType].join(', ')})`);
  if (b[10] !== 0 || b[11] !== 0) throw new BiudError(`${name}: IHDR compression ${b[10]} / filter method ${b[11]} unknown (only 0 is defined)`);
  if (h.interlace > 1) throw new BiudError(`${name}: IHDR interlace method ${h.interlace} unknown (0 none, 1 Adam7)`);
  return h;
}

function rowBytes(w: number, spp: number, depth: number): number {
  return Math.ceil((w * spp * depth) / 8);
}

/**
 * Undoes the per-row filters of one (sub)image in place and hands out its samples. With a = the
 * byte one pixel to the left, b = above, c = above-left: Sub adds a, Up adds b, Average adds
 * ⌊(a + b)/2⌋, Paeth adds whichever of a, b, c is closest to a + b − c (ties in that order).
 */
function unfilterPass(raw: Uint8Array, off: number, w: number, hgt: number, spp: number, depth: number, name: string,
  put: (x: number, y: number, s: number, v: number) => void): number {
  const stride = rowBytes(w, spp, depth);
  const bpp = Math.max(1, (spp * depth) >> 3);
  let prev: Uint8Array = new Uint8Array(stride);
  for (let y = 0; y < hgt; y++) {
    const ft = raw[off];
    const row = raw.subarray(off + 1, off + 1 + stride);
    switch (ft) {
      case 0: break;
      case 1: for (let i = bpp; i < stride; i++) row[i] = row[i] + row[i - bpp]; break;
      case 2: for (let i = 0; i < stride; i++) row[i] = row[i] + prev[i]; break;
      case 3:
        for (let i = 0; i < stride; i++) row[i] = row[i] + (((i >= bpp ? row[i - bpp] : 0) + prev[i]) >> 1);
        break;
      case 4:
        for (let i = 0; i < stride; i++) row[i] = row[i] + paeth(i >= bpp ? row[i - bpp] : 0, prev[i], i >= bpp ? prev[i - bpp] : 0);
        break;
      default: throw new BiudError(`${name}: row ${y} has filter type ${ft}, not 0..4: corrupt image data`);
    }
    const n = w * spp;
    if (depth === 8) for (let k = 0; k < n; k++) put((k / spp) | 0, y, k % spp, row[k]);
    else if (depth === 16) for (let k = 0; k < n; k++) put((k / spp) | 0, y, k % spp, (row[2 * k] << 8) | row[2 * k + 1]);
    else {
      const mask = (1 << depth) - 1;
      for (let k = 0; k < n; k++) {
        const bit = k * depth;
        put((k / spp) | 0, y, k % spp, (row[bit >> 3] >> (8 - depth - (bit & 7))) & mask);
      }
    }
    prev = row;
    off += 1 + stride;
  }
  return off;
}

/** Palette → RGB(A), 1/2/4-bit gray → 0..255. tRNS for gray/RGB (one transparent colour) is ignored. */
function finish(h: Header, samples: Uint8Array | Uint16Array, palette: Uint8Array | null, trns: Uint8Array | null, name: string): PngImage {
  const { width, height } = h;
  const bitDepth = h.depth === 16 ? 16 : 8;
  if (h.colorType === 3) {
    const pal = palette!;
    const entries = pal.length / 3;
    const ch = trns ? 4 : 3;
    const out = new Uint8Array(width * height * ch);
    for (let p = 0; p < width * height; p++) {
      const i = samples[p];
      if (i >= entries) throw new BiudError(`${name}: pixel ${p % width},${Math.floor(p / width)} uses palette index ${i} but PLTE has ${entries} entries`);
      out[p * ch] = pal[3 * i]; out[p * ch + 1] = pal[3 * i + 1]; out[p * ch + 2] = pal[3 * i + 2];
      if (trns) out[p * ch + 3] = i < trns.length ? trns[i] : 255;
    }
    return { width, height, channels: ch, bitDepth: 8, data: out };
  }
  if (h.depth < 8) {
    const scale = 255 / ((1 << h.depth) - 1);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(samples[i] * scale);
  }
  return { width, height, channels: SAMPLES[h.colorType] as 1 | 2 | 3 | 4, bitDepth, data: samples };
}

/**
 * Gray level in [0, 1] per pixel. Colour is reduced with Rec. 601 luma (0.299 R + 0.587 G +
 * 0.114 B, what PIL's convert('L') does, which X-ray datasets were mostly prepared with); alpha is ignored.
 */
export function pngToGray(img: PngImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  const ch = img.channels;
  const inv = 1 / (img.bitDepth === 16 ? 65535 : 255);
  if (ch <= 2) for (let p = 0; p < n; p++) out[p] = d[p * ch] * inv;
  else for (let p = 0; p < n; p++) out[p] = (0.299 * d[p * ch] + 0.587 * d[p * ch + 1] + 0.114 * d[p * ch + 2]) * inv;
  return out;
}

export type EncodeOptions = {
  /** One filter for every row, or per row the one with the smallest sum of |signed bytes| (libpng's heuristic). */
  filter?: 0 | 1 | 2 | 3 | 4 | 'adaptive';
};

/** Writes a non-interlaced PNG; bit depth follows the array type (Uint8Array 8, Uint16Array 16). */
export async function encodePng(img: { width: number; height: number; channels: 1 | 2 | 3 | 4; data: Uint8Array | Uint16Array }, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const { width, height, channels, data } = img;
  const depth = data instanceof Uint16Array ? 16 : 8;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new BiudError(`encodePng: invalid size ${width}×${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new BiudError(`encodePng: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) throw new BiudError(`encodePng: data has ${data.length} samples, ${width}×${height}×${channels} needs ${width * height * channels}`);
  const bpp = (channels * depth) / 8;
  const stride = width * bpp;
  // Samples as big-endian bytes, the order PNG stores them in.
  const pix = new Uint8Array(height * stride);
  if (depth === 8) pix.set(data);
  else for (let i = 0; i < data.length; i++) { pix[2 * i] = data[i] >> 8; pix[2 * i + 1] = data[i] & 0xff; }

  const raw = new Uint8Array(height * (stride + 1));
  const cand = new Uint8Array(stride);
  const zero = new Uint8Array(stride);
  const types = opts.filter === undefined || opts.filter === 'adaptive' ? [0, 1, 2, 3, 4] : [opts.filter];
  for (let y = 0; y < height; y++) {
    const row = pix.subarray(y * stride, (y + 1) * stride);
    const prev = y ? pix.subarray((y - 1) * stride, y * stride) : zero;
    let best = Infinity;
    for (const ft of types) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
        const pred = ft === 0 ? 0 : ft === 1 ? a : ft === 2 ? b : ft === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (row[i] - pred) & 0xff;
        cand[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < best) {
        best = cost;
        raw[y * (stride + 1)] = ft;
        raw.set(cand, y * (stride + 1) + 1);
      }
    }
  }

  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width); hv.setUint32(4, height);
  ihdr[8] = depth; ihdr[9] = [0, 0, 4, 2, 6][channels];
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', await compress(raw, 'deflate')), chunk('IEND', new Uint8Array(0))];
  return concat([new Uint8Array(SIGNATURE), ...chunks], 8 + chunks.reduce((s, c) => s + c.length, 0));
}

function paeth(a: number, b: number, c: number): number {
  const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
