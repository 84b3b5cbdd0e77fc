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
    expect(() => getConfig('tiny', { loss: { fnGraded: -1 } })).toThrow(/fnGraded/);
    expect(() => getConfig('tiny', { loss: { sentences: -1 } })).toThrow(/L_sent/);
    expect(() => getConfig('tiny', { loss: { findings: -1 } })).toThrow(/L_find/);
    expect(() => getConfig('tiny', { loss: { findingsText: 1 } })).toThrow(/needs loss.findings/);
    expect(() => getConfig('tiny', { loss: { sentenceKeep: 1.5 } })).toThrow(/sentenceKeep/);
    expect(() => getConfig('huge')).toThrow(/unknown config "huge"/);
  });

  it('refuses a distillation schedule that is not whole steps ≥ 0', () => {
    expect(getConfig('tiny', { loss: { distillFrom: 0, distillRamp: 10 } }).loss.distillRamp).toBe(10);
    expect(() => getConfig('tiny', { loss: { distillFrom: -1 } })).toThrow(/distillFrom/);
    expect(() => getConfig('tiny', { loss: { distillRamp: 2.5 } })).toThrow(/distillRamp/);
  });

  it('checks the stem, the cell statistics, the training-patient count and the report encoder start', () => {
    expect(getConfig('tiny', { ct: { stem: { channels: 16, size: [4, 4, 4] } } }).ct.stem).toEqual({ channels: 16, size: [4, 4, 4] });
    expect(getConfig('tiny', { ct: { stem: null } }).ct.stem).toBeNull();
    expect(() => getConfig('tiny', { ct: { stem: { channels: 16, size: [5, 4, 4] } } })).toThrow(/stem size \[5,4,4\] does not divide its patch \[16,16,16\]/);
    expect(() => getConfig('tiny', { ct: { stem: { channels: 0, size: [4, 4, 4] } } })).toThrow(/stem channels/);
    expect(() => getConfig('tiny', { expert: { image: { stem: { channels: 4, size: [1, 4, 4] } } } })).toThrow(/X-ray has a stem, which only 3-D encoders take/);
    expect(getConfig('tiny', { ct: { stats: { cell: [8, 8, 8] } } }).ct.stats).toEqual({ cell: [8, 8, 8] });
    expect(getConfig('tiny', { ct: { stats: null } }).ct.stats).toBeNull();
    expect(() => getConfig('tiny', { ct: { stats: { cell: [8, 6, 8] } } })).toThrow(/statistics cell \[8,6,8\] does not divide its patch \[16,16,16\]/);
    expect(() => getConfig('tiny', { ct: { stats: { cell: [0, 8, 8] } } })).toThrow(/statistics cell/);
    expect(() => getConfig('tiny', { expert: { image: { stats: { cell: [1, 4, 4] } } } })).toThrow(/X-ray has cell statistics, which only 3-D encoders take/);
    expect(getConfig('tiny', { ct: { stats: { cell: [8, 8, 8] }, standardise: { voxels: true, stats: true } } }).ct.standardise).toEqual({ voxels: true, stats: true });
    expect(getConfig('tiny').ct.stats).toEqual({ cell: [8, 8, 8] }); // tiny's default: statistics, standardised
    expect(getConfig('tiny').ct.standardise).toEqual({ stats: true });
    expect(getConfig('tiny').ct.stem).toEqual({ channels: 16, size: [4, 4, 4] }); // tiny's default stem
    expect(getConfig('small').ct.stem ?? null).toBeNull();
    expect(getConfig('tiny', { ct: { stats: null } }).ct.standardise).toEqual({ stats: true }); // nothing to standardise: allowed
    expect(() => getConfig('tiny', { expert: { image: { standardise: { voxels: true } } } })).toThrow(/X-ray is standardised per feature, which only 3-D encoders take/);
    expect(getConfig('tiny', { data: { trainPatients: 0 } }).data.trainPatients).toBe(0);
    expect(() => getConfig('tiny', { data: { trainPatients: -1 } })).toThrow(/trainPatients/);
    expect(() => getConfig('tiny', { data: { trainPatients: 2.5 } })).toThrow(/trainPatients/);
    expect(getConfig('tiny', { text: { init: 'expert' } }).text.init).toBe('expert');
    expect(() => getConfig('tiny', { text: { init: 'bert' as 'expert' } })).toThrow(/text init "bert"/);
    expect(() => getConfig('small', { text: { init: 'expert' } })).toThrow(/differ in depth \(6 vs 4\)/);
  });
});
