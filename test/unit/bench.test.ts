// The benchmark's pure parts: statistics, ratios, table formatting, the timing arithmetic, the
// peak kernel's template, and the case list (no GPU).
import { describe, expect, it } from 'vitest';
import {
  caseResult, casesTable, fmtMs, fmtPct, fmtRatio, formatReport, gflops, markdownTable, median, ratio, round, targetLines,
  type BenchReport, type CaseResult,
} from '../../bench/stats.ts';
import { roundsFor, runsPerBatch, FULL } from '../../bench/timing.ts';
import { fmaSource, fmaFlopsPerTrip, workgroupSizes, FMA_SHAPES } from '../../bench/peak.ts';
import { benchCases, rand } from '../../bench/cases.ts';
import { family } from '../../bench/run.ts';

describe('statistics', () => {
  it('median of odd and even counts, unsorted input left alone', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('ratio is peer / engine, null without a peer time', () => {
    expect(ratio(50, 10)).toBe(5);
    expect(ratio(null, 10)).toBeNull();
    expect(ratio(undefined, 10)).toBeNull();
    expect(ratio(10, 0)).toBeNull();
    expect(ratio(Infinity, 1)).toBeNull();
  });

  it('gflops and the case result', () => {
    expect(gflops(2e9, 1000)).toBeCloseTo(2);
    const r = caseResult('matmul.x', '[2]', 2 * 256 ** 3, 10, 55, 40);
    expect(r.gflops).toBeCloseTo(3.355, 2);
    expect(r.ratio).toBe(5.5);
    expect(r.peak_fraction).toBeCloseTo(r.gflops / 40, 4);
    expect(Object.keys(r).sort()).toEqual(['engine_ms', 'gflops', 'name', 'peak_fraction', 'peer_ms', 'ratio', 'shape'].sort());
    // With the peak measured next to the case, its own fraction beside the run's.
    const near = caseResult('matmul.x', '[2]', 2 * 256 ** 3, 10, 55, 40, 32);
    expect(near.peak_fraction).toBeCloseTo(r.gflops / 40, 4);
    expect(near.peak_gflops_nearby).toBe(32);
    expect(near.peak_fraction_nearby).toBeCloseTo(r.gflops / 32, 4);
    const alone = caseResult('softmax.x', '[2]', 100, 1, null, 40);
    expect(alone.peer_ms).toBeNull();
    expect(alone.ratio).toBeNull();
  });

  it('round keeps significant digits', () => {
    expect(round(123.456, 3)).toBe(123);
    expect(round(0.00123456, 2)).toBe(0.0012);
    expect(round(0, 3)).toBe(0);
  });
});

describe('formatting', () => {
  it('numbers', () => {
    expect(fmtMs(1234.5)).toBe('1235');
    expect(fmtMs(12.345)).toBe('12.3');
    expect(fmtMs(1.2345)).toBe('1.23');
    expect(fmtMs(0.12345)).toBe('0.123');
    expect(fmtMs(null)).toBe('–');
    expect(fmtRatio(5.55)).toBe('5.5×');
    expect(fmtRatio(15.5)).toBe('16×');
    expect(fmtRatio(null)).toBe('–');
    expect(fmtPct(0.256)).toBe('26%');
    expect(fmtPct(0.0712)).toBe('7.1%');
    expect(fmtPct(0.00123)).toBe('0.12%');
  });

  it('a markdown table has a header, a rule and one row per item, pipes escaped', () => {
    const t = markdownTable(['a', 'b'], [['1', 'x|y'], ['2', '3']]);
    expect(t.split('\n')).toEqual(['| a | b |', '|---|---|', '| 1 | x\\|y |', '| 2 | 3 |']);
  });

  const cases: CaseResult[] = [
    caseResult('matmul.1024³', '[1024,1024]·[1024,1024]', 2 * 1024 ** 3, 400, 4000, 40, 20),
    caseResult('conv3d.tiny.patch-embed.fwd', '[1,1,64,64,64]', 1e8, 20, 60, 40),
    caseResult('attention.tiny.ct.fwd', '[16,4,65,32]', 3e7, 10, null, 40),
  ];

  it('the cases table: one line per case, peer blank where absent', () => {
    const lines = casesTable(cases).split('\n');
    expect(lines).toHaveLength(2 + cases.length);
    expect(lines[0]).toContain('× TF.js');
    expect(lines[2]).toMatch(/^\| matmul\.1024³ \| \[1024,1024\]·\[1024,1024\] \| 400 \| 4000 \| 10× \| 5\.37 \| 13% \| 27% of 20\.0 \|$/);
    expect(lines[3]).toMatch(/\| – \|$/);
    expect(lines[4]).toContain('| – | – |');
  });

  it('targets: met and not met, per op family and for the training step', () => {
    const r: BenchReport = {
      adapter: { runtime: 'node', vendor: 'v', architecture: 'a', device: '', description: '', isFallbackAdapter: true, features: [], limits: {} },
      peak: { gflops: 40, gbps: 2 }, cases,
      train: [{
        config: 'tiny', batch: 16, configBatch: 16, steps: 3, step_ms: 100, dispatches_per_step: 900, submits_per_step: 1, readbacks_per_step: 0,
        memory_first: { liveBytes: 0, pooledBytes: 0, fixedBytes: 0, liveTensors: 0, buffersCreated: 0 },
        memory_last: { liveBytes: 0, pooledBytes: 0, fixedBytes: 0, liveTensors: 0, buffersCreated: 0 }, memory_growth_bytes: 0,
      }],
    };
    const t = targetLines(r);
    expect(t.find((l) => l.startsWith('matmul ≥ 5×'))).toMatch(/1\/1 .* met$/);
    expect(t.find((l) => l.startsWith('conv3d'))).toMatch(/0\/1 .*lowest 3\.0×.* not met$/);
    expect(t.find((l) => l.startsWith('attention'))).toBeUndefined(); // no peer time
    // Judged on the run's peak, not on the one measured next to the case (27% here).
    expect(t.find((l) => l.includes('of FMA peak'))).toMatch(/best 13% \(matmul\.1024³; 27% of the peak measured next to it\) — not met$/);
    expect(t.find((l) => l.startsWith('tiny step'))).toMatch(/1 submits, 0 readbacks per step — met$/);
    const md = formatReport({ ...r, command: 'biud bench', notes: ['a note'] });
    expect(md).toContain('Made by `biud bench`');
    expect(md).toContain('## Training step');
    expect(md).toContain('- a note');
    expect(md).toContain('`% of peak next to it`');
    expect(md).not.toContain('Host:');
    // On a software adapter the host CPU is what is measured: the report names it, and the browser.
    const withHost = formatReport({ ...r, adapter: { ...r.adapter, runtime: 'browser' }, host: { cpu: 'AMD EPYC (x64)', cores: 2, browser: 'Chromium 156' } });
    expect(withHost).toContain('in browser (Chromium 156)');
    expect(withHost).toContain('Host: AMD EPYC (x64), 2 cores.');
  });
});

describe('timing arithmetic', () => {
  it('runs per batch fill the batch time, at least one', () => {
    expect(runsPerBatch(10, 120)).toBe(12);
    expect(runsPerBatch(500, 120)).toBe(1);
    expect(runsPerBatch(0.001, 120)).toBe(64);
  });

  it('rounds fit the budget within the bounds', () => {
    expect(roundsFor(100, FULL)).toBe(FULL.maxRounds);
    expect(roundsFor(FULL.budgetMs / 2, FULL)).toBe(2);
    expect(roundsFor(FULL.budgetMs * 3, FULL)).toBe(1);
    expect(roundsFor(FULL.budgetMs / 4, FULL)).toBe(4);
  });

  it('case families drop the shape part of the name', () => {
    expect(family('attention.small.ct.fwd+bwd')).toBe('attention.ct.fwd+bwd');
    expect(family('matmul.1024³')).toBe('matmul.1024³');
    expect(family('conv3d.tiny.patch-embed.bwd')).toBe('conv3d.patch-embed.bwd');
    expect(family('conv3d.3x3x3.bwd')).toBe('conv3d.3x3x3.bwd');
  });
});

describe('peak kernel and cases', () => {
  it('workgroup sizes come from the limits', () => {
    expect(workgroupSizes({ maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 })).toEqual([64, 128, 256]);
    expect(workgroupSizes({ maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupSizeX: 256 })).toEqual([64, 128]);
    expect(workgroupSizes({ maxComputeInvocationsPerWorkgroup: 32, maxComputeWorkgroupSizeX: 32 })).toEqual([32]);
  });

  it('the FMA template is filled completely', () => {
    for (const s of FMA_SHAPES) {
      const w = fmaSource(s);
      expect(w).not.toMatch(/\$[A-Z]/);
      expect(w.match(/a\d+ = fma\(/g)!.length).toBe(s.chains * s.unroll);
      expect(fmaFlopsPerTrip(s)).toBe(s.chains * s.unroll * (s.type === 'vec4f' ? 8 : 2));
    }
  });

  it('every case starts with its op, names are unique, flops are positive', () => {
    const all = benchCases();
    const names = all.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of all) {
      expect(c.name).toMatch(/^(matmul|conv3d|attention|layernorm|softmax|contrastive|mlm-loss)\./);
      expect(c.flops).toBeGreaterThan(0);
    }
    expect(benchCases({ quick: true }).length).toBeLessThan(all.length);
  });

  it('inputs are deterministic and within range', () => {
    const a = rand(1000, 3), b = rand(1000, 3);
    expect(a).toEqual(b);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(rand(10, 4)).not.toEqual(rand(10, 3).subarray(0, 10));
  });
});
