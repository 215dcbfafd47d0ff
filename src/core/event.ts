/**
 * The normalized event model. See docs/schema.md for the field-by-field description.
 *
 * Every stored event keeps its original fields untouched in `fields` (Sigma rules and hunters
 * need them exactly as the producer wrote them) and the raw text in `raw`; beside them sits a
 * normalized envelope: times, a stable id, tenant, the source in Sigma's log-source taxonomy,
 * an OCSF class and the entities the event names.
 */
import { hash } from 'node:crypto';

/** Which parser produced the event. New formats are added to this union and to normalize/registry.ts. */
export type SourceFormat =
  | 'json' // generic JSON object
  | 'winlog' // Windows event as JSON (Winlogbeat / NXLog / OTRF flattened) or from EVTX
  | 'evtx'
  | 'syslog'
  | 'cef'
  | 'zeek'
  | 'cloudtrail'
  | 'auditd'
  | 'proxy'
  | 'signin' // identity-provider sign-in logs
  | 'hec'
  | 'raw';

/** Sigma log-source taxonomy (product/service/category) plus the native identifiers. */
export interface EventSource {
  format: SourceFormat;
  product?: string; // windows, linux, aws, zeek, azure, okta ...
  service?: string; // sysmon, security, powershell, cloudtrail, dns, conn ...
  category?: string; // process_creation, network_connection, dns_query ...
  /** Windows channel / syslog app / Zeek log path / CloudTrail eventSource. */
  channel?: string;
  provider?: string;
  /** Native event identifier: Windows EventID, CloudTrail eventName, Zeek log type. */
  eventCode?: string;
  /** Where it came from: `file:<path>`, `hec`, `syslog:udp`, `api` ... */
  input?: string;
}

/** OCSF event classes Garrison distinguishes (class_uid from OCSF 1.x). */
export const OCSF_CLASSES = {
  base_event: 0,
  file_activity: 1001,
  kernel_extension_activity: 1002,
  kernel_activity: 1003,
  memory_activity: 1004,
  module_activity: 1005,
  scheduled_job_activity: 1006,
  process_activity: 1007,
  registry_key_activity: 201001,
  registry_value_activity: 201002,
  windows_service_activity: 201004,
  account_change: 3001,
  authentication: 3002,
  authorize_session: 3003,
  entity_management: 3004,
  user_access_management: 3005,
  group_management: 3006,
  network_activity: 4001,
  http_activity: 4002,
  dns_activity: 4003,
  email_activity: 4009,
  api_activity: 6003,
  script_activity: 1009,
} as const;
export type OcsfClassName = keyof typeof OCSF_CLASSES;

export interface Hashes {
  md5?: string;
  sha1?: string;
  sha256?: string;
  imphash?: string;
}

export interface ProcessRef {
  pid?: number;
  guid?: string; // Sysmon ProcessGuid, "{xxxxxxxx-...}" as Windows shows it
  image?: string;
  commandLine?: string;
}

export interface ProcessEntity extends ProcessRef {
  user?: string;
  integrityLevel?: string;
  hashes?: Hashes;
  parent?: ProcessRef;
}

/** Entities named by an event, extracted into typed fields. All optional. */
export interface EventEntities {
  host?: string; // as the producer names it (Computer, hostname); see hostKey()
  hostIp?: string;
  user?: string; // account name without domain
  userDomain?: string;
  userSid?: string;
  logonId?: string; // Windows logon id, 0x-hex lower-case
  logonType?: number;
  /** For authentication and account-change events: the account acted upon. */
  targetUser?: string;
  targetDomain?: string;
  targetSid?: string;
  process?: ProcessEntity;
  srcIp?: string;
  srcPort?: number;
  dstIp?: string;
  dstPort?: number;
  protocol?: string;
  domain?: string; // DNS query name, HTTP host, TLS SNI
  url?: string;
  file?: { path?: string; hashes?: Hashes };
  registry?: { key?: string; value?: string; data?: string };
  bytesIn?: number;
  bytesOut?: number;
  outcome?: 'success' | 'failure' | 'unknown';
  action?: string; // API call / verb, e.g. CloudTrail eventName
  /** Any other indicators (IPs, domains, hashes) seen in the event. */
  indicators?: string[];
}

