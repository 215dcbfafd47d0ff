/**
 * Off-main-thread normalization for file ingest (`workers` option, default 1 from
 * `garrison ingest`; 0 = inline in the pipeline's submit, as before).
 *
 * The main thread keeps reading, UTF-8 checking and splitting (so every per-line guarantee —
 * line numbers, oversized and invalid-UTF-8 rejections, Zeek headers — stays where it was) and
 * writing the store; a worker runs parseRecord on each batch. Results come back as strings (see
 * worker.ts) and are turned into events registered in `preParsed` (the pipeline, built with
 * `parse: parseWithPreParsed()`, uses them instead of normalizing again) and in the SQLite
 * store's `preEncoded` map, so the store writes the worker's envelope/fields JSON instead of
 * serialising them again. A worker that dies is replaced, and its in-flight batches are
 * normalized inline by the pipeline (slower, same result).
 */
import { workersUseTheirOwnHeapLimits } from '../../core/threads.js';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, GarrisonError, type ErrorCode, type ErrorLocation } from '../../core/errors.js';
import { rawScalarFields, type GarrisonEvent } from '../../core/event.js';
import type { RawRecord } from '../../normalize/types.js';
import { preParsed } from '../hec/workers.js';
import { preEncoded } from '../../store/sqlite/store.js';

/** A batch, column-wise: data and origin per record, the rest shared (`odd`: records that differ). */
export interface NormalizeRequest {
  id: number;
  data: unknown[];
  origin: string[];
  common: Omit<RawRecord, 'data' | 'origin'>;
  odd: [number, RawRecord][];
}

export type NormalizeRejected = { i: number; code: ErrorCode; message: string; location?: ErrorLocation };

export type NormalizeReply =
  | {
      id: number;
      ok: true;
      /** Index in the request of each normalized event. */
      idx: number[];
      /** JSON of { source, class, entities }, as the SQLite store serialises it. */
      env: string[];
      /** JSON of fields; null when equal to the event's raw text. */
      fields: (string | null)[];
      /** The event's raw text; null when equal to the record's data. */
      raw: (string | null)[];
      eventId: string[];
      time: number[];
      ingestTime: number[];
      tenant: string[];
      cls: GarrisonEvent['class'][];
      /** JSON of any other top-level properties, else null. */
      head: (string | null)[];
      /** entities.host and entities.user. */
      host: (string | undefined)[];
      user: (string | undefined)[];
      rejected: NormalizeRejected[];
    }
  | { id: number; ok: false; message: string };

const WORKER_YOUNG_GEN_MB = 32;
const WORKER_OLD_GEN_MB = 128;
/**
 * Text sent to a worker per message (characters): larger batches go in several messages; a
 * single record larger than this is left to the pipeline to normalize inline.
 */
export const MAX_WORKER_BATCH_CHARS = 8 * 1024 * 1024;

