/**
 * Zeek logs, JSON (one object per line) and TSV (the default ASCII writer with its `#` header:
 * `#separator`, `#set_separator`, `#empty_field`, `#unset_field`, `#path`, `#fields`, `#types`).
 * A TSV line needs its file's header: file ingest reads the header (see ZeekTsvHeader) and passes
 * it in `rec.meta.zeek`. Values are typed from `#types` (count/int/port/double/interval/time →
 * numbers, bool → booleans, set/vector → arrays); unset fields (`-`) are left out, as Zeek's JSON
 * writer does, so a TSV line and its JSON twin give the same fields.
 */
import type { EventEntities, OcsfClassName } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, isObject, toInt } from '../json/common.js';
import { parseJsonObject } from '../json/parser.js';

export interface ZeekTsvHeader {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  path?: string;
  fields: string[];
  types: string[];
}

export function defaultZeekHeader(): ZeekTsvHeader {
  return { separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-', fields: [], types: [] };
}

/** Decodes `\x09`-style escapes used in `#separator`. */
function unhex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else out += s[i];
  }
  return out;
}

/**
 * Applies one `#` header line to the header state. Returns false when the line is not a
 * recognised directive (`#open`/`#close` are recognised and ignored).
 */
export function applyZeekHeaderLine(h: ZeekTsvHeader, line: string): boolean {
  if (line.startsWith('#separator ')) {
    h.separator = unhex(line.slice(11)) || '\t';
    return true;
  }
  const sep = h.separator;
  const tab = line.indexOf(sep);
  const key = tab < 0 ? line.slice(1) : line.slice(1, tab);
  const rest = tab < 0 ? '' : line.slice(tab + sep.length);
  switch (key) {
    case 'set_separator':
      h.setSeparator = rest || ',';
      return true;
    case 'empty_field':
      h.emptyField = rest;
      return true;
    case 'unset_field':
      h.unsetField = rest;
      return true;
    case 'path':
      h.path = rest;
      return true;
    case 'fields':
      h.fields = rest.split(sep);
      return true;
    case 'types':
      h.types = rest.split(sep);
      return true;
    case 'open':
    case 'close':
      return true;
    default:
      return false;
  }
}

const NUMERIC = new Set(['count', 'int', 'port', 'double', 'interval', 'time']);

function typed(v: string, type: string | undefined, h: ZeekTsvHeader): unknown {
  if (type === undefined) return v;
  if (NUMERIC.has(type)) {
    const n = Number(v);
    return Number.isFinite(n) && v.trim() !== '' ? n : v;
  }
  if (type === 'bool') return v === 'T' ? true : v === 'F' ? false : v;
  if (type.startsWith('set[') || type.startsWith('vector[')) {
    if (v === h.emptyField) return [];
    const inner = type.slice(type.indexOf('[') + 1, -1);
    return v.split(h.setSeparator).map((x) => typed(x, inner, h));
  }
  return v;
}

/** Splits one TSV line into an object using the header. Throws a message on column mismatch. */
export function zeekTsvToObject(line: string, h: ZeekTsvHeader): Record<string, unknown> | string {
  if (h.fields.length === 0) return 'no #fields header seen before this line';
  const cols = line.split(h.separator);
  if (cols.length !== h.fields.length) return `expected ${h.fields.length} columns (from #fields), got ${cols.length}`;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < cols.length; i++) {
    const v = cols[i];
    if (v === h.unsetField) continue;
    const t = h.types[i];
    o[h.fields[i]] = v === h.emptyField && !(t && (t.startsWith('set[') || t.startsWith('vector['))) ? '' : typed(v, t, h);
  }
  return o;
}

/** Guesses the log path of a Zeek JSON record from its fields (when no `_path` / file name says it). */
export function guessZeekPath(o: Record<string, unknown>): string | undefined {
  if ('conn_state' in o || 'history' in o) return 'conn';
  if ('qtype_name' in o || ('query' in o && 'rcode' in o) || 'answers' in o) return 'dns';
  if ('method' in o && 'uri' in o) return 'http';
  if ('server_name' in o && ('cipher' in o || 'version' in o)) return 'ssl';
  if ('fuid' in o && ('mime_type' in o || 'seen_bytes' in o || 'source' in o)) return 'files';
  if ('note' in o && 'msg' in o) return 'notice';
  if ('auth_success' in o && 'direction' in o) return 'ssh';
  if ('mailfrom' in o || 'rcptto' in o) return 'smtp';
  if ('certificate.subject' in o || 'san.dns' in o) return 'x509';
  if ('assigned_addr' in o || 'mac' in o) return 'dhcp';
  if ('request_type' in o && 'service' in o && 'client' in o) return 'kerberos';
  if ('cmd' in o && 'arg' in o && 'reply_code' in o) return 'ftp';
  return undefined;
}

