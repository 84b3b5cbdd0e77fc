// Every GPU suite (test/gpu/*.gpu.ts) in headless Chromium with WebGPU on the CPU (SwiftShader).
// One Playwright test per suite; each case's result and time is printed, failures listed.
import { test, expect, type Page } from '@playwright/test';
import { readdirSync } from 'node:fs';

const suites = readdirSync('test/gpu')
  .filter((f) => f.endsWith('.gpu.ts'))
  .map((f) => f.slice(0, -'.gpu.ts'.length))
  .sort();

test.describe.configure({ mode: 'serial' });

let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto('/test-page/');
  await page.waitForFunction(() => (window as unknown as { __gpu?: unknown }).__gpu !== undefined);
  const info = await page.evaluate(() => (window as any).__gpu.adapter());
  console.log(`adapter: ${info}`);
});

test.afterAll(async () => page?.close());

for (const suite of suites) {
  test(suite, async () => {
    const results: { name: string; ok: boolean; ms: number; error?: string }[] = await page.evaluate((s) => (window as any).__gpu.run(s), suite);
    for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${suite} › ${r.name} (${(r.ms / 1000).toFixed(1)} s)${r.ok ? '' : '\n' + r.error}`);
    expect(results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error?.split('\n')[0]}`)).toEqual([]);
  });
}
