/**
 * `POST /api/v1/events` and `GET /api/v1/events`, transport-free (routes in
 * surface/server/routes/events.ts).
 *
 * POST takes a JSON array of objects, NDJSON, or a single JSON object, chosen by Content-Type
 * (application/json → array/object, application/x-ndjson | application/jsonl | application/ndjson
 * → NDJSON) or sniffed from the first non-blank byte when the type says neither. Each record is
 * judged on its own: errors carry the line (and, for arrays, the element index); good records
 * are stored. The reply counts stored / duplicates / rejected and lists the errors.
 */
import { randomBytes } from 'node:crypto';
import { GarrisonError, toGarrisonError, type ErrorCode } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import type { SearchResult, Store } from '../../store/port.js';
import type { IngestSink } from '../sink.js';
import { assertUtf8, decodeBody, scanObjects, splitLines } from '../hec/body.js';

export interface EventsApiOptions {
  sink: IngestSink;
  store: Store;
  tenant: string;
  maxBodyBytes: number;
  maxEventBytes: number;
  maxErrorsReported: number;
  maxSearchLimit: number;
  /** Records refused before they reached the sink (metrics). */
  onRejected?: (code: ErrorCode, n: number) => void;
  now?: () => number;
}

export interface RecordError {
  line?: number;
  /** 0-based position of the record in the request (array element or non-blank line). */
  index: number;
  code: ErrorCode;
  message: string;
}

export interface IngestReply {
  status: number;
  body: {
    format: 'ndjson' | 'array' | 'object';
    received: number;
    stored: number;
    duplicates: number;
    rejected: number;
    errors: RecordError[];
  };
}

export type BodyFormat = 'ndjson' | 'array' | 'object';

/** Content-Type → format, or undefined to sniff. */
export function formatFromContentType(ct: string | undefined): BodyFormat | 'json' | undefined {
  const t = (ct ?? '').split(';')[0].trim().toLowerCase();
  if (t === 'application/x-ndjson' || t === 'application/ndjson' || t === 'application/jsonl' || t === 'application/x-jsonlines' || t === 'application/jsonlines') return 'ndjson';
  if (t === 'application/json') return 'json';
  return undefined;
}

function sniff(buf: Buffer): BodyFormat {
  let i = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  if (buf[i] === 0x5b) return 'array';
  // One object spanning several lines is a single JSON document; several lines each an object are NDJSON.
  return 'ndjson';
}

