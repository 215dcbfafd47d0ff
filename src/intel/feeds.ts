/**
 * Feeds on disk and in the store. `loadFeedFile` reads one file and picks the parser from the
 * extension or the content (STIX bundle, MISP event, CSV). Feeds are kept in the store's `intel`
 * collection, one record per feed (id `feed:<sha256(source)>`), so the server, the investigator
 * and the CLI share them; `loadIntelIndex` builds the in-memory index from every stored feed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { GarrisonError } from '../core/errors.js';
import type { Store, StoredRecord } from '../store/port.js';
import { loadCsvIndicators } from './csv.js';
import { IntelIndex } from './intel-index.js';
import { loadMispEvents, type MispOptions } from './misp.js';
import { loadStixBundle } from './stix.js';
import { DEFAULT_FEED_LIMITS, type FeedLimits, type FeedLoad, type FeedProblem, type Indicator } from './types.js';

export interface FeedDoc {
  source: string;
  format: FeedLoad['format'];
  indicators: Indicator[];
  problems: FeedProblem[];
  skipped: number;
  /** Where it came from: a file path or a TAXII collection URL. */
  origin: string;
  /** TAXII `added_after` checkpoint for the next pull. */
  checkpoint?: string;
}

export function parseFeed(text: string, source: string, opts: { format?: FeedLoad['format']; misp?: MispOptions; limits?: Partial<FeedLimits> } = {}): FeedLoad {
  let format = opts.format;
  if (!format) {
    const head = text.slice(0, 4096).trimStart();
    if (head.startsWith('{') || head.startsWith('[')) {
      format = /"type"\s*:\s*"bundle"|"spec_version"|"pattern"/.test(head) ? 'stix' : /"Event"|"response"/.test(head) ? 'misp' : 'stix';
    } else format = 'csv';
  }
  if (format === 'stix') return loadStixBundle(text, source, opts.limits);
  if (format === 'misp') return loadMispEvents(text, source, { ...opts.misp, limits: opts.limits });
  return loadCsvIndicators(text, source, opts.limits);
}

export function loadFeedFile(file: string, opts: { source?: string; format?: FeedLoad['format']; misp?: MispOptions; limits?: Partial<FeedLimits> } = {}): FeedLoad {
  const max = opts.limits?.maxBytes ?? DEFAULT_FEED_LIMITS.maxBytes;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new GarrisonError('NOT_FOUND', `${file}: ${(e as Error).message}`, { location: { file } });
  }
  if (size > max) throw new GarrisonError('INTEL_TOO_LARGE', `${file}: ${size} bytes exceeds ${max}`, { location: { file } });
  const text = readFileSync(file, 'utf8');
  const ext = file.toLowerCase();
  const format = opts.format ?? (ext.endsWith('.csv') || ext.endsWith('.txt') ? 'csv' : undefined);
  return parseFeed(text, opts.source ?? basename(file), { ...opts, format });
}

export function feedRecordId(source: string): string {
  return 'feed:' + createHash('sha256').update(source).digest('hex').slice(0, 32);
}

export async function saveFeed(store: Store, load: FeedLoad, opts: { origin: string; tenant?: string; now?: number; checkpoint?: string }): Promise<StoredRecord<FeedDoc>> {
  const id = feedRecordId(load.source);
  const prev = await store.getRecord<FeedDoc>('intel', id);
  const now = opts.now ?? Date.now();
  const rec: StoredRecord<FeedDoc> = {
    id,
    tenant: opts.tenant ?? 'default',
    status: 'active',
    ref: '',
    createdAt: prev?.createdAt ?? now,
    updatedAt: now,
    doc: { source: load.source, format: load.format, indicators: load.indicators, problems: load.problems.slice(0, 100), skipped: load.skipped, origin: opts.origin, checkpoint: opts.checkpoint },
  };
  await store.putRecords('intel', [rec]);
  return rec;
}

export async function listFeeds(store: Store, tenant?: string): Promise<StoredRecord<FeedDoc>[]> {
  const recs = await store.listRecords<FeedDoc>('intel', { tenant, limit: 10_000 });
  return recs.filter((r) => r.id.startsWith('feed:') && r.status === 'active').sort((a, b) => (a.doc.source < b.doc.source ? -1 : a.doc.source > b.doc.source ? 1 : 0));
}

/** Builds the index from every active feed in the store (stable order: by source). */
export async function loadIntelIndex(store: Store, tenant?: string): Promise<IntelIndex> {
  const idx = new IntelIndex();
  for (const f of await listFeeds(store, tenant)) idx.add(f.doc.indicators);
  return idx;
}
