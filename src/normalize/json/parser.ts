/**
 * Generic JSON: any object. The event time comes from the first common timestamp field found,
 * entities from common field names (flat, ECS-style nested, and Windows/Sysmon-style names).
 */
import type { EventEntities, OcsfClassName } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, firstTime, isObject, parseTime, paths, splitUser, toInt } from './common.js';

export const TIME_FIELD_NAMES = [
  '@timestamp',
  'timestamp',
  'time',
  'ts',
  'eventTime',
  'EventTime',
  'TimeCreated',
  'UtcTime',
  'event.created',
  'datetime',
  'date',
  'Timestamp',
  'created_at',
  'published',
  'createdDateTime',
] as const;
export const TIME_FIELDS = paths(TIME_FIELD_NAMES);

/**
 * Entity roles and the field names that feed them, in priority order (first listed wins).
 * Dotted names match both a literal dotted key and nested objects (ECS: {"host":{"name":..}}).
 */
const ROLE_FIELDS = {
  host: ['host.name', 'host.hostname', 'hostname', 'Hostname', 'host', 'Computer', 'computer', 'computer_name', 'ComputerName', 'device', 'agent.hostname'],
  user: ['user.name', 'user', 'username', 'userName', 'User', 'UserName', 'SubjectUserName', 'user_name', 'account', 'actor.alternateId'],
  userDomain: ['user.domain', 'SubjectDomainName'],
  srcIp: ['source.ip', 'src_ip', 'srcip', 'src', 'SourceIp', 'SourceIP', 'client_ip', 'clientIp', 'ipAddress', 'IpAddress', 'remote_addr', 'client.ip', 'id.orig_h'],
  dstIp: ['destination.ip', 'dst_ip', 'dstip', 'dst', 'DestinationIp', 'dest_ip', 'server.ip', 'id.resp_h'],
  srcPort: ['source.port', 'src_port', 'srcport', 'spt', 'SourcePort', 'id.orig_p'],
  dstPort: ['destination.port', 'dst_port', 'dstport', 'dpt', 'DestinationPort', 'dest_port', 'id.resp_p'],
  domain: ['dns.question.name', 'query', 'QueryName', 'domain', 'DestinationHostname', 'url.domain', 'server_name'],
  url: ['url.full', 'url', 'URL', 'request', 'uri'],
  image: ['process.executable', 'Image', 'process_path', 'process', 'exe', 'NewProcessName'],
  cmd: ['process.command_line', 'CommandLine', 'command_line', 'cmdline', 'cmd'],
  pid: ['process.pid', 'ProcessId', 'pid', 'NewProcessId'],
  pimage: ['process.parent.executable', 'ParentImage', 'parent_process', 'ParentProcessName'],
  pcmd: ['process.parent.command_line', 'ParentCommandLine'],
  ppid: ['process.parent.pid', 'ParentProcessId', 'ppid'],
  file: ['file.path', 'TargetFilename', 'file_path', 'filename', 'path'],
  sha256: ['hash.sha256', 'file.hash.sha256', 'sha256', 'SHA256'],
  md5: ['hash.md5', 'file.hash.md5', 'md5', 'MD5'],
  sha1: ['hash.sha1', 'file.hash.sha1', 'sha1', 'SHA1'],
  outcome: ['event.outcome', 'outcome', 'result', 'status'],
  time: TIME_FIELD_NAMES as readonly string[],
} as const;
type Role = keyof typeof ROLE_FIELDS;
const ROLES = Object.keys(ROLE_FIELDS) as Role[];
const R: Record<Role, number> = Object.fromEntries(ROLES.map((r, i) => [r, i])) as Record<Role, number>;
/** field name → [role index, priority]; a name may feed one role. */
const FIELD_ROLE = new Map<string, [number, number]>();
/** Prefixes of dotted names: nested objects under these keys are scanned. */
const PREFIXES = new Set<string>();
for (const role of ROLES) {
  ROLE_FIELDS[role].forEach((name, prio) => {
    if (!FIELD_ROLE.has(name)) FIELD_ROLE.set(name, [R[role], prio]);
    let dot = name.indexOf('.');
    while (dot > 0) {
      PREFIXES.add(name.slice(0, dot));
      dot = name.indexOf('.', dot + 1);
    }
  });
}

/**
 * One pass over the object's keys (and nested objects under known prefixes), keeping the
 * highest-priority usable value per role. Cheaper than probing every candidate name.
 */
function scanRoles(obj: Record<string, unknown>, prefix: string, depth: number, vals: unknown[], prio: number[]): void {
  for (const k in obj) {
    const v = obj[k];
    if (v === undefined || v === null || v === '' || v === '-') continue;
    const name = prefix === '' ? k : prefix + k;
    const hit = FIELD_ROLE.get(name);
    if (hit !== undefined && (typeof v === 'string' || typeof v === 'number') && hit[1] < prio[hit[0]]) {
      vals[hit[0]] = v;
      prio[hit[0]] = hit[1];
    }
    if (depth < 3 && typeof v === 'object' && !Array.isArray(v) && PREFIXES.has(name)) scanRoles(v as Record<string, unknown>, name + '.', depth + 1, vals, prio);
  }
}

