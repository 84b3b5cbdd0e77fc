import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { BiudError } from '../../engine/errors.ts';
import { compress, decompress, decompressPartial, gunzip, gzip } from '../../models/data/gzip.ts';

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
    expect(notGz!.message).toBe('a.nii.gz: not a gzip file (starts with 01 02 03; gzip starts with 1f 8b 08)');
    const gz = await gzip(new Uint8Array(5000).fill(3));
    const cut = await errorOf(gunzip(gz.subarray(0, 20), { what: 'b.gz' }));
    expect(cut!.message).toMatch(/^b\.gz: truncated gzip stream/);
    const bad = gz.slice();
    bad[bad.length - 6] ^= 0xff; // the CRC-32 of the trailer
    expect((await errorOf(gunzip(bad)))!.message).toMatch(/corrupt gzip data/);
  });

  it('a stream cut short keeps what came before the break, with the cause, when asked', async () => {
    // Bytes that do not repeat, so that a cut half-way through the compressed stream falls
    // after some output (how much comes out before the error depends on the platform's chunking).
    let x = 12345;
    const data = new Uint8Array(200_000).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
    const gz = await gzip(data);
    const { data: head, broken } = await decompressPartial(gz.subarray(0, gz.length >> 1), 'gzip', { what: 'half.tgz' });
    expect(head.length).toBeGreaterThan(0);
    expect(head).toEqual(data.subarray(0, head.length));
    expect(broken).toBeInstanceOf(BiudError);
    expect(broken!.message).toMatch(/^half\.tgz: truncated gzip stream \(ended after \d+ decompressed bytes\)/);
    // Whole, nothing is broken; plain decompress refuses the same cut stream.
    expect((await decompressPartial(gz, 'gzip')).broken).toBeUndefined();
    expect((await errorOf(gunzip(gz.subarray(0, gz.length >> 1))))!.message).toMatch(/truncated gzip stream/);
    // Nothing before the break is still an error.
    expect((await errorOf(decompressPartial(gz.subarray(0, 12), 'gzip')))).toBeInstanceOf(BiudError);
  });

  it('stops a decompression bomb at maxBytes', async () => {
    const bomb = await gzip(new Uint8Array(10_000_000));
    expect(bomb.length).toBeLessThan(20_000);
    const err = await errorOf(gunzip(bomb, { what: 'bomb.gz', maxBytes: 1_000_000 }));
    expect(err).toBeInstanceOf(BiudError);
    expect(err!.message).toMatch(/bomb\.gz: decompresses to more than 1000000 bytes/);
  });
});
