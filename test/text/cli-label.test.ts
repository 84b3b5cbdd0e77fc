import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/label.ts';
import { FINDINGS } from '../../models/text/findings.ts';

function capture() {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => { out.push(a.join(' ')); });
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => { out.push(a.join(' ')); });
  return { out, restore: () => { log.mockRestore(); err.mockRestore(); } };
}

describe('biud label', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'biud-label-'));

  it('writes AccessionNo + 18 columns and scores hand labels', async () => {
    const input = path.join(dir, 'in.csv'), out = path.join(dir, 'out.csv');
    const labels = FINDINGS.map((f) => (f === 'Pleural effusion' ? '1' : '0'));
    writeFileSync(input, `AccessionNo,report_text,${FINDINGS.join(',')},extra\nx1,"Pleural effusion, 2 cm, on the right.",${labels.join(',')},z\nx2,"No pleural effusion.",${FINDINGS.map(() => '0').join(',')},z\n`);
    const c = capture();
    const code = await run(['--reports', input, '--out', out]);
    c.restore();
    expect(code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(['AccessionNo', ...FINDINGS].join(','));
    expect(lines[1]).toBe(['x1', ...labels].join(','));
    expect(c.out.join('\n')).toMatch(/Pleural effusion\s+1\s+1\.000\s+1\.000\s+1\.000/);
    expect(c.out.at(-1)).toMatch(/labelled 2 reports .* macro-F1 1\.000/);
  });

  it('labels unlabelled input without scores, and names a missing column', async () => {
    const input = path.join(dir, 'u.csv'), out = path.join(dir, 'u-out.csv');
    writeFileSync(input, 'AccessionNo,report_text\na,"Cardiomegaly."\n');
    const c = capture();
    await run(['--reports', input, '--out', out]);
    c.restore();
    expect(readFileSync(out, 'utf8').split('\n')[1]).toBe('a,0,0,1' + ',0'.repeat(15));
    writeFileSync(input, 'AccessionNo,text\na,b\n');
    await expect(run(['--reports', input, '--out', out])).rejects.toThrow(/missing column "report_text"/);
  });
});
