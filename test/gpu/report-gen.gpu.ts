// The report decoder: a micro decoder overfits a handful of toy CT→report pairs (the loss falls,
// greedy decoding writes the training reports back), beam search with one beam is greedy, wider
// beams find hypotheses at least as likely, and decoding leaves no tensors behind.
import type { Engine } from '../../engine/index.ts';
import { ParamStore } from '../../engine/params.ts';
import { getConfig } from '../../models/config.ts';
import { VisionEncoder } from '../../models/vision-encoder.ts';
import { ReportTokenizer } from '../../models/tokenize.ts';
import { ReportGenerator, ctMemory, targetIds, teacherForcing, evaluateReports } from '../../models/report-gen.ts';
import { suite, assets, expectEqual, expectTrue, expectThrows, CheckError } from './harness.ts';
import { toyData } from './toy-data.ts';

async function setup(e: Engine) {
  const cfg = getConfig('micro');
  const data = toyData();
  const tok = await ReportTokenizer.load(assets, 'sub', [...data.ctReports, ...data.heldoutReports].map((r) => r.text));
  const encStore = new ParamStore(e, 11);
  const encoder = new VisionEncoder(encStore, 'ct_encoder', cfg.ct, cfg.embedDim);
  encStore.finalize();
  // Four pairs with different finding sets (so different reports and volumes).
  const items = [0, 5, 10, 15].map((r) => ({ volumeSeed: 500 + r, labels: data.ctReports[r].labels, report: r }));
  const texts = items.map((it) => data.ctReports[it.report].text);
  const memory = e.keep(e.scope(() => ctMemory(encoder, data.renderCt(e, items, cfg))));
  e.flush(); // submitted before a test may destroy the encoder's slab
  return { cfg, data, tok, encStore, encoder, items, texts, memory };
}

suite('report-gen', (test) => {
  test('teacher forcing shifts by one and ignores padding', async (e) => {
    const { tok, encStore, memory, texts } = await setup(e);
    const tf = teacherForcing(tok, texts.slice(0, 1), 32);
    const want = targetIds(tok, texts[0], 32);
    expectEqual(tf.ids[0], tok.clsId, 'input starts with [CLS]');
    expectEqual(Array.from(tf.labels.slice(0, want.length)), want, 'labels are the next tokens');
    expectEqual(tf.labels[want.length], tok.sepId, 'then [SEP]');
    expectTrue(tf.labels.slice(want.length + 1).every((l) => l === -100), 'then ignored padding');
    expectEqual(Array.from(tf.ids.slice(1, want.length + 1)), want, 'inputs are the tokens after [CLS]');
    memory.dispose();
    encStore.destroy();
  });

  test('a micro decoder overfits four CT→report pairs; greedy writes them back; beam 1 = greedy', async (e) => {
    const { cfg, data, tok, encStore, encoder, items, texts, memory } = await setup(e);
    const gen = ReportGenerator.forConfig(e, cfg, tok);
    try {
      const first = await gen.evalLoss(memory, texts);
      const losses: number[] = [];
      const t0 = performance.now();
      for (let s = 0; s < 150; s++) {
        const l = gen.trainStep(memory, texts, 3e-3, { weightDecay: 0 });
        if (s % 25 === 24) losses.push(await l.item());
        l.dispose();
      }
      const trainMs = performance.now() - t0;
      const last = await gen.evalLoss(memory, texts);
      expectTrue(Number.isFinite(first) && last < 0.1 * first && last < 0.2, `loss ${first.toFixed(3)} → ${last.toFixed(4)} (logged ${losses.map((l) => l.toFixed(3)).join(', ')}): expected a fall to under a tenth and under 0.2`);

      const live = e.memory().liveTensors;
      const t1 = performance.now();
      const greedy = await gen.greedy(memory);
      const greedyMs = performance.now() - t1;
      expectEqual(e.memory().liveTensors, live, 'greedy decoding leaves no tensors behind');
      items.forEach((it, i) => {
        const want = targetIds(tok, texts[i], cfg.decoder.maxLen);
        if (JSON.stringify(greedy.ids[i]) !== JSON.stringify(want)) {
          throw new CheckError(`greedy for item ${i}: "${tok.decode(greedy.ids[i])}", expected the training report "${tok.decode(want)}"`);
        }
      });

      const beam1 = await gen.beamSearch(memory, { beam: 1 });
      expectEqual(beam1.ids, greedy.ids, 'beam search with beam 1 gives greedy ids');
      beam1.logProb.forEach((lp, i) => expectTrue(Math.abs(lp - greedy.logProb[i]) < 1e-6, `beam-1 log p ${lp} = greedy ${greedy.logProb[i]}`));

      const beam3 = await gen.beamSearch(memory, { beam: 3, lengthPenalty: 0 });
      expectEqual(e.memory().liveTensors, live, 'beam search leaves no tensors behind');
      // With α = 0, beam search ranks by log p: its pick is at least as likely as greedy's here,
      // where greedy's hypothesis is never pruned (it is the training report and the model is sure).
      beam3.logProb.forEach((lp, i) => expectTrue(lp >= greedy.logProb[i] - 1e-6, `beam-3 log p ${lp} ≥ greedy ${greedy.logProb[i]} (item ${i})`));
      expectEqual(beam3.ids, greedy.ids, 'an overfit model: beam 3 agrees with greedy');

      // The scores of its own training reports are perfect.
      const ev = await evaluateReports(e, encoder, gen, data, cfg, items, data.ctReports, { beam: 2, digest: false }); // trained on the texts as they are
      expectTrue(ev.bleu4 > 0.999 && ev.rougeL > 0.999 && ev.labelF1.micro === 1, `BLEU-4 ${ev.bleu4}, ROUGE-L ${ev.rougeL}, label F1 ${ev.labelF1.micro} on the training pairs`);
      console.log(`report-gen micro: loss ${first.toFixed(3)} → ${last.toFixed(4)} in 150 steps (${(trainMs / 150).toFixed(1)} ms/step); greedy ${greedyMs.toFixed(0)} ms for 4 reports`);
    } finally {
      gen.dispose();
      memory.dispose();
      encStore.destroy();
    }
  });

  test('bad input: maxTokens and beam width', async (e) => {
    const { cfg, tok, encStore, memory } = await setup(e);
    const gen = ReportGenerator.forConfig(e, cfg, tok);
    try {
      await expectThrows(() => gen.greedy(memory, { maxTokens: cfg.decoder.maxLen }), /maxTokens 32 must be in \[1, 31\]/, 'maxTokens over maxLen − 1');
      await expectThrows(() => gen.beamSearch(memory, { beam: 0 }), /beam must be a positive integer/, 'beam 0');
    } finally {
      gen.dispose();
      memory.dispose();
      encStore.destroy();
    }
  });
});
