// Headless Chromium with WebGPU on a machine without a GPU (PLATFORM.md): the system Chromium,
// --enable-unsafe-webgpu, pages from 127.0.0.1 (a secure context).
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './bin/chromium.mjs';

const port = Number(process.env.TEST_PORT ?? 5199);

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '*.spec.ts',
  timeout: 15 * 60_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    command: `node bin/serve.mjs --port ${port} --build tests --quiet`,
    url: `http://127.0.0.1:${port}/test-page/`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
