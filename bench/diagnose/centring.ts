// Zero-shot with and without centring: each CT embedding less the mean CT embedding of the cohort
// scored, each prompt embedding less the mean of the training reports' embeddings (no labels used).
// A measurement, not a test (bench/diagnose/README.md has what it gave).
//
//   node dist/centring.mjs runs/BASE/checkpoint.safetensors
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { loadModel, embedTexts, embedCts } from '../../models/train/evaluate.ts';
import { PROMPTS, auc, normalize as unit, averageEmbedding as mean } from '../../models/zero-shot.ts';
import { reportDigest } from '../../models/text/digest.ts';
import { FINDINGS } from '../../models/text/index.ts';

const e = await createNodeEngine();
const assets = diskAssets();
const m = await loadModel(e, assets, new Uint8Array(readFileSync(process.argv[2])));
const data = await loadCohortData(assets, m.cfg);
const items = data.heldout(200);
const labels = items.map((it) => it.labels);
const tokens = (t: string) => m.tokenizer.tokenCount(t);
const digest = (t: string) => reportDigest(t, m.cfg.text.maxLen - 2, tokens);
const ct = await embedCts(m, data, items);
const train = [...new Set(data.ctReports.map((r) => digest(r.text)))];
const trainEmb = await embedTexts(m, train);
const prompts = await embedTexts(m, FINDINGS.flatMap((f) => [...PROMPTS[f].pos, ...PROMPTS[f].neg]));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k], 0);
const sub = (a: Float32Array, b: Float32Array) => a.map((x, k) => x - b[k]);
// The plain mean of unit vectors (not re-normalised): what they share.
const centre = (rows: Float32Array[]) => rows.map(unit).reduce((acc, r) => acc.map((x, k) => x + r[k] / rows.length), new Float32Array(rows[0].length));
const ctMean = centre(ct);
const txMean = centre(train.map((t) => trainEmb.get(t)!));
console.log(`|mean CT| ${Math.sqrt(dot(ctMean, ctMean)).toFixed(3)}  |mean report| ${Math.sqrt(dot(txMean, txMean)).toFixed(3)}`);
const avg = (a: number[]) => a.filter((x) => !Number.isNaN(x)).reduce((s, x, _, l) => s + x / l.length, 0);
for (const [name, cc, tc] of [['plain', false, false], ['ct centred', true, false], ['text centred', false, true], ['both centred', true, true]] as const) {
  const rows = ct.map((r) => unit(cc ? sub(unit(r), ctMean) : r));
  const dir = (ps: string[]) => unit(mean(ps.map((p) => unit(tc ? sub(unit(prompts.get(p)!), txMean) : prompts.get(p)!))));
  const a = FINDINGS.map((f, k) => {
    const pos = dir(PROMPTS[f].pos), neg = dir(PROMPTS[f].neg);
    return auc(rows.map((r) => dot(r, pos) - dot(r, neg)), labels.map((l) => l[k]));
  });
  console.log(`${name.padEnd(14)} ${avg(a).toFixed(3)}  ${a.map((x) => x.toFixed(2)).join(' ')}`);
}
process.exit(0);
