// A small BiudData for trainer tests: volumes and radiographs are made on the CPU (a blob per
// finding at a finding-specific place), reports are short real-looking sentences. Fast and
// deterministic, so tests exercise the trainer, not the phantom.
import type { Engine } from '../../engine/engine.ts';
import type { BiudConfig } from '../../models/config.ts';
import type { BiudData, CtItem, Report, XrayItem } from '../../models/train/data.ts';
import { FINDINGS } from '../../models/text/index.ts';
import { mulberry32 } from '../../models/text/rng.ts';

const USED = [2, 7, 12, 15]; // Cardiomegaly, Emphysema, Pleural effusion, Consolidation

function report(labels: Uint8Array): string {
  return USED.map((k) => (labels[k] ? `${FINDINGS[k]} is observed.` : `No ${FINDINGS[k].toLowerCase()} was detected.`)).join(' ');
}

function labelsFrom(bits: number): Uint8Array {
  const l = new Uint8Array(18);
  USED.forEach((k, i) => (l[k] = (bits >> i) & 1));
  return l;
}

function blobs(size: number[], labels: Uint8Array, seed: number): Float32Array {
  const [D, H, W] = size;
  const out = new Float32Array(D * H * W);
  const rng = mulberry32(seed);
  for (let i = 0; i < out.length; i++) out[i] = 0.1 * rng();
  // Finding i sits in its own quadrant: (a, b) along (z, y) in a volume, (y, x) in an image.
  USED.forEach((k, i) => {
    if (!labels[k]) return;
    const a = ((i % 2) + 0.5) / 2, b = ((i >> 1) + 0.5) / 2;
    for (let z = 0; z < D; z++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const r = D === 1 ? (y / H - a) ** 2 + (x / W - b) ** 2 : (z / D - a) ** 2 + (y / H - b) ** 2 + (x / W - 0.5) ** 2;
      if (r * 16 < 1) out[(z * H + y) * W + x] += 0.8;
    }
  });
  return out;
}

export function toyData(seed = 3): BiudData {
  const ctReports: Report[] = [];
  const heldoutReports: Report[] = [];
  for (let bits = 0; bits < 16; bits++) {
    const labels = labelsFrom(bits);
    const r = { text: report(labels), labels, source: `toy-${bits}` };
    (bits % 5 === 4 ? heldoutReports : ctReports).push(r, { ...r, text: r.text.replace('is observed', 'is present') });
  }
  const xrayReports = ctReports.map((r) => ({ ...r, text: r.text.replace(/observed/g, 'seen') }));
  const xrayPool: XrayItem[] = xrayReports.map((r, i) => ({ imageSeed: 1000 + i, labels: r.labels, report: i }));
  const pick = (list: Report[], n: number, s: number): CtItem[] => {
    const rng = mulberry32(s);
    return Array.from({ length: n }, (_, i) => {
      const report = Math.floor(rng() * list.length);
      return { volumeSeed: s * 7919 + i, labels: list[report].labels, report };
    });
  };
  return {
    ctReports, heldoutReports, xrayReports, xrayPool,
    trainBatch: (step, batch) => pick(ctReports, batch, seed * 100_003 + step),
    heldout: (n) => pick(heldoutReports, n, seed + 77),
    renderCt(e: Engine, items: CtItem[], cfg: BiudConfig) {
      const size = cfg.ct.size;
      const n = size[0] * size[1] * size[2];
      const data = new Float32Array(items.length * n);
      items.forEach((it, i) => data.set(blobs(size, it.labels, it.volumeSeed), i * n));
      return e.tensor(data, [items.length, 1, ...size]);
    },
    renderXray(e: Engine, items: XrayItem[], cfg: BiudConfig) {
      const [, H, W] = cfg.expert.image.size;
      const data = new Float32Array(items.length * H * W);
      items.forEach((it, i) => data.set(blobs([1, H, W], it.labels, it.imageSeed), i * H * W));
      return e.tensor(data, [items.length, 1, H, W]);
    },
  };
}
