/**
 * Syslog: RFC 5424 (every header field, NILVALUE, structured data with escapes, BOM) and
 * RFC 3164 with its real-world deviations (no PRI, no year, ISO timestamps, host-less lines,
 * `TAG[pid]:`). Hand-written single-pass scanning: no regular expressions on the message, so
 * the cost is linear in the line whatever an attacker puts in it.
 *
 * A message whose payload starts with `CEF:` is handed to the CEF parser with the syslog
 * header kept under `syslog`.
 */
import type { EventEntities, OcsfClassName } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, looksLikeIp } from '../json/common.js';
import { parseCefPayload } from '../cef/parser.js';
import { looksLikeAudit, normalizeAuditd } from '../auditd/parser.js';
import { looksLikeProxyCombined, looksLikeSquid, normalizeProxy } from '../proxy/parser.js';

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export interface SyslogMessage {
  /** 5424 or 3164 (3164 also covers lines without PRI). */
  rfc: 5424 | 3164;
  pri?: number;
  facility?: number;
  severity?: number;
  facilityName?: string;
  severityName?: string;
  version?: number;
  /** Timestamp as written (undefined for NILVALUE or missing). */
  timestamp?: string;
  /** Parsed timestamp, ms since the epoch. */
  time?: number;
  hostname?: string;
  appname?: string;
  procid?: string;
  msgid?: string;
  structuredData?: Record<string, Record<string, string | string[]>>;
  message: string;
}

export class SyslogSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses one syslog line. `now` (ms) resolves RFC 3164's missing year: the year that puts the
 * timestamp closest to (and not more than a day after) `now`.
 */
export function parseSyslog(line: string, now: number = Date.now()): SyslogMessage {
  let s = line;
  // Strip trailing CR/LF/NUL (framing residue).
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c === 10 || c === 13 || c === 0) end--;
    else break;
  }
  if (end !== s.length) s = s.slice(0, end);
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  if (i >= s.length) throw new SyslogSyntaxError('empty syslog message', 0);
  let pri: number | undefined;
  if (s.charCodeAt(i) === 60 /* < */) {
    let j = i + 1;
    let n = 0;
    while (j < s.length && j - i <= 4 && isDigit(s.charCodeAt(j))) n = n * 10 + (s.charCodeAt(j++) - 48);
    if (j === i + 1 || j >= s.length || s.charCodeAt(j) !== 62 /* > */) {
      throw new SyslogSyntaxError('bad PRI: expected "<" 1-3 digits ">"', j);
    }
    if (n > 191 || j - i - 1 > 3) throw new SyslogSyntaxError(`bad PRI ${n}: must be 0..191`, i + 1);
    pri = n;
    i = j + 1;
  }
  const base: Pick<SyslogMessage, 'pri' | 'facility' | 'severity' | 'facilityName' | 'severityName'> = {};
  if (pri !== undefined) {
    base.pri = pri;
    base.facility = pri >> 3;
    base.severity = pri & 7;
    base.facilityName = FACILITIES[pri >> 3];
    base.severityName = SEVERITIES[pri & 7];
  }
  // RFC 5424: VERSION (1-2 digits, non-zero) SP.
  if (pri !== undefined && i < s.length && isDigit(s.charCodeAt(i)) && s.charCodeAt(i) !== 48) {
    let j = i;
    while (j < s.length && j - i < 3 && isDigit(s.charCodeAt(j))) j++;
    if (j < s.length && s.charCodeAt(j) === 32 && j - i <= 2) {
      return { ...parse5424(s, j + 1), ...base, version: Number(s.slice(i, j)), rfc: 5424 };
    }
  }
  return { ...parse3164(s, i, now), ...base, rfc: 3164 };
}

/** Reads a space-delimited header token; returns [token, next index]. */
function token(s: string, i: number, what: string, max: number): [string | undefined, number] {
  let j = i;
  while (j < s.length && s.charCodeAt(j) !== 32) j++;
  if (j === i) throw new SyslogSyntaxError(`RFC 5424: empty ${what}`, i);
  if (j - i > max) throw new SyslogSyntaxError(`RFC 5424: ${what} longer than ${max} characters`, i);
  const t = s.slice(i, j);
  return [t === '-' ? undefined : t, j < s.length ? j + 1 : j];
}

