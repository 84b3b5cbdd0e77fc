import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { BiudError } from '../../engine/errors.ts';
import { compress, decompress, gunzip, gzip } from '../../models/data/gzip.ts';

const errorOf = (p: Promise<unknown>) => p.then(() => null, (e) => e as Error);

describe('gzip helpers', () => {
  it('round-trip, and read what node:zlib wrote', async () => {
    const data = new Uint8Array(100_000).map((_, i) => (i * 7) % 251);
    expect(await gunzip(await gzip(data))).toEqual(data);
    expect(await gunzip(new Uint8Array(gzipSync(data)))).toEqual(data);
    expect(await decompress(await compress(data, 'deflate'), 'deflate')).toEqual(data);
  });

  it('names the cause', async () => {
    const notGz = await errorOf(gunzip(new Uint8Array([1, 2, 3, 4]), { what: 'a.nii.gz' }));
    expect(notGz).toBeInstanceOf(BiudError);
    expect(notGz!.message).toBe('a.nii.gz: not a gzip file (no 1f 8b 08 magic at byte 0)');
    const gz = await gzip(new Uint8Array(5000).fill(3));
    const cut = await errorOf(gunzip(gz.subarray(0, 20), { what: 'b.gz' }));
    expect(cut!.message).toMatch(/^b\.gz: truncated gzip stream/);
    const bad = gz.slice();
    bad[bad.length - 6] ^= 0xff; // the CRC-32 of the trailer
    expect((await errorOf(gunzip(bad)))!.message).toMatch(/corrupt gzip data/);
  });

  it('stops a decompression bomb at maxBytes', async () => {
    const bomb = await gzip(new Uint8Array(10_000_000));
    expect(bomb.length).toBeLessThan(20_000);
    const err = await errorOf(gunzip(bomb, { what: 'bomb.gz', maxBytes: 1_000_000 }));
    expect(err).toBeInstanceOf(BiudError);
    expect(err!.message).toMatch(/bomb\.gz: decompresses to more than 1000000 bytes/);
  });
});
