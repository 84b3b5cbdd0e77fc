// The trainer end to end on `micro` with the toy data: the loss falls and memory stays flat, a
// resumed run equals an uninterrupted one, a NaN stops the run naming step and term with the
// last good checkpoint kept, a checkpoint for another config lists its mismatches, and a lost
// device is survived (new engine, last checkpoint, same end).
import type { Engine } from '../../engine/index.ts';
import { DeviceLostError } from '../../engine/errors.ts';
import { getConfig, type BiudConfig } from '../../models/config.ts';
import { Biud } from '../../models/biud.ts';
import { Trainer, NonFiniteLossError, type Progress } from '../../models/train/trainer.ts';
import { trainWithRecovery } from '../../models/train/recover.ts';
import { MODEL_FILE, loadIntoStore, type CheckpointSink } from '../../models/train/checkpoint.ts';
import { readSafetensors, toFloat32 } from '../../engine/safetensors.ts';
import type { Assets } from '../../models/assets.ts';
import type { BiudData } from '../../models/train/data.ts';
import { suite, assets, engines, expectTrue, expectThrows, expectClose, expectEqual, CheckError } from './harness.ts';
import { toyData } from './toy-data.ts';
import { PRETRAINED_EXPERT, XrayExpert } from '../../models/xray-expert.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { ReportTokenizer } from '../../models/tokenize.ts';

const repoAssets: Assets = { read: (p) => assets.read(p) };
const ALL = { roco: true, distill: true, efm: true };

function memorySink(): CheckpointSink & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return { where: 'memory', files, async write(name, bytes) { files.set(name, bytes.slice()); }, async read(name) { return files.get(name)?.slice() ?? null; } };
}

function micro(steps: number, over: Parameters<typeof getConfig>[1] = {}): BiudConfig {
  return getConfig('micro', { ...over, train: { steps, logEvery: 5, checkpointEvery: 5, warmup: 2, ...(over.train ?? {}) }, expert: { steps: 6, ...(over.expert ?? {}) } });
}

async function params(t: Trainer): Promise<Float32Array> {
  const m = await t.model.store.read();
  const out: number[] = [];
  for (const [, v] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) out.push(...v.data);
  return Float32Array.from(out);
}

