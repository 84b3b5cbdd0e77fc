// L_find's head read as a classifier (not zero-shot: the head was trained on the labeler's
// findings of the training reports): its held-out AUC per finding on the CT embeddings and on the
// held-out reports' own embeddings, beside zero-shot on the same volumes. Whether the CT embedding
// holds the findings, and whether the prompts find them there.
// args: checkpoint.safetensors
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { loadModel, embedTexts, embedCts, zeroShot } from '../../models/train/evaluate.ts';
import { auc } from '../../models/zero-shot.ts';
import { findingLogitsRef } from '../../models/losses.ts';
import { reportDigest } from '../../models/text/digest.ts';
import { FINDINGS } from '../../models/text/index.ts';

const e = await createNodeEngine();
const assets = diskAssets();
const m = await loadModel(e, assets, new Uint8Array(readFileSync(process.argv[2])));
const head = m.model.findingHead;
if (!head) throw new Error('this checkpoint has no finding_head (trained without --finding-loss)');
const W = (await head.weight.data()) as Float32Array, b = (await head.bias!.data()) as Float32Array;
const d = m.cfg.embedDim;
const data = await loadCohortData(assets, m.cfg);
const items = data.heldout(200);
const labels = items.map((it) => it.labels);
const digest = (t: string) => reportDigest(t, m.cfg.text.maxLen - 2, (s) => m.tokenizer.tokenCount(s));
const texts = items.map((it) => digest(data.heldoutReports[it.report].text));
const textEmb = await embedTexts(m, [...new Set(texts)]);
const rows = { ct: await embedCts(m, data, items), text: texts.map((t) => textEmb.get(t)!) };
// The head's margin z₁ − z₀ per finding of each row, its logits as findingLoss takes them.
const weightRows = Array.from({ length: 2 * FINDINGS.length }, (_, o) => W.subarray(o * d, (o + 1) * d));
const margins = (rs: Float32Array[]) => rs.map((r) => {
  const z = findingLogitsRef(r, weightRows, b);
  return FINDINGS.map((_, k) => z[2 * k + 1] - z[2 * k]);
});
const margin = { ct: margins(rows.ct), text: margins(rows.text) };
const zs = await zeroShot(m, data, items);
const mean = (a: number[]) => a.filter((x) => !Number.isNaN(x)).reduce((s, x, _, l) => s + x / l.length, 0);
const head_ = { ct: [] as number[], text: [] as number[] };
console.log(`${'finding'.padEnd(36)} head·CT head·report zero-shot`);
FINDINGS.forEach((f, k) => {
  const y = labels.map((l) => l[k]);
  head_.ct.push(auc(margin.ct.map((r) => r[k]), y));
  head_.text.push(auc(margin.text.map((r) => r[k]), y));
  console.log(`${f.padEnd(36)} ${head_.ct[k].toFixed(3)}  ${head_.text[k].toFixed(3)}       ${zs.auc[f].toFixed(3)}`);
});
console.log(`${'mean'.padEnd(36)} ${mean(head_.ct).toFixed(3)}  ${mean(head_.text).toFixed(3)}       ${zs.meanAuc.toFixed(3)}`);
