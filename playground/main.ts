// The playground: a dockview workbench over one Lab (playground/lab.ts). Each panel is one small
// class in playground/panels; the layout is saved to localStorage on every change and restored on
// load (whatever a panel needs to restore lives in its params); the experiment lives in the URL.
import { createDockview, themeAbyss, type DockviewApi, type SerializedDockview, type IContentRenderer } from 'dockview';
import '../node_modules/dockview/dist/styles/dockview.css';
import './style.css';
import { Lab } from './lab.ts';
import { fromQuery } from './experiment.ts';
import { h } from './plot.ts';
import { Panel } from './panels/panel.ts';
import { DataPanel } from './panels/data.ts';
import { RetrievalPanel } from './panels/retrieval.ts';
import { SimilarityPanel } from './panels/similarity.ts';
import { FalseNegativesPanel } from './panels/false-negatives.ts';
import { EfmPanel } from './panels/efm.ts';
import { TrainingPanel } from './panels/training.ts';
import { ZeroShotPanel } from './panels/zero-shot.ts';
import { KernelsPanel } from './panels/kernels.ts';
import { GuidePanel } from './panels/guide.ts';

type PanelClass = new (lab: Lab, id: string) => Panel;

/** Panel id → tab title and class. Titles are what users (and the tests) look for. */
export const PANELS: Record<string, { title: string; make: PanelClass }> = {
  training: { title: 'Training', make: TrainingPanel },
  guide: { title: 'Guide', make: GuidePanel },
  similarity: { title: 'Similarity matrix', make: SimilarityPanel },
  'false-negatives': { title: 'False negatives', make: FalseNegativesPanel },
  data: { title: 'Data', make: DataPanel },
  retrieval: { title: 'Retrieval', make: RetrievalPanel },
  efm: { title: 'EFM', make: EfmPanel },
  'zero-shot': { title: 'Zero-shot', make: ZeroShotPanel },
  kernels: { title: 'Kernels', make: KernelsPanel },
};

export const LAYOUT_KEY = 'biud.playground.layout.v1';

function defaultLayout(api: DockviewApi): void {
  const add = (id: string, position?: Parameters<DockviewApi['addPanel']>[0]['position'], inactive = false) =>
    api.addPanel({ id, component: id, title: PANELS[id].title, renderer: 'always', position, inactive });
  add('training');
  add('guide', { referencePanel: 'training', direction: 'within' }, true);
  add('similarity', { referencePanel: 'training', direction: 'right' });
  add('false-negatives', { referencePanel: 'similarity', direction: 'within' }, true);
  add('zero-shot', { referencePanel: 'similarity', direction: 'right' });
  add('kernels', { referencePanel: 'zero-shot', direction: 'below' });
  add('data', { referencePanel: 'similarity', direction: 'below' });
  add('retrieval', { referencePanel: 'data', direction: 'within' }, true);
  add('efm', { referencePanel: 'data', direction: 'within' }, true);
  api.getPanel('similarity')?.api.setActive();
  api.getPanel('training')?.api.setActive();
  // Proportions for a wide screen: controls left, the batch in the middle, evaluation right.
  const w = api.width;
  api.getPanel('training')?.group.api.setSize({ width: Math.round(w * 0.27) });
  api.getPanel('zero-shot')?.group.api.setSize({ width: Math.round(w * 0.25) });
}

/** Where a saved layout that could not be restored is kept, so that the default does not overwrite it. */
export const UNREADABLE_LAYOUT_KEY = `${LAYOUT_KEY}.unreadable`;

function restoreLayout(api: DockviewApi, lab: Lab): boolean {
  const saved = localStorage.getItem(LAYOUT_KEY);
  if (!saved) return false;
  try {
    api.fromJSON(JSON.parse(saved) as SerializedDockview);
    // A layout from an older version may lack a panel: add what is missing.
    for (const id of Object.keys(PANELS)) {
      if (!api.getPanel(id)) api.addPanel({ id, component: id, title: PANELS[id].title, renderer: 'always' });
    }
    return true;
  } catch (e) {
    // The default layout is about to be saved over it: keep the user's copy first.
    localStorage.setItem(UNREADABLE_LAYOUT_KEY, saved);
    lab.log(`layout: the saved layout could not be restored (${(e as Error).message}); using the default; the old one is kept in localStorage "${UNREADABLE_LAYOUT_KEY}"`);
    api.clear();
    return false;
  }
}

