/**
 * The parser registry: an explicit map from format name to parser, plus format detection and
 * the mapping of HEC sourcetypes to parsers.
 *
 * Detection runs per record and stays cheap: the first non-blank character picks the family
 * (`{` JSON, `CEF:` CEF, `<digits>` or a timestamp syslog), and for JSON the object's shape picks
 * the normalizer (Windows, CloudTrail, Zeek, generic) after the one JSON.parse.
 */
import type { Parser, ParseResult, RawRecord } from './types.js';
import { jsonParser, normalizeGenericJson, parseJsonObject } from './json/parser.js';
import { syslogParser, normalizeSyslog } from './syslog/parser.js';
import { cefParser, parseCefPayload } from './cef/parser.js';
import { zeekParser, normalizeZeekObject } from './zeek/parser.js';
import { cloudtrailParser, isCloudTrailRecord, normalizeCloudTrail } from './cloudtrail/parser.js';
import { buildEvent, fail, isObject } from './json/common.js';
import { isAzureSignin, isOktaEvent, normalizeAzureSignin, normalizeOkta, signinParser } from './signin/parser.js';
import { parseWinEventLogText } from './json/wineventlog.js';
import { auditdParser, looksLikeAudit, normalizeAuditd } from './auditd/parser.js';
import { looksLikeProxyCombined, looksLikeSquid, normalizeProxy, proxyParser } from './proxy/parser.js';
import { detectWindowsJson, windowsJsonToFlat, windowsToEvent, windowsXmlToFlat, type WindowsFlat } from './windows/index.js';
import { isGarrisonError, toGarrisonError } from '../core/errors.js';
import { eventId, FIELDS_FROM_RAW_SCALARS, sameFieldsAsRawScalars } from '../core/event.js';
import { isObject as isObj } from './json/common.js';

/** Event time for Windows events without TimeCreated: transport time, file time, receive time. */
function fallbackTime(rec: RawRecord): number {
  const m = rec.meta;
  if (m && typeof m.time === 'number') return m.time;
  if (m && typeof m.fallbackTime === 'number') return m.fallbackTime;
  return rec.receivedAt;
}

/** Windows JSON (Winlogbeat, NXLog/OTRF flattened, evtx_dump) through the one Windows normalization. */
function normalizeWindowsObject(obj: Record<string, unknown>, raw: string, rec: RawRecord, rawIsJson = true, kind = detectWindowsJson(obj)): ParseResult {
  const flat = windowsJsonToFlat(obj, kind);
  if (!flat) return fail('PARSE_UNKNOWN_FORMAT', `${rec.origin}: not a Windows event (no Event.System, winlog or EventID+Channel)`, rec);
  const event = windowsToEvent(flat, { tenant: rec.tenant, origin: rec.origin, input: rec.input, receivedAt: rec.receivedAt, raw, time: fallbackTime(rec) });
  // Flattened events whose canonical form is the raw object itself: the store keeps raw only.
  if (rawIsJson && sameFieldsAsRawScalars(obj, flat)) FIELDS_FROM_RAW_SCALARS.add(event);
  return { ok: true, event };
}

/** Windows event XML (`<Event xmlns=...>`, HEC XmlWinEventLog). */
function normalizeWindowsXml(xml: string, rec: RawRecord): ParseResult {
  try {
    return { ok: true, event: windowsToEvent(windowsXmlToFlat(xml), { tenant: rec.tenant, origin: rec.origin, input: rec.input, receivedAt: rec.receivedAt, raw: xml, time: fallbackTime(rec) }) };
  } catch (e) {
    if (isGarrisonError(e)) return { ok: false, error: e };
    return { ok: false, error: toGarrisonError(e) };
  }
}

/** Object → event by shape: the dispatch used for JSON whose producer is not named. */
export function normalizeObject(obj: Record<string, unknown>, raw: string, rec: RawRecord): ParseResult {
  const kind = detectWindowsJson(obj);
  if (kind !== undefined) return normalizeWindowsObject(obj, raw, rec, true, kind);
  if (isCloudTrailRecord(obj)) return normalizeCloudTrail(obj, raw, rec);
  if (Array.isArray(obj.Records) && obj.Records.length > 0 && isObject(obj.Records[0]) && isCloudTrailRecord(obj.Records[0])) {
    return fail('PARSE_CLOUDTRAIL_INVALID', `${rec.origin}: a CloudTrail {"Records":[...]} document must be split into records (garrison ingest does this)`, rec);
  }
  if (isOktaEvent(obj)) return normalizeOkta(obj, raw, rec);
  if (isAzureSignin(obj)) return normalizeAzureSignin(obj, raw, rec);
  if ((typeof obj.ts === 'number' || typeof obj.ts === 'string') && ('uid' in obj || 'id.orig_h' in obj || 'fuid' in obj || '_path' in obj)) {
    return normalizeZeekObject(obj, raw, rec);
  }
  return normalizeGenericJson(obj, raw, rec);
}

