// The benchmark's page (headless Chromium): the engine and TensorFlow.js's WebGPU backend on the
// same adapter, in one page. `biud bench` builds this bundle, serves it, and calls
// `window.__bench.run(options)`; progress lines go to the console, which the CLI prints.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs union package does this).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Engine } from '../engine/engine.ts';
import { fetchAssets } from '../models/assets.ts';
import { runBench } from './run.ts';
import type { BenchReport } from './stats.ts';

interface PageOptions {
  quick: boolean;
  only?: string[];
  kernelsOnly?: boolean;
}

async function run(opts: PageOptions): Promise<BenchReport> {
  const log = (line: string) => console.log(`[bench] ${line}`);
  const engine = await Engine.create();
  let peer: typeof tf | null = null;
  try {
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
    await tf.ready();
    peer = tf;
  } catch (err) {
    log(`TF.js WebGPU backend unavailable: ${(err as Error).message}`);
  }
  try {
    return await runBench(engine, {
      runtime: 'browser', quick: opts.quick, only: opts.only, kernelsOnly: opts.kernelsOnly,
      assets: fetchAssets('/'), tf: peer, newEngine: () => Engine.create(), peerName: `TF.js ${tf.version_core} WebGPU`, log,
    });
  } finally {
    engine.destroy();
  }
}

(window as unknown as { __bench: unknown }).__bench = { run };
document.title = 'bench ready';
