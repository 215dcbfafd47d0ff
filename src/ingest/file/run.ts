/**
 * The whole `garrison ingest` run: open the store under the data directory, build the pipeline,
 * ingest the paths, flush and close. Used by the CLI and by bench/ingest/file.ts (same path).
 */
import { mkdirSync } from 'node:fs';
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

/** Normalizing worker threads used by `garrison ingest` unless told otherwise. */
export const DEFAULT_FILE_WORKERS = 1;

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
  // Batches are normalized by worker threads (opts.workers, default 1) and handed over pre-parsed.
  const pipeline = createPipeline({ store, maxQueuedEvents: opts.maxQueuedEvents ?? 100_000, parse: parseWithPreParsed() });
  try {
    const summary = await ingestPaths(paths, { ...opts, workers: opts.workers ?? DEFAULT_FILE_WORKERS, sink: pipeline });
    await pipeline.close();
    return { ...summary, pipeline: pipeline.stats() };
  } finally {
    await pipeline.close();
    if (!opts.useStore) await store.close();
  }
}
