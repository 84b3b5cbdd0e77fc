// Data: a cohort browser. A patient's CT in three planes with window/level presets and slice
// sliders, the DRR (the radiograph the same chest would give), and its report with the labeler's
// entities highlighted. A user's own NIfTI volume and CT-RATE-format report CSV open from disk
// (file pickers or drag-and-drop) and are read in the page: nothing leaves the machine.
import { Panel } from './panel.ts';
import { h, grayCanvas, drawFit, COLORS, AutoCanvas } from '../plot.ts';
import { buildPhantom, renderPhantom } from '../../models/data/phantom.ts';
import { drr } from '../../models/data/drr.ts';
import { sliceOf, type Plane } from '../../models/data/phantom-views.ts';
import { readNifti, toRAS } from '../../models/data/nifti.ts';
import { preprocessVolume, type Grid } from '../../models/data/preprocess.ts';
import { reportsFromCsv, findingNames } from '../../models/data/cohort.ts';
import { labelReport, type EntitySpan } from '../../models/text/labeler.ts';
import type { CtItem, Report } from '../../models/train/data.ts';
import { VolumeData } from '../../models/train/volume-data.ts';

/** The viewer's grid: 320 mm across, finer than the training grids. */
const VIEW_GRID: Grid = { size: [64, 96, 96], spacing: [5, 10 / 3, 10 / 3] };

export const PRESETS: Record<string, [number, number]> = { lung: [-600, 1500], mediastinum: [40, 400], bone: [400, 1800] };

interface Volume {
  name: string;
  hu: Float32Array;
  size: [number, number, number];
  spacing: [number, number, number];
  drr: Float32Array | null;
  warnings: string[];
}

/** Report text with entity spans as coloured marks. */
export function highlightReport(text: string, spans: EntitySpan[] = labelReport(text).entities): HTMLElement {
  const el = h('div', { class: 'report-text' });
  let at = 0;
  for (const s of spans) {
    if (s.start > at) el.append(text.slice(at, s.start));
    const cls = s.kind === 'finding' ? `ent ent-finding ent-${s.certainty === 'present' || s.certainty === 'uncertain' ? 'pos' : 'neg'}` : `ent ent-${s.kind}`;
    el.append(h('mark', { class: cls, title: s.kind === 'finding' ? `${s.finding} (${s.certainty})` : s.kind }, text.slice(s.start, s.end)));
    at = s.end;
  }
  el.append(text.slice(at));
  return el;
}

export function legend(): HTMLElement {
  const kinds: [string, string][] = [['ent-finding ent-pos', 'finding'], ['ent-finding ent-neg', 'negated finding'], ['ent-negation', 'negation'], ['ent-uncertainty', 'uncertainty'], ['ent-anatomy', 'anatomy'], ['ent-size', 'size'], ['ent-laterality', 'laterality']];
  return h('div', { class: 'legend' }, ...kinds.map(([c, t]) => h('mark', { class: `ent ${c}` }, t)));
}

export class DataPanel extends Panel {
  private list!: HTMLElement;
  private views!: AutoCanvas;
  private reportEl!: HTMLElement;
  private info!: HTMLElement;
  private vol: Volume | null = null;
  private slices: Record<Plane, number> = { axial: -1, coronal: -1, sagittal: -1 };
  private wl: [number, number] = PRESETS.lung;
  private userReports: Report[] = [];
  private userReport: Report | null = null;
  private renderToken = 0;
  private levelIn!: HTMLInputElement;
  private widthIn!: HTMLInputElement;
  private sliders: Record<Plane, HTMLInputElement> = {} as Record<Plane, HTMLInputElement>;

