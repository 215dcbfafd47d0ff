/**
 * HEC request bodies → RawRecords, pure and synchronous (runs on the main thread or in the
 * HEC worker threads, see workers.ts). Every check names the event number (0-based, HEC's
 * invalid-event-number), the line and, where it helps, the byte offset.
 */
import { GarrisonError, toGarrisonError, type ErrorCode } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import { assertUtf8, scanObjects, splitLines } from './body.js';

/** What a HEC token allows (from config or the first-run token file). */
export interface HecTokenInfo {
  name: string;
  disabled: boolean;
  /** Allowed indexes; empty = any. */
  indexes: string[];
  defaultIndex: string;
  sourcetype?: string;
  source?: string;
  tenant?: string;
}

/** Splunk HEC status codes and their texts. */
export const HEC_TEXT: Record<number, string> = {
  0: 'Success',
  1: 'Token disabled',
  2: 'Token is required',
  3: 'Invalid authorization',
  4: 'Invalid token',
  5: 'No data',
  6: 'Invalid data format',
  7: 'Incorrect index',
  8: 'Internal server error',
  9: 'Server is busy',
  10: 'Data channel is missing',
  11: 'Invalid data channel',
  12: 'Event field is required',
  13: 'Event field cannot be blank',
  14: 'ACK is disabled',
  15: 'Error in handling indexed fields',
  16: 'Query string authorization is not enabled',
  17: 'HEC is healthy',
  18: 'HEC is unhealthy, queues are full',
};

/** GarrisonError code → HEC code. */
const HEC_CODE_OF: Partial<Record<ErrorCode, number>> = {
  HEC_TOKEN_DISABLED: 1,
  AUTH_MISSING: 2,
  AUTH_INVALID: 4,
  HEC_NO_DATA: 5,
  HEC_BAD_FORMAT: 6,
  HEC_BAD_METADATA: 6,
  INGEST_BAD_JSON: 6,
  BODY_BAD_GZIP: 6,
  BODY_BAD_UTF8: 6,
  BODY_BAD_ENCODING: 6,
  PAYLOAD_TOO_LARGE: 6,
  BAD_REQUEST: 6,
  HEC_BAD_INDEX: 7,
  INTERNAL: 8,
  BUSY: 9,
  SHUTTING_DOWN: 9,
  HEC_CHANNEL_MISSING: 10,
  HEC_BAD_CHANNEL: 11,
  HEC_EVENT_REQUIRED: 12,
  HEC_EVENT_BLANK: 13,
  HEC_ACK_DISABLED: 14,
  HEC_BAD_FIELDS: 15,
};

export function hecCodeOf(code: ErrorCode): number {
  return HEC_CODE_OF[code] ?? (code.startsWith('STORE_') ? 8 : 6);
}

export interface HecErrorItem {
  /** 0-based number of the event in the request (HEC's invalid-event-number). */
  event?: number;
  line?: number;
  code: ErrorCode;
  hecCode: number;
  message: string;
}

export interface HecLimits {
  tenant: string;
  maxEventBytes: number;
  maxFieldBytes: number;
}

export interface HecParsed {
  records: RawRecord[];
  errors: HecErrorItem[];
  /** Events (or lines) in the body, good and bad. */
  total: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export class HecParser {
  constructor(private readonly limits: HecLimits) {}

  check(v: unknown, what: string, event: number): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
    if (typeof v !== 'string') throw new GarrisonError('HEC_BAD_METADATA', `event ${event}: "${what}" must be a string`, { location: { index: event, field: what } });
    if (v.length > this.limits.maxFieldBytes) {
      throw new GarrisonError('PAYLOAD_TOO_LARGE', `event ${event}: "${what}" is ${v.length} characters, over the field limit of ${this.limits.maxFieldBytes}`, { location: { index: event, field: what } });
    }
    return v;
  }

