// What one operation costs on SwiftShader: the numbers behind the matmul kernels' design
// (shaders/matmul-subgroups-wide.wgsl) and behind "where the engine is behind" in the README.
//
// Each case is a loop of independent operations of one kind (unrolled, so that the loop's own cost
// is spread thin), run by 16384 invocations. SwiftShader runs four invocations as the lanes of one
// SIMD register, so the unit is a 4-lane operation; the time is per operation per core, and as a
// multiple of one fma (a load case's op is the load and the add that uses it). With
// `--no-robustness` Dawn skips its bounds clamps on buffer accesses (a Dawn toggle, for comparison
// only: Chromium keeps them for every page).
//
//   node dist/costs.mjs [--no-robustness] [--only=NAME]   (built as bench/diagnose/README.md shows)
import os from 'node:os';
import { nodeGPU } from '../../engine/node.ts';

const noRobustness = process.argv.includes('--no-robustness');
const gpu = await nodeGPU(noRobustness ? ['enable-dawn-features=disable_robustness'] : []);
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter (is libvulkan1 installed?)');
const dev = await adapter.requestDevice({ requiredFeatures: adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [] });

const THREADS = 64 * 256;
const TRIPS = 256;   // loop trips
const UNROLL = 16;   // operations per chain per trip
const CHAINS = 8;    // independent chains

interface Case { name: string; decl?: string; op: (c: number, u: string, n: number) => string; needs?: 'subgroups'; trip?: string }

/** A store at a run-time index, once per trip: the loads of a constant-index case cannot leave the loop. */
const STORE_TRIP = 's[(i * 64u + lid) & 262143u] = x0;';

/** Loads at constant indices (a different one per operation) from a storage buffer of type `type`. */
function constantIndexLoad(name: string, type: string): Case {
  return { name, decl: `var<storage, read_write> s: ${type};`, trip: STORE_TRIP, op: (c, _u, n) => `x${c} += s[${(n * CHAINS + c) * 4}u];` };
}

// x_c is chain c's running value; `u` is the unrolled index (a WGSL u32 expression), `n` its
// position in the trip's unrolled body (a number).
const CASES: Case[] = [
  { name: 'fma', op: (c) => `x${c} = fma(x${c}, m, d);` },
  // The broadcast value changes every step (the chain's own), so that no compiler can take it out of the loop.
  { name: 'fma + subgroupBroadcast', needs: 'subgroups', op: (c) => `x${c} = fma(subgroupBroadcast(x${c}, ${c & 3}u), m, d);` },
  { name: 'fma + quadBroadcast', needs: 'subgroups', op: (c) => `x${c} = fma(quadBroadcast(x${c}, ${c & 3}u), m, d);` },
  { name: 'load f32, four addresses', decl: 'var<storage, read> s: array<f32>;', op: (c, u) => `x${c} += s[((${u}) * 64u + lid + ${c * 4096}u) & 262143u];` },
  { name: 'load f32, one address', decl: 'var<storage, read> s: array<f32>;', op: (c, u) => `x${c} += s[((${u}) * 64u + ${c * 4096}u) & 262143u];` },
  { name: 'load vec4, four addresses', decl: 'var<storage, read> s: array<vec4f>;', op: (c, u) => `x${c} += dot(s[((${u}) * 64u + lid + ${c * 1024}u) & 65535u], vec4f(1.0));` },
  { name: 'load workgroup f32', decl: 'var<workgroup> w: array<f32, 1024>;', op: (c, u) => `x${c} += w[((${u}) + lid + ${c * 128}u) & 1023u];` },
  // A constant index: SwiftShader then knows at compile time that every lane reads the same
  // address, and loads one float and replicates it (no gather). The array is rewritten between
  // barriers every trip, so that the loads cannot be hoisted out of the loop; the barriers' cost
  // is spread over the trip's 128 loads.
  {
    name: 'load workgroup f32, constant index', decl: 'var<workgroup> w: array<f32, 1024>;',
    trip: 'workgroupBarrier(); w[lid] = x0; workgroupBarrier();',
    op: (c, _u, n) => `x${c} += w[${(n * CHAINS + c) & 1023}u];`,
  },
  // The same for a storage buffer: a constant index into a buffer is the one place where every
  // lane's offset is known at compile time to be equal. A store at a run-time index every trip
  // (which might alias) keeps the loads in the loop; its cost is spread over the trip's 128 loads,
  // and measured alone by the case after. With a fixed-size array Tint needs no clamp for a
  // constant index (a run-time sized array's index is clamped to arrayLength, a run-time value).
  constantIndexLoad('load f32, constant index', 'array<f32>'),
  { name: 'fma + the trip\'s store', decl: 'var<storage, read_write> s: array<f32>;', trip: STORE_TRIP, op: (c) => `x${c} = fma(x${c}, m, d);` },
  constantIndexLoad('load f32, constant index, fixed-size array', 'array<f32, 262144>'),
  // An atomic load takes SwiftShader's other path, which checks at run time whether the lanes'
  // addresses are equal or neighbours (one load then, not four): it does not make it cheaper.
  { name: 'atomicLoad, one address', decl: 'var<storage, read_write> s: array<atomic<u32>>;', op: (c, u) => `x${c} += bitcast<f32>(atomicLoad(&s[((${u}) * 64u + ${c * 4096}u) & 262143u]));` },
  { name: 'atomicLoad, neighbouring addresses', decl: 'var<storage, read_write> s: array<atomic<u32>>;', op: (c, u) => `x${c} += bitcast<f32>(atomicLoad(&s[((${u}) * 64u + lid + ${c * 4096}u) & 262143u]));` },
  { name: 'fma + the trip\'s barriers', decl: 'var<workgroup> w: array<f32, 1024>;', trip: 'workgroupBarrier(); w[lid] = x0; workgroupBarrier();', op: (c) => `x${c} = fma(x${c}, m, d);` },
  // The same vec4 through a texture (rgba32float, 256×256): SwiftShader's sampler path instead of a gather.
  { name: 'textureLoad vec4, four addresses', decl: 'var t: texture_2d<f32>;', op: (c, u) => `x${c} += dot(textureLoad(t, vec2u(lid, ((${u}) + ${c * 32}u) & 255u), 0), vec4f(1.0));` },
  // A read-only storage texture: SwiftShader reads its texels without the sampler routine.
  { name: 'textureLoad storage vec4, four addresses', decl: 'var st: texture_storage_2d<rgba32float, read>;', op: (c, u) => `x${c} += dot(textureLoad(st, vec2u(lid, ((${u}) + ${c * 32}u) & 255u)), vec4f(1.0));` },
];

