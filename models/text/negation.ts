// NegEx-style scope inside one clause (Chapman et al. 2001): a pre-negation cue ("no",
// "without") negates what follows it up to the clause end; a post-negation cue ("was not
// observed", "within normal limits") negates what precedes it back to the clause start.
// Pseudo-negations ("no significant change", "did not reach pathological size") look like cues
// but negate nothing and are masked out first. Uncertainty cues ("?", "may", "suspicious for")
// mark a mention as possible; the labeler counts possible findings as present, as CT-RATE's
// annotators did.
import type { Span } from './sentences.ts';

/**
 * 'uncertain': hedged ("may be compatible with X", "suspicious for X"), counted as present;
 * 'questioned': the mention itself is put as a question ("atelectasis?"), which CT-RATE's
 * annotators mostly did not label; 'speculative': the mention is only offered as a possible
 * explanation of something else ("the described appearances may be due to atelectasis", "this
 * appearance was thought to be compatible with sequelae", "suggests a sequela change"), which
 * they did not label either. A hedge after the mention ("a nodule that may be a lymph node")
 * leaves it uncertain, i.e. present.
 */
export type Certainty = 'present' | 'absent' | 'uncertain' | 'questioned' | 'speculative';

export interface CueHit extends Span {
  kind: 'negation' | 'uncertainty';
}

const PSEUDO = new RegExp(
  [
    String.raw`\bno (?:significant |obvious |marked |apparent |remarkable |evident )?(?:change|difference|progression|regression)\b`,
    String.raw`\bno (?:significant |obvious |marked |apparent |remarkable |evident )?(?:increase|decrease|enlargement|reduction) (?:in|of) (?:the )?(?:size|number|dimensions?|diameters?|extent|amount|count|sizes)\b`,
    String.raw`\bnot (?:reach(?:ing)?|exceed(?:ing)?|meet(?:ing)?|only|necessarily|change[ds]?)\b`,
    String.raw`\bdid not (?:reach|exceed|meet|change)\b`,
    String.raw`\bno longer\b(?= (?:than|[0-9]))`,
    String.raw`\bcannot be (?:ruled out|excluded)\b`,
    String.raw`\bcould not be (?:ruled out|excluded)\b`,
    String.raw`\bnot (?:be )?(?:ruled out|excluded)\b`,
    String.raw`\bno (?:contrast|iv|intravenous)\b`,
    // "... is observed and was not detected in the previous examination": new, not absent.
    String.raw`\b(?:was|were|is|are)?\s*not (?:observed|detected|seen|present|visible)(?: \w+){0,2} (?:in|on|at) (?:the |his |her |its |their )?(?:previous|prior|former|old|earlier)\b`,
    String.raw`\bnon-?contrast\b`,
    String.raw`\b(?:could|can) not be (?:evaluated|assessed|distinguished from)\b`,
  ].join('|'),
  'gi',
);

const PRE_NEGATION = new RegExp(
  [
    String.raw`\bno\b`,
    String.raw`\bnot (?:a|an|any|see|seen|observe|detect)\b`,
    String.raw`\bwithout\b`,
    String.raw`\bneither\b`,
    String.raw`\bnor\b`,
    String.raw`\b(?:absence|absent|free) of\b`,
    String.raw`\bnegative for\b`,
    String.raw`\bnone\b`,
    String.raw`\bresolution of\b`,
    String.raw`\bdisappearance of\b`,
    String.raw`\b(?:complete|total) (?:regression|resolution) of\b`,
  ].join('|'),
  'gi',
);

const POST_NEGATION = new RegExp(
  [
    String.raw`\b(?:is|are|was|were|has|have|had|been|be)?\s*(?:not|never)\s+(?:been\s+)?(?:clearly\s+|significantly\s+|definitely\s+|distinctly\s+|evidently\s+)?(?:observed|detected|seen|found|identified|noted|visuali[sz]ed|distinguished|monitored|present|evident|encountered|determined|demonstrated|apparent|viewed|shown|described|recognized|monitorized|observable|visible|followed|noticed|available|selected|measured|obvious|prominent|significant|pathological|mentioned|enlarged|dilated|thickened)\b`,
    String.raw`\b(?:is|are|was|were)\s+absent\b`,
    String.raw`\b(?:has|have|had)\s+(?:completely\s+)?(?:disappeared|resolved)\b`,
    String.raw`\b(?:completely\s+)?(?:disappeared|resolved)\b`,
    // The translations use "has regressed" for what is gone (annotators labelled it absent);
    // "regression of X" without "complete" is only smaller.
    String.raw`\b(?:completely|totally|entirely)\s+regressed\b`,
    String.raw`\b(?:has|have|had)\s+regressed\b`,
    String.raw`\bwithin (?:the )?normal (?:size |dimension |range )?limits\b`,
    String.raw`\bnot\s+(?:in|of)\s+(?:a\s+)?pathological\b`,
    String.raw`\bnone\s*$`,
    String.raw`\bno longer\s+(?:\w+ly\s+)?(?:observed|detected|seen|present|visible|visuali[sz]ed|identified|evident|noted)\b`,
    String.raw`\bor absent\b`,
  ].join('|'),
  'gi',
);

