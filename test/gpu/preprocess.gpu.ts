// The CT preprocessing kernels: trilinear resampling (identity, downsample, upsample, odd sizes,
// sub-sampled, clamped edges), HU windowing, the body-centred crop/pad, a shipped NIfTI through
// the whole path, and refusals of impossible sizes.
import type { Engine } from '../../engine/index.ts';
import {
  resample, resampleRef, windowHU, windowRef, resizeImage, preprocessVolume, bodyBox, centredSpec,
  HU_WINDOW, type ResampleSpec,
} from '../../models/data/preprocess.ts';
import { readNifti, toRAS } from '../../models/data/nifti.ts';
import { suite, expectClose, expectEqual, expectThrows, expectTrue, randomArray, assets } from './harness.ts';

async function check(e: Engine, data: Float32Array, inShape: number[], spec: ResampleSpec, what: string, tol = 5e-3): Promise<void> {
  const y = e.scope(() => resample(e.tensor(data, inShape), spec));
  expectEqual(y.shape, spec.shape, `${what}: shape`);
  expectClose(await y.data(), resampleRef(data, inShape, spec), what, tol, 1e-5);
  y.dispose();
}

suite('preprocess', (test) => {
  test('identity resample returns the input exactly', async (e) => {
    const shape = [7, 9, 11];
    const x = randomArray(7 * 9 * 11, 1, -1000, 1000);
    const y = e.scope(() => resample(e.tensor(x, shape), { shape, origin: [0, 0, 0], step: [1, 1, 1] }));
    expectClose(await y.data(), x, 'identity', 0);
    y.dispose();
  });

  test('trilinear resampling matches the reference: downsample, upsample, odd sizes, padding', async (e) => {
    const shape = [13, 17, 19];
    const x = randomArray(13 * 17 * 19, 2, -1000, 1500);
    await check(e, x, shape, { shape: [5, 7, 9], origin: [0.3, -0.2, 0.1], step: [2.1, 2.4, 2.9] }, 'downsample');
    await check(e, x, shape, { shape: [29, 31, 37], origin: [-1.5, -0.75, -2], step: [0.6, 0.61, 0.5] }, 'upsample past the edges (pad)');
    await check(e, x, shape, { shape: [11, 3, 23], origin: [-3, 2, 1], step: [1, 5, 0.7], pad: -2048 }, 'odd sizes, another pad');
    await check(e, x, shape, { shape: [6, 8, 5], origin: [-2, -2, -2], step: [4, 3.2, 2.7], border: 'clamp' }, 'clamped edges');
    await check(e, x, shape, { shape: [4, 5, 6], origin: [1, 1, 1], step: [3, 3, 3], samples: 3 }, '3³ sub-samples');
    await check(e, x, shape, { shape: [9, 9, 9], origin: [0, 0, 0], step: [1.7, 1.9, 1.3], window: [-1150, 350] }, 'fused window', 1e-5);
  });

  test('HU window maps [-1150, 350] to [0, 1] with clamping', async (e) => {
    const x = Float32Array.from([-3000, -1150, -400, 0, 350, 351, 3000, ...randomArray(1001, 3, -1500, 600)]);
    const y = e.scope(() => windowHU(e.tensor(x)));
    const want = windowRef(x);
    expectClose(await y.data(), want, 'window', 1e-6);
    expectClose(want.subarray(0, 7), [0, 0, 0.5, 1150 / 1500, 1, 1, 1], 'window anchors', 1e-6);
    y.dispose();
    const z = e.scope(() => windowHU(e.tensor(x), -160, 240));
    expectClose(await z.data(), windowRef(x, -160, 240), 'mediastinal window', 1e-6);
    z.dispose();
  });

  test('image resize follows align_corners=False; antialiasing averages the footprint', async (e) => {
    const img = randomArray(37 * 41, 4, 0, 1);
    const y = e.scope(() => resizeImage(e.tensor(img, [37, 41]), [16, 12]));
    expectEqual(y.shape, [16, 12], 'resize shape');
    const sy = 37 / 16, sx = 41 / 12;
    expectClose(await y.data(), resampleRef(img, [37, 41], { shape: [16, 12], origin: [0.5 * sx - 0.5, 0.5 * sy - 0.5, 0], step: [sx, sy, 1], border: 'clamp' }), 'bilinear resize', 1e-5);
    y.dispose();
    // A 1-pixel checkerboard downsampled 4×: plain bilinear keeps aliasing, the box prefilter gives 0.5.
    const cb = Float32Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) + Math.floor(i / 64)) % 2);
    const a = e.scope(() => resizeImage(e.tensor(cb, [64, 64]), [16, 16], { antialias: true }));
    const av = await a.data();
    expectTrue(av.every((v) => Math.abs(v - 0.5) < 1e-5), `antialiased checkerboard is flat grey (got ${av[0]}, ${av[1]})`);
    a.dispose();
  });

  test('the body is centred in the output grid, padded with air', async (e) => {
    // 40×30×20 voxels (x, y, z) of 2×3×4 mm air with a box of tissue off-centre.
    const dims: [number, number, number] = [40, 30, 20];
    const data = new Float32Array(40 * 30 * 20).fill(-1000);
    for (let z = 2; z < 12; z++) for (let y = 5; y < 25; y++) for (let x = 20; x < 36; x++) data[x + 40 * (y + 30 * z)] = 40;
    const vol = { data, dims, spacing: [2, 3, 4] as [number, number, number] };
    const box = bodyBox(vol)!;
    expectEqual(box, { lo: [20, 5, 2], hi: [35, 24, 11] }, 'body box');
    const grid = { size: [16, 24, 24] as [number, number, number], spacing: [4, 4, 4] as [number, number, number] };
    const { volume, warnings } = preprocessVolume(e, vol, grid, { window: null });
    expectEqual(volume.shape, [16, 24, 24], 'shape');
    const got = await volume.data();
    const spec = centredSpec(vol, grid, box, { window: null });
    expectClose(got, resampleRef(data, [20, 30, 40], spec), 'centred resample', 1e-3);
    // The box spans 32 mm in x, 60 mm in y, 40 mm in z: centred, it covers voxels 8..15 (x), 4..19 (y), 3..12 (z).
    const at = (z: number, y: number, x: number) => got[x + 24 * (y + 24 * z)];
    expectTrue(at(8, 12, 12) === 40 && at(8, 12, 11) === 40, `tissue at the centre (${at(8, 12, 12)})`);
    expectTrue(at(0, 0, 0) === -1024 && at(15, 23, 23) === -1024, `padded corners read air (${at(0, 0, 0)})`);
    expectTrue(warnings.some((w) => /non-chest/.test(w)), `the chest heuristic warns: ${warnings}`);
    volume.dispose();
    const b = preprocessVolume(e, vol, grid, { batchDims: true });
    expectEqual(b.volume.shape, [1, 1, 16, 24, 24], 'batch dims');
    const w = await b.volume.data();
    expectTrue(w.every((v) => v >= 0 && v <= 1), 'windowed to [0, 1]');
    b.volume.dispose();
  });

  test('a shipped chest CT through the whole path matches the reference', async (e) => {
    const vol = toRAS(await readNifti(await assets.read('data/ct/LIDC-IDRI-0001_ct_3mm.nii.gz'), { name: 'LIDC' }));
    const grid = { size: [64, 64, 64] as [number, number, number], spacing: [5, 5, 5] as [number, number, number] };
    const { volume, box, spec, warnings } = preprocessVolume(e, vol, grid);
    expectTrue(box !== null, 'a body was found');
    expectTrue(!warnings.some((w) => /non-chest/.test(w)), `no chest warning: ${warnings}`);
    const got = await volume.data();
    expectClose(got, resampleRef(vol.data, [vol.dims[2], vol.dims[1], vol.dims[0]], spec), 'LIDC to 64³ at 5 mm', 1e-4);
    // Lungs in the middle slab: a good share of voxels in the window's lung range.
    let lung = 0;
    for (let i = 32 * 64 * 64; i < 33 * 64 * 64; i++) if (got[i] > 0.1 && got[i] < 0.25) lung++;
    expectTrue(lung > 400, `aerated lung in the mid slice (${lung} voxels)`);
    volume.dispose();
    const aa = preprocessVolume(e, vol, grid, { antialias: true });
    expectEqual(aa.spec.samples, 2, 'antialias picks 2 sub-samples for 3 mm → 5 mm');
    aa.volume.dispose();
    // An abdomen goes through too, with the reader's warning passed on.
    const abd = toRAS(await readNifti(await assets.read('data/ct/abdomen_example_ct_sm_3mm.nii.gz'), { name: 'abdomen' }));
    const p = preprocessVolume(e, abd, grid);
    expectTrue(p.warnings.some((w) => /non-chest volume/.test(w)), `the abdomen is flagged: ${p.warnings}`);
    p.volume.dispose();
  });

  test('impossible sizes are refused with a message naming them', async (e) => {
    const vol = { data: new Float32Array(8).fill(0), dims: [2, 2, 2] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], warnings: [] };
    await expectThrows(() => preprocessVolume(e, vol, { size: [0, 64, 64], spacing: [5, 5, 5] }), /target size \[0, 64, 64\] is impossible/, 'zero size');
    await expectThrows(() => preprocessVolume(e, vol, { size: [64, 64, 64], spacing: [5, -5, 5] }), /target spacing \[5, -5, 5\] is impossible/, 'negative spacing');
    await expectThrows(() => preprocessVolume(e, vol, { size: [64, 64.5, 64], spacing: [5, 5, 5] }), /\[64, 64.5, 64\] is impossible/, 'fractional size');
    await expectThrows(() => preprocessVolume(e, vol, { size: [4096, 4096, 4096], spacing: [1, 1, 1] }), /\[4096, 4096, 4096\].*maxStorageBufferBindingSize/, 'too large');
    await expectThrows(() => preprocessVolume(e, { ...vol, dims: [2, 2, 3] }, { size: [4, 4, 4], spacing: [1, 1, 1] }), /8 voxels for dims \[2, 2, 3\]/, 'data/dims mismatch');
    const x = e.tensor(new Float32Array(8), [2, 2, 2]);
    await expectThrows(() => windowHU(x, 350, -1150), /window \[350, -1150\] is impossible/, 'inverted window');
    await expectThrows(() => resample(x, { shape: [2, 2], origin: [0, 0, 0], step: [1, 1, 1], samples: 9 }), /samples must be 1\.\.4/, 'too many samples');
    x.dispose();
    expectEqual([...HU_WINDOW], [-1150, 350], 'default window');
  });
});
