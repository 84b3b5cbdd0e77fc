import { describe, expect, it } from 'vitest';
import { charSpansToTokenSpans, entityFocusedMask, IGNORE_INDEX } from '../../models/text/efm.ts';
import { detectFalseNegatives, softTargets } from '../../models/text/false-negatives.ts';
import { falseNegatives, queueTargets, hostBatch } from '../../models/train/batch.ts';
import { ReportTokenizer } from '../../models/tokenize.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { findingIndex } from '../../models/text/index.ts';
import { getConfig } from '../../models/config.ts';
import { labelReport } from '../../models/text/labeler.ts';
import { mulberry32 } from '../../models/text/rng.ts';
import { WordPieceTokenizer } from '../../models/text/wordpiece.ts';
import { dataFile } from './helpers.ts';

const tok = WordPieceTokenizer.fromVocabText(dataFile('vocab/bert-base-uncased-vocab.txt'));
const specials = [tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId];
const report = 'Trachea, both main bronchi are open. No pleural effusion was detected. A 5 mm nodule is observed in the right lung upper lobe. Minimal pericardial effusion. Calcific atheroma plaques in the aortic arch. Mild bronchiectasis in both lower lobes.';

function prepare() {
  const enc = tok.encode(report);
  const spans = charSpansToTokenSpans(enc.offsets, labelReport(report).entities);
  return { enc, spans };
}

