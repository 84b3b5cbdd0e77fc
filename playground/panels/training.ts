// Training: start/pause, the experiment (config, switches, loss weights; kept in the URL), loss
// curves per term, progress, step time, GPU memory, checkpoint download and upload.
import { Panel } from './panel.ts';
import { AutoCanvas, COLORS, lineChart, h, folderInput, type Series } from '../plot.ts';
import { CONFIG_NAMES, type ConfigName, type Experiment, defaults, hasShippedExpert } from '../experiment.ts';
import type { LossName } from '../../models/train/trainer.ts';

const TERMS: LossName[] = ['total', 'roco', 'efm', 'pair', 'rel'];
const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

export class TrainingPanel extends Panel {
  private statusEl!: HTMLElement;
  private bar!: HTMLElement;
  private stats!: HTMLElement;
  private logEl!: HTMLElement;
  private chart!: AutoCanvas;
  private expertChart!: AutoCanvas;
  private buttons: Record<string, HTMLButtonElement> = {};
  private form!: HTMLFormElement;
  private logY = true;

  protected mount(): void {
    const lab = this.lab;
    const btn = (id: string, label: string, title: string, onclick: () => void) =>
      (this.buttons[id] = h('button', { class: `btn btn-${id}`, title, onclick: () => onclick() }, label) as HTMLButtonElement);
    const upload = h('input', { type: 'file', accept: '.safetensors', class: 'hidden' }) as HTMLInputElement;
    upload.addEventListener('change', async () => {
      const f = upload.files?.[0];
      if (!f) return;
      try {
        await lab.loadCheckpoint(new Uint8Array(await f.arrayBuffer()), f.name);
      } catch (e) {
        lab.fail(e);
      }
      upload.value = '';
    });
    const folder = folderInput('train-your-cts', (files) => void lab.trainOnFiles(files));
    const toolbar = h('div', { class: 'toolbar' },
      btn('start', '▶ Start', 'train the X-ray expert (first time), then BIUD', () => void lab.start()),
      btn('pause', '❚❚ Pause', 'stop after the current report interval', () => lab.pause()),
      btn('resume-saved', '⟲ Resume saved', "continue the run saved in this browser's storage", () => void lab.start(true)),
      h('span', { class: 'sep' }),
      btn('save', '⤓ Save', 'download the model as safetensors (PyTorch names and layouts)', () => void this.download()),
      btn('load', '⤒ Load', 'load a safetensors checkpoint of this config', () => upload.click()),
      upload,
      h('span', { class: 'sep' }),
      btn('your-cts', 'Your CTs…', 'train on your own CTs instead of the procedural cohort: a folder of NIfTI volumes (.nii, .nii.gz) and the CT-RATE-format reports CSV that names them (AccessionNo train_1 owns train_1_a_1.nii.gz); read in this page, before Start', () => folder.click()),
      folder,
    );
    this.buttons['resume-saved'].hidden = true;
    void lab.savedRun().then((yes) => { this.buttons['resume-saved'].hidden = !yes || !!lab.trainer; });
    this.statusEl = h('div', { class: 'status' });
    this.bar = h('div', { class: 'bar-fill' });
    this.stats = h('div', { class: 'stats' });
    this.form = this.buildForm(lab.exp);
    const chartBox = h('div', { class: 'chart loss-chart' });
    const expertBox = h('div', { class: 'chart chart-small expert-chart' });
    const scale = h('label', { class: 'check small' }, h('input', { type: 'checkbox', checked: true, onchange: (ev: Event) => { this.logY = (ev.target as HTMLInputElement).checked; this.chart.redraw(); } }), 'log y');
    this.logEl = h('pre', { class: 'log' });
    this.element.append(
      toolbar, this.statusEl, h('div', { class: 'bar' }, this.bar), this.stats, this.form,
      h('div', { class: 'section-title' }, 'BIUD losses per term ', scale), chartBox,
      h('div', { class: 'section-title' }, 'X-ray expert (CLIP on the X-ray pool)'), expertBox,
      h('div', { class: 'section-title' }, 'Log'), this.logEl,
    );
    this.chart = new AutoCanvas(chartBox, (ctx, w, hh) => {
      const series: Series[] = TERMS.map((t) => ({
        name: t, color: COLORS.terms[t],
        points: lab.history.filter((p) => p.losses[t] !== undefined).map((p) => [p.step, p.losses[t]!] as [number, number]),
      })).filter((s) => s.points.length);
      lineChart(ctx, { x: 0, y: 0, w, h: hh }, series, { logY: this.logY, xLabel: 'step', empty: 'press Start to train' });
      chartBox.dataset.points = String(lab.history.length);
      chartBox.dataset.step = String(lab.history[lab.history.length - 1]?.step ?? 0);
    });
    this.expertChart = new AutoCanvas(expertBox, (ctx, w, hh) => {
      lineChart(ctx, { x: 0, y: 0, w, h: hh }, [{ name: 'CLIP', color: COLORS.terms.expert, points: lab.expertHistory.map((p) => [p.step, p.losses.total ?? NaN]) }], { empty: lab.exp.expert === 'shipped' ? 'pretrained expert loaded' : 'trained when you press Start' });
    });
    this.listen(lab.on('progress', () => { this.chart.redraw(); this.expertChart.redraw(); this.refresh(); }));
    this.listen(lab.on('status', () => this.refresh()));
    this.listen(lab.on('log', () => this.refreshLog()));
    this.refresh();
    this.refreshLog();
  }

