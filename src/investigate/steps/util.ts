/** Helpers shared by the step modules: entity extraction, query quoting, classification. */
import { hostKey, type GarrisonEvent } from '../../core/event.js';
import type { Incident } from '../../core/incident.js';
import type { Signal } from '../../core/signal.js';
import { normalizeIp } from '../../intel/values.js';
import ipaddr from 'ipaddr.js';

/** Quotes a value for the search language: every value is literal (wildcards, quotes, backslashes escaped). */
export function q(v: string): string {
  return '"' + String(v).slice(0, 1024).replace(/[\\"*?]/g, (c) => '\\' + c) + '"';
}

const NON_PERSON = new Set(['system', 'localsystem', 'local service', 'network service', 'localservice', 'networkservice', 'anonymous logon', '-', '']);

/** Accounts that are not people: machine accounts, SYSTEM and friends. */
export function isMachineAccount(u: string): boolean {
  const l = u.toLowerCase();
  return NON_PERSON.has(l) || l.endsWith('$') || l.startsWith('dwm-') || l.startsWith('umfd-');
}

export function isExternalIp(v: string): boolean {
  const ip = normalizeIp(v);
  if (!ip) return false;
  const r = ip.addr.range();
  return r === 'unicast';
}

export function ipRange(v: string): string | undefined {
  const ip = normalizeIp(v);
  return ip ? ip.addr.range() : undefined;
}

export { ipaddr };

const USER_WRITABLE = ['\\users\\', '\\appdata\\', '\\temp\\', '\\programdata\\', '\\public\\', '\\downloads\\', '/tmp/', '/dev/shm/'];
export function isUserWritable(path: string | undefined): boolean {
  if (!path) return false;
  const l = path.toLowerCase();
  return USER_WRITABLE.some((p) => l.includes(p));
}

export function baseName(path: string | undefined): string {
  if (!path) return '';
  const l = path.toLowerCase();
  const i = Math.max(l.lastIndexOf('\\'), l.lastIndexOf('/'));
  return i >= 0 ? l.slice(i + 1) : l;
}

const OFFICE = new Set(['winword.exe', 'excel.exe', 'powerpnt.exe', 'outlook.exe', 'msaccess.exe', 'mspub.exe', 'onenote.exe']);
const SCRIPT = new Set(['powershell.exe', 'pwsh.exe', 'cmd.exe', 'wscript.exe', 'cscript.exe', 'mshta.exe', 'rundll32.exe', 'regsvr32.exe', 'bash', 'sh']);
export const isOffice = (img: string | undefined) => OFFICE.has(baseName(img));
export const isScriptHost = (img: string | undefined) => SCRIPT.has(baseName(img));

/** A command line reduced to its shape: lower case, numbers, GUIDs, hex and per-user paths generalised. */
export function commandShape(cmd: string | undefined): string {
  if (!cmd) return '';
  return cmd
    .slice(0, 512)
    .toLowerCase()
    .replace(/\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/g, '{guid}')
    .replace(/\\users\\[^\\]+\\/g, '\\users\\*\\')
    .replace(/\b0x[0-9a-f]+\b/g, '#')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** In cloud API records (CloudTrail) the 'domain' is the calling service principal (sts.amazonaws.com), not a destination. */
export function isServicePrincipalDomain(ev: GarrisonEvent): boolean {
  return ev.class?.name === 'api_activity' || ev.source?.format === 'cloudtrail' || ev.source?.product === 'aws';
}

export interface IncidentEntities {
  hosts: string[];
  users: string[];
  processes: { host: string; guid?: string; pid?: number; image?: string; commandLine?: string; eventId: string }[];
  hashes: { value: string; image?: string; eventId: string }[];
  domains: { value: string; eventId: string }[];
  ips: { value: string; role: 'src' | 'dst'; eventId: string }[];
  images: { value: string; eventId: string }[];
}

function push<T>(arr: T[], key: (x: T) => string, x: T, seen: Set<string>): void {
  const k = key(x);
  if (seen.has(k)) return;
  seen.add(k);
  arr.push(x);
}

/** Every entity named by the incident and its signals' events, de-duplicated, in a stable order. */
export function incidentEntities(incident: Incident, signals: Signal[], events: Map<string, GarrisonEvent>): IncidentEntities {
  const out: IncidentEntities = { hosts: [], users: [], processes: [], hashes: [], domains: [], ips: [], images: [] };
  const seen = new Set<string>();
  for (const e of incident.entities ?? []) {
    if (e.kind === 'host') push(out.hosts, (x) => 'h' + x, hostKey(e.value)!, seen);
    if (e.kind === 'user' && !isMachineAccount(e.value)) push(out.users, (x) => 'u' + x, e.value.toLowerCase().replace(/^.*\\/, ''), seen);
    if (e.kind === 'domain') {
      const d = e.value.toLowerCase();
      const naming = [...events.values()].filter((ev) => ev.entities?.domain?.toLowerCase() === d);
      // a cloud API record's 'domain' is the calling service principal, not a destination
      if (naming.length === 0 || naming.some((ev) => !isServicePrincipalDomain(ev))) push(out.domains, (x) => 'd' + x.value, { value: d, eventId: '' }, seen);
    }
    if (e.kind === 'ip') push(out.ips, (x) => 'i' + x.value, { value: e.value, role: 'src', eventId: '' }, seen);
  }
  const evs = [...events.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
  for (const ev of evs) {
    const en = ev.entities ?? {};
    const h = hostKey(en.host);
    // network sensors name themselves as host; cloud API records name the service endpoint: neither is the host involved
    if (h && !['network_activity', 'dns_activity', 'http_activity'].includes(ev.class?.name) && !isServicePrincipalDomain(ev)) push(out.hosts, (x) => 'h' + x, h, seen);
    for (const u of [en.user, en.targetUser]) if (u && !isMachineAccount(u)) push(out.users, (x) => 'u' + x, u.toLowerCase(), seen);
    const p = en.process;
    if (p && h && (p.guid || p.pid !== undefined)) push(out.processes, (x) => `p${x.host}|${x.guid ?? x.pid}`, { host: h, guid: p.guid, pid: p.pid, image: p.image, commandLine: p.commandLine, eventId: ev.id }, seen);
    if (p?.image) push(out.images, (x) => 'm' + x.value, { value: p.image.toLowerCase(), eventId: ev.id }, seen);
    for (const hs of [p?.hashes, en.file?.hashes]) {
      const v = hs?.sha256 ?? hs?.sha1 ?? hs?.md5;
      if (v) push(out.hashes, (x) => 'x' + x.value, { value: v.toLowerCase(), image: p?.image, eventId: ev.id }, seen);
    }
    // in cloud API records the 'domain' is the calling service principal (ec2.amazonaws.com), not a destination
    if (en.domain && !isServicePrincipalDomain(ev)) push(out.domains, (x) => 'd' + x.value, { value: en.domain.toLowerCase().replace(/\.$/, ''), eventId: ev.id }, seen);
    if (en.dstIp && isExternalIp(en.dstIp)) push(out.ips, (x) => 'i' + x.value, { value: en.dstIp, role: 'dst', eventId: ev.id }, seen);
    if (en.srcIp && isExternalIp(en.srcIp)) push(out.ips, (x) => 'i' + x.value, { value: en.srcIp, role: 'src', eventId: ev.id }, seen);
  }
  // fill missing event ids of incident-level entities from any event naming them
  for (const d of out.domains) if (!d.eventId) d.eventId = evs.find((e) => e.entities?.domain?.toLowerCase() === d.value)?.id ?? '';
  for (const i of out.ips) if (!i.eventId) i.eventId = evs.find((e) => e.entities?.srcIp === i.value || e.entities?.dstIp === i.value)?.id ?? '';
  return out;
}

export function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

export function countBy<T>(xs: T[], key: (x: T) => string | undefined): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) {
    const k = key(x);
    if (k) m[k] = (m[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 50));
}

export const LEVEL_RANK: Record<string, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };
