// BLEU-4, ROUGE-L and label F1 on examples worked out by hand (the arithmetic is in the comments).
import { describe, it, expect } from 'vitest';
import { words, corpusBleu, sentenceBleu, lcsLength, rougeL, corpusRougeL, labelF1, scoreReports } from '../../models/text-metrics.ts';

describe('words', () => {
  it('lower-cases, drops punctuation, keeps decimals and hyphens inside words', () => {
    expect(words('No effusion. A 3.5 mm Ground-glass nodule, (left)!')).toEqual(['no', 'effusion', 'a', '3.5', 'mm', 'ground-glass', 'nodule', 'left']);
    expect(words(' . , ')).toEqual([]);
  });
});

describe('BLEU', () => {
  // cand "the cat sat on the mat", ref "the cat is on the mat" (6 words each, BP = 1):
  //   1-grams: the×2 cat on mat match, sat not: 5/6
  //   2-grams: "the cat", "on the", "the mat": 3/5
  //   3-grams: "on the mat": 1/4
  //   4-grams: none of 3
  const cand = 'The cat sat on the mat.';
  const ref = 'The cat is on the mat.';

  it('counts clipped n-gram matches per order', () => {
    const r = corpusBleu([cand], [ref]);
    expect(r.matches).toEqual([5, 3, 1, 0]);
    expect(r.totals).toEqual([6, 5, 4, 3]);
    expect(r.brevityPenalty).toBe(1);
    expect(r.bleu).toBe(0); // no smoothing: an empty 4-gram order zeroes BLEU
  });

  it('smooths as NLTK methods 1 and 2', () => {
    // add-one (Lin & Och): p = 5/6, 4/6, 2/5, 1/4 → (5/6 · 2/3 · 2/5 · 1/4)^¼ = (1/18)^¼
    expect(corpusBleu([cand], [ref], { smoothing: 'add-one' }).bleu).toBeCloseTo((1 / 18) ** 0.25, 12);
    expect(sentenceBleu(cand, ref)).toBeCloseTo(0.4854918, 6);
    // add-epsilon: p4 = 0.1/3 → (5/6 · 3/5 · 1/4 · 0.1/3)^¼
    expect(corpusBleu([cand], [ref], { smoothing: 'add-epsilon' }).bleu).toBeCloseTo(((5 / 6) * (3 / 5) * (1 / 4) * (0.1 / 3)) ** 0.25, 12);
  });

  it('is 1 for an exact match and penalises brevity', () => {
    expect(corpusBleu([ref], [ref]).bleu).toBeCloseTo(1, 12);
    // "the cat" against 6 words: c = 2, r = 6, BP = exp(1 − 3); BLEU-2 = BP · (1 · 1)^½
    const r = corpusBleu(['the cat'], [ref], { maxN: 2 });
    expect(r.brevityPenalty).toBeCloseTo(Math.exp(-2), 12);
    expect(r.bleu).toBeCloseTo(Math.exp(-2), 12);
  });

  it('pools counts over the corpus (not a mean of sentence scores)', () => {
    // A: "a b c d e" exact (5, 4, 3, 2 of 5, 4, 3, 2); B: "a b c d x" vs "a b c d e" (4, 3, 2, 1 of 5, 4, 3, 2)
    // p = 9/10, 7/8, 5/6, 3/4 → BLEU = (945/1920)^¼
    const r = corpusBleu(['a b c d e', 'a b c d x'], ['a b c d e', 'a b c d e']);
    expect(r.bleu).toBeCloseTo((945 / 1920) ** 0.25, 12);
    expect(r.bleu).toBeCloseTo(0.837594, 5);
  });

  it('clips by the most of any reference and picks the closest reference length', () => {
    // "the" ×4 against "the cat" (1×) and "the the dog" (2×): clip at 2 → p1 = 2/4;
    // lengths 2 and 3, candidate 4: closest is 3 → BP = 1 (c > r)... c = 4 > 3
    const r = corpusBleu(['the the the the'], [['the cat', 'the the dog']], { maxN: 1 });
    expect(r.precisions[0]).toBe(0.5);
    expect(r.referenceLength).toBe(3);
    expect(r.bleu).toBe(0.5);
    // Equal distance (2 words, refs of 1 and 3): the shorter, as NLTK.
    expect(corpusBleu(['a b'], [['a', 'a b c']], { maxN: 1 }).referenceLength).toBe(1);
  });

  it('handles empty candidates', () => {
    expect(corpusBleu([''], [ref]).bleu).toBe(0);
    expect(() => corpusBleu(['a'], [])).toThrow(/1 candidates, 0 references/);
  });
});

describe('ROUGE-L', () => {
  it('LCS length', () => {
    expect(lcsLength(['a', 'b', 'c', 'd'], ['a', 'c', 'b', 'd'])).toBe(3);
    expect(lcsLength([], ['a'])).toBe(0);
  });
  it('F from the LCS of words', () => {
    // LCS "the cat on the mat" = 5: P = R = F = 5/6
    const r = rougeL('The cat sat on the mat.', 'The cat is on the mat.');
    expect(r.f).toBeCloseTo(5 / 6, 12);
    // Lin's example: "police killed the gunman" vs "police kill the gunman": LCS 3 of 4
    expect(rougeL('police killed the gunman', 'police kill the gunman').f).toBeCloseTo(0.75, 12);
    // LCS 3, P = 3/3, R = 3/6: F1 = 2/3; β = 1.2: 2.44 · 0.5 / (0.5 + 1.44) = 1.22/1.94
    const a = rougeL('a b c', 'a x b y c z');
    expect([a.precision, a.recall, a.f]).toEqual([1, 0.5, expect.closeTo(2 / 3, 12)]);
    expect(rougeL('a b c', 'a x b y c z', 1.2).f).toBeCloseTo(1.22 / 1.94, 12);
    expect(rougeL('q', 'a b').f).toBe(0);
  });
  it('best reference, corpus mean', () => {
    expect(rougeL('a b c', ['x y', 'a b c']).f).toBe(1);
    expect(corpusRougeL(['a b c', 'q'], ['a b c', 'a'])).toBe(0.5);
  });
});

describe('label F1', () => {
  it('compares the labeler on generated and reference reports', () => {
    const gen = ['Cardiomegaly is observed. No pleural effusion.', 'No cardiomegaly. Emphysema is observed.'];
    const ref = ['Cardiomegaly is observed. Pleural effusion is present.', 'No cardiomegaly. No emphysema.'];
    // Cardiomegaly: TP 1; pleural effusion: FN 1; emphysema: FP 1 → micro = 2/(2 + 1 + 1) = 0.5;
    // macro over findings positive in a reference: cardiomegaly 1, effusion 0 → 0.5
    const s = labelF1(gen, ref);
    expect(s.micro).toBeCloseTo(0.5, 12);
    expect(s.macro).toBeCloseTo(0.5, 12);
    const byName = Object.fromEntries(s.perFinding.map((f) => [f.finding, f]));
    expect([byName.Cardiomegaly.tp, byName['Pleural effusion'].fn, byName.Emphysema.fp]).toEqual([1, 1, 1]);
  });
  it('all together', () => {
    const s = scoreReports(['Cardiomegaly is observed.'], ['Cardiomegaly is observed.']);
    expect(s.rougeL).toBe(1);
    expect(s.bleu4).toBe(0); // three words have no 4-grams: BLEU-4 without smoothing is 0
    expect(s.labelF1.micro).toBe(1);
  });
});
