// `biud bench [--out FILE] [--adapter browser|node] [--quick]`: the engine's kernels and a
// training step, side by side with TensorFlow.js's WebGPU backend on the same adapter, and the
// adapter's measured peak (bench/). In headless Chromium by default (what users' runs use), or in
// Node on Dawn. Prints a markdown table; with --out, writes the JSON there and the table beside it
// (FILE with .md).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, helpText, type OptionSpec } from './args.ts';
import { BiudError } from '../engine/errors.ts';
import { CHROMIUM_ARGS } from '../bin/chromium.mjs';
import { repoRoot, diskAssets } from '../models/assets-node.ts';
import { formatReport, type BenchReport } from '../bench/stats.ts';
import type { Tf } from '../bench/cases.ts';

const spec: OptionSpec = {
  out: { type: 'string', help: 'write the JSON report here, and the markdown table to the same path with .md' },
  adapter: { type: 'string', default: 'browser', help: "'browser' (headless Chromium, WebGPU there) or 'node' (Dawn)" },
  quick: { type: 'boolean', help: 'fewer cases, shorter timing, a few training steps (about 2 minutes)' },
  only: { type: 'string', help: 'only cases whose name contains one of these comma-separated strings' },
  'kernels-only': { type: 'boolean', help: 'skip the kernel variants and the training steps' },
  chromium: { type: 'string', default: '/usr/bin/chromium', help: 'the Chromium to drive (CHROMIUM_PATH also works)' },
};

interface PageOptions {
  quick: boolean;
  only?: string[];
  kernelsOnly?: boolean;
}

/** Bundle bench/page.ts (engine, TF.js core and WebGPU backend) into dist/bench-page with its HTML. */
async function buildPage(root: string): Promise<void> {
  const esbuild = await import('esbuild');
  const outdir = path.join(root, 'dist', 'bench-page');
  await esbuild.build({
    entryPoints: [path.join(root, 'bench', 'page.ts')],
    outfile: path.join(outdir, 'page.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
    loader: { '.wgsl': 'text' },
    alias: { wgsl_reflect: 'wgsl_reflect/wgsl_reflect.module.js' },
  });
  writeFileSync(
    path.join(outdir, 'index.html'),
    '<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>bench</title></head>\n<body><pre>biud bench: driven by cli/bench.ts</pre>\n<script type="module" src="page.js"></script></body></html>\n',
  );
}

/** This machine: on a software adapter its CPU is the hardware the benchmark measures. */
function hostInfo(browser?: string): NonNullable<BenchReport['host']> {
  const cpus = os.cpus();
  return { cpu: `${cpus[0]?.model ?? 'unknown CPU'} (${os.arch()})`, cores: cpus.length, browser };
}

async function inBrowser(opts: PageOptions, chromiumPath: string): Promise<BenchReport> {
  if (!existsSync(chromiumPath)) {
    throw new BiudError(
      `no Chromium at ${chromiumPath}: the benchmark runs in headless Chromium, whose SwiftShader is the adapter on a machine ` +
        'without a GPU (sudo apt-get install -y chromium libvulkan1; or set CHROMIUM_PATH, or use --adapter node)',
    );
  }
  const root = repoRoot();
  await buildPage(root);
  const { serve } = (await import(pathToFileURL(path.join(root, 'bin', 'serve.mjs')).href)) as {
    serve(o: { port: number; quiet: boolean }): Promise<{ server: { close(): void }; url: string }>;
  };
  const { server, url } = await serve({ port: 0, quiet: true });
  let pw: typeof import('@playwright/test');
  try {
    pw = await import('@playwright/test');
  } catch (e) {
    server.close();
    throw new BiudError(`Playwright could not be loaded (${(e as Error).message}); run npm install, or use --adapter node`);
  }
  let browser: import('@playwright/test').Browser;
  try {
    browser = await pw.chromium.launch({
      executablePath: chromiumPath,
      args: CHROMIUM_ARGS,
    });
  } catch (e) {
    server.close();
    throw new BiudError(`Chromium (${chromiumPath}) did not start: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const version = browser.version();
    const page = await browser.newPage();
    page.on('console', (m) => {
      const t = m.text();
      if (t.startsWith('[bench] ')) console.log(t.slice(8));
      else if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}: ${t}`);
    });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${url}bench-page/index.html`);
    await page.waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench !== undefined, null, { timeout: 60_000 });
    const report = await page.evaluate((o) => (window as unknown as { __bench: { run(o: unknown): Promise<BenchReport> } }).__bench.run(o), opts);
    report.host = hostInfo(`Chromium ${version}`);
    return report;
  } finally {
    await browser.close();
    server.close();
  }
}

async function inNode(opts: PageOptions): Promise<BenchReport> {
  const { createNodeEngine, nodeGPU } = await import('../engine/node.ts');
  const { runBench } = await import('../bench/run.ts');
  const log = (line: string) => console.log(line);
  const engine = await createNodeEngine();
  // TF.js's WebGPU backend asks navigator.gpu for its adapter: give it Dawn's.
  let tf: Tf | null = null;
  try {
    const gpu = await nodeGPU();
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    tf = (await import('@tensorflow/tfjs-core')) as Tf;
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
    await tf.ready();
  } catch (e) {
    log(`TF.js WebGPU backend unavailable in Node (${(e as Error).message}): timing the engine alone`);
    tf = null;
  }
  try {
    return await runBench(engine, {
      runtime: 'node', quick: opts.quick, only: opts.only, kernelsOnly: opts.kernelsOnly, assets: diskAssets(), tf, newEngine: () => createNodeEngine(),
      peerName: tf ? `TF.js ${tf.version_core} WebGPU` : 'none', log,
    });
  } finally {
    engine.destroy();
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec);
  if (args.help) {
    console.log(helpText('biud bench [--out FILE] [--adapter browser|node] [--quick]', spec));
    return 0;
  }
  const o = args.options;
  const adapter = String(o.adapter);
  if (adapter !== 'browser' && adapter !== 'node') throw new BiudError(`--adapter must be 'browser' or 'node', got "${adapter}"`);
  if (args.positionals.length) throw new BiudError(`unexpected argument "${args.positionals[0]}"`);
  const opts: PageOptions = {
    quick: Boolean(o.quick),
    only: o.only ? String(o.only).split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    kernelsOnly: Boolean(o['kernels-only']),
  };
  const t0 = Date.now();
  const report = adapter === 'browser' ? await inBrowser(opts, process.env.CHROMIUM_PATH ?? String(o.chromium)) : await inNode(opts);
  report.host ??= hostInfo();
  report.command = ['biud', 'bench', ...argv].join(' ');
  report.date = new Date().toISOString().slice(0, 10);
  report.seconds = Math.round((Date.now() - t0) / 1000);
  const md = formatReport(report);
  console.log('\n' + md);
  if (o.out) {
    const out = path.resolve(String(o.out));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
    const mdPath = out.replace(/\.json$/i, '') + '.md';
    writeFileSync(mdPath, md);
    console.log(`wrote ${path.relative(process.cwd(), out)} and ${path.relative(process.cwd(), mdPath)}`);
  }
  return report.cases.length ? 0 : 1;
}
