// Seeded fuzzing of the readers: real files with bytes flipped, header fields set to hostile
// values, truncated at random, and plain random bytes. Every outcome must be either a sane result
// or a BiudError whose message names a cause; nothing may hang or throw anything else.
import { describe, expect, it } from 'vitest';
import { BiudError } from '../../engine/errors.ts';
import { parseNifti, readNifti } from '../../models/data/nifti.ts';
import { decodePng } from '../../models/data/png.ts';
import { gunzip } from '../../models/data/gzip.ts';
import { NIFTI_FIELDS, fixPngCrcs, pngChunks, rawPng, readData, rng, shippedNii, swapEndian } from './fixtures.ts';

/** Cases per reader; FUZZ_SEEDS=50000 for a longer hunt (the default keeps the suite near 5 s). */
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 2000);

type Outcome = { ok: number; errors: Map<string, number> };

/** Runs one case; a non-BiudError or a hang fails the test with the seed and mutation named. */
async function attempt(out: Outcome, label: string, f: () => unknown, sane: (v: any) => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${label}: hung for 5 s`)), 5000); });
  try {
    const v = await Promise.race([Promise.resolve().then(f), hang]);
    sane(v);
    out.ok++;
  } catch (e) {
    if (!(e instanceof BiudError)) throw new Error(`${label}: threw ${(e as Error)?.stack ?? e}`);
    expect(e.message.length, label).toBeGreaterThan(15);
    // Group by the message's shape (numbers dropped) to show which causes the fuzzing reached.
    const key = e.message.replace(/^[^:]*: /, '').replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N').slice(0, 60);
    out.errors.set(key, (out.errors.get(key) ?? 0) + 1);
  } finally {
    clearTimeout(timer);
  }
}

const SPECIAL = [0, -1, 1, 2, 3, 7, 8, 16, 32, 348, 352, 353, 540, 32767, -32768, 2 ** 31 - 1, NaN, Infinity, -Infinity, 1e30, -1e-30, 0.5];

function corruptField(b: Uint8Array, r: () => number, le: boolean): string {
  const [off, type, count] = NIFTI_FIELDS[Math.floor(r() * NIFTI_FIELDS.length)];
  const size = type === 'i16' ? 2 : 4;
  const at = off + size * Math.floor(r() * count);
  const v = r() < 0.8 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : (r() - 0.5) * 2 ** (r() * 40);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (type === 'f32') dv.setFloat32(at, v, le);
  else if (type === 'i16') dv.setInt16(at, Number.isFinite(v) ? v : 0, le);
  else dv.setInt32(at, Number.isFinite(v) ? v : 0, le);
  return `field@${at}=${v}`;
}

function flipBytes(b: Uint8Array, r: () => number, n: number, below = b.length): string {
  const at: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * Math.min(below, b.length));
    b[i] = r() < 0.5 ? b[i] ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
    at.push(i);
  }
  return `flip@${at.join(',')}`;
}

const saneVolume = (v: any) => {
  expect(v.data.length).toBe(v.dims[0] * v.dims[1] * v.dims[2]);
  expect(v.orientation).toMatch(/^[RL][AP][SI]$|^[RLAPSI]{3}$/);
  for (const x of v.affine) expect(Number.isFinite(x)).toBe(true);
};

/** With FUZZ_SEEDS set, says which refusals the run reached and how often. */
const report = (name: string, o: Outcome) => {
  if (!process.env.FUZZ_SEEDS) return;
  const top = [...o.errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `  ${n} × ${k}`);
  console.log(`${name}: ${o.ok} read, ${[...o.errors.values()].reduce((s, n) => s + n, 0)} refused\n${top.join('\n')}`);
};

describe('fuzz', () => {
  it('NIfTI: flipped, corrupted, truncated, random', async () => {
    const base = shippedNii('abdomen_example_ct_sm_3mm.nii.gz');
    const bases = [base, swapEndian(base, 2, 352)];
    const o: Outcome = { ok: 0, errors: new Map() };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(seed);
      const which = Math.floor(r() * 2);
      const le = which === 0;
      const kind = seed % 6;
      let b: Uint8Array = bases[which].slice();
      let what: string;
      if (kind === 0) what = flipBytes(b, r, 1 + Math.floor(r() * 4), 352);
      else if (kind === 1) what = flipBytes(b, r, 1 + Math.floor(r() * 50));
      else if (kind === 2 || kind === 3) {
        what = corruptField(b, r, le);
        if (r() < 0.5) what += ' ' + corruptField(b, r, le);
      } else if (kind === 4) {
        const n = r() < 0.5 ? Math.floor(r() * 400) : Math.floor(r() * b.length);
        b = b.subarray(0, n);
        what = `truncate@${n}`;
      } else {
        b = new Uint8Array(Math.floor(r() * 2000));
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
        // Half of them get a valid sizeof_hdr and magic, to reach the later checks.
        if (b.length >= 348 && r() < 0.5) {
          new DataView(b.buffer).setInt32(0, 348, le);
          b.set([0x6e, 0x2b, 0x31, 0], 344);
        }
        what = `random ${b.length} bytes`;
      }
      await attempt(o, `nifti seed ${seed} (${what})`, () => parseNifti(b, { name: 'fuzz.nii' }), saneVolume);
    }
    report('NIfTI', o);
    expect(o.ok).toBeGreaterThan(50);
    expect(o.errors.size).toBeGreaterThan(10);
  });

  it('.nii.gz: gzip stream flipped and truncated', async () => {
    const gz = readData('data/ct/abdomen_example_ct_sm_3mm.nii.gz');
    const o: Outcome = { ok: 0, errors: new Map() };
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(1000 + seed);
      let b = gz.slice();
      let what: string;
      if (seed % 2) what = flipBytes(b, r, 1 + Math.floor(r() * 3));
      else { const n = Math.floor(r() * b.length); b = b.subarray(0, n); what = `truncate@${n}`; }
      await attempt(o, `nii.gz seed ${seed} (${what})`, () => readNifti(b, { name: 'fuzz.nii.gz', chestCheck: false }), saneVolume);
    }
    report('.nii.gz', o);
    expect(o.errors.size).toBeGreaterThan(1);
  });

  it('gzip: random bytes behind a gzip magic', async () => {
    const o: Outcome = { ok: 0, errors: new Map() };
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(5000 + seed);
      const b = new Uint8Array(3 + Math.floor(r() * 300));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
      b.set([0x1f, 0x8b, 8]);
      await attempt(o, `gzip seed ${seed}`, () => gunzip(b, { what: 'fuzz.gz' }), () => {});
    }
    report('gzip', o);
  });

  it('PNG: flipped (with and without CRCs fixed), corrupted IHDR, truncated, random', async () => {
    const bases = [
      readData('data/cxr/00000001_000.png'),
      rawPng({ width: 9, height: 7, colorType: 3, depth: 4, samples: Array.from({ length: 63 }, (_, i) => i % 16), palette: Array.from({ length: 48 }, (_, i) => i * 5), trns: [1, 2], interlace: true, idatSplit: 7 }),
      rawPng({ width: 11, height: 5, colorType: 6, depth: 16, samples: Array.from({ length: 220 }, (_, i) => (i * 2654435761) % 65536) }),
      rawPng({ width: 6, height: 6, colorType: 0, depth: 1, samples: Array.from({ length: 36 }, (_, i) => i & 1), interlace: true }),
    ];
    const o: Outcome = { ok: 0, errors: new Map() };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(3000 + seed);
      // The X-ray costs ~10 ms a decode; the small images are for volume.
      const bi = seed % 10 === 0 ? 0 : 1 + Math.floor(r() * 3);
      let b: Uint8Array = bases[bi].slice();
      const kind = seed % 5;
      let what: string;
      if (kind === 0) what = flipBytes(b, r, 1 + Math.floor(r() * 5));
      else if (kind === 1) { what = flipBytes(b, r, 1 + Math.floor(r() * 5)) + ' +crc'; fixPngCrcs(b); }
      else if (kind === 2) {
        // Hostile IHDR: width, height, depth, colour type, interlace, or a chunk length.
        const dv = new DataView(b.buffer);
        const field = Math.floor(r() * 6);
        const chunks = pngChunks(b);
        if (field === 0) dv.setUint32(16, [0, 1, 2 ** 31, 2 ** 32 - 1, 100000, Math.floor(r() * 4000)][Math.floor(r() * 6)]);
        else if (field === 1) dv.setUint32(20, [0, 1, 2 ** 31, 2 ** 32 - 1, 100000, Math.floor(r() * 4000)][Math.floor(r() * 6)]);
        else if (field === 2) b[24] = [0, 1, 2, 3, 4, 8, 16, 32][Math.floor(r() * 8)];
        else if (field === 3) b[25] = Math.floor(r() * 8);
        else if (field === 4) b[28] = Math.floor(r() * 3);
        else dv.setUint32(chunks[Math.floor(r() * chunks.length)][0], Math.floor(r() * 2 ** 32));
        what = `ihdr field ${field}`;
        fixPngCrcs(b);
      } else if (kind === 3) {
        const n = Math.floor(r() * b.length);
        b = b.subarray(0, n);
        what = `truncate@${n}`;
      } else {
        b = new Uint8Array(Math.floor(r() * 600));
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
        if (r() < 0.5) b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].slice(0, b.length));
        what = `random ${b.length} bytes`;
      }
      await attempt(o, `png seed ${seed} base ${bi} (${what})`, () => decodePng(b, { name: 'fuzz.png' }), (img) => {
        expect(img.data.length).toBe(img.width * img.height * img.channels);
      });
    }
    report('PNG', o);
    expect(o.errors.size).toBeGreaterThan(8);
  });
});
