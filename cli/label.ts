// `biud label --reports FILE.csv --out OUT.csv`: label CT-RATE-format reports with the rule-based
// labeler; when the input carries hand labels, print P/R/F1 per finding and the macro-F1.
import { readFileSync, writeFileSync } from 'node:fs';
import { BiudError } from '../engine/errors.ts';
import { csvLine } from '../models/text/csv.ts';
import { readCtRateCsv } from '../models/text/ct-rate.ts';
import { FINDINGS } from '../models/text/findings.ts';
import { labelReport } from '../models/text/labeler.ts';
import { formatScores, scoreLabels } from '../models/text/metrics.ts';
import { summarizeProblems } from '../models/text/problems.ts';
import { helpText, parseArgs, type OptionSpec } from './args.ts';

const spec: OptionSpec = {
  reports: { type: 'string', help: 'CT-RATE-format CSV: AccessionNo, report_text, optional finding columns' },
  out: { type: 'string', help: 'where to write AccessionNo + the 18 finding columns (0/1)' },
  quiet: { type: 'boolean', default: false, help: 'print only the summary line' },
};

const USAGE = 'biud label --reports FILE.csv --out OUT.csv';

function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BiudError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export async function run(args: string[]): Promise<number> {
  const { options, help, positionals } = parseArgs(args, spec);
  if (help) { console.log(helpText(USAGE, spec)); return 0; }
  if (positionals.length) throw new BiudError(`unexpected argument "${positionals[0]}"\n\n${helpText(USAGE, spec)}`);
  const input = options.reports as string | undefined, out = options.out as string | undefined;
  if (!input || !out) throw new BiudError(`--reports and --out are both required\n\n${helpText(USAGE, spec)}`);
  const table = readCtRateCsv(readFile(input), input);
  if (table.problems.length) console.error(`${table.problems.length} row(s) skipped:\n${summarizeProblems(table.problems)}`);
  if (table.reports.length === 0) throw new BiudError(`${input}: no usable report rows`);
  const predicted = table.reports.map((r) => labelReport(r.text).labels);
  const lines = [csvLine(['AccessionNo', ...FINDINGS]), ...table.reports.map((r, i) => csvLine([r.accession, ...Array.from(predicted[i], String)]))];
  try {
    writeFileSync(out, lines.join('\n') + '\n');
  } catch (err) {
    throw new BiudError(`cannot write ${out}: ${(err as Error).message}`, { cause: err });
  }
  let summary = `labelled ${table.reports.length} reports -> ${out}`;
  if (table.labelColumns.length) {
    const scores = scoreLabels(predicted, table.reports.map((r) => r.labels!), table.labelColumns);
    if (!options.quiet) console.log(formatScores(scores));
    summary += `; macro-F1 ${scores.macroF1.toFixed(3)} over ${table.labelColumns.length} findings`;
  }
  if (table.problems.length) summary += `; ${table.problems.length} row(s) skipped`;
  console.log(summary);
  return 0;
}
