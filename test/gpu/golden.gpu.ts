// Every PyTorch fixture in test/golden through the engine, forward and backward, at the
// fixture's own tolerance: the same runner as `biud golden`. Then the numpy set of
// test/golden/numpy: the same format with the shapes and attributes the PyTorch set lacks.
import { parseFixture, runFixture, formatResult } from '../../engine/golden/runner.ts';
import type { Engine } from '../../engine/index.ts';
import { readSafetensors, toFloat32, writeSafetensors } from '../../engine/safetensors.ts';
import { suite, assets, CheckError, expectEqual, expectTrue } from './harness.ts';

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

  test('attributes an op never reads are named on its line', async (e) => {
    // The shipped softmax fixture with two attributes added: one softmax does not know, one it reads.
    const shipped = readSafetensors(await assets.read('test/golden/softmax.safetensors'), 'softmax');
    const tensors = [...shipped.tensors].map(([name, t]) => [name, { data: toFloat32(t), shape: t.shape }] as [string, { data: Float32Array; shape: number[] }]);
    const attrs = JSON.stringify({ ...JSON.parse(shipped.metadata.attrs), dilation: 2 });
    const r = await runFixture(e, parseFixture(writeSafetensors(tensors, { ...shipped.metadata, attrs }), 'softmax+dilation'));
    expectEqual(r.unread, ['dilation=2'], 'unread attributes');
    expectTrue(r.passed && formatResult(r).endsWith('(attributes not read: dilation=2)'), formatResult(r));
    const plain = await runFixture(e, parseFixture(await assets.read('test/golden/softmax.safetensors'), 'softmax'));
    expectEqual(plain.unread, undefined, 'the shipped fixture: every attribute read');
  });
});
