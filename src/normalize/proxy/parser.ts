/**
 * Web-proxy access logs (Squid and proxies that write Squid's formats), one line per request:
 *
 * - Squid's native format (`logformat squid`, the default):
 *     `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
 *     1795392191.470    235 10.20.0.10 TCP_MISS/200 318464 GET https://cdn.example/a.exe alice HIER_DIRECT/91.215.85.147 application/octet-stream
 *   optionally followed by quoted `"%{Referer}>h" "%{User-Agent}>h"` (a common custom format).
 * - The Apache-style shapes Squid also writes (`logformat common` / `combined`) and that most
 *   web proxies can emit:
 *     `%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh`
 *
 * Fields are stored under the W3C extended-log names that Sigma's `category: proxy` rules use
 * (c-uri, c-uri-extension, c-uri-query, c-uri-stem, cs-uri, c-useragent, cs-host, r-dns,
 * cs-method, cs-referrer, cs-version, sc-status, sc-bytes, src_ip, c-ip, dst_ip, cs-username)
 * plus Squid's own codes (result_code, hierarchy_code, elapsed_ms, content_type). Byte counts
 * follow W3C: `sc-bytes` is what the proxy sent to the client (Squid's `%<st`).
 *
 * One linear pass per line, no regular expressions over attacker text, every value bounded by
 * the line; malformed lines are rejected with PARSE_PROXY_INVALID naming the part and column.
 */
import type { EventEntities } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, looksLikeIp } from '../json/common.js';

export class ProxySyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** The parsed request, before normalization. */
export interface ProxyLine {
  shape: 'squid' | 'combined' | 'common';
  /** Event time, ms since the epoch (undefined when the line's time is unusable). */
  time?: number;
  timestamp: string;
  clientIp: string;
  elapsedMs?: number;
  resultCode?: string;
  status: number;
  bytes?: number;
  method: string;
  url: string;
  user?: string;
  ident?: string;
  hierarchy?: string;
  peer?: string;
  contentType?: string;
  httpVersion?: string;
  referrer?: string;
  userAgent?: string;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Tokenizer over one line: space-separated words and "quoted" strings with \-escapes. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  skipSpaces(): void {
    while (this.i < this.s.length && (this.s.charCodeAt(this.i) === 32 || this.s.charCodeAt(this.i) === 9)) this.i++;
  }
  atEnd(): boolean {
    this.skipSpaces();
    return this.i >= this.s.length;
  }
  word(what: string): string {
    this.skipSpaces();
    const a = this.i;
    while (this.i < this.s.length && this.s.charCodeAt(this.i) !== 32 && this.s.charCodeAt(this.i) !== 9) this.i++;
    if (this.i === a) throw new ProxySyntaxError(`missing ${what}`, a);
    return this.s.slice(a, this.i);
  }
  quoted(what: string): string {
    this.skipSpaces();
    if (this.s.charCodeAt(this.i) !== 34) throw new ProxySyntaxError(`${what} must be a "quoted" string`, this.i);
    const a = ++this.i;
    let out = '';
    let from = a;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 92 /* \ */ && this.i + 1 < this.s.length) {
        out += this.s.slice(from, this.i);
        const n = this.s[this.i + 1];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
        this.i += 2;
        from = this.i;
        continue;
      }
      if (c === 34) {
        out += this.s.slice(from, this.i);
        this.i++;
        return out;
      }
      this.i++;
    }
    throw new ProxySyntaxError(`${what} is not closed with '"'`, a - 1);
  }
}

function uint(s: string, what: string, col: number, max = Number.MAX_SAFE_INTEGER): number {
  if (s.length === 0 || s.length > 16) throw new ProxySyntaxError(`${what} "${s.slice(0, 20)}" is not a number`, col);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) throw new ProxySyntaxError(`${what} "${s.slice(0, 20)}" is not a number`, col);
    n = n * 10 + (c - 48);
  }
  if (n > max) throw new ProxySyntaxError(`${what} ${n} is out of range`, col);
  return n;
}

/** `-` and empty mean "not logged". */
const val = (s: string | undefined) => (s === undefined || s === '' || s === '-' ? undefined : s);