function sv(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 4096 ? v.slice(0, 4096) : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Entities (and the event time) from common field names. */
export function genericScan(obj: Record<string, unknown>): { e: EventEntities; time: number | undefined } {
  const vals: unknown[] = new Array(ROLES.length);
  const prio: number[] = new Array(ROLES.length).fill(1e9);
  scanRoles(obj, '', 0, vals, prio);
  const e: EventEntities = {};
  const host = sv(vals[R.host]);
  if (host) e.host = host;
  const u = sv(vals[R.user]);
  if (u) {
    const s = splitUser(u);
    e.user = s.user;
    const d = s.domain ?? sv(vals[R.userDomain]);
    if (d) e.userDomain = d;
  }
  const srcIp = sv(vals[R.srcIp]);
  if (srcIp) e.srcIp = srcIp;
  const dstIp = sv(vals[R.dstIp]);
  if (dstIp) e.dstIp = dstIp;
  const sp = toInt(vals[R.srcPort]);
  if (sp !== undefined) e.srcPort = sp;
  const dp = toInt(vals[R.dstPort]);
  if (dp !== undefined) e.dstPort = dp;
  const domain = sv(vals[R.domain]);
  if (domain) e.domain = domain;
  const url = sv(vals[R.url]);
  if (url) e.url = url;
  const image = sv(vals[R.image]);
  const cmd = sv(vals[R.cmd]);
  const pid = toInt(vals[R.pid]);
  if (image || cmd || pid !== undefined) {
    const p: NonNullable<EventEntities['process']> = {};
    if (image) p.image = image;
    if (cmd) p.commandLine = cmd;
    if (pid !== undefined) p.pid = pid;
    const pimg = sv(vals[R.pimage]);
    const pcmd = sv(vals[R.pcmd]);
    const ppid = toInt(vals[R.ppid]);
    if (pimg || pcmd || ppid !== undefined) p.parent = compact({ image: pimg, commandLine: pcmd, pid: ppid });
    e.process = p;
  }
  const fpath = sv(vals[R.file]);
  const sha256 = sv(vals[R.sha256]);
  const md5 = sv(vals[R.md5]);
  const sha1 = sv(vals[R.sha1]);
  if (fpath || sha256 || md5 || sha1) {
    e.file = compact({ path: fpath, hashes: sha256 || md5 || sha1 ? compact({ sha256, md5, sha1 }) : undefined });
  }
  const out = sv(vals[R.outcome]);
  if (out) {
    const o = out.toLowerCase();
    const oc = o === 'success' || o === 'succeeded' || o === 'ok' || o === 'allowed' ? 'success' : o === 'failure' || o === 'failed' || o === 'denied' || o === 'fail' ? 'failure' : undefined;
    if (oc) e.outcome = oc;
  }
  let time: number | undefined;
  if (vals[R.time] !== undefined) {
    time = parseTime(vals[R.time]);
    if (time === undefined) time = firstTime(obj, TIME_FIELDS); // the best-ranked one did not parse: try them all
  }
  return { e, time };
}

/** Entities from common field names. */
export function genericEntities(obj: Record<string, unknown>): EventEntities {
  return genericScan(obj).e;
}

function classOf(e: EventEntities): OcsfClassName {
  if (e.url) return 'http_activity';
  if (e.domain && !e.srcIp) return 'dns_activity';
  if (e.process?.image || e.process?.commandLine) return 'process_activity';
  if (e.srcIp && e.dstIp) return 'network_activity';
  if (e.file) return 'file_activity';
  return 'base_event';
}

/** Normalizes an already-parsed generic JSON object. */
export function normalizeGenericJson(obj: Record<string, unknown>, raw: string, rec: RawRecord): ParseResult {
  const { e, time } = genericScan(obj);
  return buildEvent(rec, raw, time, { format: 'json' }, classOf(e), e, obj);
}

/** Parses the text of a JSON record into an object, or a located INGEST_BAD_JSON error. */
export function parseJsonObject(rec: RawRecord): { obj: Record<string, unknown>; raw: string } | ParseResult {
  if (typeof rec.data !== 'string') return { obj: rec.data, raw: JSON.stringify(rec.data) };
  const raw = rec.data;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    return fail('INGEST_BAD_JSON', `${rec.origin}: not valid JSON: ${(e as Error).message.slice(0, 200)}`, rec);
  }
  if (!isObject(v)) return fail('INGEST_BAD_JSON', `${rec.origin}: expected a JSON object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`, rec);
  return { obj: v, raw };
}

export const jsonParser: Parser = {
  name: 'json',
  parse(rec: RawRecord): ParseResult {
    const r = parseJsonObject(rec);
    if ('ok' in r) return r;
    return normalizeGenericJson(r.obj, r.raw, rec);
  },
};
