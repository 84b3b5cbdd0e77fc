// `biud cohort --seed S --n N --out DIR`: render a synthetic cohort and write, per volume, its
// mid-slices (axial, coronal, sagittal; lung and mediastinal windows), a slice through its first
// finding, its DRR, its report and labels; then an index.html contact sheet to look at them all.
// With --xrays N, also N radiographs of the X-ray cohort with their IU reports. With --format
// nifti, instead: each volume as DIR/<name>.nii.gz in Hounsfield units and DIR/reports.csv, its
// paired report and its findings as hand labels in CT-RATE's columns: a folder `biud train
// --volumes DIR --reports DIR/reports.csv` and `biud eval --volumes` read as they would CT-RATE's.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BiudError } from '../engine/errors.ts';
import { createNodeEngine } from '../engine/node.ts';
import type { Engine } from '../engine/engine.ts';
import { getConfig } from '../models/config.ts';
import { reportsFromCsv, makeCohort, CT_REPORTS_PATH, type CohortItem } from '../models/data/cohort.ts';
import { buildPhantom, renderPhantom, phantomRef, type Phantom } from '../models/data/phantom.ts';
import { drr } from '../models/data/drr.ts';
import { xrayReportsFromArchive, makeXrayCohort, renderXray, imageSpec, IU_REPORTS_PATH } from '../models/data/xray.ts';
import { sliceOf, windowed, physical, toBytes, upscale, WINDOWS, type GrayImage, type Plane } from '../models/data/phantom-views.ts';
import { encodePng } from '../models/data/png.ts';
import { writeNifti } from '../models/data/nifti-write.ts';
import { gzip } from '../models/data/gzip.ts';
import { csvLine } from '../models/text/csv.ts';
import { FINDINGS } from '../models/data/findings.ts';
import type { V3 } from '../models/data/phantom-ref.ts';
import { helpText, parseArgs, type OptionSpec } from './args.ts';

const spec: OptionSpec = {
  seed: { type: 'number', default: 1, help: 'cohort seed' },
  n: { type: 'number', default: 8, help: 'volumes to render' },
  out: { type: 'string', help: 'output folder' },
  config: { type: 'string', default: 'tiny', help: 'size config (its ct grid and X-ray image size): micro, tiny, small, base' },
  split: { type: 'string', default: 'train', help: "'train' or 'heldout' reports" },
  reports: { type: 'string', help: `CT-RATE-format CSV to draw label vectors and reports from (default ${CT_REPORTS_PATH})` },
  xrays: { type: 'number', default: 0, help: 'also render this many radiographs of the X-ray cohort (IU reports)' },
  format: { type: 'string', default: 'sheet', help: "sheet (PNG slices and index.html) or nifti (NAME.nii.gz in HU and reports.csv in CT-RATE's columns, for biud train/eval --volumes)" },
};
const USAGE = 'biud cohort --seed S --n N --out DIR [--config tiny] [--split train|heldout] [--xrays N] [--format sheet|nifti]';

const repoRoot = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function readInput(p: string): Uint8Array {
  for (const candidate of [p, path.resolve(repoRoot(), p)]) {
    try {
      return readFileSync(candidate);
    } catch {
      /* try the next */
    }
  }
  throw new BiudError(`cannot read ${p}`);
}

async function png(file: string, img: GrayImage): Promise<void> {
  writeFileSync(file, await encodePng({ width: img.width, height: img.height, channels: 1, data: toBytes(img) }));
}

