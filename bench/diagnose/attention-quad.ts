// The fused attention kernels with each thread reading its own k/v (q/dO) rows (plain) against the
// quad build, where the four threads of a quad share them (shaders/attention-quad.wgsl), at each
// rows-per-thread setting, in Node on SwiftShader. Alternating, first round dropped, wall time
// per call with the readback of one output (the same for every variant). A measurement, not a test.
//
//   node dist/attention-quad.mjs [ROUNDS]     (SHAPES='16,4,65,16;16,4,96,16' by default: tiny's CT and text;
//                                              MASK=1: a key mask with the last eighth of each row's keys off, as padded reports have)
import { createNodeEngine } from '../../engine/node.ts';
import * as ops from '../../engine/ops/index.ts';
import { attentionTuning } from '../../engine/ops/attention.ts';
import type { Tensor } from '../../engine/tensor.ts';

const e = await createNodeEngine();
const rounds = Number(process.argv[2] ?? 6);
const shapes = (process.env.SHAPES ?? '16,4,65,16;16,4,96,16').split(';').map((s) => s.split(',').map(Number));
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const [B, H, T, d] of shapes) {
  const n = B * H * T * d;
  const r = (seed: number) => e.keep(e.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5), [B, H, T, d]));
  const [q, k, v, gy] = [r(1), r(2), r(3), r(4)];
  const keyMask = process.env.MASK === '1' ? e.keep(e.tensor(Int32Array.from({ length: B * T }, (_, i) => ((i % T) < T - (T >> 3) ? 1 : 0)), [B, T], 'int32')) : null;
  const variants = [false, true].flatMap((quad) => [2, 4].map((rows) => ({ quad, rows, name: `${quad ? 'quad ' : 'plain'} ${rows} rows` })));
  const fwd = new Map<string, number[]>(), bwd = new Map<string, number[]>();
  for (const x of variants) { fwd.set(x.name, []); bwd.set(x.name, []); }
  for (let round = 0; round < rounds; round++) {
    for (const x of variants) {
      Object.assign(attentionTuning, { quad: x.quad, forwardRows: x.rows, dqRows: x.rows, dkdvRows: x.rows });
      let t0 = performance.now();
      const y = e.keep(e.scope(() => ops.attention(q, k, v, { keyMask })));
      await y.data();
      const tf = performance.now() - t0;
      y.dispose();
      for (const t of [q, k, v]) t.requiresGrad = true;
      t0 = performance.now();
      e.scope(() => ops.attention(q, k, v, { keyMask }).backward(gy));
      await q.grad!.data();
      const tb = performance.now() - t0;
      for (const t of [q, k, v]) { t.requiresGrad = false; t.grad?.dispose(); t.grad = null as unknown as Tensor; }
      if (round > 0) { fwd.get(x.name)!.push(tf); bwd.get(x.name)!.push(tb); }
    }
  }
  console.log(`[${B},${H},${T},${d}]`);
  for (const x of variants) console.log(`  ${x.name}: forward ${median(fwd.get(x.name)!).toFixed(1)} ms, forward+backward ${median(bwd.get(x.name)!).toFixed(1)} ms`);
  [q, k, v, gy].forEach((t) => t.dispose());
}