function startWorker(): Worker {
  workersUseTheirOwnHeapLimits();
  // A bounded heap keeps the worker (and the process RSS) in check; batches over
  // MAX_WORKER_BATCH_CHARS are normalized inline instead, so a batch of huge records cannot
  // exhaust it (and if a worker dies anyway, its batches fall back to inline normalization).
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB, maxOldGenerationSizeMb: WORKER_OLD_GEN_MB };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { resourceLimits });
  // From sources (tests, tsx): register tsx inside the worker (Node 20 does not pass --import on).
  const entry = new URL('./worker.ts', import.meta.url).href;
  let api = 'tsx/esm/api';
  try {
    api = import.meta.resolve(api);
  } catch {
    // keep the bare specifier
  }
  const code = `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, resourceLimits });
}

/** Splits a batch into columns; records whose shared properties differ from the first travel whole. */
function columns(id: number, records: RawRecord[]): NormalizeRequest {
  const first = records[0];
  const common = first ? { input: first.input, tenant: first.tenant, receivedAt: first.receivedAt, format: first.format, meta: first.meta } : { input: '', tenant: '', receivedAt: 0 };
  const data: unknown[] = new Array(records.length);
  const origin: string[] = new Array(records.length);
  const odd: [number, RawRecord][] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r.input !== common.input || r.tenant !== common.tenant || r.receivedAt !== common.receivedAt || r.format !== common.format || r.meta !== common.meta || Object.keys(r).length > 7) {
      odd.push([i, r]);
      data[i] = null;
      origin[i] = '';
    } else {
      data[i] = r.data;
      origin[i] = r.origin;
    }
  }
  return { id, data, origin, common, odd };
}

/**
 * An event whose source/entities (from the envelope JSON) and fields are parsed on first use:
 * the store writes the worker's strings and never reads them, so on the ingest path they are
 * usually never parsed. The properties are own, enumerable and writable (a getter replaces
 * itself with a plain value), so spreading, JSON.stringify and assignment behave as on a plain
 * event.
 */
function lazyEvent(base: Pick<GarrisonEvent, 'id' | 'time' | 'ingestTime' | 'tenant' | 'class'>, head: string | null, env: string, fields: string | null, raw: string): GarrisonEvent {
  const ev = base as GarrisonEvent;
  if (head !== null) Object.assign(ev, JSON.parse(head));
  ev.raw = raw;
  let envObj: Pick<GarrisonEvent, 'source' | 'entities'> | undefined;
  const envOf = () => (envObj ??= JSON.parse(env) as Pick<GarrisonEvent, 'source' | 'entities'>);
  const lazy = (name: 'source' | 'entities' | 'fields', make: () => unknown): PropertyDescriptor => ({
    enumerable: true,
    configurable: true,
    get(this: GarrisonEvent) {
      const value = make();
      Object.defineProperty(this, name, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
    set(this: GarrisonEvent, value: unknown) {
      Object.defineProperty(this, name, { value, enumerable: true, configurable: true, writable: true });
    },
  });
  Object.defineProperties(ev, {
    source: lazy('source', () => envOf().source),
    entities: lazy('entities', () => envOf().entities),
    fields: lazy('fields', () => (fields === '' ? rawScalarFields(raw) : JSON.parse(fields ?? raw))),
  });
  return ev;
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: NormalizeReply) => void; reject: (e: unknown) => void }>;
}

export class FileNormalizerPool {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private closed = false;

  constructor(
    size: number,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker();
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (r: NormalizeReply) => {
      const p = slot.pending.get(r.id);
      if (!p) return;
      slot.pending.delete(r.id);
      if (slot.pending.size === 0) worker.unref();
      p.resolve(r);
    });
    const fail = (e: unknown): void => {
      const err = new GarrisonError('INTERNAL', `file-ingest worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  /**
   * Normalizes `records` in a worker and registers each result in `preParsed` under the record
   * itself, so submitting the same array to a `parseWithPreParsed()` pipeline stores them
   * without normalizing on this thread.
   */
  async normalize(records: RawRecord[]): Promise<void> {
    if (this.closed) throw new GarrisonError('SHUTTING_DOWN', 'the file-ingest worker pool is closed');
    let part: RawRecord[] = [];
    let chars = 0;
    const send = async (): Promise<void> => {
      if (part.length === 0) return;
      const p = part;
      part = [];
      chars = 0;
      try {
        await this.normalizeInWorker(p);
      } catch (e) {
        // The worker died (out of memory, crash): the pipeline normalizes these records itself.
        this.failures++;
        this.onError(e);
      }
    };
    for (const r of records) {
      // Objects (CloudTrail records) are counted by a rough size; huge ones stay inline.
      const n = typeof r.data === 'string' ? r.data.length : 1024;
      if (n > MAX_WORKER_BATCH_CHARS) continue;
      if (chars + n > MAX_WORKER_BATCH_CHARS) await send();
      part.push(r);
      chars += n;
    }
    await send();
  }

  /** Batches the workers failed on (normalized inline instead). */
  failures = 0;

  private async normalizeInWorker(records: RawRecord[]): Promise<void> {
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.seq++;
    const req = columns(id, records);
    const reply = await new Promise<NormalizeReply>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage(req);
    });
    if (!reply.ok) throw new GarrisonError('INTERNAL', `file-ingest worker: ${reply.message}`);
    const { idx, eventId, time, ingestTime, tenant, cls, env, fields, raw, head, host, user } = reply;
    for (let k = 0; k < idx.length; k++) {
      const rec = records[idx[k]];
      const rawText = raw[k] ?? (rec.data as string);
      const ev = lazyEvent({ id: eventId[k], time: time[k], ingestTime: ingestTime[k], tenant: tenant[k], class: cls[k] }, head[k], env[k], fields[k], rawText);
      preEncoded.set(ev, { env: env[k], fields: fields[k], host: host[k], user: user[k] });
      preParsed.set(rec, { ok: true, event: ev });
    }
    for (const r of reply.rejected) {
      const code: ErrorCode = Object.prototype.hasOwnProperty.call(ERROR_CODES, r.code) ? r.code : 'INTERNAL';
      preParsed.set(records[r.i], { ok: false, error: new GarrisonError(code, r.message, { location: r.location }) });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
