/**
 * A small pool of worker threads that turn HEC request bodies into normalized events off the
 * main thread (hec.workers, default 0 = inline). On a 2-core machine inline parsing costs less
 * CPU in total (no hand-over of events between threads); with more cores 1–2 workers let the
 * store-writing main thread run at its own ceiling (bench/ingest/hec.ts prints both figures).
 *
 * The pipeline (ingest/pipeline.ts) normalizes in submit(); records already normalized by a
 * worker are handed to it as stub RawRecords whose ParseResult is registered in `preParsed`,
 * and the server builds its pipeline with `parse: parseWithPreParsed()`, which looks them up
 * before falling back to the parser registry. A worker that dies fails only its in-flight
 * requests (HEC code 8, nothing acknowledged) and is replaced.
 */
import { workersUseTheirOwnHeapLimits } from '../../core/threads.js';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, GarrisonError, type ErrorCode, type ErrorLocation } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import { parseRecord } from '../../normalize/registry.js';
import type { ParseResult, RawRecord } from '../../normalize/types.js';
import type { HecErrorItem, HecLimits, HecParsed, HecTokenInfo } from './parse.js';

export interface WorkRequest {
  id: number;
  kind: 'event' | 'raw';
  body: Uint8Array;
  token: HecTokenInfo;
  query: Record<string, string | undefined>;
  originBase: string;
  receivedAt: number;
}

export type WorkRejected = { origin: string; code: ErrorCode; message: string; location?: ErrorLocation };

export type WorkReply =
  | {
      id: number;
      ok: true;
      total: number;
      errors: HecErrorItem[];
      /** JSON array of GarrisonEvent. */
      events: string;
      origins: string[];
      rejected: WorkRejected[];
      input: string;
      tenant: string;
    }
  | { id: number; ok: false; message: string };

/** Records normalized elsewhere (a worker) → their result, for the pipeline's parse hook. */
export const preParsed = new WeakMap<RawRecord, ParseResult>();

/** The pipeline's parse function: a pre-parsed result when there is one, else `base`. */
export function parseWithPreParsed(base: (rec: RawRecord) => ParseResult = parseRecord): (rec: RawRecord) => ParseResult {
  return (rec) => preParsed.get(rec) ?? base(rec);
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: WorkReply) => void; reject: (e: unknown) => void }>;
}

/**
 * Starts the worker entry. From compiled JS (dist/) it is worker.js; from sources (tests, tsx)
 * worker.ts is loaded through tsx's ESM API registered inside the worker (Node 20 does not pass
 * an `--import tsx` loader on to worker threads).
 */
function startWorker(limits: HecLimits): Worker {
  workersUseTheirOwnHeapLimits();
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: limits });
  const entry = new URL('./worker.ts', import.meta.url).href;
  let api = 'tsx/esm/api';
  try {
    api = import.meta.resolve(api);
  } catch {
    // keep the bare specifier (resolved from the working directory)
  }
  const code = `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: limits });
}

export class HecWorkerPool {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly limits: HecLimits,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker(this.limits);
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (r: WorkReply) => {
      const p = slot.pending.get(r.id);
      if (!p) return;
      slot.pending.delete(r.id);
      p.resolve(r);
    });
    const fail = (e: unknown) => {
      const err = new GarrisonError('INTERNAL', `HEC worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.onError(e);
        this.slots[i] = this.spawn();
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  /** Parses and normalizes one request body in a worker; returns stub records for the sink. */
  async run(kind: 'event' | 'raw', body: Buffer, token: HecTokenInfo, query: Record<string, string | undefined>, originBase: string, receivedAt: number): Promise<HecParsed> {
    if (this.closed) throw new GarrisonError('SHUTTING_DOWN', 'the HEC worker pool is closed');
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.seq++;
    // Copy into a fresh ArrayBuffer (the request buffer may be a slice of a shared pool) and transfer it.
    const copy = new Uint8Array(body.length);
    copy.set(body);
    const req: WorkRequest = { id, kind, body: copy, token, query: { ...query }, originBase, receivedAt };
    const reply = await new Promise<WorkReply>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage(req, [copy.buffer]);
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    });
    if (!reply.ok) throw new GarrisonError('INTERNAL', `HEC worker: ${reply.message}`);
    const events = JSON.parse(reply.events) as GarrisonEvent[];
    const records: RawRecord[] = [];
    for (let i = 0; i < events.length; i++) {
      const rec: RawRecord = { data: '', origin: reply.origins[i], input: reply.input, tenant: reply.tenant, receivedAt };
      preParsed.set(rec, { ok: true, event: events[i] });
      records.push(rec);
    }
    for (const r of reply.rejected) {
      const rec: RawRecord = { data: '', origin: r.origin, input: reply.input, tenant: reply.tenant, receivedAt };
      const code: ErrorCode = Object.prototype.hasOwnProperty.call(ERROR_CODES, r.code) ? r.code : 'INTERNAL';
      preParsed.set(rec, { ok: false, error: new GarrisonError(code, r.message, { location: r.location }) });
      records.push(rec);
    }
    return { records, errors: reply.errors, total: reply.total };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