function parse5424(s: string, i: number): Omit<SyslogMessage, 'rfc'> {
  let timestamp: string | undefined;
  let hostname: string | undefined;
  let appname: string | undefined;
  let procid: string | undefined;
  let msgid: string | undefined;
  [timestamp, i] = token(s, i, 'TIMESTAMP', 64);
  [hostname, i] = token(s, i, 'HOSTNAME', 255);
  [appname, i] = token(s, i, 'APP-NAME', 48);
  [procid, i] = token(s, i, 'PROCID', 128);
  [msgid, i] = token(s, i, 'MSGID', 32);
  let time: number | undefined;
  if (timestamp !== undefined) {
    time = Date.parse(timestamp);
    if (!Number.isFinite(time)) throw new SyslogSyntaxError(`RFC 5424: bad TIMESTAMP "${timestamp.slice(0, 40)}"`, i);
  }
  if (i >= s.length) throw new SyslogSyntaxError('RFC 5424: STRUCTURED-DATA missing', i);
  let structuredData: SyslogMessage['structuredData'];
  if (s.charCodeAt(i) === 45 /* - */) {
    i++;
  } else if (s.charCodeAt(i) === 91 /* [ */) {
    const r = parseSd(s, i);
    structuredData = r.sd;
    i = r.next;
  } else {
    throw new SyslogSyntaxError('RFC 5424: STRUCTURED-DATA must be "-" or start with "["', i);
  }
  let message = '';
  if (i < s.length) {
    if (s.charCodeAt(i) !== 32) throw new SyslogSyntaxError('RFC 5424: expected a space after STRUCTURED-DATA', i);
    message = s.slice(i + 1);
    if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  }
  return compact({ timestamp, time, hostname, appname, procid, msgid, structuredData, message });
}

/** SD-ELEMENT*: `[id k="v" k2="v\"2"][id2 ...]`. Repeated params become arrays. */
function parseSd(s: string, i: number): { sd: Record<string, Record<string, string | string[]>>; next: number } {
  const sd: Record<string, Record<string, string | string[]>> = Object.create(null);
  while (i < s.length && s.charCodeAt(i) === 91) {
    i++;
    let j = i;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 32 || c === 93 || c === 61 || c === 34) break;
      j++;
    }
    if (j === i) throw new SyslogSyntaxError('RFC 5424: empty SD-ID', i);
    if (j - i > 32) throw new SyslogSyntaxError('RFC 5424: SD-ID longer than 32 characters', i);
    const id = s.slice(i, j);
    const params: Record<string, string | string[]> = sd[id] ?? Object.create(null);
    sd[id] = params;
    i = j;
    for (;;) {
      if (i >= s.length) throw new SyslogSyntaxError(`RFC 5424: SD-ELEMENT "${id}" not closed with "]"`, i);
      const c = s.charCodeAt(i);
      if (c === 93) {
        i++;
        break;
      }
      if (c !== 32) throw new SyslogSyntaxError(`RFC 5424: expected " " or "]" in SD-ELEMENT "${id}"`, i);
      i++;
      let k = i;
      while (k < s.length) {
        const d = s.charCodeAt(k);
        if (d === 61 || d === 32 || d === 93 || d === 34) break;
        k++;
      }
      if (k === i || k - i > 32) throw new SyslogSyntaxError(`RFC 5424: bad PARAM-NAME in "${id}"`, i);
      const name = s.slice(i, k);
      if (s.charCodeAt(k) !== 61 || s.charCodeAt(k + 1) !== 34) throw new SyslogSyntaxError(`RFC 5424: expected ="value" after "${name}"`, k);
      k += 2;
      let value = '';
      let from = k;
      for (;;) {
        if (k >= s.length) throw new SyslogSyntaxError(`RFC 5424: PARAM-VALUE of "${name}" not closed with '"'`, k);
        const d = s.charCodeAt(k);
        if (d === 92 /* \ */) {
          const e = s.charCodeAt(k + 1);
          if (e === 34 || e === 92 || e === 93) {
            value += s.slice(from, k);
            from = k + 1;
            k += 2;
            continue;
          }
          k++;
          continue;
        }
        if (d === 34) break;
        k++;
      }
      value += s.slice(from, k);
      const prev = params[name];
      params[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      i = k + 1;
    }
  }
  return { sd, next: i };
}