  index(v: unknown, token: HecTokenInfo, event: number): string {
    const idx = this.check(v, 'index', event) ?? token.defaultIndex;
    if (token.indexes.length > 0 && !token.indexes.includes(idx)) {
      throw new GarrisonError('HEC_BAD_INDEX', `event ${event}: index "${idx.slice(0, 100)}" is not allowed for token "${token.name}"`, { location: { index: event, field: 'index' } });
    }
    return idx;
  }

  parseEvents(buf: Buffer, token: HecTokenInfo, originBase: string, receivedAt: number): HecParsed {
    const records: RawRecord[] = [];
    const errors: HecErrorItem[] = [];
    const slices = scanObjects(buf);
    const tenant = token.tenant ?? this.limits.tenant;
    const maxEv = this.limits.maxEventBytes;
    for (let n = 0; n < slices.length; n++) {
      const s = slices[n];
      try {
        if (s.error) throw new GarrisonError('HEC_BAD_FORMAT', `event ${n} (line ${s.line}, byte ${s.start}): ${s.error}`, { location: { index: n, line: s.line, offset: s.start } });
        if (s.end - s.start > maxEv) {
          throw new GarrisonError('PAYLOAD_TOO_LARGE', `event ${n} (line ${s.line}) is ${s.end - s.start} bytes, over the per-event limit of ${maxEv} bytes`, { location: { index: n, line: s.line, offset: s.start } });
        }
        assertUtf8(buf, s.start, s.end, { index: n, line: s.line });
        let obj: unknown;
        try {
          obj = JSON.parse(buf.toString('utf8', s.start, s.end));
        } catch (e) {
          throw new GarrisonError('HEC_BAD_FORMAT', `event ${n} (line ${s.line}) is not valid JSON: ${(e as Error).message}`, { location: { index: n, line: s.line, offset: s.start } });
        }
        const o = obj as Record<string, unknown>;
        if (!('event' in o)) throw new GarrisonError('HEC_EVENT_REQUIRED', `event ${n} (line ${s.line}) has no "event" field`, { location: { index: n, line: s.line } });
        const ev = o.event;
        if (ev === null || ev === '' || (typeof ev === 'string' && ev.trim() === '') || (isPlainObject(ev) && Object.keys(ev).length === 0)) {
          throw new GarrisonError('HEC_EVENT_BLANK', `event ${n} (line ${s.line}): the "event" field is blank`, { location: { index: n, line: s.line, field: 'event' } });
        }
        const meta: Record<string, unknown> = { hec: true, token: token.name };
        const host = this.check(o.host, 'host', n);
        const source = this.check(o.source, 'source', n) ?? token.source;
        const sourcetype = this.check(o.sourcetype, 'sourcetype', n) ?? token.sourcetype;
        meta.index = this.index(o.index, token, n);
        if (host !== undefined) meta.host = host;
        if (source !== undefined) meta.source = source;
        if (sourcetype !== undefined) meta.sourcetype = sourcetype;
        if (o.time !== undefined && o.time !== null) {
          // As in Splunk's /event endpoint, the event's "time" is its timestamp: it wins over a
          // timestamp found in the event body (which stays in the stored fields).
          meta.time = parseHecTime(o.time, n);
          meta.timeAuthoritative = true;
        }
        if (o.fields !== undefined) meta.fields = this.fields(o.fields, n);
        records.push({
          data: typeof ev === 'string' ? ev : isPlainObject(ev) ? ev : JSON.stringify(ev),
          origin: originBase + n,
          input: 'hec',
          tenant,
          receivedAt,
          format: sourcetype,
          meta,
        });
      } catch (e) {
        const g = toGarrisonError(e);
        errors.push({ event: n, line: s.line, code: g.code, hecCode: hecCodeOf(g.code), message: g.message });
      }
    }
    return { records, errors, total: slices.length };
  }

