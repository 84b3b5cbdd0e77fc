// How every headless Chromium here is started (Playwright tests, `biud bench`,
// bench/playground-run.mjs): WebGPU on a machine without a GPU needs --enable-unsafe-webgpu (its
// SwiftShader Vulkan driver is then the adapter, PLATFORM.md); the rest keeps a CI run quiet and
// off the network.
export const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** The system Chromium, or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