function parse3164(s: string, i: number, now: number): Omit<SyslogMessage, 'rfc'> {
  let timestamp: string | undefined;
  let time: number | undefined;
  // "Mmm dd hh:mm:ss" / "Mmm  d hh:mm:ss", optionally followed by a year or ".mmm".
  const mon = MONTHS[s.slice(i, i + 3)];
  if (mon !== undefined && s.charCodeAt(i + 3) === 32) {
    let j = i + 4;
    if (s.charCodeAt(j) === 32) j++;
    const d0 = j;
    while (j < s.length && isDigit(s.charCodeAt(j)) && j - d0 < 2) j++;
    const day = Number(s.slice(d0, j));
    if (j > d0 && s.charCodeAt(j) === 32 && isClock(s, j + 1)) {
      const hh = Number(s.slice(j + 1, j + 3));
      const mm = Number(s.slice(j + 4, j + 6));
      const ss = Number(s.slice(j + 7, j + 9));
      let k = j + 9;
      let ms = 0;
      if (s.charCodeAt(k) === 46) {
        const f0 = ++k;
        while (k < s.length && isDigit(s.charCodeAt(k)) && k - f0 < 9) k++;
        ms = Math.floor(Number('0.' + s.slice(f0, k)) * 1000) || 0;
      }
      let year: number | undefined;
      if (s.charCodeAt(k) === 32 && isDigit(s.charCodeAt(k + 1)) && isDigit(s.charCodeAt(k + 4)) && s.charCodeAt(k + 5) === 32 && isDigitRun(s, k + 1, 4)) {
        year = Number(s.slice(k + 1, k + 5));
        k += 5;
      }
      timestamp = s.slice(i, k);
      if (year === undefined) {
        const y = new Date(now).getUTCFullYear();
        year = y;
        const t = Date.UTC(y, mon, day, hh, mm, ss, ms);
        if (t > now + 86_400_000) year = y - 1;
      }
      time = Date.UTC(year, mon, day, hh, mm, ss, ms);
      if (!Number.isFinite(time)) time = undefined;
      i = k;
      if (s.charCodeAt(i) === 32) i++;
    }
  } else if (isDigitRun(s, i, 4) && s.charCodeAt(i + 4) === 45) {
    // ISO 8601 / RFC 3339 timestamp in a BSD-style line (rsyslog's high-precision template).
    let j = i;
    while (j < s.length && s.charCodeAt(j) !== 32 && j - i < 40) j++;
    const t = Date.parse(s.slice(i, j));
    if (Number.isFinite(t)) {
      timestamp = s.slice(i, j);
      time = t;
      i = j < s.length ? j + 1 : j;
    }
  }
  // HOSTNAME: the next token, unless it is the TAG ("sshd[12]:" / "su:") or the line is host-less.
  let hostname: string | undefined;
  let j = i;
  while (j < s.length && s.charCodeAt(j) !== 32) j++;
  const tok = s.slice(i, j);
  if (timestamp !== undefined && tok.length > 0 && j < s.length && !isTag(tok) && tok.length <= 255) {
    hostname = tok;
    i = j + 1;
  }
  // TAG: alphanumerics and [-_./] up to "[" or ":" (max 48), then optional [pid], then ":".
  let appname: string | undefined;
  let procid: string | undefined;
  let k = i;
  while (k < s.length && k - i <= 48) {
    const c = s.charCodeAt(k);
    if (c === 91 || c === 58 || c === 32) break;
    k++;
  }
  if (k > i && k < s.length && k - i <= 48) {
    let m = k;
    let pid: string | undefined;
    if (s.charCodeAt(m) === 91) {
      const p0 = m + 1;
      let p = p0;
      while (p < s.length && s.charCodeAt(p) !== 93 && p - p0 <= 128) p++;
      if (s.charCodeAt(p) === 93) {
        pid = s.slice(p0, p);
        m = p + 1;
      } else m = -1;
    }
    if (m > 0 && s.charCodeAt(m) === 58 && (m + 1 >= s.length || s.charCodeAt(m + 1) === 32)) {
      appname = s.slice(i, k);
      procid = pid;
      i = m + 1;
      if (s.charCodeAt(i) === 32) i++;
    }
  }
  return compact({ timestamp, time, hostname, appname, procid, message: s.slice(i) });
}

