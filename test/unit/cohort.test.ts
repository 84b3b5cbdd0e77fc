// The cohort: real label vectors from the hand-labelled CT-RATE reports, a fixed train/held-out
// split of the reports, pairing with reports of exactly the same finding set, real prevalence.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { reportsFromCsv, splitReports, makeCohort, prevalence, CT_REPORTS_PATH, type CohortReport } from '../../models/data/cohort.ts';
import { NUM_FINDINGS, FINDINGS } from '../../models/data/findings.ts';
import { xrayReportsFromArchive, makeXrayCohort, imageSpec, IU_REPORTS_PATH } from '../../models/data/xray.ts';
import { XRAY_OBSERVABLE } from '../../models/text/findings.ts';
import { CohortData } from '../../models/train/cohort-data.ts';
import { getConfig } from '../../models/config.ts';

const root = new URL('../../', import.meta.url).pathname;
const reports = reportsFromCsv(readFileSync(root + CT_REPORTS_PATH), CT_REPORTS_PATH);
const key = (l: ArrayLike<number>) => Array.from(l).join('');

describe('cohort', () => {
  it('reads the 800 hand-labelled reports', () => {
    expect(reports.length).toBe(800);
    expect(reports.every((r) => r.labelSource === 'hand' && r.labels.length === NUM_FINDINGS)).toBe(true);
  });

  it('splits the reports once, reproducibly, into disjoint sets', () => {
    const s = splitReports(800);
    expect(s.heldout.length).toBe(160);
    expect(s.train.length).toBe(640);
    expect(new Set([...s.train, ...s.heldout]).size).toBe(800);
    expect(splitReports(800)).toEqual(s);
    expect(splitReports(800, { splitSeed: 7 }).heldout).not.toEqual(s.heldout);
  });

  it('held-out volumes are paired only with reports never used in training', () => {
    const train = makeCohort({ reports, seed: 1, n: 3000, split: 'train' });
    const held = makeCohort({ reports, seed: 1, n: 600, split: 'heldout' });
    const trainAcc = new Set(train.map((i) => i.accession));
    const { train: trainIdx, heldout: heldIdx } = splitReports(800);
    expect(held.every((i) => !trainAcc.has(i.accession))).toBe(true);
    expect(held.every((i) => heldIdx.includes(i.reportIndex))).toBe(true);
    expect(train.every((i) => trainIdx.includes(i.reportIndex))).toBe(true);
    // … and are other patients.
    const seeds = new Set(train.map((i) => i.seed));
    expect(held.filter((i) => seeds.has(i.seed)).length).toBe(0);
  });

  it('pairs every volume with a report of exactly its finding set', () => {
    for (const it of makeCohort({ reports, seed: 3, n: 500, split: 'train' })) {
      expect(key(reports[it.reportIndex].labels)).toBe(key(it.labels));
      expect(it.reportText).toBe(reports[it.reportIndex].text);
    }
    // Shared sets are spread over their reports: the all-normal volumes get many different texts.
    const normals = makeCohort({ reports, seed: 4, n: 1000, split: 'train' }).filter((i) => i.labels.every((v) => v === 0));
    expect(new Set(normals.map((i) => i.accession)).size).toBeGreaterThan(30);
  });

  it('keeps the real prevalence of every finding', () => {
    const want = prevalence(splitReports(800).train.map((i) => reports[i].labels));
    const all = prevalence(reports.map((r) => r.labels));
    const got = prevalence(makeCohort({ reports, seed: 5, n: 6000, split: 'train' }).map((i) => i.labels));
    for (let k = 0; k < NUM_FINDINGS; k++) {
      expect(Math.abs(got[k] - want[k])).toBeLessThan(0.025);
      expect(Math.abs(got[k] - all[k])).toBeLessThan(0.05);
    }
  });

  it('is deterministic from its seed', () => {
    const a = makeCohort({ reports, seed: 9, n: 50, split: 'train', size: [32, 48, 48], spacing: [10, 6, 6] });
    const b = makeCohort({ reports, seed: 9, n: 50, split: 'train', size: [32, 48, 48], spacing: [10, 6, 6] });
    const c = makeCohort({ reports, seed: 10, n: 50, split: 'train' });
    expect(b).toEqual(a);
    expect(a[0].grid).toEqual({ size: [32, 48, 48], spacing: [10, 6, 6] });
    expect(c.map((i) => i.seed)).not.toEqual(a.map((i) => i.seed));
  });

  it('takes label vectors from any CT-RATE-format CSV: hand columns where present, the labeler for the rest', () => {
    const csv = 'AccessionNo,report_text,Lung nodule\nA1,"A 12 mm nodule in the right upper lobe. Bilateral pleural effusion.",1\nA2,"No pleural effusion. No nodule.",0\n';
    const rs: CohortReport[] = reportsFromCsv(csv, 'x.csv');
    expect(rs.map((r) => r.labelSource)).toEqual(['mixed', 'mixed']);
    expect(rs[0].labels[9]).toBe(1);
    expect(rs[0].labels[12]).toBe(1);
    expect(rs[1].labels[12]).toBe(0);
    const plain = reportsFromCsv('AccessionNo,report_text\nB1,"Cardiomegaly is present."\nB2,"Normal study."\n', 'y.csv');
    expect(plain[0].labelSource).toBe('labeler');
    expect(plain[0].labels[2]).toBe(1);
    expect(makeCohort({ reports: plain, seed: 1, n: 4, split: 'heldout' }).length).toBe(4);
  });

  it('refuses bad requests with a message', () => {
    expect(() => makeCohort({ reports, seed: 1, n: -1, split: 'train' })).toThrow(/non-negative integer/);
    expect(() => makeCohort({ reports, seed: 1, n: 1, split: 'test' as 'train' })).toThrow(/split must be/);
    expect(() => splitReports(1)).toThrow(/at least 2 reports/);
    expect(() => reportsFromCsv('AccessionNo,report_text\n', 'empty.csv')).toThrow(/no usable report rows/);
  });
});

