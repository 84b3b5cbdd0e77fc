// The CT encoder's pooling: with `pool: 'flat'` (micro, tiny) the pooled vector is one linear map
// of every token after the final norm, so it can weigh each place in the volume on its own; the
// default averages the tokens. Checked against a CPU computation from the encoder's own tokens
// and weights, and by moving one patch's content elsewhere. The optional convolutional stem, with
// filters that tile the volume or overlap: patch tokens = conv(GELU(conv(standardised x, stem)),
// patch) against the CPU references, and gradients reach the stem. The optional cell statistics:
// the statistics (encoderStats) against their CPU reference on a volume with known extremes, tokens = patch_embed(x) +
// stats_proj(statistics of x), with and without the blob maps, on the CPU references, and gradients reach stats_proj. The optional standardisation: the per-feature means
// and spreads fitted from volumes against a CPU computation, the tokens made from the standardised
// voxels and statistics, and no gradient into the fitted values. The optional stem maxima
// (`stemMax`): per patch into the tokens, or over the volume into the pooled vector, against the
// CPU references (maxPool3dRef), with gradients into the map and the stem. The optional tokens'
// maximum (`poolMax`): the pooled vector adds a map of each channel's maximum over the patch
// tokens, against a CPU computation from the encoder's own tokens.
import { ParamStore } from '../../engine/params.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { Engine } from '../../engine/index.ts';
import * as ops from '../../engine/ops/index.ts';
import { getConfig } from '../../models/config.ts';
import { VisionEncoder, encoderStats, STD_FLOOR } from '../../models/vision-encoder.ts';
import { conv3dRef } from '../../engine/ops/conv.ts';
import { geluRef } from '../../engine/ops/activation.ts';
import { suite, expectClose, expectTrue, expectEqual, expectThrows, randomArray } from './harness.ts';

/** A conv's output [B, W, patches] (flat, as conv3dRef gives it) as the encoder's tokens [B, patches, W]. */
function asTokens(B: number, Wd: number, y: ArrayLike<number>): Float32Array {
  const P = y.length / (B * Wd);
  const out = new Float32Array(y.length);
  for (let b = 0; b < B; b++) for (let c = 0; c < Wd; c++) for (let t = 0; t < P; t++) out[(b * P + t) * Wd + c] = y[(b * Wd + c) * P + t];
  return out;
}

/** d sum(embedding) / d `param`, from one backward through the encoder. */
async function embeddingGrad(store: ParamStore, enc: VisionEncoder, x: Tensor, param: Tensor): Promise<Float32Array> {
  store.zeroGrad();
  ops.sum(enc.forward(x).embedding).backward();
  const g = (await store.flatGrads().data()) as Float32Array;
  const off = param.storage.offset / 4;
  return g.subarray(off, off + param.size);
}

/**
 * A micro CT encoder with cell statistics `stats`, its patch tokens for two random volumes checked
 * against patch_embed + stats_proj on the CPU references, `statsRef` giving one standardised
 * volume's statistics [C, D/c, H/c, W/c] (cells of 4 × 4 × 2 voxels). Returns the encoder, the
 * input and the statistics of both volumes.
 */
async function statsTokens(e: Engine, stats: { cell: [number, number, number]; blob?: number }, seed: number, statsRef: (one: Float32Array, D: number, H: number, W: number) => Float32Array) {
  const cfg = getConfig('micro', { ct: { stats } });
  const store = new ParamStore(e, seed);
  const enc = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
  store.finalize();
  const [D, H, W] = cfg.ct.size, Wd = cfg.ct.width, V = D * H * W, C = 4 * (stats.blob ? 3 : 1);
  expectEqual(enc.statsWeight?.shape, [Wd, C, 2, 2, 4], `stats_proj weight [width, ${C} statistics, patch / cell]`);
  const vol = randomArray(2 * V, seed, 0, 1);
  const x = e.tensor(vol, [2, 1, D, H, W]);
  const tokens = (await e.noGrad(() => enc.embedPatches(x)).data()) as Float32Array;
  const read = async (t: Tensor) => Array.from((await t.data()) as Float32Array);
  const pw = await read(enc.patchWeight), pb = await read(enc.patchBias), sw = await read(enc.statsWeight!), sb = await read(enc.statsBias!);
  const std = Float32Array.from(vol, (u) => (u - 0.35) / 0.3);
  const p = conv3dRef(Array.from(std), [2, 1, D, H, W], pw, [Wd, 1, 8, 8, 8], pb, { stride: [8, 8, 8], padding: 0 });
  const per = [0, 1].map((b) => statsRef(std.slice(b * V, (b + 1) * V), D, H, W));
  const st = new Float32Array(2 * per[0].length);
  per.forEach((f, b) => st.set(f, b * f.length));
  const q = conv3dRef(Array.from(st), [2, C, D / 4, H / 4, W / 2], sw, [Wd, C, 2, 2, 4], sb, { stride: [2, 2, 4], padding: 0 });
  expectClose(tokens, asTokens(2, Wd, p.data.map((u, i) => u + q.data[i])), `patch embedding + stats_proj(${C} statistics)`, 1e-4);
  return { store, enc, x, st };
}

