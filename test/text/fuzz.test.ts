// Readers never hang and never throw anything but BiudError: random bytes, and the shipped
// files mutated and truncated at seeded random places.
import { describe, expect, it } from 'vitest';
import { BiudError } from '../../engine/errors.ts';
import { readCtRateCsv } from '../../models/text/ct-rate.ts';
import { readIuXrayArchive, parseIuReportXml } from '../../models/text/iu-xray.ts';
import { readTar } from '../../models/text/tar.ts';
import { parseXml } from '../../models/text/xml.ts';
import { mulberry32, randInt, type Rng } from '../../models/text/rng.ts';
import { dataFile, makeTar } from './helpers.ts';

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => randInt(rng, 256));
}

/** Flip, insert, delete a few bytes, then maybe truncate. */
function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  const b = Array.from(src);
  const edits = 1 + randInt(rng, 8);
  for (let e = 0; e < edits && b.length; e++) {
    const at = randInt(rng, b.length);
    const op = randInt(rng, 3);
    if (op === 0) b[at] = randInt(rng, 256);
    else if (op === 1) b.splice(at, 0, randInt(rng, 256));
    else b.splice(at, 1 + randInt(rng, 16));
  }
  if (rng() < 0.5) b.length = randInt(rng, b.length + 1);
  return Uint8Array.from(b);
}

function onlyBiudErrors(f: () => unknown): void {
  try { f(); } catch (err) { expect(err).toBeInstanceOf(BiudError); }
}

async function onlyBiudErrorsAsync(f: () => Promise<unknown>): Promise<void> {
  try { await f(); } catch (err) { expect(err).toBeInstanceOf(BiudError); }
}

describe('reader fuzzing (seeded)', () => {
  const rng = mulberry32(20240615);
  const csv = dataFile('ct-reports/ct-rate-train.csv').subarray(0, 40_000);
  const tgz = dataFile('cxr-reports/NLMCXR_reports.tgz');
  const xml = new TextEncoder().encode(
    '<?xml version="1.0"?><eCitation><uId id="CXR1"/><Abstract><AbstractText Label="FINDINGS">No effusion &amp; no edema.</AbstractText></Abstract><MeSH><major>normal</major></MeSH><parentImage id="a"/></eCitation>',
  );

  it('CSV: random bytes and mutated real rows', () => {
    for (let i = 0; i < 150; i++) {
      const bytes = i % 3 === 0 ? randomBytes(rng, randInt(rng, 4000)) : mutate(rng, csv);
      onlyBiudErrors(() => readCtRateCsv(bytes, 'fuzz.csv'));
    }
  });

  it('XML: random bytes and mutated report XML', () => {
    for (let i = 0; i < 400; i++) {
      const bytes = i % 4 === 0 ? randomBytes(rng, randInt(rng, 600)) : mutate(rng, xml);
      const text = new TextDecoder().decode(bytes);
      onlyBiudErrors(() => parseXml(text, 'fuzz.xml'));
      const r = parseIuReportXml(bytes, 'fuzz.xml');
      expect(r.report !== undefined || r.problems.length > 0).toBe(true);
    }
  });

  it('tar: random bytes and mutated archives', () => {
    const tar = makeTar([['a.xml', '<a/>'], ['b.xml', '<b>x</b>'], ['c.xml', 'c'.repeat(700)]]);
    for (let i = 0; i < 300; i++) {
      const bytes = i % 3 === 0 ? randomBytes(rng, randInt(rng, 3000)) : mutate(rng, tar);
      onlyBiudErrors(() => readTar(bytes, 'fuzz.tar'));
    }
  });

  it('gzip archive: random bytes, truncated and mutated .tgz', async () => {
    for (let i = 0; i < 12; i++) {
      const bytes = i % 3 === 0 ? randomBytes(rng, randInt(rng, 5000)) : i % 3 === 1 ? tgz.subarray(0, randInt(rng, tgz.length)) : mutate(rng, tgz.subarray(0, 60_000));
      await onlyBiudErrorsAsync(() => readIuXrayArchive(bytes, 'fuzz.tgz'));
    }
  });
});
