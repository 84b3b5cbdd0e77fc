// BIUD's loss terms, composed from engine ops (DESIGN.md §2). The fused contrastive kernel is in
// engine/ops/contrastive.ts; here are the learnable temperature and the two distillation terms.
import type { Tensor } from '../engine/tensor.ts';
import type { ParamStore } from '../engine/params.ts';
import * as ops from '../engine/ops/index.ts';
import { l2normalize } from './nn.ts';

/**
 * CLIP's learnable temperature, kept as logit_scale = ln(1/τ) so updates are relative; τ is
 * clamped to [τmin, τmax] (DESIGN: init 0.07, clamped [0.001, 0.5]).
 */
export class Temperature {
  readonly logitScale: Tensor;
  constructor(store: ParamStore, name: string, init: number, readonly min = 0.001, readonly max = 0.5) {
    this.logitScale = store.param(name, [1], new Float32Array([Math.log(1 / init)]), { decay: false });
  }
  /** τ = exp(−clamp(logit_scale, ln(1/τmax), ln(1/τmin))) as a [1] tensor. */
  value(): Tensor {
    return ops.exp(ops.neg(ops.clamp(this.logitScale, Math.log(1 / this.max), Math.log(1 / this.min))));
  }
}

/** L_RoCo: symmetric InfoNCE with soft targets T = rownorm(I + F) (identity when RoCo is off). */
export function rocoLoss(ct: Tensor, txt: Tensor, targets: Tensor | null, temperature: Tensor | number): Tensor {
  return ops.contrastiveLoss(ct, txt, targets, temperature);
}

/** L_pair = 1 − mean_i cos(ct_i, xray_i). */
export function pairLoss(ct: Tensor, xray: Tensor): Tensor {
  const cos = ops.sum(ops.mul(l2normalize(ct), l2normalize(xray)), -1);
  return ops.addScalar(ops.neg(ops.mean(cos)), 1);
}

/**
 * L_rel = mean_i KL( softmax(S_xray,i/τ) ‖ softmax(S_ct,i/τ) ), S the in-batch cosine similarity
 * matrices. The diagonal (every row's similarity with itself, always 1) is left out of both
 * softmaxes: it would dominate them and carries no relation between different patients.
 */
export function relationLoss(ct: Tensor, xray: Tensor, tau: number): Tensor {
  const e = ct.engine;
  const n = ct.shape[0];
  const diag = new Float32Array(n * n);
  for (let i = 0; i < n; i++) diag[i * n + i] = -1e4;
  const mask = e.tensor(diag, [n, n]);
  const rel = (x: Tensor) => {
    const z = l2normalize(x);
    return ops.add(ops.scale(ops.matmul(z, z, { transB: true }), 1 / tau), mask);
  };
  const logQ = ops.logSoftmax(rel(ct), -1);
  const logP = e.noGrad(() => ops.logSoftmax(rel(xray), -1));
  const p = e.noGrad(() => ops.exp(logP));
  // Σ_j P (log P − log Q), averaged over rows.
  return ops.mean(ops.sum(ops.mul(p, ops.sub(logP, logQ)), -1));
}

/**
 * L_find (config `loss.findings`): a linear head (weight [2K, d], bias [2K]) reads each CT
 * embedding and gives two logits per finding; the loss is the mean two-way cross-entropy against
 * the K findings the labeler read in each CT's report (`labels` int32 [B·K]: 1 present, 0 absent):
 *
 *   z_b = W·(√d ĉ_b) + c,   L_find = −(1/BK) Σ_b Σ_k log softmax(z_b[2k], z_b[2k+1])_{y_bk}
 *
 * The head reads the unit embedding ĉ that zero-shot scores, so what it asks for is a direction
 * per finding in that space; scaled by √d so each coordinate has about unit spread, as the
 * head's initialisation (std 0.02, BERT's) expects, and a learning rate of 2e-4 can move its
 * logits by several units in a run.
 */
