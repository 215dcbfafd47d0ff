/**
 * Linux auditd records (audit.log lines, or audisp/syslog-forwarded ones):
 *   [node=HOST ]type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=59 success=yes ...
 * Each line is one event. Fields are the key=value pairs as written (quotes removed), `msg='…'`
 * payloads of user-space records (USER_LOGIN, USER_AUTH …) flattened in, hex-encoded untrusted
 * strings (proctitle, EXECVE arguments, unquoted name/exe/comm/cmd/cwd) decoded, enriched fields
 * after the GS (0x1d) separator kept (UID="alice"). Sigma taxonomy: product linux, service auditd.
 * One linear pass; no regular expressions on the line.
 */
import type { EventEntities, OcsfClassName } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, looksLikeIp, toInt } from '../json/common.js';

export class AuditdSyntaxError extends Error {}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 0x1d || c === 10 || c === 13;
}

/** key=value pairs; values "quoted", 'quoted' (msg='…' is parsed recursively by the caller) or bare. */
export function parseKv(s: string, into: Record<string, string>, nested: string[] = []): void {
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const k0 = i;
    while (i < n && s.charCodeAt(i) !== 61 && !isSpace(s.charCodeAt(i))) i++;
    if (i >= n || s.charCodeAt(i) !== 61) {
      // A bare word (e.g. "audit(...):" leftovers): skip it.
      continue;
    }
    const key = s.slice(k0, i);
    i++;
    let value: string;
    const q = s.charCodeAt(i);
    if (q === 34 || q === 39) {
      const end = s.indexOf(String.fromCharCode(q), i + 1);
      const e = end < 0 ? n : end;
      value = s.slice(i + 1, e);
      i = e + 1;
      if (q === 39 && key === 'msg') {
        nested.push(value);
        continue;
      }
    } else {
      const v0 = i;
      while (i < n && !isSpace(s.charCodeAt(i))) i++;
      value = s.slice(v0, i);
    }
    if (key.length > 0 && key.length <= 64 && !(key in into)) into[key] = value;
  }
}

const HEX_FIELDS = new Set(['proctitle', 'name', 'exe', 'comm', 'cmd', 'cwd', 'path', 'data']);

