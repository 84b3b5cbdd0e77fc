// False negatives for RoCo: in a contrastive batch, report j is a "negative" of report i only
// if it describes something else. Two reports with the same finding set (all-normal included),
// or whose text embeddings are nearly the same (cosine >= threshold), are not negatives; they
// become soft positives in the target matrix
//
//   T = rownorm(I + F),   F[i][j] = 1 for a detected pair (i != j),
//
// so each row of T spreads its mass evenly over the report itself and its false negatives.
import { BiudError } from '../../engine/errors.ts';

export type FalseNegativeReason = 'same-findings' | 'text-similarity' | 'both';

export interface FalseNegative {
  i: number;
  j: number;
  reason: FalseNegativeReason;
  /** Cosine of the two embeddings; null when no embeddings were given. */
  similarity: number | null;
}

export interface FalseNegativeOptions {
  /** One row per report, or all rows concatenated (n * dim). */
  embeddings?: readonly Float32Array[] | Float32Array;
  /** Cosine threshold τ_fn (default 0.9). */
  threshold?: number;
  /** Compare label vectors (default true). */
  useFindings?: boolean;
}

export interface FalseNegativeResult {
  n: number;
  /** Each unordered pair once, i < j; F and T are symmetric. */
  pairs: FalseNegative[];
  /** T = rownorm(I + F), n*n row-major. */
  targets: Float32Array;
}

function rows(emb: readonly Float32Array[] | Float32Array, n: number): Float32Array[] {
  if (!(emb instanceof Float32Array)) {
    if (emb.length !== n) throw new BiudError(`false negatives: ${emb.length} embeddings for ${n} reports`);
    return [...emb];
  }
  if (n === 0 || emb.length % n !== 0) throw new BiudError(`false negatives: ${emb.length} embedding values do not split into ${n} rows`);
  const d = emb.length / n;
  return Array.from({ length: n }, (_, i) => emb.subarray(i * d, (i + 1) * d));
}

function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new BiudError(`false negatives: embedding widths differ (${a.length} vs ${b.length})`);
  let dot = 0, na = 0, nb = 0;
  for (let k = 0; k < a.length; k++) { dot += a[k] * b[k]; na += a[k] * a[k]; nb += b[k] * b[k]; }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function sameFindings(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if ((a[k] ? 1 : 0) !== (b[k] ? 1 : 0)) return false;
  return true;
}

/** T = rownorm(I + F) from the detected pairs. */
export function softTargets(n: number, pairs: readonly FalseNegative[]): Float32Array {
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) t[i * n + i] = 1;
  for (const p of pairs) { t[p.i * n + p.j] = 1; t[p.j * n + p.i] = 1; }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += t[i * n + j];
    for (let j = 0; j < n; j++) t[i * n + j] /= s;
  }
  return t;
}

export function detectFalseNegatives(labels: readonly ArrayLike<number>[], opts: FalseNegativeOptions = {}): FalseNegativeResult {
  const n = labels.length;
  const emb = opts.embeddings ? rows(opts.embeddings, n) : undefined;
  const threshold = opts.threshold ?? 0.9;
  const useFindings = opts.useFindings ?? true;
  const pairs: FalseNegative[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const same = useFindings && sameFindings(labels[i], labels[j]);
      const similarity = emb ? cosine(emb[i], emb[j]) : null;
      const close = similarity !== null && similarity >= threshold;
      if (same || close) pairs.push({ i, j, reason: same && close ? 'both' : same ? 'same-findings' : 'text-similarity', similarity });
    }
  }
  return { n, pairs, targets: softTargets(n, pairs) };
}
