// Precision, recall and F1 of predicted 0/1 labels against reference labels, per finding.
import { FINDINGS, NUM_FINDINGS } from './findings.ts';

export interface FindingScore {
  finding: string;
  tp: number;
  fp: number;
  fn: number;
  /** Reference positives. */
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

/** F1 = 2PR / (P + R); a finding with no positives either way scores 1 (nothing to get wrong). */
function score(finding: string, tp: number, fp: number, fn: number): FindingScore {
  const precision = tp + fp === 0 ? (fn === 0 ? 1 : 0) : tp / (tp + fp);
  const recall = tp + fn === 0 ? (fp === 0 ? 1 : 0) : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { finding, tp, fp, fn, support: tp + fn, precision, recall, f1 };
}

/**
 * Scores for the findings in `columns` (indices into FINDINGS); references equal to 255
 * (missing) are skipped. Returns per-finding scores and their unweighted mean F1 (macro-F1).
 */
export function scoreLabels(
  predicted: readonly Uint8Array[],
  reference: readonly Uint8Array[],
  columns: readonly number[] = FINDINGS.map((_, k) => k),
): { perFinding: FindingScore[]; macroF1: number } {
  const tp = new Array(NUM_FINDINGS).fill(0), fp = [...tp], fn = [...tp];
  predicted.forEach((p, i) => {
    for (const k of columns) {
      const r = reference[i][k];
      if (r > 1) continue;
      if (p[k] && r) tp[k]++;
      else if (p[k]) fp[k]++;
      else if (r) fn[k]++;
    }
  });
  const perFinding = columns.map((k) => score(FINDINGS[k], tp[k], fp[k], fn[k]));
  const macroF1 = perFinding.length ? perFinding.reduce((s, f) => s + f.f1, 0) / perFinding.length : 0;
  return { perFinding, macroF1 };
}

/** A fixed-width table: finding, support, P, R, F1, then the macro-F1 line. */
export function formatScores(scores: { perFinding: FindingScore[]; macroF1: number }): string {
  const w = Math.max(...scores.perFinding.map((s) => s.finding.length), 'finding'.length);
  const head = `${'finding'.padEnd(w)}  support  precision  recall  F1`;
  const rows = scores.perFinding.map(
    (s) => `${s.finding.padEnd(w)}  ${String(s.support).padStart(7)}  ${s.precision.toFixed(3).padStart(9)}  ${s.recall.toFixed(3).padStart(6)}  ${s.f1.toFixed(3)}`,
  );
  return [head, ...rows, `${'macro-F1'.padEnd(w)}  ${' '.repeat(7)}  ${' '.repeat(9)}  ${' '.repeat(6)}  ${scores.macroF1.toFixed(3)}`].join('\n');
}