  protected mount(): void {
    const lab = this.lab;
    this.wl = (this.params.wl as [number, number]) ?? PRESETS.lung;
    const nifti = h('input', { type: 'file', accept: '.nii,.nii.gz,.gz', class: 'hidden' }) as HTMLInputElement;
    const csv = h('input', { type: 'file', accept: '.csv', class: 'hidden' }) as HTMLInputElement;
    nifti.addEventListener('change', () => { const f = nifti.files?.[0]; if (f) void this.openFile(f); nifti.value = ''; });
    csv.addEventListener('change', () => { const f = csv.files?.[0]; if (f) void this.openFile(f); csv.value = ''; });
    const presetBtns = Object.entries(PRESETS).map(([k, v]) => h('button', { class: 'btn btn-small', title: `L ${v[0]} W ${v[1]}`, onclick: () => this.setWindow(v) }, k));
    const level = h('input', { type: 'number', class: 'wl-level', value: String(this.wl[0]), step: '10', title: 'level (HU)' }) as HTMLInputElement;
    const width = h('input', { type: 'number', class: 'wl-width', value: String(this.wl[1]), step: '10', min: '1', title: 'width (HU)' }) as HTMLInputElement;
    const onWl = () => this.setWindow([Number(level.value), Math.max(1, Number(width.value))], false);
    level.addEventListener('change', onWl);
    width.addEventListener('change', onWl);
    this.list = h('div', { class: 'cohort-list' });
    this.info = h('div', { class: 'caption' });
    const viewsBox = h('div', { class: 'views' });
    const sliderRow = h('div', { class: 'sliders' }, ...(['axial', 'coronal', 'sagittal'] as Plane[]).map((p) => {
      const s = h('input', { type: 'range', min: '0', max: '1', value: '0', class: `slice-${p}`, oninput: () => { this.slices[p] = Number(s.value); this.views.redraw(); } }) as HTMLInputElement;
      this.sliders[p] = s;
      return h('label', { class: 'slider' }, p, s);
    }));
    this.reportEl = h('div', { class: 'report-box' });
    this.element.append(
      h('div', { class: 'toolbar' },
        h('span', { class: 'k' }, 'window'), ...presetBtns, h('label', { class: 'num' }, 'L', level), h('label', { class: 'num' }, 'W', width),
        h('span', { class: 'sep' }),
        h('button', { class: 'btn btn-small', title: 'a NIfTI CT (.nii, .nii.gz), read in this page', onclick: () => nifti.click() }, 'Open NIfTI…'),
        h('button', { class: 'btn btn-small', title: 'a CT-RATE-format report CSV (AccessionNo, report_text[, findings])', onclick: () => csv.click() }, 'Open reports CSV…'),
        nifti, csv),
      h('div', { class: 'data-main' },
        this.list,
        h('div', { class: 'data-right' }, this.info, viewsBox, sliderRow, legend(), this.reportEl)),
    );
    this.levelIn = level;
    this.widthIn = width;
    this.views = new AutoCanvas(viewsBox, (ctx, w, hh) => this.drawViews(ctx, w, hh));
    this.element.addEventListener('dragover', (ev) => { ev.preventDefault(); this.element.classList.add('dropping'); });
    this.element.addEventListener('dragleave', () => this.element.classList.remove('dropping'));
    this.element.addEventListener('drop', (ev) => {
      ev.preventDefault();
      this.element.classList.remove('dropping');
      for (const f of ev.dataTransfer?.files ?? []) void this.openFile(f);
    });
    this.listen(lab.on('select', (item) => { this.userReport = null; void this.showItem(item); this.renderList(); }));
    this.listen(lab.on('status', () => this.renderList()));
    this.listen(lab.on('similarity', () => this.renderList()));
    this.listen(lab.on('data', () => this.renderList()));
    this.renderList();
    if (lab.selected) void this.showItem(lab.selected);
  }

  private setWindow(v: [number, number], updateInputs = true): void {
    this.wl = v;
    if (updateInputs) {
      this.levelIn.value = String(v[0]);
      this.widthIn.value = String(v[1]);
    }
    this.setParam('wl', v);
    this.views.redraw();
  }

