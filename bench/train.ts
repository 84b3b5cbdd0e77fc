// A BIUD training step as the trainer records it (models/train/trainer.ts: forward, backward,
// AdamW update and the loss copy into the GPU ring, one submit), on the small CPU-made dataset of
// the trainer tests (test/gpu/toy-data.ts), so that the data side costs little and the step is
// the model's. The X-ray expert is trained for one step only: it is not what is measured.
//
// Per step: wall time (steps recorded back to back, the queue drained every few steps, as a run
// between two loss reports does), dispatches, submits and readbacks from the engine's counters,
// and engine.memory() after the first and the last step.
import type { Engine } from '../engine/engine.ts';
import type { Assets } from '../models/assets.ts';
import { getConfig } from '../models/config.ts';
import { Trainer } from '../models/train/trainer.ts';
import { toyData } from '../test/gpu/toy-data.ts';
import { round, type MemorySnapshot, type TrainResult } from './stats.ts';

export interface TrainOptions {
  config: 'tiny' | 'small';
  /** Pairs per step (default: the config's). */
  batch?: number;
  /** Most steps to time, and the wall-time budget that may cut them short. */
  maxSteps: number;
  budgetMs: number;
  log?: (line: string) => void;
}

function snapshot(e: Engine): MemorySnapshot {
  const m = e.memory();
  return { liveBytes: m.liveBytes, pooledBytes: m.pooledBytes, fixedBytes: m.fixedBytes, liveTensors: m.liveTensors, buffersCreated: m.buffersCreated };
}

export async function measureTraining(e: Engine, assets: Assets, o: TrainOptions): Promise<TrainResult> {
  const full = getConfig(o.config);
  const batch = o.batch ?? full.train.batch;
  // The loss ring must hold every step between reports: one report, after all the steps.
  // The X-ray expert (trained before the steps, frozen during them) gets one step of a small batch:
  // it is not what is measured, and the config's batch of X-rays would cost minutes here.
  const cfg = getConfig(o.config, { expert: { steps: 1, batch: 4 }, train: { batch, logEvery: o.maxSteps + 2 } });
  const base: TrainResult = {
    config: o.config, batch, configBatch: full.train.batch, steps: 0, step_ms: NaN,
    dispatches_per_step: NaN, submits_per_step: NaN, readbacks_per_step: NaN,
    memory_first: snapshot(e), memory_last: snapshot(e), memory_growth_bytes: 0,
  };
  let trainer: Trainer | null = null;
  try {
    const t0 = performance.now();
    trainer = await Trainer.create({
      engine: e, assets, data: toyData(), config: cfg, switches: { roco: true, efm: true, distill: true },
    });
    o.log?.(`${o.config}: trainer ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (vocabulary ${trainer.tokenizer.size})`);
    // Warm-up: compiles every pipeline of the step.
    let w = performance.now();
    trainer.recordStep();
    await e.sync();
    const warmMs = performance.now() - w;
    o.log?.(`${o.config}: warm-up step ${(warmMs / 1000).toFixed(1)} s`);
    const first = snapshot(e);
    const c0 = { ...e.counters };
    const start = performance.now();
    let steps = 0;
    // Steps in groups of up to 5 recorded back to back, the queue drained after each group (no
    // readback); the first step alone, to learn how many more fit the budget.
    while (steps < o.maxSteps) {
      const spent = performance.now() - start;
      const per = steps ? spent / steps : 0;
      if (steps && spent + per > o.budgetMs) break;
      const k = steps ? Math.max(1, Math.min(5, o.maxSteps - steps, Math.floor((o.budgetMs - spent) / per))) : 1;
      for (let i = 0; i < k; i++) trainer.recordStep();
      steps += k;
      await e.sync();
    }
    await e.sync();
    const elapsed = performance.now() - start;
    const c1 = { ...e.counters };
    const last = snapshot(e);
    w = performance.now();
    const p = await trainer.report(); // one readback, after timing: the losses must be finite
    o.log?.(`${o.config}: ${steps} steps, ${(elapsed / steps).toFixed(0)} ms/step, loss ${p.losses.total?.toFixed(3)}`);
    const pool = (m: MemorySnapshot) => m.liveBytes + m.pooledBytes;
    return {
      ...base, steps, step_ms: round(elapsed / steps, 4),
      dispatches_per_step: round((c1.dispatches - c0.dispatches) / steps, 4),
      submits_per_step: round((c1.submits - c0.submits) / steps, 4),
      readbacks_per_step: round((c1.readbacks - c0.readbacks) / steps, 4),
      memory_first: first, memory_last: last, memory_growth_bytes: pool(last) - pool(first),
      loss: p.losses.total === undefined ? undefined : round(p.losses.total, 5),
      note: [
        steps < o.maxSteps ? `${steps} of ${o.maxSteps} steps fit the ${Math.round(o.budgetMs / 1000)} s budget` : '',
        `toy data: vocabulary ${trainer.tokenizer.size}`,
      ].filter(Boolean).join('; '),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    trainer?.dispose();
  }
}