/** JSON of any known shape (the `json` format, HEC `_json`). */
const autoJsonParser: Parser = {
  name: 'json',
  parse(rec: RawRecord): ParseResult {
    const r = parseJsonObject(rec);
    if ('ok' in r) return r;
    return normalizeObject(r.obj, r.raw, rec);
  },
};

/** Windows events as JSON (Winlogbeat, NXLog/OTRF flattened, evtx_dump) or XML. */
const winlogParser: Parser = {
  name: 'winlog',
  parse(rec: RawRecord): ParseResult {
    if (typeof rec.data === 'string') {
      const t = rec.data.trimStart();
      if (t.startsWith('<')) return normalizeWindowsXml(t.trim(), rec);
      if (!t.startsWith('{')) {
        // Splunk's classic WinEventLog text (key=value header lines, then Message=).
        const o = parseWinEventLogText(t);
        if (!o) return fail('PARSE_UNKNOWN_FORMAT', `${rec.origin}: a Windows event must be JSON, XML or WinEventLog text (LogName=, EventCode=, Message=)`, rec);
        return normalizeWindowsObject(o, rec.data, rec, false);
      }
    }
    const r = parseJsonObject(rec);
    if ('ok' in r) return r;
    return normalizeWindowsObject(r.obj, r.raw, rec);
  },
};

/**
 * EVTX records from the EVTX reader (file ingest): data = the canonical flat form, meta.evtxXml =
 * the XML rendering (raw), meta.evtxTime = the record's write time.
 */
const evtxParser: Parser = {
  name: 'evtx',
  parse(rec: RawRecord): ParseResult {
    const xml = rec.meta?.evtxXml;
    if (typeof rec.data === 'string' || !isObj(rec.data) || typeof xml !== 'string') {
      return fail('PARSE_UNKNOWN_FORMAT', `${rec.origin}: evtx records come from the EVTX reader (garrison ingest FILE.evtx)`, rec);
    }
    const t = rec.meta?.evtxTime;
    return {
      ok: true,
      event: windowsToEvent(rec.data as WindowsFlat, { tenant: rec.tenant, origin: rec.origin, input: rec.input, receivedAt: rec.receivedAt, raw: xml, format: 'evtx', time: typeof t === 'number' ? t : rec.receivedAt }),
    };
  },
};

/** Text with no recognisable structure: kept whole as `message`. */
const rawParser: Parser = {
  name: 'raw',
  parse(rec: RawRecord): ParseResult {
    const text = typeof rec.data === 'string' ? rec.data : JSON.stringify(rec.data);
    return buildEvent(rec, text, undefined, { format: 'raw' }, 'base_event', {}, { message: text });
  },
};

/** Detects the format of one record and parses it. */
const autoParser: Parser = {
  name: 'auto',
  parse(rec: RawRecord): ParseResult {
    const d = rec.data;
    if (typeof d !== 'string') return normalizeObject(d, JSON.stringify(d), rec);
    let i = 0;
    while (i < d.length && (d.charCodeAt(i) <= 32 || d.charCodeAt(i) === 0xfeff)) i++;
    if (i >= d.length) return fail('PARSE_EMPTY', `${rec.origin}: the record is empty`, rec);
    const c = d.charCodeAt(i);
    if (c === 123 /* { */) return autoJsonParser.parse(i === 0 ? rec : { ...rec, data: d.slice(i) });
    if (d.startsWith('CEF:', i)) return parseCefPayload(d.slice(i), d, rec);
    if (looksLikeAudit(d, i)) return normalizeAuditd(d, rec);
    if (d.startsWith('<Event', i) && (d.charCodeAt(i + 6) === 32 || d.charCodeAt(i + 6) === 62)) return normalizeWindowsXml(d.slice(i).trim(), rec);
    if (c === 60 /* < */ && i + 1 < d.length && d.charCodeAt(i + 1) >= 48 && d.charCodeAt(i + 1) <= 57) return normalizeSyslog(d, rec);
    if (looksLikeSyslogTime(d, i)) return normalizeSyslog(d, rec);
    if (looksLikeSquid(d, i) || looksLikeProxyCombined(d, i)) {
      // Detected by shape only: a line that then fails the proxy grammar is kept as raw text.
      const r = normalizeProxy(d, rec);
      if (r.ok) return r;
    }
    return rawParser.parse(rec);
  },
};

