import { describe, it, expect } from 'vitest';
import { reportDigest, approxTokens } from '../../models/text/digest.ts';

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
