// Checkpoints in a folder (the CLI): written to a temporary file and renamed over the old one,
// so a crash mid-write leaves the previous checkpoint whole.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BiudError } from '../../engine/errors.ts';
import type { CheckpointSink } from './checkpoint.ts';

export function folderSink(dir: string): CheckpointSink {
  return {
    where: dir,
    async write(name, bytes) {
      await mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.${name}.tmp`);
      try {
        await writeFile(tmp, bytes);
        await rename(tmp, path.join(dir, name));
      } catch (e) {
        // What a full disk let through of the temporary file would hold on to the space the next
        // checkpoint needs.
        await rm(tmp, { force: true }).catch(() => {});
        const code = (e as NodeJS.ErrnoException).code;
        throw new BiudError(`could not write ${path.join(dir, name)} (${code === 'ENOSPC' ? 'the disk is full' : code ?? (e as Error).message}); the previous checkpoint is unchanged`);
      }
    },
    async read(name) {
      try {
        return new Uint8Array(await readFile(path.join(dir, name)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
  };
}
