// Every PyTorch fixture in test/golden through the engine, forward and backward, at the
// fixture's own tolerance: the same runner as `biud golden`.
import { parseFixture, runFixture, formatResult } from '../../engine/golden/runner.ts';
import { suite, assets, CheckError } from './harness.ts';

suite('golden', (test) => {
  test('every fixture in test/golden matches PyTorch', async (e) => {
    const files = (await assets.list('test/golden')).filter((f) => f.endsWith('.safetensors')).sort();
    if (files.length < 20) throw new CheckError(`expected the 22 shipped fixtures, found ${files.length}`);
    const failed: string[] = [];
    for (const f of files) {
      const r = await runFixture(e, parseFixture(await assets.read(`test/golden/${f}`), f));
      if (!r.passed) failed.push(formatResult(r));
    }
    if (failed.length) throw new CheckError(`${failed.length} of ${files.length} fixtures failed:\n${failed.join('\n')}`);
  });
});
