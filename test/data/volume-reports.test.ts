// Real volumes find their report rows by file name, as CT-RATE names them.
import { describe, it, expect } from 'vitest';
import { niftiStem, pairVolumesWithReports } from '../../models/data/volume-reports.ts';

describe('pairing volumes with report rows', () => {
  it('strips .nii and .nii.gz (any case) and ignores other files', () => {
    expect(niftiStem('train_1_a_1.nii.gz')).toBe('train_1_a_1');
    expect(niftiStem('dir/sub/valid_7.NII')).toBe('valid_7');
    expect(niftiStem('reports.csv')).toBeNull();
    expect(niftiStem('.nii.gz')).toBeNull();
  });

  it('a row owns its own name and every reconstruction of it; the longest AccessionNo wins', () => {
    const reports = [{ accession: 'train_1' }, { accession: 'train_12' }, { accession: 'train_1_a' }, { accession: 'valid_3' }];
    const files = ['train_1.nii.gz', 'train_1_b_2.nii.gz', 'train_1_a_1.nii.gz', 'train_12_a_1.nii', 'train_2_a_1.nii.gz', 'valid_30_a_1.nii.gz', 'notes.txt'];
    const { pairs, unmatched } = pairVolumesWithReports(files, reports);
    expect(pairs.map((p) => [p.file, p.report.accession])).toEqual([
      ['train_1.nii.gz', 'train_1'],
      ['train_1_b_2.nii.gz', 'train_1'],
      ['train_1_a_1.nii.gz', 'train_1_a'],
      ['train_12_a_1.nii', 'train_12'],
    ]);
    // train_2 has no row; valid_30 is not valid_3 (a prefix must end at an "_").
    expect(unmatched).toEqual(['train_2_a_1.nii.gz', 'valid_30_a_1.nii.gz']);
  });
});
