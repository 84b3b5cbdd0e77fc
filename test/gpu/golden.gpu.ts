// Every PyTorch fixture in test/golden through the engine, forward and backward, at the
// fixture's own tolerance: the same runner as `biud golden`. Then the numpy set of
// test/golden/numpy: the same format with the shapes and attributes the PyTorch set lacks.
import { parseFixture, runFixture, formatResult } from '../../engine/golden/runner.ts';
import type { Engine } from '../../engine/index.ts';
import { suite, assets, CheckError } from './harness.ts';

/** Runs every fixture of `dir`; throws with each failure's line. */
async function runFolder(e: Engine, dir: string, atLeast: number): Promise<void> {
  const files = (await assets.list(dir)).filter((f) => f.endsWith('.safetensors')).sort();
  if (files.length < atLeast) throw new CheckError(`expected at least ${atLeast} fixtures in ${dir}, found ${files.length}`);
  const failed: string[] = [];
  for (const f of files) {
    const r = await runFixture(e, parseFixture(await assets.read(`${dir}/${f}`), f));
    if (!r.passed) failed.push(formatResult(r));
  }
  if (failed.length) throw new CheckError(`${failed.length} of ${files.length} fixtures in ${dir} failed:\n${failed.join('\n')}`);
}

suite('golden', (test) => {
  test('every fixture in test/golden matches PyTorch', (e) => runFolder(e, 'test/golden', 22));
  test('every fixture in test/golden/numpy matches (other shapes and attributes, float64 numpy)', (e) => runFolder(e, 'test/golden/numpy', 69));
});
