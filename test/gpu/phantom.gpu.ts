// The procedural chest CT (shaders/phantom*.wgsl): the GPU against the TypeScript reference on
// odd grids, brick culling, determinism, and for each of the 18 findings the same patient with
// and without it: the finding must change HU where, and only where, it should.
import type { Engine } from '../../engine/index.ts';
import { FINDINGS, type Finding } from '../../models/data/findings.ts';
import { buildPhantom, renderPhantom, renderPhantoms, renderPhantomRef, phantomRef, type Phantom } from '../../models/data/phantom.ts';
import type { Bound } from '../../models/data/phantom-findings.ts';
import type { V3 } from '../../models/data/phantom-ref.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, CheckError } from './harness.ts';

// ------------------------------------------------------------------ what each finding may change

export interface FindingStats {
  finding: Finding;
  changed: number;
  /** Changed voxels outside where the finding may change the image (should be 0). */
  outside: number;
  /** First offending voxel, for the message. */
  example?: string;
  /** Largest HU of a changed voxel in the image with the finding. */
  maxHU: number;
  /** Mean HU change over changed voxels. */
  meanDelta: number;
  /** Finding-specific facts (counts), see below. */
  facts: Record<string, number>;
}

/** Sane ranges of changed voxels at 64³, 5 mm: a finding must be visible and not take over the chest. */
export const CHANGED_RANGE: Record<Finding, [number, number]> = {
  'Medical material': [15, 4000],
  'Arterial wall calcification': [8, 1500],
  Cardiomegaly: [1500, 30000],
  'Pericardial effusion': [800, 15000],
  'Coronary artery wall calcification': [4, 600],
  'Hiatal hernia': [60, 4000],
  Lymphadenopathy: [10, 3000],
  Emphysema: [2000, 60000],
  Atelectasis: [40, 5000],
  'Lung nodule': [8, 3000],
  'Lung opacity': [150, 20000],
  'Pulmonary fibrotic sequela': [15, 2000],
  'Pleural effusion': [300, 20000],
  'Mosaic attenuation pattern': [3000, 60000],
  'Peribronchial thickening': [50, 6000],
  Consolidation: [200, 20000],
  Bronchiectasis: [30, 6000],
  'Interlobular septal thickening': [300, 30000],
};

const dist = (a: V3, b: V3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

function segDist(p: V3, a: V3, b: V3): number {
  const ab: V3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const l2 = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2;
  const t = l2 > 0 ? Math.min(1, Math.max(0, ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1] + (p[2] - a[2]) * ab[2]) / l2)) : 0;
  return dist(p, [a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]]);
}

/**
 * Compare the volume without (`a`) and with (`b`) finding k of the same patient. `without` and
 * `withF` are the two phantoms; the volumes are [D, H, W] in HU.
 */