export function findingLoss(ct: Tensor, weight: Tensor, bias: Tensor, labels: Tensor): Tensor {
  const [B, d] = ct.shape;
  const z = ops.add(ops.matmul(ops.scale(l2normalize(ct), Math.sqrt(d)), weight, { transB: true }), bias);
  return ops.crossEntropy(z.reshape([B * (weight.shape[0] / 2), 2]), labels, -100);
}

/** The finding head's logits of one embedding, as findingLoss takes them: W·(√d·ĉ) + b, [2·18]. */
export function findingLogitsRef(ct: ArrayLike<number>, weight: ArrayLike<number>[], bias: ArrayLike<number>): number[] {
  const norm = Math.sqrt(Array.from(ct).reduce((a, x) => a + x * x, 0)) || 1;
  const x = Array.from(ct, (v) => (v / norm) * Math.sqrt(ct.length));
  return weight.map((w, o) => x.reduce((a, v, k) => a + v * w[k], 0) + bias[o]);
}

/** Reference L_find on the CPU in double precision: ct [B][d], weight [2K][d], bias [2K], labels [B][K]. */
export function findingLossRef(ct: ArrayLike<number>[], weight: ArrayLike<number>[], bias: ArrayLike<number>, labels: ArrayLike<number>[]): number {
  let sum = 0, n = 0;
  ct.forEach((c, b) => {
    const z = findingLogitsRef(c, weight, bias);
    for (let k = 0; k < labels[b].length; k++) {
      const [z0, z1] = [z[2 * k], z[2 * k + 1]];
      const m = Math.max(z0, z1);
      const lse = m + Math.log(Math.exp(z0 - m) + Math.exp(z1 - m));
      sum += lse - (labels[b][k] ? z1 : z0);
      n++;
    }
  });
  return sum / n;
}

/** A batch's finding sentences as targets of L_sent (models/text/sentence-targets.ts makes them). */
export interface SentenceTargetTensors {
  /** [B, S]: each CT's row of agreeing sentences, normalised to sum 1 (all 0 where none agrees). */
  rowTargets: Tensor;
  /** [B, S]: each sentence's column of CTs it describes, normalised (all 0 for padding). */
  colTargets: Tensor;
  /** [1, S]: 0 for a sentence, −1e4 for a padding column (kept out of the CTs' softmaxes). */
  colBias: Tensor;
  /** CT rows with at least one sentence, and sentences (not padding). */
  rows: number;
  cols: number;
}

/**
 * L_sent (config `loss.sentences`): CT embeddings [B, d] against the batch's finding-sentence
 * embeddings [S, d], logits ĉ·ŝᵀ/τ, with many positives on both sides:
 *
 *   L_sent = ½ ( −(1/rows) Σ_b Σ_s R_bs log softmax_s(logits_b) − (1/cols) Σ_s Σ_b C_bs log softmax_b(logits_s) )
 *
 * R, C: the agreement matrix normalised by row and by column. models/text/sentence-targets.ts says why.
 */
export function sentenceLoss(ct: Tensor, sent: Tensor, t: SentenceTargetTensors, temperature: Tensor | number): Tensor {
  const sim = ops.matmul(l2normalize(ct), l2normalize(sent), { transB: true });
  const logits = ops.add(typeof temperature === 'number' ? ops.scale(sim, 1 / temperature) : ops.div(sim, temperature), t.colBias);
  const toSentences = ops.sum(ops.mul(t.rowTargets, ops.logSoftmax(logits, -1)));
  const toCts = ops.sum(ops.mul(t.colTargets, ops.logSoftmax(logits, 0)));
  return ops.add(ops.scale(toSentences, -0.5 / Math.max(1, t.rows)), ops.scale(toCts, -0.5 / Math.max(1, t.cols)));
}

