// Finding sentences of a batch, and which CTs each one describes (config `loss.sentences`).
//
// Zero-shot scores a CT against one-sentence texts ("Pleural effusion." / "No pleural
// effusion."), while RoCo contrasts whole reports: what tells a report from the others in a batch
// first is how many findings it lists, so the CT embedding learns "how abnormal" long before "which
// findings" (docs/biud-runs.md, prompt-directions). Here each finding sentence of the batch's
// reports is a text of its own, and every CT whose report agrees with what the sentence says is
// one of its positives: "No pleural effusion." describes every CT of the batch without one.
//
// A sentence's claims come from the labeler (models/text/labeler.ts: finding and certainty of
// each mention); a CT's side from its report's finding set, the labels RoCo's false negatives
// already use. A sentence always describes the CT whose report it came from.
import { findMentions } from './labeler.ts';
import { splitSentences } from './sentences.ts';
import { FINDINGS } from './findings.ts';
import { mulberry32, shuffle } from './rng.ts';

export interface SentenceTargets {
  /** Distinct finding sentences, at most `cap`. */
  sentences: string[];
  /** [B, cap] row-major, 1 where sentence s describes CT b (columns past sentences.length are 0). */
  agree: Uint8Array;
}

/**
 * `texts[b]`: what the report encoder reads of CT b's report; `labels[b]`: its finding set (0/1
 * per finding, FINDINGS order). Sentences that name no finding are left out; when there are more
 * than `cap` distinct ones, `cap` are drawn with `seed`.
 */
export function sentenceTargets(texts: readonly string[], labels: readonly ArrayLike<number>[], cap: number, seed: number): SentenceTargets {
  const B = texts.length;
  const found = new Map<string, { text: string; claims: { k: number; present: boolean }[]; from: Set<number> }>();
  texts.forEach((text, b) => {
    for (const span of splitSentences(text)) {
      const s = text.slice(span.start, span.end).trim();
      const key = s.toLowerCase();
      const seen = found.get(key);
      if (seen) {
        seen.from.add(b);
        continue;
      }
      // Present or uncertain counts as a finding, as in labelReport; absent as its negation;
      // a questioned or speculative mention claims neither.
      const claims = findMentions(s)
        .filter((m) => m.certainty === 'present' || m.certainty === 'uncertain' || m.certainty === 'absent')
        .map((m) => ({ k: FINDINGS.indexOf(m.finding), present: m.certainty !== 'absent' }));
      if (claims.length) found.set(key, { text: s, claims, from: new Set([b]) });
    }
  });
  let list = [...found.entries()];
  if (list.length > cap) list = shuffle(mulberry32(seed), list).slice(0, cap);
  const agree = new Uint8Array(B * cap);
  list.forEach(([, v], s) => {
    for (let b = 0; b < B; b++) {
      const ok = v.from.has(b) || v.claims.every((c) => (labels[b][c.k] ? 1 : 0) === (c.present ? 1 : 0));
      if (ok) agree[b * cap + s] = 1;
    }
  });
  return { sentences: list.map(([, v]) => v.text), agree };
}
