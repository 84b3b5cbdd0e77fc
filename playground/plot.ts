// Drawing on a canvas directly: a canvas that follows its box's size (device pixels), line
// charts, heatmaps with a perceptual colour map, and gray images. A few hundred lines of plotting
// is less to keep than a charting library, and every plot here is one of these three shapes.

export const COLORS = {
  text: '#c9d1d9',
  dim: '#7d8590',
  grid: '#262c36',
  axis: '#3d4450',
  accent: '#58a6ff',
  terms: { total: '#e6edf3', roco: '#58a6ff', efm: '#d2a8ff', pair: '#3fb950', rel: '#f0883e', expert: '#ffa657', auc: '#56d364' } as Record<string, string>,
};

export const FONT = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

/** A canvas filling `parent`, redrawn on resize with a context scaled to CSS pixels. */
export class AutoCanvas {
  readonly canvas = document.createElement('canvas');
  width = 0;
  height = 0;
  private observer: ResizeObserver;

  constructor(parent: HTMLElement, private draw: (ctx: CanvasRenderingContext2D, w: number, h: number) => void) {
    this.canvas.style.cssText = 'display:block;width:100%;height:100%';
    parent.appendChild(this.canvas);
    this.observer = new ResizeObserver(() => this.redraw());
    this.observer.observe(parent);
  }

  redraw(): void {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, Math.floor(r.width));
    this.height = Math.max(1, Math.floor(r.height));
    if (this.canvas.width !== Math.round(this.width * dpr) || this.canvas.height !== Math.round(this.height * dpr)) {
      this.canvas.width = Math.round(this.width * dpr);
      this.canvas.height = Math.round(this.height * dpr);
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    ctx.font = FONT;
    this.draw(ctx, this.width, this.height);
  }

