// The package root (DESIGN.md §4): `import { Engine, Tensor, ops, … } from 'biud'` and
// 'biud/node', as a user's script imports them: the library is built as `npm install` builds it
// (prepare), then a separate Node process resolves the package by its name (its "exports"),
// makes an engine, multiplies on it and builds a model. The browser entry must not import Node's
// modules.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: the build script is plain JavaScript without types.
import { buildLibrary } from '../../esbuild.config.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const script = `
import { Engine, Tensor, ops, Biud, getConfig, FINDINGS, Trainer, loadVolumeData } from 'biud';
import { createNodeEngine } from 'biud/node';
const e = await createNodeEngine();
const a = e.tensor([1, 2, 3, 4], [2, 2]);
const c = await ops.matmul(a, a).data();
const cfg = getConfig('micro');
const m = new Biud(e, cfg, 100, cfg.embedDim);
console.log(JSON.stringify({ engine: e instanceof Engine, tensor: a instanceof Tensor, matmul: Array.from(c), model: typeof m.embedCt, findings: FINDINGS.length, trainer: typeof Trainer, volumes: typeof loadVolumeData }));
e.destroy();
`;

describe('package root', () => {
  it("imports from 'biud' and 'biud/node' in a user's script, and an engine made by one is the other's Engine", async () => {
    await buildLibrary();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ engine: true, tensor: true, matmul: [7, 10, 15, 22], model: 'function', findings: 18, trainer: 'function', volumes: 'function' });
  });

  it("the browser entry and what it loads import no Node module", () => {
    const dir = path.join(root, 'dist/lib');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(path.join(dir, file), 'utf8');
      expect(src, `${file} imports a Node module`).not.toMatch(/from\s*["']node:|import\(["']node:/);
      for (const m of src.matchAll(/from\s*["']\.\/([^"']+)["']/g)) visit(m[1]);
    };
    visit('index.js');
    expect(seen.size).toBeGreaterThan(1);
    expect(readdirSync(dir)).toContain('node.js');
  });
});
