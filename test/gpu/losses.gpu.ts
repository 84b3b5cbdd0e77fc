// BIUD's composed loss terms (models/losses.ts) against their CPU references, and their
// gradients by finite differences: L_pair, L_rel (the relation term), L_sent, L_find and L_RoCo
// with a queue.
import type { Engine } from '../../engine/index.ts';
import { pairLoss, pairLossRef, relationLoss, relationLossRef, sentenceLoss, sentenceLossRef, findingLoss, findingLossRef, queueContrastLoss, queueContrastRef } from '../../models/losses.ts';
import { contrastiveLoss } from '../../engine/ops/contrastive.ts';
import { suite, expectClose, randomArray } from './harness.ts';
import { gradCheck } from './gradcheck.ts';

const rows = (a: Float32Array, n: number, d: number) => Array.from({ length: n }, (_, i) => a.subarray(i * d, (i + 1) * d));

/** An agreement matrix [B][S] with an empty CT row and an empty sentence column, and L_sent's tensors for it. */
function sentenceCase(e: Engine, B: number, S: number, seed: number) {
  const r = randomArray(B * S, seed, 0, 1);
  const agree: number[][] = Array.from({ length: B }, (_, b) => Array.from({ length: S }, (_, s) => (b === 0 || s === S - 1 ? 0 : r[b * S + s] < 0.4 ? 1 : 0)));
  agree[1][0] = 1;
  const rowT = new Float32Array(B * S), colT = new Float32Array(B * S);
  agree.forEach((row, b) => {
    const n = row.reduce((a, x) => a + x, 0);
    row.forEach((x, s) => (rowT[b * S + s] = n ? x / n : 0));
  });
  for (let s = 0; s < S; s++) {
    const n = agree.reduce((a, row) => a + row[s], 0);
    for (let b = 0; b < B; b++) colT[b * S + s] = n ? agree[b][s] / n : 0;
  }
  const nRows = agree.filter((row) => row.some(Boolean)).length;
  const nCols = Array.from({ length: S }, (_, s) => agree.some((row) => row[s])).filter(Boolean).length;
  const targets = () => ({ rowTargets: e.tensor(rowT, [B, S]), colTargets: e.tensor(colT, [B, S]), colBias: e.tensor(new Float32Array(S), [1, S]), rows: nRows, cols: nCols });
  return { agree, targets };
}

/** A queue case: B pairs, Q slots (the listed ones empty, zero rows), soft targets [B, B+Q] rows summing to 1. */
function queueCase(e: Engine, B: number, Q: number, d: number, empty: number[], seed: number) {
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  };
  const qText = rows(randomArray(Q * d, seed), Q, d).map((r, k) => (empty.includes(k) ? new Float32Array(d) : unit(r)));
  const qCt = rows(randomArray(Q * d, seed + 1), Q, d).map((r, k) => (empty.includes(k) ? new Float32Array(d) : unit(r)));
  const filled = Array.from({ length: Q }, (_, k) => !empty.includes(k));
  const W = B + Q;
  const r = randomArray(B * W, seed + 2, 0, 1);
  // Each CT's own report 1; some other columns a false negative (never an empty slot), as RoCo makes them.
  const targets = Array.from({ length: B }, (_, i) => {
    const row = Array.from({ length: W }, (_, j) => (j === i ? 1 : (j < B || filled[j - B]) && r[i * W + j] < 0.25 ? r[i * W + j] * 4 : 0));
    const sum = row.reduce((a, x) => a + x, 0);
    return row.map((x) => x / sum);
  });
  const bias = Float32Array.from({ length: W }, (_, j) => (j < B || filled[j - B] ? 0 : -1e4));
  const out = {
    qText, qCt, filled, targets,
    tensors: () => ({
      text: e.tensor(Float32Array.from(qText.flatMap((x) => [...x])), [Q, d]),
      ct: e.tensor(Float32Array.from(qCt.flatMap((x) => [...x])), [Q, d]),
      targets: e.tensor(Float32Array.from(out.targets.flat()), [B, W]),
      bias: e.tensor(bias, [1, W]),
    }),
  };
  return out;
}

