// `biud ablate --config tiny [--steps N] [--out DIR]`: the paper's ablation as four runs that
// differ only in their loss switches (same seed, same data order, the same frozen X-ray expert,
// trained once in the first run and loaded by the others): CLIP, +RoCo, +distillation, +EFM.
// Writes DIR/ablation.json and DIR/ablation.md (zero-shot AUC per finding on the held-out cohort).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { getConfig } from '../models/config.ts';
import { FINDINGS } from '../models/text/index.ts';
import { EXPERT_FILE } from '../models/train/checkpoint.ts';
import { helpText, parseArgs, optionalNumber, readInput, POOL_OPTION, poolOverride, type OptionSpec } from './args.ts';
import { runTrainJob, zeroShotJson } from './train-job.ts';

const spec: OptionSpec = {
  config: { type: 'string', default: 'tiny', help: 'model size' },
  steps: { type: 'number', help: "BIUD steps per run (default: the config's)" },
  lr: { type: 'number', help: "peak learning rate (default: the config's)" },
  'expert-steps': { type: 'number', help: "X-ray expert steps (default: the config's)" },
  pool: POOL_OPTION,
  out: { type: 'string', help: 'folder of the four runs (default runs/ablate-CONFIG)' },
  seed: { type: 'number', help: "seed (default: the config's)" },
  expert: { type: 'string', help: 'X-ray expert weights (xray_expert.safetensors) for all four runs, instead of training one in the first' },
};
const USAGE = 'biud ablate --config tiny [--steps N] [--lr X] [--pool mean|flat] [--expert FILE] [--out DIR]';

export const RUNS = [
  { name: 'CLIP', switches: { roco: false, distill: false, efm: false } },
  { name: '+RoCo', switches: { roco: true, distill: false, efm: false } },
  { name: '+distillation', switches: { roco: true, distill: true, efm: false } },
  { name: '+EFM (BIUD)', switches: { roco: true, distill: true, efm: true } },
];

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, spec);
  if (a.help) {
    console.log(helpText(USAGE, spec));
    return 0;
  }
  const o = a.options;
  const num = (k: string) => optionalNumber(a, k);
  const out = String(o.out ?? `runs/ablate-${o.config}`);
  mkdirSync(out, { recursive: true });
  const results: { name: string; switches: object; seconds: number; zero_shot: ReturnType<typeof zeroShotJson> | null }[] = [];
  let expert: Uint8Array | undefined = o.expert ? readInput(String(o.expert), 'X-ray expert weights (--expert)') : undefined;
  for (const [i, r] of RUNS.entries()) {
    const cfg = getConfig(String(o.config), { seed: num('seed'), train: { steps: num('steps'), lr: num('lr') }, ct: { pool: poolOverride(a) }, expert: { steps: num('expert-steps') }, loss: { roco: r.switches.roco } });
    const dir = path.join(out, `${i + 1}-${r.name.replace(/[^A-Za-z]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}`);
    const res = await runTrainJob({ cfg, switches: r.switches, out: dir, expertWeights: expert, label: r.name });
    if (!expert) expert = new Uint8Array(readFileSync(path.join(dir, EXPERT_FILE)));
    results.push({ name: r.name, switches: r.switches, seconds: res.seconds, zero_shot: res.zeroShot ? zeroShotJson(res.zeroShot) : null });
    writeFileSync(path.join(out, 'ablation.json'), JSON.stringify({ config: o.config, runs: results }, null, 1));
  }
  const md = ablationTable(results, `biud ablate --config ${o.config}${o.steps ? ` --steps ${o.steps}` : ''}${o.lr ? ` --lr ${o.lr}` : ''}${o.pool ? ` --pool ${o.pool}` : ''}${o.expert ? ` --expert ${o.expert}` : ''}`);
  writeFileSync(path.join(out, 'ablation.md'), md);
  console.log(md);
  return 0;
}

/** Markdown: one column per run, one row per finding, the mean last. */
export function ablationTable(runs: { name: string; zero_shot: { auc: Record<string, number | null>; mean_auc: number } | null }[], command: string): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
  const head = `| finding | ${runs.map((r) => r.name).join(' | ')} |\n|---|${runs.map(() => '---:').join('|')}|`;
  const rows = FINDINGS.map((k) => `| ${k} | ${runs.map((r) => f(r.zero_shot?.auc[k])).join(' | ')} |`);
  const mean = `| **mean AUC** | ${runs.map((r) => `**${f(r.zero_shot?.mean_auc)}**`).join(' | ')} |`;
  return `Zero-shot AUC on the held-out cohort (\`${command}\`)\n\n${head}\n${rows.join('\n')}\n${mean}\n`;
}
