// Assets from the repository on disk (the CLI and Node tests).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { BiudError } from '../engine/errors.ts';
import type { Assets } from './assets.ts';

/** The repository root: found by walking up from this module (works bundled in dist/ or not). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'data', 'PROVENANCE.md'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function diskAssets(root = repoRoot()): Assets {
  return {
    async read(p: string): Promise<Uint8Array> {
      const full = path.isAbsolute(p) ? p : path.join(root, p);
      try {
        return new Uint8Array(await readFile(full));
      } catch (e) {
        throw new BiudError(`could not read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    },
  };
}
