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

const bySuite = new Map<string, typeof cases>();
for (const c of cases) bySuite.set(c.suite, [...(bySuite.get(c.suite) ?? []), c]);
for (const [name, list] of bySuite) {
  describe(name, () => {
    for (const c of list) it(c.name, () => c.fn(engine), 120_000);
  });
}

describe('node', () => {
  // Dawn starts once per process: a later call that asks for other flags must not get a GPU without them.
  it('nodeGPU refuses other Dawn flags once Dawn is started', async () => {
    await expect(nodeGPU()).resolves.toBeDefined();
    await expect(nodeGPU(['enable-dawn-features=disable_robustness'])).rejects.toThrow(/already started in this process with flags \[\]/);
  });
});
