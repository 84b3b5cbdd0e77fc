// The procedural chest on the CPU: the parameter layout shared with the shader, determinism,
// "the same patient with another finding", and each finding's renderer through the TypeScript
// reference at 64³ (the GPU suite checks the shader against this reference).
import { describe, it, expect } from 'vitest';
import { SLOTS, SLOT, NUM_SLOTS, phantomHeader } from '../../models/data/phantom-layout.ts';
import { buildPhantom, renderPhantomRef, PHANTOM_SOURCE } from '../../models/data/phantom.ts';
import { FINDINGS, RENDER, NUM_FINDINGS } from '../../models/data/findings.ts';
import { Kernel } from '../../engine/kernel.ts';
import { findingStats, findingProblems } from '../gpu/phantom.gpu.ts';

const TINY = { size: [64, 64, 64] as [number, number, number], spacing: [5, 5, 5] as [number, number, number] };
const NONE = new Array(NUM_FINDINGS).fill(0);
const only = (k: number) => NONE.map((_, i) => (i === k ? 1 : 0));

describe('phantom layout', () => {
  it('gives the shader one constant per slot, and the uniform block holds them all', () => {
    const h = phantomHeader();
    for (const s of SLOTS) expect(h).toContain(`const S_${s}: u32 = ${SLOT[s]}u;`);
    const u = new Kernel('phantom', PHANTOM_SOURCE, 'render').info.uniform!;
    const slots = u.members.find((m) => m.name === 'slots')!;
    expect(slots.count).toBe(4 * NUM_SLOTS);
  });

  it('has a renderer with sane ranges for each of the 18 findings, in CT-RATE column order', () => {
    expect(Object.keys(RENDER)).toEqual([...FINDINGS]);
    for (const f of FINDINGS) {
      for (const [k, v] of Object.entries(RENDER[f])) if (Array.isArray(v)) expect(v[0], `${f}.${k}`).toBeLessThanOrEqual(v[1]);
    }
  });
});

describe('phantom patients', () => {
  it('are deterministic from the seed', () => {
    const a = buildPhantom(42, only(12), TINY), b = buildPhantom(42, only(12), TINY), c = buildPhantom(43, only(12), TINY);
    expect(b.prm).toEqual(a.prm);
    expect(b.bricks.table).toEqual(a.bricks.table);
    expect(c.prm).not.toEqual(a.prm);
    expect(a.instances.map((i) => i.what)).toEqual(b.instances.map((i) => i.what));
  });

  it('keep their anatomy when a finding is added, and place each finding the same whatever else is present', () => {
    const normal = buildPhantom(7, NONE, TINY);
    const anatomy = (p: typeof normal) => p.prims.filter((q) => !(FINDINGS as readonly string[]).includes(q.tag) && q.tag !== 'bronchus');
    for (let k = 0; k < NUM_FINDINGS; k++) {
      const withF = buildPhantom(7, only(k), TINY);
      expect(anatomy(withF).map((p) => p.v), FINDINGS[k]).toEqual(anatomy(normal).map((p) => p.v));
      expect(withF.instances.length, FINDINGS[k]).toBeGreaterThan(0);
    }
    // A nodule lands in the same place with or without an effusion and emphysema.
    const a = buildPhantom(7, only(9), TINY).instances, b = buildPhantom(7, NONE.map((_, i) => (i === 9 || i === 12 || i === 7 ? 1 : 0)), TINY).instances;
    expect(b.filter((i) => i.finding === 'Lung nodule')).toEqual(a);
  });

  it('sort every 4³ tile into exactly one pipeline class', () => {
    for (const grid of [TINY, { size: [64, 128, 128] as [number, number, number], spacing: [5, 2.5, 2.5] as [number, number, number] }, { size: [7, 9, 11] as [number, number, number], spacing: [40, 35, 30] as [number, number, number] }]) {
      const ph = buildPhantom(4, only(0), grid);
      const tiles = ph.tiles.counts[0] * ph.tiles.counts[1] * ph.tiles.counts[2];
      const ids = ph.tiles.classes.flatMap((c) => Array.from(ph.bricks.table.subarray(c.offset, c.offset + c.count)));
      expect(ids.length).toBe(tiles);
      expect(new Set(ids).size).toBe(tiles);
    }
  });

  it('render at any grid size and spacing', () => {
    const v = renderPhantomRef(buildPhantom(3, only(15), { size: [7, 9, 11], spacing: [40, 35, 30] }));
    expect(v.length).toBe(7 * 9 * 11);
    expect(v.every((x) => x >= -1024 && x <= 3071)).toBe(true);
  });

  for (const seed of [13]) {
    it(`each finding changes HU where, and only where, it should (reference, 64³ at 5 mm, seed ${seed})`, () => {
      const base = buildPhantom(seed, NONE, TINY);
      const a = renderPhantomRef(base, { useBricks: true });
      const problems: string[] = [];
      for (let k = 0; k < NUM_FINDINGS; k++) {
        const ph = buildPhantom(seed, only(k), TINY);
        const s = findingStats(k, base, ph, a, renderPhantomRef(ph, { useBricks: true }));
        problems.push(...findingProblems(s).map((p) => `${FINDINGS[k]}: ${p}`));
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }
});
