// Text-overlap scores of generated reports against references, in plain TypeScript:
//
//   BLEU-4 (Papineni et al. 2002), corpus level:
//     p_n = Σ_c Σ_g min(count_c(g), max_r count_r(g)) / Σ_c Σ_g count_c(g)    (n-grams g, n = 1..4)
//     BP  = 1 if c > r else exp(1 − r/c)   (c: candidate words, r: closest reference lengths, summed)
//     BLEU = BP · exp(Σ_n ¼·log p_n)
//   Without smoothing (sacreBLEU's and NLTK's corpus default) one empty n-gram order makes BLEU 0.
//   Smoothing, as NLTK names it: 'add-epsilon' (method 1: a zero numerator becomes ε = 0.1) and
//   'add-one' (method 2, Lin & Och 2004: +1 to numerator and denominator for n > 1), the usual
//   choice for one sentence.
//
//   ROUGE-L (Lin 2004): per candidate, LCS = longest common subsequence of words,
//     P = LCS/|cand|, R = LCS/|ref|, F_β = (1 + β²)·P·R / (R + β²·P)
//   with β = 1 (Google's rouge-score; pycocoevalcap uses β = 1.2); with several references the
//   best F is kept. The corpus score is the mean over candidates.
//
// Words: lower-cased runs of letters and digits (a decimal point or hyphen inside a run is kept,
// "3.5", "ground-glass"); punctuation is dropped, as in the report-generation literature
// (pycocoevalcap's tokenizer), so "No effusion." and "no effusion" agree.
import { labelReport, FINDINGS, NUM_FINDINGS } from './text/index.ts';

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:[.\-'][a-z0-9]+)*/g) ?? [];
}

