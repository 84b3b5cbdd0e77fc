// What the zero-shot score of each finding shares with the others. The score of finding k is
// r·(pos_k − neg_k), r the unit CT embedding, pos_k and neg_k the unit-averaged embeddings of
// "{finding}." and "No {finding}." (models/zero-shot.ts; the softmax of the two cosines ranks the
// volumes the same way). If the 18 differences share one direction (what "No" does to a
// sentence), every score is mostly one "abnormal or not" score. Prints the mean AUC with the
// plain directions, with their shared mean taken out of each (no labels used), and with each
// volume's 18 scores centred; and how much of the score matrix one component explains.
// A measurement, not a test.
//
//   node dist/prompt-directions.mjs runs/BASE/checkpoint.safetensors
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { loadModel, embedTexts, embedCts } from '../../models/train/evaluate.ts';
import { PROMPTS, auc, normalize as unit, averageEmbedding as mean } from '../../models/zero-shot.ts';
import { FINDINGS } from '../../models/text/index.ts';

const e = await createNodeEngine();
const assets = diskAssets();
const m = await loadModel(e, assets, new Uint8Array(readFileSync(process.argv[2])));
const data = await loadCohortData(assets, m.cfg);
const items = data.heldout(Number(process.env.N ?? 200));
const labels = items.map((it) => it.labels);
const ct = (await embedCts(m, data, items)).map(unit);
const prompts = await embedTexts(m, FINDINGS.flatMap((f) => [...PROMPTS[f].pos, ...PROMPTS[f].neg]));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k], 0);
const dir = (ps: string[]) => unit(mean(ps.map((p) => unit(prompts.get(p)!))));
const diffs = FINDINGS.map((f) => dir(PROMPTS[f].pos).map((x, i) => x - dir(PROMPTS[f].neg)[i]));
const shared = diffs.reduce((acc, d) => acc.map((x, i) => x + d[i] / diffs.length), new Float32Array(diffs[0].length));
const avg = (a: number[]) => a.filter((x) => !Number.isNaN(x)).reduce((s, x, _, l) => s + x / l.length, 0);
const aucs = (score: (v: number, k: number) => number) => FINDINGS.map((_, k) => auc(ct.map((_, v) => score(v, k)), labels.map((l) => l[k])));
const show = (name: string, a: number[]) => console.log(`${name.padEnd(34)} ${avg(a).toFixed(3)}  ${a.map((x) => x.toFixed(2)).join(' ')}`);

const S = ct.map((r) => diffs.map((d) => dot(r, d)));
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));
console.log(`|shared| / mean |difference| = ${(norm(shared) / avg(diffs.map(norm))).toFixed(3)}`);
// Cosine of each finding's difference with the shared one.
console.log(`cos(difference, shared): ${diffs.map((d) => (dot(d, shared) / norm(d) / norm(shared)).toFixed(2)).join(' ')}`);
// Share of the scores' variance (over volumes and findings, each finding's column centred) along
// the volumes' mean score: how much of the matrix is one "abnormal" number per volume.
const colMean = FINDINGS.map((_, k) => avg(S.map((row) => row[k])));
const C = S.map((row) => row.map((x, k) => x - colMean[k]));
const rowMean = C.map((row) => avg(row));
const total = C.flat().reduce((s, x) => s + x * x, 0);
const along = rowMean.reduce((s, x) => s + FINDINGS.length * x * x, 0);
console.log(`variance along each volume's mean score: ${(100 * along / total).toFixed(1)}%`);

show('plain (the engine\'s zero-shot)', aucs((v, k) => S[v][k]));
const less = diffs.map((d) => d.map((x, i) => x - shared[i]));
show('shared direction taken out', aucs((v, k) => dot(ct[v], less[k])));
show('each volume\'s scores centred', aucs((v, k) => S[v][k] - avg(S[v])));
show('the shared score alone', aucs((v) => dot(ct[v], shared)));
process.exit(0);
