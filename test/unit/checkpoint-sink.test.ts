// The CLI's checkpoint folder (models/train/sink-node.ts): a checkpoint reads back as written, a
// new one replaces it, and a write that fails (a full disk) names the cause, keeps the previous
// checkpoint whole and leaves no partial temporary file behind.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

// writeFile is wrapped so that a test can make the disk run out part-way through a file.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, writeFile: vi.fn(real.writeFile) };
});
const { folderSink } = await import('../../models/train/sink-node.ts');

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'biud-sink-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  vi.mocked(fsp.writeFile).mockRestore();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('folderSink', () => {
  it('reads back what it wrote, replaces it, and answers null for a missing file', async () => {
    const dir = path.join(freshDir(), 'run');
    const sink = folderSink(dir);
    await sink.write('checkpoint.safetensors', new Uint8Array([1, 2, 3]));
    expect(Array.from((await sink.read('checkpoint.safetensors'))!)).toEqual([1, 2, 3]);
    await sink.write('checkpoint.safetensors', new Uint8Array([4, 5]));
    expect(Array.from((await sink.read('checkpoint.safetensors'))!)).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
    expect(await sink.read('nothing.safetensors')).toBeNull();
  });

  it('a full disk: the error says so, the previous checkpoint stays whole, no partial file is left', async () => {
    const dir = freshDir();
    const sink = folderSink(dir);
    await sink.write('checkpoint.safetensors', new Uint8Array([4, 5]));
    const real = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).writeFile;
    vi.mocked(fsp.writeFile).mockImplementationOnce(async (file, data) => {
      await real(file as string, (data as Uint8Array).subarray(0, 2)); // what fitted
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    await expect(sink.write('checkpoint.safetensors', new Uint8Array([9, 9, 9, 9]))).rejects.toThrow(/the disk is full\); the previous checkpoint is unchanged/);
    expect(Array.from(readFileSync(path.join(dir, 'checkpoint.safetensors')))).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
    // Space is back: the next checkpoint is written.
    await sink.write('checkpoint.safetensors', new Uint8Array([7]));
    expect(Array.from((await sink.read('checkpoint.safetensors'))!)).toEqual([7]);
  });
});
