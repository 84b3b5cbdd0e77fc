import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function dataFile(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(root, 'data', rel)));
}