  private buildForm(x: Experiment): HTMLFormElement {
    const sel = h('select', { name: 'config' }, ...CONFIG_NAMES.map((n) => h('option', { value: n, ...(n === x.config ? { selected: true } : {}) }, n)));
    const check = (name: keyof Experiment, label: string, title: string) =>
      h('label', { class: 'check', title }, h('input', { type: 'checkbox', name, checked: Boolean(x[name]) }), label);
    const numIn = (name: keyof Experiment, label: string, step: string, title: string) =>
      h('label', { class: 'num', title }, label, h('input', { type: 'number', name, value: String(x[name]), step, min: '0' }));
    const form = h('form', { class: 'form' },
      h('label', { class: 'num' }, 'config', sel),
      numIn('steps', 'steps', '1', 'BIUD training steps (a new run)'),
      numIn('seed', 'seed', '1', 'data and initialisation seed (a new run)'),
      h('label', { class: 'num', title: 'stage 1: load the pretrained X-ray expert shipped for this config, or train it here first (minutes at tiny; a new run)' }, 'expert',
        h('select', { name: 'expert', ...(hasShippedExpert(x.config) ? {} : { disabled: true }) },
          ...(['shipped', 'train'] as const).map((v) => h('option', { value: v, ...(v === x.expert ? { selected: true } : {}) }, v === 'shipped' ? 'pretrained' : 'train here')))),
      check('roco', 'RoCo', 'false-negative correction: soft targets for pairs with the same findings or similar reports'),
      check('efm', 'EFM', 'entity-focused masked-LM loss on the reports'),
      check('distill', 'distill', 'pair and relation distillation from the X-ray expert'),
      numIn('wEfm', 'λ efm', '0.1', 'weight of the EFM loss'),
      numIn('wPair', 'λ pair', '0.1', 'weight of the pair distillation loss'),
      numIn('wRel', 'λ rel', '0.1', 'weight of the relation distillation loss'),
      numIn('fnGraded', 'RoCo γ', '0.5', 'graded RoCo: pairs that share part of their findings get soft targets J^γ (J: Jaccard index of the two finding sets); 0 = only identical sets, as in the paper'),
      h('a', { class: 'link', href: location.href, title: 'this experiment as a link' }, '↗ link'),
    ) as HTMLFormElement;
    form.addEventListener('change', () => this.apply());
    form.addEventListener('submit', (ev) => ev.preventDefault());
    return form;
  }

