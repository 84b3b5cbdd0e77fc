// WebGPU in Node through Dawn (the `webgpu` package). On a machine without a GPU it needs a Vulkan
// driver: Chromium's SwiftShader (`/usr/lib/chromium/vk_swiftshader_icd.json`, from the chromium
// package) and the Vulkan loader (`libvulkan1`). PLATFORM.md has the measurements.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine, type EngineOptions } from './engine.ts';
import { BiudError } from './errors.ts';
import { setTuneStore } from './autotune.ts';
import { fileTuneStore } from './autotune-store-node.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let gpu: GPU | null = null;
let gpuFlags = '';
let tuneStoreSet = false;

/**
 * The process-wide Dawn GPU object, created once. `dawnFlags` (e.g.
 * 'enable-dawn-features=disable_robustness', for a comparison) are fixed by the call that creates
 * it; asking again with other flags is an error rather than a silent GPU without them.
 */
export async function nodeGPU(dawnFlags: string[] = []): Promise<GPU> {
  if (gpu) {
    if (dawnFlags.join(' ') !== gpuFlags) {
      throw new BiudError(`Dawn was already started in this process with flags [${gpuFlags}]; it cannot be restarted with [${dawnFlags.join(' ')}]`);
    }
    return gpu;
  }
  // The Vulkan loader reads these when Dawn creates its instance, so they must be set first.
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = path.join(tmpdir(), 'biud-xdg');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new BiudError(`the Node WebGPU package "webgpu" could not be loaded (${(e as Error).message}); run npm install`);
  }
  Object.assign(globalThis, mod.globals);
  gpu = mod.create(dawnFlags) as GPU;
  gpuFlags = dawnFlags.join(' ');
  return gpu;
}

/** An Engine on Dawn in this Node process. */
export async function createNodeEngine(opts: Omit<EngineOptions, 'gpu'> = {}): Promise<Engine> {
  const g = await nodeGPU();
  if (!tuneStoreSet) {
    // Kernel choices measured by the autotuner persist across runs in a file (engine/autotune.ts).
    setTuneStore(fileTuneStore());
    tuneStoreSet = true;
  }
  const adapter = opts.adapter ?? (await g.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' }));
  if (!adapter) {
    const hint = existsSync(SWIFTSHADER_ICD)
      ? 'is libvulkan1 installed? (sudo apt-get install -y libvulkan1)'
      : 'install Chromium, whose SwiftShader Vulkan driver serves machines without a GPU: sudo apt-get install -y chromium libvulkan1';
    throw new BiudError(`Node's WebGPU (Dawn) found no adapter: ${hint}`);
  }
  return Engine.create({ ...opts, gpu: g, adapter });
}