/** Reference L_sent on the CPU in double precision: rows of ct [B][d] and sent [S][d], agreement [B][S] (0/1). */
export function sentenceLossRef(ct: ArrayLike<number>[], sent: ArrayLike<number>[], agree: ArrayLike<number>[], tau: number): number {
  const unit = (v: ArrayLike<number>) => {
    const n = Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0)) || 1;
    return Array.from(v, (x) => x / n);
  };
  const c = ct.map(unit), s = sent.map(unit);
  const L = c.map((a) => s.map((b) => a.reduce((acc, x, k) => acc + x * b[k], 0) / tau));
  const lse = (xs: number[]) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((acc, x) => acc + Math.exp(x - m), 0));
  };
  let rowLoss = 0, rows = 0;
  L.forEach((row, b) => {
    const n = Array.from(agree[b]).reduce((a, x) => a + x, 0);
    if (!n) return;
    rows++;
    const z = lse(row);
    row.forEach((x, j) => (rowLoss -= (agree[b][j] / n) * (x - z)));
  });
  let colLoss = 0, cols = 0;
  s.forEach((_, j) => {
    const col = L.map((row) => row[j]);
    const n = agree.reduce((a, r) => a + r[j], 0);
    if (!n) return;
    cols++;
    const z = lse(col);
    col.forEach((x, b) => (colLoss -= (agree[b][j] / n) * (x - z)));
  });
  return 0.5 * (rowLoss / Math.max(1, rows) + colLoss / Math.max(1, cols));
}

/** The queue of L_RoCo (config `loss.queue`): earlier batches' normalised embeddings, no gradient. */
export interface ContrastQueue {
  /** [Q, d] report and CT embeddings of earlier steps, each row L2-normalised (zeros where empty). */
  text: Tensor;
  ct: Tensor;
  /** [B, B + Q]: each pair's soft target, the batch's columns first; rows sum to 1. */
  targets: Tensor;
  /** [1, B + Q]: 0 for the batch and filled slots, −1e4 for empty ones (kept out of the softmaxes). */
  bias: Tensor;
}

/**
 * L_RoCo with a queue (MoCo, ALBEF): each CT is contrasted with the batch's reports and the Q
 * reports of earlier steps, each report with the batch's CTs and the Q earlier CTs, so that a
 * batch of 16 asks for more than 16-way distinctions at the same cost. With Ĉ, R̂ the batch's
 * normalised rows and Qr, Qc the queues,
 *
 *   L = ½ ( −(1/B) Σ_i Σ_j T_ij log softmax_j(Ĉ_i·[R̂; Qr]ᵀ/τ) − (1/B) Σ_i Σ_j T_ij log softmax_j(R̂_i·[Ĉ; Qc]ᵀ/τ) ).
 *
 * One T serves both directions: the queues hold the CT and the report of the same earlier pairs,
 * F is symmetric, and row i of rownorm(I + F) is report i's targets as much as CT i's. (The fused
 * `contrastiveLoss` reads a report's targets down T's column instead, the same where T is
 * symmetric; with every slot empty and such a T the two losses are equal, which the tests check.)
 * The keys are the encoders' own outputs of earlier steps, with no momentum copy (MoCo): at
 * `tiny` that collapses every embedding to one vector (docs/biud-runs.md, run Q64).
 */
export function queueContrastLoss(ct: Tensor, txt: Tensor, q: ContrastQueue, temperature: Tensor | number): { loss: Tensor; rows: { ct: Tensor; text: Tensor } } {
  const c = l2normalize(ct), r = l2normalize(txt);
  const side = (rows: Tensor, batch: Tensor, queue: Tensor) => {
    const sim = ops.matmul(rows, ops.concat([batch, queue], 0), { transB: true });
    const logits = ops.add(typeof temperature === 'number' ? ops.scale(sim, 1 / temperature) : ops.div(sim, temperature), q.bias);
    return ops.sum(ops.mul(q.targets, ops.logSoftmax(logits, -1)));
  };
  const B = ct.shape[0];
  // The normalised rows come back too: they are what the queue keeps of this batch.
  return { loss: ops.scale(ops.add(side(c, r, q.text), side(r, c, q.ct)), -0.5 / B), rows: { ct: c, text: r } };
}