function isClock(s: string, i: number): boolean {
  return isDigitRun(s, i, 2) && s.charCodeAt(i + 2) === 58 && isDigitRun(s, i + 3, 2) && s.charCodeAt(i + 5) === 58 && isDigitRun(s, i + 6, 2);
}

function isDigitRun(s: string, i: number, n: number): boolean {
  if (i + n > s.length) return false;
  for (let k = i; k < i + n; k++) if (!isDigit(s.charCodeAt(k))) return false;
  return true;
}

function isTag(tok: string): boolean {
  const last = tok.charCodeAt(tok.length - 1);
  return last === 58 /* : */ || (tok.includes('[') && tok.endsWith(']:'));
}

/** Linux services whose messages Sigma files under `service: auth`. */
const AUTH_APPS = new Set(['sshd', 'sudo', 'su', 'login', 'passwd', 'useradd', 'userdel', 'usermod', 'groupadd', 'chpasswd', 'systemd-logind', 'polkitd', 'unix_chkpwd', 'gdm-password', 'chage', 'gpasswd']);

/** Maps a syslog message to Sigma taxonomy, OCSF class and entities (sshd/sudo/su patterns). */
function classify(m: SyslogMessage): { service: string; cls: OcsfClassName; e: EventEntities } {
  const e: EventEntities = {};
  if (m.hostname) {
    if (looksLikeIp(m.hostname)) e.hostIp = m.hostname;
    e.host = m.hostname;
  }
  const app = m.appname ?? '';
  const fac = m.facilityName;
  const auth = AUTH_APPS.has(app) || fac === 'auth' || fac === 'authpriv';
  let cls: OcsfClassName = 'base_event';
  if (app === 'sshd') {
    const msg = m.message;
    // "Failed password for [invalid user ]NAME from IP port N ssh2", "Accepted publickey for NAME from IP port N ssh2"
    const ok = msg.startsWith('Accepted ');
    const bad = msg.startsWith('Failed ') || msg.startsWith('Invalid user ');
    if (ok || bad) {
      cls = 'authentication';
      e.outcome = ok ? 'success' : 'failure';
      const u0 = msg.indexOf(' for ');
      let userStart = u0 >= 0 ? u0 + 5 : -1;
      if (msg.startsWith('Invalid user ')) userStart = 13;
      if (userStart >= 0 && msg.startsWith('invalid user ', userStart)) userStart += 13;
      const from = msg.indexOf(' from ', userStart >= 0 ? userStart : 0);
      if (userStart >= 0 && from > userStart && from - userStart <= 256) e.user = msg.slice(userStart, from);
      if (from >= 0) {
        const a = from + 6;
        let b = a;
        while (b < msg.length && msg.charCodeAt(b) !== 32 && b - a < 46) b++;
        const ip = msg.slice(a, b);
        if (looksLikeIp(ip)) e.srcIp = ip;
        if (msg.startsWith(' port ', b)) {
          let c = b + 6;
          let n = 0;
          while (c < msg.length && isDigit(msg.charCodeAt(c)) && c - b < 12) n = n * 10 + (msg.charCodeAt(c++) - 48);
          if (n > 0 && n < 65536) e.srcPort = n;
        }
      }
    }
  } else if (app === 'sudo') {
    // "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls"
    const c = m.message.indexOf(' : ');
    if (c > 0 && c < 256) e.user = m.message.slice(0, c).trim();
    const cmd = m.message.indexOf('COMMAND=');
    if (cmd >= 0) {
      e.process = { commandLine: m.message.slice(cmd + 8) };
      cls = 'process_activity';
    }
    const tu = m.message.indexOf('USER=');
    if (tu >= 0) {
      let z = tu + 5;
      while (z < m.message.length && m.message.charCodeAt(z) !== 32 && m.message.charCodeAt(z) !== 59) z++;
      e.targetUser = m.message.slice(tu + 5, z);
    }
  }
  if (m.procid !== undefined && /^\d{1,10}$/.test(m.procid)) e.process = { ...(e.process ?? {}), pid: Number(m.procid) };
  return { service: auth ? 'auth' : 'syslog', cls, e };
}

