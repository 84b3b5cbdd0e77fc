// `biud golden [DIR|FILE ...]`: every *.safetensors fixture in each DIR, and each FILE, through the
// engine on WebGPU (Node's Dawn), one line per case, then `N passed, N failed`. Exit 1 if any failed.
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

/** A folder's *.safetensors (sorted), or the file itself. */
function fixturesAt(p: string): string[] {
  if (!existsSync(p)) throw new BiudError(`${p}: no such file or folder`);
  if (!statSync(p).isDirectory()) return [p];
  const files = readdirSync(p).filter((f) => f.endsWith('.safetensors')).sort();
  if (!files.length) throw new BiudError(`no .safetensors fixtures in ${p}`);
  return files.map((f) => path.join(p, f));
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec);
  if (args.help) {
    console.log(helpText('biud golden [DIR|FILE ...]   (each DIR\'s *.safetensors, and each FILE; default: the repo\'s test/golden)', spec));
    return 0;
  }
  const files = (args.positionals.length ? args.positionals : [defaultDir()]).flatMap(fixturesAt);
  const engine = await createNodeEngine();
  const results: CaseResult[] = [];
  for (const f of files) {
    let r: CaseResult;
    try {
      r = await runFixture(engine, parseFixture(new Uint8Array(readFileSync(f)), path.basename(f)));
    } catch (e) {
      r = { file: path.basename(f), op: '?', shape: '', checks: [], maxError: Infinity, tolerance: 0, passed: false, error: (e as Error).message };
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