/** Zeek log path → Sigma-taxonomy-compatible service (Sigma's zeek rules use the path) + OCSF class. */
const CLASS_BY_PATH: Record<string, OcsfClassName> = {
  conn: 'network_activity',
  dns: 'dns_activity',
  http: 'http_activity',
  ssl: 'network_activity',
  x509: 'network_activity',
  files: 'file_activity',
  ssh: 'authentication',
  kerberos: 'authentication',
  ntlm: 'authentication',
  rdp: 'network_activity',
  smb_files: 'file_activity',
  smb_mapping: 'network_activity',
  dce_rpc: 'network_activity',
  smtp: 'email_activity',
  ftp: 'network_activity',
  dhcp: 'network_activity',
  weird: 'network_activity',
  notice: 'base_event',
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '-' ? v : undefined;
}

function zeekEntities(o: Record<string, unknown>, path: string): EventEntities {
  const e: EventEntities = {};
  e.srcIp = str(o['id.orig_h']) ?? str(o.src);
  e.dstIp = str(o['id.resp_h']) ?? str(o.dst);
  const sp = toInt(o['id.orig_p']) ?? toInt(o.p);
  const dp = toInt(o['id.resp_p']);
  if (sp !== undefined) e.srcPort = sp;
  if (dp !== undefined) e.dstPort = dp;
  e.protocol = str(o.proto);
  const ob = toInt(o.orig_bytes);
  const rb = toInt(o.resp_bytes);
  if (ob !== undefined) e.bytesOut = ob;
  if (rb !== undefined) e.bytesIn = rb;
  switch (path) {
    case 'dns':
      e.domain = str(o.query);
      break;
    case 'http': {
      const host = str(o.host);
      const uri = str(o.uri);
      e.domain = host;
      if (host || uri) e.url = `${host ?? e.dstIp ?? ''}${uri ?? ''}`;
      e.user = str(o.username);
      break;
    }
    case 'ssl':
      e.domain = str(o.server_name);
      break;
    case 'files': {
      const hashes = compact({ md5: str(o.md5), sha1: str(o.sha1), sha256: str(o.sha256) });
      const fname = str(o.filename);
      if (fname || Object.keys(hashes).length) e.file = compact({ path: fname, hashes: Object.keys(hashes).length ? hashes : undefined });
      const tx = o.tx_hosts;
      const rx = o.rx_hosts;
      if (!e.srcIp && Array.isArray(tx) && typeof tx[0] === 'string') e.srcIp = tx[0];
      if (!e.dstIp && Array.isArray(rx) && typeof rx[0] === 'string') e.dstIp = rx[0];
      break;
    }
    case 'ssh':
      if (typeof o.auth_success === 'boolean') e.outcome = o.auth_success ? 'success' : 'failure';
      break;
    case 'kerberos':
      e.user = str(o.client)?.split('/')[0];
      if (typeof o.success === 'boolean') e.outcome = o.success ? 'success' : 'failure';
      break;
    case 'ntlm':
      e.user = str(o.username);
      e.userDomain = str(o.domainname);
      e.host = str(o.hostname);
      if (typeof o.success === 'boolean') e.outcome = o.success ? 'success' : 'failure';
      break;
    case 'notice':
      e.indicators = [str(o.src), str(o.dst), str(o.sub)].filter((x): x is string => !!x);
      if (e.indicators.length === 0) delete e.indicators;
      break;
  }
  return compact(e);
}

/** Normalizes a Zeek record (already an object). `path` from `_path`, the header or the file name. */
export function normalizeZeekObject(o: Record<string, unknown>, raw: string, rec: RawRecord, pathHint?: string): ParseResult {
  const path = pathHint ?? str(o._path) ?? (typeof rec.meta?.zeekPath === 'string' ? rec.meta.zeekPath : undefined) ?? guessZeekPath(o) ?? 'unknown';
  const ts = o.ts;
  let time: number | undefined;
  if (typeof ts === 'number') time = ts * 1000;
  else if (typeof ts === 'string') {
    const n = Number(ts);
    time = Number.isFinite(n) && ts.trim() !== '' ? n * 1000 : Date.parse(ts);
  }
  const cls = CLASS_BY_PATH[path] ?? (o['id.orig_h'] !== undefined ? 'network_activity' : 'base_event');
  const category = path === 'dns' ? 'dns' : undefined;
  return buildEvent(rec, raw, time, compact({ format: 'zeek' as const, product: 'zeek', service: path, channel: path, eventCode: path, category }), cls, zeekEntities(o, path), o);
}

export const zeekParser: Parser = {
  name: 'zeek',
  parse(rec: RawRecord): ParseResult {
    const h = rec.meta?.zeek as ZeekTsvHeader | undefined;
    if (typeof rec.data === 'string' && h && isObject(h) && Array.isArray(h.fields) && !rec.data.trimStart().startsWith('{')) {
      const o = zeekTsvToObject(rec.data, h);
      if (typeof o === 'string') return fail('PARSE_ZEEK_INVALID', `${rec.origin}: ${o}`, rec);
      return normalizeZeekObject(o, rec.data, rec, h.path);
    }
    if (typeof rec.data === 'string' && !rec.data.trimStart().startsWith('{')) {
      return fail('PARSE_ZEEK_INVALID', `${rec.origin}: a Zeek TSV line needs its file's #fields header (ingest the whole file) or use Zeek JSON`, rec);
    }
    const r = parseJsonObject(rec);
    if ('ok' in r) return r;
    return normalizeZeekObject(r.obj, r.raw, rec);
  },
};