  private apply(): void {
    const f = new FormData(this.form);
    const cfg = f.get('config') as ConfigName;
    const base = cfg !== this.lab.exp.config ? defaults(cfg) : this.lab.exp;
    const num = (k: string, d: number) => (Number.isFinite(Number(f.get(k))) && f.get(k) !== '' ? Number(f.get(k)) : d);
    const x: Experiment = {
      config: cfg,
      steps: cfg !== this.lab.exp.config ? base.steps : Math.max(1, Math.trunc(num('steps', base.steps))),
      seed: Math.trunc(num('seed', base.seed)),
      roco: f.get('roco') !== null, efm: f.get('efm') !== null, distill: f.get('distill') !== null,
      wEfm: num('wEfm', base.wEfm), wPair: num('wPair', base.wPair), wRel: num('wRel', base.wRel),
      fnGraded: Math.max(0, num('fnGraded', base.fnGraded)),
      expert: cfg !== this.lab.exp.config ? base.expert : f.get('expert') === 'train' || !hasShippedExpert(cfg) ? 'train' : 'shipped',
    };
    const { reload } = this.lab.setExperiment(x);
    (this.form.querySelector('a.link') as HTMLAnchorElement).href = location.href;
    if (reload) {
      const started = this.lab.trainer !== null;
      if (!started || confirm('Config, seed, steps or the expert changed: this starts a new run (the page reloads). Continue?')) location.reload();
    } else {
      this.lab.log(`switches: RoCo ${x.roco ? 'on' : 'off'}, EFM ${x.efm ? 'on' : 'off'}, distillation ${x.distill ? 'on' : 'off'}; λ efm ${x.wEfm}, pair ${x.wPair}, rel ${x.wRel}, RoCo γ ${x.fnGraded} (from the next step)`);
    }
  }

  private async download(): Promise<void> {
    try {
      const bytes = await this.lab.checkpointBytes();
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = h('a', { href: url, download: `biud-${this.lab.cfg.name}-step${this.lab.trainer?.step ?? 0}.safetensors` });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      this.lab.log(`save: ${(e as Error).message}`);
    }
  }

  private refresh(): void {
    const lab = this.lab;
    const t = lab.trainer;
    const last = lab.history[lab.history.length - 1];
    const steps = lab.cfg.train.steps;
    const step = t?.step ?? 0;
    const phase = lab.status === 'preparing' ? lab.expertHistory[lab.expertHistory.length - 1] : null;
    const frac = phase ? phase.step / phase.steps : step / steps;
    this.bar.style.width = `${(100 * Math.min(1, frac)).toFixed(1)}%`;
    this.bar.classList.toggle('prep', !!phase);
    this.statusEl.innerHTML = '';
    this.statusEl.append(h('span', { class: `badge badge-${lab.status}` }, lab.status), ` ${lab.message}`);
    this.element.dataset.status = lab.status;
    this.element.dataset.step = String(step);
    const mem = last?.memory ?? (lab.engine ? lab.engine.memory() : null);
    this.stats.innerHTML = '';
    const stat = (k: string, v: string) => h('span', { class: 'stat' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v));
    this.stats.append(
      stat('step', `${step} / ${steps}`),
      stat('step time', last && Number.isFinite(last.stepMs) ? `${last.stepMs.toFixed(0)} ms` : '—'),
      stat('lr', last ? last.lr.toExponential(2) : '—'),
      stat('loss', last?.losses.total !== undefined ? last.losses.total.toFixed(4) : '—'),
      stat('GPU live', mem ? MB(mem.liveBytes) : '—'),
      stat('pool', mem ? MB(mem.pooledBytes) : '—'),
      stat('params+opt', mem ? MB(mem.fixedBytes) : '—'),
      stat('τ', lab.sim ? lab.sim.tau.toFixed(4) : '—'),
    );
    const busy = lab.status === 'preparing' || lab.isRunning;
    this.buttons.start.disabled = busy || lab.status === 'loading' || lab.status === 'done' || lab.status === 'error';
    this.buttons.start.textContent = t && step > 0 ? '▶ Resume' : '▶ Start';
    this.buttons.pause.disabled = !lab.isRunning;
    this.buttons.save.disabled = !t;
    this.buttons.load.disabled = busy || lab.status === 'loading';
    this.buttons['your-cts'].disabled = !!t || lab.status !== 'ready';
    if (t) this.buttons['resume-saved'].hidden = true;
  }

  private refreshLog(): void {
    this.logEl.textContent = this.lab.logLines.slice(-40).join('\n');
    this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  override dispose(): void {
    super.dispose();
    this.chart?.dispose();
    this.expertChart?.dispose();
  }
}
