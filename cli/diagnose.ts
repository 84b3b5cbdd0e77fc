// `biud diagnose --checkpoint FILE CT.nii[.gz] ... [--json]`: zero-shot diagnosis of real CTs.
// Each volume is read, turned to RAS, resampled around the body to the checkpoint's grid and
// windowed as the training volumes were, and scored against every finding's prompt pair
// ("No pleural effusion." / "Pleural effusion."): p(finding) is the pair's softmax at the
// model's temperature. No report or label is needed. A volume that cannot be read is named and
// skipped; when none can be, the command fails.
import path from 'node:path';
import { BiudError } from '../engine/errors.ts';
import { createNodeEngine } from '../engine/node.ts';
import { diskAssets } from '../models/assets-node.ts';
import { diagnoseVolumes, labelledVolumes, loadModel } from '../models/train/evaluate.ts';
import { FINDINGS } from '../models/text/findings.ts';
import { helpText, parseArgs, readInput, type OptionSpec } from './args.ts';

const spec: OptionSpec = {
  checkpoint: { type: 'string', help: 'checkpoint.safetensors written by biud train' },
  json: { type: 'boolean', help: 'print one JSON array (file, warnings, p per finding) instead of a table' },
};
const USAGE = 'biud diagnose --checkpoint FILE CT.nii[.gz] [...] [--json]';

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, spec);
  if (a.help) {
    console.log(helpText(USAGE, spec));
    return 0;
  }
  if (!a.options.checkpoint) throw new BiudError(`--checkpoint FILE is required\n${USAGE}`);
  if (!a.positionals.length) throw new BiudError(`name at least one CT volume (.nii or .nii.gz)\n${USAGE}`);
  const engine = await createNodeEngine();
  const m = await loadModel(engine, diskAssets(), readInput(String(a.options.checkpoint), '--checkpoint'), String(a.options.checkpoint));
  const none = new Uint8Array(FINDINGS.length);
  const items = labelledVolumes(a.positionals.map((file) => ({ file, report: { labels: none } })), (file) => readInput(file, 'volume'));
  const { diagnosed, skipped } = await diagnoseVolumes(m, items);
  engine.destroy();
  for (const s of skipped) console.error(`${s.name}: skipped: ${s.reason}`);
  if (!diagnosed.length) throw new BiudError(`none of the ${items.length} volume(s) could be read`);
  if (a.options.json) {
    console.log(JSON.stringify(diagnosed.map(({ item, warnings, p }) => ({ file: item.name, warnings, p })), null, 1));
  } else {
    console.log(`zero-shot p(finding), ${m.cfg.name} checkpoint of step ${m.step}:`);
    const names = diagnosed.map(({ item }) => path.basename(item.name));
    const width = Math.max(8, ...names.map((n) => n.length)) + 2;
    console.log(`${''.padEnd(36)}${names.map((n) => n.padStart(width)).join('')}`);
    for (const f of FINDINGS) console.log(`  ${f.padEnd(34)}${diagnosed.map(({ p }) => p[f].toFixed(3).padStart(width)).join('')}`);
    for (const { item, warnings } of diagnosed) if (warnings.length) console.log(`${item.name}: ${warnings.join('; ')}`);
    const all = diagnosed.flatMap(({ p }) => Object.values(p));
    if (all.length && Math.max(...all.map((v) => Math.abs(v - 0.5))) < 0.05) {
      console.log('Every p is within 0.05 of 0.5: the two prompts of each pair lie almost as close to these CTs. Zero-shot AUC ranks volumes by p, so compare p between volumes rather than against 0.5.');
    }
  }
  return 0;
}
