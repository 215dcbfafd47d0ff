/**
 * Small pieces the command modules share: repeatable options and opening the store under
 * `--data` for commands that work on an existing store.
 */
import { existsSync } from 'node:fs';
import { GarrisonError } from '../../core/errors.js';
import { defaultStorePath, openSqliteStore } from '../../store/index.js';
import type { SqliteStore } from '../../store/sqlite/store.js';

/** Commander reducer for a repeatable option: `--rule a --rule b` → ['a', 'b']. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** The store at `<data>/garrison.db`; NOT_FOUND naming the file when there is none. */
export function openExistingStore(data: string, readonly = true): SqliteStore {
  const file = defaultStorePath(data);
  if (!existsSync(file)) throw new GarrisonError('NOT_FOUND', `no store at ${file} (ingest or serve first, or pass --data DIR)`, { location: { file } });
  return openSqliteStore({ file, readonly });
}
