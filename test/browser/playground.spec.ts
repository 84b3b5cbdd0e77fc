// The playground in headless Chromium with WebGPU on SwiftShader: it loads with every panel, a
// micro training run started from the Training panel advances and updates the loss curve and the
// similarity heatmap, the False negatives panel lists corrections on a batch built to contain
// duplicates, the layout survives a reload (and one that cannot be restored is kept aside), and a
// missing WebGPU gives an explanation. Screenshots of the main states go to
// test-results/playground/ (and the trained state to docs/playground.png).
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TITLES = ['Data', 'Retrieval', 'Similarity matrix', 'False negatives', 'EFM', 'Training', 'Zero-shot', 'Kernels', 'Guide'];
const SHOTS = 'test-results/playground';

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];

const lab = (p: Page, expr: string) => p.evaluate(`(() => { const { lab, api } = window.__playground; return ${expr}; })()`);
const tab = (title: string) => page.locator('.dv-tab .dv-default-tab-content').filter({ hasText: new RegExp(`^${title}$`) });

test.beforeAll(async ({ browser }) => {
  // The webServer (playwright.config.ts) builds the GPU test page; the playground is built here.
  const bundles: { buildPlayground(): Promise<unknown> } = await import(pathToFileURL(path.resolve('esbuild.config.mjs')).href);
  await bundles.buildPlayground();
  mkdirSync(SHOTS, { recursive: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.log('console error:', m.text()); });
  await page.goto('/?config=micro');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
});

test.afterAll(async () => page?.close());

test('the app loads with every panel, titled', async () => {
  await page.waitForFunction(() => (window as any).__playground?.lab.status === 'ready', null, { timeout: 120_000 });
  for (const t of TITLES) await expect(tab(t), `panel "${t}"`).toHaveCount(1);
  await expect(page.locator('.hdr-exp')).toContainText('micro');
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/01-loaded.png` });
  expect(errors).toEqual([]);
});

test('a micro run from the Training panel advances and updates the loss curve and the heatmap', async () => {
  const heat = page.locator('[data-panel=similarity] .heatmap-box');
  await expect(heat).toHaveAttribute('data-step', '-1');
  await page.locator('[data-panel=training] .btn-start').click();
  await expect(page.locator('[data-panel=training]')).toHaveAttribute('data-status', /preparing|training/);
  // Two loss reports (micro: one every 5 steps) and a heatmap of a trained batch.
  await page.waitForFunction(() => Number(document.querySelector('[data-panel=training] .loss-chart')?.getAttribute('data-points')) >= 2, null, { timeout: 150_000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-panel=similarity] .heatmap-box')?.getAttribute('data-step')) >= 4, null, { timeout: 60_000 });
  const first = Number(await heat.getAttribute('data-step'));
  await page.screenshot({ path: `${SHOTS}/02-training.png` });
  await page.waitForFunction(() => ['done', 'error'].includes((window as any).__playground.lab.status), null, { timeout: 150_000 });
  expect(await lab(page, 'lab.status')).toBe('done');
  expect(await lab(page, 'lab.trainer.step')).toBe(20);
  const history = (await lab(page, 'lab.history.map((p) => p.losses.total)')) as number[];
  expect(history.length).toBeGreaterThanOrEqual(4);
  history.forEach((v) => expect(Number.isFinite(v)).toBe(true));
  expect(Number(await heat.getAttribute('data-step'))).toBeGreaterThan(first);
  // The heatmap canvas has colour in it (not a blank or a single flat colour).
  const distinct = await page.evaluate(() => {
    const c = document.querySelector('[data-panel=similarity] .heatmap-box canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 16) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
  expect(distinct).toBeGreaterThan(20);
  // Zero-shot was evaluated at the checkpoints.
  await expect(page.locator('[data-panel=zero-shot] .auc-row')).toHaveCount(18);
  await page.locator('[data-panel=similarity] .heatmap-box canvas').hover({ position: { x: 60, y: 60 } });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/03-trained.png` });
  mkdirSync('docs', { recursive: true });
  copyFileSync(`${SHOTS}/03-trained.png`, 'docs/playground.png');
  expect(errors).toEqual([]);
});

test('False negatives lists corrections on a batch built to contain duplicates', async () => {
  await tab('False negatives').click();
  await page.locator('[data-panel=false-negatives] .btn-duplicates').click();
  const rows = page.locator('[data-panel=false-negatives] .fn-inspected .fn-row');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeGreaterThanOrEqual(1);
  await expect(rows.first()).toContainText(/same-findings|both|text-similarity/);
  // Half the batch shares one finding set: every pair among them is a same-findings correction.
  expect(await page.locator("[data-panel=false-negatives] .fn-inspected .tag").filter({ hasText: /same-findings|both/ }).count()).toBeGreaterThanOrEqual(1);
  // The model's view of the batch arrives, then the same batch with RoCo off.
  await expect(page.locator('[data-panel=false-negatives] .fn-table th').filter({ hasText: 'p(model)' })).toHaveCount(1, { timeout: 30_000 });
  await page.locator('[data-panel=false-negatives] .roco-off').check();
  await expect(page.locator('[data-panel=false-negatives] .fn-table th').filter({ hasText: 'push (off)' })).toHaveCount(1);
  await page.screenshot({ path: `${SHOTS}/04-false-negatives.png` });
  await page.locator('[data-panel=false-negatives] .roco-off').uncheck();
});