describe('X-ray cohort', () => {
  it('pairs radiographs with real IU reports of their finding set, held-out reports apart', async () => {
    const xr = await xrayReportsFromArchive(new Uint8Array(readFileSync(root + IU_REPORTS_PATH)));
    expect(xr.length).toBeGreaterThan(3000);
    // Only what a radiograph can show is ever labelled.
    for (const r of xr) FINDINGS.forEach((f, k) => { if (!XRAY_OBSERVABLE.has(f)) expect(r.labels[k]).toBe(0); });
    const train = makeXrayCohort({ reports: xr, seed: 2, n: 2000, split: 'train', image: imageSpec({ size: [1, 64, 64], spacing: [1, 5, 5] }) });
    const held = makeXrayCohort({ reports: xr, seed: 2, n: 300, split: 'heldout' });
    const ids = new Set(train.map((i) => i.reportId));
    expect(held.every((i) => !ids.has(i.reportId))).toBe(true);
    for (const it of [...train, ...held]) expect(key(xr[it.reportIndex].labels)).toBe(key(it.labels));
    expect(train[0].image).toEqual({ size: [64, 64], spacing: [5, 5] });
    // Other patients than the CT cohort's.
    const ct = new Set(makeCohort({ reports, seed: 2, n: 2000, split: 'train' }).map((i) => i.seed));
    expect(train.filter((i) => ct.has(i.seed)).length).toBe(0);
    // The real prevalence of the IU labels.
    const want = prevalence(xr.map((r) => r.labels)), got = prevalence(train.map((i) => i.labels));
    for (let k = 0; k < NUM_FINDINGS; k++) expect(Math.abs(got[k] - want[k])).toBeLessThan(0.035);
  }, 60_000);
});

const xrays = await xrayReportsFromArchive(new Uint8Array(readFileSync(root + IU_REPORTS_PATH)));

describe('stratified training batches', () => {
  const data = (stratify?: number) => new CohortData(reports, xrays, 1, getConfig('tiny', stratify === undefined ? {} : { data: { stratify } }), 960);
  const count = (l: Uint8Array) => l.reduce((a, b) => a + b, 0);
  const spread = (items: { labels: Uint8Array }[]) => Math.max(...items.map((it) => count(it.labels))) - Math.min(...items.map((it) => count(it.labels)));
  const meanSpread = (d: CohortData) => Array.from({ length: 60 }, (_, s) => spread(d.trainBatch(s, 16))).reduce((a, b) => a + b, 0) / 60;

  it('draws every batch from patients with about as many findings as its first (stratify 1)', () => {
    const strat = data(1), plain = data();
    const s = meanSpread(strat), p = meanSpread(plain);
    // Random batches of 16 span most of the range of finding counts; stratified ones a count or two.
    expect(p).toBeGreaterThan(5);
    expect(s).toBeLessThan(2.5);
    for (const step of [0, 7, 59]) {
      const b = strat.trainBatch(step, 16);
      expect(new Set(b.map((it) => it.volumeSeed)).size).toBe(16);
      expect(strat.trainBatch(step, 16)).toEqual(b);   // a function of the step: --resume sees the same batch
    }
  });

  it('leaves the batches of runs without it as they were, and mixes at a share in between', () => {
    const plain = data(), zero = data(0), half = data(0.5);
    for (const step of [0, 3, 100]) expect(zero.trainBatch(step, 16)).toEqual(plain.trainBatch(step, 16));
    const h = meanSpread(half);
    expect(h).toBeGreaterThan(meanSpread(data(1)));
    expect(h).toBeLessThan(meanSpread(plain));
    expect(() => data(1.5)).toThrow(/data.stratify must be a share of steps in \[0, 1\], got 1.5/);
  });
});
