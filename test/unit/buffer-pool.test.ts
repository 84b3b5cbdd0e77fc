// The buffer pool: size classes, reuse, and a failed allocation reported with its size (a buffer
// within the adapter's limits can still fail to allocate; the engine names that cause).
import { describe, expect, it } from 'vitest';
import { BufferPool, sizeClass } from '../../engine/pool.ts';

function mockDevice(failAbove: number) {
  const scopes: string[] = [];
  let lastSize = 0;
  return {
    scopes,
    device: {
      pushErrorScope: (f: string) => scopes.push(f),
      popErrorScope: async () => (scopes.pop(), lastSize > failAbove ? ({ message: 'vkAllocateMemory failed' } as GPUError) : null),
      createBuffer: ({ size }: { size: number }) => ((lastSize = size), { size, destroy() {} }),
    } as unknown as GPUDevice,
  };
}

describe('BufferPool', () => {
  it('reuses a released buffer of the same size class and counts bytes', () => {
    const { device } = mockDevice(Infinity);
    const pool = new BufferPool(device, 2 ** 30);
    const a = pool.acquire(5000);
    expect(a.size).toBe(sizeClass(5000));
    pool.release(a);
    expect(pool.acquire(5100)).toBe(a);
    expect(pool.created).toBe(1);
    expect(pool.liveBytes).toBe(sizeClass(5000));
  });

  it('watches each new buffer in an out-of-memory scope and passes on its error and size', async () => {
    const { device, scopes } = mockDevice(1 << 20);
    const seen: { err: GPUError | null; bytes: number }[] = [];
    const pool = new BufferPool(device, 2 ** 30, (scope, bytes) => void scope.then((err) => seen.push({ err, bytes })));
    pool.acquire(1000);
    pool.acquire(2 ** 29);
    await Promise.resolve();
    await Promise.resolve();
    expect(scopes).toEqual([]);
    expect(seen.map((s) => [s.bytes, s.err?.message ?? null])).toEqual([[1024, null], [2 ** 29, 'vkAllocateMemory failed']]);
    expect(() => pool.acquire(2 ** 31)).toThrow(/exceeds this adapter's maxBufferSize/);
  });
});
