// A folder of real NIfTI CTs and the CSV of their reports, as `biud eval --volumes` and `biud
// train --volumes` both read it: each file paired with its row by CT-RATE's naming rule
// (models/data/volume-reports.ts), read only when its turn comes.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BiudError } from '../engine/errors.ts';
import { reportsFromCsv, type CohortReport } from '../models/data/cohort.ts';
import { pairVolumesWithReports } from '../models/data/volume-reports.ts';
import { labelledVolumes, type LabelledVolume } from '../models/train/evaluate.ts';
import { readInput } from './args.ts';

export interface VolumeFolder {
  volumes: (LabelledVolume & { report: CohortReport })[];
  /** Where the labels come from: hand, mixed, labeler. */
  labelSources: string[];
}

/** The volumes of `dir` that `csv` has a row for; files without one are named on stderr and left out. */
export function readVolumeFolder(dir: string, csv: Uint8Array, csvName: string): VolumeFolder {
  let files: string[];
  try {
    files = statSync(dir).isDirectory() ? readdirSync(dir).sort() : [];
  } catch (e) {
    throw new BiudError(`cannot read --volumes ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const reports = reportsFromCsv(csv, csvName);
  const { pairs, unmatched } = pairVolumesWithReports(files, reports);
  if (unmatched.length) console.error(`${unmatched.length} volume(s) have no row in ${csvName} and are left out: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', …' : ''}`);
  if (!pairs.length) {
    const what = unmatched.length ? `none of its ${unmatched.length} NIfTI volumes is named by` : 'no .nii or .nii.gz volumes, so none is named by';
    throw new BiudError(`${dir}: ${what} an AccessionNo of ${csvName} (AccessionNo train_1 owns train_1.nii.gz and train_1_a_1.nii.gz)`);
  }
  return {
    volumes: labelledVolumes(pairs, (file) => readInput(path.join(dir, file), 'volume')),
    labelSources: [...new Set(pairs.map((p) => p.report.labelSource))],
  };
}
