// `biud golden [DIR]`: every *.safetensors fixture in DIR through the engine on WebGPU (Node's
// Dawn), one line per case, then `N passed, N failed`. Exit 1 if any failed.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, helpText, type OptionSpec } from './args.ts';
import { parseFixture, runFixture, formatResult, type CaseResult } from '../engine/golden/runner.ts';
import { createNodeEngine } from '../engine/node.ts';
import { BiudError } from '../engine/errors.ts';
import { fileURLToPath } from 'node:url';

const spec: OptionSpec = {
  json: { type: 'boolean', help: 'print the results as one JSON array instead of lines' },
};

function defaultDir(): string {
  // dist/cli.mjs → repo root → test/golden
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', 'test', 'golden');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec);
  if (args.help) {
    console.log(helpText('biud golden [DIR]   (DIR defaults to the repo\'s test/golden)', spec));
    return 0;
  }
  const dir = args.positionals[0] ?? defaultDir();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BiudError(`${dir} is not a folder of .safetensors fixtures`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
  if (!files.length) throw new BiudError(`no .safetensors fixtures in ${dir}`);
  const engine = await createNodeEngine();
  const results: CaseResult[] = [];
  for (const f of files) {
    let r: CaseResult;
    try {
      r = await runFixture(engine, parseFixture(new Uint8Array(readFileSync(path.join(dir, f))), f));
    } catch (e) {
      r = { file: f, op: '?', shape: '', checks: [], maxError: Infinity, tolerance: 0, passed: false, error: (e as Error).message };
    }
    results.push(r);
    if (!args.options.json) console.log(formatResult(r));
  }
  engine.destroy();
  const passed = results.filter((r) => r.passed).length;
  if (args.options.json) console.log(JSON.stringify(results, null, 1));
  console.log(`${passed} passed, ${results.length - passed} failed`);
  return passed === results.length ? 0 : 1;
}
