#!/usr/bin/env node
// A whole training run in the playground, as a user starts it: headless Chromium (started as
// bin/chromium.mjs says) opens `/?config=CONFIG&train=1` on a fresh profile and this script watches
// the page until the run is done, printing each loss report and zero-shot evaluation.
// The time counts from opening the page, so it includes loading the expert, the retrieval and
// rendering the training volumes. A measurement, not a test.
//
//   node bench/playground-run.mjs [--config tiny] [--query 'steps=270&seed=2'] [--out FILE.json] [--port 5300]
//
// --query adds the playground's own URL parameters (playground/experiment.ts) to the page's address.
import { chromium } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { serve } from '../bin/serve.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../bin/chromium.mjs';

const { values: o } = parseArgs({ options: { config: { type: 'string', default: 'tiny' }, query: { type: 'string', default: '' }, out: { type: 'string' }, port: { type: 'string', default: '5300' } } });
const { server } = await serve({ port: Number(o.port), build: ['playground'], quiet: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: CHROMIUM_ARGS,
});
const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const t0 = Date.now();
const minutes = () => ((Date.now() - t0) / 60_000).toFixed(1);
await page.goto(`http://127.0.0.1:${o.port}/?config=${o.config}&train=1${o.query ? `&${o.query}` : ''}`);

const state = () => page.evaluate(() => {
  const { lab } = window.__playground ?? {};
  if (!lab) return null;
  const last = lab.history[lab.history.length - 1];
  return { status: lab.status, message: lab.message, step: last?.step ?? 0, losses: last?.losses ?? {}, stepMs: last?.stepMs ?? 0, auc: lab.aucHistory.slice(), liveMB: last ? last.memory.liveBytes / 2 ** 20 : 0, zeroShot: lab.zeroShot?.result ?? null };
});
let s = null, printed = -1, aucs = 0;
for (;;) {
  await page.waitForTimeout(5000);
  s = await state();
  if (!s) continue;
  if (s.step !== printed && s.step > 0) {
    printed = s.step;
    const losses = Object.entries(s.losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ');
    console.log(`${minutes()} min  step ${s.step}  ${losses}  ${Number.isFinite(s.stepMs) ? (s.stepMs / 1000).toFixed(2) : '–'} s/step  ${s.liveMB.toFixed(1)} MB live`);
  }
  for (; aucs < s.auc.length; aucs++) console.log(`${minutes()} min  zero-shot at step ${s.auc[aucs].step}: mean AUC ${s.auc[aucs].mean.toFixed(3)}`);
  if (s.status === 'done' || s.status === 'error') break;
}
const result = { config: o.config, status: s.status, message: s.message, minutes: Number(minutes()), auc: s.auc, zeroShot: s.zeroShot, errors };
console.log(`${s.status} after ${result.minutes} min from opening the page; zero-shot ${s.auc.map((a) => `${a.mean.toFixed(3)} (step ${a.step})`).join(', ')}`);
if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
if (o.out) writeFileSync(o.out, JSON.stringify(result, null, 1));
await browser.close();
server.close();
process.exit(s.status === 'done' ? 0 : 1);