const UNCERTAIN = new RegExp(
  [
    String.raw`\?`,
    String.raw`\b(?:may|might|could)\b(?! not)`,
    String.raw`\bpossib(?:le|ly|ility)\b`,
    String.raw`\bprobabl[ey]\b`,
    String.raw`\bsuspicious\b`,
    String.raw`\bsuspected\b`,
    String.raw`\bquestionable\b`,
    String.raw`\bequivocal\b`,
    String.raw`\bdifferential diagnosis\b`,
    String.raw`\bcannot be (?:ruled out|excluded)\b`,
    String.raw`\bnot (?:be )?(?:ruled out|excluded)\b`,
    String.raw`\bin favou?r of\b`,
    String.raw`\bconsistent with\b`,
    String.raw`\bcompatible with\b`,
  ].join('|'),
  'gi',
);

const SPECULATIVE = new RegExp(
  [
    String.raw`\b(?:may|might|could)\b(?! not)`,
    String.raw`\bthought\b`,
    String.raw`\bsuggest(?:s|ing|ed)?\b`,
  ].join('|'),
  'gi',
);

function inSpeculationScope(between: string): boolean {
  return (between.match(/[\w-]+/g) ?? []).length <= 8 && !/\baccompan\w*/i.test(between);
}

const RELATIVE = /\b(?:that|which|who)\s+(?:is|are|was|were|did|do|does|has|have|had)\b/i;

/** Replaces pseudo-negations with spaces (offsets unchanged) so the cue scanners skip them. */
function maskPseudo(clause: string): string {
  return clause.replace(PSEUDO, (m) => ' '.repeat(m.length));
}

function hits(re: RegExp, text: string): Span[] {
  return [...text.matchAll(re)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
}

/**
 * Certainty of the mention [mStart, mEnd) inside `clause` (offsets relative to the clause), and
 * the cue that decided it, if any (offsets relative to the clause).
 */
export function certaintyOf(clause: string, mStart: number, mEnd: number): { certainty: Certainty; cue?: CueHit } {
  const text = maskPseudo(clause);
  const q = /^(?:[ -]?(?:changes?|appearances?|areas?|process|formations?|lesions?|findings?))?\s*\?/.exec(clause.slice(mEnd));
  if (q) return { certainty: 'questioned', cue: { start: mEnd + q[0].length - 1, end: mEnd + q[0].length, kind: 'uncertainty' } };
  const pre = hits(PRE_NEGATION, text).filter((h) => h.end <= mStart);
  if (pre.length) return { certainty: 'absent', cue: { ...pre[pre.length - 1], kind: 'negation' } };
  // A relative clause ("lymph nodes that are not pathological in size") says something about a
  // thing that is there; its negation does not reach back to the noun.
  const post = hits(POST_NEGATION, text).filter((h) => h.start >= mEnd && !RELATIVE.test(text.slice(mEnd, h.end)));
  if (post.length) return { certainty: 'absent', cue: { ...post[0], kind: 'negation' } };
  // A speculation reaches the noun phrase it offers (up to eight words on), not a finding that
  // is described next to it ("an appearance suggesting a fibrotic lesion accompanied by bands").
  const spec = hits(SPECULATIVE, clause).filter((h) => h.end <= mStart && inSpeculationScope(clause.slice(h.end, mStart)));
  if (spec.length) return { certainty: 'speculative', cue: { ...spec[spec.length - 1], kind: 'uncertainty' } };
  const unsure = hits(UNCERTAIN, clause);
  if (unsure.length) return { certainty: 'uncertain', cue: { ...unsure[0], kind: 'uncertainty' } };
  return { certainty: 'present' };
}

/** All negation and uncertainty cues in a clause (for highlighting and for EFM's entity spans). */
export function cuesIn(clause: string): CueHit[] {
  const text = maskPseudo(clause);
  const neg = [...hits(PRE_NEGATION, text), ...hits(POST_NEGATION, text)].map((h) => ({ ...h, kind: 'negation' as const }));
  const unc = hits(UNCERTAIN, clause).map((h) => ({ ...h, kind: 'uncertainty' as const }));
  return [...neg, ...unc].sort((a, b) => a.start - b.start);
}