  fields(v: unknown, n: number): Record<string, unknown> {
    if (!isPlainObject(v)) throw new GarrisonError('HEC_BAD_FIELDS', `event ${n}: "fields" must be an object`, { location: { index: n, field: 'fields' } });
    const keys = Object.keys(v);
    if (keys.length > 1000) throw new GarrisonError('HEC_BAD_FIELDS', `event ${n}: "fields" has ${keys.length} entries (limit 1000)`, { location: { index: n, field: 'fields' } });
    for (const k of keys) {
      const x = v[k];
      const vals = Array.isArray(x) ? x : [x];
      for (const y of vals) {
        if (typeof y !== 'string' && typeof y !== 'number' && typeof y !== 'boolean') {
          throw new GarrisonError('HEC_BAD_FIELDS', `event ${n}: fields.${k.slice(0, 100)} must be a string, number or array of them (no nested objects)`, { location: { index: n, field: `fields.${k.slice(0, 100)}` } });
        }
        if (typeof y === 'string' && y.length > this.limits.maxFieldBytes) {
          throw new GarrisonError('PAYLOAD_TOO_LARGE', `event ${n}: fields.${k.slice(0, 100)} is ${y.length} characters, over the field limit of ${this.limits.maxFieldBytes}`, { location: { index: n, field: `fields.${k.slice(0, 100)}` } });
        }
      }
    }
    return v;
  }

  parseRaw(buf: Buffer, token: HecTokenInfo, q: Record<string, string | undefined>, originBase: string, receivedAt: number): HecParsed {
    const records: RawRecord[] = [];
    const errors: HecErrorItem[] = [];
    const meta: Record<string, unknown> = { hec: true, token: token.name };
    let sourcetype: string | undefined;
    try {
      const host = this.check(q.host, 'host', 0);
      const source = this.check(q.source, 'source', 0) ?? token.source;
      sourcetype = this.check(q.sourcetype, 'sourcetype', 0) ?? token.sourcetype;
      meta.index = this.index(q.index, token, 0);
      if (host !== undefined) meta.host = host;
      if (source !== undefined) meta.source = source;
      if (sourcetype !== undefined) meta.sourcetype = sourcetype;
      if (q.time !== undefined) meta.time = parseHecTime(q.time, 0);
    } catch (e) {
      // Query-string metadata applies to every line: one error for the request.
      const g = toGarrisonError(e);
      return { records, errors: [{ code: g.code, hecCode: hecCodeOf(g.code), message: g.message.replace(/^event 0: /, 'query string: ') }], total: 1 };
    }
    const tenant = token.tenant ?? this.limits.tenant;
    const lines = splitLines(buf);
    for (let n = 0; n < lines.length; n++) {
      const l = lines[n];
      try {
        if (l.end - l.start > this.limits.maxEventBytes) {
          throw new GarrisonError('PAYLOAD_TOO_LARGE', `line ${l.line} is ${l.end - l.start} bytes, over the per-event limit of ${this.limits.maxEventBytes} bytes`, { location: { index: n, line: l.line } });
        }
        assertUtf8(buf, l.start, l.end, { index: n, line: l.line });
        records.push({ data: buf.toString('utf8', l.start, l.end), origin: originBase + n, input: 'hec:raw', tenant, receivedAt, format: sourcetype, meta });
      } catch (e) {
        const g = toGarrisonError(e);
        errors.push({ event: n, line: l.line, code: g.code, hecCode: hecCodeOf(g.code), message: g.message });
      }
    }
    return { records, errors, total: lines.length };
  }
}

/** HEC `time`: epoch seconds (number or numeric string, fractional allowed) → ms. */
export function parseHecTime(v: unknown, n: number): number {
  const x = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,12}(\.\d{1,9})?\s*$/.test(v) ? Number(v) : NaN;
  // 0 .. year 9999, in seconds.
  if (!Number.isFinite(x) || x < 0 || x > 253402300799) {
    throw new GarrisonError('HEC_BAD_METADATA', `event ${n}: "time" must be epoch seconds (e.g. 1700000000.123)`, { location: { index: n, field: 'time' } });
  }
  return Math.round(x * 1000);
}
