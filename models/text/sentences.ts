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
    String.raw`,?\s+(?:but|however|although|though|whereas|while|except(?: for)?|apart from(?: this| these| that)?|other than this|besides|in addition|additionally|then|which|where)\b`,
    // "also" starts a statement ("..., also a nodule"), not inside a verb ("was also observed").
    String.raw`,?(?<!\b(?:is|are|was|were|been|be|has|have|had|can|could|may|might|will|would|should))\s+also\b`,
    String.raw`,\s+(?:and\s+)?(?=(?:there|it|this|these|a|an|the|no|not)\b)`,
    String.raw`(?<=\b(?:observed|detected|seen|noted|present|normal|natural|open|preserved|evaluated|found|identified|visualized|monitored|increased|decreased|appearance|apparent|available|patent|compatible|considered|recommended|distinguished|thickened|minimal|significant|prominent|mm|cm))\s*,?\s+and\s+`,
    String.raw`,?\s+and\s+(?=(?:there|no|not)\b)`,
  ].join('|'),
  'gi',
);

/**
 * A statement that is complete: a finite passive verb ("is detected", "were not observed", "was
 * seen"). An ", and" between two of them starts a new statement even when the words between are
 * a location ("No mass is detected in the right lung, and sequelae are observed in the lower
 * lobe"); an ", and" in a list ("in the arch, ascending aorta, and coronary arteries") is not.
 */
const FINITE_STATEMENT = /\b(?:is|are|was|were)\s+(?:not\s+|no\s+longer\s+)?(?:\w+ly\s+)?(?:observed|detected|seen|noted|identified|found|visuali[sz]ed|monitored|present|evaluated|considered|selected)\b/i;
const COMMA_AND = /,\s+(?:and\s+)?/g;

function splitAfterStatements(body: string, from: number, to: number, out: Span[], base: number): void {
  let start = from;
  const piece = body.slice(from, to);
  for (const m of piece.matchAll(COMMA_AND)) {
    const at = from + m.index!;
    if (at > start && FINITE_STATEMENT.test(body.slice(start, at)) && FINITE_STATEMENT.test(body.slice(at, to))) {
      out.push({ start: base + start, end: base + at });
      start = at + m[0].length;
    }
  }
  if (to > start) out.push({ start: base + start, end: base + to });
}

export function splitClauses(text: string, sentence: Span): Span[] {
  const body = text.slice(sentence.start, sentence.end);
  const spans: Span[] = [];
  let start = 0;
  for (const m of body.matchAll(CLAUSE_BREAK)) {
    if (m.index! > start) splitAfterStatements(body, start, m.index!, spans, sentence.start);
    start = m.index! + m[0].length;
  }
  if (start < body.length) splitAfterStatements(body, start, body.length, spans, sentence.start);
  return spans;
}
