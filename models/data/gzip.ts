// Thin wrappers around the platform's (Node 20 and browsers) CompressionStream / DecompressionStream.
// 'gzip' is RFC 1952 (.nii.gz); 'deflate' is the zlib wrapper of RFC 1950, which is what PNG's IDAT holds.
// Stream failures arrive as engine-specific errors (Node: Error with code Z_BUF_ERROR/Z_DATA_ERROR,
// browsers: a bare TypeError); here they become BiudErrors that name the cause.
import { BiudError } from '../../engine/errors.ts';

export type ZFormat = 'gzip' | 'deflate';

/** Gzip magic (1f 8b) followed by the only method ever used, deflate (8). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8;
}

export type DecompressOptions = {
  /** Names the input in error messages, e.g. the file name. */
  what?: string;
  /** Refuse output beyond this many bytes (guards against decompression bombs). Default 2^31. */
  maxBytes?: number;
};

export async function decompress(bytes: Uint8Array, format: ZFormat, opts: DecompressOptions = {}): Promise<Uint8Array> {
  const { data, broken } = await decompressPartial(bytes, format, opts);
  if (broken) throw broken;
  return data;
}

/**
 * Like `decompress`, but a stream that breaks off after some output (a truncated download)
 * still yields what came before the break, with the error as `broken`, so that an archive
 * reader can keep its complete entries. What is not the format at all, yields nothing before
 * breaking, or exceeds `maxBytes` still throws.
 */
export async function decompressPartial(bytes: Uint8Array, format: ZFormat, opts: DecompressOptions = {}): Promise<{ data: Uint8Array; broken?: BiudError }> {
  const what = opts.what ?? (format === 'gzip' ? 'input' : 'zlib data');
  const maxBytes = opts.maxBytes ?? 2 ** 31;
  if (format === 'gzip' && !isGzip(bytes)) {
    const head = Array.from(bytes.subarray(0, 3), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new BiudError(`${what}: not a gzip file (starts with ${head || 'nothing'}; gzip starts with 1f 8b 08)`);
  }
  const ds = new DecompressionStream(format);
  const writer = ds.writable.getWriter();
  // The write and close promises reject with the same error the reader sees; that one is reported.
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        throw new BiudError(`${what}: decompresses to more than ${maxBytes} bytes; refusing (corrupt, or far larger than expected)`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof BiudError) throw err;
    const broken = streamError(err, what, format, total);
    if (total === 0) throw broken;
    return { data: concat(chunks, total), broken };
  }
  return { data: concat(chunks, total) };
}

function streamError(err: unknown, what: string, format: ZFormat, produced: number): BiudError {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  const kind = format === 'gzip' ? 'gzip' : 'zlib';
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end|truncat|incomplete/i.test(msg)) {
    return new BiudError(`${what}: truncated ${kind} stream (ended after ${produced} decompressed bytes); the file is cut short, download or copy it again`, { cause: err });
  }
  return new BiudError(`${what}: corrupt ${kind} data (${msg}); the file is damaged`, { cause: err });
}

export async function compress(bytes: Uint8Array, format: ZFormat): Promise<Uint8Array> {
  const cs = new CompressionStream(format);
  const writer = cs.writable.getWriter();
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = cs.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  return concat(chunks, total);
}

export const gunzip = (bytes: Uint8Array, opts?: DecompressOptions) => decompress(bytes, 'gzip', opts);
export const gzip = (bytes: Uint8Array) => compress(bytes, 'gzip');

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