/** The voxel index of the first localised finding instance (its centre), if any. */
function findingVoxel(ph: Phantom): V3 | null {
  const ref = phantomRef(ph);
  const [D, H, W] = ph.grid.size;
  for (const inst of ph.instances) {
    for (const b of inst.bounds) {
      const c = b.type === 'sphere' ? b.c : b.type === 'capsule' ? ([0, 1, 2].map((i) => (b.a[i] + b.b[i]) / 2) as V3) : null;
      if (!c) continue;
      const g = ref.gridPoint(c);
      const idx = [g[0] / ph.grid.spacing[2] + (W - 1) / 2, g[1] / ph.grid.spacing[1] + (H - 1) / 2, g[2] / ph.grid.spacing[0] + (D - 1) / 2].map(Math.round) as V3;
      if (idx[0] >= 0 && idx[0] < W && idx[1] >= 0 && idx[1] < H && idx[2] >= 0 && idx[2] < D) return idx;
    }
  }
  return null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function writeVolume(e: Engine, item: CohortItem, dir: string): Promise<{ ms: number; ph: Phantom }> {
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const ph = buildPhantom(item.seed, item.labels, item.grid);
  const hu = renderPhantom(e, ph);
  const proj = drr(hu, item.grid.spacing[1]);
  const vol = (await hu.data()) as Float32Array;
  const ray = (await proj.data()) as Float32Array;
  const ms = performance.now() - t0;
  hu.dispose();
  proj.dispose();
  const [sz, sy, sx] = item.grid.spacing;
  const mm = [sx, sy, sz];
  const view = (plane: Plane, win: readonly [number, number], index?: number) => {
    const s = sliceOf(vol, item.grid.size, plane, index);
    return physical(windowed(s, win), mm[s.pixel[0]], mm[s.pixel[1]], 256);
  };
  for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
    await png(`${dir}/${plane}_lung.png`, view(plane, WINDOWS.lung));
    await png(`${dir}/${plane}_mediastinal.png`, view(plane, WINDOWS.mediastinal));
  }
  const at = findingVoxel(ph);
  if (at) {
    const mediastinal = ph.instances[0] && ['Medical material', 'Arterial wall calcification', 'Cardiomegaly', 'Pericardial effusion', 'Coronary artery wall calcification', 'Hiatal hernia', 'Lymphadenopathy'].includes(ph.instances[0].finding);
    await png(`${dir}/finding_axial.png`, view('axial', mediastinal ? WINDOWS.mediastinal : WINDOWS.lung, at[2]));
  }
  await png(`${dir}/drr.png`, physical({ width: item.grid.size[2], height: item.grid.size[0], data: ray }, sx, sz, 256));
  writeFileSync(`${dir}/report.txt`, item.reportText.trim() + '\n');
  writeFileSync(`${dir}/labels.json`, JSON.stringify({
    seed: item.seed, split: item.split, accession: item.accession, grid: item.grid,
    findings: FINDINGS.filter((_, k) => item.labels[k]), labels: Object.fromEntries(FINDINGS.map((f, k) => [f, item.labels[k]])),
    instances: ph.instances.map((i) => `${i.finding}: ${i.what}`),
  }, null, 2) + '\n');
  return { ms, ph };
}

export async function run(args: string[]): Promise<number> {
  const { options: o, help, positionals } = parseArgs(args, spec);
  if (help) { console.log(helpText(USAGE, spec)); return 0; }
  if (positionals.length) throw new BiudError(`unexpected argument "${positionals[0]}"\n\n${helpText(USAGE, spec)}`);
  const out = o.out as string | undefined;
  if (!out) throw new BiudError(`--out is required\n\n${helpText(USAGE, spec)}`);
  const n = o.n as number, xrays = o.xrays as number, seed = o.seed as number;
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(xrays) || xrays < 0) throw new BiudError('--n and --xrays must be non-negative integers');
  const split = o.split as 'train' | 'heldout';
  const config = getConfig(o.config as string);
  const reportsPath = (o.reports as string | undefined) ?? CT_REPORTS_PATH;
  const reports = reportsFromCsv(readInput(reportsPath), reportsPath);
  const items = makeCohort({ reports, seed, n, split, size: config.ct.size, spacing: config.ct.spacing });
  mkdirSync(out, { recursive: true });
  const format = o.format as string;
  if (format === 'nifti') {
    if (xrays) throw new BiudError('--xrays makes PNG radiographs for the contact sheet; it does not go with --format nifti');
    return writeNiftiCohort(items, out, seed, split);
  }
  if (format !== 'sheet') throw new BiudError(`--format takes sheet or nifti, got "${format}"`);
  const e = await createNodeEngine();
  const rows: string[] = [];
  let total = 0;
  try {
    for (const item of items) {
      const name = `vol_${String(item.index).padStart(3, '0')}`;
      const { ms, ph } = await writeVolume(e, item, path.join(out, name));
      total += ms;
      const findings = FINDINGS.filter((_, k) => item.labels[k]);
      console.log(`${name}: ${findings.join(', ') || 'no findings'} (${item.accession}, ${ms.toFixed(0)} ms)`);
      const img = (f: string, title: string) => `<figure><img src="${name}/${f}" title="${title}"><figcaption>${title}</figcaption></figure>`;
      rows.push(`<section><h2>${name} <small>seed ${item.seed} · report ${esc(item.accession)}</small></h2>
<div class="imgs">${img('axial_lung.png', 'axial, lung')}${img('coronal_lung.png', 'coronal, lung')}${img('sagittal_lung.png', 'sagittal, lung')}${img('axial_mediastinal.png', 'axial, mediastinal')}${img('coronal_mediastinal.png', 'coronal, mediastinal')}${ph.instances.length && findingVoxel(ph) ? img('finding_axial.png', `axial through: ${esc(ph.instances[0].what)}`) : ''}${img('drr.png', 'DRR')}</div>
<p class="labels">${findings.map((f) => `<span>${esc(f)}</span>`).join(' ') || '<span class="none">no findings</span>'}</p>
<ul class="inst">${ph.instances.map((i) => `<li>${esc(i.finding)}: ${esc(i.what)}</li>`).join('')}</ul>
<details><summary>report</summary><p>${esc(item.reportText)}</p></details></section>`);
    }
    if (xrays > 0) {
      const xr = await xrayReportsFromArchive(readInput(IU_REPORTS_PATH), IU_REPORTS_PATH);
      const image = imageSpec(config.expert.image);
      const xitems = makeXrayCohort({ reports: xr, seed, n: xrays, split, image });
      mkdirSync(path.join(out, 'xrays'), { recursive: true });
      for (const it of xitems) {
        const name = `xray_${String(it.index).padStart(3, '0')}`;
        const t = renderXray(e, it, { supersample: 2 });
        const data = (await t.data()) as Float32Array;
        t.dispose();
        await png(path.join(out, 'xrays', `${name}.png`), upscale({ width: image.size[1], height: image.size[0], data }, Math.max(1, Math.round(256 / image.size[1])), Math.max(1, Math.round(256 / image.size[0]))));
        writeFileSync(path.join(out, 'xrays', `${name}.txt`), `${it.reportId}\n${FINDINGS.filter((_, k) => it.labels[k]).join(', ') || 'no findings'}\n\n${it.reportText.trim()}\n`);
        const findings = FINDINGS.filter((_, k) => it.labels[k]);
        console.log(`${name}: ${findings.join(', ') || 'no findings'} (${it.reportId})`);
        rows.push(`<section class="xray"><h2>${name} <small>seed ${it.seed} · IU report ${esc(it.reportId)}</small></h2><div class="imgs"><figure><img src="xrays/${name}.png"><figcaption>DRR</figcaption></figure></div>
<p class="labels">${findings.map((f) => `<span>${esc(f)}</span>`).join(' ') || '<span class="none">no findings</span>'}</p><details><summary>report</summary><p>${esc(it.reportText)}</p></details></section>`);
      }
    }
  } finally {
    e.destroy();
  }
  writeFileSync(path.join(out, 'index.html'), `<!doctype html><meta charset="utf-8"><title>BIUD synthetic cohort, seed ${seed}</title>
<style>body{font:14px system-ui;margin:1em;background:#111;color:#ddd}section{border-top:1px solid #444;padding:.5em 0}
.imgs{display:flex;flex-wrap:wrap;gap:6px}figure{margin:0}img{height:160px;image-rendering:pixelated;display:block}figcaption{font-size:11px;color:#999;max-width:220px}
.labels span{background:#345;border-radius:3px;padding:1px 5px;margin-right:3px}.labels .none{background:#353}.inst{color:#aaa;font-size:12px}small{color:#888;font-weight:normal}</style>
<h1>Synthetic cohort · seed ${seed} · ${split} · config ${config.name} (CT ${config.ct.size.join('×')} at ${config.ct.spacing.join('×')} mm)</h1>
<p>Procedural chests in HU with the findings of real CT-RATE reports; windows: lung [${WINDOWS.lung}] HU, mediastinal [${WINDOWS.mediastinal}] HU. Axial slices are seen from the feet, coronal from the front (patient's right on the left).</p>
${rows.join('\n')}\n`);
  console.log(`wrote ${items.length} volumes${xrays ? ` and ${xrays} X-rays` : ''} to ${out} (index.html); rendering ${items.length ? (total / items.length).toFixed(0) : 0} ms per volume`);
  return 0;
}