function ngramCounts(w: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= w.length; i++) {
    const g = w.slice(i, i + n).join('\u0001');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

export type BleuSmoothing = 'none' | 'add-epsilon' | 'add-one';

export interface BleuResult {
  bleu: number;
  /** Modified n-gram precisions p_1..p_4 (after smoothing). */
  precisions: number[];
  /** Clipped matches and candidate n-grams per order, before smoothing. */
  matches: number[];
  totals: number[];
  brevityPenalty: number;
  /** Candidate and (closest) reference lengths in words, summed over the corpus. */
  candidateLength: number;
  referenceLength: number;
}

/**
 * Corpus BLEU of `candidates` against `references` (one string or several per candidate).
 * `maxN` = 4 gives BLEU-4 with uniform weights.
 */
export function corpusBleu(candidates: readonly string[], references: readonly (string | readonly string[])[], opts: { maxN?: number; smoothing?: BleuSmoothing } = {}): BleuResult {
  const N = opts.maxN ?? 4;
  const smoothing = opts.smoothing ?? 'none';
  if (candidates.length !== references.length) throw new Error(`corpusBleu: ${candidates.length} candidates, ${references.length} references`);
  const matches = new Array(N).fill(0);
  const totals = new Array(N).fill(0);
  let c = 0, r = 0;
  candidates.forEach((cand, i) => {
    const cw = words(cand);
    const refs = (typeof references[i] === 'string' ? [references[i] as string] : (references[i] as readonly string[])).map(words);
    c += cw.length;
    // Closest reference length; on a tie the shorter one (as NLTK and sacreBLEU do).
    r += refs.map((rw) => rw.length).reduce((best, len) => {
      const d = Math.abs(len - cw.length), bd = Math.abs(best - cw.length);
      return d < bd || (d === bd && len < best) ? len : best;
    }, Infinity);
    for (let n = 1; n <= N; n++) {
      const cc = ngramCounts(cw, n);
      const maxRef = new Map<string, number>();
      for (const rw of refs) for (const [g, k] of ngramCounts(rw, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      for (const [g, k] of cc) matches[n - 1] += Math.min(k, maxRef.get(g) ?? 0);
      totals[n - 1] += Math.max(0, cw.length - n + 1);
    }
  });
  const precisions = matches.map((m, k) => {
    const t = totals[k];
    if (smoothing === 'add-one' && k > 0) return (m + 1) / (t + 1);
    if (t === 0) return 0;
    if (m === 0 && smoothing === 'add-epsilon') return 0.1 / t;
    return m / t;
  });
  const brevityPenalty = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  const bleu = precisions.some((p) => p === 0) ? 0 : brevityPenalty * Math.exp(precisions.reduce((s, p) => s + Math.log(p), 0) / N);
  return { bleu, precisions, matches, totals, brevityPenalty, candidateLength: c, referenceLength: r === Infinity ? 0 : r };
}

/** Sentence BLEU-4 (add-one smoothing by default, since one short sentence often lacks 4-grams). */
export function sentenceBleu(candidate: string, reference: string | readonly string[], smoothing: BleuSmoothing = 'add-one'): number {
  return corpusBleu([candidate], [reference], { smoothing }).bleu;
}

/** Length of the longest common subsequence (O(|a|·|b|) time, O(|b|) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

export interface RougeL {
  precision: number;
  recall: number;
  f: number;
}

/** ROUGE-L of one candidate; with several references the one giving the best F. */
export function rougeL(candidate: string, reference: string | readonly string[], beta = 1): RougeL {
  const cw = words(candidate);
  const refs = typeof reference === 'string' ? [reference] : reference;
  let best: RougeL = { precision: 0, recall: 0, f: 0 };
  for (const ref of refs) {
    const rw = words(ref);
    const l = lcsLength(cw, rw);
    if (l === 0) continue;
    const p = l / cw.length, r = l / rw.length;
    const f = ((1 + beta * beta) * p * r) / (r + beta * beta * p);
    if (f > best.f) best = { precision: p, recall: r, f };
  }
  return best;
}

/** Mean ROUGE-L F over a corpus. */
export function corpusRougeL(candidates: readonly string[], references: readonly (string | readonly string[])[], beta = 1): number {
  if (candidates.length !== references.length) throw new Error(`corpusRougeL: ${candidates.length} candidates, ${references.length} references`);
  if (!candidates.length) return 0;
  return candidates.reduce((s, c, i) => s + rougeL(c, references[i], beta).f, 0) / candidates.length;
}

export interface LabelF1 {
  /** Pooled over all findings and reports: 2·TP / (2·TP + FP + FN). */
  micro: number;
  /** Mean per-finding F1 over the findings that are positive in some reference (others are undefined). */
  macro: number;
  perFinding: { finding: string; tp: number; fp: number; fn: number; f1: number }[];
}

/**
 * Clinical efficacy: the report labeler applied to generated and reference reports, and F1 of
 * the generated labels against the reference's (both from the labeler, so its own errors cancel
 * where the texts agree). `referenceLabels` may be given instead (ground truth).
 */
export function labelF1(generated: readonly string[], references: readonly string[] | readonly Uint8Array[]): LabelF1 {
  const tp = new Array(NUM_FINDINGS).fill(0), fp = [...tp], fn = [...tp];
  generated.forEach((g, i) => {
    const p = labelReport(g).labels;
    const ref = references[i];
    const r = typeof ref === 'string' ? labelReport(ref).labels : ref;
    for (let k = 0; k < NUM_FINDINGS; k++) {
      if (p[k] && r[k]) tp[k]++;
      else if (p[k]) fp[k]++;
      else if (r[k]) fn[k]++;
    }
  });
  const f1 = (t: number, p: number, n: number) => (2 * t + p + n === 0 ? NaN : (2 * t) / (2 * t + p + n));
  const perFinding = FINDINGS.map((f, k) => ({ finding: f, tp: tp[k], fp: fp[k], fn: fn[k], f1: f1(tp[k], fp[k], fn[k]) }));
  const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
  const withRef = perFinding.filter((s) => s.tp + s.fn > 0);
  return {
    micro: f1(sum(tp), sum(fp), sum(fn)),
    macro: withRef.length ? withRef.reduce((s, x) => s + x.f1, 0) / withRef.length : NaN,
    perFinding,
  };
}

export interface ReportScores {
  bleu4: number;
  rougeL: number;
  labelF1: LabelF1;
  reports: number;
}

/** BLEU-4 (corpus, no smoothing), ROUGE-L (mean F1) and label F1 of generated reports. */
export function scoreReports(generated: readonly string[], references: readonly string[]): ReportScores {
  return {
    bleu4: corpusBleu(generated, references).bleu,
    rougeL: corpusRougeL(generated, references),
    labelF1: labelF1(generated, references),
    reports: generated.length,
  };
}