/**
 * Reference of queueContrastLoss on the CPU in double precision: rows of ct and txt [B][d], the
 * queues' rows [Q][d] (already normalised), targets [B][B+Q], and which slots are filled.
 */
export function queueContrastRef(ct: ArrayLike<number>[], txt: ArrayLike<number>[], qText: ArrayLike<number>[], qCt: ArrayLike<number>[], targets: ArrayLike<number>[], filled: boolean[], tau: number): number {
  const unit = (v: ArrayLike<number>) => {
    const n = Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0)) || 1;
    return Array.from(v, (x) => x / n);
  };
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, k) => s + x * b[k], 0);
  const c = ct.map(unit), r = txt.map(unit);
  const side = (rows: number[][], batch: number[][], queue: ArrayLike<number>[]) => {
    let total = 0;
    rows.forEach((a, i) => {
      const cols = [...batch, ...queue].map((b, j) => ({ l: dot(a, b) / tau, on: j < batch.length || filled[j - batch.length], j }));
      const live = cols.filter((x) => x.on);
      const m = Math.max(...live.map((x) => x.l));
      const lse = m + Math.log(live.reduce((s, x) => s + Math.exp(x.l - m), 0));
      for (const x of live) total -= targets[i][x.j] * (x.l - lse);
    });
    return total / rows.length;
  };
  return 0.5 * (side(c, r, qText) + side(r, c, qCt));
}

/** Reference L_rel on the CPU (rows of ct and xray as arrays), for tests. */
export function relationLossRef(ct: Float32Array[], xray: Float32Array[], tau: number): number {
  const norm = (v: Float32Array) => {
    const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0) + 1e-12);
    return Array.from(v, (x) => x / s);
  };
  const sims = (rows: Float32Array[]) => {
    const z = rows.map(norm);
    return z.map((a, i) => z.map((b, j) => (i === j ? -Infinity : a.reduce((s, x, k) => s + x * b[k], 0) / tau)));
  };
  const logSoftmax = (r: number[]) => {
    const m = Math.max(...r.filter(Number.isFinite));
    const lse = m + Math.log(r.reduce((s, x) => s + (Number.isFinite(x) ? Math.exp(x - m) : 0), 0));
    return r.map((x) => x - lse);
  };
  const sc = sims(ct);
  const sx = sims(xray);
  let total = 0;
  sc.forEach((row, i) => {
    const lq = logSoftmax(row);
    const lp = logSoftmax(sx[i]);
    lp.forEach((l, j) => {
      if (Number.isFinite(l)) total += Math.exp(l) * (l - lq[j]);
    });
  });
  return total / ct.length;
}

/** Reference L_pair on the CPU. */
export function pairLossRef(ct: Float32Array[], xray: Float32Array[]): number {
  let s = 0;
  ct.forEach((a, i) => {
    const b = xray[i];
    const dot = a.reduce((acc, x, k) => acc + x * b[k], 0);
    const na = Math.sqrt(a.reduce((acc, x) => acc + x * x, 0) + 1e-12);
    const nb = Math.sqrt(b.reduce((acc, x) => acc + x * x, 0) + 1e-12);
    s += dot / (na * nb);
  });
  return 1 - s / ct.length;
}

/**
 * The factor on λ_pair and λ_rel at `step`: 0 before `from`, then rising linearly to 1 over
 * `ramp` steps. From step 0, a tiny run's distillation terms pulled every CT embedding toward the
 * expert's shared feature before contrast had told the CTs apart (in-batch cosine 0.82 → 0.99 in
 * 20 steps; L_RoCo at ln B for ~100 steps); contrast alone leaves that start within ~20 steps.
 */
export function distillFactor(step: number, from = 0, ramp = 0): number {
  if (step < from) return 0;
  return ramp > 0 ? Math.min(1, (step - from + 1) / ramp) : 1;
}
