// Configs: overrides merge into the named config, and settings that cannot work are refused with
// the setting named (not discovered as a shape error deep inside a step).
import { describe, expect, it } from 'vitest';
import { getConfig, ctTokens } from '../../models/config.ts';

describe('getConfig', () => {
  it('merges nested overrides and keeps the rest of the config', () => {
    const c = getConfig('tiny', { ct: { pool: 'mean' }, loss: { sentenceKeep: 0.5 }, train: { lr: 1e-3 } });
    expect(c.ct.pool).toBe('mean');
    expect(c.ct.width).toBe(getConfig('tiny').ct.width);
    expect(c.loss.sentenceKeep).toBe(0.5);
    expect(c.train.lr).toBe(1e-3);
    expect(getConfig('tiny').ct.pool).toBe('flat');
    expect(ctTokens(c.ct)).toBe(65);
  });

  it('refuses an unknown pooling and a sentence-keep probability outside (0, 1]', () => {
    expect(() => getConfig('tiny', { ct: { pool: 'max' as 'mean' } })).toThrow(/pool "max"/);
    expect(() => getConfig('tiny', { loss: { sentenceKeep: 0 } })).toThrow(/sentenceKeep/);
    expect(() => getConfig('tiny', { loss: { sentenceKeep: 1.5 } })).toThrow(/sentenceKeep/);
    expect(() => getConfig('huge')).toThrow(/unknown config "huge"/);
  });
});