/**
 * The cohort as CT-RATE-style files: NAME.nii.gz per volume (int16 HU, RAS, the config's grid)
 * and reports.csv with one row per volume, AccessionNo = NAME, so that each file pairs with its
 * row by CT-RATE's naming rule. The label columns are the volume's findings (it shows exactly
 * those), so the folder is hand-labelled.
 */
async function writeNiftiCohort(items: CohortItem[], out: string, seed: number, split: string): Promise<number> {
  const e = await createNodeEngine();
  const rows = [csvLine(['AccessionNo', 'report_text', ...FINDINGS])];
  let bytes = 0;
  try {
    for (const item of items) {
      const name = `synth_${seed}_${split}_${String(item.index).padStart(3, '0')}`;
      const hu = renderPhantom(e, buildPhantom(item.seed, item.labels, item.grid));
      const data = (await hu.data()) as Float32Array;
      hu.dispose();
      const [D, H, W] = item.grid.size;
      const [sz, sy, sx] = item.grid.spacing;
      const file = await gzip(writeNifti({ data, dims: [W, H, D], spacing: [sx, sy, sz], description: `BIUD procedural chest, seed ${item.seed}` }));
      writeFileSync(path.join(out, `${name}.nii.gz`), file);
      bytes += file.length;
      rows.push(csvLine([name, item.reportText, ...Array.from(item.labels, String)]));
      const findings = FINDINGS.filter((_, k) => item.labels[k]);
      console.log(`${name}.nii.gz: ${findings.join(', ') || 'no findings'} (report ${item.accession})`);
    }
  } finally {
    e.destroy();
  }
  writeFileSync(path.join(out, 'reports.csv'), rows.join('\n') + '\n');
  console.log(`wrote ${items.length} volumes (${(bytes / 2 ** 20).toFixed(1)} MB) and reports.csv to ${out}`);
  return 0;
}
