// `biud probe [--checkpoint FILE] [--config tiny] [--labelled N] [--steps N] [--out FILE]`: the
// 18 findings from a few labelled volumes, two ways: a linear probe on the frozen CT encoder's
// [CLS] feature, and fine-tuning a copy of the encoder with a linear head. AUC per finding on
// held-out volumes, and their means.
import { writeFileSync } from 'node:fs';
import { createNodeEngine } from '../engine/node.ts';
import { FINDINGS } from '../models/text/index.ts';
import { BiudError } from '../engine/errors.ts';
import { linearProbe, FineTuner, type FeatureKind } from '../models/probe.ts';
import { helpText, parseArgs, type OptionSpec } from './args.ts';
import { loadEncoder } from './generate.ts';

const spec: OptionSpec = {
  checkpoint: { type: 'string', help: 'BIUD checkpoint.safetensors whose CT encoder is probed (config from it)' },
  config: { type: 'string', default: 'tiny', help: 'size config without a checkpoint (a random encoder: the baseline)' },
  labelled: { type: 'number', default: 64, help: 'labelled training volumes' },
  test: { type: 'number', default: 200, help: 'held-out volumes' },
  steps: { type: 'number', default: 100, help: 'fine-tuning steps (0: linear probe only)' },
  lr: { type: 'number', default: 1e-3, help: "fine-tuning head learning rate (the encoder's is a tenth)" },
  feature: { type: 'string', default: 'cls', help: "linear probe feature: 'cls' ([CLS] before projection), 'embedding' (projected), 'mean' (mean patch token)" },
  out: { type: 'string', help: 'write AUCs to this JSON file' },
};
const USAGE = 'biud probe [--checkpoint FILE] [--config tiny] [--labelled N] [--test N] [--steps N] [--out FILE]';

export async function run(argv: string[]): Promise<number> {
  const { options: o, help } = parseArgs(argv, spec);
  if (help) {
    console.log(helpText(USAGE, spec));
    return 0;
  }
  const e = await createNodeEngine();
  try {
    const L = await loadEncoder(e, o.checkpoint as string | undefined, o.config as string);
    const { cfg, encoder, data } = L;
    const train = data.trainBatch(0, o.labelled as number);
    const test = data.heldout(o.test as number);
    console.log(`encoder: ${L.source}; ${train.length} labelled volumes, ${test.length} held-out`);
    const t0 = performance.now();
    const which = o.feature as string;
    if (!['cls', 'embedding', 'mean'].includes(which)) throw new BiudError(`--feature must be cls, embedding or mean, got "${which}"`);
    const lp = await linearProbe(e, encoder, data, cfg, train, test, { which: which as FeatureKind });
    console.log(`linear probe (${which}): mean AUC ${lp.meanAuc.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    let ft: Awaited<ReturnType<FineTuner['evaluate']>> | null = null;
    if ((o.steps as number) > 0) {
      const t1 = performance.now();
      const tuner = await FineTuner.from(e, cfg, L.store);
      const steps = o.steps as number;
      await tuner.train(data, train, {
        steps, lr: o.lr as number, logEvery: 10,
        onProgress: (p) => console.log(`fine-tune step ${p.step}/${steps}  loss ${p.loss.toFixed(4)}`),
      });
      ft = await tuner.evaluate(data, test);
      tuner.dispose();
      console.log(`fine-tuned: mean AUC ${ft.meanAuc.toFixed(3)} (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
    }
    const w = Math.max(...FINDINGS.map((f) => f.length));
    console.log(`${'finding'.padEnd(w)}  probe  fine-tuned`);
    for (const f of FINDINGS) console.log(`${f.padEnd(w)}  ${lp.auc[f].toFixed(3).padStart(5)}  ${ft ? ft.auc[f].toFixed(3).padStart(5) : '  -'}`);
    if (o.out) {
      writeFileSync(o.out as string, JSON.stringify({ encoder: L.source, labelled: train.length, heldout: test.length, probe: { feature: which, auc: lp.auc, mean_auc: lp.meanAuc }, finetune: ft && { auc: ft.auc, mean_auc: ft.meanAuc, steps: o.steps } }, null, 2));
    }
    console.log(`linear probe mean AUC ${lp.meanAuc.toFixed(3)}${ft ? `, fine-tuned ${ft.meanAuc.toFixed(3)}` : ''} from ${train.length} labelled volumes`);
    L.data.dispose?.();
    L.store.destroy();
    return 0;
  } finally {
    e.destroy();
  }
}
