/**
 * Helpers shared by the format parsers: building the envelope, reading timestamps, picking
 * entity values out of producer fields. Everything here is linear in its input and never
 * throws on attacker data.
 */
import { eventId, OCSF_CLASSES, type EventEntities, type EventSource, type GarrisonEvent, type OcsfClassName } from '../../core/event.js';
import { GarrisonError, type ErrorCode } from '../../core/errors.js';
import type { ParseResult, RawRecord } from '../types.js';

/** Latest event time accepted (year 9999); later or negative times fall back to receive time. */
const MAX_TIME = 253402300799999;

export function fail(code: ErrorCode, message: string, rec: RawRecord, extra: { column?: number; field?: string } = {}): ParseResult {
  return { ok: false, error: new GarrisonError(code, message, { location: { field: extra.field ?? rec.origin, column: extra.column }, details: { origin: rec.origin } }) };
}

export function buildEvent(
  rec: RawRecord,
  raw: string,
  time: number | undefined,
  source: Omit<EventSource, 'input'>,
  cls: OcsfClassName,
  entities: EventEntities,
  fields: Record<string, unknown>,
): ParseResult {
  let t = time;
  if (t === undefined || !Number.isFinite(t) || t < 0 || t > MAX_TIME) {
    // Transport time (HEC "time"), else the source's fallback (file ingest: the file's mtime,
    // so that re-ingesting a file gives the same ids), else the receive time.
    const mt = rec.meta?.time;
    const ft = rec.meta?.fallbackTime;
    t = typeof mt === 'number' && Number.isFinite(mt) ? mt : typeof ft === 'number' && Number.isFinite(ft) ? ft : rec.receivedAt;
  }
  t = Math.floor(t);
  if (!entities.host) {
    const h = rec.meta?.host;
    if (typeof h === 'string' && h) entities.host = h;
  }
  const ev: GarrisonEvent = {
    id: eventId(t, rec.tenant, rec.origin, raw),
    time: t,
    ingestTime: rec.receivedAt,
    tenant: rec.tenant,
    source: { ...source, input: rec.input },
    class: { uid: OCSF_CLASSES[cls], name: cls },
    entities,
    fields,
    raw,
  };
  return { ok: true, event: ev };
}

/**
 * Parses a timestamp: ISO 8601 / RFC 3339 strings, RFC 2822-ish strings Date.parse accepts,
 * epoch seconds / milliseconds / microseconds / nanoseconds as numbers or digit strings.
 * Returns ms since the epoch, or undefined.
 */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v !== 'string') return undefined;
  const s = v.length > 64 ? v.slice(0, 64) : v;
  if (s.length === 0) return undefined;
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57 && isNumeric(s)) return epochToMs(Number(s));
  // "2024-01-02 03:04:05.123" (Sysmon UtcTime, SQL style): UTC unless a zone follows.
  // Date.parse would read it as local time, so rewrite it to ISO first.
  if (s.length >= 19 && s.charCodeAt(10) === 32 && s.charCodeAt(4) === 45 && s.charCodeAt(13) === 58) {
    const iso = s.slice(0, 10) + 'T' + s.slice(11);
    const tail = iso.slice(19);
    const zoned = tail.includes('Z') || tail.includes('z') || tail.includes('+') || tail.includes('-');
    const t2 = Date.parse(zoned ? iso.replace(' ', '') : iso + 'Z');
    if (Number.isFinite(t2)) return t2;
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

function isNumeric(s: string): boolean {
  let dot = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && !dot) dot = true;
    else if (c < 48 || c > 57) return false;
  }
  return true;
}

function epochToMs(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < 1e11) return n * 1000; // seconds (until year 5138)
  if (n < 1e14) return n; // milliseconds
  if (n < 1e17) return n / 1000; // microseconds
  return n / 1e6; // nanoseconds
}

/** A field path compiled once: the literal key, and its dotted parts when it has dots. */
export interface FieldPath {
  readonly key: string;
  readonly parts?: readonly string[];
}

/** Compiles field paths (do it once, at module level: lookups are per event). */
export function paths(list: readonly string[]): readonly FieldPath[] {
  return list.map((key) => (key.includes('.') ? { key, parts: key.split('.') } : { key }));
}

/** Reads a path: the literal (possibly dotted) key wins, else walks nested objects. */
export function pickPath(obj: Record<string, unknown>, p: FieldPath): unknown {
  const v = obj[p.key];
  if (v !== undefined || p.parts === undefined) return v;
  const parts = p.parts;
  let cur = obj[parts[0]];
  for (let i = 1; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  return cur;
}

/** Reads a dotted path through nested objects (or the literal dotted key). */
export function pick(obj: Record<string, unknown>, path: string): unknown {
  return pickPath(obj, path.includes('.') ? { key: path, parts: path.split('.') } : { key: path });
}

/** First non-empty string (numbers are converted) among the paths. */
export function firstStr(obj: Record<string, unknown>, ps: readonly FieldPath[]): string | undefined {
  for (let i = 0; i < ps.length; i++) {
    const v = pickPath(obj, ps[i]);
    if (v === undefined) continue;
    if (typeof v === 'string') {
      if (v !== '' && v !== '-') return v.length > 4096 ? v.slice(0, 4096) : v;
    } else if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

/** First value among the paths that is a non-negative integer (or an integer string). */
export function firstInt(obj: Record<string, unknown>, ps: readonly FieldPath[]): number | undefined {
  for (let i = 0; i < ps.length; i++) {
    const v = pickPath(obj, ps[i]);
    if (v === undefined) continue;
    const n = toInt(v);
    if (n !== undefined) return n;
  }
  return undefined;
}

export function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && v.length > 0 && v.length < 16) {
    if (v.startsWith('0x') || v.startsWith('0X')) {
      const n = Number.parseInt(v.slice(2), 16);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    return Number(v);
  }
  return undefined;
}

/** First timestamp among the paths. */
export function firstTime(obj: Record<string, unknown>, ps: readonly FieldPath[]): number | undefined {
  for (let i = 0; i < ps.length; i++) {
    const v = pickPath(obj, ps[i]);
    if (v === undefined || v === null) continue;
    const t = parseTime(v);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** Splits `DOMAIN\user` or `user@domain` into name and domain. */
export function splitUser(u: string): { user: string; domain?: string } {
  const bs = u.indexOf('\\');
  if (bs > 0) return { user: u.slice(bs + 1), domain: u.slice(0, bs) };
  return { user: u };
}

/** Removes undefined members so stored envelopes stay small. */
export function compact<T extends object>(o: T): T {
  // A fresh object instead of `delete` (which would turn the object into a slow dictionary).
  const out = {} as T;
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** IPv4 or IPv6 literal check, cheap and linear (not a full validator). */
export function looksLikeIp(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let dots = 0;
  let colons = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 37)) return false;
  }
  return (dots === 3 && colons === 0) || colons >= 2;
}
