import { describe, it, expect } from 'vitest';
import { reportDigest, approxTokens } from '../../models/text/digest.ts';
import { sampleSentences } from '../../models/train/batch.ts';
import { splitSentences } from '../../models/text/sentences.ts';

const filler = 'The trachea and both main bronchi are open and of normal calibre.';

describe('reportDigest', () => {
  it('returns a report that fits unchanged', () => {
    const t = 'No pleural effusion. Heart size is normal.';
    expect(reportDigest(t, 50)).toBe(t);
  });

  it('keeps the finding sentences of a long report, verbatim and in their order', () => {
    const t = [filler, filler, 'There is a 6 mm nodule in the right upper lobe.', filler, 'No pleural effusion was detected.', filler, filler].join(' ');
    const d = reportDigest(t, 20);
    expect(d).toBe('There is a 6 mm nodule in the right upper lobe. No pleural effusion was detected.');
    expect(approxTokens(d)).toBeLessThanOrEqual(20);
  });

  it('a present finding outranks a negated one when only one fits', () => {
    const t = [filler, 'No pleural effusion was detected.', filler, 'Cardiomegaly is present.'].join(' ');
    expect(reportDigest(t, 6)).toBe('Cardiomegaly is present.');
  });

  it('uses the given measure', () => {
    const t = [filler, 'Emphysema is seen.'].join(' ');
    expect(reportDigest(t, 3, (s) => s.split(' ').length)).toBe('Emphysema is seen.');
  });
});

describe('sentence sampling (what a step shows the text encoder)', () => {
  const text = 'Trachea is open. No pleural effusion was detected. A 5 mm nodule is observed in the right lung. Minimal pericardial effusion. Mild bronchiectasis.';
  const sentences = ['Trachea is open.', 'No pleural effusion was detected.', 'A 5 mm nodule is observed in the right lung.', 'Minimal pericardial effusion.', 'Mild bronchiectasis.'];

  it('keeps whole sentences, verbatim, in their order, at least one', () => {
    const sizes = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const s = sampleSentences(text, 0.5, seed);
      const kept = sentences.filter((x) => s.includes(x));
      expect(kept.length).toBeGreaterThanOrEqual(1);
      expect(kept.join(' ')).toBe(s);
      sizes.add(kept.length);
    }
    // Subsets of every size occur, the whole report among them.
    expect([...sizes].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps about the given fraction, is deterministic from the seed, and 1 means the whole text', () => {
    let n = 0;
    for (let seed = 0; seed < 400; seed++) n += splitSentences(sampleSentences(text, 0.3, seed)).length;
    expect(n / 400 / 5).toBeGreaterThan(0.27);
    expect(n / 400 / 5).toBeLessThan(0.4); // 0.3 plus the "at least one" floor
    expect(sampleSentences(text, 0.3, 9)).toBe(sampleSentences(text, 0.3, 9));
    expect(sampleSentences(text, 1, 9)).toBe(text);
    expect(sampleSentences('One sentence only.', 0.1, 3)).toBe('One sentence only.');
  });
});
