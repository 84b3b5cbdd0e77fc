// The tab's checkpoint store (models/train/sink-opfs.ts) in real Chromium storage: a checkpoint
// reads back as written, a new one replaces it, and a write the quota refuses names the quota and
// leaves the previous checkpoint whole, with no temporary file holding on to the space, and the
// next checkpoint is written once there is room again.
import { test, expect } from '@playwright/test';

test('checkpoints in the origin-private file system survive a write the quota refuses', async ({ page }) => {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto('/test-page/');
  await page.waitForFunction(() => (window as unknown as { __opfs?: unknown }).__opfs !== undefined);
  const r = await page.evaluate(async () => {
    const { opfsSink, clearOpfs } = (window as any).__opfs;
    const path = 'runs/opfs-test';
    await clearOpfs(path);
    const sink = opfsSink(path);
    const names = async () => {
      let dir = await navigator.storage.getDirectory();
      for (const p of path.split('/')) dir = await dir.getDirectoryHandle(p);
      const out: string[] = [];
      for await (const k of (dir as any).keys()) out.push(k);
      return out.sort();
    };
    const read = async (): Promise<number[]> => Array.from(((await sink.read('checkpoint.safetensors')) ?? []) as Uint8Array);
    await sink.write('checkpoint.safetensors', new Uint8Array([1, 2, 3]));
    const first = await read();
    await sink.write('checkpoint.safetensors', new Uint8Array([4, 5]));
    const second = await read();
    const afterTwo = await names();
    // The quota runs out: every write to a file stream is refused, as Chromium refuses it.
    const proto = (globalThis as any).FileSystemWritableFileStream.prototype;
    const write = proto.write;
    proto.write = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'));
    let error = '';
    try {
      await sink.write('checkpoint.safetensors', new Uint8Array([9, 9, 9, 9]));
    } catch (e) {
      error = (e as Error).message;
    } finally {
      proto.write = write;
    }
    const kept = await read();
    const afterRefusal = await names();
    // Space is back: the next checkpoint is written (a stream left open would lock the file).
    let next: number[] | string;
    try {
      await sink.write('checkpoint.safetensors', new Uint8Array([7]));
      next = await read();
    } catch (e) {
      next = (e as Error).message;
    }
    const result = { first, second, afterTwo, error, kept, afterRefusal, next, missing: await sink.read('nothing.safetensors') };
    await clearOpfs(path);
    return result;
  });
  expect(r.first).toEqual([1, 2, 3]);
  expect(r.second).toEqual([4, 5]);
  expect(r.afterTwo).toEqual(['checkpoint.safetensors']);
  expect(r.error).toContain('the storage quota is used up');
  expect(r.error).toContain('the previous checkpoint is unchanged');
  expect(r.kept).toEqual([4, 5]);
  expect(r.afterRefusal).toEqual(['checkpoint.safetensors']);
  expect(r.next).toEqual([7]);
  expect(r.missing).toBeNull();
});
