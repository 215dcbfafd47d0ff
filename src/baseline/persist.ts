/**
 * Baseline state persistence: in the Store (key/value state), and to/from export files.
 * Also the warm-up from stored history (`garrison baseline train`).
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GarrisonError } from '../core/errors.js';
import type { Signal } from '../core/signal.js';
import type { Store } from '../store/port.js';
import type { BaselineStage } from './stage.js';

/** Store key of the baseline snapshot. */
export const STATE_KEY = 'baseline/state/v1';
/** Largest export file accepted by importFile (bytes). */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export async function saveToStore(store: Store, stage: BaselineStage, key = STATE_KEY): Promise<number> {
  const text = JSON.stringify(stage.snapshot());
  await store.setState(key, text);
  return text.length;
}

/** Restores the stage from the store; returns false when no state was saved yet. */
export async function loadFromStore(store: Store, stage: BaselineStage, key = STATE_KEY): Promise<boolean> {
  const text = await store.getState(key);
  if (text === undefined) return false;
  stage.restore(parseJson(text, `store:${key}`), `store:${key}`);
  return true;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw new GarrisonError('BASELINE_STATE_INVALID', `${source}: not valid JSON: ${(e as Error).message}`, {
      location: { file: source, offset: m ? Number(m[1]) : undefined },
    });
  }
}

/** Writes the snapshot atomically (temp file + rename). Returns bytes written. */
export function exportFile(stage: BaselineStage, file: string): number {
  const text = JSON.stringify(stage.snapshot());
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return Buffer.byteLength(text);
}

/** Replaces the stage's state with an export file's; nothing changes when the file is invalid. */
export function importFile(stage: BaselineStage, file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new GarrisonError('NOT_FOUND', `baseline export ${file} cannot be read: ${(e as Error).message}`, { location: { file } });
  }
  if (size > MAX_IMPORT_BYTES)
    throw new GarrisonError('PAYLOAD_TOO_LARGE', `baseline export ${file} is ${size} bytes (limit ${MAX_IMPORT_BYTES})`, { location: { file } });
  stage.restore(parseJson(readFileSync(file, 'utf8'), file), file);
}

export interface TrainResult {
  events: number;
  signals: number;
  pages: number;
  from: number;
  to: number;
}

/** Parses `--from/--to`: ISO-8601 date/time or epoch milliseconds. */
export function parseTime(s: string, what: string): number {
  const t = /^\d{10,14}$/.test(s.trim()) ? Number(s.trim()) : Date.parse(s);
  if (!Number.isFinite(t))
    throw new GarrisonError('BASELINE_RANGE_INVALID', `${what}: "${s.slice(0, 60)}" is not an ISO-8601 time or epoch milliseconds`, { location: { field: what } });
  return t;
}

/**
 * Warm-up: feeds stored events with from ≤ time < to, oldest first, page by page, then closes
 * open buckets. Signals raised while training are counted and handed to `onSignals`.
 */
export async function train(
  store: Store,
  stage: BaselineStage,
  opts: {
    from: number;
    to: number;
    tenant?: string;
    pageSize?: number;
    onPage?: (events: number) => void;
    /** Receives the anomaly signals raised while training (e.g. to print or store them). */
    onSignals?: (signals: Signal[]) => void | Promise<void>;
  },
): Promise<TrainResult> {
  if (!(opts.from < opts.to))
    throw new GarrisonError('BASELINE_RANGE_INVALID', `training range is empty: from ${new Date(opts.from).toISOString()} is not before to ${new Date(opts.to).toISOString()}`, {
      location: { field: 'from' },
    });
  let cursor: string | undefined;
  let events = 0;
  let signals = 0;
  let pages = 0;
  do {
    const page = await store.search('', { from: opts.from, to: opts.to, tenant: opts.tenant, order: 'asc', limit: opts.pageSize ?? 5000, cursor });
    pages++;
    events += page.events.length;
    const sig = stage.observe(page.events);
    signals += sig.length;
    if (sig.length && opts.onSignals) await opts.onSignals(sig);
    opts.onPage?.(events);
    cursor = page.nextCursor;
  } while (cursor);
  const last = stage.flushAll(opts.to);
  signals += last.length;
  if (last.length && opts.onSignals) await opts.onSignals(last);
  return { events, signals, pages, from: opts.from, to: opts.to };
}
