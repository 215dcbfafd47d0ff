/**
 * ArcSight Common Event Format:
 *   CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
 * Header fields escape `|` and `\` with a backslash; the extension is `key=value` pairs separated
 * by spaces, values may contain spaces, `\=`, `\\`, `\n`, `\r` are escapes. Parsed in one linear
 * pass. Fields: the header under cef_* names plus every extension key as written; entities from
 * the standard keys (src, dst, spt, dpt, suser, duser, shost, dhost, request, fname, fileHash ...).
 */
import type { EventEntities, OcsfClassName } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, looksLikeIp, parseTime, toInt } from '../json/common.js';
// A cycle (syslog hands CEF payloads here); only functions cross it, called at run time.
import { normalizeSyslog } from '../syslog/parser.js';

export interface CefRecord {
  version: number;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  extension: Record<string, string>;
}

export class CefSyntaxError extends Error {}

/** Parses `CEF:...` text (the "CEF:" prefix included). */
export function parseCef(text: string): CefRecord {
  if (!text.startsWith('CEF:')) throw new CefSyntaxError('a CEF payload must start with "CEF:"');
  const header: string[] = [];
  let i = 4;
  let cur = '';
  let from = i;
  while (header.length < 7 && i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d === 124 || d === 92) {
        cur += text.slice(from, i);
        from = i + 1;
        i += 2;
        continue;
      }
    }
    if (c === 124 /* | */) {
      header.push(cur + text.slice(from, i));
      cur = '';
      from = i + 1;
    }
    i++;
  }
  if (header.length < 7) {
    throw new CefSyntaxError(`CEF header has ${header.length} of the 7 "|"-terminated fields (Version|Vendor|Product|Version|SignatureID|Name|Severity)`);
  }
  const v = header[0].trim();
  if (!/^\d{1,3}$/.test(v)) throw new CefSyntaxError(`CEF version "${v.slice(0, 20)}" is not a number`);
  return {
    version: Number(v),
    deviceVendor: header[1],
    deviceProduct: header[2],
    deviceVersion: header[3],
    signatureId: header[4],
    name: header[5],
    severity: header[6],
    extension: parseExtension(text, i),
  };
}

function isKeyChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45 || c === 91 || c === 93;
}

/**
 * Extension: find each unescaped "=" whose preceding token is a key (the characters back to the
 * previous space). Value = text up to the space before the next key. Linear: every character is
 * visited a bounded number of times (the backward key scan stops at the previous "=" position).
 */
export function parseExtension(text: string, start: number): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  // Positions of key starts and their "=".
  let keyStart = -1;
  let keyName = '';
  let valStart = -1;
  let lastEq = start - 1;
  let i = start;
  while (i < text.length && text.charCodeAt(i) === 32) i++;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      i++; // skip escaped char
      continue;
    }
    if (c !== 61 /* = */) continue;
    // Walk back over key characters (bounded by the last "=").
    let k = i;
    while (k > lastEq + 1 && isKeyChar(text.charCodeAt(k - 1))) k--;
    const boundary = k === start || k === lastEq + 1 || text.charCodeAt(k - 1) === 32;
    if (k === i || !boundary || (valStart >= 0 && k <= valStart)) {
      // "=" inside a value that is not a new key (e.g. "a=b=c" or url query); keep it in the value.
      continue;
    }
    if (keyStart >= 0) out[keyName] = unescapeValue(text, valStart, trimEnd(text, valStart, k));
    keyStart = k;
    keyName = text.slice(k, i);
    valStart = i + 1;
    lastEq = i;
  }
  if (keyStart >= 0) out[keyName] = unescapeValue(text, valStart, trimEnd(text, valStart, text.length));
  return out;
}

function trimEnd(text: string, from: number, to: number): number {
  let e = to;
  while (e > from && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 10 || text.charCodeAt(e - 1) === 13)) e--;
  return e;
}

function unescapeValue(text: string, from: number, to: number): string {
  const raw = text.slice(from, to);
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      const d = raw[i + 1];
      if (d === '=' || d === '\\' || d === '|') out += d;
      else if (d === 'n') out += '\n';
      else if (d === 'r') out += '\r';
      else out += c + d;
      i++;
    } else out += c;
  }
  return out;
}

