// `biud generate [--checkpoint FILE] [--config tiny] --steps N [--beam K] [--out FILE]`: train the
// report decoder on the cohort's training CT→report pairs with the CT encoder frozen (from a BIUD
// checkpoint, or randomly initialised without one: the baseline a pretrained encoder must beat),
// then write reports for held-out volumes greedily and with beam search and score them: BLEU-4,
// ROUGE-L, label F1 (micro and macro) through the report labeler.
import { writeFileSync } from 'node:fs';
import { BiudError } from '../engine/errors.ts';
import { createNodeEngine } from '../engine/node.ts';
import type { Engine } from '../engine/engine.ts';
import { ParamStore } from '../engine/params.ts';
import { readSafetensors } from '../engine/safetensors.ts';
import { getConfig, type BiudConfig } from '../models/config.ts';
import { Biud } from '../models/biud.ts';
import { VisionEncoder } from '../models/vision-encoder.ts';
import { ReportTokenizer } from '../models/tokenize.ts';
import { diskAssets } from '../models/assets-node.ts';
import { loadIntoStore, storeToSafetensors } from '../models/train/checkpoint.ts';
import type { BiudData } from '../models/train/data.ts';
import { ReportGenerator, trainReportGenerator, evaluateReports } from '../models/report-gen.ts';
import { helpText, parseArgs, type OptionSpec } from './args.ts';
import { readFile } from 'node:fs/promises';

const spec: OptionSpec = {
  checkpoint: { type: 'string', help: 'BIUD checkpoint.safetensors whose CT encoder feeds the decoder (config and vocabulary come from it)' },
  config: { type: 'string', default: 'tiny', help: 'size config without a checkpoint: micro, tiny, small, base' },
  steps: { type: 'number', default: 300, help: 'decoder training steps' },
  batch: { type: 'number', help: "training batch (default the config's)" },
  lr: { type: 'number', default: 1e-3, help: 'peak learning rate (warm-up and cosine)' },
  beam: { type: 'number', default: 3, help: 'beam width for the second evaluation (1 = greedy only)' },
  n: { type: 'number', default: 64, help: 'held-out volumes to write reports for' },
  digest: { type: 'boolean', default: true, help: "teach the report's digest (finding sentences first, whole) instead of its truncated start (--no-digest)" },
  out: { type: 'string', help: 'write scores and sample reports to this JSON file' },
  save: { type: 'string', help: 'write the decoder weights to this safetensors file' },
};
const USAGE = 'biud generate [--checkpoint FILE] [--config tiny] [--steps N] [--beam K] [--n N] [--out FILE] [--save FILE]';

export interface LoadedEncoder {
  cfg: BiudConfig;
  tokenizer: ReportTokenizer;
  encoder: VisionEncoder;
  store: ParamStore;
  data: BiudData & { dispose?: () => void };
  source: string;
}

/** The CT encoder of a BIUD checkpoint (or a random one for `config`), its tokenizer and the cohort. */
export async function loadEncoder(e: Engine, checkpoint: string | undefined, configName: string): Promise<LoadedEncoder> {
  const assets = diskAssets();
  const { loadCohortData } = await import('../models/train/cohort-data.ts');
  if (checkpoint) {
    const bytes = new Uint8Array(await readFile(checkpoint).catch(() => { throw new BiudError(`cannot read ${checkpoint}`); }));
    const meta = readSafetensors(bytes, checkpoint).metadata;
    if (!meta.config) throw new BiudError(`${checkpoint}: no "config" in its metadata; is it a BIUD checkpoint (biud train)?`);
    const cfg = JSON.parse(meta.config) as BiudConfig;
    const tokenizer = await ReportTokenizer.fromBertIds(assets, meta.vocab ? JSON.parse(meta.vocab) : null);
    const model = new Biud(e, cfg, tokenizer.size, cfg.embedDim);
    loadIntoStore(model.store, bytes, checkpoint);
    const data = await loadCohortData(assets, cfg);
    return { cfg, tokenizer, encoder: model.ct, store: model.store, data, source: `${checkpoint} (step ${meta.step ?? '?'})` };
  }
  const cfg = getConfig(configName);
  const data = await loadCohortData(assets, cfg);
  const tokenizer = await ReportTokenizer.load(assets, cfg.text.vocab, [...data.ctReports, ...data.heldoutReports, ...data.xrayReports].map((r) => r.text));
  const store = new ParamStore(e, cfg.seed);
  const encoder = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
  store.finalize();
  return { cfg, tokenizer, encoder, store, data, source: `a randomly initialised ${cfg.name} CT encoder (no --checkpoint)` };
}