/** Turns a parsed syslog message into the stored field set. */
export function syslogFields(m: SyslogMessage): Record<string, unknown> {
  return compact({
    rfc: m.rfc,
    pri: m.pri,
    facility: m.facilityName,
    severity: m.severityName,
    version: m.version,
    timestamp: m.timestamp,
    hostname: m.hostname,
    appname: m.appname,
    procid: m.procid,
    msgid: m.msgid,
    structured_data: m.structuredData,
    message: m.message,
  } as Record<string, unknown>);
}

export function normalizeSyslog(text: string, rec: RawRecord): ParseResult {
  let m: SyslogMessage;
  try {
    // Missing-year inference relative to when the line was written: a file's mtime, else receive time.
    const ft = rec.meta?.fallbackTime;
    m = parseSyslog(text, typeof ft === 'number' && Number.isFinite(ft) ? ft : rec.receivedAt);
  } catch (e) {
    if (e instanceof SyslogSyntaxError) return fail('PARSE_SYSLOG_INVALID', `${rec.origin}: ${e.message} (column ${e.column + 1})`, rec, { column: e.column + 1 });
    throw e;
  }
  // CEF payload inside syslog ("... CEF:0|Vendor|...").
  const cefAt = m.message.startsWith('CEF:') ? 0 : m.message.length < 4 ? -1 : m.message.indexOf(' CEF:') >= 0 && m.message.indexOf(' CEF:') < 64 ? m.message.indexOf(' CEF:') + 1 : -1;
  if (cefAt >= 0) return parseCefPayload(m.message.slice(cefAt), text, rec, syslogFields(m), m.time, m.hostname);
  // Audit records forwarded over syslog (audisp-syslog, "audit: type=...").
  if (looksLikeAudit(m.message)) return normalizeAuditd(m.message, rec, text, { syslog: syslogFields(m) });
  // Proxy access lines forwarded over syslog (Squid's access_log syslog:..., or any proxy writing its formats).
  if (looksLikeSquid(m.message) || looksLikeProxyCombined(m.message)) {
    const r = normalizeProxy(m.message, rec, text, { syslog: syslogFields(m) }, m.hostname);
    if (r.ok) return r;
  }
  const { service, cls, e } = classify(m);
  return buildEvent(rec, text, m.time, { format: 'syslog', product: 'linux', service, channel: m.appname, eventCode: m.msgid }, cls, compact(e), syslogFields(m));
}

export const syslogParser: Parser = {
  name: 'syslog',
  parse(rec: RawRecord): ParseResult {
    if (typeof rec.data !== 'string') {
      const msg = rec.data.message ?? rec.data.msg ?? rec.data._raw;
      if (typeof msg !== 'string') return fail('PARSE_SYSLOG_INVALID', `${rec.origin}: a syslog record must be text (or an object with a "message" string)`, rec);
      return normalizeSyslog(msg, rec);
    }
    return normalizeSyslog(rec.data, rec);
  },
};