function cefEntities(x: Record<string, string>, fallbackHost?: string): EventEntities {
  const e: EventEntities = {};
  const host = x.dvchost ?? x.shost ?? fallbackHost;
  if (host) e.host = host;
  if (x.dvc && looksLikeIp(x.dvc)) e.hostIp = x.dvc;
  const src = x.src ?? x.c6a2;
  const dst = x.dst ?? x.c6a3;
  if (src && looksLikeIp(src)) e.srcIp = src;
  if (dst && looksLikeIp(dst)) e.dstIp = dst;
  const spt = toInt(x.spt);
  const dpt = toInt(x.dpt);
  if (spt !== undefined && spt < 65536) e.srcPort = spt;
  if (dpt !== undefined && dpt < 65536) e.dstPort = dpt;
  if (x.proto) e.protocol = x.proto.toLowerCase();
  const user = x.suser ?? x.duser;
  if (user) {
    const bs = user.indexOf('\\');
    if (bs > 0) {
      e.user = user.slice(bs + 1);
      e.userDomain = user.slice(0, bs);
    } else e.user = user;
    if (!e.userDomain && x.sntdom) e.userDomain = x.sntdom;
  }
  if (x.suser && x.duser) e.targetUser = x.duser;
  if (x.request) e.url = x.request;
  if (x.dhost && !looksLikeIp(x.dhost)) e.domain = x.dhost;
  const fpath = x.filePath ?? x.fname;
  if (fpath || x.fileHash) {
    const h = x.fileHash;
    e.file = compact({
      path: fpath,
      hashes: h ? (h.length === 64 ? { sha256: h } : h.length === 40 ? { sha1: h } : h.length === 32 ? { md5: h } : undefined) : undefined,
    });
  }
  if (x.sproc || x.spid) e.process = compact({ image: x.sproc, pid: toInt(x.spid) });
  if (x.in) e.bytesIn = toInt(x.in);
  if (x.out) e.bytesOut = toInt(x.out);
  if (x.act) e.action = x.act;
  const o = (x.outcome ?? x.categoryOutcome ?? '').toLowerCase().replace(/^\//, '');
  if (o) e.outcome = o === 'success' || o === 'succeeded' || o === 'allowed' ? 'success' : o === 'failure' || o === 'failed' || o === 'denied' || o === 'blocked' ? 'failure' : 'unknown';
  return compact(e);
}

/** Normalizes a CEF payload; `syslog` carries the enclosing syslog header (if any). */
export function parseCefPayload(
  payload: string,
  raw: string,
  rec: RawRecord,
  syslog?: Record<string, unknown>,
  syslogTime?: number,
  syslogHost?: string,
): ParseResult {
  let c: CefRecord;
  try {
    c = parseCef(payload);
  } catch (e) {
    if (e instanceof CefSyntaxError) return fail('PARSE_CEF_INVALID', `${rec.origin}: ${e.message}`, rec);
    throw e;
  }
  const fields: Record<string, unknown> = {
    cef_version: c.version,
    cef_device_vendor: c.deviceVendor,
    cef_device_product: c.deviceProduct,
    cef_device_version: c.deviceVersion,
    cef_signature_id: c.signatureId,
    cef_name: c.name,
    cef_severity: c.severity,
  };
  for (const k in c.extension) if (!(k in fields)) fields[k] = c.extension[k];
  if (syslog) fields.syslog = syslog;
  const e = cefEntities(c.extension, syslogHost);
  let cls: OcsfClassName = 'base_event';
  const name = c.name.toLowerCase();
  if (e.url) cls = 'http_activity';
  else if (name.includes('logon') || name.includes('login') || name.includes('authentication')) cls = 'authentication';
  else if (e.srcIp || e.dstIp) cls = 'network_activity';
  else if (e.file) cls = 'file_activity';
  const rt = c.extension.rt ?? c.extension.end ?? c.extension.start;
  const time = (rt !== undefined ? parseTime(rt) : undefined) ?? syslogTime;
  const product = c.deviceProduct.trim().toLowerCase().slice(0, 64) || undefined;
  return buildEvent(
    rec,
    raw,
    time,
    { format: 'cef', product, channel: `${c.deviceVendor}/${c.deviceProduct}`.slice(0, 256), provider: c.deviceVendor.slice(0, 128), eventCode: c.signatureId.slice(0, 128) },
    cls,
    e,
    fields,
  );
}

export const cefParser: Parser = {
  name: 'cef',
  parse(rec: RawRecord): ParseResult {
    const text = typeof rec.data === 'string' ? rec.data : typeof rec.data.message === 'string' ? rec.data.message : undefined;
    if (text === undefined) return fail('PARSE_CEF_INVALID', `${rec.origin}: a CEF record must be text`, rec);
    const at = text.indexOf('CEF:');
    if (at < 0) return fail('PARSE_CEF_INVALID', `${rec.origin}: no "CEF:" payload found`, rec);
    if (at > 0) {
      // A syslog header in front: let the syslog parser take the header and hand the payload back.
      return normalizeSyslog(text, rec);
    }
    return parseCefPayload(text, text, rec);
  },
};

