// Report -> the 18 CT-RATE findings, each with the text spans that decided it.
//
// A finding is present when at least one of its mentions is affirmed or uncertain in its clause
// (CT-RATE's annotators marked "nodule (lymph node?)" as a nodule); it is absent when every
// mention is negated, put as a question ("atelectasis?") or only offered as a speculative
// explanation ("may be due to atelectasis"), or there is none. Evidence for a 1 is the affirmed mentions; for a 0 the
// negated mentions, if any. Entities (findings, anatomy, size, laterality, cues) cover the whole
// text for highlighting and entity-focused masking.
import { FINDINGS, NUM_FINDINGS, type Finding } from './findings.ts';
import { ANATOMY, LATERALITY, LEXICON, SIZE, type FindingLexicon } from './lexicon.ts';
import { certaintyOf, cuesIn, type Certainty } from './negation.ts';
import { splitClauses, splitSentences, type Span } from './sentences.ts';

export type EntityKind = 'finding' | 'anatomy' | 'size' | 'laterality' | 'negation' | 'uncertainty';

export interface EntitySpan extends Span {
  kind: EntityKind;
  /** For kind 'finding'. */
  finding?: Finding;
  certainty?: Certainty;
}

export interface Mention extends Span {
  finding: Finding;
  text: string;
  certainty: Certainty;
  /** The negation or uncertainty cue that decided the certainty (absolute offsets). */
  cue?: Span;
  /** The clause the mention was judged in. */
  clause: Span;
}

export interface LabelResult {
  /** 0/1 per finding, FINDINGS order. */
  labels: Uint8Array;
  /** Per finding, the mentions that decided its label. */
  evidence: Mention[][];
  /** Every mention, in text order. */
  mentions: Mention[];
  /** Findings, anatomy, size, laterality and cue spans, sorted, non-overlapping. */
  entities: EntitySpan[];
}

function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return re.test(text);
}

function vetoed(lex: FindingLexicon, clauseText: string): boolean {
  return (lex.veto ?? []).some((v) => matches(v, clauseText));
}

function mentionsInClause(text: string, clause: Span): Mention[] {
  const clauseText = text.slice(clause.start, clause.end);
  const out: Mention[] = [];
  for (const lex of LEXICON) {
    if (vetoed(lex, clauseText)) continue;
    for (const p of lex.mentions) {
      const re = p instanceof RegExp ? p : p.re;
      if (!(p instanceof RegExp) && p.veto && matches(p.veto, clauseText)) continue;
      if (!(p instanceof RegExp) && p.require && !matches(p.require, clauseText)) continue;
      for (const m of clauseText.matchAll(re)) {
        const s = m.index!, e = s + m[0].length;
        if (e === s) continue;
        const { certainty, cue } = certaintyOf(clauseText, s, e);
        out.push({
          finding: lex.finding,
          start: clause.start + s,
          end: clause.start + e,
          text: m[0],
          certainty,
          cue: cue && { start: clause.start + cue.start, end: clause.start + cue.end },
          clause,
        });
      }
    }
  }
  return out;
}

/** Every clause of the report, in order. */
export function reportClauses(text: string): Span[] {
  return splitSentences(text).flatMap((s) => splitClauses(text, s));
}

export function findMentions(text: string): Mention[] {
  return reportClauses(text)
    .flatMap((c) => mentionsInClause(text, c))
    .sort((a, b) => a.start - b.start || b.end - a.end);
}

export function labelReport(text: string): LabelResult {
  const mentions = findMentions(text);
  const labels = new Uint8Array(NUM_FINDINGS);
  const evidence: Mention[][] = FINDINGS.map(() => []);
  FINDINGS.forEach((f, k) => {
    const mine = mentions.filter((m) => m.finding === f);
    const positive = mine.filter((m) => m.certainty === 'present' || m.certainty === 'uncertain');
    labels[k] = positive.length > 0 ? 1 : 0;
    evidence[k] = positive.length > 0 ? positive : mine;
  });
  return { labels, evidence, mentions, entities: entitySpans(text, mentions) };
}

function regexSpans(text: string, re: RegExp, kind: EntityKind): EntitySpan[] {
  return [...text.matchAll(re)]
    .map((m) => {
      const lead = m[0].length - m[0].trimStart().length;
      return { start: m.index! + lead, end: m.index! + m[0].trimEnd().length, kind };
    })
    .filter((s) => s.end > s.start);
}

/**
 * All entity spans, overlaps resolved by priority (finding > negation/uncertainty > size >
 * laterality > anatomy), then by length.
 */
export function entitySpans(text: string, mentions: Mention[] = findMentions(text)): EntitySpan[] {
  const cues = reportClauses(text).flatMap((c) =>
    cuesIn(text.slice(c.start, c.end)).map((h) => ({ start: c.start + h.start, end: c.start + h.end, kind: h.kind as EntityKind })),
  );
  const all: EntitySpan[] = [
    ...mentions.map((m) => ({ start: m.start, end: m.end, kind: 'finding' as const, finding: m.finding, certainty: m.certainty })),
    ...cues.map((c) => trimSpan(text, c)),
    ...regexSpans(text, SIZE, 'size'),
    ...regexSpans(text, LATERALITY, 'laterality'),
    ...regexSpans(text, ANATOMY, 'anatomy'),
  ];
  return resolveOverlaps(all);
}

function trimSpan<T extends Span>(text: string, s: T): T {
  let { start, end } = s;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return { ...s, start, end };
}

const PRIORITY: Record<EntityKind, number> = { finding: 0, negation: 1, uncertainty: 1, size: 2, laterality: 3, anatomy: 4 };

function resolveOverlaps(spans: EntitySpan[]): EntitySpan[] {
  const ranked = spans
    .filter((s) => s.end > s.start)
    .sort((a, b) => PRIORITY[a.kind] - PRIORITY[b.kind] || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: EntitySpan[] = [];
  for (const s of ranked) {
    if (!kept.some((k) => k.start < s.end && s.start < k.end)) kept.push(s);
  }
  return kept.sort((a, b) => a.start - b.start);
}
