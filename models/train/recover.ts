// Training that survives a lost GPU device (a driver reset, a backgrounded tab, `device.destroy()`):
// everything on the old device is gone, the checkpoint sink is not. On DeviceLostError, make a
// new engine, rebuild the trainer from the last checkpoint (same step, optimiser state, data
// order; the frozen expert from its own file) and go on. Without a checkpoint yet, start again.
import type { Engine } from '../../engine/engine.ts';
import { DeviceLostError } from '../../engine/errors.ts';
import { Trainer, type TrainerOptions } from './trainer.ts';
import { EXPERT_FILE, MODEL_FILE } from './checkpoint.ts';

export interface RecoveringRun {
  makeEngine: () => Promise<Engine>;
  options: Omit<TrainerOptions, 'engine'>;
  /** Train until this step (default: the config's steps). */
  until?: number;
  maxRecoveries?: number;
  /** Called when a device was lost, before the new one is made. */
  onLost?: (err: DeviceLostError, resumingFrom: 'checkpoint' | 'start') => void;
  /** Called with each trainer made (the first and every rebuilt one), e.g. to inject a failure. */
  onTrainer?: (t: Trainer) => void;
}

export async function trainWithRecovery(run: RecoveringRun): Promise<{ trainer: Trainer; engine: Engine; recoveries: number }> {
  let engine = await run.makeEngine();
  let opts: TrainerOptions = { ...run.options, engine };
  for (let recoveries = 0; ; recoveries++) {
    let trainer: Trainer | null = null;
    try {
      trainer = await Trainer.create(opts);
      run.onTrainer?.(trainer);
      await trainer.run(run.until ?? opts.config.train.steps);
      return { trainer, engine, recoveries };
    } catch (err) {
      if (!(err instanceof DeviceLostError) || recoveries >= (run.maxRecoveries ?? 3)) throw err;
      const sink = opts.sink;
      const model = sink ? await sink.read(MODEL_FILE) : null;
      const expert = sink ? await sink.read(EXPERT_FILE) : null;
      run.onLost?.(err, model ? 'checkpoint' : 'start');
      engine = await run.makeEngine();
      opts = { ...opts, engine, resume: !!model, expertWeights: expert ?? opts.expertWeights };
    }
  }
}