function noWebGpu(root: HTMLElement, reason: string): void {
  document.title = 'BIUD playground · WebGPU needed';
  root.replaceChildren(h('div', { class: 'no-webgpu' },
    h('h1', {}, 'This playground needs WebGPU'),
    h('p', { class: 'reason' }, reason),
    h('p', {}, 'BIUD trains and runs on your GPU through WebGPU, in this tab; nothing is sent anywhere. To use it:'),
    h('ul', {},
      h('li', {}, h('b', {}, 'Chrome or Edge 113+'), ' on Windows, macOS and ChromeOS have WebGPU on. On Linux, open ', h('code', {}, 'chrome://flags/#enable-unsafe-webgpu'), ' and ', h('code', {}, 'chrome://flags/#enable-vulkan'), ', enable both and relaunch.'),
      h('li', {}, h('b', {}, 'Firefox'), ' 141+ on Windows has WebGPU on; elsewhere set ', h('code', {}, 'dom.webgpu.enabled'), ' to true in ', h('code', {}, 'about:config'), '.'),
      h('li', {}, h('b', {}, 'Safari'), ' 26+ (macOS, iOS) has WebGPU on; older versions: Develop → Feature Flags → WebGPU.'),
      h('li', {}, h('b', {}, 'No GPU, or headless'), ': start Chromium with ', h('code', {}, '--enable-unsafe-webgpu'), ' (its SwiftShader Vulkan driver runs WebGPU on the CPU); on Debian/Ubuntu install ', h('code', {}, 'libvulkan1'), ' and ', h('code', {}, 'mesa-vulkan-drivers'), '.'),
      h('li', {}, 'Open the page from ', h('code', {}, 'http://127.0.0.1'), ', ', h('code', {}, 'localhost'), ' or ', h('code', {}, 'https'), ': WebGPU exists only in secure contexts. ', h('code', {}, 'npm start'), ' serves it on 127.0.0.1.'),
      h('li', {}, 'Check ', h('code', {}, 'chrome://gpu'), ': “WebGPU: Hardware accelerated” (or “Software only” with the flag above).')),
    h('p', {}, 'The command line (', h('code', {}, 'biud train --config tiny'), ') runs the same training in headless Chromium without any of this.')));
}

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const params = new URLSearchParams(location.search);
  const gpu = params.get('webgpu') === '0' ? undefined : navigator.gpu;
  if (!gpu) return noWebGpu(root, window.isSecureContext ? 'This browser does not offer WebGPU (navigator.gpu is missing).' : `This page is not a secure context (${location.origin}), so the browser hides WebGPU.`);
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return noWebGpu(root, 'The browser has WebGPU but offered no adapter: the GPU may be blocklisted, or (on a machine without one) the software adapter needs --enable-unsafe-webgpu.');

  const lab = new Lab(fromQuery(location.search));
  const statusEl = h('span', { class: 'hdr-status' });
  const header = h('header', { class: 'hdr' },
    h('span', { class: 'hdr-title' }, 'BIUD'),
    h('span', { class: 'hdr-sub' }, 'CT ↔ report learning, distilled from an X-ray expert'),
    h('span', { class: 'hdr-exp' }),
    statusEl,
    h('span', { class: 'spacer' }),
    h('button', { class: 'btn btn-small', title: 'forget the saved layout', onclick: () => { localStorage.removeItem(LAYOUT_KEY); location.reload(); } }, 'Reset layout'));
  const host = h('div', { class: 'dock' });
  root.replaceChildren(header, host);
  const showExp = () => {
    const x = lab.exp;
    (header.querySelector('.hdr-exp') as HTMLElement).textContent =
      `${x.config} · seed ${x.seed} · ${x.steps} steps · RoCo ${x.roco ? 'on' : 'off'} · EFM ${x.efm ? 'on' : 'off'} · distill ${x.distill ? 'on' : 'off'}`;
  };
  showExp();
  lab.on('experiment', showExp);
  lab.on('status', () => {
    statusEl.className = `hdr-status badge badge-${lab.status}`;
    statusEl.textContent = lab.status;
    statusEl.title = lab.message;
  });

  const api = createDockview(host, {
    theme: themeAbyss,
    createComponent: ({ id, name }): IContentRenderer => {
      const spec = PANELS[name];
      if (!spec) throw new Error(`unknown panel component "${name}"`);
      return new spec.make(lab, id);
    },
  });
  if (!restoreLayout(api, lab)) defaultLayout(api);
  api.onDidLayoutChange(() => localStorage.setItem(LAYOUT_KEY, JSON.stringify(api.toJSON())));
  lab.focus = (id) => api.getPanel(id)?.api.setActive();
  (window as unknown as { __playground: unknown }).__playground = { lab, api };

  try {
    await lab.init();
    // `npm start` prints a link with ?train=1: the page opens already training on the built-in cohort.
    if (params.get('train') === '1') void lab.start();
  } catch (e) {
    lab.fail(e);
  }
}

void main();