suite('losses', (test) => {
  test('L_RoCo with a queue matches its reference; with every slot empty it is contrastiveLoss', async (e) => {
    for (const [k, [B, Q, d, empty]] of ([[3, 2, 4, []], [16, 64, 32, [5, 40, 41]], [5, 10, 256, [0, 1, 2, 3, 4]]] as const).entries()) {
      const c = randomArray(B * d, 80 + k), t = randomArray(B * d, 90 + k);
      const q = queueCase(e, B, Q, d, [...empty], 100 + 10 * k);
      const tau = 0.07 + 0.1 * k;
      const got = e.scope(() => e.keep(queueContrastLoss(e.tensor(c, [B, d]), e.tensor(t, [B, d]), q.tensors(), e.tensor([tau], [1])).loss));
      expectClose(await got.data(), [queueContrastRef(rows(c, B, d), rows(t, B, d), q.qText, q.qCt, q.targets, q.filled, tau)], `queue B ${B} Q ${Q} d ${d}`, 1e-5, 1e-4);
      got.dispose();
    }
    // Every slot empty: the fused kernel's loss, for RoCo's targets where two pairs (0, 1) and
    // (2, 3) are false negatives. (The kernel reads a report's targets down T's column, this loss
    // along its row; the two agree where T is symmetric, as here.)
    const B = 6, Q = 12, d = 16;
    const c = randomArray(B * d, 120), t = randomArray(B * d, 121);
    const q = queueCase(e, B, Q, d, Array.from({ length: Q }, (_, k) => k), 122);
    const pairOf = [1, 0, 3, 2, -1, -1];
    q.targets = q.targets.map((row, i) => row.map((_, j) => (j === i || j === pairOf[i] ? (pairOf[i] < 0 ? 1 : 0.5) : 0)));
    const inBatch = Float32Array.from(q.targets.flatMap((row) => row.slice(0, B)));
    const queued = e.scope(() => e.keep(queueContrastLoss(e.tensor(c, [B, d]), e.tensor(t, [B, d]), q.tensors(), 0.3).loss));
    const fused = e.scope(() => e.keep(contrastiveLoss(e.tensor(c, [B, d]), e.tensor(t, [B, d]), e.tensor(inBatch, [B, B]), 0.3)));
    expectClose(await queued.data(), await fused.data(), 'queue all empty vs contrastiveLoss', 1e-5, 1e-4);
    queued.dispose();
    fused.dispose();
  });

  test('L_RoCo with a queue: gradients (finite differences) to the CTs, the reports and τ, none to the queue', async (e) => {
    const B = 3, Q = 3, d = 3;
    const q = queueCase(e, B, Q, d, [1], 130);
    await gradCheck(e, 'L_RoCo queue', [
      { data: randomArray(B * d, 131), shape: [B, d] },
      { data: randomArray(B * d, 132), shape: [B, d] },
      { data: new Float32Array([0.5]), shape: [1] },
    ], ([c, t, tau]) => queueContrastLoss(c, t, q.tensors(), tau).loss.reshape([1]), 1e-2, 3e-2);
  });

  test('L_pair and L_rel match their references (the relation term leaves the diagonal out)', async (e) => {
    for (const [k, [n, d]] of ([[4, 3], [16, 64], [9, 256]] as const).entries()) {
      const a = randomArray(n * d, 10 + k), b = randomArray(n * d, 20 + k);
      const tau = 0.1 + 0.2 * k;
      const pair = e.scope(() => e.keep(pairLoss(e.tensor(a, [n, d]), e.tensor(b, [n, d]))));
      const rel = e.scope(() => e.keep(relationLoss(e.tensor(a, [n, d]), e.tensor(b, [n, d]), tau)));
      expectClose(await pair.data(), [pairLossRef(rows(a, n, d), rows(b, n, d))], `L_pair n ${n} d ${d}`, 1e-5, 1e-5);
      expectClose(await rel.data(), [relationLossRef(rows(a, n, d), rows(b, n, d), tau)], `L_rel n ${n} d ${d} τ ${tau}`, 1e-5, 1e-4);
      pair.dispose();
      rel.dispose();
    }
  });

  test('L_pair and L_rel gradients (finite differences; the teacher is held fixed in L_rel)', async (e) => {
    const n = 4, d = 3;
    const inputs = [{ data: randomArray(n * d, 3), shape: [n, d] }, { data: randomArray(n * d, 4), shape: [n, d] }];
    await gradCheck(e, 'L_pair', inputs, ([a, b]) => pairLoss(a, b).reshape([1]), 1e-2, 3e-2);
    await gradCheck(e, 'L_rel', [inputs[0], { ...inputs[1], grad: false }], ([a, b]) => relationLoss(a, b, 0.5).reshape([1]), 1e-2, 3e-2);
  });

  test('L_sent matches its reference: many positives a row and a column, an empty row, padding columns', async (e) => {
    for (const [k, [B, S, d]] of ([[4, 6, 3], [16, 64, 64], [5, 9, 256]] as const).entries()) {
      const c = randomArray(B * d, 30 + k), s = randomArray(S * d, 40 + k);
      const { agree, targets } = sentenceCase(e, B, S, 50 + k);
      const tau = 0.07 + 0.1 * k;
      const got = e.scope(() => e.keep(sentenceLoss(e.tensor(c, [B, d]), e.tensor(s, [S, d]), targets(), e.tensor([tau], [1]))));
      expectClose(await got.data(), [sentenceLossRef(rows(c, B, d), rows(s, S, d), agree, tau)], `L_sent B ${B} S ${S} d ${d}`, 1e-5, 1e-4);
      got.dispose();
    }
    // A padding column (bias −1e4) changes nothing: the same loss as without the column.
    const B = 4, S = 5, d = 8;
    const c = randomArray(B * d, 60), s = randomArray(S * d, 61);
    const { agree, targets } = sentenceCase(e, B, S, 62);
    const t = targets();
    const bias = new Float32Array(S);
    bias[S - 1] = -1e4;
    const padded = e.scope(() => e.keep(sentenceLoss(e.tensor(c, [B, d]), e.tensor(s, [S, d]), { ...t, colBias: e.tensor(bias, [1, S]) }, 0.2)));
    const without = sentenceLossRef(rows(c, B, d), rows(s, S - 1, d), agree.map((r) => r.slice(0, S - 1)), 0.2);
    expectClose(await padded.data(), [without], 'L_sent with a padding column', 1e-5, 1e-4);
    padded.dispose();
  });

  test('L_find matches its reference; its gradients (finite differences) to the CTs, the weight and the bias', async (e) => {
    for (const [k, [B, K, d]] of ([[3, 2, 4], [16, 18, 256]] as const).entries()) {
      const c = randomArray(B * d, 80 + k), w = randomArray(2 * K * d, 82 + k, -0.3, 0.3), bias = randomArray(2 * K, 84 + k);
      const y = Int32Array.from(randomArray(B * K, 86 + k, 0, 1), (u) => (u < 0.3 ? 1 : 0));
      const got = e.scope(() => e.keep(findingLoss(e.tensor(c, [B, d]), e.tensor(w, [2 * K, d]), e.tensor(bias, [2 * K]), e.tensor(y, [B * K], 'int32'))));
      const ref = findingLossRef(rows(c, B, d), rows(w, 2 * K, d), bias, rows(Float32Array.from(y), B, K));
      expectClose(await got.data(), [ref], `L_find B ${B} K ${K} d ${d}`, 1e-5, 1e-4);
      got.dispose();
    }
    const B = 3, K = 2, d = 4;
    const y = new Int32Array([1, 0, 0, 0, 1, 1]);
    await gradCheck(e, 'L_find', [
      { data: randomArray(B * d, 90), shape: [B, d] },
      { data: randomArray(2 * K * d, 91, -0.3, 0.3), shape: [2 * K, d] },
      { data: randomArray(2 * K, 92), shape: [2 * K] },
    ], ([c, w, b]) => findingLoss(c, w, b, e.tensor(y, [B * K], 'int32')).reshape([1]), 1e-2, 3e-2);
  });

  test('L_sent gradients (finite differences) to the CTs, the sentences and τ', async (e) => {
    const B = 3, S = 4, d = 3;
    const { targets } = sentenceCase(e, B, S, 70);
    await gradCheck(e, 'L_sent', [
      { data: randomArray(B * d, 71), shape: [B, d] },
      { data: randomArray(S * d, 72), shape: [S, d] },
      { data: new Float32Array([0.5]), shape: [1] },
    ], ([c, s, tau]) => sentenceLoss(c, s, targets(), tau).reshape([1]), 1e-2, 3e-2);
  });
});
