// The patch path of tiny's two patch convolutions, alone, kernel by kernel: the stem (16 filters
// of 4³ over the 64³ volume) and the patch embedding (64 filters of 4³ over the stem's 16 maps),
// forward and backward at a batch of 16, the engine's profiler over 3 passes after a warm-up.
// Shows what the im2col/col2im copies (conv.patches, conv.patches4) and the products cost.
// A measurement, not a test.
//
//   node dist/conv-copies.mjs
import { createNodeEngine } from '../../engine/node.ts';
import * as ops from '../../engine/ops/index.ts';
import type { Tensor } from '../../engine/tensor.ts';

const e = await createNodeEngine({ profile: true });
const profiler = e.profiler!;
const PASSES = 3;

function filled(shape: number[], grad: boolean): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = e.keep(e.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), shape));
  t.requiresGrad = grad;
  return t;
}

// [name, x, w, whether x needs a gradient (the stem's input is data)]
const cases: [string, number[], number[], boolean][] = [
  ['stem', [16, 1, 64, 64, 64], [16, 1, 4, 4, 4], false],
  ['patch embedding', [16, 16, 16, 16, 16], [64, 16, 4, 4, 4], true],
];
for (const [name, xs, ws, xGrad] of cases) {
  const x = filled(xs, xGrad), w = filled(ws, true);
  for (let pass = 0; pass <= PASSES; pass++) {
    if (pass === 1) { await profiler.report(); profiler.reset(); }   // the warm-up compiles
    e.scope(() => {
      const y = ops.conv3d(x, w, null, { stride: 4 });
      y.backward(e.tensor(new Float32Array(y.size).fill(0.01), y.shape));
    });
    await w.grad!.data();
    for (const t of [x, w]) { t.grad?.dispose(); t.grad = null as unknown as Tensor; }
  }
  const rows = await profiler.report();
  profiler.reset();
  console.log(name);
  for (const r of rows.slice(0, 8)) console.log(`  ${r.name.padEnd(40)} ${(r.calls / PASSES).toFixed(0)} calls ${(r.totalMs / PASSES).toFixed(1)} ms`);
  x.dispose(); w.dispose();
}
process.exit(0);
