// How visible each finding is in a `tiny` volume: the same procedural patient rendered with and
// without it (each finding draws from its own random stream, so nothing else moves), and the
// voxels that change by more than 50 and 200 HU, and the largest change. Also checks that every
// finding a training volume is labelled with was drawn (a placement that found no room would be a
// label the volume does not show). A measurement, not a test; the GPU renderer in Node.
//
//   node dist/finding-contrast.mjs [PATIENTS]        (default 4 patients a finding)
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { reportsFromCsv, makeCohort, itemPhantom, CT_REPORTS_PATH } from '../../models/data/cohort.ts';
import { FINDINGS } from '../../models/data/findings.ts';
import { buildPhantom, renderPhantoms } from '../../models/data/phantom.ts';

const e = await createNodeEngine();
const P = Number(process.argv[2] ?? 4);
const reports = reportsFromCsv(readFileSync(CT_REPORTS_PATH));
const items = makeCohort({ reports, seed: 1, n: 960, split: 'train' });
const grid = items[0].grid;

let labelled = 0, drawn = 0;
for (const it of items) {
  const got = new Set(itemPhantom(it).instances.map((x) => x.finding));
  for (let k = 0; k < FINDINGS.length; k++) if (it.labels[k]) { labelled++; if (got.has(FINDINGS[k])) drawn++; }
}
console.log(`${drawn} of ${labelled} labelled findings of 960 training volumes drawn`);

console.log(`${'finding'.padEnd(36)} voxels changed > 50 HU, > 200 HU, largest change (HU), for ${P} patients`);
for (let k = 0; k < FINDINGS.length; k++) {
  const one = new Uint8Array(FINDINGS.length);
  one[k] = 1;
  const seeds = Array.from({ length: P }, (_, p) => 777 + p);
  const phs = seeds.flatMap((s) => [buildPhantom(s, new Uint8Array(FINDINGS.length), grid), buildPhantom(s, one, grid)]);
  const hu = (await renderPhantoms(e, phs).data()) as Float32Array;
  const n = grid.size.reduce((a, b) => a * b, 1);
  const rows: string[] = [];
  for (let p = 0; p < P; p++) {
    let n50 = 0, n200 = 0, mx = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(hu[(2 * p + 1) * n + i] - hu[2 * p * n + i]);
      if (d > 50) n50++;
      if (d > 200) n200++;
      mx = Math.max(mx, d);
    }
    rows.push(`${n50}/${n200}/${mx.toFixed(0)}`);
  }
  console.log(`${FINDINGS[k].padEnd(36)} ${rows.join('  ')}`);
}
process.exit(0);
