// Where a `tiny` BIUD training step's GPU time goes, kernel by kernel: the engine's profiler
// (timestamp queries, engine/profiler.ts) over STEPS steps after a warm-up of 5, on Node's Dawn.
// env CFG = config overrides (JSON), e.g. CFG='{"ct":{"stem":null}}'; P = training patients
// (default 64: the pool's rendering is not what is measured); QUAD=0 runs attention's plain build
// where the quad build would run (engine/ops/attention.ts); SHAPES=1 names each matmul by its
// shape (M×K·K×N, batch, transposes), so that the rows say which products of the step cost most.
// A measurement, not a test.
//
//   node dist/step-profile.mjs [STEPS]
import { readFileSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { diskAssets } from '../../models/assets-node.ts';
import { getConfig } from '../../models/config.ts';
import { attentionTuning } from '../../engine/ops/attention.ts';
import { loadCohortData } from '../../models/train/cohort-data.ts';
import { Trainer } from '../../models/train/trainer.ts';

const e = await createNodeEngine({ profile: true });
if (!e.profiler) throw new Error('this adapter has no timestamp queries, so there is nothing to profile');
if (process.env.QUAD === '0') attentionTuning.quad = false;
if (process.env.SHAPES === '1') nameMatmulsByShape();
const assets = diskAssets();
const cfg = getConfig('tiny', JSON.parse(process.env.CFG ?? '{}'));
const data = await loadCohortData(assets, cfg, { trainPatients: Number(process.env.P ?? 64) });
const switches = { roco: true, distill: true, efm: true };
const t = await Trainer.create({ engine: e, assets, data, config: cfg, switches, expertWeights: new Uint8Array(readFileSync('data/pretrained/xray-expert-tiny.safetensors')), log: () => {} });
const steps = Number(process.argv[2] ?? 10);
await t.run(5);
await e.profiler.report();
e.profiler.reset();
const t0 = performance.now();
await t.run(5 + steps);
const wall = (performance.now() - t0) / steps;
const rows = await e.profiler.report();
const total = rows.reduce((s, r) => s + r.totalMs, 0);
console.log(`${steps} steps: ${wall.toFixed(0)} ms per step wall, ${(total / steps).toFixed(0)} ms per step in kernels`);
for (const r of rows.slice(0, Number(process.env.ROWS ?? 25))) console.log(`${r.name.padEnd(48)} ${String(r.calls / steps).padStart(6)} calls  ${(r.totalMs / steps).toFixed(1).padStart(8)} ms  ${((100 * r.totalMs) / total).toFixed(1).padStart(5)}%`);
process.exit(0);

/** Profile rows per matmul shape: the profiler names a pass after its kernel, so give it the shape. */
function nameMatmulsByShape(): void {
  const profiler = e.profiler!;
  const dispatch = e.dispatch.bind(e);
  const nextWrites = profiler.nextWrites.bind(profiler);
  let label: string | null = null;
  profiler.nextWrites = (name: string) => nextWrites(label ?? name);
  e.dispatch = (kernel, args) => {
    const u = args.uniforms as Record<string, number> | undefined;
    const c = args.constants ?? {};
    label = kernel.name.startsWith('matmul') && u
      ? `${kernel.name} ${u.batch}×[${u.M}×${u.K}${c.TA ? 'ᵀ' : ''}]·[${u.K}×${u.N}${c.TB ? 'ᵀ' : ''}]`
      : null;
    try {
      dispatch(kernel, args);
    } finally {
      label = null;
    }
  };
}
