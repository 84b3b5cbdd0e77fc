// gunzip through the platform's DecompressionStream (browsers, Node >= 18): no dependency.
// A stream that breaks off part-way (truncated download) still yields what came before the
// break, with a problem noting it, so an archive reader can keep the complete entries.
import { BiudError } from '../../engine/errors.ts';
import type { ReadProblem } from './problems.ts';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** Decompresses; throws BiudError when the input is not gzip or yields nothing at all. */
export async function gunzip(bytes: Uint8Array, source: string): Promise<{ data: Uint8Array; problem?: ReadProblem }> {
  if (!isGzip(bytes)) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new BiudError(`${source}: not a gzip file (starts with ${head || 'nothing'}; gzip starts with 1f 8b)`);
  }
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  // Errors surface on the readable side; these promises must not go unhandled.
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (total === 0) throw new BiudError(`${source}: corrupt or truncated gzip stream (${why})`, { cause: err });
    return { data: concat(chunks, total), problem: { source, where: `after ${total} decompressed bytes`, message: `gzip stream breaks off (${why}); the rest is lost` } };
  }
  return { data: concat(chunks, total) };
}
