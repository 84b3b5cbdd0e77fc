// The corpus sub-vocabulary: only the WordPiece tokens that occur in the shipped reports (plus
// the five specials), renumbered 0..n-1. Small models embed n rows instead of 30,522; exports
// map sub ids back to BERT ids so that checkpoints stay in BERT's id space.
//
// Sub ids are assigned in BERT-id order, so [PAD] [UNK] [CLS] [SEP] [MASK] (BERT 0, 100-103,
// below every word piece) are sub ids 0-4 and the mapping is monotone.
import { BiudError } from '../../engine/errors.ts';
import { SPECIAL_TOKENS, type WordPieceTokenizer } from './wordpiece.ts';

export class SubVocabulary {
  /** BERT id of each sub id, ascending. */
  readonly bertIds: Int32Array;
  private readonly toSub: Map<number, number>;
  readonly unkId: number;

  /** `bertIds`: any order, duplicates allowed; must include the five special tokens' ids. */
  constructor(bertIds: Iterable<number>, private readonly tokenizer: WordPieceTokenizer) {
    const sorted = [...new Set(bertIds)].sort((a, b) => a - b);
    for (const id of sorted) if (!Number.isInteger(id) || id < 0 || id >= tokenizer.size) throw new BiudError(`sub-vocabulary: BERT id ${id} is outside the vocabulary (0..${tokenizer.size - 1})`);
    this.bertIds = Int32Array.from(sorted);
    this.toSub = new Map(sorted.map((b, s) => [b, s]));
    for (const t of SPECIAL_TOKENS) if (!this.toSub.has(tokenizer.tokenId(t)!)) throw new BiudError(`sub-vocabulary lacks ${t}`);
    this.unkId = this.toSub.get(tokenizer.unkId)!;
  }

  /** Every token of every text, plus the specials. */
  static fromCorpus(tokenizer: WordPieceTokenizer, texts: Iterable<string>): SubVocabulary {
    const ids = new Set<number>(SPECIAL_TOKENS.map((t) => tokenizer.tokenId(t)!));
    for (const t of texts) for (const id of tokenizer.tokenize(t).ids) ids.add(id);
    return new SubVocabulary(ids, tokenizer);
  }

  get size(): number {
    return this.bertIds.length;
  }

  get padId(): number { return this.subId(this.tokenizer.padId); }
  get clsId(): number { return this.subId(this.tokenizer.clsId); }
  get sepId(): number { return this.subId(this.tokenizer.sepId); }
  get maskId(): number { return this.subId(this.tokenizer.maskId); }

  /** BERT id -> sub id; a token outside the corpus is [UNK]. */
  subId(bertId: number): number {
    return this.toSub.get(bertId) ?? this.unkId;
  }

  fromBert(bertIds: ArrayLike<number>): Int32Array {
    return Int32Array.from(Array.from(bertIds), (b) => this.subId(b));
  }

  /** Sub ids -> BERT ids (for export). Throws on an id outside 0..size-1. */
  toBert(subIds: ArrayLike<number>): Int32Array {
    return Int32Array.from(Array.from(subIds), (s) => {
      if (!(s >= 0 && s < this.bertIds.length)) throw new BiudError(`sub id ${s} is outside the sub-vocabulary (0..${this.bertIds.length - 1})`);
      return this.bertIds[s];
    });
  }

  token(subId: number): string {
    return this.tokenizer.vocab[this.bertIds[subId]];
  }

  /** Sub-vocabulary rows of a [vocab, dim] BERT embedding matrix (row-major). */
  gatherRows(bertMatrix: Float32Array, dim: number): Float32Array {
    if (bertMatrix.length !== this.tokenizer.size * dim) throw new BiudError(`embedding has ${bertMatrix.length} values, expected ${this.tokenizer.size}×${dim}`);
    const out = new Float32Array(this.size * dim);
    this.bertIds.forEach((b, s) => out.set(bertMatrix.subarray(b * dim, (b + 1) * dim), s * dim));
    return out;
  }

  toJSON(): number[] {
    return Array.from(this.bertIds);
  }
}
