#!/usr/bin/env node
// A small static server on 127.0.0.1 (a secure context, which WebGPU needs): the built bundles
// from dist/, the HTML pages, and the shipped data/ under /data/. Used by `npm start` (the
// playground), by the Playwright tests and by the CLI's browser jobs.
//
//   node bin/serve.mjs [--port N] [--build playground,tests] [--quiet]
import http from 'node:http';
import { createReadStream, existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** URL path → file: /data/** from data/, /test-page/ from test/browser, everything else from dist/ or playground/. */
function resolve(urlPath) {
  const p = decodeURIComponent(urlPath.split('?')[0]);
  if (p.includes('..')) return null;
  const candidates = [];
  if (p.startsWith('/data/') || p.startsWith('/test/golden/')) candidates.push(path.join(root, p));
  else if (p.startsWith('/test-page/')) {
    const rest = p.slice('/test-page/'.length) || 'index.html';
    candidates.push(path.join(root, 'dist/test-page', rest), path.join(root, 'test/browser', rest));
  } else {
    const rest = p === '/' ? 'index.html' : p.slice(1);
    candidates.push(path.join(root, 'dist/playground', rest), path.join(root, 'playground', rest), path.join(root, 'dist', rest));
  }
  return candidates.find((f) => existsSync(f) && statSync(f).isFile()) ?? null;
}

export async function serve({ port = 5173, build = [], quiet = false } = {}) {
  if (build.length) {
    const cfg = await import(pathToFileURL(path.join(root, 'esbuild.config.mjs')).href);
    for (const b of build) {
      if (b === 'playground') await cfg.buildPlayground();
      else if (b === 'tests') await cfg.buildTestPage();
      else throw new Error(`unknown bundle ${b}`);
    }
  }
  const server = http.createServer((req, res) => {
    // Folder listings for the test page (fixtures); only inside the repository's data and tests.
    if (req.url?.startsWith('/__list?')) {
      const dir = new URL(req.url, 'http://x').searchParams.get('dir') ?? '';
      const full = path.join(root, dir);
      const ok = !dir.includes('..') && /^(data|test)\//.test(dir + '/') && existsSync(full) && statSync(full).isDirectory();
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? readdirSync(full) : []));
      return;
    }
    const file = resolve(req.url ?? '/');
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      // Cross-origin isolation: lets pages use SharedArrayBuffer and precise timers.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${addr.port}/`;
  if (!quiet) {
    console.log(`serving ${url}`);
    if (build.includes('playground')) console.log(`BIUD playground: open ${url}?train=1 in Chrome (trains micro on the built-in cohort; ?config=tiny for the CPU-sized model)`);
  }
  return { server, url, port: addr.port };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const get = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(get('port') ?? process.env.PORT ?? 5173);
  const build = (get('build') ?? '').split(',').filter(Boolean);
  serve({ port, build, quiet: args.includes('--quiet') }).catch((e) => {
    console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use: set PORT to another one` : e.stack ?? String(e));
    process.exit(1);
  });
}