export function findingStats(k: number, without: Phantom, withF: Phantom, a: ArrayLike<number>, b: ArrayLike<number>): FindingStats {
  const f = FINDINGS[k];
  const [D, H, W] = without.grid.size;
  const g = { dims: [W, H, D] as V3, spacing: [without.grid.spacing[2], without.grid.spacing[1], without.grid.spacing[0]] as V3 };
  const r0 = phantomRef(without), r1 = phantomRef(withF);
  const slack = without.h / 2 + 1.5;
  const bounds: Bound[] = withF.instances.filter((i) => i.finding === f).flatMap((i) => i.bounds);
  const lm = without.landmarks;
  let changed = 0, outside = 0, maxHU = -Infinity, sumDelta = 0;
  let example: string | undefined;
  const facts: Record<string, number> = { bright: 0, brightNear: 0, gas: 0, metal: 0, lowBefore: 0, lowAfter: 0 };
  for (let z = 0, o = 0; z < D; z++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++, o++) {
    if (b[o] < -950 && r0.anatomy(r0.patientPoint([x, y, z], g)).lung > 0.5) facts.lowAfter++;
    if (a[o] < -950 && r0.anatomy(r0.patientPoint([x, y, z], g)).lung > 0.5) facts.lowBefore++;
    const d = b[o] - a[o];
    if (Math.abs(d) <= 0.5) continue;
    changed++;
    sumDelta += d;
    maxHU = Math.max(maxHU, b[o]);
    const q = r0.patientPoint([x, y, z], g);
    const an0 = r0.anatomy(q), an1 = r1.anatomy(q);
    const lung = Math.max(an0.lung, an1.lung);
    let ok = false;
    for (const bd of bounds) {
      if (bd.type === 'sphere') ok ||= dist(q, bd.c) <= bd.r + slack;
      else if (bd.type === 'capsule') ok ||= segDist(q, bd.a, bd.b) <= bd.r + slack;
      else if (bd.type === 'region' && bd.sides.includes(an0.side)) {
        // Lung regions: the lung (of either image; hyperinflation moves the diaphragm). Dependent
        // fluid: the lung of that side, in its posterior half.
        ok ||= bd.region === 'lung' ? lung > 0 : an0.lung > 0 && q[1] < lm.ycc + 0.35 * lm.Bc;
      }
      if (bd.type === 'region' && f === 'Emphysema') {
        // Hyperinflation lowers the diaphragm: tissue at its surface changes too.
        ok ||= Math.min(Math.abs(r0.diaphragmSdf(q)), Math.abs(r1.diaphragmSdf(q))) < without.h + 20;
      }
    }
    // Lesions drawn only inside the lung must not leave it.
    if (['Lung nodule', 'Lung opacity', 'Consolidation', 'Atelectasis', 'Pulmonary fibrotic sequela', 'Mosaic attenuation pattern', 'Interlobular septal thickening', 'Pleural effusion'].includes(f)) ok &&= lung > 0;
    if (b[o] > 300) {
      facts.bright++;
      if (f === 'Arterial wall calcification' && r0.aortaSdf(q) < 8) facts.brightNear++;
      if (f === 'Coronary artery wall calcification' && r0.heartSdf(q) < lm.epi + 12) facts.brightNear++;
    }
    if (b[o] > 1500) facts.metal++;
    if (b[o] < -500 && f === 'Hiatal hernia') facts.gas++;
    if (!ok) {
      outside++;
      example ??= `voxel [${x}, ${y}, ${z}] at (${q.map((v) => v.toFixed(0)).join(', ')}) mm: ${a[o].toFixed(0)} → ${b[o].toFixed(0)} HU, lung ${lung.toFixed(2)}`;
    }
  }
  return { finding: f, changed, outside, example, maxHU, meanDelta: changed ? sumDelta / changed : 0, facts };
}

/** Problems with one finding's stats ([] when it renders where and how it should). */
export function findingProblems(s: FindingStats): string[] {
  const out: string[] = [];
  const [lo, hi] = CHANGED_RANGE[s.finding];
  if (s.changed < lo || s.changed > hi) out.push(`${s.changed} voxels changed, expected ${lo}..${hi}`);
  if (s.outside) out.push(`${s.outside} changed voxels outside its region, e.g. ${s.example}`);
  const f = s.finding;
  if (f === 'Medical material' && s.facts.metal < 1) out.push(`no metal voxel above 1500 HU (max ${s.maxHU.toFixed(0)})`);
  if ((f === 'Arterial wall calcification' || f === 'Coronary artery wall calcification') && (s.facts.bright < 1 || s.facts.brightNear !== s.facts.bright)) {
    out.push(`${s.facts.bright} voxels above 300 HU, ${s.facts.brightNear} of them at the ${f.startsWith('Arterial') ? 'aorta' : 'heart'}`);
  }
  if (f === 'Hiatal hernia' && s.facts.gas < 3) out.push(`only ${s.facts.gas} gas voxels in the sac`);
  if (f === 'Emphysema' && s.facts.lowAfter < 2 * s.facts.lowBefore + 200) out.push(`lung voxels below −950 HU: ${s.facts.lowBefore} → ${s.facts.lowAfter}`);
  if (['Lung nodule', 'Consolidation', 'Atelectasis', 'Lung opacity', 'Pleural effusion', 'Interlobular septal thickening', 'Pulmonary fibrotic sequela'].includes(f) && s.meanDelta < 50) out.push(`mean change ${s.meanDelta.toFixed(0)} HU: it should make the lung denser`);
  return out;
}

// ------------------------------------------------------------------ the suite

const TINY = { size: [64, 64, 64] as V3, spacing: [5, 5, 5] as V3 };
const NONE = new Array(18).fill(0);
const only = (k: number) => NONE.map((_, i) => (i === k ? 1 : 0));

/**
 * |GPU − reference| ≤ 1 HU + 0.5% for all but a few voxels. Distances agree to ~0.02 mm in float32,
 * which across a one-voxel edge between air and bone or metal is a few HU; a wrong shape or a
 * wrongly skipped tile is hundreds.
 */