  dispose(): void {
    this.observer.disconnect();
  }
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface ChartOptions {
  logY?: boolean;
  xLabel?: string;
  yLabel?: string;
  yMin?: number;
  yMax?: number;
  xMin?: number;
  xMax?: number;
  /** Draw y = x (ROC). */
  diagonal?: boolean;
  legend?: boolean;
  /** Highlighted series name: others are drawn faint. */
  highlight?: string | null;
  empty?: string;
}

function niceTicks(lo: number, hi: number, n: number): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? mag * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks of a log axis (y0, y1 are log10 values): powers of ten, with 2× and 5× when the range is short. */
function logTicks(y0: number, y1: number): number[] {
  const out: number[] = [];
  const span = y1 - y0;
  const mult = span < 1.2 ? [1, 2, 5] : [1];
  const step = span > 8 ? 2 : 1;
  for (let k = Math.floor(y0); k <= Math.ceil(y1); k += step) for (const m of mult) { const v = m * 10 ** k; if (Math.log10(v) >= y0 && Math.log10(v) <= y1) out.push(v); }
  if (out.length < 2) return [10 ** y0, 10 ** y1];
  return out;
}

const fmtLog = (v: number) => (v >= 0.01 && v < 1000 ? String(Number(v.toPrecision(6))) : v.toExponential(0).replace('e-', 'e−'));

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : Math.abs(v) >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

/** Labels for a set of ticks: all with as many decimals as the most precise one needs (5, 10, 15; 0.2, 0.4; 2.1). */
function tickFormat(ticks: number[]): (v: number) => string {
  const decimalsOf = (v: number) => (String(Number(v.toPrecision(10))).split('.')[1] ?? '').length;
  const decimals = Math.min(6, Math.max(0, ...ticks.map(decimalsOf)));
  return (v) => (Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toFixed(decimals));
}

/** Line chart of several series in the box (x, y, w, h). */
export function lineChart(ctx: CanvasRenderingContext2D, box: { x: number; y: number; w: number; h: number }, series: Series[], o: ChartOptions = {}): void {
  const pad = { l: 44, r: 8, t: 8, b: o.xLabel ? 28 : 18 };
  // The legend gets its own rows above the plot, so that it hides no line.
  const legend = o.legend === false ? [] : legendLayout(ctx, series, box.w - pad.l - pad.r);
  if (legend.length) pad.t = 4 + 15 * (legend[legend.length - 1].row + 1);
  const px = box.x + pad.l, py = box.y + pad.t, pw = box.w - pad.l - pad.r, ph = box.h - pad.t - pad.b;
  if (pw < 20 || ph < 20) return;
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!o.logY || y > 0));
  ctx.strokeStyle = COLORS.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(px + 0.5, py + 0.5, pw, ph);
  if (!all.length) {
    ctx.fillStyle = COLORS.dim;
    ctx.textAlign = 'center';
    ctx.fillText(o.empty ?? 'no data yet', px + pw / 2, py + ph / 2);
    ctx.textAlign = 'left';
    return;
  }
  const tf = (v: number) => (o.logY ? Math.log10(v) : v);
  let x0 = o.xMin ?? Math.min(...all.map((p) => p[0]));
  let x1 = o.xMax ?? Math.max(...all.map((p) => p[0]));
  if (x1 === x0) x1 = x0 + 1;
  let y0 = o.yMin ?? Math.min(...all.map((p) => tf(p[1])));
  let y1 = o.yMax ?? Math.max(...all.map((p) => tf(p[1])));
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  else if (o.yMin === undefined && o.yMax === undefined) { const m = (y1 - y0) * 0.06; y0 -= m; y1 += m; }
  const X = (v: number) => px + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => py + ph - ((tf(v) - y0) / (y1 - y0)) * ph;
  // Grid and ticks.
  ctx.fillStyle = COLORS.dim;
  ctx.strokeStyle = COLORS.grid;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const yt = o.logY ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(2, Math.floor(ph / 30)));
  const yLabel = o.logY ? fmtLog : tickFormat(yt);
  for (const t of yt) {
    const yy = Math.round(Y(t)) + 0.5;
    if (yy < py || yy > py + ph) continue;
    ctx.beginPath(); ctx.moveTo(px, yy); ctx.lineTo(px + pw, yy); ctx.stroke();
    ctx.fillText(yLabel(t), px - 4, yy);
  }
  ctx.textBaseline = 'top';
  const xt = niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70)));
  const xLabel = tickFormat(xt);
  for (const t of xt) {
    const xx = Math.round(X(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(xx, py); ctx.lineTo(xx, py + ph); ctx.stroke();
    // Centred under its tick, unless that would cut it at the box's right edge.
    const label = xLabel(t);
    const right = xx + ctx.measureText(label).width / 2 > box.x + box.w;
    ctx.textAlign = right ? 'right' : 'center';
    ctx.fillText(label, right ? box.x + box.w - 1 : xx, py + ph + 3);
  }
  ctx.textAlign = 'center';
  if (o.xLabel) ctx.fillText(o.xLabel, px + pw / 2, py + ph + 15);
  if (o.yLabel) {
    ctx.save(); ctx.translate(box.x + 8, py + ph / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = 'middle'; ctx.fillText(o.yLabel, 0, 0); ctx.restore();
  }
  if (o.diagonal) {
    ctx.setLineDash([3, 3]); ctx.strokeStyle = COLORS.axis;
    ctx.beginPath(); ctx.moveTo(X(0), Y(0)); ctx.lineTo(X(1), Y(1)); ctx.stroke(); ctx.setLineDash([]);
  }
  ctx.save();
  ctx.beginPath(); ctx.rect(px, py, pw, ph); ctx.clip();
  for (const s of series) {
    const faint = o.highlight && o.highlight !== s.name;
    ctx.strokeStyle = s.color;
    ctx.globalAlpha = faint ? 0.25 : 1;
    ctx.lineWidth = o.highlight === s.name ? 2.5 : 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    let started = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y) || (o.logY && y <= 0)) { started = false; continue; }
      if (started) ctx.lineTo(X(x), Y(y)); else ctx.moveTo(X(x), Y(y));
      started = true;
    }
    ctx.stroke();
    if (s.points.length === 1) { ctx.fillStyle = s.color; ctx.fillRect(X(s.points[0][0]) - 2, Y(s.points[0][1]) - 2, 4, 4); }
  }
  ctx.restore();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const { s, label, x, row } of legend) {
    const lx = px + x, ly = box.y + 2 + 15 * row;
    ctx.fillStyle = s.color;
    ctx.fillRect(lx, ly + 6, 12, 2);
    ctx.fillStyle = COLORS.text;
    ctx.fillText(label, lx + 16, ly + 7);
  }
}

