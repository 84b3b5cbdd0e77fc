// One place for every bundle the project makes. `node esbuild.config.mjs [cli|playground|tests|all]`
// builds them; the CLI launcher (bin/biud.mjs) and the test runners call the same functions.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
  // WGSL is shipped as text inside the bundle; the engine reflects on it at run time.
  loader: { '.wgsl': 'text' },
  // wgsl_reflect's `main` is CommonJS inside a "type": "module" package (PLATFORM.md).
  alias: { wgsl_reflect: 'wgsl_reflect/wgsl_reflect.module.js' },
};

/** The `biud` command line: one Node bundle; Dawn (`webgpu`) and Playwright stay external. */
export function buildCli() {
  return esbuild.build({
    ...common,
    entryPoints: ['cli/main.ts'],
    outfile: 'dist/cli.mjs',
    platform: 'node',
    packages: 'external',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

/** The playground single-page app. */
export function buildPlayground() {
  return esbuild.build({
    ...common,
    entryPoints: ['playground/main.ts'],
    outdir: 'dist/playground',
    platform: 'browser',
    loader: { ...common.loader, '.css': 'css' },
  });
}

/** The in-browser GPU test page: every GPU suite in one bundle, driven by Playwright. */
export function buildTestPage() {
  return esbuild.build({
    ...common,
    entryPoints: ['test/browser/page.ts'],
    outfile: 'dist/test-page/page.js',
    platform: 'browser',
  });
}

/**
 * The library at the package root (index.ts → dist/lib/index.js, for the browser and Node) and
 * 'biud/node' (node.ts → dist/lib/node.js). Dependencies stay imports, resolved by the user's
 * bundler or Node; the WGSL is inside. One build with code splitting, so both entries share one
 * copy of the engine (an Engine made by createNodeEngine is the Engine that index.js exports).
 */
export function buildLibrary() {
  return esbuild.build({
    ...common,
    entryPoints: ['index.ts', 'node.ts'],
    outdir: 'dist/lib',
    splitting: true,
    platform: 'neutral',
    packages: 'external',
    external: ['node:*'],
  });
}

const builders = { cli: buildCli, playground: buildPlayground, tests: buildTestPage, lib: buildLibrary };

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const which = process.argv[2] ?? 'all';
  const names = which === 'all' ? Object.keys(builders) : [which];
  for (const n of names) {
    if (!builders[n]) { console.error(`unknown bundle "${n}"; one of: ${Object.keys(builders).join(', ')}, all`); process.exit(2); }
    await builders[n]();
  }
}
