// Guide: a short walk-through for teaching. Each step explains one idea and drives the other
// panels to the state it talks about ("Show me").
import { Panel } from './panel.ts';
import { h } from '../plot.ts';
import type { Lab } from '../lab.ts';

interface Step {
  title: string;
  text: string[];
  show: (lab: Lab) => void | Promise<void>;
}

const click = (selector: string) => (document.querySelector(selector) as HTMLElement | null)?.click();

const STEPS: Step[] = [
  {
    title: '1 · The X-ray expert',
    text: [
      'Chest X-rays come with millions of reports; chest CTs with far fewer. BIUD first trains an X-ray expert: a CLIP model that pulls each radiograph toward its own report and away from the others in the batch.',
      'The expert is then frozen. It is the teacher: what it knows about findings is passed on to the 3-D CT encoder. Press Start and watch its CLIP loss fall in the Training panel. (At tiny the repository ships an expert trained this way and loads it, saving ten minutes; set expert to “train here” in the Training panel to watch stage 1.)',
    ],
    show: (lab) => { lab.focus('training'); void lab.start(); },
  },
  {
    title: '2 · Retrieval pairs a CT with an X-ray',
    text: [
      'CTs and X-rays of the same patient are rare, so BIUD pairs them through language: the expert’s text encoder embeds the CT’s report and every X-ray report, and the closest X-ray report’s image becomes that CT’s teacher.',
      'The Retrieval panel shows the top matches for the selected CT, with their cosine similarities; the first is the teacher.',
    ],
    show: (lab) => { if (lab.data) lab.select(lab.data.trainBatch(0, lab.cfg.train.batch)[0]); lab.focus('retrieval'); },
  },
  {
    title: '3 · Distillation',
    text: [
      'Two terms pull the CT encoder toward the teacher: the pair loss (each CT’s feature toward its teacher X-ray’s expert feature) and the relation loss (the CT batch’s similarity structure toward the X-rays’ — the right matrix in Similarity matrix).',
      'The left matrix is the CT × report cosine of the batch: a good model lights up the diagonal.',
      'At tiny, distillation waits until step 40 and reaches full weight at step 80 (its losses are still drawn before then). From step 0 it pulled every CT toward what all the teachers share before contrast had told the CTs apart: the CT features collapsed and the contrastive loss sat at ln B for ~100 steps.',
    ],
    show: (lab) => { lab.focus('similarity'); void lab.similarity(); },
  },
  {
    title: '4 · False negatives and RoCo',
    text: [
      'Contrastive learning treats every other report in the batch as wrong. But two normal chests have near-identical reports: pushing them apart teaches the model nonsense. These are false negatives.',
      'RoCo finds them (same findings, or reports the expert embeds almost identically) and gives them soft targets instead of zero. The False negatives panel builds a batch full of duplicates; tick “rerun with RoCo off” to see plain CLIP push them apart.',
    ],
    show: (lab) => { lab.focus('false-negatives'); setTimeout(() => click('[data-panel=false-negatives] .btn-duplicates'), 50); },
  },
  {
    title: '5 · Entity-focused masking',
    text: [
      'The report encoder also learns by filling in blanks. Random masking mostly hides “the”, “and”, “is”; EFM hides the words that matter — findings, anatomy, size, side, negation — whole.',
      'The EFM panel shows a report with its masked tokens and what the model predicts there. Untick entity-focused to compare with random masking.',
    ],
    show: (lab) => lab.focus('efm'),
  },
  {
    title: '6 · Zero-shot diagnosis',
    text: [
      'No labels were used to train the CT encoder, yet it can diagnose: a CT is compared with “Pleural effusion is observed.” and “No pleural effusion.”; the closer prompt wins.',
      'The Zero-shot panel shows the AUC per finding on held-out CTs and the ROC curves, updated as training goes.',
    ],
    show: (lab) => { lab.focus('zero-shot'); void lab.evaluate(); },
  },
];

export class GuidePanel extends Panel {
  private index = 0;
  private body!: HTMLElement;

  protected mount(): void {
    this.index = Math.min(STEPS.length - 1, Number(this.params.step ?? 0) || 0);
    this.body = h('div', { class: 'guide' });
    this.element.append(this.body);
    this.render();
  }

  private go(i: number): void {
    this.index = Math.max(0, Math.min(STEPS.length - 1, i));
    this.setParam('step', this.index);
    this.render();
  }

  private render(): void {
    const s = STEPS[this.index];
    this.body.replaceChildren(
      h('div', { class: 'guide-steps' }, ...STEPS.map((x, i) => h('button', { class: `step-dot${i === this.index ? ' active' : ''}`, title: x.title, onclick: () => this.go(i) }, String(i + 1)))),
      h('h3', {}, s.title),
      ...s.text.map((p) => h('p', {}, p)),
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn', disabled: this.index === 0, onclick: () => this.go(this.index - 1) }, '← Back'),
        h('button', { class: 'btn btn-primary', onclick: () => void s.show(this.lab) }, 'Show me'),
        h('button', { class: 'btn', disabled: this.index === STEPS.length - 1, onclick: () => this.go(this.index + 1) }, 'Next →')),
    );
  }
}
