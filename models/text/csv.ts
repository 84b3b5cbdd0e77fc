// RFC 4180 CSV: comma-separated, fields in double quotes may hold commas, newlines and "" for a
// quote. A record that cannot be parsed (an unterminated quote, text after a closing quote) is
// reported and parsing resumes on the line after the one where that record began, so one bad
// row costs only itself.
import { BiudError } from '../../engine/errors.ts';
import { decodeText, type ReadProblem } from './problems.ts';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
  problems: ReadProblem[];
}

/** Past this many bad records a file is not CSV; stop rather than resync forever. */
const MAX_PROBLEMS = 1000;

type Scan = { cells: string[]; end: number } | { error: string; at: number };

/** Reads one record starting at `pos`; `end` is the index just past its line break. */
function scanRecord(text: string, pos: number): Scan {
  const cells: string[] = [];
  let i = pos;
  for (;;) {
    let cell = '';
    if (text[i] === '"') {
      const open = i;
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { error: 'unterminated quoted field', at: open };
        cell += text.slice(i, q);
        if (text[q + 1] === '"') { cell += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      const c = text[i];
      if (i < text.length && c !== ',' && c !== '\n' && c !== '\r') {
        return { error: `unexpected ${JSON.stringify(c)} after a closing quote`, at: i };
      }
    } else {
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      cell = text.slice(i, j);
      if (cell.includes('"')) return { error: 'a quote inside an unquoted field', at: i + cell.indexOf('"') };
      i = j;
    }
    cells.push(cell);
    if (i >= text.length) return { cells, end: i };
    if (text[i] === ',') { i++; continue; }
    if (text[i] === '\r' && text[i + 1] === '\n') return { cells, end: i + 2 };
    return { cells, end: i + 1 };
  }
}

/** Start offsets of lines, so that an offset maps to a line number by binary search. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return lo + 1;
}

/** All records of a CSV text; blank lines are skipped. The first record is not treated specially. */
export function parseCsvRecords(text: string, source: string): { records: CsvRecord[]; problems: ReadProblem[] } {
  const starts = lineStarts(text);
  const records: CsvRecord[] = [];
  const problems: ReadProblem[] = [];
  let pos = 0;
  while (pos < text.length) {
    const line = lineOf(starts, pos);
    if (text[pos] === '\n' || text[pos] === '\r') { pos = text[pos] === '\r' && text[pos + 1] === '\n' ? pos + 2 : pos + 1; continue; }
    const r = scanRecord(text, pos);
    if ('cells' in r) { records.push({ line, cells: r.cells }); pos = r.end; continue; }
    problems.push({ source, where: `line ${lineOf(starts, r.at)}`, message: `${r.error} (record starting on line ${line} skipped)` });
    if (problems.length >= MAX_PROBLEMS) {
      problems.push({ source, where: `line ${line}`, message: `gave up after ${MAX_PROBLEMS} bad records` });
      break;
    }
    pos = line < starts.length ? starts[line] : text.length;
  }
  return { records, problems };
}

/** A CSV with a header row. Throws BiudError when there is no header at all. */
export function parseCsv(input: string | Uint8Array, source: string): CsvTable {
  const { records, problems } = parseCsvRecords(decodeText(input), source);
  if (records.length === 0) throw new BiudError(`${source}: no CSV header row${problems.length ? ` (${problems[0].message})` : ' (the file is empty)'}`);
  const [head, ...rest] = records;
  const header = head.cells.map((c) => c.trim());
  const good: CsvRecord[] = [];
  for (const r of rest) {
    if (r.cells.length === header.length) { good.push(r); continue; }
    problems.push({ source, where: `line ${r.line}`, message: `${r.cells.length} fields where the header has ${header.length}; row skipped` });
  }
  return { header, records: good, problems };
}

/** One CSV field, quoted only when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(',');
}