const MONTH_NAMES = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
function looksLikeSyslogTime(d: string, i: number): boolean {
  if (MONTH_NAMES.has(d.slice(i, i + 3)) && d.charCodeAt(i + 3) === 32) return true;
  // 2024-01-02T...
  return d.length > i + 10 && d.charCodeAt(i + 4) === 45 && d.charCodeAt(i + 7) === 45 && (d.charCodeAt(i + 10) === 84 || d.charCodeAt(i + 10) === 32);
}

export const PARSERS = {
  auto: autoParser,
  json: autoJsonParser,
  'json-generic': jsonParser,
  winlog: winlogParser,
  evtx: evtxParser,
  syslog: syslogParser,
  cef: cefParser,
  zeek: zeekParser,
  cloudtrail: cloudtrailParser,
  auditd: auditdParser,
  proxy: proxyParser,
  signin: signinParser,
  raw: rawParser,
} satisfies Record<string, Parser>;

export type ParserName = keyof typeof PARSERS;

export function isParserName(s: string): s is ParserName {
  return Object.prototype.hasOwnProperty.call(PARSERS, s);
}

/**
 * Maps a format hint (a parser name or a Splunk HEC sourcetype) to a parser and, for Zeek
 * sourcetypes, the log path. Unknown sourcetypes fall back to detection (HEC accepts any).
 */
export function resolveFormat(format: string | undefined): { parser: Parser; zeekPath?: string } {
  if (!format) return { parser: autoParser };
  if (isParserName(format)) return { parser: PARSERS[format] };
  const f = format.toLowerCase();
  if (isParserName(f)) return { parser: PARSERS[f] };
  switch (f) {
    case '_json':
    case 'json_no_timestamp':
    case '_raw':
      return { parser: f === '_raw' ? autoParser : autoJsonParser };
    case 'syslog':
    case 'linux_secure':
    case 'linux_messages_syslog':
    case 'linux:syslog':
    case 'rfc5424_syslog':
    case 'rfc3164_syslog':
      return { parser: syslogParser };
    case 'okta:im2':
    case 'okta:system':
    case 'okta':
    case 'azure:aad:signin':
    case 'azure:monitor:aad':
    case 'ms:aad:signin':
      return { parser: signinParser };
    case 'linux:audit':
    case 'linux_audit':
    case 'auditd':
      return { parser: auditdParser };
    case 'squid':
    case 'squid:access':
    case 'squid:access:recommended':
    case 'squid_access':
    case 'squid:combined':
    case 'proxy:access':
      return { parser: proxyParser };
    case 'aws:cloudtrail':
    case 'aws:cloudtrail:json':
      return { parser: cloudtrailParser };
    case 'winlogbeat':
    case 'xmlwineventlog':
    case 'wineventlog':
    case 'windows:json':
      return { parser: winlogParser };
  }
  if (f.startsWith('xmlwineventlog:') || f.startsWith('wineventlog:')) return { parser: winlogParser };
  if (f === 'cef' || f.endsWith(':cef') || f.startsWith('cef:')) return { parser: cefParser };
  for (const prefix of ['zeek:', 'bro:', 'zeek_', 'bro_', 'corelight_']) {
    if (f.startsWith(prefix)) {
      let path = f.slice(prefix.length);
      if (path.endsWith(':json')) path = path.slice(0, -5);
      if (path.endsWith('_json')) path = path.slice(0, -5);
      return { parser: zeekParser, zeekPath: path && /^[a-z0-9_]{1,40}$/.test(path) ? path : undefined };
    }
  }
  return { parser: autoParser };
}

/**
 * Parses one record, choosing the parser from rec.format (parser name or HEC sourcetype) or by
 * detection. When the source marks its transport time as authoritative (`meta.timeAuthoritative`
 * with `meta.time` in ms: HEC /event's per-event `time`), that time replaces the one parsed from
 * the body (which stays in `fields`), and the id is derived from it.
 */
export function parseRecord(rec: RawRecord): ParseResult {
  const { parser, zeekPath } = resolveFormat(rec.format);
  const r = zeekPath && !(rec.meta && 'zeekPath' in rec.meta) ? parser.parse({ ...rec, meta: { ...rec.meta, zeekPath } }) : parser.parse(rec);
  return rec.meta?.timeAuthoritative === true ? withTransportTime(r, rec) : r;
}

/** Latest event time accepted (year 9999), as in buildEvent. */
const MAX_EVENT_TIME = 253402300799999;

function withTransportTime(r: ParseResult, rec: RawRecord): ParseResult {
  const t = rec.meta?.time;
  if (!r.ok || typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_EVENT_TIME) return r;
  const time = Math.floor(t);
  if (time === r.event.time) return r;
  r.event.time = time;
  r.event.id = eventId(time, r.event.tenant, rec.origin, r.event.raw);
  return r;
}
