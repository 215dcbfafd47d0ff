/**
 * The searchable fields: the normalized envelope (see src/core/event.ts and docs/schema.md) and,
 * for any other name, the event's original fields. A name resolves to one or more FieldRefs
 * (`ip` means src_ip OR dst_ip OR host_ip).
 */
export type FieldRef =
  /** Integer ms columns. */
  | { kind: 'time'; column: 'time' | 'ingest_time' }
  | { kind: 'id' }
  | { kind: 'class' }
  /** Low-cardinality columns with an index (host stored as hostKey, i.e. lower-case). */
  | { kind: 'interned'; name: 'host' | 'user' | 'tenant' }
  /** A path inside the stored envelope JSON `{source, entities}`. */
  | { kind: 'env'; path: string[] }
  /** An original field: a literal key (dots included) or else a nested path. */
  | { kind: 'fields'; name: string }
  | { kind: 'raw' };

const env = (...path: string[]): FieldRef => ({ kind: 'env', path });

/** Envelope fields by query name. Aliases in camelCase are accepted for the entity names. */
export const ENVELOPE_FIELDS: Record<string, FieldRef[]> = {
  time: [{ kind: 'time', column: 'time' }],
  ingest_time: [{ kind: 'time', column: 'ingest_time' }],
  id: [{ kind: 'id' }],
  class: [{ kind: 'class' }],
  class_uid: [{ kind: 'class' }],
  host: [{ kind: 'interned', name: 'host' }],
  user: [{ kind: 'interned', name: 'user' }],
  tenant: [{ kind: 'interned', name: 'tenant' }],
  raw: [{ kind: 'raw' }],
  format: [env('source', 'format')],
  product: [env('source', 'product')],
  service: [env('source', 'service')],
  category: [env('source', 'category')],
  channel: [env('source', 'channel')],
  provider: [env('source', 'provider')],
  event_code: [env('source', 'eventCode')],
  input: [env('source', 'input')],
  host_ip: [env('entities', 'hostIp')],
  user_domain: [env('entities', 'userDomain')],
  user_sid: [env('entities', 'userSid')],
  logon_id: [env('entities', 'logonId')],
  logon_type: [env('entities', 'logonType')],
  target_user: [env('entities', 'targetUser')],
  target_domain: [env('entities', 'targetDomain')],
  target_sid: [env('entities', 'targetSid')],
  src_ip: [env('entities', 'srcIp')],
  src_port: [env('entities', 'srcPort')],
  dst_ip: [env('entities', 'dstIp')],
  dst_port: [env('entities', 'dstPort')],
  ip: [env('entities', 'srcIp'), env('entities', 'dstIp'), env('entities', 'hostIp')],
  protocol: [env('entities', 'protocol')],
  domain: [env('entities', 'domain')],
  url: [env('entities', 'url')],
  outcome: [env('entities', 'outcome')],
  action: [env('entities', 'action')],
  bytes_in: [env('entities', 'bytesIn')],
  bytes_out: [env('entities', 'bytesOut')],
  'process.pid': [env('entities', 'process', 'pid')],
  'process.guid': [env('entities', 'process', 'guid')],
  'process.image': [env('entities', 'process', 'image')],
  'process.command_line': [env('entities', 'process', 'commandLine')],
  'process.user': [env('entities', 'process', 'user')],
  'process.integrity_level': [env('entities', 'process', 'integrityLevel')],
  'process.md5': [env('entities', 'process', 'hashes', 'md5')],
  'process.sha1': [env('entities', 'process', 'hashes', 'sha1')],
  'process.sha256': [env('entities', 'process', 'hashes', 'sha256')],
  'process.imphash': [env('entities', 'process', 'hashes', 'imphash')],
  'parent.pid': [env('entities', 'process', 'parent', 'pid')],
  'parent.guid': [env('entities', 'process', 'parent', 'guid')],
  'parent.image': [env('entities', 'process', 'parent', 'image')],
  'parent.command_line': [env('entities', 'process', 'parent', 'commandLine')],
  'file.path': [env('entities', 'file', 'path')],
  'file.md5': [env('entities', 'file', 'hashes', 'md5')],
  'file.sha1': [env('entities', 'file', 'hashes', 'sha1')],
  'file.sha256': [env('entities', 'file', 'hashes', 'sha256')],
  'registry.key': [env('entities', 'registry', 'key')],
  'registry.value': [env('entities', 'registry', 'value')],
  'registry.data': [env('entities', 'registry', 'data')],
};

const ALIASES: Record<string, string> = {
  'process.commandLine': 'process.command_line',
  'process.integrityLevel': 'process.integrity_level',
  'parent.commandLine': 'parent.command_line',
  eventCode: 'event_code',
  srcIp: 'src_ip',
  dstIp: 'dst_ip',
  srcPort: 'src_port',
  dstPort: 'dst_port',
  hostIp: 'host_ip',
  ingestTime: 'ingest_time',
  targetUser: 'target_user',
  logonType: 'logon_type',
  logonId: 'logon_id',
};

/**
 * Resolves a query field name. `fields.X` always means the original field X; an envelope name
 * (case-sensitive, see ENVELOPE_FIELDS) the envelope; anything else the original field.
 */
export function resolveField(name: string): FieldRef[] {
  if (name.startsWith('fields.') && name.length > 7) return [{ kind: 'fields', name: name.slice(7) }];
  const canonical = ALIASES[name] ?? name;
  const refs = Object.prototype.hasOwnProperty.call(ENVELOPE_FIELDS, canonical) ? ENVELOPE_FIELDS[canonical] : undefined;
  return refs ?? [{ kind: 'fields', name }];
}
