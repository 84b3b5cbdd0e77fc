// Assembling one step's inputs on the CPU (token ids, EFM masks, RoCo targets, retrieval rows)
// and uploading them. Everything here is known on the CPU before the step, so the step itself
// never reads from the GPU.
import type { Engine } from '../../engine/engine.ts';
import type { ReportTokenizer, EncodedReport } from '../tokenize.ts';
import type { StepInputs } from '../biud.ts';
import type { TextBatch } from '../text-encoder.ts';
import type { BiudConfig } from '../config.ts';
import type { CtItem, Report } from './data.ts';
import { cosineRows } from '../retrieval.ts';
import { splitSentences } from '../text/sentences.ts';
import { mulberry32 } from '../text/rng.ts';
import { sentenceTargets } from '../text/sentence-targets.ts';
import { labelReport } from '../text/labeler.ts';

/**
 * Sentence sampling: each sentence of `text` kept with probability `keep` (at least one), in its
 * original order. Every subset of a report's sentences still describes its CT truly, and short
 * subsets are what zero-shot prompts look like ("No pleural effusion."), so the text encoder
 * learns to place one-sentence texts where the CTs they describe are (CXR-CLIP samples
 * sentences the same way).
 */
export function sampleSentences(text: string, keep: number, seed: number): string {
  if (keep >= 1) return text;
  const spans = splitSentences(text);
  if (spans.length < 2) return text;
  const rng = mulberry32(seed);
  let kept = spans.filter(() => rng() < keep);
  if (!kept.length) kept = [spans[Math.floor(rng() * spans.length)]];
  return kept.map((sp) => text.slice(sp.start, sp.end)).join(' ');
}

export interface Correction {
  step: number;
  i: number;
  j: number;
  reason: 'same-findings' | 'text-similarity' | 'both' | 'shared-findings';
  /** Cosine of the two reports' expert embeddings. */
  similarity: number;
  /** Soft target given to (i, j). */
  target: number;
}

/** Shared findings over findings in either (1 for two normal reports). */
function jaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let both = 0, either = 0;
  for (let k = 0; k < a.length; k++) {
    if (a[k] && b[k]) both++;
    if (a[k] || b[k]) either++;
  }
  return either === 0 ? 1 : both / either;
}

/**
 * How far reports a and b (indices into `reports`) are a false negative: f = 1 for the same
 * finding set or similar reports; with cfg.fnGraded = γ, f = J^γ for finding sets that overlap in
 * part (J their Jaccard index); else 0. `reason` is set where the pair is recorded as a correction.
 */
export function falseNegative(
  reports: Report[], a: number, b: number, reportEmbeddings: Float32Array | null, dim: number, cfg: BiudConfig['loss'],
): { f: number; similarity: number; reason: Correction['reason'] | null } {
  const la = reports[a].labels, lb = reports[b].labels;
  const same = cfg.fnSameFindings && la.every((x, k) => x === lb[k]);
  const similarity = reportEmbeddings ? cosineRows(reportEmbeddings, dim, a, b) : NaN;
  const similar = similarity >= cfg.fnThreshold;
  if (same || similar) return { f: 1, similarity, reason: same && similar ? 'both' : same ? 'same-findings' : 'text-similarity' };
  // Graded (config fnGraded = γ): a pair that shares part of its findings is in part a false
  // negative, F = J^γ. Recorded when most of the findings are shared (J ≥ ½).
  const J = cfg.fnGraded ? jaccard(la, lb) : 0;
  return { f: J > 0 ? J ** cfg.fnGraded! : 0, similarity, reason: J >= 0.5 ? 'shared-findings' : null };
}

/**
 * T = rownorm(I + F), F[i][j] = 1 for a detected false negative (same finding set, or similar
 * reports); with cfg.fnGraded = γ, also F[i][j] = J^γ for finding sets that overlap in part.
 */
export function falseNegatives(
  step: number,
  items: CtItem[],
  reports: Report[],
  reportEmbeddings: Float32Array | null,
  dim: number,
  cfg: BiudConfig['loss'],
): { targets: Float32Array; corrections: Correction[] } {
  const n = items.length;
  const F = new Float32Array(n * n);
  const found: Omit<Correction, 'target'>[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const link = falseNegative(reports, items[i].report, items[j].report, reportEmbeddings, dim, cfg);
      F[i * n + j] = F[j * n + i] = link.f;
      if (link.reason) found.push({ step, i, j, similarity: link.similarity, reason: link.reason });
    }
  }
  const T = new Float32Array(n * n);
  const rowSum = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      T[i * n + j] = (i === j ? 1 : 0) + F[i * n + j];
      rowSum[i] += T[i * n + j];
    }
  }
  for (let i = 0; i < n * n; i++) T[i] /= rowSum[Math.floor(i / n)];
  return { targets: T, corrections: found.map((c) => ({ ...c, target: T[c.i * n + c.j] })) };
}

