// False negatives: RoCo's corrections. In a contrastive batch every off-diagonal pair is a
// negative, yet two scans with the same findings (two normal chests, say) are not: CLIP's targets
// push them apart. RoCo finds such pairs (same finding set, or expert report embeddings above a
// cosine threshold) and gives them soft targets T = rownorm(I + F). Here: the corrections of past
// batches, and one batch examined closely, with the loss and the push on each corrected pair
// under RoCo on and off (the same batch, the same model; only the targets differ).
import { Panel } from './panel.ts';
import { AutoCanvas, COLORS, heatmap, h, fmt } from '../plot.ts';
import { falseNegatives, type Correction } from '../../models/train/batch.ts';
import type { CtItem } from '../../models/train/data.ts';
import type { CohortData } from '../../models/train/cohort-data.ts';
import type { VolumeData } from '../../models/train/volume-data.ts';
import { findingNames } from '../../models/data/cohort.ts';
import { mulberry32 } from '../../models/text/rng.ts';
import type { SimSnapshot } from '../lab.ts';

interface Inspected {
  label: string;
  items: CtItem[];
  targets: Float32Array;
  corrections: Correction[];
  sim: SimSnapshot | null;
}

const key = (l: ArrayLike<number>) => Array.from(l).join('');

/** A batch of B training volumes where at least half share one finding set (the commonest). */
export function duplicateBatch(data: CohortData | VolumeData, B: number, seed: number): CtItem[] {
  const rng = mulberry32(seed);
  const pool = data.trainingVolumes();
  const groups = new Map<string, number[]>();
  for (const v of pool) groups.set(key(v.labels), [...(groups.get(key(v.labels)) ?? []), v.id]);
  const largest = [...groups.values()].sort((a, b) => b.length - a.length)[0];
  const same = largest.slice().sort(() => rng() - 0.5).slice(0, Math.max(2, Math.floor(B / 2)));
  const others = pool.map((v) => v.id).filter((id) => !same.includes(id)).sort(() => rng() - 0.5).slice(0, B - same.length);
  return [...same, ...others].sort(() => rng() - 0.5).map((id) => data.trainingItem(id, rng));
}

/** Symmetric InfoNCE of logits S/τ against targets T (rows: CT→text, columns: text→CT). */
function infoNce(sim: Float32Array, n: number, tau: number, T: Float32Array): { loss: number; p: Float32Array } {
  const p = new Float32Array(n * n);
  let loss = 0;
  for (const dir of [0, 1]) {
    for (let i = 0; i < n; i++) {
      const at = (j: number) => (dir ? sim[j * n + i] : sim[i * n + j]) / tau;
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, at(j));
      let z = 0;
      for (let j = 0; j < n; j++) z += Math.exp(at(j) - m);
      for (let j = 0; j < n; j++) {
        const logp = at(j) - m - Math.log(z);
        const t = dir ? T[j * n + i] : T[i * n + j];
        loss -= t * logp;
        if (!dir) p[i * n + j] = Math.exp(logp);
      }
    }
  }
  return { loss: loss / (2 * n), p };
}

export class FalseNegativesPanel extends Panel {
  private summary!: HTMLElement;
  private inspectedEl!: HTMLElement;
  private pastEl!: HTMLElement;
  private matrix!: AutoCanvas;
  private inspected: Inspected | null = null;
  private rocoOff = false;
  private seed = 1;

