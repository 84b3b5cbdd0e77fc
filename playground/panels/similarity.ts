// Similarity matrix: the CT×report cosine of the current batch under the current model, beside
// the X-ray relation matrix (the frozen expert's features of the X-rays retrieved for each CT),
// the target the relation loss pulls the CT side toward. The diagonal (true pairs) is outlined;
// pairs RoCo corrected are marked. Hover a cell: both reports side by side. Click: select the CT.
import { Panel } from './panel.ts';
import { AutoCanvas, COLORS, colorbar, heatmap, h, fmt } from '../plot.ts';
import type { SimSnapshot } from '../lab.ts';
import { findingNames } from '../../models/data/cohort.ts';

interface Layout { x: number; y: number; cell: number; n: number; which: 'sim' | 'rel' }

export class SimilarityPanel extends Panel {
  private canvas!: AutoCanvas;
  private hover: { i: number; j: number; which: 'sim' | 'rel' } | null = null;
  private layouts: Layout[] = [];
  private detail!: HTMLElement;
  private caption!: HTMLElement;

  protected mount(): void {
    const lab = this.lab;
    const box = h('div', { class: 'chart heatmap-box' });
    this.caption = h('div', { class: 'caption' });
    this.detail = h('div', { class: 'pair-detail' }, this.note('hover a cell to compare the two reports'));
    this.element.append(
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn', title: 'recompute for the last batch', onclick: () => void lab.similarity() }, '↻ Refresh'),
        this.caption),
      box, this.detail);
    this.canvas = new AutoCanvas(box, (ctx, w, hh) => this.draw(ctx, w, hh));
    const c = this.canvas.canvas;
    c.addEventListener('mousemove', (ev) => {
      const r = c.getBoundingClientRect();
      const hit = this.hit(ev.clientX - r.left, ev.clientY - r.top);
      if (hit?.i !== this.hover?.i || hit?.j !== this.hover?.j || hit?.which !== this.hover?.which) {
        this.hover = hit;
        this.canvas.redraw();
        this.showDetail();
      }
    });
    c.addEventListener('mouseleave', () => { this.hover = null; this.canvas.redraw(); });
    c.addEventListener('click', (ev) => {
      const r = c.getBoundingClientRect();
      const hit = this.hit(ev.clientX - r.left, ev.clientY - r.top);
      if (hit && lab.sim) lab.select(lab.sim.items[hit.i]);
    });
    this.listen(lab.on('similarity', () => { this.canvas.redraw(); this.showDetail(); }));
    this.listen(lab.on('status', () => { if (!lab.sim) this.canvas.redraw(); }));
  }

  private hit(x: number, y: number): { i: number; j: number; which: 'sim' | 'rel' } | null {
    for (const l of this.layouts) {
      const j = Math.floor((x - l.x) / l.cell), i = Math.floor((y - l.y) / l.cell);
      if (i >= 0 && j >= 0 && i < l.n && j < l.n) return { i, j, which: l.which };
    }
    return null;
  }

  private draw(ctx: CanvasRenderingContext2D, w: number, hh: number): void {
    const s = this.lab.sim;
    this.layouts = [];
    const box = this.canvas.canvas.parentElement!;
    box.dataset.step = String(s?.step ?? -1);
    if (!s) {
      ctx.fillStyle = COLORS.dim;
      ctx.textAlign = 'center';
      ctx.fillText(this.lab.trainer ? 'computed after the next report' : 'start training to see the batch’s similarities', w / 2, hh / 2);
      this.caption.textContent = '';
      return;
    }
    const n = s.items.length;
    const panels: { which: 'sim' | 'rel'; title: string; values: Float32Array }[] = [{ which: 'sim', title: 'CT × report cosine (BIUD)', values: s.sim }];
    if (s.rel) panels.push({ which: 'rel', title: 'X-ray relation (expert, retrieved X-rays)', values: s.rel });
    const gap = 56, top = 20, left = 26;
    const size = Math.max(40, Math.min((w - left - gap * panels.length) / panels.length, hh - top - 24));
    const cell = size / n;
    this.caption.textContent = `batch of step ${s.step} · ${n} pairs · τ ${s.tau.toFixed(4)} · ${s.corrected.size / 2} corrected`;
    panels.forEach((p, k) => {
      const x = left + k * (size + gap), y = top;
      let lo = Infinity, hi = -Infinity;
      for (const v of p.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      heatmap(ctx, x, y, cell, n, p.values, lo, hi);
      this.layouts.push({ x, y, cell, n, which: p.which });
      ctx.fillStyle = COLORS.text;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText(p.title, x, y - 5);
      ctx.fillStyle = COLORS.dim;
      ctx.textBaseline = 'top';
      ctx.fillText(p.which === 'sim' ? 'reports →' : 'X-rays →', x, y + size + 4);
      ctx.save(); ctx.translate(x - 6, y + size / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = 'center'; ctx.textBaseline = 'bottom'; ctx.fillText(p.which === 'sim' ? 'CTs' : 'CTs (via retrieval)', 0, 0); ctx.restore();
      // Diagonal: the true pairs.
      ctx.strokeStyle = 'rgba(255,255,255,0.85)';
      ctx.lineWidth = Math.max(1, Math.min(2, cell / 8));
      for (let i = 0; i < n; i++) ctx.strokeRect(x + i * cell + 0.5, y + i * cell + 0.5, cell - 1, cell - 1);
      // RoCo's corrected pairs: a cyan corner mark.
      ctx.fillStyle = '#39d0ff';
      for (const key of s.corrected.keys()) {
        const [i, j] = key.split(',').map(Number);
        const m = Math.max(3, cell * 0.3);
        ctx.beginPath(); ctx.moveTo(x + j * cell, y + i * cell); ctx.lineTo(x + j * cell + m, y + i * cell); ctx.lineTo(x + j * cell, y + i * cell + m); ctx.fill();
        ctx.strokeStyle = '#39d0ff'; ctx.lineWidth = 1; ctx.strokeRect(x + j * cell + 1, y + i * cell + 1, cell - 2, cell - 2);
      }
      if (this.hover && this.hover.which === p.which) {
        ctx.strokeStyle = '#fff'; ctx.lineWidth = 1;
        ctx.strokeRect(x + 0.5, y + this.hover.i * cell + 0.5, size - 1, cell - 1);
        ctx.strokeRect(x + this.hover.j * cell + 0.5, y + 0.5, cell - 1, size - 1);
      }
      colorbar(ctx, x + size + 6, y, 8, size, lo, hi);
    });
  }

  private showDetail(): void {
    const s = this.lab.sim;
    const hv = this.hover;
    if (!s || !hv) return;
    const data = this.lab.data;
    const a = s.items[hv.i], b = s.items[hv.j];
    const ra = data.ctReports[a.report], rb = data.ctReports[b.report];
    const c = s.corrected.get(`${hv.i},${hv.j}`);
    const v = (hv.which === 'sim' ? s.sim : s.rel!)[hv.i * s.items.length + hv.j];
    const card = (title: string, r: typeof ra, labels: Uint8Array) =>
      h('div', { class: 'report-card' },
        h('div', { class: 'card-title' }, title),
        h('div', { class: 'findings' }, findingNames(labels).join(' · ') || 'no findings'),
        h('div', { class: 'report-text' }, r.text));
    const what = hv.which === 'sim' ? `cos(CT ${hv.i}, report ${hv.j}) = ${fmt(v)} · p = ${fmt(softRow(s.sim, s.items.length, hv.i, s.tau)[hv.j])}` : `expert cos(X-ray of ${hv.i}, X-ray of ${hv.j}) = ${fmt(v)}`;
    this.detail.innerHTML = '';
    this.detail.append(
      h('div', { class: 'pair-head' }, what, hv.i === hv.j ? h('span', { class: 'tag tag-diag' }, 'true pair') : null,
        c ? h('span', { class: 'tag tag-fn' }, `RoCo: ${c.reason}, text sim ${fmt(c.similarity)}, target ${fmt(c.target)}`) : null),
      h('div', { class: 'pair' }, card(`CT ${hv.i} · its report (${ra.source})`, ra, a.labels), card(`report ${hv.j} (${rb.source})`, rb, b.labels)),
    );
  }

  override dispose(): void {
    super.dispose();
    this.canvas?.dispose();
  }
}

/** Row i of softmax(sim / τ). */
function softRow(sim: Float32Array, n: number, i: number, tau: number): Float32Array {
  const row = sim.subarray(i * n, (i + 1) * n);
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp((v - m) / tau));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