/**
 * Targets of L_RoCo with a queue (config `loss.queue`), [B, B + Q]: row i is rownorm(I + F) over
 * the batch's columns and then the Q queue slots, F as `falseNegative` finds it (0 with RoCo off:
 * plain CLIP, the queue only adds negatives). `queue` holds each slot's report, −1 where empty;
 * a slot may hold a batch CT's own report from an earlier step, a positive like any other with
 * the same findings. Queue pairs are not recorded as corrections: the log is of in-batch pairs.
 */
export function queueTargets(
  items: CtItem[], queue: Int32Array, reports: Report[], reportEmbeddings: Float32Array | null, dim: number, cfg: BiudConfig['loss'], roco: boolean,
): { targets: Float32Array; bias: Float32Array } {
  const B = items.length, Q = queue.length, W = B + Q;
  const col = (j: number) => (j < B ? items[j].report : queue[j - B]);
  const targets = new Float32Array(B * W);
  const bias = new Float32Array(W);
  for (let j = B; j < W; j++) if (queue[j - B] < 0) bias[j] = -1e4;
  for (let i = 0; i < B; i++) {
    let sum = 0;
    for (let j = 0; j < W; j++) {
      const r = col(j);
      const t = i === j ? 1 : r < 0 || !roco ? 0 : falseNegative(reports, items[i].report, r, reportEmbeddings, dim, cfg).f;
      targets[i * W + j] = t;
      sum += t;
    }
    for (let j = 0; j < W; j++) targets[i * W + j] /= sum;
  }
  return { targets, bias };
}

/** The labeler's findings of a report's text (L_find's targets), read once per report. */
const labelerCache = new WeakMap<Report, Uint8Array>();
export function labelerFindings(report: Report): Uint8Array {
  let labels = labelerCache.get(report);
  if (!labels) labelerCache.set(report, (labels = labelReport(report.text).labels));
  return labels;
}

/** Texts as the report encoder reads them, on the CPU: rows of T tokens. */
export interface HostText {
  ids: Int32Array;
  /** 1 for real tokens, 0 for padding; in the sentence layout, segment ids. */
  mask: Int32Array;
  /** The sentence layout's positions and pooling weights (config `text.sentences`), else absent. */
  positions?: Int32Array;
  pool?: Float32Array;
}

/** One row per text: [CLS] … [SEP] (ReportTokenizer.encode), or with `sentences` the sentence layout (encodeSentences). */
export function encodeTexts(tok: ReportTokenizer, texts: readonly string[], T: number, sentences: boolean): HostText & { encodings: EncodedReport[] } {
  const n = texts.length;
  const out = { ids: new Int32Array(n * T), mask: new Int32Array(n * T), encodings: [] as EncodedReport[] } as HostText & { encodings: EncodedReport[] };
  if (sentences) {
    out.positions = new Int32Array(n * T);
    out.pool = new Float32Array(n * T);
  }
  texts.forEach((text, b) => {
    const layout = sentences ? tok.encodeSentences(text, T) : null;
    const enc = layout ?? tok.encode(text, T);
    out.ids.set(enc.ids, b * T);
    out.mask.set(layout ? layout.segments : enc.mask, b * T);
    if (layout) {
      out.positions!.set(layout.positions, b * T);
      out.pool!.set(layout.pool, b * T);
    }
    out.encodings.push(enc);
  });
  return out;
}

/** Upload encoded texts as the report encoder's input ([rows, T] each). */
export function uploadText(e: Engine, h: HostText, rows: number, T: number): TextBatch {
  const layout = h.positions && h.pool ? { positions: e.tensor(h.positions, [rows, T], 'int32'), pool: e.tensor(h.pool, [rows, T]) } : undefined;
  return { ids: e.tensor(h.ids, [rows, T], 'int32'), mask: e.tensor(h.mask, [rows, T], 'int32'), layout };
}

export interface HostBatch extends HostText {
  maskedIds: Int32Array;
  mlmPositions: Int32Array;
  mlmLabels: Int32Array;
  targets: Float32Array;
  xrayRows: Int32Array;
  corrections: Correction[];
  /** Per item: which token positions were masked (for the EFM panel). */
  masked: number[][];
  /** L_sent's finding sentences (config `loss.sentences`), SENTENCE_CAP rows of SENTENCE_LEN tokens. */
  sentences?: HostSentences;
  /** L_find (config `loss.findings`): [B·18], the labeler's findings of each item's whole report. */
  findingLabels?: Int32Array;
}

/** Finding sentences per batch for L_sent, and the tokens each is read as. */
export const SENTENCE_CAP = 64;
export const SENTENCE_LEN = 32;

export interface HostSentences extends HostText {
  texts: string[];
  rowTargets: Float32Array;
  colTargets: Float32Array;
  colBias: Float32Array;
  rows: number;
  cols: number;
}

