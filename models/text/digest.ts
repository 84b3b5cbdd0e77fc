// What a short text encoder reads of a long report. CT-RATE reports run to ~300 WordPiece tokens
// (median 236 words) while `tiny` reads 96, so plain truncation keeps the trachea and the
// mediastinum and drops the lungs: most findings, positive or negated, never reach the model and
// the report no longer describes its volume. The digest keeps whole sentences, verbatim, chosen
// in the order of what they say about the 18 findings (a present or uncertain finding first,
// then a negated one, then the rest), and puts them back in their original order.
import { findMentions } from './labeler.ts';
import { splitSentences } from './sentences.ts';

/** Sentences of `text` that fit `budget` by `measure` (default ≈ WordPiece tokens), most informative first. */
export function reportDigest(text: string, budget: number, measure: (s: string) => number = approxTokens): string {
  if (measure(text) <= budget) return text;
  const sentences = splitSentences(text);
  const mentions = findMentions(text);
  const rank = sentences.map((s) => {
    const inside = mentions.filter((m) => m.start >= s.start && m.end <= s.end);
    if (inside.some((m) => m.certainty === 'present' || m.certainty === 'uncertain')) return 2;
    return inside.length ? 1 : 0;
  });
  const order = sentences.map((_, i) => i).sort((a, b) => rank[b] - rank[a] || a - b);
  const keep = new Set<number>();
  let used = 0;
  for (const i of order) {
    const s = text.slice(sentences[i].start, sentences[i].end);
    const n = measure(s);
    if (used + n > budget) continue;
    keep.add(i);
    used += n;
  }
  // Nothing fits (one enormous sentence): the start of the text, as truncation would give.
  if (!keep.size) return text;
  return sentences.filter((_, i) => keep.has(i)).map((s) => text.slice(s.start, s.end)).join(' ');
}

/** WordPiece tokens of clinical English, roughly: words and punctuation, long words in pieces. */
export function approxTokens(s: string): number {
  let n = 0;
  for (const w of s.match(/[A-Za-z]+|\d+|[^\sA-Za-z\d]/g) ?? []) n += /^[A-Za-z]+$/.test(w) && w.length > 8 ? 2 : 1;
  return n;
}
