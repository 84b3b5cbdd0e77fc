// What a stem with overlapping filters costs: the `tiny` stem (16 filters over a batch of 16
// volumes of 64³) forward, GELU and weight gradient, with filters of 4³ at stride 4 (the patch
// path: one strided copy and a matmul) against 6³ at stride 4 padded by 1 (`--stem 16x4+1`: the
// direct kernels). Alternating, first round dropped. A measurement, not a test
// (bench/diagnose/README.md has what it gave).
//
//   node dist/stem-cost.mjs            (BWD=0: the forward alone)
import { createNodeEngine } from '../../engine/node.ts';
import * as ops from '../../engine/ops/index.ts';
import type { Tensor } from '../../engine/tensor.ts';

const e = await createNodeEngine();
const B = 16, backward = process.env.BWD !== '0';
const x = e.keep(e.tensor(Float32Array.from({ length: B * 64 ** 3 }, () => Math.random()), [B, 1, 64, 64, 64]));
const filters = (k: number) => {
  const w = e.keep(e.tensor(Float32Array.from({ length: 16 * k ** 3 }, () => Math.random() - 0.5), [16, 1, k, k, k]));
  w.requiresGrad = true;
  return w;
};
const cases = [{ k: 4, padding: 0, w: filters(4) }, { k: 6, padding: 1, w: filters(6) }];
const ms = new Map<number, number[]>(cases.map((c) => [c.k, []]));
for (let round = 0; round < 6; round++) {
  for (const c of cases) {
    const t0 = performance.now();
    let s: Tensor | null = null;
    e.scope(() => {
      s = e.keep(ops.sum(ops.gelu(ops.conv3d(x, c.w, null, { stride: 4, padding: c.padding }))));
      if (backward) s.backward();
    });
    await s!.data();
    if (backward) await c.w.grad!.data();
    s!.dispose();
    if (round > 0) ms.get(c.k)!.push(performance.now() - t0);
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const c of cases) console.log(`${c.k}³ filters, padding ${c.padding}: ${median(ms.get(c.k)!).toFixed(0)} ms a batch (${ms.get(c.k)!.map((t) => t.toFixed(0)).join(' ')})`);
