// The CT-RATE report table: AccessionNo, report_text and, when hand-labelled, some or all of the
// 18 finding columns (0/1). Extra columns are ignored.
import { BiudError } from '../../engine/errors.ts';
import { parseCsv } from './csv.ts';
import { FINDINGS, NUM_FINDINGS } from './findings.ts';
import type { ReadProblem } from './problems.ts';

export interface CtReport {
  accession: string;
  text: string;
  /** 1-based CSV line where the row starts. */
  line: number;
  /** 0/1 per finding in FINDINGS order; 255 where the file has no column for that finding. */
  labels?: Uint8Array;
}

export interface CtReportTable {
  reports: CtReport[];
  /** Indices into FINDINGS of the label columns the file has (empty: unlabelled). */
  labelColumns: number[];
  problems: ReadProblem[];
}

export const LABEL_MISSING = 255;

function column(header: string[], name: string, source: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new BiudError(`${source}: missing column "${name}" (header: ${header.join(', ')})`);
  return i;
}

function parseLabel(cell: string): number | undefined {
  const v = cell.trim();
  if (v === '0' || v === '0.0') return 0;
  if (v === '1' || v === '1.0') return 1;
  return undefined;
}

/** Reads a CT-RATE-format CSV. Throws BiudError for a file with no usable header; skips bad rows. */
export function readCtRateCsv(input: string | Uint8Array, source = 'reports.csv'): CtReportTable {
  const table = parseCsv(input, source);
  const { header, problems } = table;
  const accCol = column(header, 'AccessionNo', source);
  const textCol = column(header, 'report_text', source);
  const labelCols = FINDINGS.map((f) => header.indexOf(f));
  const labelColumns = labelCols.flatMap((c, k) => (c >= 0 ? [k] : []));
  const reports: CtReport[] = [];
  for (const r of table.records) {
    const where = `line ${r.line}`;
    const accession = r.cells[accCol].trim();
    const text = r.cells[textCol];
    if (!accession) { problems.push({ source, where, message: 'empty AccessionNo; row skipped' }); continue; }
    if (!text.trim()) { problems.push({ source, where, message: `empty report_text for ${accession}; row skipped` }); continue; }
    const report: CtReport = { accession, text, line: r.line };
    if (labelColumns.length > 0) {
      const labels = new Uint8Array(NUM_FINDINGS).fill(LABEL_MISSING);
      const bad = labelColumns.find((k) => (labels[k] = parseLabel(r.cells[labelCols[k]]) ?? LABEL_MISSING) === LABEL_MISSING);
      if (bad !== undefined) {
        problems.push({ source, where, message: `"${FINDINGS[bad]}" is ${JSON.stringify(r.cells[labelCols[bad]])}, not 0 or 1; row skipped` });
        continue;
      }
      report.labels = labels;
    }
    reports.push(report);
  }
  return { reports, labelColumns, problems };
}
