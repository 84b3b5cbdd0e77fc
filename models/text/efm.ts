// Entity-focused masking (EFM) for the masked-LM loss: mask the words that carry the findings
// (the labeler's entity spans: findings, anatomy, size, laterality, negation cues), whole spans at
// a time, before any random token, so the text encoder must learn the clinically decisive words.
//
// Budget: round(ratio * non-special tokens), at least 1. Spans are taken in a seeded random order
// while they fit; random non-special tokens fill what is left. Each chosen position is replaced
// as in BERT: 80% [MASK], 10% a random token, 10% unchanged. labels = original id where chosen,
// -100 (the loss's ignore index) elsewhere.
import { BiudError } from '../../engine/errors.ts';
import type { Span } from './sentences.ts';
import { mulberry32, randInt, shuffle, type Rng } from './rng.ts';

export const IGNORE_INDEX = -100;

export interface EfmOptions {
  seed: number;
  maskId: number;
  /** Random replacements are drawn uniformly from [0, vocabSize) minus `specialIds`. */
  vocabSize: number;
  /** Never masked and never drawn as a random replacement ([CLS], [SEP], [PAD], ...). */
  specialIds: Iterable<number>;
  /** Fraction of non-special tokens to mask (default 0.15). */
  ratio?: number;
  /** Probabilities of [MASK] and of a random token (default 0.8, 0.1; the rest unchanged). */
  maskProb?: number;
  randomProb?: number;
}

export interface EfmResult {
  inputIds: Int32Array;
  labels: Int32Array;
  /** Chosen positions, ascending. */
  masked: number[];
  /** Token spans [start, end) chosen whole. */
  spans: Span[];
}

/** Token index ranges covered by character spans (a token counts if it overlaps the span). */
export function charSpansToTokenSpans(offsets: ReadonlyArray<readonly [number, number]>, spans: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    let start = -1, end = -1;
    offsets.forEach(([a, b], i) => {
      if (b > a && a < s.end && s.start < b) { if (start < 0) start = i; end = i + 1; }
    });
    if (start >= 0) out.push({ start, end });
  }
  return out;
}

function randomToken(rng: Rng, vocabSize: number, special: Set<number>): number {
  if (special.size >= vocabSize) throw new BiudError('EFM: every id is special; nothing to draw a random token from');
  for (;;) {
    const id = randInt(rng, vocabSize);
    if (!special.has(id)) return id;
  }
}

/** Picks positions: whole entity spans first, then random tokens, up to the budget. */
function choose(ids: ArrayLike<number>, spans: readonly Span[], special: Set<number>, ratio: number, rng: Rng): { chosen: Set<number>; taken: Span[] } {
  const candidates = Array.from({ length: ids.length }, (_, i) => i).filter((i) => !special.has(ids[i]));
  const budget = candidates.length === 0 ? 0 : Math.max(1, Math.round(ratio * candidates.length));
  const chosen = new Set<number>();
  const taken: Span[] = [];
  for (const s of shuffle(rng, [...spans])) {
    const positions = [];
    for (let i = Math.max(0, s.start); i < Math.min(ids.length, s.end); i++) if (!special.has(ids[i]) && !chosen.has(i)) positions.push(i);
    if (positions.length === 0 || chosen.size + positions.length > budget) continue;
    positions.forEach((i) => chosen.add(i));
    taken.push(s);
  }
  for (const i of shuffle(rng, candidates)) {
    if (chosen.size >= budget) break;
    chosen.add(i);
  }
  return { chosen, taken: taken.sort((a, b) => a.start - b.start) };
}

export function entityFocusedMask(ids: ArrayLike<number>, tokenSpans: readonly Span[], opts: EfmOptions): EfmResult {
  const rng = mulberry32(opts.seed);
  const special = new Set(opts.specialIds);
  const { chosen, taken } = choose(ids, tokenSpans, special, opts.ratio ?? 0.15, rng);
  const maskP = opts.maskProb ?? 0.8, randP = opts.randomProb ?? 0.1;
  const inputIds = Int32Array.from(Array.from(ids));
  const labels = new Int32Array(ids.length).fill(IGNORE_INDEX);
  const masked = [...chosen].sort((a, b) => a - b);
  for (const i of masked) {
    labels[i] = ids[i];
    const u = rng();
    if (u < maskP) inputIds[i] = opts.maskId;
    else if (u < maskP + randP) inputIds[i] = randomToken(rng, opts.vocabSize, special);
  }
  return { inputIds, labels, masked, spans: taken };
}