describe('mulberry32', () => {
  it('is deterministic and roughly uniform', () => {
    const a = mulberry32(7), b = mulberry32(7);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('entity-focused masking', () => {
  const opts = { seed: 3, maskId: tok.maskId, vocabSize: tok.size, specialIds: specials };

  it('masks 15% of the non-special tokens, whole entity spans first', () => {
    const { enc, spans } = prepare();
    const r = entityFocusedMask(enc.ids, spans, opts);
    const nonSpecial = enc.ids.filter((i) => !specials.includes(i)).length;
    expect(r.masked.length).toBe(Math.round(0.15 * nonSpecial));
    expect(r.spans.length).toBeGreaterThan(0);
    for (const s of r.spans) for (let i = s.start; i < s.end; i++) expect(r.masked).toContain(i);
    expect(r.masked).not.toContain(0);
    expect(r.masked).not.toContain(enc.ids.length - 1);
  });

  it('labels the original id at chosen positions and -100 elsewhere; 80/10/10 replacement', () => {
    const { enc, spans } = prepare();
    let mask = 0, random = 0, same = 0;
    for (let seed = 0; seed < 400; seed++) {
      const r = entityFocusedMask(enc.ids, spans, { ...opts, seed });
      r.labels.forEach((l, i) => expect(l).toBe(r.masked.includes(i) ? enc.ids[i] : IGNORE_INDEX));
      for (const i of r.masked) {
        if (r.inputIds[i] === tok.maskId) mask++;
        else if (r.inputIds[i] === enc.ids[i]) same++;
        else { random++; expect(specials).not.toContain(r.inputIds[i]); }
      }
      r.inputIds.forEach((v, i) => { if (!r.masked.includes(i)) expect(v).toBe(enc.ids[i]); });
    }
    const n = mask + random + same;
    expect(mask / n).toBeCloseTo(0.8, 1);
    expect(random / n).toBeCloseTo(0.1, 1);
    expect(same / n).toBeCloseTo(0.1, 1);
  });

  it('is deterministic from the seed', () => {
    const { enc, spans } = prepare();
    const a = entityFocusedMask(enc.ids, spans, opts), b = entityFocusedMask(enc.ids, spans, opts);
    expect(Array.from(a.inputIds)).toEqual(Array.from(b.inputIds));
    const c = entityFocusedMask(enc.ids, spans, { ...opts, seed: 4 });
    expect(Array.from(c.inputIds)).not.toEqual(Array.from(a.inputIds));
  });

  it('falls back to random tokens when there are no spans', () => {
    const ids = tok.encode('the the the the the the the the the the').ids;
    const r = entityFocusedMask(ids, [], opts);
    expect(r.masked.length).toBe(2);
    expect(r.spans).toEqual([]);
  });
});

describe('false negatives for RoCo', () => {
  const L = (...on: number[]) => Uint8Array.from({ length: 18 }, (_, k) => (on.includes(k) ? 1 : 0));

  it('pairs reports with the same finding set, all-normal included', () => {
    const r = detectFalseNegatives([L(), L(2), L(), L(2, 5), L(2)]);
    expect(r.pairs.map((p) => [p.i, p.j, p.reason])).toEqual([[0, 2, 'same-findings'], [1, 4, 'same-findings']]);
    expect(r.pairs[0].similarity).toBeNull();
  });

  it('adds text-similarity pairs and marks both', () => {
    const e = [new Float32Array([1, 0]), new Float32Array([0.99, 0.1]), new Float32Array([0, 1])];
    const r = detectFalseNegatives([L(1), L(1), L(3)], { embeddings: e, threshold: 0.95 });
    expect(r.pairs).toEqual([{ i: 0, j: 1, reason: 'both', similarity: expect.closeTo(0.995, 3) }]);
    const flat = new Float32Array([1, 0, 0.99, 0.1, 0, 1]);
    const r2 = detectFalseNegatives([L(1), L(2), L(3)], { embeddings: flat, threshold: 0.95 });
    expect(r2.pairs.map((p) => p.reason)).toEqual(['text-similarity']);
  });

  it('T = rownorm(I + F)', () => {
    const r = detectFalseNegatives([L(), L(), L(4)]);
    expect(Array.from(r.targets)).toEqual([0.5, 0.5, 0, 0.5, 0.5, 0, 0, 0, 1]);
    const t = softTargets(4, []);
    expect(Array.from(t)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  // The trainer's batch (models/train/batch.ts) finds the same pairs by the same rule.
  const batchOf = (labels: Uint8Array[]) => ({
    items: labels.map((_, k) => ({ volumeSeed: k, labels: labels[k], report: k })),
    reports: labels.map((l, k) => ({ text: `report ${k}`, labels: l, source: String(k) })),
  });

  it("the trainer's batch gives the same targets as detectFalseNegatives", () => {
    const labels = [L(), L(2), L(), L(2, 5), L(2)];
    const { items, reports } = batchOf(labels);
    const r = falseNegatives(7, items, reports, null, 0, getConfig('micro').loss);
    expect(Array.from(r.targets)).toEqual(Array.from(detectFalseNegatives(labels).targets));
    expect(r.corrections.map((c) => [c.step, c.i, c.j, c.reason])).toEqual([[7, 0, 2, 'same-findings'], [7, 1, 4, 'same-findings']]);
  });

  it('graded: F = J^γ for finding sets that overlap in part, recorded from J ≥ 1/2', () => {
    // J(0,1) = 1/3 ({2,5,7} vs {2}), J(0,2) = 2/3 ({2,5,7} vs {2,5}), J(1,2) = 1/2, report 3 shares nothing.
    const { items, reports } = batchOf([L(2, 5, 7), L(2), L(2, 5), L(9)]);
    const loss = { ...getConfig('micro').loss, fnGraded: 2 };
    const r = falseNegatives(0, items, reports, null, 0, loss);
    const F = [[1, 1 / 9, 4 / 9, 0], [1 / 9, 1, 1 / 4, 0], [4 / 9, 1 / 4, 1, 0], [0, 0, 0, 1]];
    const want = F.flatMap((row) => row.map((v) => v / row.reduce((a, b) => a + b, 0)));
    Array.from(r.targets).forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
    expect(r.corrections.map((c) => [c.i, c.j, c.reason])).toEqual([[0, 2, 'shared-findings'], [1, 2, 'shared-findings']]);
    expect(r.corrections[0].target).toBeCloseTo(want[2], 6);
    // Off (the paper's binary rule): no overlap counts.
    const off = falseNegatives(0, items, reports, null, 0, { ...loss, fnGraded: 0 });
    expect(Array.from(off.targets)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it("a queue's targets: the batch's as without it, then each slot by its report; empty slots 0 and masked", () => {
    // Batch: reports 0..2 (normal, {2}, normal); queue slots: report 3 ({2}), empty, report 4 (normal), report 1 again.
    const { items, reports } = batchOf([L(), L(2), L(), L(2), L()]);
    const batch = items.slice(0, 3);
    const loss = getConfig('micro').loss;
    const r = queueTargets(batch, Int32Array.from([3, -1, 4, 1]), reports, null, 0, loss, true);
    const F = [
      [1, 0, 1, 0, 0, 1, 0],
      [0, 1, 0, 1, 0, 0, 1],
      [1, 0, 1, 0, 0, 1, 0],
    ];
    const want = F.flatMap((row) => row.map((v) => v / row.reduce((a, b) => a + b, 0)));
    Array.from(r.targets).forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
    expect(Array.from(r.bias)).toEqual([0, 0, 0, 0, -1e4, 0, 0]);
    // Its batch columns, renormalised, are falseNegatives' rows.
    const plain = falseNegatives(0, batch, reports, null, 0, loss).targets;
    for (let i = 0; i < 3; i++) {
      const row = Array.from(r.targets.subarray(i * 7, i * 7 + 3));
      const sum = row.reduce((a, b) => a + b, 0);
      row.forEach((v, j) => expect(v / sum).toBeCloseTo(plain[i * 3 + j], 6));
    }
    // RoCo off (plain CLIP): only each CT's own report is a positive; the queue only adds negatives.
    const clip = queueTargets(batch, Int32Array.from([3, -1, 4, 1]), reports, null, 0, loss, false);
    expect(Array.from(clip.targets)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it("L_find's targets are the labeler's findings of each report's whole text, not its hand labels", async () => {
    const texts = ['Cardiomegaly is observed. No pleural effusion.', 'Pleural effusion on the right. A 5 mm nodule in the left upper lobe.', 'Lungs are clear.'];
    // Hand labels that disagree with every text: L_find must not read them.
    const reports = texts.map((text, k) => ({ text, labels: new Uint8Array(18).fill(1), source: String(k) }));
    const items = texts.map((_, k) => ({ volumeSeed: k, labels: reports[k].labels, report: k }));
    const tok = await ReportTokenizer.load(diskAssets(), 'sub', texts);
    const h = hostBatch(0, items, reports, tok, getConfig('micro', { loss: { findings: 1 } }), null, 0, null);
    const want = new Int32Array(3 * 18);
    want[findingIndex('Cardiomegaly')] = 1;
    want[18 + findingIndex('Pleural effusion')] = 1;
    want[18 + findingIndex('Lung nodule')] = 1;
    expect(Array.from(h.findingLabels!)).toEqual(Array.from(want));
    // Off by default: no targets made.
    expect(hostBatch(0, items, reports, tok, getConfig('micro'), null, 0, null).findingLabels).toBeUndefined();
  });
});
