/**
 * The store area: the Store port, its implementations and the search language.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { GarrisonError } from '../core/errors.js';
import type { Store } from './port.js';
import { openSqliteStore, SqliteStore, SqliteStoreConfigSchema } from './sqlite/store.js';
import { openPostgresStore, PostgresStoreConfigSchema } from './postgres/store.js';

export * from './port.js';
export { openSqliteStore, SqliteStore, SqliteStoreConfigSchema } from './sqlite/store.js';
export type { SqliteStoreConfig } from './sqlite/store.js';
export { openPostgresStore, PostgresStore, PostgresStoreConfigSchema } from './postgres/store.js';
export type { PostgresStoreConfig } from './postgres/store.js';
export { compileQuery, sqliteDialect, postgresDialect } from './query/compile.js';
export { parseQuery } from './query/parser.js';

/** The embedded store's file inside a data directory. */
export function defaultStorePath(dataDir: string): string {
  return join(dataDir, 'garrison.db');
}

/** Store configuration: which implementation and its options (validated with zod). */
export const StoreConfigSchema = z.discriminatedUnion('kind', [
  SqliteStoreConfigSchema.extend({ kind: z.literal('sqlite') }),
  PostgresStoreConfigSchema.extend({ kind: z.literal('postgres') }),
]);
export type StoreConfig = z.input<typeof StoreConfigSchema>;

/** Opens the configured Store implementation (not yet initialised: call init() or just use it). */
export function openStore(config: StoreConfig): Store {
  const parsed = StoreConfigSchema.safeParse(config);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `store.${i.path.join('.')}: ${i.message}`);
    throw new GarrisonError('CONFIG_INVALID', `invalid store configuration:\n${lines.join('\n')}`, { details: { problems: lines } });
  }
  const { kind, ...rest } = config;
  return kind === 'sqlite' ? openSqliteStore(rest as Parameters<typeof openSqliteStore>[0]) : openPostgresStore(rest as Parameters<typeof openPostgresStore>[0]);
}

export type { SqliteStore as SqliteStoreType };
