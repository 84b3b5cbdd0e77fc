#!/usr/bin/env node
// The `biud` command: bundles cli/ with esbuild when the sources are newer than the bundle
// (a fraction of a second), then runs it. No separate build step for users.
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'cli.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|wgsl)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const sources = ['cli', 'engine', 'shaders', 'models', 'bench'].map((d) => path.join(root, d)).filter(existsSync);
const stale = !existsSync(bundle) || Math.max(...sources.map(newestSource)) > statSync(bundle).mtimeMs;
if (stale) {
  const { buildCli } = await import(pathToFileURL(path.join(root, 'esbuild.config.mjs')).href);
  await buildCli();
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