test('Data, Retrieval and EFM show the selected CT', async () => {
  await tab('Data').click();
  await page.locator('[data-panel=data] .cohort-row').nth(1).click();
  await expect(page.locator('[data-panel=data] .caption').first()).toContainText('voxels', { timeout: 30_000 });
  await expect(page.locator('[data-panel=data] .report-text mark').first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/05-data.png` });
  await tab('Retrieval').click();
  await expect(page.locator('[data-panel=retrieval] .hit.teacher')).toHaveCount(1, { timeout: 30_000 });
  await tab('EFM').click();
  await expect(page.locator('[data-panel=efm] .efm-table')).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: `${SHOTS}/06-efm.png` });
  expect(errors).toEqual([]);
});

test('Your CTs… scores a folder of NIfTI volumes named by a reports CSV, skipping one it cannot read', async () => {
  // train_1 and train_2: two real chest CTs; train_3: a cut-short .nii.gz; train_9: no row.
  const dir = mkdtempSync(path.join(tmpdir(), 'biud-your-cts-'));
  copyFileSync('data/ct/LIDC-IDRI-0001_ct_3mm.nii.gz', path.join(dir, 'train_1_a_1.nii.gz'));
  copyFileSync('data/ct/chest_cta_crop_pulmonary_1.5mm.nii.gz', path.join(dir, 'train_2_a_1.nii.gz'));
  writeFileSync(path.join(dir, 'train_3.nii.gz'), readFileSync('data/ct/abdomen_example_ct_sm_3mm.nii.gz').subarray(0, 5000));
  copyFileSync('data/ct/LIDC-IDRI-0001_ct_3mm.nii.gz', path.join(dir, 'train_9_a_1.nii.gz'));
  const lines = readFileSync('data/ct-reports/ct-rate-train.csv', 'utf8').split('\n');
  const header = lines[0].split(',');
  const nodule = header.indexOf('Lung nodule');
  const row = (acc: string, n: number) => [acc, '"No acute findings."', ...header.slice(2).map((_, k) => (k + 2 === nodule ? n : 0))].join(',');
  writeFileSync(path.join(dir, 'reports.csv'), [lines[0], row('train_1', 1), row('train_2', 0), row('train_3', 0)].join('\n'));
  await page.locator('input.your-cts').setInputFiles(dir);
  await expect(page.locator('.zs-main').locator('..').locator('.caption')).toContainText('2 of your CTs', { timeout: 120_000 });
  const log = String(await lab(page, "lab.logLines.join('\\n')"));
  expect(log).toMatch(/your CTs: 1 volume\(s\) have no report row and are left out: .*train_9_a_1\.nii\.gz/);
  expect(log).toMatch(/your CTs: .*train_3\.nii\.gz skipped: truncated gzip stream/);
  expect(log).toMatch(/your CTs: zero-shot at step \d+ on 2 volume\(s\): mean AUC [0-9.]+ \(1 skipped\)/);
  expect(Number(await lab(page, "lab.zeroShot.result.auc['Lung nodule']"))).toBeGreaterThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/05b-your-cts.png` });
});

