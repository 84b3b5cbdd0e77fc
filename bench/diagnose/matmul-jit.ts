// What SwiftShader's JIT makes of a matmul kernel, and where the time goes in it: runs one product
// in a loop on Dawn in Node (engine/node.ts, the same SwiftShader as Chromium's), samples the
// process with `perf record`, copies the JIT's code out of this process's memory, disassembles it
// with `objdump`, and splits the kernel's main loop (the loop that holds most of the mulps) into
// its head (up to the first mulps: operand loads, broadcasts), its body (the fma) and its tail
// (after the last mulps: the accumulators merged under the lanes' mask), with each part's
// instruction count and share of the samples. Needs perf and objdump (Linux, run as root or with
// perf_event_paranoid ≤ 1). A diagnostic, not a test.
//
//   node dist/matmul-jit.mjs [variant] [M,K,N] [seconds]     (defaults: sg16x32 1024,1024,1024 20)
//
// With JIT_LOOP=FILE it also writes the main loop's instructions (offset, tab, instruction) there.
import { execFileSync, spawn } from 'node:child_process';
import { openSync, readSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { createNodeEngine } from '../../engine/node.ts';
import { launchMatmul, type MatmulVariant } from '../../engine/ops/matmul.ts';

const variant = (process.argv[2] ?? 'sg16x32') as MatmulVariant;
const [M, K, N] = (process.argv[3] ?? '1024,1024,1024').split(',').map(Number);
const seconds = Number(process.argv[4] ?? 20);
const e = await createNodeEngine();
const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
const a = e.keep(e.tensor(fill(M * K), [M, K]));
const b = e.keep(e.tensor(fill(K * N), [K, N]));
const once = async () => { e.scope(() => launchMatmul(a, b, false, false, 1, variant)); await e.sync(); };
await once();

// The JIT's code lives in an anonymous executable mapping named memfd:swiftshader_jit.
const maps = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('swiftshader_jit') && l.split(/\s+/)[1]?.includes('x'));
if (!maps.length) throw new Error('no SwiftShader JIT mapping in this process: is Dawn running on SwiftShader?');
const [lo, hi] = maps[0].split(/\s+/)[0].split('-').map((x) => BigInt('0x' + x));
const code = Buffer.alloc(Number(hi - lo));
const fd = openSync('/proc/self/mem', 'r');
readSync(fd, code, 0, code.length, lo);
closeSync(fd);
writeFileSync('dist/jit.bin', code);

const perf = spawn('perf', ['record', '-q', '-o', 'dist/jit-perf.data', '-p', String(process.pid), '--', 'sleep', String(seconds)], { stdio: 'ignore' });
const t0 = performance.now();
let runs = 0;
while (performance.now() - t0 < seconds * 1000) { await once(); runs++; }
await new Promise((r) => perf.on('exit', r));
console.log(`${variant} [${M},${K}]·[${K},${N}]: ${((performance.now() - t0) / runs).toFixed(1)} ms a product in Node (its polling takes a core's share; Chromium is faster)`);