  private renderList(): void {
    const lab = this.lab;
    if (!lab.data) { this.list.replaceChildren(this.note('loading the cohort…')); return; }
    const batch = lab.sim?.items ?? lab.data.trainBatch(Math.max(0, (lab.trainer?.step ?? 1) - 1), lab.cfg.train.batch);
    const row = (item: CtItem, label: string) => {
      const r = item.volumeSeed < 0 ? lab.data.heldoutReports[item.report] : lab.data.ctReports[item.report];
      const sel = lab.selected && lab.selected.volumeSeed === item.volumeSeed && lab.selected.report === item.report && !this.userReport;
      return h('div', { class: `cohort-row${sel ? ' selected' : ''}`, title: r.text, onclick: () => lab.select(item) },
        h('span', { class: 'id' }, label), h('span', { class: 'f' }, findingNames(item.labels).join(', ') || 'normal'));
    };
    // A volume of the user's folder is named by its file (without the folder), a procedural one by its patient number.
    const volumes = lab.data instanceof VolumeData ? lab.data.volumes : null;
    const name = (it: CtItem) => (volumes ? volumes[it.volumeSeed < 0 ? -1 - it.volumeSeed : it.volumeSeed].name.split('/').pop()! : `p${it.volumeSeed}`);
    const children: HTMLElement[] = [h('div', { class: 'section-title' }, 'current batch'), ...batch.map((it, i) => row(it, `#${i} ${name(it)}`))];
    const B = lab.cfg.train.batch;
    const more = lab.data.trainBatch(9999, Math.min(24, lab.data.trainingVolumes().length));
    if (volumes) {
      children.push(h('div', { class: 'section-title' }, `your CTs (${volumes.filter((v) => !v.heldout).length} training)`));
      children.push(...more.slice(0, 24 - Math.min(B, 8)).map((it) => row(it, name(it))));
      children.push(h('div', { class: 'section-title' }, 'your CTs, held out'));
      children.push(...lab.data.heldout(8).map((it) => row(it, name(it))));
    } else {
      children.push(h('div', { class: 'section-title' }, 'training patients'));
      children.push(...more.slice(0, 24 - Math.min(B, 8)).map((it) => row(it, name(it))));
    }
    if (this.userReports.length) {
      children.push(h('div', { class: 'section-title' }, `your reports (${this.userReports.length})`));
      children.push(...this.userReports.slice(0, 200).map((r) => h('div', { class: `cohort-row${this.userReport === r ? ' selected' : ''}`, title: r.text, onclick: () => { this.userReport = r; void this.showUserReport(r); this.renderList(); } },
        h('span', { class: 'id' }, r.source), h('span', { class: 'f' }, findingNames(r.labels).join(', ') || 'normal'))));
    }
    this.list.replaceChildren(...children);
  }

  private async showItem(item: CtItem): Promise<void> {
    const lab = this.lab;
    const heldout = item.volumeSeed < 0;
    const r = heldout ? lab.data.heldoutReports[item.report] : lab.data.ctReports[item.report];
    this.showReport(r, `${heldout ? 'held-out' : 'training'} report ${r.source}`);
    if (lab.data instanceof VolumeData) {
      // The user's CT as the model sees it: resampled to the training grid (windowed range only).
      const v = lab.data.volumes[heldout ? -1 - item.volumeSeed : item.volumeSeed];
      const grid = lab.cfg.ct;
      const token = ++this.renderToken;
      const hu = lab.engine.tensor(lab.data.volumeHU(item.volumeSeed), [...grid.size]);
      await this.setVolume(hu, { name: `${v.name.split('/').pop()} (${heldout ? 'held out' : 'training'}) · your CT on the training grid`, size: [...grid.size], spacing: [...grid.spacing], warnings: v.warnings }, token);
      return;
    }
    const seed = heldout ? -1 - item.volumeSeed : lab.data.patients[item.volumeSeed]?.seed ?? item.volumeSeed;
    await this.renderPhantom(seed, item.labels, `${heldout ? 'held-out' : 'patient'} ${item.volumeSeed} · procedural chest with the report's findings`);
  }

  private async showUserReport(r: Report): Promise<void> {
    this.showReport(r, `your report ${r.source}`);
    await this.renderPhantom(12345, r.labels, 'a procedural chest with this report’s findings');
  }

  private showReport(r: Report, title: string): void {
    const res = labelReport(r.text);
    this.reportEl.replaceChildren(
      h('div', { class: 'card-title' }, title),
      h('div', { class: 'chips' }, ...findingNames(r.labels).map((f) => h('span', { class: 'chip' }, f)), findingNames(r.labels).length ? null : h('span', { class: 'chip chip-dim' }, 'no findings')),
      highlightReport(r.text, res.entities),
    );
  }

  private async renderPhantom(seed: number, labels: Uint8Array, name: string): Promise<void> {
    const e = this.lab.engine;
    if (!e) return;
    const token = ++this.renderToken;
    this.info.textContent = `rendering ${name}…`;
    const hu = e.scope(() => renderPhantom(e, buildPhantom(seed, labels, VIEW_GRID)));
    await this.setVolume(hu, { name, size: VIEW_GRID.size, spacing: VIEW_GRID.spacing, warnings: [] }, token);
  }