/** Squid `%ts.%03tu`: epoch seconds with milliseconds, parsed exactly (no float rounding). */
function squidTime(s: string, col: number): number {
  const dot = s.indexOf('.');
  const secs = uint(dot < 0 ? s : s.slice(0, dot), 'time', col, 253402300799);
  let ms = 0;
  if (dot >= 0) {
    const frac = s.slice(dot + 1);
    if (frac.length === 0 || frac.length > 9) throw new ProxySyntaxError(`time "${s.slice(0, 24)}" has a bad fraction`, col);
    ms = Math.floor(uint(frac.padEnd(3, '0').slice(0, 3), 'time', col));
    uint(frac, 'time', col);
  }
  return secs * 1000 + ms;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `%tl` / Apache `%t`: `10/Oct/2000:13:55:36 -0700` (the brackets already removed). */
export function clfTime(s: string): number | undefined {
  // dd/Mon/yyyy:HH:MM:SS +hhmm — fixed positions.
  if (s.length < 20 || s[2] !== '/' || s[6] !== '/' || s[11] !== ':' || s[14] !== ':' || s[17] !== ':') return undefined;
  const mon = MONTHS[s.slice(3, 6)];
  if (mon === undefined) return undefined;
  const num = (a: number, b: number) => {
    let n = 0;
    for (let i = a; i < b; i++) {
      const c = s.charCodeAt(i);
      if (!isDigit(c)) return NaN;
      n = n * 10 + (c - 48);
    }
    return n;
  };
  const d = num(0, 2), y = num(7, 11), hh = num(12, 14), mm = num(15, 17), ss = num(18, 20);
  if ([d, y, hh, mm, ss].some((x) => Number.isNaN(x)) || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  let off = 0;
  const z = s.slice(20).trim();
  if (z.length > 0) {
    if (z.length !== 5 || (z[0] !== '+' && z[0] !== '-')) return undefined;
    const oh = Number(z.slice(1, 3)), om = Number(z.slice(3, 5));
    if (!Number.isInteger(oh) || !Number.isInteger(om) || oh > 23 || om > 59) return undefined;
    off = (z[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const t = Date.UTC(y, mon, d, hh, mm, ss) - off;
  return Number.isFinite(t) ? t : undefined;
}

/** Parses Squid's native format (and the optional trailing quoted referer / user agent). */
export function parseSquidNative(line: string): ProxyLine {
  const c = new Cursor(line);
  c.skipSpaces();
  const tCol = c.i;
  const timestamp = c.word('time');
  const time = squidTime(timestamp, tCol);
  const eCol = (c.skipSpaces(), c.i);
  const elapsedMs = uint(c.word('elapsed time'), 'elapsed time', eCol);
  const clientIp = c.word('client address');
  const codeCol = (c.skipSpaces(), c.i);
  const code = c.word('result code/status');
  const slash = code.lastIndexOf('/');
  if (slash <= 0) throw new ProxySyntaxError(`"${code.slice(0, 40)}" is not RESULT_CODE/STATUS`, codeCol);
  const resultCode = code.slice(0, slash);
  for (let i = 0; i < resultCode.length; i++) {
    const ch = resultCode.charCodeAt(i);
    if (!((ch >= 65 && ch <= 90) || ch === 95 || isDigit(ch))) throw new ProxySyntaxError(`result code "${resultCode.slice(0, 40)}" is not Squid's (A-Z, _)`, codeCol);
  }
  const status = uint(code.slice(slash + 1), 'HTTP status', codeCol + slash + 1, 999);
  const bCol = (c.skipSpaces(), c.i);
  const bytes = uint(c.word('reply size'), 'reply size', bCol);
  const method = c.word('method');
  const url = c.word('URL');
  const user = c.word('user');
  const hCol = (c.skipSpaces(), c.i);
  const hier = c.word('hierarchy code/peer');
  const hs = hier.indexOf('/');
  if (hs <= 0) throw new ProxySyntaxError(`"${hier.slice(0, 40)}" is not HIERARCHY_CODE/PEER`, hCol);
  const contentType = c.atEnd() ? undefined : c.word('content type');
  let referrer: string | undefined;
  let userAgent: string | undefined;
  if (!c.atEnd()) {
    // Custom formats commonly append "%{Referer}>h" "%{User-Agent}>h".
    referrer = c.quoted('referer');
    userAgent = c.atEnd() ? undefined : c.quoted('user agent');
    if (!c.atEnd()) throw new ProxySyntaxError('unexpected text after the user agent', c.i);
  }
  return {
    shape: 'squid',
    time,
    timestamp,
    clientIp,
    elapsedMs,
    resultCode,
    status,
    bytes,
    method,
    url,
    user: val(user),
    hierarchy: hier.slice(0, hs),
    peer: val(hier.slice(hs + 1)),
    contentType: val(contentType),
    referrer: val(referrer),
    userAgent: val(userAgent),
  };
}

/** Parses the Apache-style `common` / `combined` shapes (with Squid's optional `%Ss:%Sh` suffix). */
export function parseCombined(line: string): ProxyLine {
  const c = new Cursor(line);
  const clientIp = c.word('client address');
  const ident = c.word('ident');
  const user = c.word('user');
  c.skipSpaces();
  if (line.charCodeAt(c.i) !== 91 /* [ */) throw new ProxySyntaxError('expected "[" before the time', c.i);
  const close = line.indexOf(']', c.i);
  if (close < 0 || close - c.i > 40) throw new ProxySyntaxError('the [time] is not closed', c.i);
  const timestamp = line.slice(c.i + 1, close);
  const time = clfTime(timestamp);
  if (time === undefined) throw new ProxySyntaxError(`bad time "${timestamp}" (expected dd/Mon/yyyy:HH:MM:SS +hhmm)`, c.i + 1);
  c.i = close + 1;
  const reqCol = (c.skipSpaces(), c.i);
  const request = c.quoted('request line');
  // "METHOD URL HTTP/x.y"; the URL itself never holds a space (it is logged encoded).
  const sp1 = request.indexOf(' ');
  const sp2 = request.lastIndexOf(' ');
  if (sp1 <= 0) throw new ProxySyntaxError(`request line "${request.slice(0, 60)}" is not "METHOD URL HTTP/x"`, reqCol);
  const method = request.slice(0, sp1);
  let url: string;
  let httpVersion: string | undefined;
  if (sp2 > sp1 && request.startsWith('HTTP/', sp2 + 1)) {
    url = request.slice(sp1 + 1, sp2);
    httpVersion = request.slice(sp2 + 6);
  } else url = request.slice(sp1 + 1);
  if (url.length === 0) throw new ProxySyntaxError('the request line has no URL', reqCol);
  const sCol = (c.skipSpaces(), c.i);
  const status = uint(c.word('HTTP status'), 'HTTP status', sCol, 999);
  const bCol = (c.skipSpaces(), c.i);
  const bw = c.word('reply size');
  const bytes = bw === '-' ? undefined : uint(bw, 'reply size', bCol);
  let referrer: string | undefined;
  let userAgent: string | undefined;
  let shape: ProxyLine['shape'] = 'common';
  c.skipSpaces();
  if (line.charCodeAt(c.i) === 34) {
    shape = 'combined';
    referrer = c.quoted('referer');
    userAgent = c.quoted('user agent');
  }
  let resultCode: string | undefined;
  let hierarchy: string | undefined;
  if (!c.atEnd()) {
    const sfx = c.word('squid status');
    const colon = sfx.indexOf(':');
    resultCode = colon < 0 ? sfx : sfx.slice(0, colon);
    hierarchy = colon < 0 ? undefined : sfx.slice(colon + 1);
    if (!c.atEnd()) throw new ProxySyntaxError('unexpected text at the end of the line', c.i);
  }
  return {
    shape,
    time,
    timestamp,
    clientIp,
    status,
    bytes,
    method,
    url,
    ident: val(ident),
    user: val(user),
    httpVersion,
    referrer: val(referrer),
    userAgent: val(userAgent),
    resultCode: val(resultCode),
    hierarchy: val(hierarchy),
  };
}

/** Cheap test: Squid native (`1700000000.123 <spaces> 12 ...`). */
export function looksLikeSquid(s: string, i = 0): boolean {
  let j = i;
  while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  if (j - i < 9 || j - i > 11 || s.charCodeAt(j) !== 46) return false;
  j++;
  const f = j;
  while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  if (j - f !== 3 || s.charCodeAt(j) !== 32) return false;
  while (j < s.length && s.charCodeAt(j) === 32) j++;
  if (!isDigit(s.charCodeAt(j))) return false;
  // The RESULT/STATUS token follows the client address: look for "_" + "/ddd" close by.
  const slash = s.indexOf('/', j);
  return slash > 0 && slash - j < 120 && s.slice(j, slash).includes('_');
}

/**
 * Cheap test: the Apache-style shape written by a proxy — `IP ident user [time] "METHOD URL ...`
 * where the URL is absolute (`scheme://`) or the method is CONNECT, or the line ends with Squid's
 * `CODE:HIERARCHY`. Plain web-server access logs (relative URLs) are not claimed.
 */
export function looksLikeProxyCombined(s: string, i = 0): boolean {
  const b = s.indexOf(' [', i);
  if (b < 0 || b - i > 300) return false;
  const q = s.indexOf('] "', b);
  if (q < 0 || q - b > 40) return false;
  const m = q + 3;
  const sp = s.indexOf(' ', m);
  if (sp < 0 || sp - m > 20) return false;
  if (s.startsWith('CONNECT', m)) return true;
  const u = sp + 1;
  const colon = s.indexOf('://', u);
  if (colon > u && colon - u <= 10) return true;
  const tail = s.lastIndexOf(' ');
  return tail > 0 && /^(?:TCP|UDP|NONE|TAG)_[A-Z_]*:/.test(s.slice(tail + 1, tail + 40));
}

export interface UrlParts {
  scheme?: string;
  host?: string;
  port?: number;
  path?: string;
  query?: string;
  extension?: string;
}

/** Splits an absolute, authority-form (CONNECT host:port) or origin-form (/path) URL. Linear, never throws. */
export function splitUrl(url: string, method?: string): UrlParts {
  const out: UrlParts = {};
  let rest = url;
  const se = url.indexOf('://');
  let hasAuthority = false;
  if (se > 0 && se <= 10) {
    out.scheme = url.slice(0, se).toLowerCase();
    rest = url.slice(se + 3);
    hasAuthority = true;
  } else if (method === 'CONNECT') hasAuthority = true;
  else if (rest.length > 0 && rest[0] !== '/') return out; // opaque: "*", Squid's "error:invalid-request" ...
  if (hasAuthority) {
    let end = rest.length;
    for (let i = 0; i < rest.length; i++) {
      const ch = rest.charCodeAt(i);
      if (ch === 47 || ch === 63 || ch === 35) {
        end = i;
        break;
      }
    }
    let auth = rest.slice(0, end);
    rest = rest.slice(end);
    const at = auth.lastIndexOf('@');
    if (at >= 0) auth = auth.slice(at + 1); // drop user:password@
    let host = auth;
    if (auth.startsWith('[')) {
      const rb = auth.indexOf(']');
      host = rb > 0 ? auth.slice(1, rb) : auth.slice(1);
      const p = rb > 0 && auth[rb + 1] === ':' ? auth.slice(rb + 2) : '';
      if (p && /^\d{1,5}$/.test(p)) out.port = Number(p);
    } else {
      const c = auth.lastIndexOf(':');
      if (c >= 0 && auth.indexOf(':') === c) {
        const p = auth.slice(c + 1);
        host = auth.slice(0, c);
        if (/^\d{1,5}$/.test(p) && Number(p) <= 65535) out.port = Number(p);
      }
    }
    if (host) out.host = host.toLowerCase();
  }
  if (rest.length > 0) {
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    const qm = rest.indexOf('?');
    out.path = qm >= 0 ? rest.slice(0, qm) : rest;
    if (qm >= 0 && qm + 1 < rest.length) out.query = rest.slice(qm + 1);
    const seg = out.path.slice(out.path.lastIndexOf('/') + 1);
    const dot = seg.lastIndexOf('.');
    if (dot >= 0 && dot < seg.length - 1 && seg.length - dot - 1 <= 16) out.extension = seg.slice(dot + 1);
    if (out.path === '') delete out.path;
  }
  if (out.port === undefined && out.scheme === 'http') out.port = 80;
  else if (out.port === undefined && out.scheme === 'https') out.port = 443;
  return out;
}

function decodeUser(u: string): string {
  if (!u.includes('%')) return u;
  try {
    return decodeURIComponent(u);
  } catch {
    return u;
  }
}

/** Stored fields (Sigma/W3C names) of a parsed line. */
export function proxyFields(p: ProxyLine): Record<string, unknown> {
  const u = splitUrl(p.url, p.method);
  const user = p.user === undefined ? undefined : decodeUser(p.user);
  return compact({
    timestamp: p.timestamp,
    'c-ip': p.clientIp,
    src_ip: p.clientIp,
    'cs-username': user,
    ident: p.ident,
    'cs-method': p.method,
    'c-uri': p.url,
    'cs-uri': u.path !== undefined ? (u.query !== undefined ? `${u.path}?${u.query}` : u.path) : undefined,
    'c-uri-stem': u.path,
    'c-uri-query': u.query,
    'c-uri-extension': u.extension,
    'cs-uri-scheme': u.scheme,
    'cs-host': u.host,
    'r-dns': u.host,
    'r-port': u.port,
    'cs-version': p.httpVersion !== undefined ? `HTTP/${p.httpVersion}` : undefined,
    'sc-status': p.status,
    'sc-bytes': p.bytes,
    'cs-referrer': p.referrer,
    'c-useragent': p.userAgent,
    content_type: p.contentType,
    elapsed_ms: p.elapsedMs,
    result_code: p.resultCode,
    hierarchy_code: p.hierarchy,
    peer: p.peer,
    dst_ip: p.peer !== undefined && looksLikeIp(p.peer) ? p.peer : undefined,
    log_format: p.shape,
  } as Record<string, unknown>);
}

function entitiesOf(p: ProxyLine, f: Record<string, unknown>): EventEntities {
  const e: EventEntities = {};
  if (looksLikeIp(p.clientIp)) e.srcIp = p.clientIp;
  else if (p.clientIp !== '-') e.indicators = [p.clientIp];
  if (typeof f.dst_ip === 'string') e.dstIp = f.dst_ip;
  if (typeof f['r-port'] === 'number') e.dstPort = f['r-port'];
  const host = f['cs-host'];
  if (typeof host === 'string') {
    if (looksLikeIp(host)) e.dstIp ??= host;
    else e.domain = host;
  }
  e.url = p.url;
  const user = f['cs-username'];
  if (typeof user === 'string') {
    const bs = user.indexOf('\\');
    if (bs > 0) {
      e.user = user.slice(bs + 1);
      e.userDomain = user.slice(0, bs);
    } else {
      e.user = user;
      const at = user.indexOf('@');
      if (at > 0) e.userDomain = user.slice(at + 1);
    }
  }
  if (p.bytes !== undefined) e.bytesIn = p.bytes;
  e.protocol = typeof f['cs-uri-scheme'] === 'string' ? f['cs-uri-scheme'] : p.method === 'CONNECT' ? 'https' : undefined;
  if (p.method !== '-') e.action = p.method;
  const rc = p.resultCode ?? '';
  e.outcome = rc.includes('DENIED') || p.status === 403 || p.status === 407 ? 'failure' : p.status >= 100 && p.status < 400 ? 'success' : 'unknown';
  return compact(e);
}

/**
 * Normalizes one proxy line. `raw` is what is stored (the whole syslog line when forwarded),
 * `extra` fields are merged in (e.g. `syslog`), `host` names the proxy (syslog hostname).
 */
export function normalizeProxy(text: string, rec: RawRecord, raw = text, extra?: Record<string, unknown>, host?: string): ParseResult {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) <= 32 || text.charCodeAt(i) === 0xfeff)) i++;
  let end = text.length;
  while (end > i && text.charCodeAt(end - 1) <= 32) end--;
  const line = i === 0 && end === text.length ? text : text.slice(i, end);
  if (line.length === 0) return fail('PARSE_EMPTY', `${rec.origin}: the record is empty`, rec);
  let p: ProxyLine;
  try {
    p = isDigit(line.charCodeAt(0)) && looksLikeSquidTimeFirst(line) ? parseSquidNative(line) : parseCombined(line);
  } catch (e) {
    if (e instanceof ProxySyntaxError) return fail('PARSE_PROXY_INVALID', `${rec.origin}: ${e.message} (column ${i + e.column + 1})`, rec, { column: i + e.column + 1 });
    throw e;
  }
  const fields = proxyFields(p);
  if (extra) Object.assign(fields, extra);
  const source = { format: 'proxy' as const, product: 'squid', category: 'proxy', channel: 'access', eventCode: p.resultCode };
  const e = entitiesOf(p, fields);
  if (host) e.host = host;
  return buildEvent(rec, raw, p.time, compact(source), 'http_activity', e, fields);
}

/** Native lines start with `digits.digits` then a space; combined ones with an address then " ". */
function looksLikeSquidTimeFirst(line: string): boolean {
  let j = 0;
  while (j < line.length && isDigit(line.charCodeAt(j))) j++;
  if (line.charCodeAt(j) === 46) {
    j++;
    while (j < line.length && isDigit(line.charCodeAt(j))) j++;
  }
  // "10.0.0.1 - -" has a second dot before the first space; a Squid time does not.
  return line.charCodeAt(j) === 32;
}

export const proxyParser: Parser = {
  name: 'proxy',
  parse(rec: RawRecord): ParseResult {
    const text = typeof rec.data === 'string' ? rec.data : typeof rec.data.message === 'string' ? rec.data.message : typeof rec.data._raw === 'string' ? rec.data._raw : undefined;
    if (text === undefined) return fail('PARSE_PROXY_INVALID', `${rec.origin}: a proxy access-log record must be text (or an object with a "message" string)`, rec);
    return normalizeProxy(text, rec);
  },
};
