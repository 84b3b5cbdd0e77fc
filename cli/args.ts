// A small argument parser: `--name value`, `--name=value`, boolean `--flag` / `--no-flag`, positionals.
// Unknown options are an error that lists the known ones, so a typo never runs the wrong job.
import { readFileSync } from 'node:fs';
import { BiudError } from '../engine/errors.ts';

export type OptionSpec = { [name: string]: { type: 'string' | 'number' | 'boolean'; default?: string | number | boolean; help: string } };

export type Parsed = { positionals: string[]; options: Record<string, string | number | boolean | undefined>; help: boolean };

export function parseArgs(argv: string[], spec: OptionSpec): Parsed {
  const options: Parsed['options'] = {};
  for (const [k, s] of Object.entries(spec)) options[k] = s.default;
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { help = true; continue; }
    if (!a.startsWith('--')) { positionals.push(a); continue; }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    let s = spec[name];
    if (!s && name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean') {
      options[name.slice(3)] = false;
      continue;
    }
    if (!s) throw new BiudError(`unknown option --${name}; known: ${Object.keys(spec).map((k) => '--' + k).join(', ')}`);
    if (s.type === 'boolean') { options[name] = value === undefined ? true : value !== 'false'; continue; }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new BiudError(`option --${name} needs a value`);
    }
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new BiudError(`option --${name} needs a number, got "${value}"`);
      options[name] = n;
    } else options[name] = value;
  }
  return { positionals, options, help };
}

export function helpText(usage: string, spec: OptionSpec): string {
  const rows = Object.entries(spec).map(([k, s]) => {
    const flag = s.type === 'boolean' ? `--${k}` : `--${k} ${s.type === 'number' ? 'N' : 'VALUE'}`;
    const def = s.default === undefined || s.default === false ? '' : ` (default ${s.default})`;
    return `  ${flag.padEnd(26)} ${s.help}${def}`;
  });
  return `usage: ${usage}\n\noptions:\n${rows.join('\n')}`;
}

/** A file named on the command line, or an error naming the option and the cause. */
export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new BiudError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A number option that has no default (undefined: use the config's). */
export function optionalNumber(p: Parsed, name: string): number | undefined {
  const v = p.options[name];
  return v === undefined ? undefined : (v as number);
}

/** `--pool mean|flat` of `biud train` and `biud ablate`: the CT encoder's pooling, checked by the config. */
export const POOL_OPTION = { type: 'string', help: "how the CT encoder pools its tokens: mean or flat (default: the config's)" } as const;
export function poolOverride(p: Parsed): 'mean' | 'flat' | undefined {
  const v = p.options.pool;
  return v === undefined ? undefined : (String(v) as 'mean' | 'flat');
}
