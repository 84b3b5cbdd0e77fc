import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { BiudError } from '../../engine/errors.ts';
import { decodePng, encodePng, pngToGray, type PngImage } from '../../models/data/png.ts';
import { fixPngCrcs, pngChunks, rawPng, readData, rng } from './fixtures.ts';

async function rejects(p: Promise<unknown>, pattern: RegExp) {
  const err = await p.then(() => null, (e) => e);
  expect(err, 'should throw').toBeInstanceOf(BiudError);
  expect((err as Error).message).toMatch(pattern);
}

describe('the shipped X-rays', () => {
  // Sum, first, centre and last pixel from an independent Python decoder.
  const ref = {
    '00000001_000.png': { sum: 33590126, first: 198, centre: 198, last: 0, max: 255 },
    '00027426_000.png': { sum: 33395279, first: 185, centre: 147, last: 0, max: 241 },
  };
  for (const [file, r] of Object.entries(ref)) {
    it(file, async () => {
      const img = await decodePng(readData(`data/cxr/${file}`));
      expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([512, 512, 1, 8]);
      const d = img.data;
      let sum = 0;
      for (const v of d) sum += v;
      expect(sum).toBe(r.sum);
      expect([d[0], d[512 * 256 + 256], d[d.length - 1]]).toEqual([r.first, r.centre, r.last]);
      const g = pngToGray(img);
      expect(g.reduce((m, v) => Math.max(m, v), 0)).toBeCloseTo(r.max / 255, 6);
    });
  }
});

describe('colour types, bit depths, interlacing', () => {
  const sizes = [[1, 1], [13, 7], [3, 9], [16, 16]];
  const cases: { colorType: number; depth: number; channels: number }[] = [
    ...[1, 2, 4, 8, 16].map((depth) => ({ colorType: 0, depth, channels: 1 })),
    ...[8, 16].flatMap((depth) => [{ colorType: 2, depth, channels: 3 }, { colorType: 4, depth, channels: 2 }, { colorType: 6, depth, channels: 4 }]),
    ...[1, 2, 4, 8].map((depth) => ({ colorType: 3, depth, channels: 3 })),
  ];
  for (const c of cases) {
    for (const interlace of [false, true]) {
      it(`type ${c.colorType}, ${c.depth}-bit${interlace ? ', Adam7' : ''}`, async () => {
        const rand = rng(c.colorType * 100 + c.depth + (interlace ? 7 : 0));
        for (const [width, height] of sizes) {
          const spp = c.colorType === 3 ? 1 : c.channels;
          const samples = Array.from({ length: width * height * spp }, () => Math.floor(rand() * 2 ** c.depth));
          const palette = c.colorType === 3 ? Array.from({ length: 3 * 2 ** c.depth }, () => Math.floor(rand() * 256)) : undefined;
          const png = rawPng({ width, height, colorType: c.colorType, depth: c.depth, samples, interlace, palette, idatSplit: 5 });
          const img = await decodePng(png);
          expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([width, height, c.channels, c.depth === 16 ? 16 : 8]);
          const want = c.colorType === 3
            ? samples.flatMap((i) => palette!.slice(3 * i, 3 * i + 3))
            : c.depth < 8 ? samples.map((v) => Math.round((v * 255) / (2 ** c.depth - 1))) : samples;
          expect(Array.from(img.data)).toEqual(want);
        }
      });
    }
  }

  it('palette with tRNS gives RGBA', async () => {
    const png = rawPng({ width: 3, height: 1, colorType: 3, depth: 8, samples: [0, 1, 2], palette: [1, 2, 3, 4, 5, 6, 7, 8, 9], trns: [0, 128] });
    const img = await decodePng(png);
    expect(img.channels).toBe(4);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 0, 4, 5, 6, 128, 7, 8, 9, 255]);
  });
});

