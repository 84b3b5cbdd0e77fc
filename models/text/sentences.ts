// Sentence and clause boundaries, as character spans into the original text (so that every
// decision can point back at the words that made it).
//
// CT-RATE reports are machine-translated Turkish: sentences end in ". ", but the impression is a
// list whose items are separated by '"' or '•', and "window; Aeration ..." or "observed: The ..."
// run two statements together. Each of those is a boundary. A '.' between digits ("3.5 mm") or
// after a one-letter initial is not.

export interface Span {
  start: number;
  end: number;
}

const SENTENCE_END = /[.!?](?=\s|["'”•]|$)|[;•"“”\n\r]|:(?=\s)|\?(?=\S)/g;

/** Sentences with surrounding whitespace trimmed; empty pieces dropped. */
export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  for (const m of text.matchAll(SENTENCE_END)) {
    const end = m.index! + 1;
    if (m[0] === '.' && /(?:^|\s)[A-Za-z]$/.test(text.slice(Math.max(0, m.index! - 2), m.index!))) continue;
    pushTrimmed(text, start, end, spans);
    start = end;
  }
  pushTrimmed(text, start, text.length, spans);
  return spans;
}

function pushTrimmed(text: string, start: number, end: number, out: Span[]): void {
  while (start < end && /[\s"“”•;:]/.test(text[start])) start++;
  while (end > start && /[\s"“”•]/.test(text[end - 1])) end--;
  if (end > start) out.push({ start, end });
}

/**
 * Clause breaks inside a sentence: negation never reaches across these. Contrastive words
 * ("but", "however", "apart from", "except", "although", "whereas", "while") always break; "and"
 * / ", " break only where a new statement starts ("..., and there is", "... observed and no ...").
 */
const CLAUSE_BREAK = new RegExp(
  [
    String.raw`,?\s+(?:but|however|although|though|whereas|while|except(?: for)?|apart from(?: this| these| that)?|other than this|besides|in addition|additionally|also|then|which|where)\b`,
    String.raw`,\s+(?:and\s+)?(?=(?:there|it|this|these|a|an|the|no|not)\b)`,
    String.raw`(?<=\b(?:observed|detected|seen|noted|present|normal|natural|open|preserved|evaluated|found|identified|visualized|monitored|increased|decreased|appearance|apparent|available|patent|compatible|considered|recommended|distinguished|thickened|minimal|significant|prominent|mm|cm))\s*,?\s+and\s+`,
    String.raw`,?\s+and\s+(?=(?:there|no|not)\b)`,
  ].join('|'),
  'gi',
);

export function splitClauses(text: string, sentence: Span): Span[] {
  const body = text.slice(sentence.start, sentence.end);
  const spans: Span[] = [];
  let start = 0;
  for (const m of body.matchAll(CLAUSE_BREAK)) {
    if (m.index! > start) spans.push({ start: sentence.start + start, end: sentence.start + m.index! });
    start = m.index! + m[0].length;
  }
  if (start < body.length) spans.push({ start: sentence.start + start, end: sentence.end });
  return spans;
}
