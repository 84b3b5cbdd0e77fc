// Prompt variants for zero-shot diagnosis on one checkpoint: the shipped one-sentence prompts, the
// same prompts set into training reports in place of what they say about the finding, and (as a
// ceiling, not zero-shot) per-finding prototypes of training-report embeddings.
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { loadModel, embedTexts, embedCts } from '../../models/train/evaluate.ts';
import { allPrompts, PROMPTS, auc, normalize as unit, averageEmbedding as mean } from '../../models/zero-shot.ts';
import { reportDigest } from '../../models/text/digest.ts';
import { FINDINGS, findMentions, splitSentences } from '../../models/text/index.ts';

const e = await createNodeEngine();
const assets = diskAssets();
const m = await loadModel(e, assets, new Uint8Array(readFileSync(process.argv[2])));
const K = Number(process.argv[3] ?? 32);
const data = await loadCohortData(assets, m.cfg);
const items = data.heldout(200);
const labels = items.map((it) => it.labels);
const tokens = (t: string) => m.tokenizer.tokenCount(t);
const digest = (t: string) => reportDigest(t, m.cfg.text.maxLen - 2, tokens);
const heldTexts = items.map((it) => digest(data.heldoutReports[it.report].text));
const heldEmb = await embedTexts(m, [...new Set(heldTexts)]);
const ctEmb = await embedCts(m, data, items);
const reps = { text: heldTexts.map((t) => heldEmb.get(t)!), ct: ctEmb };

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k], 0);

function scoreDirs(dirs: { pos: Float32Array; neg: Float32Array }[], rows: Float32Array[]) {
  return FINDINGS.map((_, f) => auc(rows.map((r) => dot(unit(r), dirs[f].pos) - dot(unit(r), dirs[f].neg)), labels.map((l) => l[f])));
}
function report(name: string, dirs: { pos: Float32Array; neg: Float32Array }[]) {
  const t = scoreDirs(dirs, reps.text), c = scoreDirs(dirs, reps.ct);
  const avg = (a: number[]) => a.filter((x) => !Number.isNaN(x)).reduce((s, x, _, l) => s + x / l.length, 0);
  console.log(`\n== ${name}: text-text ${avg(t).toFixed(3)}  ct-text ${avg(c).toFixed(3)}`);
  FINDINGS.forEach((f, k) => console.log(`  ${f.padEnd(36)} ${t[k].toFixed(3)} ${c[k].toFixed(3)}`));
}

// 1. The shipped prompts.
const single = await embedTexts(m, allPrompts());
report('one-sentence prompts', FINDINGS.map((f) => ({ pos: mean(PROMPTS[f].pos.map((p) => single.get(p)!)), neg: mean(PROMPTS[f].neg.map((p) => single.get(p)!)) })));

// 2. Prompts in report context: each of K training digests that mention the finding, with its
// sentences about the finding replaced (at the first one's place) by the prompt.
const train = data.ctReports.map((r) => digest(r.text));
function inContext(f: string, prompt: string, ctx: string[]): string[] {
  return ctx.map((t) => {
    const ms = findMentions(t).filter((mm) => mm.finding === f);
    const ss = splitSentences(t);
    const hit = ss.map((s) => ms.some((mm) => mm.start >= s.start && mm.end <= s.end));
    const out: string[] = [];
    let placed = false;
    ss.forEach((s, i) => {
      if (!hit[i]) out.push(t.slice(s.start, s.end));
      else if (!placed) {
        out.push(prompt);
        placed = true;
      }
    });
    if (!placed) out.push(prompt);
    return out.join(' ');
  });
}
const ctxDirs = [];
for (const f of FINDINGS) {
  const ctx = train.filter((t) => findMentions(t).some((mm) => mm.finding === f)).slice(0, K);
  const ctx2 = ctx.length >= 4 ? ctx : train.slice(0, K);
  const pos = PROMPTS[f].pos.flatMap((p) => inContext(f, p, ctx2));
  const neg = PROMPTS[f].neg.flatMap((p) => inContext(f, p, ctx2));
  const emb = await embedTexts(m, [...new Set([...pos, ...neg])]);
  ctxDirs.push({ pos: mean(pos.map((t) => emb.get(t)!)), neg: mean(neg.map((t) => emb.get(t)!)) });
}
report(`prompts in ${K} report contexts`, ctxDirs);

// 3. Ceiling (uses the training reports' labels): mean embedding of training digests with / without.
const trainEmb = await embedTexts(m, [...new Set(train)]);
report('label prototypes (not zero-shot)', FINDINGS.map((_, f) => {
  const withF = data.ctReports.map((r, i) => (r.labels[f] ? trainEmb.get(train[i])! : null)).filter((x): x is Float32Array => !!x);
  const without = data.ctReports.map((r, i) => (!r.labels[f] ? trainEmb.get(train[i])! : null)).filter((x): x is Float32Array => !!x);
  return { pos: mean(withF), neg: mean(without) };
}));
process.exit(0);