/** Each series' legend entry ("name last-value"), laid out in rows of `width` pixels. */
function legendLayout(ctx: CanvasRenderingContext2D, series: Series[], width: number): { s: Series; label: string; x: number; row: number }[] {
  const out: { s: Series; label: string; x: number; row: number }[] = [];
  let x = 0, row = 0;
  for (const s of series) {
    const last = s.points[s.points.length - 1];
    const label = last ? `${s.name} ${fmt(last[1])}` : s.name;
    const w = ctx.measureText(label).width + 22;
    if (x + w > width && x > 0) { x = 0; row++; }
    out.push({ s, label, x, row });
    x += w + 4;
  }
  return out;
}

// Magma-like colour map (dark purple → orange → pale yellow), 9 stops.
const STOPS = [
  [0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122], [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191],
];

/** t in [0, 1] → [r, g, b]. */
export function colormap(t: number): [number, number, number] {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(x), STOPS.length - 2);
  const f = x - i;
  const a = STOPS[i], b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export const rgb = (c: [number, number, number]) => `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;

/** An n×n heatmap of values in [lo, hi] at (x, y) with cell size `cell`. */
export function heatmap(ctx: CanvasRenderingContext2D, x: number, y: number, cell: number, n: number, values: ArrayLike<number>, lo: number, hi: number, m = n): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      ctx.fillStyle = rgb(colormap((values[i * m + j] - lo) / (hi - lo || 1)));
      ctx.fillRect(x + j * cell, y + i * cell, Math.ceil(cell), Math.ceil(cell));
    }
  }
}

/** A vertical colour bar with its range. */
export function colorbar(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, lo: number, hi: number): void {
  for (let k = 0; k < h; k++) {
    ctx.fillStyle = rgb(colormap(1 - k / h));
    ctx.fillRect(x, y + k, w, 1);
  }
  ctx.fillStyle = COLORS.dim;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(hi.toPrecision(3), x + w + 3, y);
  ctx.textBaseline = 'bottom';
  ctx.fillText(lo.toPrecision(3), x + w + 3, y + h);
}

/** Gray values in [0, 1] (row-major) as an ImageBitmap-ready canvas. */
export function grayCanvas(width: number, height: number, data: ArrayLike<number>, tint?: (v: number) => [number, number, number]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.min(Math.max(data[i], 0), 1);
    const [r, g, b] = tint ? tint(v) : [v * 255, v * 255, v * 255];
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** Draw `src` into the box keeping the aspect (physical aspect `aspect` = width/height in mm). */
export function drawFit(ctx: CanvasRenderingContext2D, src: CanvasImageSource & { width: number; height: number }, box: { x: number; y: number; w: number; h: number }, aspect = src.width / src.height, smooth = true): { x: number; y: number; w: number; h: number } {
  let w = box.w, h = w / aspect;
  if (h > box.h) { h = box.h; w = h * aspect; }
  const x = box.x + (box.w - w) / 2, y = box.y + (box.h - h) / 2;
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(src, x, y, w, h);
  return { x, y, w, h };
}

/** Small DOM helper: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | EventListener> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (typeof v === 'boolean') { if (v) el.setAttribute(k, ''); }
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export { fmt };

/** A hidden folder picker (every file under the folder the user picks); `onFiles` gets them, and the picker is cleared so the same folder can be picked again. */
export function folderInput(cls: string, onFiles: (files: File[]) => void): HTMLInputElement {
  const input = h('input', { type: 'file', multiple: true, webkitdirectory: true, class: `hidden ${cls}` }) as HTMLInputElement;
  input.addEventListener('change', () => { const files = [...(input.files ?? [])]; input.value = ''; if (files.length) onFiles(files); });
  return input;
}
