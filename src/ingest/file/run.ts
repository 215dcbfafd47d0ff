/**
 * The whole `garrison ingest` run: open the store under the data directory, build the pipeline,
 * ingest the paths, flush and close. Used by the CLI and by bench/ingest/file.ts (same path).
 */
import { mkdirSync } from 'node:fs';
import { GarrisonError } from '../../core/errors.js';
import path from 'node:path';
import { createPipeline, type PipelineStats } from '../pipeline.js';
import { parseWithPreParsed } from '../hec/workers.js';
import { openSqliteStore, type SqliteStoreConfig } from '../../store/sqlite/store.js';
import { defaultStorePath } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { ingestPaths, type IngestOptions, type IngestSummary } from './ingest.js';

export interface RunFileIngestOptions extends Omit<IngestOptions, 'sink'> {
  /** Data directory; the store is `<dataDir>/garrison.db` (as `garrison serve`). */
  dataDir: string;
  /** Extra SQLite store settings (tests and the benchmark). */
  store?: Partial<SqliteStoreConfig>;
  /** Use this store instead of opening one (it is not closed). */
  useStore?: Store;
  /** Pipeline queue bounds. */
  maxQueuedEvents?: number;
}

/**
 * Normalizing worker threads used by `garrison ingest` unless told otherwise (the environment
 * variable GARRISON_INGEST_WORKERS, 0–8, or the `workers` option). 0: on this 2-core machine the
 * worker design was not clearly faster in wall-clock time (see docs/ingest-formats.md,
 * "Worker-thread normalization"), costs ~40% more CPU and pushes peak RSS to ~1 GiB.
 */
export const DEFAULT_FILE_WORKERS = 0;

/** GARRISON_INGEST_WORKERS, validated. */
export function workersFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.GARRISON_INGEST_WORKERS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 8) throw new GarrisonError('CONFIG_INVALID', `GARRISON_INGEST_WORKERS must be an integer from 0 to 8 (got ${JSON.stringify(v.slice(0, 20))})`);
  return n;
}

export function defaultStoreFile(dataDir: string): string {
  return defaultStorePath(path.resolve(dataDir));
}

export async function runFileIngest(paths: string[], opts: RunFileIngestOptions): Promise<IngestSummary & { pipeline: PipelineStats }> {
  let store = opts.useStore;
  if (!store) {
    mkdirSync(path.resolve(opts.dataDir), { recursive: true });
    store = openSqliteStore({ file: defaultStoreFile(opts.dataDir), ...opts.store });
  }
  await store.init();
  // With workers, batches are normalized by worker threads and handed over pre-parsed.
  const pipeline = createPipeline({ store, maxQueuedEvents: opts.maxQueuedEvents ?? 100_000, parse: parseWithPreParsed() });
  try {
    const summary = await ingestPaths(paths, { ...opts, workers: opts.workers ?? workersFromEnv() ?? DEFAULT_FILE_WORKERS, sink: pipeline });
    await pipeline.close();
    return { ...summary, pipeline: pipeline.stats() };
  } finally {
    await pipeline.close();
    if (!opts.useStore) await store.close();
  }
}
