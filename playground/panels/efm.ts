// EFM: entity-focused masking. The words that carry findings (the labeler's entities: findings,
// anatomy, size, laterality, negation cues) are masked whole before any random token, so the
// text encoder must learn the clinically decisive words. Shown: a report's tokens with the masked
// ones marked, and the model's top predictions at each masked position.
import { Panel } from './panel.ts';
import { h, fmt } from '../plot.ts';
import { legend, highlightReport } from './data.ts';
import { entitySpans } from '../../models/text/labeler.ts';
import { charSpansToTokenSpans } from '../../models/text/efm.ts';
import type { CtItem } from '../../models/train/data.ts';

export class EfmPanel extends Panel {
  private body!: HTMLElement;
  private seed = 7;
  private entityFocused = true;
  private token = 0;

  protected mount(): void {
    this.body = h('div', { class: 'efm' });
    this.entityFocused = this.params.entityFocused !== false;
    this.element.append(
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn', title: 'draw another mask', onclick: () => { this.seed++; void this.show(this.lab.selected); } }, '↻ New mask'),
        h('label', { class: 'check', title: 'off: BERT’s random masking, for comparison' },
          h('input', { type: 'checkbox', checked: this.entityFocused, onchange: (ev: Event) => { this.entityFocused = (ev.target as HTMLInputElement).checked; this.setParam('entityFocused', this.entityFocused); void this.show(this.lab.selected); } }),
          'entity-focused'),
        h('button', { class: 'btn', title: 'ask the model again (after more training)', onclick: () => void this.show(this.lab.selected) }, '⟳ Predict')),
      this.body);
    this.listen(this.lab.on('select', (it) => void this.show(it)));
    this.listen(this.lab.on('status', () => { if (this.lab.status === 'paused' || this.lab.status === 'done') void this.show(this.lab.selected); }));
    void this.show(this.lab.selected);
  }

  private async show(item: CtItem | null): Promise<void> {
    const lab = this.lab;
    const tok = lab.trainer?.tokenizer ?? lab.tokenizer;
    if (!item || !tok) { this.body.replaceChildren(this.note('loading…')); return; }
    const token = ++this.token;
    const r = item.volumeSeed < 0 ? lab.data.heldoutReports[item.report] : lab.data.ctReports[item.report];
    const T = lab.cfg.text.maxLen;
    const enc = tok.encode(r.text, T);
    const m = tok.mask(r.text, enc, this.seed, lab.cfg.loss.maskRatio, this.entityFocused);
    const ents = charSpansToTokenSpans(enc.offsets, entitySpans(r.text));
    const inEntity = (i: number) => ents.some((s) => i >= s.start && i < s.end);
    const masked = new Set(m.masked);
    const chips = h('div', { class: 'tokens' });
    for (let i = 0; i < enc.length; i++) {
      const orig = tok.token(enc.ids[i]);
      const shown = tok.token(m.inputIds[i]);
      const cls = ['tok', masked.has(i) ? 'tok-masked' : '', inEntity(i) ? 'tok-entity' : ''].join(' ');
      chips.append(h('span', { class: cls, title: masked.has(i) ? `masked: ${orig} → input ${shown}` : orig }, masked.has(i) ? `${shown === orig ? orig : shown}` : orig, masked.has(i) ? h('sub', {}, orig) : null));
    }
    const entMasked = m.masked.filter(inEntity).length;
    const head = h('div', { class: 'caption' },
      `${m.masked.length} of ${enc.length - 2} tokens masked (${(100 * lab.cfg.loss.maskRatio).toFixed(0)}% budget) · ${entMasked} inside entities · ${this.entityFocused ? 'entity-focused' : 'random'} masking` +
      (enc.length >= T ? ` · report truncated at ${T} tokens (config ${lab.cfg.name})` : ''));
    this.body.replaceChildren(h('div', { class: 'card-title' }, `report ${r.source}`), highlightReport(r.text), legend(), head, chips, this.note(lab.trainer ? 'predicting…' : 'predictions appear once the model exists (Training → Start)'));
    const t = lab.trainer;
    if (!t || !m.masked.length) return;
    const probs = await lab.gpu(async () => {
      const e = lab.engine;
      const logits = e.scope(() => e.noGrad(() => {
        const ids = e.tensor(m.inputIds, [1, T], 'int32');
        const mask = e.tensor(enc.mask, [1, T], 'int32');
        const hidden = t.model.text.forward({ ids, mask }).hidden;
        return t.model.text.mlmLogits(hidden, e.tensor(Int32Array.from(m.masked), [m.masked.length], 'int32'));
      }));
      const d = (await logits.data()) as Float32Array;
      logits.dispose();
      return d;
    });
    if (token !== this.token) return;
    const V = probs.length / m.masked.length;
    let right = 0;
    const table = h('table', { class: 'table efm-table' }, h('tr', {}, ...['pos', 'original', 'model saw', 'top predictions', ''].map((c) => h('th', {}, c))));
    m.masked.forEach((pos, k) => {
      const row = probs.subarray(k * V, (k + 1) * V);
      let mx = -Infinity;
      for (const v of row) mx = Math.max(mx, v);
      let z = 0;
      for (const v of row) z += Math.exp(v - mx);
      const top = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, 3);
      const ok = top[0] === enc.ids[pos];
      if (ok) right++;
      table.append(h('tr', { class: inEntity(pos) ? 'entity-row' : '' },
        h('td', {}, String(pos)), h('td', { class: 'mono' }, tok.token(enc.ids[pos])), h('td', { class: 'mono dim' }, tok.token(m.inputIds[pos])),
        h('td', { class: 'mono' }, ...top.map((id) => h('span', { class: `pred${id === enc.ids[pos] ? ' pred-ok' : ''}` }, `${tok.token(id)} ${fmt(Math.exp(row[id] - mx) / z)}`))),
        h('td', {}, ok ? '✓' : '')));
    });
    this.body.lastElementChild?.remove();
    this.body.append(h('div', { class: 'caption' }, `model at step ${t.step}: ${right} of ${m.masked.length} masked tokens predicted (top-1)`), table);
  }
}
