// Ids derived by hand from data/vocab/bert-base-uncased-vocab.txt: id = 0-based line number
// (`grep -n -x -- TOKEN vocab.txt`, minus one).
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer, basicTokenize } from '../../models/text/wordpiece.ts';
import { SubVocabulary } from '../../models/text/subvocab.ts';
import { BiudError } from '../../engine/errors.ts';
import { dataFile } from './helpers.ts';

const tok = WordPieceTokenizer.fromVocabText(dataFile('vocab/bert-base-uncased-vocab.txt'));

describe('WordPiece (BERT uncased)', () => {
  it('reads the vocabulary with ids = line numbers', () => {
    expect(tok.size).toBe(30522);
    expect([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId]).toEqual([0, 100, 101, 102, 103]);
  });

  it('splits pneumothorax into greedy longest-match pieces', () => {
    // p=1052 ##ne=2638 ##um=2819 ##otho=29288 ##ra=2527 ##x=2595
    const e = tok.tokenize('Pneumothorax');
    expect(e.tokens).toEqual(['p', '##ne', '##um', '##otho', '##ra', '##x']);
    expect(e.ids).toEqual([1052, 2638, 2819, 29288, 2527, 2595]);
    expect(e.offsets).toEqual([[0, 1], [1, 3], [3, 5], [5, 9], [9, 11], [11, 12]]);
  });

  it('splits punctuation: ground-glass, 5x4 mm', () => {
    // ground=2598 -=1011 glass=3221 5=1019 ##x=2595 ##4=2549 mm=3461
    expect(tok.tokenize('ground-glass').ids).toEqual([2598, 1011, 3221]);
    const e = tok.tokenize('5x4 mm');
    expect(e.ids).toEqual([1019, 2595, 2549, 3461]);
    expect(e.offsets).toEqual([[0, 1], [1, 2], [2, 3], [4, 6]]);
  });

  it('strips accents and lower-cases, offsets point at the original letters', () => {
    // naive=15743 muller=12304
    const e = tok.tokenize('naïve Müller');
    expect(e.ids).toEqual([15743, 12304]);
    expect(e.offsets).toEqual([[0, 5], [6, 12]]);
    // A decomposed ü (u + U+0308) is the same word.
    expect(tok.tokenize('Mu\u0308ller').ids).toEqual([12304]);
  });

  it('drops control characters, splits CJK, [UNK] for words past 100 characters', () => {
    expect(tok.tokenize('mm\u0007\u200b').ids).toEqual([3461]);
    expect(basicTokenize('中文').map((w) => w.map((c) => c.ch).join(''))).toEqual(['中', '文']);
    expect(tok.tokenize('a'.repeat(101)).ids).toEqual([100]);
    expect(tok.tokenize('a'.repeat(100)).ids).not.toContain(100);
  });

  it('encodes with [CLS]/[SEP], truncation and padding, and decodes', () => {
    const e = tok.encode('Pleural effusion.', { maxLength: 16, pad: true });
    expect(e.ids[0]).toBe(101);
    expect(e.ids.length).toBe(16);
    expect(e.ids.at(-1)).toBe(0);
    expect(e.ids.filter((i) => i === 102).length).toBe(1);
    expect(tok.decode(e.ids)).toBe('pleural effusion .');
    expect(tok.encode('a b c d e f', { maxLength: 4 }).ids).toEqual([101, tok.tokenId('a'), tok.tokenId('b'), 102]);
  });

  it('every offset span lowercases back to its piece on a real report', () => {
    const text = 'Millimetric nodules in the RIGHT lung (IMA: 42); ground-glass areas.';
    const e = tok.tokenize(text);
    e.tokens.forEach((t, i) => expect(text.slice(...e.offsets[i]).toLowerCase()).toContain(t.replace(/^##/, '')));
  });
});

describe('sub-vocabulary', () => {
  const corpus = ['Pleural effusion was not observed.', 'Pneumothorax and ground-glass opacity.'];
  const sub = SubVocabulary.fromCorpus(tok, corpus);

  it('holds the specials first and every corpus token, in BERT order', () => {
    expect(Array.from(sub.bertIds.subarray(0, 5))).toEqual([0, 100, 101, 102, 103]);
    expect([sub.padId, sub.unkId, sub.clsId, sub.sepId, sub.maskId]).toEqual([0, 1, 2, 3, 4]);
    const ids = corpus.flatMap((t) => tok.tokenize(t).ids);
    expect(sub.size).toBe(new Set(ids).size + 5);
    expect([...sub.bertIds]).toEqual([...sub.bertIds].sort((a, b) => a - b));
  });

  it('round-trips BERT -> sub -> BERT and maps unknown ids to [UNK]', () => {
    const ids = tok.encode(corpus[1]).ids;
    expect(Array.from(sub.toBert(sub.fromBert(ids)))).toEqual(ids);
    expect(Array.from(sub.fromBert([tok.tokenId('banana')!]))).toEqual([sub.unkId]);
    expect(() => sub.toBert([sub.size])).toThrow(BiudError);
  });

  it('gathers embedding rows', () => {
    const dim = 2;
    const m = new Float32Array(tok.size * dim).map((_, i) => i);
    const g = sub.gatherRows(m, dim);
    expect(g[sub.unkId * dim]).toBe(100 * dim);
  });
});
