// BERT's uncased WordPiece tokenizer (google-research/bert tokenization.py), with character
// offsets back into the original text.
//
// Basic tokenizer, per character of the input: drop NUL, U+FFFD and control characters (Cc/Cf
// except \t\n\r); whitespace (Zs, Zl, Zp, \t\n\r) ends a word; a CJK ideograph is a word of its
// own. Each remaining character is lower-cased, decomposed (NFD) and stripped of nonspacing marks
// (Mn), and punctuation (ASCII symbols and every Unicode P* category) becomes a one-character
// word. WordPiece then splits each word greedily into the longest vocabulary pieces, later pieces
// prefixed with "##"; a word with no split, or over 100 characters, is [UNK].
import { BiudError } from '../../engine/errors.ts';

export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) in UTF-16 code units of the original text; [0, 0] for special tokens. */
  offsets: Array<[number, number]>;
}

export interface EncodeOptions {
  /** Add [CLS] ... [SEP] (default true). */
  specialTokens?: boolean;
  /** Truncate to this many tokens, specials included (the [SEP] is kept). */
  maxLength?: number;
  /** Pad with [PAD] up to maxLength. */
  pad?: boolean;
}

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const MAX_WORD_CHARS = 100;

/** One normalised character and the span of the original character it came from. */
interface NormChar {
  ch: string;
  start: number;
  end: number;
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const WHITESPACE = /^[\t\n\r\p{Zs}\p{Zl}\p{Zp}]$/u;
const CONTROL = /^[\p{Cc}\p{Cf}]$/u;
const MARK = /\p{Mn}/gu;
const PUNCT = /^[\p{P}!-\/:-@\[-`{-~]$/u;
const LETTER = /^\p{L}$/u;

/** Lower-casing as Python's str.lower() does it on a word: Σ is ς at the end of a word. */
function lower(word: string[], i: number): string {
  const c = word[i];
  if (c !== 'Σ') return c.toLowerCase();
  const before = i > 0 && LETTER.test(word[i - 1]);
  const after = i + 1 < word.length && LETTER.test(word[i + 1]);
  return before && !after ? 'ς' : 'σ';
}

/** Splits the original text into raw words: [start offsets, characters], cleaned of controls. */
function rawWords(text: string): Array<{ chars: string[]; starts: number[] }> {
  const words: Array<{ chars: string[]; starts: number[] }> = [];
  let cur: { chars: string[]; starts: number[] } | null = null;
  let pos = 0;
  for (const ch of text) {
    const start = pos;
    pos += ch.length;
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || (CONTROL.test(ch) && ch !== '\t' && ch !== '\n' && ch !== '\r')) continue;
    if (WHITESPACE.test(ch)) { cur = null; continue; }
    if (isCjk(cp)) { words.push({ chars: [ch], starts: [start] }); cur = null; continue; }
    if (!cur) words.push((cur = { chars: [], starts: [] }));
    cur.chars.push(ch);
    cur.starts.push(start);
  }
  return words;
}

/** Basic tokenization: normalised words, each a list of characters with original offsets. */
export function basicTokenize(text: string): NormChar[][] {
  const out: NormChar[][] = [];
  for (const w of rawWords(text)) {
    let cur: NormChar[] = [];
    w.chars.forEach((c, i) => {
      const start = w.starts[i], end = start + c.length;
      for (const n of lower(w.chars, i).normalize('NFD').replace(MARK, '')) {
        if (PUNCT.test(n)) {
          if (cur.length) out.push(cur);
          out.push([{ ch: n, start, end }]);
          cur = [];
        } else cur.push({ ch: n, start, end });
      }
    });
    if (cur.length) out.push(cur);
  }
  return out;
}

export class WordPieceTokenizer {
  readonly vocab: readonly string[];
  private readonly index: Map<string, number>;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;

  constructor(vocab: readonly string[]) {
    this.vocab = vocab;
    this.index = new Map();
    vocab.forEach((t, i) => { if (!this.index.has(t)) this.index.set(t, i); });
    const need = (t: string): number => {
      const id = this.index.get(t);
      if (id === undefined) throw new BiudError(`WordPiece vocabulary has no ${t} token`);
      return id;
    };
    [this.padId, this.unkId, this.clsId, this.sepId, this.maskId] = SPECIAL_TOKENS.map(need);
  }

  /** A vocab.txt: one token per line, id = 0-based line number. */
  static fromVocabText(input: string | Uint8Array): WordPieceTokenizer {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    const lines = text.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    return new WordPieceTokenizer(lines);
  }

  get size(): number {
    return this.vocab.length;
  }

  tokenId(token: string): number | undefined {
    return this.index.get(token);
  }

  /** Greedy longest-match pieces of one normalised word. */
  private pieces(word: NormChar[], out: Encoding): void {
    const chars = word.map((c) => c.ch);
    if (chars.length > MAX_WORD_CHARS) return this.push(out, this.unkId, word[0].start, word[word.length - 1].end);
    const found: Array<[number, number, number]> = [];
    for (let start = 0; start < chars.length; ) {
      let end = chars.length, id: number | undefined;
      for (; end > start; end--) {
        id = this.index.get((start > 0 ? '##' : '') + chars.slice(start, end).join(''));
        if (id !== undefined) break;
      }
      if (id === undefined) return this.push(out, this.unkId, word[0].start, word[word.length - 1].end);
      found.push([id, word[start].start, word[end - 1].end]);
      start = end;
    }
    for (const [id, s, e] of found) this.push(out, id, s, e);
  }

  private push(out: Encoding, id: number, start: number, end: number): void {
    out.ids.push(id);
    out.tokens.push(this.vocab[id]);
    out.offsets.push([start, end]);
  }

  /** WordPiece tokens of a text, no special tokens. */
  tokenize(text: string): Encoding {
    const out: Encoding = { ids: [], tokens: [], offsets: [] };
    for (const w of basicTokenize(text)) this.pieces(w, out);
    return out;
  }

  /** [CLS] tokens [SEP], truncated and padded as asked. */
  encode(text: string, opts: EncodeOptions = {}): Encoding {
    const body = this.tokenize(text);
    const special = opts.specialTokens ?? true;
    const room = opts.maxLength === undefined ? Infinity : opts.maxLength - (special ? 2 : 0);
    if (room < 0) throw new BiudError(`maxLength ${opts.maxLength} leaves no room for [CLS] and [SEP]`);
    const out: Encoding = { ids: [], tokens: [], offsets: [] };
    if (special) this.push(out, this.clsId, 0, 0);
    const n = Math.min(body.ids.length, room);
    for (let i = 0; i < n; i++) this.push(out, body.ids[i], body.offsets[i][0], body.offsets[i][1]);
    if (special) this.push(out, this.sepId, 0, 0);
    if (opts.pad && opts.maxLength !== undefined) while (out.ids.length < opts.maxLength) this.push(out, this.padId, 0, 0);
    return out;
  }

  /** Text from ids: pieces joined, "##" continuations glued, specials and padding dropped. */
  decode(ids: ArrayLike<number>): string {
    const skip = new Set([this.padId, this.clsId, this.sepId]);
    let s = '';
    for (const id of Array.from(ids)) {
      if (skip.has(id)) continue;
      const t = this.vocab[id] ?? '[UNK]';
      s += t.startsWith('##') ? t.slice(2) : (s ? ' ' : '') + t;
    }
    return s;
  }
}
