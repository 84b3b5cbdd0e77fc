// The safetensors format: 8-byte little-endian header length, a JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } },
// then the raw little-endian bytes. Read and written on the CPU; checkpoints and fixtures.
import { BiudError } from './errors.ts';

export type SafeDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** The raw bytes (little-endian). */
  bytes: Uint8Array;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const ITEM: Record<SafeDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Parse a safetensors file. `what` names it in errors. */
export function readSafetensors(buf: Uint8Array, what = 'safetensors file'): SafeFile {
  if (buf.byteLength < 8) throw new BiudError(`${what}: ${buf.byteLength} bytes is too short for a safetensors header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > buf.byteLength - 8 || hlen > 100_000_000) {
    throw new BiudError(`${what}: header length ${hlen} runs past the end of the file (${buf.byteLength} bytes): not a safetensors file, or truncated`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new BiudError(`${what}: the header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new BiudError(`${what}: the header is not a JSON object`);
  const data = buf.subarray(8 + hlen);
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e.dtype !== 'string' || !(e.dtype in ITEM)) throw new BiudError(`${what}: tensor "${name}" has an unknown dtype ${JSON.stringify(e?.dtype)}`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new BiudError(`${what}: tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x)) || off[0] < 0 || off[1] < off[0] || off[1] > data.byteLength) {
      throw new BiudError(`${what}: tensor "${name}" has data_offsets ${JSON.stringify(off)} outside the ${data.byteLength} data bytes (truncated file?)`);
    }
    const shape = e.shape as number[];
    const dtype = e.dtype as SafeDType;
    const want = shape.reduce((p, d) => p * d, 1) * ITEM[dtype];
    if (off[1] - off[0] !== want) throw new BiudError(`${what}: tensor "${name}" [${shape}] ${dtype} needs ${want} bytes, its offsets span ${off[1] - off[0]}`);
    tensors.set(name, { dtype, shape, bytes: data.subarray(off[0], off[1]) });
  }
  return { tensors, metadata };
}

/** A tensor's values as float32 (F32, F16, BF16, F64 and integer types convert). */
export function toFloat32(t: SafeTensor): Float32Array {
  const b = t.bytes;
  const n = b.byteLength / ITEM[t.dtype];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (t.dtype) {
      case 'F32': out[i] = dv.getFloat32(4 * i, true); break;
      case 'F64': out[i] = dv.getFloat64(8 * i, true); break;
      case 'F16': out[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
      case 'BF16': out[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0]; break;
      case 'I64': out[i] = Number(dv.getBigInt64(8 * i, true)); break;
      case 'I32': out[i] = dv.getInt32(4 * i, true); break;
      case 'I16': out[i] = dv.getInt16(2 * i, true); break;
      case 'I8': out[i] = dv.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = dv.getUint8(i); break;
    }
  }
  return out;
}

/** A tensor's values as int32 (integer types; floats must hold integers). */
export function toInt32(t: SafeTensor, what = 'tensor'): Int32Array {
  const f = toFloat32(t);
  const out = new Int32Array(f.length);
  for (let i = 0; i < f.length; i++) {
    if (!Number.isInteger(f[i])) throw new BiudError(`${what}: value ${f[i]} at ${i} is not an integer`);
    out[i] = f[i];
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/** Write tensors (F32 or I32 arrays) with optional string metadata. Keys are written in the given order. */
export function writeSafetensors(entries: Iterable<[string, { data: Float32Array | Int32Array; shape: readonly number[] }]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const [name, { data, shape }] of entries) {
    const n = shape.reduce((p, d) => p * d, 1);
    if (n !== data.length) throw new BiudError(`writeSafetensors: "${name}" has ${data.length} values for shape [${shape}]`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: data instanceof Int32Array ? 'I32' : 'F32', shape: [...shape], data_offsets: [off, off + bytes.byteLength] };
    chunks.push(bytes);
    off += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.byteLength), true);
  out.set(hb, 8);
  let p = 8 + hb.byteLength;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}
