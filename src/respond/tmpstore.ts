/** A throw-away SQLite store in a temp directory (policy simulation, tests). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../store/port.js';
import { openSqliteStore } from '../store/sqlite/store.js';

export interface TempStore {
  store: Store;
  dir: string;
  file: string;
  cleanup(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'garrison-respond-'));
  const file = join(dir, 'garrison.db');
  const store = openSqliteStore({ file, fts: 'off' });
  await store.init();
  return {
    store,
    dir,
    file,
    async cleanup() {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