// Samples per JIT offset (perf names them by offset into the memfd).
const report = execFileSync('perf', ['report', '-i', 'dist/jit-perf.data', '--sort', 'dso,sym', '--stdio'], { encoding: 'utf8', maxBuffer: 1 << 28 });
const samples = new Map<number, number>();
let jitShare = 0;
for (const line of report.split('\n')) {
  const m = /^\s+([\d.]+)%\s+memfd:swiftshader_jit.*\[\.\]\s+0x([0-9a-f]+)/.exec(line);
  if (m) { samples.set(parseInt(m[2], 16), Number(m[1])); jitShare += Number(m[1]); }
}
const asm = execFileSync('objdump', ['-D', '-b', 'binary', '-mi386:x86-64', 'dist/jit.bin'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const ins: { at: number; op: string; text: string }[] = [];
for (const line of asm.split('\n')) {
  // address, tab, bytes, tab, instruction; a long instruction's last bytes go on a line of their
  // own with no instruction, which must not count as one.
  const m = /^\s+([0-9a-f]+):\t[0-9a-f ]+\t(\S+)(.*)$/.exec(line);
  if (m) ins.push({ at: parseInt(m[1], 16), op: m[2], text: m[2] + m[3] });
}
// The main loop: of the backward jumps that stay inside one routine (no ret in their range), the
// one whose range holds the most mulps; of equals the longest (the k-loop holds the fma's blocks).
const rets = ins.filter((y) => y.op.startsWith('ret')).map((y) => y.at);
let best = { from: 0, to: 0, mul: 0 };
for (const x of ins) {
  const t = /^j\w+\s+0x([0-9a-f]+)/.exec(x.text);
  if (!t || parseInt(t[1], 16) >= x.at) continue;
  const from = parseInt(t[1], 16);
  if (rets.some((r) => r >= from && r <= x.at)) continue;
  const mul = ins.filter((y) => y.at >= from && y.at <= x.at && y.op === 'mulps').length;
  if (mul > best.mul || (mul === best.mul && x.at - from > best.to - best.from)) best = { from, to: x.at, mul };
}
const inLoop = ins.filter((y) => y.at >= best.from && y.at <= best.to);
if (process.env.JIT_LOOP) writeFileSync(process.env.JIT_LOOP, inLoop.map((y) => `${y.at.toString(16)}\t${y.text}`).join('\n') + '\n');
// The body: where mulps come densely (64 of them within 64·10 instructions); a few stray ones
// elsewhere in the loop (address arithmetic, say) do not count.
const mulIdx = inLoop.flatMap((y, i) => (y.op === 'mulps' ? [i] : []));
const dense = (j: number) => j + 64 < mulIdx.length && mulIdx[j + 64] - mulIdx[j] < 640;
const first = mulIdx.findIndex((_, j) => dense(j));
if (first < 0) throw new Error(`no run of 64 mulps close together in the main loop of ${variant}: is it a register-blocked kernel?`);
let last = first;
for (let j = first; j < mulIdx.length; j++) if (dense(Math.max(first, j - 64))) last = j;
const parts = [
  ['head (operands)', best.from, inLoop[mulIdx[first]].at],
  ['body (fma)', inLoop[mulIdx[first]].at, inLoop[mulIdx[last]].at + 1],
  ['tail (masked merges)', inLoop[mulIdx[last]].at + 1, best.to + 1],
] as const;
console.log(`JIT code: ${jitShare.toFixed(1)}% of the samples; main loop 0x${best.from.toString(16)}–0x${best.to.toString(16)}, ${best.mul} mulps`);
console.log('| part | instructions | % of samples | commonest |');
console.log('|---|---:|---:|---|');
for (const [name, x, y] of parts) {
  const part = inLoop.filter((i) => i.at >= x && i.at < y);
  const ops = new Map<string, number>();
  for (const i of part) ops.set(i.op, (ops.get(i.op) ?? 0) + 1);
  const top = [...ops].sort((p, q) => q[1] - p[1]).slice(0, 5).map(([o, n]) => `${o} ${n}`).join(', ');
  let s = 0;
  for (const [at, v] of samples) if (at >= x && at < y) s += v;
  console.log(`| ${name} | ${part.length} | ${s.toFixed(1)} | ${top} |`);
}
// In the body, a value loaded from a stack slot and at once stored back to the same slot (Subzero
// does this for the first operand of each mulps: 2026-12-05, about one store per fma).
const body = inLoop.filter((i) => i.at >= parts[1][1] && i.at < parts[1][2]);
const mov = (t: string) => /^movups (\S+),(\S+)$/.exec(t.replace(/\s+/g, ' ').trim());
let storeBack = 0;
for (let i = 1; i < body.length; i++) {
  const p = mov(body[i - 1].text), q = mov(body[i].text);
  if (p && q && p[1] === q[2] && p[2] === q[1] && !p[1].startsWith('%')) storeBack++;
}
console.log(`body: ${storeBack} stores back to the slot just loaded from, for ${body.filter((i) => i.op === 'mulps').length} mulps`);
a.dispose();
b.dispose();
process.exit(0);