function isHex(v: string): boolean {
  if (v.length < 2 || v.length % 2 !== 0 || v.length > 65536) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

function unhex(v: string): string {
  const b = Buffer.from(v, 'hex');
  // NUL separates argv entries in proctitle.
  for (let i = 0; i < b.length; i++) if (b[i] === 0) b[i] = 32;
  return b.toString('utf8').trimEnd();
}

export interface AuditRecord {
  type: string;
  node?: string;
  time?: number;
  serial?: number;
  fields: Record<string, string>;
}

export function parseAuditLine(line: string): AuditRecord {
  let s = line.trim();
  const fields: Record<string, string> = {};
  let node: string | undefined;
  if (s.startsWith('node=')) {
    let j = 5;
    while (j < s.length && !isSpace(s.charCodeAt(j))) j++;
    node = s.slice(5, j);
    s = s.slice(j).trimStart();
  }
  if (!s.startsWith('type=')) throw new AuditdSyntaxError('an audit record starts with "type=" (optionally after "node=")');
  let j = 5;
  while (j < s.length && !isSpace(s.charCodeAt(j))) j++;
  const type = s.slice(5, j);
  let rest = s.slice(j).trimStart();
  let time: number | undefined;
  let serial: number | undefined;
  if (rest.startsWith('msg=audit(')) {
    const close = rest.indexOf(')', 10);
    if (close < 0 || close > 64) throw new AuditdSyntaxError('msg=audit(TIME:SERIAL) is not closed');
    const inner = rest.slice(10, close);
    const colon = inner.indexOf(':');
    const t = Number(colon < 0 ? inner : inner.slice(0, colon));
    if (!Number.isFinite(t)) throw new AuditdSyntaxError(`bad audit timestamp "${inner.slice(0, 40)}"`);
    time = Math.round(t * 1000);
    if (colon >= 0) serial = toInt(inner.slice(colon + 1));
    rest = rest.slice(close + 1);
    if (rest.startsWith(':')) rest = rest.slice(1);
  } else throw new AuditdSyntaxError('missing msg=audit(TIME:SERIAL)');
  const nested: string[] = [];
  parseKv(rest, fields, nested);
  for (const m of nested) parseKv(m, fields);
  for (const k in fields) {
    const v = fields[k];
    if ((HEX_FIELDS.has(k) || (type === 'EXECVE' && k.charCodeAt(0) === 97 && /^a\d{1,4}$/.test(k))) && isHex(v) && !(k === 'name' && v.length < 4)) {
      // Only values auditd hex-encoded (they are never quoted); quoted ones were unquoted above and stay.
      if (!rawQuoted(rest, k)) fields[k] = unhex(v);
    }
  }
  return { type, node, time, serial, fields };
}

/** True when `key="` appears (the value was quoted, so it is not hex-encoded). */
function rawQuoted(s: string, key: string): boolean {
  return s.includes(` ${key}="`) || s.startsWith(`${key}="`);
}

const AUTH_TYPES = new Set(['USER_LOGIN', 'USER_AUTH', 'USER_ACCT', 'USER_START', 'USER_END', 'CRED_ACQ', 'CRED_DISP', 'USER_ERR', 'LOGIN', 'ANOM_LOGIN_FAILURES']);
const ACCOUNT_TYPES = new Set(['ADD_USER', 'DEL_USER', 'USER_CHAUTHTOK', 'USER_MGMT', 'ADD_GROUP', 'DEL_GROUP', 'GRP_MGMT', 'ROLE_ASSIGN', 'ROLE_REMOVE', 'ACCT_LOCK', 'ACCT_UNLOCK']);

function auditClass(type: string, f: Record<string, string>): OcsfClassName {
  if (type === 'EXECVE' || (type === 'SYSCALL' && (f.syscall === '59' || f.syscall === '322' || f.SYSCALL === 'execve' || f.SYSCALL === 'execveat'))) return 'process_activity';
  if (AUTH_TYPES.has(type)) return 'authentication';
  if (ACCOUNT_TYPES.has(type)) return 'account_change';
  if (type === 'PATH' || type === 'CWD') return 'file_activity';
  if (type === 'SOCKADDR') return 'network_activity';
  return 'base_event';
}

export function normalizeAuditd(line: string, rec: RawRecord, raw = line, extra?: Record<string, unknown>): ParseResult {
  let a: AuditRecord;
  try {
    a = parseAuditLine(line);
  } catch (e) {
    if (e instanceof AuditdSyntaxError) return fail('PARSE_AUDITD_INVALID', `${rec.origin}: ${e.message}`, rec);
    throw e;
  }
  const f = a.fields;
  const e: EventEntities = {};
  if (a.node) e.host = a.node;
  else if (f.hostname && !looksLikeIp(f.hostname) && f.hostname !== '?') e.host = f.hostname;
  const user = f.AUID && f.AUID !== 'unset' ? f.AUID : f.acct ?? (f.UID || undefined);
  if (user && user !== '?' && user !== 'unset') e.user = user;
  const addr = f.addr;
  if (addr && looksLikeIp(addr)) e.srcIp = addr;
  const pid = toInt(f.pid);
  const ppid = toInt(f.ppid);
  const exe = f.exe && f.exe !== '?' ? f.exe : undefined;
  const cmd = f.proctitle ?? (a.type === 'EXECVE' ? execveCommand(f) : undefined);
  if (pid !== undefined || exe || cmd) {
    e.process = compact({ pid, image: exe, commandLine: cmd, parent: ppid !== undefined ? { pid: ppid } : undefined });
  }
  if (a.type === 'PATH' && f.name) e.file = { path: f.name };
  const res = f.res ?? f.success ?? f.result;
  if (res) e.outcome = res === 'success' || res === 'yes' ? 'success' : res === 'failed' || res === 'no' || res === 'fail' ? 'failure' : 'unknown';
  const fields: Record<string, unknown> = { type: a.type, ...f };
  if (a.node) fields.node = a.node;
  if (a.serial !== undefined) fields.serial = a.serial;
  if (extra) Object.assign(fields, extra);
  const cls = auditClass(a.type, f);
  // Process executions also serve Sigma's generic linux/process_creation rules.
  const category = cls === 'process_activity' ? 'process_creation' : undefined;
  return buildEvent(rec, raw, a.time, compact({ format: 'auditd' as const, product: 'linux', service: 'auditd', category, channel: a.type, eventCode: a.type }), cls, compact(e), fields);
}

function execveCommand(f: Record<string, string>): string | undefined {
  const argc = toInt(f.argc);
  if (argc === undefined) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < Math.min(argc, 1024); i++) {
    const v = f[`a${i}`];
    if (v === undefined) break;
    parts.push(v);
  }
  return parts.join(' ') || undefined;
}

/** True for text that looks like an audit record (cheap prefix test). */
export function looksLikeAudit(s: string, i = 0): boolean {
  return (s.startsWith('type=', i) || s.startsWith('node=', i)) && s.indexOf('msg=audit(', i) >= 0 && s.indexOf('msg=audit(', i) - i < 200;
}

export const auditdParser: Parser = {
  name: 'auditd',
  parse(rec: RawRecord): ParseResult {
    const text = typeof rec.data === 'string' ? rec.data : typeof rec.data.message === 'string' ? rec.data.message : undefined;
    if (text === undefined) return fail('PARSE_AUDITD_INVALID', `${rec.origin}: an auditd record must be text`, rec);
    return normalizeAuditd(text, rec);
  },
};
