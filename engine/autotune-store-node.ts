// The autotuner's persistent store in Node: one JSON file, by default
// $BIUD_CACHE_DIR/autotune.json, else $XDG_CACHE_HOME/biud/autotune.json, else
// ~/.cache/biud/autotune.json. Kept apart from engine/autotune.ts so that browser bundles never
// import node:fs; engine/node.ts registers it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { StoredChoice, TuneStore } from './autotune.ts';

export function defaultTuneFile(): string {
  const env = process.env;
  const dir = env.BIUD_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'biud');
  return path.join(dir, 'autotune.json');
}

export function fileTuneStore(file = defaultTuneFile()): TuneStore {
  return {
    load(): Record<string, StoredChoice> {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredChoice>;
      } catch {
        return {}; // absent or unreadable: nothing measured yet
      }
    },
    save(all: Record<string, StoredChoice>): void {
      mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename, so that a concurrent reader never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(all, null, 1));
      renameSync(tmp, file);
    },
  };
}
