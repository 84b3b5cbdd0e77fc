// Retrieval: how a CT finds its X-ray teacher. The frozen expert's text encoder embeds the CT's
// report and every X-ray report; the most similar X-ray report's image is the teacher whose
// expert feature the CT encoder is distilled toward. Shown: the top-k X-ray reports with their
// cosine similarities and images, the first being the teacher.
import { Panel } from './panel.ts';
import { h, grayCanvas, fmt } from '../plot.ts';
import { highlightReport } from './data.ts';
import { findingNames } from '../../models/data/cohort.ts';
import type { CtItem } from '../../models/train/data.ts';

export class RetrievalPanel extends Panel {
  private body!: HTMLElement;
  private token = 0;

  protected mount(): void {
    this.body = h('div', { class: 'retrieval' });
    this.element.append(this.body);
    this.listen(this.lab.on('select', (item) => void this.show(item)));
    this.listen(this.lab.on('status', () => { if (this.lab.trainer && !this.body.dataset.ready) void this.show(this.lab.selected); }));
    void this.show(this.lab.selected);
  }

  private async show(item: CtItem | null): Promise<void> {
    const lab = this.lab;
    const t = lab.trainer;
    if (!item) return;
    if (!t) {
      this.body.replaceChildren(this.note('Retrieval uses the X-ray expert’s text encoder: it is built when training starts (Training → Start).'));
      return;
    }
    if (item.volumeSeed < 0) {
      this.body.replaceChildren(this.note('a held-out CT: retrieval pairs only training reports with X-rays'));
      return;
    }
    this.body.dataset.ready = '1';
    const token = ++this.token;
    const ct = lab.data.ctReports[item.report];
    const hits = t.retrieval.topK[item.report];
    const pool = hits.map((hh) => lab.data.xrayPool[hh.xray]);
    const [, , H, W] = [1, 1, lab.cfg.expert.image.size[1], lab.cfg.expert.image.size[2]];
    const pixels = await lab.gpu(async () => {
      const img = lab.engine.scope(() => lab.data.renderXray(lab.engine, pool, lab.cfg));
      const d = (await img.data()) as Float32Array;
      img.dispose();
      return d;
    });
    if (token !== this.token) return;
    const rows = hits.map((hit, k) => {
      const xr = lab.data.xrayReports[pool[k].report];
      const c = grayCanvas(W, H, pixels.subarray(k * H * W, (k + 1) * H * W));
      c.className = 'xray-thumb';
      return h('div', { class: `hit${k === 0 ? ' teacher' : ''}` },
        c,
        h('div', { class: 'hit-body' },
          h('div', { class: 'hit-head' },
            h('span', { class: 'sim-bar' }, h('span', { style: `width:${Math.max(0, hit.similarity) * 100}%` })),
            ` cos ${fmt(hit.similarity)} · X-ray ${hit.xray} · ${xr.source}`,
            k === 0 ? h('span', { class: 'tag tag-teacher' }, 'teacher') : null),
          h('div', { class: 'findings' }, findingNames(xr.labels).join(' · ') || 'no findings'),
          highlightReport(xr.text)));
    });
    this.body.replaceChildren(
      h('div', { class: 'card-title' }, `CT report ${ct.source} (patient ${item.volumeSeed})`),
      h('div', { class: 'findings' }, findingNames(ct.labels).join(' · ') || 'no findings'),
      highlightReport(ct.text),
      h('div', { class: 'section-title' }, `top ${hits.length} X-ray reports by the expert's text embeddings`),
      ...rows,
    );
  }
}