suite('trainer', (test) => {
  test('a micro run: the loss falls and live GPU memory is flat after warm-up', async (e) => {
    const history: Progress[] = [];
    const t = await Trainer.create({ engine: e, assets: repoAssets, data: toyData(), config: micro(60, { train: { lr: 3e-3 } }), switches: ALL, onProgress: (p) => p.phase === 'biud' && history.push(p) });
    try {
      await t.run();
      const total = history.map((p) => p.losses.total!);
      const first = total[0], last = total.at(-1)!;
      expectTrue(total.every(Number.isFinite), `losses not finite: ${total}`);
      expectTrue(last < 0.8 * first, `total loss did not fall: ${total.map((v) => v.toFixed(3)).join(' → ')}`);
      const live = history.slice(1).map((p) => p.memory.liveBytes);
      expectTrue(Math.max(...live) === Math.min(...live), `live bytes grew over the run: ${live.join(', ')}`);
      const r = await t.evaluate();
      expectTrue(Number.isFinite(r.meanAuc), 'zero-shot gives a mean AUC');
    } finally {
      t.dispose();
    }
  });

  test('the distillation schedule: off before distillFrom, half weight mid-ramp, then full', async (e) => {
    const history: Progress[] = [];
    const config = micro(6, { loss: { distillFrom: 3, distillRamp: 2 }, train: { logEvery: 1 } });
    const t = await Trainer.create({ engine: e, assets: repoAssets, data: toyData(), config, switches: ALL, onProgress: (p) => p.phase === 'biud' && history.push(p) });
    try {
      await t.run();
      expectEqual(history.length, 6, 'one report per step');
      const L = config.loss;
      history.forEach((p, s) => {
        const { total, roco, efm, pair, rel } = p.losses as Record<string, number>;
        expectTrue(pair > 0 && rel > 0, `step ${s}: the distillation terms are computed and logged while off (${pair}, ${rel})`);
        const f = s < 3 ? 0 : s === 3 ? 0.5 : 1;
        expectClose([total], [roco + L.efm * efm + f * (L.pair * pair + L.rel * rel)], `step ${s}: total with distillation factor ${f}`, 1e-4);
      });
    } finally {
      t.dispose();
    }
  });

  test('resume: 5 steps, a new trainer from the checkpoint, 5 more equals 10 straight (with fitted standardisation)', async (e) => {
    const sink = memorySink();
    const data = toyData();
    // Cell statistics and both standardisations on, so the fitted means and spreads must travel
    // with the checkpoint too; and a stem, as in `tiny`.
    const config = micro(10, { ct: { stats: { cell: [4, 4, 4] }, standardise: { voxels: true, stats: true }, stem: { channels: 4, size: [2, 2, 2] } } });
    const a = await Trainer.create({ engine: e, assets: repoAssets, data, config, switches: ALL, sink });
    await a.run(5);
    const ckpt = readSafetensors((await sink.read(MODEL_FILE))!, 'ckpt');
    expectTrue(JSON.parse(ckpt.metadata.step) === 5, 'checkpoint at step 5');
    for (const name of ['ct_encoder.patch_embed.input_norm.std', 'ct_encoder.patch_embed.stats_norm.std']) {
      const t = ckpt.tensors.get(name);
      expectTrue(!!t && toFloat32(t).some((u) => Math.abs(u - 1) > 1e-3), `${name} is in the checkpoint, fitted (not its initial ones)`);
    }
    a.dispose();
    const b = await Trainer.create({ engine: e, assets: repoAssets, data, config, switches: ALL, sink, resume: true });
    expectTrue(b.step === 5, `resumed at step ${b.step}, expected 5`);
    await b.run(10);
    const resumed = await params(b);
    b.dispose();
    const expert = (await sink.read('xray_expert.safetensors'))!;
    const c = await Trainer.create({ engine: e, assets: repoAssets, data, config, switches: ALL, expertWeights: expert });
    await c.run(10);
    const straight = await params(c);
    c.dispose();
    // Float atomics (scatter-add) may sum in another order: equal to rounding, not bit for bit.
    expectClose(resumed, straight, 'parameters after 10 steps, resumed vs straight', 1e-4, 1e-3);
  });

  test("resume with L_RoCo's queue: the queue travels with the optimiser state, so 5 + 5 steps equal 10", async (e) => {
    const sink = memorySink();
    const data = toyData();
    // micro's batch is 4: a queue of 3 batches is full by step 3 and has wrapped by step 5.
    const config = micro(10, { loss: { queue: 12 } });
    const a = await Trainer.create({ engine: e, assets: repoAssets, data, config, switches: ALL, sink });
    await a.run(5);
    a.dispose();
    const opt = readSafetensors((await sink.read('optimizer.safetensors'))!, 'optimizer');
    expectEqual(opt.tensors.get('queue.text')?.shape.join(), '12,' + config.embedDim, 'the queue is saved with the optimiser state');
    expectTrue(!toFloat32(opt.tensors.get('queue.reports')!).includes(-1), 'every slot filled by step 5');
    const b = await Trainer.create({ engine: e, assets: repoAssets, data, config, switches: ALL, sink, resume: true });
    await b.run(10);
    const resumed = await params(b);
    b.dispose();
    const c = await Trainer.create({ engine: e, assets: repoAssets, data, config, switches: ALL, expertWeights: (await sink.read('xray_expert.safetensors'))! });
    await c.run(10);
    const straight = await params(c);
    c.dispose();
    expectClose(resumed, straight, 'parameters after 10 steps with a queue, resumed vs straight', 1e-4, 1e-3);
  });

  test('a NaN loss stops the run at its step, names the term, and keeps the last good checkpoint', async (e) => {
    const sink = memorySink();
    const base = toyData();
    let step = 0;
    const data: BiudData = {
      ...base,
      trainBatch: (s, b) => ((step = s), base.trainBatch(s, b)),
      renderCt: (eng: Engine, items, cfg) => {
        const v = base.renderCt(eng, items, cfg);
        if (step < 7) return v;
        v.dispose();
        return eng.tensor(new Float32Array(items.length * cfg.ct.size.reduce((p, s) => p * s, 1)).fill(NaN), [items.length, 1, ...cfg.ct.size]);
      },
    };
    const t = await Trainer.create({ engine: e, assets: repoAssets, data, config: micro(20), switches: ALL, sink });
    try {
      let err: unknown = null;
      try {
        await t.run();
      } catch (x) {
        err = x;
      }
      if (!(err instanceof NonFiniteLossError)) throw new CheckError(`expected NonFiniteLossError, got ${err}`);
      expectTrue(err.step === 7, `stopped at step ${err.step}, expected 7`);
      expectTrue(/step 7/.test(err.message) && err.message.includes(err.term), `message names step and term: ${err.message}`);
      const meta = readSafetensors((await sink.read(MODEL_FILE))!, 'ckpt').metadata;
      expectTrue(meta.step === '5', `the kept checkpoint is from step ${meta.step}, expected 5`);
    } finally {
      t.dispose();
    }
  });

  test('a checkpoint for another config is refused, listing the mismatches', async (e) => {
    const sink = memorySink();
    const t = await Trainer.create({ engine: e, assets: repoAssets, data: toyData(), config: micro(2), switches: ALL, sink });
    await t.run(2);
    const vocab = t.tokenizer.size;
    t.dispose();
    const wider = new Biud(e, getConfig('micro', { ct: { width: 48, heads: 2 } }), vocab, 32);
    try {
      await expectThrows(() => loadIntoStore(wider.store, (sink.files.get(MODEL_FILE))!, MODEL_FILE), /ct_encoder\..*(shape|\[)/, 'mismatch lists the CT encoder tensors');
    } finally {
      wider.store.destroy();
    }
  });

  test('the shipped tiny X-ray expert loads into the tiny config with the shipped corpus vocabulary', async (e) => {
    const cfg = getConfig('tiny');
    const bytes = await repoAssets.read(PRETRAINED_EXPERT.tiny!);
    const meta = readSafetensors(bytes, 'shipped expert').metadata;
    const data = await loadCohortData(repoAssets, cfg);
    const tok = await ReportTokenizer.load(repoAssets, cfg.text.vocab, [...data.ctReports, ...data.heldoutReports, ...data.xrayReports].map((r) => r.text));
    expectEqual(JSON.parse(meta.vocab), tok.bertIds(), 'its vocabulary is the one a run on the shipped data builds');
    const x = new XrayExpert(e, cfg, tok.size);
    try {
      loadIntoStore(x.store, bytes, 'shipped expert');
    } finally {
      x.store.destroy();
    }
  });

  test("text init 'expert': the report encoder starts as the X-ray expert's text encoder; a mismatched config is refused", async (e) => {
    const t = await Trainer.create({ engine: e, assets: repoAssets, data: toyData(), config: micro(2, { text: { init: 'expert' } }), switches: ALL });
    try {
      const x = await t.expert.store.read(), m = await t.model.store.read();
      const copied = [...x.keys()].filter((k) => k.startsWith('xray_expert.text_encoder.'));
      expectTrue(copied.length > 10, `expert text tensors: ${copied.length}`);
      for (const k of copied) {
        const a = x.get(k)!.data, b = m.get(k.replace('xray_expert.', ''))!.data;
        expectTrue(a.length === b.length && a.every((v, i) => v === b[i]), `${k} copied to the report encoder`);
      }
      // The image side and the MLM head are not the expert's.
      const ctW = m.get('ct_encoder.blocks.0.attn.qkv.weight')!.data, xW = x.get('xray_expert.image_encoder.blocks.0.attn.qkv.weight')!.data;
      expectTrue(ctW.some((v, i) => v !== xW[i]), 'the CT encoder keeps its own initialisation');
    } finally {
      t.dispose();
    }
    await expectThrows(async () => getConfig('micro', { text: { init: 'expert', width: 48, heads: 2 } }), /differ in width \(48 vs 32\)/, 'a report encoder of another shape cannot start from the expert');
  });

  test('text sentences: a report is the mean of its sentences each read alone; a micro run trains on that layout', async (e) => {
    const history: Progress[] = [];
    const t = await Trainer.create({ engine: e, assets: repoAssets, data: toyData(), config: micro(12, { text: { sentences: true }, train: { lr: 3e-3 } }), switches: ALL, onProgress: (p) => p.phase === 'biud' && history.push(p) });
    try {
      await t.run();
      const total = history.map((p) => p.losses.total!);
      expectTrue(total.every(Number.isFinite) && total.length > 1, `losses finite: ${total}`);
      // Weights that are not at their initial state, so every part of the encoder matters.
      const sentences = ['Heart size is normal.', 'No pleural effusion.', 'A small nodule in the right upper lobe is observed.'];
      const report = sentences.join(' ');
      const emb = await t.embedTexts([report, ...sentences]);
      const mean = new Float32Array(t.cfg.embedDim);
      for (const s of sentences) emb.get(s)!.forEach((v, k) => (mean[k] += v / sentences.length));
      expectClose(emb.get(report)!, mean, 'the report embedding is the mean of its three sentences embedded alone', 5e-6);
      // The layout: three segments, positions restarting at each, nothing cut.
      const whole = t.tokenizer.encodeSentences(report, t.cfg.text.maxLen);
      const lengths = sentences.map((s) => t.tokenizer.encodeSentences(s, t.cfg.text.maxLen).length);
      expectEqual([whole.sentences, Math.max(...whole.segments), whole.length], [3, 3, lengths[0] + lengths[1] + lengths[2]], 'segments and length');
      expectEqual([whole.positions[lengths[0]], whole.positions[whole.length - 1]], [0, lengths[2] - 1], 'positions restart at each sentence');
      const poolSum = whole.pool.reduce((a, b) => a + b, 0);
      expectClose([poolSum], [1], 'pooling weights sum to 1', 1e-6);
      // Too long for the row: whole sentences while they fit, then the cut one, never past maxLen.
      const cut = t.tokenizer.encodeSentences(report, lengths[0] + lengths[1] + 4);
      expectEqual([cut.sentences, cut.length, cut.ids[cut.length - 1]], [3, lengths[0] + lengths[1] + 4, t.tokenizer.sepId], 'the third sentence cut to 2 tokens, still closed by [SEP]');
      expectClose([cut.pool.reduce((a, b) => a + b, 0)], [1], 'pooling weights of the cut layout sum to 1', 1e-6);
    } finally {
      t.dispose();
    }
  });

  // A micro run with extra loss terms on: each is logged (finite, > 0), and the logged total is
  // every term at its weight, so a term computed but left out of the total (or added twice) fails.
  const EXTRA = { sent: 'sentences', find: 'findings', findText: 'findingsText' } as const;
  async function expectExtraTermsInTotal(e: Engine, weights: Partial<Record<keyof typeof EXTRA, number>>): Promise<void> {
    const history: Progress[] = [];
    const terms = Object.keys(weights) as (keyof typeof EXTRA)[];
    const cfg = micro(4, { loss: Object.fromEntries(terms.map((t) => [EXTRA[t], weights[t]])) });
    const t = await Trainer.create({ engine: e, assets: repoAssets, data: toyData(), config: cfg, switches: ALL, onProgress: (p) => p.phase === 'biud' && history.push(p) });
    try {
      await t.run();
      const L = cfg.loss;
      for (const p of history) {
        const v = p.losses;
        for (const term of terms) expectTrue(Number.isFinite(v[term]) && v[term]! > 0, `step ${p.step}: ${term} logged: ${v[term]}`);
        const sum = v.roco! + L.efm * v.efm! + L.pair * v.pair! + L.rel * v.rel! + terms.reduce((a, term) => a + weights[term]! * v[term]!, 0);
        expectClose([v.total!], [sum], `step ${p.step}: total = roco + λ·efm + λ·pair + λ·rel + ${terms.map((term) => `${weights[term]}·${term}`).join(' + ')}`, 1e-4, 1e-4);
      }
    } finally {
      t.dispose();
    }
  }

  test('L_sent (loss.sentences): a micro run logs it, and the total is every term at its weight', async (e) => {
    await expectExtraTermsInTotal(e, { sent: 2 });
  });

  test('L_find (loss.findings, loss.findingsText): a micro run logs both sides, and the total is every term at its weight', async (e) => {
    await expectExtraTermsInTotal(e, { find: 2, findText: 0.5 });
  });

  test("a report encoder with a longer context than the expert's: each reads its own digest, and a run trains", async (e) => {
    // Toy reports lengthened past micro's 32 tokens by sentences that name no finding, which a
    // digest drops first.
    const toy = toyData();
    const normal = ' The trachea and both main bronchi are open. Heart contour and size are normal. Thoracic aorta diameter is normal.';
    const data = { ...toy, ctReports: toy.ctReports.map((r) => ({ ...r, text: r.text + normal })) };
    const history: Progress[] = [];
    const t = await Trainer.create({ engine: e, assets: repoAssets, data, config: micro(4, { text: { maxLen: 64 } }), switches: ALL, onProgress: (p) => p.phase === 'biud' && history.push(p) });
    try {
      const count = (s: string) => t.tokenizer.tokenCount(s);
      const full = data.ctReports.map((r) => r.text);
      expectTrue(full.every((s) => count(s) > 30 && count(s) <= 62), `the toy reports are between the two contexts: ${full.map(count)}`);
      expectEqual(t.ctInputs, full, 'the report encoder (64 tokens) reads each report whole');
      expectTrue(t.retrievalInputs.every((s, i) => count(s) <= 30 && s !== full[i] && !s.includes('trachea')), 'the expert (32 tokens) reads a digest without the normal sentences');
      expectEqual(t.model.store.get('text_encoder.embeddings.position_embeddings.weight').shape, [64, t.cfg.text.width], 'position embeddings for 64 tokens');
      await t.run();
      const total = history.map((p) => p.losses.total!);
      expectTrue(total.length > 0 && total.every(Number.isFinite), `losses finite: ${total}`);
    } finally {
      t.dispose();
    }
  });

  test('a lost device mid-run: a new engine, the last checkpoint, and the run finishes', async () => {
    const sink = memorySink();
    const made: Engine[] = [];
    const lost: string[] = [];
    let killed = false;
    const { trainer, recoveries } = await trainWithRecovery({
      makeEngine: async () => {
        const eng = await engines.create();
        made.push(eng);
        return eng;
      },
      options: {
        assets: repoAssets, data: toyData(), config: micro(15), switches: ALL, sink,
        onProgress: (p) => {
          if (p.phase === 'biud' && p.step === 10 && !killed) {
            killed = true;
            made[0].device.destroy(); // what a driver reset does to a tab
          }
        },
      },
      onLost: (err, from) => lost.push(`${err instanceof DeviceLostError}:${from}`),
    });
    try {
      expectTrue(recoveries === 1 && lost.join() === 'true:checkpoint', `one recovery from the checkpoint, got ${recoveries} (${lost})`);
      expectTrue(trainer.step === 15, `finished at step ${trainer.step}`);
      expectTrue(trainer.engine === made[1], 'the run finished on the new engine');
    } finally {
      trainer.dispose();
      made.slice(1).forEach((m) => m.destroy());
    }
  });
});
