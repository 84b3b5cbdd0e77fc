// Zero-shot: each finding scored by a CT's cosine with a positive and a negative prompt set, on
// the held-out cohort (re-evaluated at every checkpoint) or on a folder of the user's own CTs;
// AUC per finding and ROC curves.
import { Panel } from './panel.ts';
import { AutoCanvas, COLORS, lineChart, h, fmt, colormap, rgb, folderInput } from '../plot.ts';
import { FINDINGS } from '../../models/text/index.ts';
import { rocCurve } from '../../models/zero-shot.ts';

export class ZeroShotPanel extends Panel {
  private bars!: HTMLElement;
  private roc!: AutoCanvas;
  private trend!: AutoCanvas;
  private caption!: HTMLElement;
  private highlight: string | null = null;

  protected mount(): void {
    const lab = this.lab;
    this.highlight = (this.params.highlight as string) ?? null;
    this.caption = h('div', { class: 'caption' });
    this.bars = h('div', { class: 'auc-bars' });
    const rocBox = h('div', { class: 'chart roc-chart' });
    const trendBox = h('div', { class: 'chart chart-small' });
    // A folder of the user's own CTs (NIfTI) with the reports CSV that names them.
    const folder = folderInput('your-cts', (files) => void lab.evaluateFiles(files));
    this.element.append(
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn', title: 'evaluate on the held-out cohort now', onclick: () => void lab.evaluate() }, '↻ Evaluate now'),
        h('button', { class: 'btn', title: 'zero-shot on a folder of your CTs (.nii, .nii.gz) and the CT-RATE-format reports CSV that names them (AccessionNo train_1 owns train_1_a_1.nii.gz); read in this page', onclick: () => folder.click() }, 'Your CTs…'),
        folder, this.caption),
      h('div', { class: 'zs-main' }, this.bars, h('div', { class: 'zs-right' }, rocBox, h('div', { class: 'section-title' }, 'mean AUC over training'), trendBox)));
    this.roc = new AutoCanvas(rocBox, (ctx, w, hh) => this.drawRoc(ctx, w, hh));
    this.trend = new AutoCanvas(trendBox, (ctx, w, hh) =>
      lineChart(ctx, { x: 0, y: 0, w, h: hh }, [{ name: 'mean AUC', color: COLORS.terms.auc, points: lab.aucHistory.map((a) => [a.step, a.mean]) }], { yMin: 0.3, yMax: 1, xLabel: 'step', empty: 'evaluated at each checkpoint' }));
    this.listen(lab.on('zeroshot', () => this.render()));
    this.render();
  }

  private render(): void {
    const z = this.lab.zeroShot;
    this.roc.redraw();
    this.trend.redraw();
    if (!z) {
      this.caption.textContent = '';
      this.bars.replaceChildren(this.note(this.lab.trainer ? 'press Evaluate now, or wait for the next checkpoint' : 'evaluated during training on the held-out cohort'));
      return;
    }
    this.caption.textContent = `step ${z.step} · ${z.source ?? `${z.labels.length} held-out CTs`} · mean AUC ${fmt(z.result.meanAuc)}`;
    this.element.dataset.step = String(z.step);
    const rows = FINDINGS.map((f, k) => {
      const a = z.result.auc[f];
      const pos = z.labels.filter((l) => l[k]).length;
      return h('div', { class: `auc-row${this.highlight === f ? ' selected' : ''}`, title: `${f}: AUC ${fmt(a)}, ${pos} positive of ${z.labels.length}`, onclick: () => { this.highlight = this.highlight === f ? null : f; this.setParam('highlight', this.highlight); this.render(); } },
        h('span', { class: 'auc-name' }, f),
        h('span', { class: 'auc-bar' }, Number.isFinite(a) ? h('span', { style: `width:${a * 100}%;background:${rgb(colormap(0.25 + 0.7 * a))}` }) : null, h('span', { class: 'auc-half' })),
        h('span', { class: 'auc-val' }, Number.isFinite(a) ? a.toFixed(2) : '—'));
    });
    this.bars.replaceChildren(...rows);
  }

  private drawRoc(ctx: CanvasRenderingContext2D, w: number, hh: number): void {
    const z = this.lab.zeroShot;
    const series = z
      ? FINDINGS.map((f, k) => ({ name: f, color: rgb(colormap(0.2 + (0.75 * k) / FINDINGS.length)), points: rocCurve(z.result.scores[f], z.labels.map((l) => l[k])) }))
          .filter((s, k) => z.labels.some((l) => l[k]) && z.labels.some((l) => !l[k]))
      : [];
    const size = Math.min(w, hh);
    lineChart(ctx, { x: (w - size) / 2, y: 0, w: size, h: size }, series, { xMin: 0, xMax: 1, yMin: 0, yMax: 1, diagonal: true, legend: false, highlight: this.highlight, xLabel: 'false-positive rate', empty: 'ROC curves per finding' });
    if (this.highlight) {
      ctx.fillStyle = COLORS.text;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(`${this.highlight}: AUC ${fmt(z?.result.auc[this.highlight as (typeof FINDINGS)[number]] ?? NaN)}`, (w - size) / 2 + 52, 12);
    }
  }

  override dispose(): void {
    super.dispose();
    this.roc?.dispose();
    this.trend?.dispose();
  }
}