suite('vision-encoder', (test) => {
  test("pool 'flat' is pool_proj(all tokens) and sees where things are; 'mean' averages", async (e) => {
    const cfg = getConfig('micro');
    expectEqual(cfg.ct.pool, 'flat', 'micro pools flat');
    const store = new ParamStore(e, 3);
    const flat = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
    const mean = new VisionEncoder(store, 'mean_encoder', { ...cfg.ct, pool: 'mean' }, cfg.embedDim);
    store.finalize();
    const [D, H, W] = cfg.ct.size;
    const T = 9;
    const Wd = cfg.ct.width;
    expectEqual(flat.flat?.weight.shape, [Wd, T * Wd], 'pool_proj.weight is [width, tokens·width]');
    expectEqual(mean.flat, null, "'mean' has no pool_proj");
    // Volume 0 random; volume 1 the same with its first and last 8³ patches swapped.
    const v = randomArray(2 * D * H * W, 11, 0, 1);
    const at = (b: number, z: number, y: number, x: number) => b * D * H * W + (z * H + y) * W + x;
    for (let z = 0; z < 16; z++) for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) v[at(1, z, y, x)] = v[at(0, z, y, x)];
    for (let z = 0; z < 8; z++) for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
      v[at(1, z, y, x)] = v[at(0, z + 8, y + 8, x + 8)];
      v[at(1, z + 8, y + 8, x + 8)] = v[at(0, z, y, x)];
    }
    const x = e.tensor(v, [2, 1, D, H, W]);
    const out = e.noGrad(() => flat.forward(x));
    const tokens = (await out.tokens.data()) as Float32Array;
    const pooled = (await out.cls.data()) as Float32Array;
    const w = (await flat.flat!.weight.data()) as Float32Array;
    const bias = (await flat.flat!.bias!.data()) as Float32Array;
    const want = new Float32Array(2 * Wd);
    for (let b = 0; b < 2; b++) for (let o = 0; o < Wd; o++) {
      let s = bias[o];
      for (let i = 0; i < T * Wd; i++) s += w[o * T * Wd + i] * tokens[b * T * Wd + i];
      want[b * Wd + o] = s;
    }
    expectClose(pooled, want, 'flat pooled = pool_proj(tokens)', 1e-4);
    const diff = Array.from({ length: Wd }, (_, o) => Math.abs(pooled[o] - pooled[Wd + o])).reduce((a, c) => Math.max(a, c), 0);
    expectTrue(diff > 1e-3, `moving a patch's content changes the flat pooled vector (max |Δ| ${diff.toExponential(2)})`);
    const m = e.noGrad(() => mean.forward(x));
    const mt = (await m.tokens.data()) as Float32Array;
    const mp = (await m.cls.data()) as Float32Array;
    const wantMean = new Float32Array(2 * Wd);
    for (let b = 0; b < 2; b++) for (let t = 0; t < T; t++) for (let o = 0; o < Wd; o++) wantMean[b * Wd + o] += mt[(b * T + t) * Wd + o] / T;
    expectClose(mp, wantMean, "'mean' pooled = mean of tokens", 1e-5);
    for (const t of [x, out.embedding, out.tokens, out.cls, m.embedding, m.tokens, m.cls]) t.dispose();
    store.destroy();
  });

  test('a stem, with and without overlap: tokens = patch_embed(GELU(stem(x))) on the CPU references; its weights get gradients', async (e) => {
    // overlap o: filters of size + 2·o over the input padded by o, the same stride, so the same grid.
    for (const [overlap, seed] of [[0, 12], [1, 14]]) {
      const cfg = getConfig('micro', { ct: { stem: { channels: 3, size: [2, 4, 2], overlap } } });
      const store = new ParamStore(e, 5 + 4 * overlap);
      const enc = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
      store.finalize();
      const [D, H, W] = cfg.ct.size, Wd = cfg.ct.width;
      const kernel = [2, 4, 2].map((k) => k + 2 * overlap);
      expectEqual(enc.stemWeight?.shape, [3, 1, ...kernel], `overlap ${overlap}: stem weight [channels, 1, size + 2·overlap]`);
      expectEqual(enc.patchWeight.shape, [Wd, 3, 4, 2, 4], `overlap ${overlap}: the patch embedding reads the stem channels over patch / size`);
      const v = randomArray(2 * D * H * W, seed, 0, 1);
      const x = e.tensor(v, [2, 1, D, H, W]);
      const tokens = (await e.noGrad(() => enc.embedPatches(x)).data()) as Float32Array;
      const read = async (t: typeof x) => Array.from((await t.data()) as Float32Array);
      const sw = await read(enc.stemWeight!), sb = await read(enc.stemBias!), pw = await read(enc.patchWeight), pb = await read(enc.patchBias);
      const std = Array.from(v, (u) => (u - 0.35) / 0.3);
      const s1 = conv3dRef(std, [2, 1, D, H, W], sw, [3, 1, ...kernel], sb, { stride: [2, 4, 2], padding: overlap });
      expectEqual(s1.shape, [2, 3, 8, 4, 8], `overlap ${overlap}: the stem keeps its grid`);
      const p = conv3dRef(Array.from(geluRef(s1.data)), s1.shape, pw, [Wd, 3, 4, 2, 4], pb, { stride: [4, 2, 4], padding: 0 });
      expectClose(tokens, asTokens(2, Wd, p.data), `overlap ${overlap}: stem + patch embedding`, 1e-4);
      const gStem = await embeddingGrad(store, enc, x, enc.stemWeight!);
      expectTrue(gStem.some((u) => Math.abs(u) > 1e-7), `overlap ${overlap}: the stem weights receive gradients`);
      x.dispose();
      store.destroy();
    }
    await expectThrows(() => getConfig('micro', { ct: { stem: { channels: 3, size: [3, 3, 3] } } }), /stem size \[3,3,3\] does not divide its patch/, 'a stem that does not divide the patch is refused');
    await expectThrows(() => getConfig('micro', { ct: { stem: { channels: 3, size: [2, 4, 2], overlap: -1 } } }), /stem overlap must be a whole number/, 'a negative overlap is refused');
  });

  test("stemMax: each stem channel's maximum per patch into its token, or over the volume into the pooled vector (CPU references)", async (e) => {
    const stem = { channels: 3, size: [2, 4, 2] as [number, number, number] };
    const cfgP = getConfig('micro', { ct: { stem, stemMax: 'patch' } });
    const cfgG = getConfig('micro', { ct: { stem, stemMax: 'global' } });
    const store = new ParamStore(e, 6);
    const encP = new VisionEncoder(store, 'ct_encoder', cfgP.ct, cfgP.embedDim);
    const encG = new VisionEncoder(store, 'global_encoder', cfgG.ct, cfgG.embedDim);
    store.finalize();
    const [D, H, W] = cfgP.ct.size, Wd = cfgP.ct.width, B = 2, C = 3;
    expectEqual(encP.stemMax?.weight.shape, [Wd, C], 'stem_max.weight is [width, channels]');
    const v = randomArray(B * D * H * W, 13, 0, 1);
    const x = e.tensor(v, [B, 1, D, H, W]);
    const read = async (t: Tensor) => Array.from((await t.data()) as Float32Array);
    const std = Array.from(v, (u) => (u - 0.35) / 0.3);
    // The stem's features G and the tokens without the maxima, for either encoder.
    const parts = async (enc: VisionEncoder) => {
      const sw = await read(enc.stemWeight!), sb = await read(enc.stemBias!), pw = await read(enc.patchWeight), pb = await read(enc.patchBias);
      const s1 = conv3dRef(std, [B, 1, D, H, W], sw, [C, 1, ...stem.size], sb, { stride: stem.size, padding: 0 });
      const g = Array.from(geluRef(s1.data));
      const p = conv3dRef(g, s1.shape, pw, [Wd, C, 4, 2, 4], pb, { stride: [4, 2, 4], padding: 0 });
      return { g, gShape: s1.shape, tokens: asTokens(B, Wd, p.data), mw: await read(enc.stemMax!.weight), mb: await read(enc.stemMax!.bias!) };
    };
    // 'patch': the token of patch t gets W·max_{patch t}(G) + b.
    const P = await parts(encP);
    const mp = ops.maxPool3dRef(P.g, P.gShape, { kernel: [4, 2, 4] }).data;
    const T = mp.length / (B * C);
    const want = Float32Array.from(P.tokens);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let o = 0; o < Wd; o++) {
      let s = P.mb[o];
      for (let c = 0; c < C; c++) s += P.mw[o * C + c] * mp[(b * C + c) * T + t];
      want[(b * T + t) * Wd + o] += s;
    }
    const tokens = (await e.noGrad(() => encP.embedPatches(x)).data()) as Float32Array;
    expectClose(tokens, want, "'patch': tokens + stem_max(per-patch maxima)", 1e-4);
    // 'global': the tokens have no maxima; the pooled vector = pool_proj(tokens) + W·max_volume(G) + b.
    const G = await parts(encG);
    const tokensG = (await e.noGrad(() => encG.embedPatches(x)).data()) as Float32Array;
    expectClose(tokensG, G.tokens, "'global': the tokens are the patch embedding alone", 1e-4);
    const out = e.noGrad(() => encG.forward(x));
    const all = (await out.tokens.data()) as Float32Array, pooled = (await out.cls.data()) as Float32Array;
    const fw = await read(encG.flat!.weight), fb = await read(encG.flat!.bias!);
    const n = all.length / B, per = G.g.length / (B * C);
    const wantPooled = new Float32Array(B * Wd);
    for (let b = 0; b < B; b++) for (let o = 0; o < Wd; o++) {
      let s = fb[o] + G.mb[o];
      for (let i = 0; i < n; i++) s += fw[o * n + i] * all[b * n + i];
      for (let c = 0; c < C; c++) s += G.mw[o * C + c] * Math.max(...G.g.slice((b * C + c) * per, (b * C + c + 1) * per));
      wantPooled[b * Wd + o] = s;
    }
    expectClose(pooled, wantPooled, "'global': pooled = pool_proj(tokens) + stem_max(volume maxima)", 1e-4);
    for (const enc of [encP, encG]) {
      const gm = await embeddingGrad(store, enc, x, enc.stemMax!.weight);
      expectTrue(gm.some((u) => Math.abs(u) > 1e-7), `${enc.name}: stem_max receives gradients`);
      const gs = await embeddingGrad(store, enc, x, enc.stemWeight!);
      expectTrue(gs.some((u) => Math.abs(u) > 1e-7), `${enc.name}: the stem receives gradients`);
    }
    await expectThrows(() => getConfig('micro', { ct: { stemMax: 'patch' } }), /stemMax "patch" but no stem/, 'stemMax without a stem is refused');
    await expectThrows(() => getConfig('micro', { ct: { stem, stemMax: 'mean' as 'patch' } }), /stemMax "mean" is neither/, 'an unknown stemMax is refused');
    for (const t of [x, out.embedding, out.tokens, out.cls]) t.dispose();
    store.destroy();
  });

  test("poolMax: the pooled vector adds pool_max(each channel's maximum over the patch tokens) (CPU reference)", async (e) => {
    const cfg = getConfig('micro', { ct: { poolMax: true } });
    const store = new ParamStore(e, 8);
    const enc = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
    store.finalize();
    const [D, H, W] = cfg.ct.size, Wd = cfg.ct.width, B = 3;
    expectEqual(enc.poolMax?.weight.shape, [Wd, Wd], 'pool_max.weight is [width, width]');
    const x = e.tensor(randomArray(B * D * H * W, 17, 0, 1), [B, 1, D, H, W]);
    const out = e.noGrad(() => enc.forward(x));
    const read = async (t: Tensor) => Array.from((await t.data()) as Float32Array);
    const all = await read(out.tokens), pooled = await read(out.cls);
    const fw = await read(enc.flat!.weight), fb = await read(enc.flat!.bias!);
    const mw = await read(enc.poolMax!.weight), mb = await read(enc.poolMax!.bias!);
    const n = all.length / B, T = n / Wd;
    // [CLS] (token 0) is left out of the maximum: it is one learnt vector, not a place.
    let clsWins = 0;
    const want = new Float32Array(B * Wd);
    for (let b = 0; b < B; b++) {
      const m = new Float64Array(Wd).fill(-Infinity);
      for (let t = 1; t < T; t++) for (let c = 0; c < Wd; c++) m[c] = Math.max(m[c], all[b * n + t * Wd + c]);
      for (let c = 0; c < Wd; c++) if (all[b * n + c] > m[c]) clsWins++;
      for (let o = 0; o < Wd; o++) {
        let s = fb[o] + mb[o];
        for (let i = 0; i < n; i++) s += fw[o * n + i] * all[b * n + i];
        for (let c = 0; c < Wd; c++) s += mw[o * Wd + c] * m[c];
        want[b * Wd + o] = s;
      }
    }
    expectTrue(clsWins > 0, '[CLS] is above every patch token in some channel, so including it would show');
    expectClose(pooled, want, 'pooled = pool_proj(tokens) + pool_max(max over patch tokens)', 1e-4);
    const gm = await embeddingGrad(store, enc, x, enc.poolMax!.weight);
    expectTrue(gm.some((u) => Math.abs(u) > 1e-7), 'pool_max receives gradients');
    const gp = await embeddingGrad(store, enc, x, enc.patchWeight);
    expectTrue(gp.some((u) => Math.abs(u) > 1e-7), 'the patch embedding receives gradients through it');
    for (const t of [x, out.embedding, out.tokens, out.cls]) t.dispose();
    store.destroy();
  });

  test('cell statistics: mean, max, min, spread per cell (CPU reference); tokens add stats_proj of them; it gets gradients', async (e) => {
    // The statistics alone, on cells that are not cubes, with one planted extreme per cell.
    const shape = [2, 1, 4, 6, 4], cell: [number, number, number] = [2, 3, 2];
    const n = shape.reduce((a, b) => a * b, 1);
    const v = randomArray(n, 21, -1, 1);
    v[5] = 9; v[n - 1] = -7;
    const s = (await encoderStats(e.tensor(v, shape), { cell }).data()) as Float32Array;
    const want = ops.cellStats3dRef(v, shape, cell);
    expectEqual(s.length, 2 * 4 * 2 * 2 * 2, 'the statistics are [B, 4, D/c, H/c, W/c]');
    expectClose(s, want, 'the statistics = mean, max, min, spread per cell', 1e-5);
    expectTrue(want.includes(9) && want.includes(-7), 'the planted extremes are what the reference finds');

    const { store, enc, x } = await statsTokens(e, { cell: [4, 4, 2] }, 13, (one, D, H, W) => ops.cellStats3dRef(one, [1, 1, D, H, W], [4, 4, 2]));
    const gStats = await embeddingGrad(store, enc, x, enc.statsWeight!);
    expectTrue(gStats.some((u) => Math.abs(u) > 1e-7), 'stats_proj receives gradients');
    await expectThrows(() => getConfig('micro', { ct: { stats: { cell: [3, 4, 4] } } }), /statistics cell \[3,4,4\] does not divide its patch/, 'a cell that does not divide the patch is refused');
    x.dispose();
    store.destroy();
  });

  test('cell statistics with blob maps (stats.blob): the voxels\' four, then the bright and dark maps\' four each; tokens add stats_proj of all 12', async (e) => {
    // Per volume: 4 statistics of the voxels, then 8 of the two blob maps (bright ×4, dark ×4 interleaved as cellStats3d lays them out).
    const { store, x, st } = await statsTokens(e, { cell: [4, 4, 2], blob: 1 }, 17, (one, D, H, W) => {
      const f = new Float32Array(12 * (D / 4) * (H / 4) * (W / 2));
      f.set(ops.cellStats3dRef(one, [1, 1, D, H, W], [4, 4, 2]));
      f.set(ops.cellStats3dRef(ops.blobness3dRef(one, [1, 1, D, H, W], 1), [1, 2, D, H, W], [4, 4, 2]), f.length / 3);
      return f;
    });
    const F = st.length / 2;
    expectTrue(st.some((u, i) => i % F >= F / 3 && u > 1e-3), 'the blob maps answer somewhere, so leaving them out would show');
    await expectThrows(() => getConfig('micro', { ct: { stats: { cell: [4, 4, 2], blob: 0.1 } } }), /statistics blob σ must be between 0.25 and 8 voxels, got 0.1/, 'a blob scale out of range is refused');
    x.dispose();
    store.destroy();
  });

  test('standardisation: per-feature mean and spread of the fitted volumes; tokens from the standardised inputs; no gradient into them', async (e) => {
    const cfg = getConfig('micro', { ct: { stats: { cell: [4, 4, 2] }, standardise: { voxels: true, stats: true } } });
    const store = new ParamStore(e, 9);
    const enc = new VisionEncoder(store, 'ct_encoder', cfg.ct, cfg.embedDim);
    store.finalize();
    const [D, H, W] = cfg.ct.size, Wd = cfg.ct.width, V = D * H * W;
    // Three batches of two volumes; each volume has its own offset, so means and spreads differ by place.
    const vols = [0, 1, 2].map((r) => randomArray(2 * V, 30 + r, 0, 1).map((u, i) => u * ((i % V) / V) + 0.1 * r));
    const n = enc.fitStandardisation((r) => e.tensor(vols[r], [2, 1, D, H, W]), 3);
    expectEqual(n, 6, 'six volumes fitted');
    // CPU: each feature's mean and √(variance + floor²) over the six volumes.
    const fit = (features: Float32Array[]) => {
      const F = features[0].length;
      const mean = new Float32Array(F), std = new Float32Array(F);
      for (let j = 0; j < F; j++) {
        let s1 = 0, s2 = 0;
        for (const f of features) { s1 += f[j]; s2 += f[j] * f[j]; }
        mean[j] = s1 / features.length;
        std[j] = Math.sqrt(Math.max(0, s2 / features.length - mean[j] ** 2) + STD_FLOOR ** 2);
      }
      return { mean, std };
    };
    const standard = vols.flatMap((v) => [0, 1].map((b) => Float32Array.from(v.subarray(b * V, (b + 1) * V), (u) => (u - 0.35) / 0.3)));
    const vox = fit(standard);
    const st = fit(standard.map((v) => ops.cellStats3dRef(v, [1, 1, D, H, W], [4, 4, 2])));
    const read = async (t: Tensor) => (await t.data()) as Float32Array;
    expectClose(await read(enc.voxelNorm!.mean), vox.mean, 'voxel means', 1e-5);
    expectClose(await read(enc.voxelNorm!.std), vox.std, 'voxel spreads (with the floor)', 1e-4);
    expectClose(await read(enc.statsNorm!.mean), st.mean, 'cell-statistic means', 1e-5);
    expectClose(await read(enc.statsNorm!.std), st.std, 'cell-statistic spreads (with the floor)', 1e-4);
    expectTrue(vox.std.some((u) => u > 2 * STD_FLOOR) && vox.std.some((u) => u < 1.5 * STD_FLOOR), 'the fixture has both spread and near-constant voxels');

    // Tokens = patch_embed((x − mean) / std) + stats_proj((the cell statistics of x − mean) / std).
    const vol = randomArray(2 * V, 44, 0, 1);
    const x = e.tensor(vol, [2, 1, D, H, W]);
    const tokens = await read(e.noGrad(() => enc.embedPatches(x)));
    const pw = await read(enc.patchWeight), pb = await read(enc.patchBias), sw = await read(enc.statsWeight!), sb = await read(enc.statsBias!);
    const std = Array.from(vol, (u) => (u - 0.35) / 0.3);
    const zv = std.map((u, i) => (u - vox.mean[i % V]) / vox.std[i % V]);
    const p = conv3dRef(zv, [2, 1, D, H, W], pw, [Wd, 1, 8, 8, 8], pb, { stride: [8, 8, 8], padding: 0 });
    const cs = ops.cellStats3dRef(std, [2, 1, D, H, W], [4, 4, 2]);
    const G = st.mean.length;
    const zs = Array.from(cs, (u, i) => (u - st.mean[i % G]) / st.std[i % G]);
    const q = conv3dRef(zs, [2, 4, 4, 4, 8], sw, [Wd, 4, 2, 2, 4], sb, { stride: [2, 2, 4], padding: 0 });
    expectClose(tokens, asTokens(2, Wd, p.data.map((u, i) => u + q.data[i])), 'tokens from the standardised voxels and statistics', 1e-4);
    // The fitted values are data: a backward leaves them without gradient (so AdamW, with no
    // weight decay on them, never moves them), while the patch embedding gets one.
    for (const t of [enc.voxelNorm!.mean, enc.voxelNorm!.std, enc.statsNorm!.mean, enc.statsNorm!.std]) {
      expectTrue((await embeddingGrad(store, enc, x, t)).every((u) => u === 0), `${t.name} gets no gradient`);
    }
    expectTrue((await embeddingGrad(store, enc, x, enc.patchWeight)).some((u) => Math.abs(u) > 1e-7), 'the patch embedding gets gradients');
    store.destroy();
  });
});
