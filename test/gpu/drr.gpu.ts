// Digitally reconstructed radiographs (shaders/drr.wgsl): the kernel against its CPU reference,
// exact line integrals through known slabs, display orientation, radiographs of procedural chests,
// and the real X-ray PNGs through the same image path.
import { drr, drrRef, DRR_DEFAULTS } from '../../models/data/drr.ts';
import { renderXrays, loadXrayPng, xrayGrid } from '../../models/data/xray.ts';
import { resampleRef } from '../../models/data/preprocess.ts';
import { decodePng, pngToGray } from '../../models/data/png.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, assets } from './harness.ts';

suite('drr', (test) => {
  test('projection matches the CPU reference: odd shapes, a batch, both outputs', async (e) => {
    for (const shape of [[7, 11, 13], [3, 5, 9, 6]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const hu = randomArray(n, 31, -1000, 1500);
      for (const output of ['radiograph', 'depth'] as const) {
        const y = e.scope(() => drr(e.tensor(hu, shape), 2.5, { output }));
        expectEqual(y.shape, shape.length === 4 ? [shape[0], shape[1], shape[3]] : [shape[0], shape[2]], `[${shape}] shape`);
        expectClose(await y.data(), drrRef(hu, shape, 2.5, { output }), `[${shape}] ${output}`, 1e-5, 1e-5);
        y.dispose();
      }
    }
  });

  test('line integrals of known slabs, and the viewer sees the patient\'s right on the left', async (e) => {
    // D = 4, H = 10, W = 6 of water, Δy 2.5 mm: L = 0.02 · 25 = 0.5 everywhere; air gives 0.
    const water = new Float32Array(4 * 10 * 6);
    const y = e.scope(() => drr(e.tensor(water, [4, 10, 6]), 2.5, { output: 'depth' }));
    expectClose(await y.data(), new Float32Array(24).fill(0.5), 'water slab', 1e-6);
    y.dispose();
    // Bone (1000 HU) at the top of the patient's right (z = D−1, x = W−1) only.
    const vol = new Float32Array(4 * 10 * 6).fill(-1000);
    for (let j = 0; j < 10; j++) vol[5 + 6 * (j + 10 * 3)] = 1000;
    const r = e.scope(() => drr(e.tensor(vol, [4, 10, 6]), 2.5, { output: 'depth' }));
    const img = await r.data();
    expectClose([img[0]], [0.02 * (1 + DRR_DEFAULTS.bone) * 25], 'bone column at the top left', 1e-5);
    expectTrue(img.subarray(1).every((v) => v === 0), 'air everywhere else');
    r.dispose();
  });

  test('radiographs of procedural chests: dark lungs, bright spine, a consolidation shows', async (e) => {
    const none = new Array(18).fill(0);
    const cons = none.map((_, k) => (k === 15 ? 1 : 0));
    const x = renderXrays(e, [{ seed: 4, labels: none }, { seed: 4, labels: cons }], { image: { size: [48, 48], spacing: [6.5, 6.5] } });
    expectEqual(x.shape, [2, 1, 48, 48], 'batch shape');
    const v = await x.data();
    x.dispose();
    const at = (b: number, r: number, c: number) => v[b * 2304 + r * 48 + c];
    // Mid-height: the spine column (centre) against the lung fields a third of the way out.
    const r = 20;
    const lungs = (at(0, r, 14) + at(0, r, 33)) / 2, spine = at(0, r, 24);
    expectTrue(lungs < 0.6 && spine > lungs + 0.2, `lungs ${lungs.toFixed(2)} darker than the spine ${spine.toFixed(2)}`);
    let brighter = 0;
    for (let i = 0; i < 2304; i++) if (v[2304 + i] > v[i] + 0.03) brighter++;
    expectTrue(brighter > 10, `the consolidation brightens ${brighter} pixels`);
    expectEqual(xrayGrid({ size: [48, 48], spacing: [6.5, 6.5] }).size, [48, 64, 48], 'the phantom behind the radiograph');
  });

  test('the shipped X-ray PNGs load as gray and resize on the GPU', async (e) => {
    for (const f of ['data/cxr/00000001_000.png', 'data/cxr/00027426_000.png']) {
      const bytes = await assets.read(f);
      const t = await loadXrayPng(e, bytes, [64, 64], { name: f });
      expectEqual(t.shape, [64, 64], `${f} shape`);
      const png = await decodePng(bytes);
      const sy = png.height / 64, sx = png.width / 64;
      const want = resampleRef(pngToGray(png), [png.height, png.width], { shape: [64, 64], origin: [0.5 * sx - 0.5, 0.5 * sy - 0.5, 0], step: [sx, sy, 1], border: 'clamp', samples: 4 });
      expectClose(await t.data(), want, f, 1e-4);
      t.dispose();
    }
  });

  test('bad inputs are refused with a message', async (e) => {
    const t = e.tensor(new Float32Array(6), [2, 3]);
    await expectThrows(() => drr(t, 1), /\[D, H, W\] or \[B, D, H, W\]/, 'a 2-D input');
    t.dispose();
    const v = e.tensor(new Float32Array(8), [2, 2, 2]);
    await expectThrows(() => drr(v, 0), /spacing along y must be positive/, 'zero spacing');
    await expectThrows(() => drr(v, 1, { gain: -1 }), /gain must be a positive number/, 'negative gain');
    v.dispose();
    await expectThrows(() => renderXrays(e, [{ seed: 1, labels: [1, 0] }]), /2 labels, expected 18/, 'short labels');
  });
});