function source(k: Case): string {
  const body: string[] = [];
  for (let u = 0; u < UNROLL; u++) for (let c = 0; c < CHAINS; c++) body.push('    ' + k.op(c, `i * ${UNROLL}u + ${u}u`, u));
  const decl = !k.decl ? '' : k.decl.startsWith('var<workgroup>') ? k.decl : `@group(0) @binding(1) ${k.decl}`;
  return `${k.needs ? 'enable subgroups;\n' : ''}${decl}
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = 0.999999 + f32(g.x) * 1e-12;
  let d = 1e-6;
  ${Array.from({ length: CHAINS }, (_, c) => `var x${c} = f32(g.x + ${c}u);`).join(' ')}
  ${k.decl?.startsWith('var<workgroup>') ? 'w[lid] = f32(lid); workgroupBarrier();' : ''}
  for (var i = 0u; i < ${TRIPS}u; i++) {
    ${k.trip ?? ''}
${body.join('\n')}
  }
  o[g.x] = ${Array.from({ length: CHAINS }, (_, c) => `x${c}`).join(' + ')};
}`;
}

async function time(k: Case): Promise<number> {
  const pipe = await dev.createComputePipelineAsync({ layout: 'auto', compute: { module: dev.createShaderModule({ code: source(k) }), entryPoint: 'main' } });
  const o = dev.createBuffer({ size: THREADS * 4, usage: GPUBufferUsage.STORAGE });
  const s = dev.createBuffer({ size: 262144 * 4, usage: GPUBufferUsage.STORAGE });
  const t = dev.createTexture({ size: [256, 256], format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING });
  const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: o } }];
  if (k.decl?.includes('texture_')) entries.push({ binding: 1, resource: t.createView() });
  else if (k.decl && !k.decl.startsWith('var<workgroup>')) entries.push({ binding: 1, resource: { buffer: s } });
  const bg = dev.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
  const run = async () => {
    const enc = dev.createCommandEncoder();
    const p = enc.beginComputePass();
    p.setPipeline(pipe);
    p.setBindGroup(0, bg);
    p.dispatchWorkgroups(THREADS / 64);
    p.end();
    dev.queue.submit([enc.finish()]);
    await dev.queue.onSubmittedWorkDone();
  };
  await run();
  const xs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    await run();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  o.destroy();
  s.destroy();
  t.destroy();
  return xs[3];
}

const cores = os.availableParallelism();
const ops = (THREADS / 4) * TRIPS * UNROLL * CHAINS;
console.log(`${adapter.info.vendor} ${adapter.info.architecture} · ${os.cpus()[0]?.model ?? ''} · ${cores} cores · robustness ${noRobustness ? 'off' : 'on'}`);
console.log('| operation | ns per 4-lane op per core | × fma |\n|---|---:|---:|');
let fma = 0;
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
for (const k of CASES) {
  if (only && k.name !== 'fma' && !k.name.includes(only)) continue;
  if (k.needs && !dev.features.has(k.needs)) {
    console.log(`| ${k.name} | (no ${k.needs}) | |`);
    continue;
  }
  const ns = ((await time(k)) * 1e6 * cores) / ops;
  if (k.name === 'fma') fma = ns;
  // The cases with an fma or a load in each step: the fma's share is taken out for the × column.
  const extra = k.name.startsWith('fma +') ? ns - fma : ns;
  console.log(`| ${k.name} | ${ns.toFixed(2)} | ${(extra / fma).toFixed(1)}${k.name.startsWith('fma +') ? ' (over the fma)' : ''} |`);
}
process.exit(0);
