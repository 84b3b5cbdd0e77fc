import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function dataFile(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(root, 'data', rel)));
}

/** A minimal ustar writer for tests. */
export function makeTar(files: Array<[string, string]>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, body] of files) {
    const data = new TextEncoder().encode(body);
    const h = new Uint8Array(512);
    const put = (s: string, at: number) => h.set(new TextEncoder().encode(s), at);
    put(name, 0);
    put('0000644\0', 100);
    put(data.length.toString(8).padStart(11, '0') + '\0', 124);
    put('00000000000\0', 136);
    h[156] = 48;
    put('ustar\0', 257);
    put('00', 263);
    h.fill(32, 148, 156);
    const sum = h.reduce((a, b) => a + b, 0);
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) { out.set(b, o); o += b.length; }
  return out;
}
