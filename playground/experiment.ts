// The experiment a page runs, kept in the URL's query string so an experiment is a link:
//   ?config=micro&roco=1&efm=1&distill=1&wEfm=0.5&wPair=1&wRel=1&fnGraded=2&seed=1&steps=20&expert=train
// Everything here maps onto getConfig overrides and the trainer's loss switches.
import { getConfig, type BiudConfig } from '../models/config.ts';
import type { LossSwitches } from '../models/biud.ts';
import { PRETRAINED_EXPERT } from '../models/xray-expert.ts';

export const CONFIG_NAMES = ['micro', 'tiny', 'small'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export interface Experiment {
  config: ConfigName;
  roco: boolean;
  efm: boolean;
  distill: boolean;
  /** Loss weights λ_efm, λ_pair, λ_rel. */
  wEfm: number;
  wPair: number;
  wRel: number;
  /** RoCo's graded false negatives: exponent γ of the Jaccard index (0 = only identical finding sets). */
  fnGraded: number;
  seed: number;
  /** Training steps (default: the config's). */
  steps: number;
  /** Stage 1: load the repository's pretrained X-ray expert (where the config has one) or train it here. */
  expert: 'shipped' | 'train';
}

/** Whether `config` has a pretrained expert in the repository. */
export const hasShippedExpert = (config: ConfigName) => PRETRAINED_EXPERT[config] !== undefined;

export function defaults(config: ConfigName = 'micro'): Experiment {
  const c = getConfig(config);
  return { config, roco: true, efm: true, distill: true, wEfm: c.loss.efm, wPair: c.loss.pair, wRel: c.loss.rel, fnGraded: c.loss.fnGraded ?? 0, seed: c.seed, steps: c.train.steps, expert: hasShippedExpert(config) ? 'shipped' : 'train' };
}

const bool = (v: string | null, d: boolean) => (v === null ? d : v === '1' || v === 'true' || v === 'on');
const num = (v: string | null, d: number) => (v === null || v === '' || !Number.isFinite(Number(v)) ? d : Number(v));

export function fromQuery(search: string): Experiment {
  const q = new URLSearchParams(search);
  const name = q.get('config') as ConfigName | null;
  const d = defaults(name && (CONFIG_NAMES as readonly string[]).includes(name) ? name : 'micro');
  return {
    config: d.config,
    roco: bool(q.get('roco'), d.roco),
    efm: bool(q.get('efm'), d.efm),
    distill: bool(q.get('distill'), d.distill),
    wEfm: num(q.get('wEfm'), d.wEfm),
    wPair: num(q.get('wPair'), d.wPair),
    wRel: num(q.get('wRel'), d.wRel),
    fnGraded: Math.max(0, num(q.get('fnGraded'), d.fnGraded)),
    seed: Math.trunc(num(q.get('seed'), d.seed)),
    steps: Math.max(1, Math.trunc(num(q.get('steps'), d.steps))),
    expert: q.get('expert') === 'train' || !hasShippedExpert(d.config) ? 'train' : 'shipped',
  };
}

/** The query string of an experiment; only values that differ from the config's defaults, plus the config. */
export function toQuery(x: Experiment): string {
  const d = defaults(x.config);
  const q = new URLSearchParams({ config: x.config });
  for (const k of ['roco', 'efm', 'distill'] as const) if (x[k] !== d[k]) q.set(k, x[k] ? '1' : '0');
  for (const k of ['wEfm', 'wPair', 'wRel', 'fnGraded', 'seed', 'steps', 'expert'] as const) if (x[k] !== d[k]) q.set(k, String(x[k]));
  return '?' + q.toString();
}

export function toConfig(x: Experiment): BiudConfig {
  return getConfig(x.config, { seed: x.seed, loss: { roco: x.roco, efm: x.wEfm, pair: x.wPair, rel: x.wRel, fnGraded: x.fnGraded }, train: { steps: x.steps } });
}

export function switches(x: Experiment): LossSwitches {
  return { roco: x.roco, efm: x.efm, distill: x.distill };
}