describe('encodePng', () => {
  const rand = rng(42);
  const make = (channels: 1 | 2 | 3 | 4, width: number, height: number, sixteen: boolean): PngImage => {
    const n = width * height * channels;
    // A smooth ramp plus noise, so that every filter has something to predict.
    const data = sixteen ? new Uint16Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.floor(((i % (width * channels)) * 7 + rand() * 40) * (sixteen ? 257 : 1)) % (sixteen ? 65536 : 256);
    return { width, height, channels, bitDepth: sixteen ? 16 : 8, data };
  };
  for (const filter of [0, 1, 2, 3, 4, 'adaptive'] as const) {
    it(`round-trips with filter ${filter}`, async () => {
      for (const channels of [1, 2, 3, 4] as const) {
        for (const sixteen of [false, true]) {
          const img = make(channels, 17, 5, sixteen);
          const png = await encodePng(img, { filter });
          const back = await decodePng(png);
          expect(back).toEqual(img);
          if (filter !== 'adaptive') {
            // Every row's filter byte is the one asked for (read with node's own inflate).
            const idat = pngChunks(png).find(([, , t]) => t === 'IDAT')!;
            const raw = inflateSync(png.subarray(idat[0] + 8, idat[0] + 8 + idat[1]));
            const stride = 17 * channels * (sixteen ? 2 : 1);
            for (let y = 0; y < 5; y++) expect(raw[y * (stride + 1)]).toBe(filter);
          }
        }
      }
    });
  }

  it('Paeth known answer', async () => {
    // Row 0 (filter 0): 10 20; row 1 (Paeth): residuals 5, 7. Pixel (0,1): a=0, b=10, c=0 → p=10,
    // nearest is b → 15. Pixel (1,1): a=15, b=20, c=10 → p=25, |p−a|=10, |p−b|=5, |p−c|=15 → b → 27.
    const { deflateSync } = await import('node:zlib');
    const png = rawPng({ width: 2, height: 2, colorType: 0, depth: 8, samples: [0, 0, 0, 0] });
    const chunks = pngChunks(png);
    const idat = chunks.find(([, , t]) => t === 'IDAT')!;
    const z = deflateSync(new Uint8Array([0, 10, 20, 4, 5, 7]));
    const out = new Uint8Array(png.length - idat[1] + z.length);
    out.set(png.subarray(0, idat[0] + 8));
    new DataView(out.buffer).setUint32(idat[0], z.length);
    out.set(z, idat[0] + 8);
    out.set(png.subarray(idat[0] + 8 + idat[1]), idat[0] + 8 + z.length);
    fixPngCrcs(out);
    expect(Array.from((await decodePng(out)).data)).toEqual([10, 20, 15, 27]);
  });

  it('refuses a size that does not match the data', async () => {
    await rejects(encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) }), /data has 10 samples, 4×4×3 needs 48/);
  });
});

describe('refusals name the cause', () => {
  const good = () => rawPng({ width: 4, height: 3, colorType: 0, depth: 8, samples: new Array(12).fill(9) });
  it('DICOM', () => rejects(decodePng(readData('data/ct/CT_small.dcm')), /DICOM detected/));
  it('JPEG', () => rejects(decodePng(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0])), /JPEG/));
  it('CRC', async () => {
    const b = good();
    b[20] ^= 1;
    await rejects(decodePng(b), /CRC mismatch in chunk IHDR at byte 8/);
  });
  it('truncated', async () => {
    const b = good();
    await rejects(decodePng(b.subarray(0, b.length - 13)), /truncated: chunk IDAT at byte 33 says/);
    await rejects(decodePng(b.subarray(0, b.length - 12)), /truncated: the file ends at byte \d+ inside a chunk header, before IEND/);
  });
  it('short image data', async () => {
    const b = good();
    new DataView(b.buffer).setUint32(20, 5); // height 3 → 5
    fixPngCrcs(b);
    await rejects(decodePng(b), /truncated image data: IDAT inflates to 15 bytes, the 4×5 image needs 25/);
  });
  it('filter type', async () => {
    const png = rawPng({ width: 2, height: 1, colorType: 0, depth: 8, samples: [0, 0] });
    const idat = pngChunks(png).find(([, , t]) => t === 'IDAT')!;
    const { deflateSync } = await import('node:zlib');
    const z = deflateSync(new Uint8Array([9, 1, 2]));
    const b = new Uint8Array(png.length - idat[1] + z.length);
    b.set(png.subarray(0, idat[0] + 8));
    new DataView(b.buffer).setUint32(idat[0], z.length);
    b.set(z, idat[0] + 8);
    b.set(png.subarray(idat[0] + 8 + idat[1]), idat[0] + 8 + z.length);
    fixPngCrcs(b);
    await rejects(decodePng(b), /row 0 has filter type 9, not 0\.\.4/);
  });
  it('palette index', () => rejects(decodePng(rawPng({ width: 2, height: 1, colorType: 3, depth: 8, samples: [0, 2], palette: [1, 2, 3, 4, 5, 6] })), /palette index 2 but PLTE has 2 entries/));
  it('palette without PLTE', () => rejects(decodePng(rawPng({ width: 2, height: 1, colorType: 3, depth: 8, samples: [0, 1] })), /without a PLTE/));
  it('bit depth', async () => {
    const b = good();
    b[24] = 4; // RGB allows 8 and 16 bits only
    b[25] = 2;
    fixPngCrcs(b);
    await rejects(decodePng(b), /bit depth 4 is invalid for colour type 2/);
  });
  it('unknown critical chunk', async () => {
    const b = good();
    const [at] = pngChunks(b).find(([, , t]) => t === 'IEND')!;
    b.set([0x58, 0x58, 0x58, 0x58], at + 4); // IEND → XXXX
    fixPngCrcs(b);
    await rejects(decodePng(b), /unknown critical chunk XXXX/);
  });
  it('random bytes after a signature', () => rejects(decodePng(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])), /truncated/));
});
