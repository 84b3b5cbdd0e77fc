// Reports → model token ids. Small configs embed only the WordPiece tokens that occur in the
// shipped reports (DESIGN.md: the corpus sub-vocabulary, mapped back to BERT ids on export);
// `base` uses all of BERT's. Also entity-focused masking in model ids.
import { WordPieceTokenizer, SubVocabulary, entitySpans, charSpansToTokenSpans, entityFocusedMask, IGNORE_INDEX, splitSentences } from './text/index.ts';
import type { Assets } from './assets.ts';

export const VOCAB_PATH = 'data/vocab/bert-base-uncased-vocab.txt';

export interface EncodedReport {
  /** Model ids, [CLS] … [SEP] then [PAD], length maxLen. */
  ids: Int32Array;
  /** 1 for real tokens. */
  mask: Int32Array;
  /** Character span of each token in the text ([0, 0] for specials and padding). */
  offsets: Array<[number, number]>;
  length: number;
}

/**
 * A text laid out sentence by sentence in one row (config `text.sentences`): each sentence as
 * [CLS] … [SEP] with positions from 0, as a prompt alone would be, one segment id per sentence
 * (attention stays inside a sentence: ops.attention `segments`), and pooling weights that make the
 * row's pooled vector the mean over its sentences of each sentence's mean token.
 */
export interface SentenceLayout extends EncodedReport {
  /** Segment id per token: k for the k-th sentence (from 1), 0 for padding. */
  segments: Int32Array;
  /** Position of each token within its sentence (0 for padding). */
  positions: Int32Array;
  /** Pooling weight per token: 1 / (tokens of its sentence · sentences); 0 for padding. */
  pool: Float32Array;
  sentences: number;
}

export interface MaskedReport {
  inputIds: Int32Array;
  /** Original id at masked positions, −100 elsewhere. */
  labels: Int32Array;
  masked: number[];
}

export class ReportTokenizer {
  readonly padId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  readonly unkId: number;

  constructor(readonly wordpiece: WordPieceTokenizer, readonly sub: SubVocabulary | null) {
    const m = (bert: number) => (sub ? sub.subId(bert) : bert);
    this.padId = m(wordpiece.padId);
    this.clsId = m(wordpiece.clsId);
    this.sepId = m(wordpiece.sepId);
    this.maskId = m(wordpiece.maskId);
    this.unkId = m(wordpiece.unkId);
  }

  /** mode 'sub' builds the sub-vocabulary from `corpus` (every report the model will see). */
  static async load(assets: Assets, mode: 'sub' | 'bert', corpus: Iterable<string>): Promise<ReportTokenizer> {
    const wp = WordPieceTokenizer.fromVocabText(await assets.read(VOCAB_PATH));
    return new ReportTokenizer(wp, mode === 'sub' ? SubVocabulary.fromCorpus(wp, corpus) : null);
  }

  /** Rebuild from a saved list of BERT ids (checkpoint metadata) so ids mean the same thing. */
  static async fromBertIds(assets: Assets, bertIds: number[] | null): Promise<ReportTokenizer> {
    const wp = WordPieceTokenizer.fromVocabText(await assets.read(VOCAB_PATH));
    return new ReportTokenizer(wp, bertIds ? new SubVocabulary(bertIds, wp) : null);
  }

  get size(): number {
    return this.sub ? this.sub.size : this.wordpiece.size;
  }

  get specialIds(): number[] {
    return [this.padId, this.clsId, this.sepId, this.maskId, this.unkId];
  }

  /** BERT ids of the model vocabulary (null = all of BERT), for checkpoint metadata. */
  bertIds(): number[] | null {
    return this.sub ? Array.from(this.sub.bertIds) : null;
  }

  encode(text: string, maxLen: number): EncodedReport {
    const enc = this.wordpiece.encode(text, { maxLength: maxLen, pad: true });
    const bert = Int32Array.from(enc.ids);
    const ids = this.sub ? this.sub.fromBert(bert) : bert;
    const mask = Int32Array.from(enc.ids, (id) => (id === this.wordpiece.padId ? 0 : 1));
    return { ids, mask, offsets: enc.offsets, length: mask.reduce((a, b) => a + b, 0) };
  }

  /** WordPiece tokens of `text`, without [CLS] and [SEP]: a text's length against a token budget. */
  tokenCount(text: string): number {
    return this.wordpiece.tokenize(text).ids.length;
  }

  /**
   * The sentences of `text` (models/text/sentences.ts), each encoded on its own, one after the
   * other until `maxLen` is full (a sentence that does not fit whole is cut, if at least one of
   * its tokens fits). Offsets point into `text`, so entity-focused masking works on the layout.
   */
  encodeSentences(text: string, maxLen: number): SentenceLayout {
    const ids = new Int32Array(maxLen).fill(this.padId);
    const mask = new Int32Array(maxLen);
    const segments = new Int32Array(maxLen);
    const positions = new Int32Array(maxLen);
    const pool = new Float32Array(maxLen);
    const offsets: Array<[number, number]> = Array.from({ length: maxLen }, () => [0, 0]);
    const spans = splitSentences(text);
    const lengths: number[] = [];
    let at = 0;
    for (const span of spans.length ? spans : [{ start: 0, end: text.length }]) {
      const room = maxLen - at;
      if (room < 3) break;
      const enc = this.wordpiece.encode(text.slice(span.start, span.end), { maxLength: room });
      const bert = Int32Array.from(enc.ids);
      const sub = this.sub ? this.sub.fromBert(bert) : bert;
      const k = lengths.length + 1;
      for (let i = 0; i < sub.length; i++) {
        ids[at + i] = sub[i];
        mask[at + i] = 1;
        segments[at + i] = k;
        positions[at + i] = i;
        const [a, b] = enc.offsets[i];
        offsets[at + i] = a === b ? [0, 0] : [a + span.start, b + span.start];
      }
      lengths.push(sub.length);
      at += sub.length;
    }
    let o = 0;
    for (const n of lengths) {
      for (let i = 0; i < n; i++) pool[o + i] = 1 / (n * lengths.length);
      o += n;
    }
    return { ids, mask, offsets, length: at, segments, positions, pool, sentences: lengths.length };
  }

  /** Model ids → text. */
  decode(ids: ArrayLike<number>): string {
    return this.wordpiece.decode(this.sub ? this.sub.toBert(ids) : ids);
  }

  token(id: number): string {
    return this.sub ? this.sub.token(id) : this.wordpiece.vocab[id];
  }

  /**
   * Masking for the masked-LM loss. Entity-focused: the labeler's entity spans (findings,
   * anatomy, size, laterality, negation) are chosen first, whole; random tokens fill the rest of
   * the budget. With `entityFocused` off, the spans are ignored (random masking, BERT's own).
   */
  mask(text: string, enc: EncodedReport, seed: number, ratio: number, entityFocused: boolean): MaskedReport {
    const spans = entityFocused ? charSpansToTokenSpans(enc.offsets, entitySpans(text)) : [];
    const r = entityFocusedMask(enc.ids, spans, { seed, maskId: this.maskId, vocabSize: this.size, specialIds: this.specialIds, ratio });
    return { inputIds: r.inputIds, labels: r.labels, masked: r.masked };
  }
}

export { IGNORE_INDEX };