/** L_sent's inputs: the sentences padded to SENTENCE_CAP rows (an empty text each), targets normalised. */
export function hostSentences(tok: ReportTokenizer, texts: readonly string[], labels: readonly ArrayLike<number>[], seed: number): HostSentences {
  const B = texts.length, S = SENTENCE_CAP;
  const st = sentenceTargets(texts, labels, S, seed);
  const enc = encodeTexts(tok, Array.from({ length: S }, (_, s) => st.sentences[s] ?? ''), SENTENCE_LEN, false);
  const rowTargets = new Float32Array(B * S), colTargets = new Float32Array(B * S), colBias = new Float32Array(S).fill(-1e4);
  let rows = 0;
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let s = 0; s < S; s++) n += st.agree[b * S + s];
    if (n) rows++;
    for (let s = 0; s < S; s++) rowTargets[b * S + s] = n ? st.agree[b * S + s] / n : 0;
  }
  for (let s = 0; s < st.sentences.length; s++) {
    colBias[s] = 0;
    let n = 0;
    for (let b = 0; b < B; b++) n += st.agree[b * S + s];
    for (let b = 0; b < B; b++) colTargets[b * S + s] = n ? st.agree[b * S + s] / n : 0;
  }
  return { ids: enc.ids, mask: enc.mask, texts: st.sentences, rowTargets, colTargets, colBias, rows, cols: st.sentences.length };
}

/** The CPU side of a step, a pure function of its arguments (so resumed runs match). */
export function hostBatch(
  step: number,
  items: CtItem[],
  reports: Report[],
  tok: ReportTokenizer,
  cfg: BiudConfig,
  reportEmbeddings: Float32Array | null,
  embeddingDim: number,
  retrievalTarget: Int32Array | null,
  /** What the text encoder reads of each report (default its text); see models/text/digest.ts. */
  inputs?: readonly string[],
): HostBatch {
  const T = cfg.text.maxLen;
  const B = items.length;
  const texts = items.map((it, b) => sampleSentences(inputs?.[it.report] ?? reports[it.report].text, cfg.loss.sentenceKeep ?? 1, (cfg.seed * 7_919 + step * 104_729 + b * 31) >>> 0));
  const text = encodeTexts(tok, texts, T, cfg.text.sentences ?? false);
  const maskedIds = new Int32Array(B * T);
  const positions: number[] = [];
  const labels: number[] = [];
  const masked: number[][] = [];
  texts.forEach((t, b) => {
    const m = tok.mask(t, text.encodings[b], (cfg.seed * 1_000_003 + step * 131 + b) >>> 0, cfg.loss.maskRatio, cfg.loss.entityFocused);
    maskedIds.set(m.inputIds, b * T);
    masked.push(m.masked);
    for (const p of m.masked) {
      positions.push(b * T + p);
      labels.push(m.labels[p]);
    }
  });
  const fn = falseNegatives(step, items, reports, reportEmbeddings, embeddingDim, cfg.loss);
  const xrayRows = Int32Array.from(items, (it) => (retrievalTarget ? retrievalTarget[it.report] : 0));
  const sentences = cfg.loss.sentences ? hostSentences(tok, texts, items.map((it) => reports[it.report].labels), (cfg.seed * 65_537 + step * 977) >>> 0) : undefined;
  // The whole report, not the digest the encoder reads: the labeler reads what a radiologist wrote.
  const findingLabels = cfg.loss.findings ? Int32Array.from(items.flatMap((it) => Array.from(labelerFindings(reports[it.report])))) : undefined;
  return {
    sentences, findingLabels,
    ids: text.ids, mask: text.mask, positions: text.positions, pool: text.pool, maskedIds, masked,
    mlmPositions: Int32Array.from(positions), mlmLabels: Int32Array.from(labels),
    targets: fn.targets, corrections: fn.corrections, xrayRows,
  };
}

/** Upload a host batch (the volumes are rendered on the GPU separately). */
export function uploadBatch(e: Engine, h: HostBatch, B: number, T: number): Omit<StepInputs, 'volumes'> {
  const text = uploadText(e, h, B, T);
  return {
    ids: text.ids,
    mask: text.mask,
    layout: text.layout,
    maskedIds: e.tensor(h.maskedIds, [B, T], 'int32'),
    mlmPositions: h.mlmPositions.length ? e.tensor(h.mlmPositions, [h.mlmPositions.length], 'int32') : undefined,
    mlmLabels: h.mlmLabels.length ? e.tensor(h.mlmLabels, [h.mlmLabels.length], 'int32') : undefined,
    targets: e.tensor(h.targets, [B, B]),
    xrayRows: e.tensor(h.xrayRows, [B], 'int32'),
    findingLabels: h.findingLabels && e.tensor(h.findingLabels, [h.findingLabels.length], 'int32'),
    sentences: h.sentences && {
      ids: e.tensor(h.sentences.ids, [SENTENCE_CAP, SENTENCE_LEN], 'int32'),
      mask: e.tensor(h.sentences.mask, [SENTENCE_CAP, SENTENCE_LEN], 'int32'),
      rowTargets: e.tensor(h.sentences.rowTargets, [B, SENTENCE_CAP]),
      colTargets: e.tensor(h.sentences.colTargets, [B, SENTENCE_CAP]),
      colBias: e.tensor(h.sentences.colBias, [1, SENTENCE_CAP]),
      rows: h.sentences.rows,
      cols: h.sentences.cols,
    },
  };
}