const pct = (x: number) => (100 * x).toFixed(1);

export async function run(argv: string[]): Promise<number> {
  const { options: o, help } = parseArgs(argv, spec);
  if (help) {
    console.log(helpText(USAGE, spec));
    return 0;
  }
  const e = await createNodeEngine();
  try {
    const L = await loadEncoder(e, o.checkpoint as string | undefined, o.config as string);
    const { cfg, tokenizer, encoder, data } = L;
    console.log(`encoder: ${L.source}; decoder ${cfg.decoder.width}×${cfg.decoder.depth}, ${cfg.decoder.maxLen} tokens, vocabulary ${tokenizer.size}`);
    const gen = ReportGenerator.forConfig(e, cfg, tokenizer);
    const steps = o.steps as number;
    const t0 = performance.now();
    const log = await trainReportGenerator({
      engine: e, encoder, generator: gen, data, cfg, steps, batch: o.batch as number | undefined, lr: o.lr as number, digest: o.digest as boolean,
      onProgress: (p) => console.log(`step ${String(p.step).padStart(String(steps).length)}/${steps}  loss ${p.loss.toFixed(4)}  ${p.stepMs.toFixed(0)} ms/step`),
    });
    const trainS = (performance.now() - t0) / 1000;
    if (o.save) {
      writeFileSync(o.save as string, await storeToSafetensors(gen.store, { format: 'pt', config: JSON.stringify(cfg), vocab: JSON.stringify(tokenizer.bertIds()) }));
      console.log(`decoder weights → ${o.save}`);
    }
    const items = data.heldout(o.n as number);
    const results: Record<string, unknown> = {};
    const beams = [1, ...((o.beam as number) > 1 ? [o.beam as number] : [])];
    let line = '';
    for (const beam of beams) {
      const t1 = performance.now();
      const r = await evaluateReports(e, encoder, gen, data, cfg, items, data.heldoutReports, { beam, digest: o.digest as boolean });
      const s = (performance.now() - t1) / 1000;
      const name = beam === 1 ? 'greedy' : `beam ${beam}`;
      console.log(`${name}: BLEU-4 ${pct(r.bleu4)}, ROUGE-L ${pct(r.rougeL)}, label F1 micro ${pct(r.labelF1.micro)} / macro ${pct(r.labelF1.macro)} on ${r.reports} held-out volumes (${s.toFixed(1)} s)`);
      console.log(`  e.g. generated: ${r.samples[0]?.generated}\n       reference: ${r.samples[0]?.reference}`);
      results[name] = { bleu4: r.bleu4, rougeL: r.rougeL, labelF1: r.labelF1, seconds: s, samples: r.samples.slice(0, 10) };
      line = `${name} BLEU-4 ${pct(r.bleu4)} ROUGE-L ${pct(r.rougeL)} label-F1 ${pct(r.labelF1.micro)}`;
    }
    if (o.out) {
      writeFileSync(o.out as string, JSON.stringify({ encoder: L.source, config: cfg.name, steps, digest: o.digest, trainSeconds: trainS, loss: log, ...results }, null, 2));
    }
    console.log(`decoder trained ${steps} steps in ${trainS.toFixed(0)} s, final loss ${log.at(-1)?.loss.toFixed(3)}; ${line}`);
    gen.dispose();
    L.data.dispose?.();
    L.store.destroy();
    return 0;
  } finally {
    e.destroy();
  }
}
