// Runs every GPU suite in Node on Dawn (the fast loop). The same cases run in headless Chromium
// through Playwright (test/browser/gpu.spec.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createNodeEngine, nodeGPU } from '../../engine/node.ts';
import type { Engine } from '../../engine/index.ts';
import { readFile, readdir } from 'node:fs/promises';
import { cases, assets, engines } from './harness.ts';
import './suites.ts';

assets.read = async (p) => new Uint8Array(await readFile(p));
assets.list = (dir) => readdir(dir);
engines.create = () => createNodeEngine();

let engine: Engine;
beforeAll(async () => {
  engine = await createNodeEngine();
});
afterAll(() => engine?.destroy());

// A case's time limit. The heaviest sweep (every matmul shape and transpose through the
// subgroup variant on SwiftShader) takes 87–111 s on a quiet 2-core host and went past 120 s while
// other jobs shared it; 300 s still stops a hung case well inside CI's budget.
const CASE_LIMIT_MS = 300_000;

const bySuite = new Map<string, typeof cases>();
for (const c of cases) bySuite.set(c.suite, [...(bySuite.get(c.suite) ?? []), c]);
for (const [name, list] of bySuite) {
  describe(name, () => {
    for (const c of list) it(c.name, () => c.fn(engine), CASE_LIMIT_MS);
  });
}

describe('node', () => {
  // Dawn starts once per process: a later call that asks for other flags must not get a GPU without them.
  it('nodeGPU refuses other Dawn flags once Dawn is started', async () => {
    await expect(nodeGPU()).resolves.toBeDefined();
    await expect(nodeGPU(['enable-dawn-features=disable_robustness'])).rejects.toThrow(/already started in this process with flags \[\]/);
  });
});
