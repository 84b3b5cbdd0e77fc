// The playground's experiment lives in the URL: defaults per config (the pretrained X-ray expert
// where the repository ships one), only non-default values in the link, and a round trip.
import { describe, expect, it } from 'vitest';
import { fromQuery, toQuery, toConfig, hasShippedExpert } from '../../playground/experiment.ts';
import { PRETRAINED_EXPERT } from '../../models/xray-expert.ts';
import { existsSync } from 'node:fs';

describe('experiment URL', () => {
  it('loads the shipped expert by default where there is one, and trains it on request', () => {
    expect(hasShippedExpert('tiny')).toBe(true);
    expect(existsSync(PRETRAINED_EXPERT.tiny!)).toBe(true);
    expect(fromQuery('?config=tiny').expert).toBe('shipped');
    expect(fromQuery('?config=tiny&expert=train').expert).toBe('train');
    expect(fromQuery('?config=micro').expert).toBe('train');
    expect(fromQuery('?config=micro&expert=shipped').expert).toBe('train');
  });

  it('writes only what differs from the defaults, and reads it back', () => {
    expect(toQuery(fromQuery('?config=tiny'))).toBe('?config=tiny');
    const x = fromQuery('?config=tiny&expert=train&roco=0&steps=120&wPair=0.5&fnGraded=2');
    expect(fromQuery(toQuery(x))).toEqual(x);
    expect(toQuery(x)).toContain('expert=train');
    expect(toConfig(x).train.steps).toBe(120);
    expect(toConfig(x).loss.roco).toBe(false);
    expect(toConfig(x).loss.fnGraded).toBe(2);
    expect(fromQuery('?config=tiny').fnGraded).toBe(0);
  });
});
