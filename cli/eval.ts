// `biud eval --checkpoint FILE [--reports CSV] [--out FILE]`: zero-shot AUC per finding and their
// mean, on the held-out cohort (procedural volumes paired with held-out reports) or, with
// --reports, on a cohort built from every report of that CSV (its label vectors; none of its
// reports need have been seen in training). The checkpoint carries its config and vocabulary.
import { writeFileSync } from 'node:fs';
import { BiudError } from '../engine/errors.ts';
import { createNodeEngine } from '../engine/node.ts';
import { diskAssets } from '../models/assets-node.ts';
import { loadCohortData } from '../models/train/cohort-data.ts';
import { loadModel, zeroShot } from '../models/train/evaluate.ts';
import { helpText, parseArgs, readInput, type OptionSpec } from './args.ts';
import { aucTable, zeroShotJson } from './train-job.ts';

const spec: OptionSpec = {
  checkpoint: { type: 'string', help: 'checkpoint.safetensors written by biud train' },
  reports: { type: 'string', help: 'CT-RATE-format CSV: evaluate on volumes made from its label vectors, paired with its reports' },
  n: { type: 'number', help: "held-out volumes (default: the config's; with --reports, as many as the CSV has reports, drawn from them)" },
  out: { type: 'string', help: 'write the JSON here (default: print it)' },
  seed: { type: 'number', help: "seed of the evaluation patients (default: the checkpoint config's, as biud train evaluates)" },
};
const USAGE = 'biud eval --checkpoint FILE [--reports CSV] [--out FILE]';

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, spec);
  if (a.help) {
    console.log(helpText(USAGE, spec));
    return 0;
  }
  const o = a.options;
  if (!o.checkpoint) throw new BiudError(`--checkpoint FILE is required\n${USAGE}`);
  const bytes = readInput(String(o.checkpoint), '--checkpoint');
  const engine = await createNodeEngine();
  const assets = diskAssets();
  const m = await loadModel(engine, assets, bytes, String(o.checkpoint));
  const csv = o.reports ? readInput(String(o.reports), '--reports') : undefined;
  const data = await loadCohortData(assets, m.cfg, { seed: o.seed as number, reportsCsv: csv, allHeldout: !!csv, trainPatients: 0 });
  const n = (o.n as number | undefined) ?? (csv ? data.heldoutReports.length : m.cfg.data.heldout);
  const items = data.heldout(n);
  console.error(`zero-shot: ${m.cfg.name} checkpoint of step ${m.step} on ${n} volumes (${csv ? String(o.reports) : 'held-out split'})…`);
  const r = await zeroShot(m, data, items);
  console.error(aucTable(r));
  const json = JSON.stringify({ checkpoint: String(o.checkpoint), step: m.step, config: m.cfg.name, ...zeroShotJson(r, items.map((it) => it.labels)) }, null, 1);
  if (o.out) writeFileSync(String(o.out), json);
  else console.log(json);
  console.error(`mean AUC ${r.meanAuc.toFixed(3)} over ${n} volumes${o.out ? `; ${o.out}` : ''}`);
  engine.destroy();
  return 0;
}
