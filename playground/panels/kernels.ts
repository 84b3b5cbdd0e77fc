// Kernels: GPU time per kernel from the engine's profiler (timestamp queries around every
// dispatch), summed since the last reset, slowest first.
import { Panel } from './panel.ts';
import { h } from '../plot.ts';
import type { KernelTime } from '../../engine/profiler.ts';

export class KernelsPanel extends Panel {
  private body!: HTMLElement;
  private caption!: HTMLElement;

  protected mount(): void {
    this.caption = h('div', { class: 'caption' });
    this.body = h('div', { class: 'kernels' });
    this.element.append(
      h('div', { class: 'toolbar' },
        h('button', { class: 'btn', onclick: () => void this.lab.kernels() }, '↻ Refresh'),
        h('button', { class: 'btn', onclick: () => { this.lab.engine?.profiler?.reset(); void this.lab.kernels(); } }, '⌫ Reset'),
        this.caption),
      this.body);
    this.listen(this.lab.on('kernels', (k) => this.render(k)));
    this.listen(this.lab.on('status', () => this.render(null)));
    this.render(null);
  }

  private render(k: KernelTime[] | null): void {
    const e = this.lab.engine;
    if (!e) { this.body.replaceChildren(this.note('starting the GPU…')); return; }
    if (!e.profiler) {
      this.body.replaceChildren(this.note(e.features.has('timestamp-query')
        ? 'profiling is off (?profile=0 in the URL)'
        : 'this adapter offers no timestamp-query feature, so per-kernel GPU time cannot be measured here (Chrome: enable chrome://flags/#enable-webgpu-developer-features).'));
      this.caption.textContent = `${e.counters.dispatches} dispatches · ${e.counters.submits} submits`;
      return;
    }
    this.caption.textContent = `${e.counters.dispatches.toLocaleString()} dispatches · ${e.counters.submits.toLocaleString()} submits · ${e.counters.readbacks} readbacks`;
    if (!k) return;
    if (!k.length) { this.body.replaceChildren(this.note('no kernels timed yet')); return; }
    const total = k.reduce((s, x) => s + x.totalMs, 0);
    const max = k[0].totalMs || 1;
    const table = h('table', { class: 'table' }, h('tr', {}, ...['kernel', 'calls', 'total ms', 'µs/call', 'share', ''].map((c) => h('th', {}, c))));
    for (const x of k.slice(0, 40)) {
      table.append(h('tr', {},
        h('td', { class: 'mono' }, x.name), h('td', {}, x.calls.toLocaleString()), h('td', {}, x.totalMs.toFixed(1)),
        h('td', {}, ((1000 * x.totalMs) / Math.max(1, x.calls)).toFixed(0)), h('td', {}, `${((100 * x.totalMs) / (total || 1)).toFixed(1)}%`),
        h('td', { class: 'barcell' }, h('span', { class: 'hbar', style: `width:${(100 * x.totalMs) / max}%` }))));
    }
    this.body.replaceChildren(h('div', { class: 'caption' }, `${total.toFixed(0)} ms of GPU time in ${k.length} kernels`), table);
  }
}