  protected mount(): void {
    const lab = this.lab;
    const offBox = h('input', { type: 'checkbox', class: 'roco-off', onchange: (ev: Event) => { this.rocoOff = (ev.target as HTMLInputElement).checked; this.render(); } });
    this.summary = h('div', { class: 'caption' });
    const matrixBox = h('div', { class: 'chart chart-small fn-matrix' });
    this.inspectedEl = h('div', { class: 'fn-inspected' });
    this.pastEl = h('div', { class: 'fn-past' });
    this.element.append(
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn btn-duplicates', title: 'a batch where half the patients share one finding set', onclick: () => void this.inspectDuplicates() }, 'Batch with duplicates'),
        h('button', { class: 'btn', title: 'the last training batch', onclick: () => void this.inspectLatest() }, 'Latest batch'),
        h('label', { class: 'check', title: 'rerun the batch with plain CLIP targets (identity) to see what RoCo changes' }, offBox, 'rerun with RoCo off'),
      ),
      this.summary,
      h('div', { class: 'section-title' }, 'Targets of the inspected batch (rows: CTs, columns: reports)'),
      matrixBox,
      this.inspectedEl,
      h('div', { class: 'section-title' }, 'Corrections in training batches (newest first)'),
      this.pastEl,
    );
    this.matrix = new AutoCanvas(matrixBox, (ctx, w, hh) => this.drawTargets(ctx, w, hh));
    this.listen(lab.on('corrections', () => this.renderPast()));
    this.listen(lab.on('progress', () => this.renderPast()));
    this.renderPast();
    this.render();
  }

  private async inspectDuplicates(): Promise<void> {
    const lab = this.lab;
    if (!lab.data) return;
    const items = duplicateBatch(lab.data, lab.cfg.train.batch, this.seed++);
    await this.inspect(items, 'a batch built with duplicate finding sets');
  }

  private async inspectLatest(): Promise<void> {
    const t = this.lab.trainer;
    if (!t || t.step === 0) { this.inspectedEl.replaceChildren(this.note('no training batch yet: start training, or build a batch with duplicates')); return; }
    await this.inspect(this.lab.data.trainBatch(t.step - 1, this.lab.cfg.train.batch), `the batch of step ${t.step - 1}`, t.step - 1);
  }

  private async inspect(items: CtItem[], label: string, step = -1): Promise<void> {
    const lab = this.lab;
    const t = lab.trainer;
    // Without a trainer there are no expert report embeddings yet: only the same-findings rule applies.
    const fn = falseNegatives(step, items, lab.data.ctReports, t?.reportEmbeddings ?? null, t?.expertDim ?? 0, lab.cfg.loss);
    this.inspected = { label, items, targets: fn.targets, corrections: fn.corrections, sim: null };
    this.render();
    if (t) {
      try {
        const sim = await lab.gpu(() => lab.batchSimilarity(items, step, fn.corrections));
        if (this.inspected?.items === items) { this.inspected.sim = sim; this.render(); }
      } catch (e) {
        lab.log(`false negatives: ${(e as Error).message}`);
      }
    }
  }

  private targetsShown(): Float32Array | null {
    const x = this.inspected;
    if (!x) return null;
    if (!this.rocoOff) return x.targets;
    const n = x.items.length;
    const I = new Float32Array(n * n);
    for (let i = 0; i < n; i++) I[i * n + i] = 1;
    return I;
  }

  private drawTargets(ctx: CanvasRenderingContext2D, w: number, hh: number): void {
    const x = this.inspected;
    const T = this.targetsShown();
    if (!x || !T) {
      ctx.fillStyle = COLORS.dim;
      ctx.fillText('build a batch with duplicates, or inspect the latest batch', 8, hh / 2);
      return;
    }
    const n = x.items.length;
    const size = Math.min(hh - 8, 220);
    const cell = size / n;
    heatmap(ctx, 4, 4, cell, n, T, 0, 1);
    ctx.strokeStyle = 'rgba(255,255,255,0.6)';
    for (let i = 0; i < n; i++) ctx.strokeRect(4 + i * cell + 0.5, 4 + i * cell + 0.5, cell - 1, cell - 1);
    ctx.fillStyle = COLORS.text;
    ctx.textBaseline = 'top';
    const tx = size + 16;
    ctx.fillText(this.rocoOff ? 'RoCo off: T = I (plain CLIP)' : 'RoCo on: T = rownorm(I + F)', tx, 6);
    ctx.fillStyle = COLORS.dim;
    ctx.fillText(`${x.corrections.length} false-negative pair${x.corrections.length === 1 ? '' : 's'} in ${n}`, tx, 22);
    if (x.sim) {
      const on = infoNce(x.sim.sim, n, x.sim.tau, x.targets).loss;
      const off = infoNce(x.sim.sim, n, x.sim.tau, identity(n)).loss;
      ctx.fillStyle = COLORS.text;
      ctx.fillText(`L_RoCo with RoCo on:  ${fmt(on)}`, tx, 44);
      ctx.fillText(`L_RoCo with RoCo off: ${fmt(off)}`, tx, 60);
      ctx.fillStyle = COLORS.dim;
      ctx.fillText('same model, same batch; only the targets differ', tx, 78);
    } else if (!this.lab.trainer) {
      ctx.fillText('losses appear once a model exists (start training)', tx, 44);
    }
  }

  private render(): void {
    this.matrix?.redraw();
    const x = this.inspected;
    const el = this.inspectedEl;
    el.innerHTML = '';
    if (!x) return;
    el.dataset.count = String(x.corrections.length);
    el.append(h('div', { class: 'caption' }, `Inspecting ${x.label}: ${x.corrections.length} correction${x.corrections.length === 1 ? '' : 's'}`));
    const n = x.items.length;
    const p = x.sim ? infoNce(x.sim.sim, n, x.sim.tau, x.targets).p : null;
    const table = h('table', { class: 'table fn-table' },
      h('tr', {}, ...['pair', 'why', 'text sim', 'target', ...(p ? ['p(model)', this.rocoOff ? 'push (off)' : 'push (on)'] : []), 'findings', 'reports'].map((c) => h('th', {}, c))));
    for (const c of x.corrections) {
      const a = this.lab.data.ctReports[x.items[c.i].report], b = this.lab.data.ctReports[x.items[c.j].report];
      const pij = p ? p[c.i * n + c.j] : NaN;
      const push = pij - (this.rocoOff ? 0 : c.target);
      table.append(h('tr', { class: 'fn-row', title: `${a.text}\n—\n${b.text}` },
        h('td', {}, `${c.i} ↔ ${c.j}`),
        h('td', {}, h('span', { class: `tag tag-${c.reason}` }, c.reason)),
        h('td', {}, Number.isFinite(c.similarity) ? fmt(c.similarity) : '—'),
        h('td', {}, this.rocoOff ? '0' : fmt(c.target)),
        ...(p ? [h('td', {}, fmt(pij)), h('td', { class: push > 0.005 ? 'neg' : push < -0.005 ? 'pos' : '' }, push > 0.005 ? `apart ${fmt(push)}` : push < -0.005 ? `together ${fmt(-push)}` : '≈ 0')] : []),
        h('td', { class: 'small clip findings-cell', title: findingNames(x.items[c.i].labels).join(', ') || 'normal' }, findingNames(x.items[c.i].labels).join(', ') || 'normal'),
        h('td', { class: 'small clip' }, `${a.text.slice(0, 70)}… | ${b.text.slice(0, 70)}…`),
      ));
    }
    if (!x.corrections.length) table.append(h('tr', {}, h('td', { colspan: 8, class: 'dim' }, 'no false negatives in this batch')));
    el.append(table);
  }

  private renderPast(): void {
    const t = this.lab.trainer;
    const all = t?.corrections ?? [];
    const steps = new Set(all.map((c) => c.step));
    const reasons = all.reduce<Record<string, number>>((m, c) => ((m[c.reason] = (m[c.reason] ?? 0) + 1), m), {});
    this.summary.textContent = t
      ? `${all.length} corrections in ${steps.size} of ${t.step} batches · ${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(' · ') || 'none yet'}`
      : 'RoCo runs during training; you can build a batch with duplicates now.';
    this.pastEl.innerHTML = '';
    const recent = all.slice(-40).reverse();
    if (!recent.length) { this.pastEl.append(this.note('none yet')); return; }
    const B = this.lab.cfg.train.batch;
    const cache = new Map<number, CtItem[]>();
    const table = h('table', { class: 'table' }, h('tr', {}, ...['step', 'pair', 'why', 'text sim', 'target', 'findings'].map((c) => h('th', {}, c))));
    for (const c of recent) {
      if (!cache.has(c.step)) cache.set(c.step, this.lab.data.trainBatch(c.step, B));
      const items = cache.get(c.step)!;
      table.append(h('tr', { class: 'fn-row past' },
        h('td', {}, String(c.step)), h('td', {}, `${c.i} ↔ ${c.j}`), h('td', {}, h('span', { class: `tag tag-${c.reason}` }, c.reason)),
        h('td', {}, Number.isFinite(c.similarity) ? fmt(c.similarity) : '—'), h('td', {}, fmt(c.target)),
        h('td', { class: 'small' }, findingNames(items[c.i].labels).join(', ') || 'normal')));
    }
    this.pastEl.append(table);
  }

  override dispose(): void {
    super.dispose();
    this.matrix?.dispose();
  }
}

function identity(n: number): Float32Array {
  const I = new Float32Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}
