// Which report row a real volume belongs to, by file name, the way CT-RATE names them: the row
// AccessionNo "train_1" owns "train_1.nii.gz" and every reconstruction "train_1_a_1.nii.gz",
// "train_1_b_2.nii", … (the longest AccessionNo that is the name or a prefix of it followed by "_").

/** A file name without its NIfTI extension (.nii or .nii.gz), or null for another kind of file. */
export function niftiStem(file: string): string | null {
  const base = file.split(/[\\/]/).pop()!;
  const m = /^(.*)\.nii(\.gz)?$/i.exec(base);
  return m && m[1] ? m[1] : null;
}

export interface VolumePairing<R> {
  /** Each NIfTI file with a report row, in the order of `files`. */
  pairs: { file: string; report: R }[];
  /** NIfTI files no row claims. */
  unmatched: string[];
}

/** Pair NIfTI files with report rows by AccessionNo; files that are not NIfTI are ignored. */
export function pairVolumesWithReports<R extends { accession: string }>(files: readonly string[], reports: readonly R[]): VolumePairing<R> {
  const byAccession = new Map(reports.map((r) => [r.accession, r]));
  const out: VolumePairing<R> = { pairs: [], unmatched: [] };
  for (const file of files) {
    const stem = niftiStem(file);
    if (stem === null) continue;
    // The stem itself, then each shorter prefix that ends before an "_".
    let report = byAccession.get(stem);
    for (let cut = stem.lastIndexOf('_'); !report && cut > 0; cut = stem.lastIndexOf('_', cut - 1)) report = byAccession.get(stem.slice(0, cut));
    if (report) out.pairs.push({ file, report });
    else out.unmatched.push(file);
  }
  return out;
}