function compare(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  let bad = 0, worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= 1 + 0.005 * Math.abs(want[i]))) bad++;
    if (!(d <= worst)) worst = d;
  }
  expectTrue(bad <= want.length * 0.005 && worst < 60, `${what}: ${bad} of ${want.length} voxels differ by more than 1 HU + 0.5% (worst ${worst.toFixed(1)})`);
}

async function checkFindings(e: Engine, seed: number, ks: number[]): Promise<void> {
  const phs = [buildPhantom(seed, NONE, TINY), ...ks.map((k) => buildPhantom(seed, only(k), TINY))];
  const t = renderPhantoms(e, phs);
  const v = await t.data();
  t.dispose();
  const n = 64 ** 3;
  const problems: string[] = [];
  ks.forEach((k, i) => {
    const s = findingStats(k, phs[0], phs[i + 1], v.subarray(0, n), v.subarray((i + 1) * n, (i + 2) * n));
    for (const p of findingProblems(s)) problems.push(`${FINDINGS[k]} (seed ${seed}): ${p}`);
  });
  if (problems.length) throw new CheckError(problems.join('\n'));
}

suite('phantom', (test) => {
  test('the GPU matches the TypeScript reference: odd grids, 64³, many findings at once', async (e) => {
    for (const [grid, labels] of [
      [{ size: [13, 17, 15] as V3, spacing: [22, 19, 21] as V3 }, NONE.map(() => 1)],
      [{ size: [9, 21, 18] as V3, spacing: [31, 15, 17] as V3 }, NONE.map((_, i) => i % 2)],
      // The tiny config's grid: most tiles outside the chest take the specialised pipelines.
      [TINY, NONE.map((_, i) => (i % 3 === 0 ? 1 : 0))],
    ] as const) {
      const ph = buildPhantom(21, labels, grid);
      const t = renderPhantom(e, ph);
      expectEqual(t.shape, grid.size, 'shape');
      const got = await t.data();
      t.dispose();
      const want = renderPhantomRef(ph);
      compare(got, want, `[${grid.size}] at [${grid.spacing}] mm`);
      // Brick culling drops only primitives that cannot touch a brick: the same image.
      expectClose(renderPhantomRef(ph, { useBricks: true }), want, 'reference with and without brick lists', 0);
    }
  });

  test('the same seed gives the same patient, bit for bit; another seed another patient', async (e) => {
    const grid = { size: [20, 24, 22] as V3, spacing: [16, 14, 15] as V3 };
    const a = buildPhantom(5, only(9), grid), b = buildPhantom(5, only(9), grid), c = buildPhantom(6, only(9), grid);
    expectClose(b.prm, a.prm, 'parameter blocks', 0);
    const t = renderPhantoms(e, [a, b, c]);
    const v = await t.data();
    t.dispose();
    const n = 20 * 24 * 22;
    expectClose(v.subarray(n, 2 * n), v.subarray(0, n), 'two renders of seed 5', 0);
    let diff = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i] - v[2 * n + i]) > 50) diff++;
    expectTrue(diff > n / 20, `seed 6 differs from seed 5 (${diff} voxels)`);
  });

  test('findings 1–6 change HU where, and only where, they should (64³, 5 mm)', (e) => checkFindings(e, 11, [0, 1, 2, 3, 4, 5]));
  test('findings 7–12 change HU where, and only where, they should (64³, 5 mm)', (e) => checkFindings(e, 11, [6, 7, 8, 9, 10, 11]));
  test('findings 13–18 change HU where, and only where, they should (64³, 5 mm)', (e) => checkFindings(e, 11, [12, 13, 14, 15, 16, 17]));

  test('impossible grids and label vectors are refused', async (e) => {
    await expectThrows(() => buildPhantom(1, NONE, { size: [0, 64, 64], spacing: [5, 5, 5] }), /size \[0, 64, 64\] is impossible/, 'zero size');
    await expectThrows(() => buildPhantom(1, NONE, { size: [64, 64, 64], spacing: [5, 0, 5] }), /spacing \[5, 0, 5\] is impossible/, 'zero spacing');
    await expectThrows(() => buildPhantom(1, NONE.slice(1), TINY), /17 labels, expected 18/, 'short label vector');
    const a = buildPhantom(1, NONE, { size: [4, 4, 4], spacing: [80, 80, 80] }), b = buildPhantom(1, NONE, { size: [4, 4, 5], spacing: [80, 80, 80] });
    await expectThrows(() => renderPhantoms(e, [a, b]), /must share one grid size/, 'mixed sizes');
  });
});