test('Your CTs… in the Training panel trains on a folder of NIfTI volumes and its reports CSV', async () => {
  // The procedural cohort written as CT-RATE files (biud cohort --format nifti), plus a
  // reconstruction of one scan, a cut-short file and a volume without a row.
  const dir = mkdtempSync(path.join(tmpdir(), 'biud-train-cts-'));
  execFileSync(process.execPath, ['bin/biud.mjs', 'cohort', '--config', 'micro', '--n', '12', '--format', 'nifti', '--out', dir], { stdio: 'pipe' });
  copyFileSync(path.join(dir, 'synth_1_train_000.nii.gz'), path.join(dir, 'synth_1_train_000_a_2.nii.gz'));
  writeFileSync(path.join(dir, 'synth_1_train_011.nii.gz'), readFileSync(path.join(dir, 'synth_1_train_011.nii.gz')).subarray(0, 2000));
  copyFileSync(path.join(dir, 'synth_1_train_001.nii.gz'), path.join(dir, 'elsewhere_7.nii.gz'));
  // A fresh page: the run above has already trained on the procedural cohort.
  await page.goto('/?config=micro');
  await page.waitForFunction(() => (window as any).__playground?.lab.status === 'ready', null, { timeout: 120_000 });
  await tab('Training').click();
  await page.locator('input.train-your-cts').setInputFiles(dir);
  await page.waitForFunction(() => /of your CTs/.test((window as any).__playground.lab.dataSource) && (window as any).__playground.lab.status === 'ready', null, { timeout: 120_000 });
  const log = String(await lab(page, "lab.logLines.join('\\n')"));
  expect(log).toMatch(/your CTs: 1 volume\(s\) have no report row and are left out: .*elsewhere_7\.nii\.gz/);
  expect(log).toMatch(/your CTs: .*synth_1_train_011\.nii\.gz skipped: truncated gzip stream/);
  expect(log).toMatch(/your CTs: 12 volumes of 11 report rows: \d+ to train on, \d+ held out/);
  expect(await lab(page, 'lab.runFolder')).toBe('runs/micro-seed1-your-cts');
  // Data shows a CT of the folder as the model sees it, with its own report.
  await tab('Data').click();
  await page.locator('[data-panel=data] .section-title').filter({ hasText: 'your CTs (' }).waitFor();
  await page.locator('[data-panel=data] .cohort-row').filter({ hasText: 'synth_1_train_' }).first().click();
  await expect(page.locator('[data-panel=data] .caption').first()).toContainText('your CT on the training grid', { timeout: 30_000 });
  // Train on them; zero-shot is on the held-out rows' volumes.
  await tab('Training').click();
  await page.locator('[data-panel=training] .btn-start').click();
  await page.waitForFunction(() => ['done', 'error'].includes((window as any).__playground.lab.status), null, { timeout: 240_000 });
  expect(await lab(page, 'lab.message')).toBe('trained 20 steps');
  ((await lab(page, 'lab.history.map((p) => p.losses.total)')) as number[]).forEach((v) => expect(Number.isFinite(v)).toBe(true));
  await expect(page.locator('.zs-main').locator('..').locator('.caption')).toContainText(/held-out CTs of yours/, { timeout: 60_000 });
  await expect(page.locator('[data-panel=training] .btn-your-cts')).toBeDisabled();
  await tab('False negatives').click();
  await page.locator('[data-panel=false-negatives] .btn-duplicates').click();
  await expect(page.locator('[data-panel=false-negatives] .fn-table th').filter({ hasText: 'p(model)' })).toHaveCount(1, { timeout: 30_000 });
  await tab('Training').click();
  await page.screenshot({ path: `${SHOTS}/05c-train-your-cts.png` });
  expect(errors).toEqual([]);
});

test('the layout survives a reload', async () => {
  // Move Kernels into the Training group and make Guide the visible tab there.
  await page.evaluate(() => {
    const { api } = (window as any).__playground;
    api.getPanel('kernels').api.moveTo({ group: api.getPanel('training').group, position: 'center' });
    api.getPanel('guide').api.setActive();
  });
  const groups = () => page.evaluate(() => {
    const { api } = (window as any).__playground;
    return api.groups.map((g: any) => ({ panels: g.panels.map((p: any) => p.id).sort().join(','), active: g.activePanel?.id })).sort((a: any, b: any) => a.panels.localeCompare(b.panels));
  });
  const before = await groups();
  await page.waitForTimeout(300);
  await page.reload();
  await page.waitForFunction(() => (window as any).__playground?.lab.status === 'ready', null, { timeout: 120_000 });
  expect(await groups()).toEqual(before);
  for (const t of TITLES) await expect(tab(t)).toHaveCount(1);
  await page.screenshot({ path: `${SHOTS}/07-reloaded.png` });
});

test('a saved layout that cannot be restored is kept aside, not overwritten', async () => {
  const bad = '{"grid": {"root": 5}, "panels": "not panels"}';
  await page.evaluate((b) => localStorage.setItem('biud.playground.layout.v1', b), bad);
  await page.reload();
  await page.waitForFunction(() => (window as any).__playground?.lab.status === 'ready', null, { timeout: 120_000 });
  for (const t of TITLES) await expect(tab(t)).toHaveCount(1);
  expect(await page.evaluate(() => localStorage.getItem('biud.playground.layout.v1.unreadable'))).toBe(bad);
  expect(String(await lab(page, "lab.logLines.join('\\n')"))).toMatch(/layout: the saved layout could not be restored .*kept in localStorage "biud\.playground\.layout\.v1\.unreadable"/);
  await page.evaluate(() => localStorage.removeItem('biud.playground.layout.v1.unreadable'));
});

test('without WebGPU the page says what to do', async () => {
  await page.goto('/?webgpu=0');
  await expect(page.locator('.no-webgpu h1')).toHaveText('This playground needs WebGPU');
  await expect(page.locator('.no-webgpu')).toContainText('--enable-unsafe-webgpu');
  await page.screenshot({ path: `${SHOTS}/08-no-webgpu.png` });
});
