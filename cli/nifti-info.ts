// `biud nifti-info FILE [--json]`: what a NIfTI volume holds, as stored (before reorientation).
import { readFile } from 'node:fs/promises';
import { BiudError } from '../engine/errors.ts';
import { parseArgs, helpText, type OptionSpec } from './args.ts';
import { readNifti, volumeStats } from '../models/data/nifti.ts';
import { chestMetrics } from '../models/data/chest-check.ts';

const spec: OptionSpec = {
  json: { type: 'boolean', help: 'print one JSON object instead of a summary' },
};
const usage = 'biud nifti-info FILE.nii[.gz] [--json]';

export async function run(args: string[]): Promise<number> {
  const a = parseArgs(args, spec);
  if (a.help) { console.log(helpText(usage, spec)); return 0; }
  if (a.positionals.length !== 1) throw new BiudError(`expected one file\n\n${helpText(usage, spec)}`);
  const file = a.positionals[0];
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new BiudError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const vol = await readNifti(bytes, { name: file });
  const s = volumeStats(vol.data);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const info = {
    file,
    dims: vol.dims,
    spacing: vol.spacing.map((x) => Math.round(x * 1e6) / 1e6),
    orientation: vol.orientation,
    datatype: vol.datatype,
    min: round(s.min),
    max: round(s.max),
    mean: round(s.mean),
    ...(vol.warnings.length ? { warnings: vol.warnings } : {}),
  };
  if (a.options.json) {
    console.log(JSON.stringify(info));
    return 0;
  }
  const h = vol.header;
  const m = chestMetrics(vol);
  const mm = vol.dims.map((d, i) => (d * vol.spacing[i]).toFixed(0));
  const lines = [
    `${file}`,
    `  dims         ${vol.dims.join(' × ')}  (${mm.join(' × ')} mm)`,
    `  spacing      ${info.spacing.join(' × ')} mm`,
    `  datatype     ${vol.datatype}${h.littleEndian ? '' : ', big-endian'}, scl_slope ${h.sclSlope}, scl_inter ${h.sclInter}`,
    `  orientation  ${vol.orientation} (from the ${vol.affineSource}; qform_code ${h.qformCode}, sform_code ${h.sformCode})`,
    `  affine       ${affineRows(vol.affine).join('\n               ')}`,
    `  values       min ${info.min}, max ${info.max}, mean ${info.mean.toFixed(1)} HU`,
    `  chest check  ${(100 * m.lungFraction).toFixed(1)}% aerated lung inside the body, ${m.zExtentMm.toFixed(0)} mm head-foot`,
    ...vol.warnings.map((w) => `  warning: ${w}`),
  ];
  if (h.descrip) lines.splice(1, 0, `  description  ${h.descrip}`);
  console.log(lines.join('\n'));
  return 0;
}

function affineRows(a: Float64Array): string[] {
  return [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => a[4 * c + r].toFixed(3).padStart(9)).join(' '));
}
