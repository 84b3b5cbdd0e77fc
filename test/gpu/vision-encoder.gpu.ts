// The CT encoder's pooling: with `pool: 'flat'` (micro, tiny) the pooled vector is one linear map
// of every token after the final norm, so it can weigh each place in the volume on its own; the
// default averages the tokens. Checked against a CPU computation from the encoder's own tokens
// and weights, and by moving one patch's content elsewhere.
import { ParamStore } from '../../engine/params.ts';
import { getConfig } from '../../models/config.ts';
import { VisionEncoder } from '../../models/vision-encoder.ts';
import { suite, expectClose, expectTrue, expectEqual, randomArray } from './harness.ts';

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
});
