// How much of what a CT shows its paired text still says, at each report-encoder context. The
// trainer gives the report encoder a digest of each report (models/text/digest.ts: whole
// sentences, those about a present finding first) that fits its context, and each training volume
// is rendered with its report's hand-labelled findings. A finding the digest dropped is in the
// volume but not in the text. This counts, over the 800 shipped reports, the hand-labelled
// positives that the labeler still finds in the digest, and the negated findings it keeps. A
// measurement, not a test; no GPU.
//
//   node dist/digest-coverage.mjs [CONTEXT ...]      (default 96 128 160 192)
import { diskAssets } from '../../models/assets-node.ts';
import { reportsFromCsv } from '../../models/data/cohort.ts';
import { ReportTokenizer } from '../../models/tokenize.ts';
import { reportDigest } from '../../models/text/digest.ts';
import { findMentions, labelReport } from '../../models/text/labeler.ts';
import { NUM_FINDINGS } from '../../models/text/findings.ts';

const assets = diskAssets();
const reports = reportsFromCsv(await assets.read('data/ct-reports/ct-rate-train.csv'), 'ct-rate-train.csv');
const tok = await ReportTokenizer.load(assets, 'sub', reports.map((r) => r.text));
const count = (t: string) => tok.tokenCount(t);
const negated = (text: string) => new Set(findMentions(text).filter((m) => m.certainty !== 'present' && m.certainty !== 'uncertain').map((m) => m.finding));

const contexts = process.argv.slice(2).map(Number);
console.log('context  whole reports  hand positives in the text  negated findings kept');
for (const T of contexts.length ? contexts : [96, 128, 160, 192]) {
  let whole = 0, pos = 0, posKept = 0, neg = 0, negKept = 0;
  for (const r of reports) {
    // What the trainer gives a report encoder of context T ([CLS] and [SEP] take two).
    const d = reportDigest(r.text, T - 2, count);
    if (d === r.text) whole++;
    const found = labelReport(d).labels;
    for (let k = 0; k < NUM_FINDINGS; k++) if (r.labels[k]) { pos++; if (found[k]) posKept++; }
    const before = negated(r.text), after = negated(d);
    neg += before.size;
    for (const f of before) if (after.has(f)) negKept++;
  }
  const pct = (a: number, b: number) => `${a}/${b} (${((100 * a) / b).toFixed(0)}%)`;
  console.log(`${String(T).padStart(7)}  ${pct(whole, reports.length).padStart(13)}  ${pct(posKept, pos).padStart(26)}  ${pct(negKept, neg).padStart(21)}`);
}