export class EventsApi {
  private readonly boot = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly opts: EventsApiOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Splits and validates the body into records + per-record errors (no storing). */
  parse(body: Buffer, contentType: string | undefined, originBase: string, receivedAt: number, tenant: string): { format: BodyFormat; records: RawRecord[]; where: Map<string, { index: number; line?: number }>; errors: RecordError[] } {
    const records: RawRecord[] = [];
    const errors: RecordError[] = [];
    const where = new Map<string, { index: number; line?: number }>();
    const maxEv = this.opts.maxEventBytes;
    const ctf = formatFromContentType(contentType);
    let format: BodyFormat = ctf === 'ndjson' ? 'ndjson' : sniff(body);
    if (ctf === 'json' && format === 'ndjson') format = 'object';
    const push = (data: string | Record<string, unknown>, index: number, line: number | undefined) => {
      const origin = originBase + index;
      where.set(origin, { index, line });
      records.push({ data, origin, input: 'api', tenant, receivedAt });
    };
    const fail = (e: unknown, index: number, line?: number) => {
      const g = toGarrisonError(e);
      errors.push({ index, line, code: g.code, message: g.message });
    };

    if (format === 'ndjson') {
      const lines = splitLines(body);
      for (let n = 0; n < lines.length; n++) {
        const l = lines[n];
        try {
          if (l.end - l.start > maxEv) throw new GarrisonError('PAYLOAD_TOO_LARGE', `line ${l.line} is ${l.end - l.start} bytes, over the per-event limit of ${maxEv} bytes`, { location: { line: l.line, index: n } });
          assertUtf8(body, l.start, l.end, { line: l.line, index: n });
          let text = body.toString('utf8', l.start, l.end);
          if (n === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          let v: unknown;
          try {
            v = JSON.parse(text);
          } catch (e) {
            throw new GarrisonError('INGEST_BAD_JSON', `line ${l.line}: ${(e as Error).message}`, { location: { line: l.line, index: n } });
          }
          if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GarrisonError('INGEST_BAD_JSON', `line ${l.line}: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, { location: { line: l.line, index: n } });
          push(text, n, l.line);
        } catch (e) {
          fail(e, n, l.line);
        }
      }
      return { format, records, where, errors };
    }

    // JSON array or a single object. Fast path: the whole body parses.
    let whole: unknown;
    let ok = false;
    try {
      assertUtf8(body, 0, body.length);
      whole = JSON.parse(body.toString('utf8'));
      ok = true;
    } catch {
      ok = false;
    }
    if (ok && (Array.isArray(whole) || (whole !== null && typeof whole === 'object'))) {
      const items = Array.isArray(whole) ? whole : [whole];
      format = Array.isArray(whole) ? 'array' : 'object';
      for (let n = 0; n < items.length; n++) {
        const v = items[n];
        try {
          if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GarrisonError('INGEST_BAD_JSON', `element ${n}: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, { location: { index: n } });
          const text = JSON.stringify(v);
          if (text.length > maxEv) throw new GarrisonError('PAYLOAD_TOO_LARGE', `element ${n} is ${text.length} bytes, over the per-event limit of ${maxEv} bytes`, { location: { index: n } });
          push(text, n, undefined);
        } catch (e) {
          fail(e, n);
        }
      }
      return { format, records, where, errors };
    }
    if (ok) {
      fail(new GarrisonError('INGEST_BAD_JSON', 'the body must be a JSON array of objects, a JSON object or NDJSON', { location: { line: 1, index: 0 } }), 0, 1);
      return { format, records, where, errors };
    }
    // The whole body does not parse: split it into objects to keep the good ones.
    let from = 0;
    while (from < body.length && body[from] !== 0x5b && body[from] !== 0x7b) from++;
    let to = body.length;
    if (body[from] === 0x5b) {
      from++;
      let t = to - 1;
      while (t > from && (body[t] === 0x20 || body[t] === 0x0a || body[t] === 0x0d || body[t] === 0x09)) t--;
      if (body[t] === 0x5d) to = t;
      else fail(new GarrisonError('INGEST_BAD_JSON', 'the JSON array is not closed with "]" (truncated body?)', { location: { offset: body.length } }), -1);
    }
    const slices = scanObjects(body, from, to, { commas: true });
    for (let n = 0; n < slices.length; n++) {
      const s = slices[n];
      try {
        if (s.error) throw new GarrisonError('INGEST_BAD_JSON', `element ${n} (line ${s.line}): ${s.error}`, { location: { line: s.line, index: n, offset: s.start } });
        if (s.end - s.start > maxEv) throw new GarrisonError('PAYLOAD_TOO_LARGE', `element ${n} (line ${s.line}) is ${s.end - s.start} bytes, over the per-event limit of ${maxEv} bytes`, { location: { line: s.line, index: n } });
        assertUtf8(body, s.start, s.end, { line: s.line, index: n });
        const text = body.toString('utf8', s.start, s.end);
        try {
          JSON.parse(text);
        } catch (e) {
          throw new GarrisonError('INGEST_BAD_JSON', `element ${n} (line ${s.line}): ${(e as Error).message}`, { location: { line: s.line, index: n } });
        }
        push(text, n, s.line);
      } catch (e) {
        fail(e, n, s.line);
      }
    }
    return { format: 'array', records, where, errors };
  }

  async ingest(req: { body: Buffer; contentType?: string; contentEncoding?: string; tenant?: string }): Promise<IngestReply> {
    const buf = await decodeBody(req.body, req.contentEncoding, this.opts.maxBodyBytes);
    const receivedAt = this.now();
    const originBase = `api:${this.boot}:${this.seq++}:`;
    const { format, records, where, errors } = this.parse(buf, req.contentType, originBase, receivedAt, req.tenant ?? this.opts.tenant);
    const received = records.length + errors.filter((e) => e.index >= 0).length;
    if (received === 0 && errors.length === 0) {
      throw new GarrisonError('BAD_REQUEST', 'the body holds no events', { location: { field: 'body' } });
    }
    if (this.opts.onRejected) for (const e of errors) this.opts.onRejected(e.code, 1);
    let stored = 0;
    let duplicates = 0;
    if (records.length > 0) {
      const out = await this.opts.sink.submit(records); // BUSY / SHUTTING_DOWN propagate → 503
      stored = out.stored;
      duplicates = out.duplicates;
      for (const r of out.rejected) {
        const w = where.get(r.origin);
        errors.push({ index: w?.index ?? -1, line: w?.line, code: r.error.code, message: r.error.message });
      }
    }
    errors.sort((a, b) => a.index - b.index);
    const status = errors.length === 0 ? 200 : errors[0].code === 'PAYLOAD_TOO_LARGE' ? 413 : 400;
    return {
      status,
      body: { format, received, stored, duplicates, rejected: errors.length, errors: errors.slice(0, this.opts.maxErrorsReported) },
    };
  }

  /** GET /api/v1/events */
  async search(q: { q?: string; from?: string; to?: string; limit?: string | number; cursor?: string; order?: string; tenant?: string }): Promise<SearchResult> {
    const from = parseTime(q.from, 'from');
    const to = parseTime(q.to, 'to');
    if (from !== undefined && to !== undefined && from >= to) {
      throw new GarrisonError('BAD_REQUEST', '"from" must be earlier than "to"', { location: { field: 'from' } });
    }
    let limit: number | undefined;
    if (q.limit !== undefined && q.limit !== '') {
      limit = Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > this.opts.maxSearchLimit) {
        throw new GarrisonError('BAD_REQUEST', `limit must be an integer from 1 to ${this.opts.maxSearchLimit}`, { location: { field: 'limit' } });
      }
    }
    if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') {
      throw new GarrisonError('BAD_REQUEST', 'order must be asc or desc', { location: { field: 'order' } });
    }
    return this.opts.store.search(q.q ?? '', { from, to, limit, cursor: q.cursor || undefined, order: q.order as 'asc' | 'desc' | undefined, tenant: q.tenant });
  }
}

/** A query-string time: ms since the epoch, or an ISO 8601 date/time. */
export function parseTime(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^-?\d{1,16}$/.test(v)) return Number(v);
  if (v.length <= 40 && /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new GarrisonError('BAD_REQUEST', `${field} must be ms since the epoch or an ISO 8601 time like 2024-01-31T12:00:00Z (got "${v.slice(0, 40)}")`, { location: { field } });
}