  private async setVolume(hu: import('../../engine/tensor.ts').Tensor, v: Omit<Volume, 'hu' | 'drr'>, token: number): Promise<void> {
    const e = this.lab.engine;
    const img = e.scope(() => drr(hu, v.spacing[1]));
    const [data, proj] = await Promise.all([hu.data(), img.data()]);
    hu.dispose();
    img.dispose();
    if (token !== this.renderToken) return;
    this.vol = { ...v, hu: data as Float32Array, drr: proj as Float32Array };
    for (const p of ['axial', 'coronal', 'sagittal'] as Plane[]) {
      const n = p === 'axial' ? v.size[0] : p === 'coronal' ? v.size[1] : v.size[2];
      this.slices[p] = n >> 1;
      this.sliders[p].max = String(n - 1);
      this.sliders[p].value = String(n >> 1);
    }
    this.info.textContent = `${v.name} · ${v.size.join('×')} voxels at ${v.spacing.map((s) => s.toFixed(1)).join('×')} mm${v.warnings.length ? ' · ⚠ ' + v.warnings.join('; ') : ''}`;
    this.views.redraw();
  }

  private drawViews(ctx: CanvasRenderingContext2D, w: number, hh: number): void {
    const v = this.vol;
    if (!v) { ctx.fillStyle = COLORS.dim; ctx.fillText('select a patient, or drop a NIfTI file here', 8, 16); return; }
    const [lvl, wid] = this.wl;
    const lo = lvl - wid / 2, hi = lvl + wid / 2;
    const sp = { x: v.spacing[2], y: v.spacing[1], z: v.spacing[0] };
    const cell = (w - 12) / 4;
    const boxes = [0, 1, 2, 3].map((k) => ({ x: 4 + k * (cell + 2), y: 14, w: cell, h: hh - 16 }));
    (['axial', 'coronal', 'sagittal'] as Plane[]).forEach((p, k) => {
      const img = sliceOf(v.hu, v.size, p, this.slices[p]);
      const data = img.data.map((x) => (x - lo) / (hi - lo));
      const mm = [sp.x, sp.y, sp.z];
      const aspect = (img.width * mm[img.pixel[0]]) / (img.height * mm[img.pixel[1]]);
      drawFit(ctx, grayCanvas(img.width, img.height, data), boxes[k], aspect);
      ctx.fillStyle = COLORS.dim;
      ctx.textBaseline = 'top';
      ctx.fillText(`${p} ${this.slices[p]}`, boxes[k].x, 0);
    });
    if (v.drr) {
      const [D, , W] = v.size;
      drawFit(ctx, grayCanvas(W, D, v.drr), boxes[3], (W * sp.x) / (D * sp.z));
      ctx.fillStyle = COLORS.dim;
      ctx.fillText('DRR (frontal X-ray)', boxes[3].x, 0);
    }
  }

  private async openFile(f: File): Promise<void> {
    const lab = this.lab;
    const bytes = new Uint8Array(await f.arrayBuffer());
    try {
      if (/\.csv$/i.test(f.name)) {
        const reports = reportsFromCsv(bytes, f.name);
        this.userReports = reports.map((r) => ({ text: r.text, labels: r.labels, source: r.accession }));
        lab.log(`${f.name}: ${reports.length} reports (labels: ${reports[0]?.labelSource ?? '—'})`);
        this.renderList();
        if (this.userReports[0]) { this.userReport = this.userReports[0]; void this.showUserReport(this.userReports[0]); }
      } else {
        this.info.textContent = `reading ${f.name}…`;
        const vol = toRAS(await readNifti(bytes, { name: f.name }));
        const e = lab.engine;
        const token = ++this.renderToken;
        const pre = preprocessVolume(e, vol, VIEW_GRID, { window: null });
        lab.log(`${f.name}: ${vol.dims.join('×')} voxels at ${vol.spacing.map((s) => s.toFixed(2)).join('×')} mm, ${vol.datatype}, ${vol.orientation} (read in this page)`);
        await this.setVolume(pre.volume, { name: f.name, size: VIEW_GRID.size, spacing: VIEW_GRID.spacing, warnings: pre.warnings }, token);
      }
    } catch (e) {
      this.info.textContent = `${f.name}: ${(e as Error).message}`;
      lab.log(`${f.name}: ${(e as Error).message}`);
    }
  }

  override dispose(): void {
    super.dispose();
    this.views?.dispose();
  }
}
