// The in-browser side of the GPU tests: every suite bundled into one page; Playwright calls
// `window.__gpu.run(suite)` and reads back one result per case.
import { Engine } from '../../engine/index.ts';
import { cases, assets, engines } from '../gpu/harness.ts';
import '../gpu/suites.ts';
import { opfsSink, clearOpfs } from '../../models/train/sink-opfs.ts';

export interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

let engine: Promise<Engine> | null = null;

assets.read = async (path) => {
  const r = await fetch(`/${path}`);
  if (!r.ok) throw new Error(`GET /${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
engines.create = () => Engine.create();
assets.list = async (dir) => {
  const r = await fetch(`/__list?dir=${encodeURIComponent(dir)}`);
  if (!r.ok) throw new Error(`listing ${dir}: ${r.status}`);
  return r.json();
};

async function run(suite: string): Promise<CaseResult[]> {
  engine ??= Engine.create();
  const e = await engine;
  const list = cases.filter((c) => c.suite === suite);
  if (!list.length) return [{ name: '(suite)', ok: false, ms: 0, error: `no cases registered for suite "${suite}"` }];
  const out: CaseResult[] = [];
  for (const c of list) {
    const t0 = performance.now();
    try {
      await c.fn(e);
      out.push({ name: c.name, ok: true, ms: performance.now() - t0 });
    } catch (err) {
      const x = err as Error;
      out.push({ name: c.name, ok: false, ms: performance.now() - t0, error: `${x.name}: ${x.message}\n${x.stack ?? ''}` });
    }
  }
  return out;
}

async function adapter(): Promise<string> {
  engine ??= Engine.create();
  const e = await engine;
  return JSON.stringify(e.adapterInfo);
}

(window as unknown as { __gpu: unknown }).__gpu = { run, adapter, suites: () => [...new Set(cases.map((c) => c.suite))] };
// The checkpoint store of the tab, for test/browser/opfs.spec.ts (no GPU involved).
(window as unknown as { __opfs: unknown }).__opfs = { opfsSink, clearOpfs };
document.getElementById('log')!.textContent += '\nready';
