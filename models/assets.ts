// Where the shipped data comes from: the repository's data/ folder, read from disk in Node and
// fetched from the page's server in the browser. Model code asks for paths like
// `data/ct-reports/ct-rate-train.csv` and never touches fs or fetch itself.
import { BiudError } from '../engine/errors.ts';

export interface Assets {
  read(path: string): Promise<Uint8Array>;
}

/** Assets fetched over HTTP relative to `base` (the playground and browser jobs). */
export function fetchAssets(base = '/'): Assets {
  return {
    async read(path: string): Promise<Uint8Array> {
      const url = base + path;
      let r: Response;
      try {
        r = await fetch(url);
      } catch (e) {
        throw new BiudError(`could not fetch ${url}: ${(e as Error).message}`);
      }
      if (!r.ok) throw new BiudError(`fetching ${url} gave HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    },
  };
}

/** Cache of decoded assets per Assets object (the tokenizer, reports), so loading happens once. */
const memo = new WeakMap<Assets, Map<string, Promise<unknown>>>();
export function once<T>(assets: Assets, key: string, make: () => Promise<T>): Promise<T> {
  let m = memo.get(assets);
  if (!m) memo.set(assets, (m = new Map()));
  let p = m.get(key) as Promise<T> | undefined;
  if (!p) {
    p = make();
    m.set(key, p);
  }
  return p;
}
