import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // WGSL as text, the same as esbuild's `text` loader does for the bundles.
      name: 'wgsl-text',
      transform(code, id) {
        if (id.endsWith('.wgsl')) return { code: `export default ${JSON.stringify(code)};`, map: null };
      },
    },
  ],
  resolve: { alias: { wgsl_reflect: 'wgsl_reflect/wgsl_reflect.module.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
