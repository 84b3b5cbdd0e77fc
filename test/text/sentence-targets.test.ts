// L_sent's targets: each finding sentence of a batch describes every CT whose report agrees with it.
import { describe, it, expect } from 'vitest';
import { sentenceTargets } from '../../models/text/sentence-targets.ts';
import { FINDINGS, NUM_FINDINGS } from '../../models/text/findings.ts';

const labelsOf = (...present: string[]) => {
  const l = new Uint8Array(NUM_FINDINGS);
  for (const f of present) l[FINDINGS.indexOf(f as (typeof FINDINGS)[number])] = 1;
  return l;
};

describe('sentence targets', () => {
  it('a negated sentence describes every CT without the finding; a positive one, those with it', () => {
    const texts = [
      'No pleural effusion. Cardiomegaly is seen. The trachea is midline.',
      'Bilateral pleural effusion. No cardiomegaly.',
      'No pleural effusion or cardiomegaly.',
    ];
    const labels = [labelsOf('Cardiomegaly'), labelsOf('Pleural effusion'), labelsOf()];
    const { sentences, agree } = sentenceTargets(texts, labels, 8, 1);
    // The trachea names no finding: left out. "No pleural effusion." is shared by two reports: once.
    expect(sentences).toEqual(['No pleural effusion.', 'Cardiomegaly is seen.', 'Bilateral pleural effusion.', 'No cardiomegaly.', 'No pleural effusion or cardiomegaly.']);
    const row = (b: number) => Array.from(agree.subarray(b * 8, b * 8 + 5));
    expect(row(0)).toEqual([1, 1, 0, 0, 0]);
    expect(row(1)).toEqual([0, 0, 1, 1, 0]);
    expect(row(2)).toEqual([1, 0, 0, 1, 1]);
    expect(Array.from(agree.subarray(5, 8))).toEqual([0, 0, 0]);
  });

  it('a sentence always describes the CT whose report it came from, and a cap draws a subset', () => {
    // The report says effusion; its labels (say the hand labeller's) do not.
    const { agree } = sentenceTargets(['Small pleural effusion.'], [labelsOf()], 4, 1);
    expect(agree[0]).toBe(1);
    const many = ['Emphysema.', 'No emphysema.', 'Atelectasis.', 'No atelectasis.', 'Hiatal hernia.'];
    const a = sentenceTargets([many.join(' ')], [labelsOf('Emphysema', 'Atelectasis', 'Hiatal hernia')], 3, 7);
    const b = sentenceTargets([many.join(' ')], [labelsOf('Emphysema', 'Atelectasis', 'Hiatal hernia')], 3, 7);
    expect(a.sentences.length).toBe(3);
    expect(a.sentences).toEqual(b.sentences);
    expect(a.sentences.every((s) => many.includes(s))).toBe(true);
  });
});
