// `biud eval --checkpoint FILE [--reports CSV [--volumes DIR]] [--out FILE]`: zero-shot AUC per
// finding and their mean, on the held-out cohort (procedural volumes paired with held-out
// reports) or, with --reports, on a cohort built from every report of that CSV (its label
// vectors; none of its reports need have been seen in training), or, with --volumes as well, on
// the real NIfTI volumes of DIR, each labelled by its report row (models/data/volume-reports.ts).
// The checkpoint carries its config and vocabulary.
import { writeFileSync } from 'node:fs';
import { BiudError } from '../engine/errors.ts';
import { createNodeEngine } from '../engine/node.ts';
import { diskAssets } from '../models/assets-node.ts';
import { loadCohortData } from '../models/train/cohort-data.ts';
import { loadModel, zeroShot, zeroShotVolumes, type EvalModel } from '../models/train/evaluate.ts';
import { helpText, parseArgs, readInput, type OptionSpec } from './args.ts';
import { aucTable, zeroShotJson } from './train-job.ts';
import { readVolumeFolder } from './volume-folder.ts';

const spec: OptionSpec = {
  checkpoint: { type: 'string', help: 'checkpoint.safetensors written by biud train' },
  reports: { type: 'string', help: 'CT-RATE-format CSV: evaluate on volumes made from its label vectors, paired with its reports' },
  volumes: { type: 'string', help: 'a folder of real NIfTI CTs (.nii, .nii.gz) named by the --reports rows (train_1.nii.gz or train_1_a_1.nii.gz for AccessionNo train_1): evaluate on them instead, labelled by their rows (hand labels, else the labeler)' },
  n: { type: 'number', help: "held-out volumes (default: the config's; with --reports, as many as the CSV has reports, drawn from them)" },
  out: { type: 'string', help: 'write the JSON here (default: print it)' },
  seed: { type: 'number', help: "seed of the evaluation patients (default: the checkpoint config's, as biud train evaluates)" },
};
const USAGE = 'biud eval --checkpoint FILE [--reports CSV [--volumes DIR]] [--out FILE]';

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
  if (o.volumes) {
    if (!csv) throw new BiudError(`--volumes needs --reports CSV: the volumes' reports (AccessionNo, report_text, and hand labels if there are any)\n${USAGE}`);
    const code = await evalVolumes(m, String(o.volumes), csv, String(o.reports), o.out as string | undefined, String(o.checkpoint));
    engine.destroy();
    return code;
  }
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

/** Zero-shot on the real volumes of `dir`, each labelled by its report row. */
async function evalVolumes(m: EvalModel & { step: number }, dir: string, csv: Uint8Array, csvName: string, out: string | undefined, checkpoint: string): Promise<number> {
  const { volumes, labelSources } = readVolumeFolder(dir, csv, csvName);
  console.error(`zero-shot: ${m.cfg.name} checkpoint of step ${m.step} on ${volumes.length} real volumes from ${dir} (labels: ${labelSources.join(', ')})…`);
  const r = await zeroShotVolumes(m, volumes);
  for (const s of r.skipped) console.error(`${s.name}: skipped: ${s.reason}`);
  for (const { item, warnings } of r.embedded) if (warnings.length) console.error(`${item.name}: ${warnings.join('; ')}`);
  console.error(aucTable(r));
  const json = JSON.stringify({
    checkpoint, step: m.step, config: m.cfg.name,
    volumes: r.embedded.map(({ item, warnings }) => ({ file: item.name, accession: item.report.accession, labels: item.report.labelSource, warnings })),
    skipped: r.skipped,
    ...zeroShotJson(r, r.embedded.map((x) => x.item.labels)),
  }, null, 1);
  if (out) writeFileSync(out, json);
  else console.log(json);
  console.error(`mean AUC ${r.meanAuc.toFixed(3)} over ${r.embedded.length} real volumes${r.skipped.length ? ` (${r.skipped.length} skipped)` : ''}${out ? `; ${out}` : ''}`);
  return 0;
}
