// The products of a tiny step whose M is 16 (the stem's 16 output channels, the batch's pooled
// vectors), each matmul variant on the same operands, alternating, first round dropped: median
// wall time per call with its readback. Also the stem's forward recast as cols·Wᵀ (M = 65,536)
// and its dW as one product down K = 65,536. A measurement, not a test.
//
//   node dist/small-m-matmul.mjs
import { createNodeEngine } from '../../engine/node.ts';
import { launchMatmul } from '../../engine/ops/matmul.ts';

const e = await createNodeEngine();
const ROUNDS = 6;
const VARIANTS = ['reg8x8', 'sg8x16', 'sg8x12', 'reg4x4'] as const;
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

// [M, N, K, batch, transA, transB]
const shapes: [number, number, number, number, boolean, boolean][] = [
  [16, 4096, 64, 16, false, false],   // the stem's forward, W·colsT[n]
  [65536, 16, 64, 1, false, true],    // the same as cols·Wᵀ (y would then need a transpose)
  [16, 64, 65536, 1, true, false],    // the stem's dW as one product
  [16, 64, 4096, 16, false, true],    // the stem's dW per sample (the engine's)
  [16, 64, 4160, 1, false, true],     // flat pooling, forward
  [16, 4160, 64, 1, false, false],    // flat pooling, dX
];
for (const [M, N, K, batch, ta, tb] of shapes) {
  const lead = batch > 1 ? [batch] : [];
  const A = e.keep(e.tensor(Float32Array.from({ length: batch * M * K }, (_, i) => Math.sin(i)), [...lead, ta ? K : M, ta ? M : K]));
  const B = e.keep(e.tensor(Float32Array.from({ length: batch * K * N }, (_, i) => Math.cos(i)), [...lead, tb ? N : K, tb ? K : N]));
  const times = new Map<string, number[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of VARIANTS) {
      const t0 = performance.now();
      const c = launchMatmul(A, B, ta, tb, 1, v);
      await c.data();
      c.dispose();
      if (round > 0) times.get(v)!.push(performance.now() - t0);
    }
  }
  console.log(`M ${M} N ${N} K ${K} batch ${batch}: ` + VARIANTS.map((v) => `${v} ${median(times.get(v)!).toFixed(1)} ms`).join(', '));
  A.dispose(); B.dispose();
}
process.exit(0);