export interface GarrisonEvent {
  /** Stable id: see eventId(). */
  id: string;
  /** Event time, milliseconds since the epoch, UTC. */
  time: number;
  /** When Garrison received it, ms since the epoch. */
  ingestTime: number;
  tenant: string;
  source: EventSource;
  class: { uid: number; name: OcsfClassName };
  entities: EventEntities;
  /** Original fields exactly as parsed from the producer's record. */
  fields: Record<string, unknown>;
  /** Original text of the record (for binary inputs: the XML rendering). */
  raw: string;
}

/**
 * A stable, time-sortable event id: 12 hex digits of event time (ms) + 20 hex digits of
 * SHA-1(tenant, origin, raw). `origin` says where the record was read (e.g. `file:/x.json:12`,
 * `hec:<channel>:<seq>`): the same record read from the same place gets the same id, so
 * re-ingesting a file is idempotent while two identical syslog lines stay two events.
 */
export function eventId(time: number, tenant: string, origin: string, raw: string): string {
  const t = Math.max(0, Math.min(Math.floor(Number.isFinite(time) ? time : 0), 0xffffffffffff));
  // One-shot hash of the concatenation: the same digest as streaming the three parts, ~2x cheaper.
  const h = hash('sha1', tenant + '\0' + origin + '\0' + raw, 'hex');
  return t.toString(16).padStart(12, '0') + h.slice(0, 20);
}

/** `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` in any case: the form Windows writes GUIDs in. */
const BRACED_GUID_RE = /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;
export function isBracedGuid(v: string): boolean {
  return v.length === 38 && v.charCodeAt(0) === 123 && BRACED_GUID_RE.test(v);
}

/**
 * Events whose `fields` are exactly their raw JSON object with every number except `EventID`
 * written as its decimal string and braced GUIDs in upper case: the canonical Windows form of
 * flattened NXLog/OTRF/Winlogbeat-style events when no key was renamed or dropped. A store may then keep the raw text only and rebuild the fields
 * on read with rawScalarFields(raw) (same keys and values; key order is the raw document's).
 * Normalizers add an event here after checking sameFieldsAsRawScalars; the set holds no strong
 * references, and an event whose fields are changed afterwards must not be in it.
 */
export const FIELDS_FROM_RAW_SCALARS = new WeakSet<GarrisonEvent>();

/**
 * Are `fields` what rawScalarFields() rebuilds from the JSON text of `obj`? Only strings and
 * safe integers qualify (their text is the same in JavaScript and in SQLite's JSON functions,
 * and a GUID differs only in letter case, which the case-insensitive LIKE of queries ignores, so
 * queries over the raw text see the same values); any other value type says no.
 */
export function sameFieldsAsRawScalars(obj: Record<string, unknown>, fields: Record<string, unknown>): boolean {
  const keys = Object.keys(obj);
  // Same number of own keys, and every key of obj in fields with the same value: the same set.
  if (Object.keys(fields).length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const f = fields[k];
    if (f === undefined || !Object.prototype.hasOwnProperty.call(fields, k)) return false;
    const v = obj[k];
    if (typeof v === 'string') {
      if (v !== f && !(isBracedGuid(v) && v.toUpperCase() === f)) return false;
    } else if (typeof v === 'number' && Number.isSafeInteger(v)) {
      if (k === 'EventID' ? f !== v : f !== String(v)) return false;
    } else return false;
  }
  return true;
}

/** The fields of a FIELDS_FROM_RAW_SCALARS event, rebuilt from its raw JSON text. */
export function rawScalarFields(raw: string): Record<string, unknown> {
  const obj = JSON.parse(raw) as Record<string, unknown>;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    out[k] = typeof v === 'number' ? (k === 'EventID' ? v : String(v)) : typeof v === 'string' && isBracedGuid(v) ? v.toUpperCase() : v;
  }
  return out;
}

/** Canonical key for a host name: lower-case, no trailing dot. Short and FQDN forms stay distinct. */
export function hostKey(name: string | undefined): string | undefined {
  if (!name) return undefined;
  return name.trim().replace(/\.$/, '').toLowerCase() || undefined;
}

/** Reads a field by path: `a.b.c` walks nested objects; a literal key containing dots wins. */
export function getField(fields: Record<string, unknown>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(fields, path)) return fields[path];
  if (!path.includes('.')) return undefined;
  let cur: unknown = fields;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
