// Checkpoints in the browser's origin-private file system (OPFS): a folder per run under the
// origin's private root. A file is written to a temporary name and then moved over the old one,
// so a tab closed mid-write leaves the previous checkpoint whole (where `move` is missing, the
// file is written in place through one writable stream, which the browser commits only on close).
import { BiudError } from '../../engine/errors.ts';
import type { CheckpointSink } from './checkpoint.ts';

type MovableHandle = FileSystemFileHandle & { move?: (parent: FileSystemDirectoryHandle, name: string) => Promise<void> };

async function folder(path: string): Promise<FileSystemDirectoryHandle> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.getDirectory) throw new BiudError('this browser has no origin-private file system (navigator.storage.getDirectory): checkpoints can only be downloaded');
  let dir = await storage.getDirectory();
  for (const part of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part, { create: true });
  return dir;
}

/** Whether this page can use the origin-private file system. */
export function hasOpfs(): boolean {
  return typeof (globalThis.navigator as Navigator | undefined)?.storage?.getDirectory === 'function';
}

/** A sink over OPFS folder `path` (e.g. "runs/micro"). */
export function opfsSink(path: string): CheckpointSink {
  return {
    where: `the browser's private storage (${path})`,
    async write(name, bytes) {
      const dir = await folder(path);
      // The stream being written, until it is closed: see the catch.
      let open: FileSystemWritableFileStream | null = null;
      const writeTo = async (h: FileSystemFileHandle) => {
        open = await h.createWritable();
        await open.write(bytes as Uint8Array<ArrayBuffer>);
        await open.close();
        open = null;
      };
      try {
        const tmp = (await dir.getFileHandle(`.${name}.tmp`, { create: true })) as MovableHandle;
        await writeTo(tmp);
        if (tmp.move) {
          await tmp.move(dir, name);
        } else {
          await writeTo(await dir.getFileHandle(name, { create: true }));
          await dir.removeEntry(`.${name}.tmp`);
        }
      } catch (e) {
        // A stream left open keeps its file locked, so every later checkpoint would be refused
        // even once space is freed; a half-written temporary file holds quota. Abort the one
        // (which discards what it wrote) and remove the other.
        await (open as FileSystemWritableFileStream | null)?.abort().catch(() => {});
        await removeWhenUnlocked(dir, `.${name}.tmp`);
        const quota = (e as DOMException).name === 'QuotaExceededError';
        throw new BiudError(`could not write ${name} to ${path} in the browser's private storage (${quota ? 'the storage quota is used up' : (e as Error).message}); the previous checkpoint is unchanged`);
      }
    },
    async read(name) {
      const dir = await folder(path);
      try {
        const h = await dir.getFileHandle(name);
        return new Uint8Array(await (await h.getFile()).arrayBuffer());
      } catch (e) {
        if ((e as DOMException).name === 'NotFoundError') return null;
        throw e;
      }
    },
  };
}

/**
 * Remove a file whose stream was just aborted. Chromium can release the stream's lock a moment
 * after abort() resolves, and removing a locked file fails: the quota test then found
 * `.checkpoint.safetensors.tmp` left behind, in 5 of 25 runs. A refused removal is tried again
 * a few times; one that still fails is left for the next checkpoint, which overwrites it.
 */
async function removeWhenUnlocked(dir: FileSystemDirectoryHandle, name: string): Promise<void> {
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      await dir.removeEntry(name);
      return;
    } catch (e) {
      if ((e as DOMException).name === 'NotFoundError') return;
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
    }
  }
}

/** Remove a run folder (and everything in it). */
export async function clearOpfs(path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  const last = parts.pop();
  if (!last) return;
  const parent = await folder(parts.join('/'));
  try {
    await parent.removeEntry(last, { recursive: true });
  } catch (e) {
    if ((e as DOMException).name !== 'NotFoundError') throw e;
  }
}
