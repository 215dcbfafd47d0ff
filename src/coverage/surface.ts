/**
 * Attack surface from stored telemetry and the inventory/identity context, tracked over time, and
 * the outcome report that puts it together with the operating figures (src/coverage/metrics.ts):
 *  - exposed services: internal hosts that accepted connections from external addresses (Zeek
 *    conn, firewall/CEF, Sysmon 3 inbound and any other network_activity event), per host/port;
 *  - hosts missing telemetry (inventory assets never seen) and stale agents (a host silent in a
 *    source family that still reports elsewhere: the coverage report's rule);
 *  - privileged accounts (identity directory, privileged groups, or admin naming) and the hosts
 *    they log on to (successful authentication events, Windows 4624 target account);
 *  - accounts with successful sign-ins without MFA (Entra ID `authenticationRequirement`, Okta
 *    MFA verification events).
 * A snapshot per UTC day is kept in the store state; deltas compare with the previous day's.
 * Every field read here comes from attacker-writable logs: only counted and echoed as data.
 */
import { getField, hostKey, type GarrisonEvent } from '../core/event.js';
import { GarrisonError } from '../core/errors.js';
import { accountName, ContextIndex } from '../correlate/context.js';
import type { Incident } from '../core/incident.js';
import type { Store } from '../store/port.js';
import { envelopeOf } from './datasources.js';
import { familyOf } from './inventory.js';
import { socMetrics, type SocMetrics } from './metrics.js';
import { parseDuration, parseTime } from './service.js';

export const SURFACE_STATE_KEY = 'surface/snapshots/v1';
const MAX_SNAPSHOTS = 400;
const MAX_ITEMS = 5000;
const MAX_KEYS = 200_000;
const DAY = 86_400_000;

export interface SurfaceOptions {
  from: number;
  to: number;
  tenant?: string;
  /** Inventory and identity directory (assets, identities, privileged groups). */
  context?: ContextIndex;
  /** A host silent in a family for longer than this before `to` is stale (default 24h). */
  staleAfterMs?: number;
  /** Most events read (newest first); default 500,000. */
  maxEvents?: number;
  pageSize?: number;
}

export interface ExposedService {
  /** Host name from the inventory (by address) or the internal address. */
  host: string;
  ip: string;
  port: number;
  protocol?: string;
  connections: number;
  /** Distinct external sources (counted up to 1000). */
  sources: number;
  firstSeen: number;
  lastSeen: number;
  /** Source families that reported it (zeek/conn, windows/sysmon, fortigate/...). */
  seenBy: string[];
  criticality?: string;
}

export interface PrivilegedAccount {
  account: string;
  /** Why it counts as privileged. */
  reason: 'directory' | 'naming';
  logons: number;
  hosts: { host: string; logons: number; lastSeen: number; role?: string; criticality?: string; logonTypes: number[] }[];
  /** Hosts that are workstations per the inventory (credential exposure). */
  workstations: number;
}

export interface MfaAccount {
  account: string;
  signIns: number;
  singleFactor: number;
  mfa: number;
  lastSingleFactor?: number;
  sources: string[];
  privileged: boolean;
}

export interface SurfaceCounts {
  exposedServices: number;
  exposedHosts: number;
  missingTelemetry: number;
  staleAgents: number;
  privilegedAccounts: number;
  privilegedOnWorkstations: number;
  noMfaAccounts: number;
}

export interface SurfaceSnapshot {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  at: number;
  counts: SurfaceCounts;
  /** Item keys per figure (bounded), for what appeared and disappeared. */
  items: Record<keyof SurfaceCounts, string[]>;
}

export interface SurfaceDelta {
  previousDay?: string;
  counts: Partial<Record<keyof SurfaceCounts, number>>;
  added: Partial<Record<keyof SurfaceCounts, string[]>>;
  removed: Partial<Record<keyof SurfaceCounts, string[]>>;
}

export interface SurfaceReport {
  generatedAt: number;
  window: { from: number; to: number; staleAfterMs: number };
  scanned: number;
  truncated: boolean;
  context: { assets: number; identities: number };
  counts: SurfaceCounts;
  exposedServices: ExposedService[];
  missingTelemetry: { host: string; role: string; criticality: string }[];
  staleAgents: { host: string; family: string; lastSeen: number }[];
  privilegedAccounts: PrivilegedAccount[];
  noMfa: MfaAccount[];
  /** Versus the latest stored snapshot of an earlier day (none before the first snapshot). */
  delta: SurfaceDelta;
  history: { day: string; counts: SurfaceCounts }[];
  notes: string[];
}

// ------------------------------------------------------------------------------------ addresses

function ipv4(s: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  return o.every((x) => x <= 255) ? o : undefined;
}

/** Normalises an address (strips `::ffff:`, brackets, zone); undefined when not an IP. */
export function normalizeIp(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 64) return undefined;
  let s = v.trim().toLowerCase().replace(/^\[|\]$/g, '');
  const pct = s.indexOf('%');
  if (pct > 0) s = s.slice(0, pct);
  if (s.startsWith('::ffff:') && ipv4(s.slice(7))) s = s.slice(7);
  if (ipv4(s)) return s;
  return /^[0-9a-f:]{2,39}$/.test(s) && s.includes(':') ? s : undefined;
}

/** Private, loopback, link-local, CGNAT or unique-local: not reachable from the internet. */
export function isPrivateIp(ip: string): boolean {
  const o = ipv4(ip);
  if (o) {
    const [a, b] = o;
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  return ip === '::1' || ip === '::' || /^f[cd]/.test(ip) || /^fe[89ab]/.test(ip);
}

function isBroadcastOrMulticast(ip: string): boolean {
  const o = ipv4(ip);
  if (o) return o[0] >= 224 || ip === '255.255.255.255';
  return ip.startsWith('ff');
}

// ------------------------------------------------------------------------------------ accounts

const ADMIN_NAME = /^(adm|admin|administrator|da|sa)[-_.]|[-_.](adm|admin|da)$|^administrator$|^admin$|^root$/;
const NOT_PEOPLE = new Set(['system', 'local service', 'network service', 'anonymous logon', 'dwm-1', 'dwm-2', 'dwm-3', 'umfd-0', 'umfd-1', 'umfd-2', '-']);

function privilegedReason(account: string, ctx: ContextIndex): PrivilegedAccount['reason'] | undefined {
  const id = ctx.user(account);
  if (id) return id.privileged ? 'directory' : undefined;
  return ADMIN_NAME.test(accountName(account)) ? 'naming' : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The account a successful logon is for: Windows logons name it as the target. */
function logonAccount(ev: GarrisonEvent): string | undefined {
  const e = ev.entities;
  const a = ev.source.format === 'winlog' || ev.source.format === 'evtx' ? (e.targetUser ?? e.user) : (e.user ?? e.targetUser);
  if (!a || a.length > 320) return undefined;
  const k = accountName(a);
  if (!k || k.endsWith('$') || NOT_PEOPLE.has(k)) return undefined;
  return k;
}

/**
 * MFA status of a sign-in record: 'mfa', 'single' or undefined (not said). Entra ID:
 * `authenticationRequirement` (Graph, diagnostic `properties`) or `AuthenticationRequirement`
 * (Log Analytics), else `mfaDetail.authMethod`; Okta: `user.authentication.auth_via_mfa` and
 * `authenticationContext.authenticationStep > 0` are MFA, a `user.session.start` is single factor
 * unless the account verified a factor in the window (resolved by the caller).
 */
export function mfaOf(ev: GarrisonEvent): 'mfa' | 'single' | 'okta-session' | undefined {
  const f = ev.fields;
  if (ev.source.product === 'okta') {
    const t = str(f.eventType) ?? '';
    if (t === 'user.authentication.auth_via_mfa' || t.startsWith('user.mfa.factor.verify')) return 'mfa';
    const step = Number(getField(f, 'authenticationContext.authenticationStep'));
    if (t === 'user.session.start') return Number.isFinite(step) && step > 0 ? 'mfa' : 'okta-session';
    return undefined;
  }
  const p = (f.properties && typeof f.properties === 'object' ? f.properties : f) as Record<string, unknown>;
  const req = (str(p.authenticationRequirement) ?? str(p.AuthenticationRequirement) ?? '').toLowerCase();
  if (req === 'multifactorauthentication') return 'mfa';
  if (req === 'singlefactorauthentication') return 'single';
  const md = (p.mfaDetail ?? p.MfaDetail) as Record<string, unknown> | undefined;
  if (md && typeof md === 'object' && (str(md.authMethod) ?? str(md.AuthMethod))) return 'mfa';
  return undefined;
}

// ------------------------------------------------------------------------------------ the scan

function inbound(ev: GarrisonEvent): boolean {
  // Sysmon 3 says whether the local process initiated; only inbound ones show a listening service.
  if (ev.source.service === 'sysmon' && ev.source.eventCode === '3') {
    const i = str(ev.fields.Initiated)?.toLowerCase();
    return i === 'false';
  }
  return true;
}

const ZEEK_NOT_ACCEPTED = new Set(['S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH']);
function accepted(ev: GarrisonEvent): boolean {
  if (ev.entities.outcome === 'failure') return false;
  if (ev.source.format === 'zeek') {
    const st = str(ev.fields.conn_state);
    if (st && ZEEK_NOT_ACCEPTED.has(st)) return false;
  }
  const act = ev.entities.action?.toLowerCase();
  if (act && /(deny|denied|drop|block|reject|reset|fail)/.test(act)) return false;
  return true;
}

function dayOf(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

export async function computeSurface(store: Store, opts: SurfaceOptions): Promise<SurfaceReport> {
  const { from, to } = opts;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new GarrisonError('COVERAGE_OPTION_INVALID', `the surface window is empty or invalid (from ${from}, to ${to})`);
  const ctx = opts.context ?? ContextIndex.empty();
  const staleAfterMs = opts.staleAfterMs ?? DAY;
  const maxEvents = opts.maxEvents ?? 500_000;
  const pageSize = Math.min(10_000, Math.max(100, opts.pageSize ?? 5000));

  const exposed = new Map<string, { svc: ExposedService; srcs: Set<string>; by: Set<string> }>();
  const families = new Map<string, { host: string; family: string; last: number }>();
  const familyLast = new Map<string, number>();
  const seenHosts = new Set<string>();
  const priv = new Map<string, { reason: PrivilegedAccount['reason']; logons: number; hosts: Map<string, { logons: number; lastSeen: number; types: Set<number> }> }>();
  const mfa = new Map<string, { signIns: number; single: number; mfa: number; oktaSessions: number; lastSingle?: number; lastOkta?: number; sources: Set<string> }>();
  let scanned = 0;
  let truncated = false;
  let cursor: string | undefined;

  for (;;) {
    const page = await store.search('', { from, to, tenant: opts.tenant, limit: Math.min(pageSize, maxEvents - scanned), cursor, order: 'desc' });
    for (const ev of page.events) {
      scanned++;
      const e = ev.entities;
      const env = envelopeOf(ev);
      const fam = familyOf(env);
      familyLast.set(fam, Math.max(familyLast.get(fam) ?? -Infinity, ev.time));
      const h = hostKey(e.host);
      if (h) {
        seenHosts.add(h);
        const a = ctx.host(h);
        if (a) seenHosts.add(a.key);
        const fk = `${h}\u0000${fam}`;
        const f = families.get(fk);
        if (f) f.last = Math.max(f.last, ev.time);
        else if (families.size < MAX_KEYS) families.set(fk, { host: h, family: fam, last: ev.time });
      }
      const hip = normalizeIp(e.hostIp);
      if (hip) {
        const a = ctx.hostByIp(hip);
        if (a) seenHosts.add(a.key);
      }

      // Exposed services.
      if (ev.class.name === 'network_activity' && e.dstPort !== undefined && inbound(ev) && accepted(ev)) {
        const src = normalizeIp(e.srcIp);
        const dst = normalizeIp(e.dstIp);
        if (src && dst && !isBroadcastOrMulticast(dst)) {
          const dstAsset = ctx.hostByIp(dst);
          const dstInternal = isPrivateIp(dst) || dstAsset !== undefined;
          const srcExternal = !isPrivateIp(src) && !ctx.hostByIp(src);
          const port = Number(e.dstPort);
          if (dstInternal && srcExternal && Number.isInteger(port) && port >= 0 && port <= 65535) {
            const proto = e.protocol?.toLowerCase().slice(0, 16);
            const key = `${dst}\u0000${port}\u0000${proto ?? ''}`;
            let x = exposed.get(key);
            if (!x && exposed.size < MAX_KEYS) {
              const host = dstAsset?.name ?? (ev.source.service === 'sysmon' && e.host ? e.host : dst);
              x = { svc: { host: host.slice(0, 256), ip: dst, port, protocol: proto, connections: 0, sources: 0, firstSeen: ev.time, lastSeen: ev.time, seenBy: [], criticality: dstAsset?.criticality }, srcs: new Set(), by: new Set() };
              exposed.set(key, x);
            }
            if (x) {
              x.svc.connections++;
              if (x.srcs.size < 1000) x.srcs.add(src);
              x.by.add(fam);
              x.svc.firstSeen = Math.min(x.svc.firstSeen, ev.time);
              x.svc.lastSeen = Math.max(x.svc.lastSeen, ev.time);
            }
          }
        }
      }

      // Privileged logons.
      if (ev.class.name === 'authentication' && e.outcome !== 'failure' && ev.source.format !== 'signin') {
        const winLogon = ev.source.eventCode === '4624' || ev.source.eventCode === '4648' || ev.source.eventCode === '4672';
        const ok = e.outcome === 'success' || winLogon;
        const acct = ok ? logonAccount(ev) : undefined;
        const reason = acct ? privilegedReason(acct, ctx) : undefined;
        if (acct && reason && h) {
          let p = priv.get(acct);
          if (!p && priv.size < MAX_KEYS) priv.set(acct, (p = { reason, logons: 0, hosts: new Map() }));
          if (p) {
            p.logons++;
            let ph = p.hosts.get(h);
            if (!ph && p.hosts.size < 10_000) p.hosts.set(h, (ph = { logons: 0, lastSeen: ev.time, types: new Set() }));
            if (ph) {
              ph.logons++;
              ph.lastSeen = Math.max(ph.lastSeen, ev.time);
              if (typeof e.logonType === 'number' && ph.types.size < 16) ph.types.add(e.logonType);
            }
          }
        }
      }

      // Sign-ins without MFA.
      if (ev.source.format === 'signin' && e.user && e.outcome !== 'failure') {
        const m = mfaOf(ev);
        const acct = e.user.toLowerCase().slice(0, 320);
        let r = mfa.get(acct);
        if (!r && mfa.size < MAX_KEYS) mfa.set(acct, (r = { signIns: 0, single: 0, mfa: 0, oktaSessions: 0, sources: new Set() }));
        if (r) {
          r.sources.add(ev.source.product ?? 'signin');
          if (m === 'mfa') r.mfa++;
          if (m === 'single' && e.outcome === 'success') {
            r.signIns++;
            r.single++;
            r.lastSingle = Math.max(r.lastSingle ?? -Infinity, ev.time);
          } else if (m === 'okta-session' && e.outcome === 'success') {
            r.signIns++;
            r.oktaSessions++;
            r.lastOkta = Math.max(r.lastOkta ?? -Infinity, ev.time);
          } else if (m === 'mfa' && e.outcome === 'success' && ev.source.product !== 'okta') r.signIns++;
        }
      }
    }
    cursor = page.nextCursor;
    if (!cursor) break;
    if (scanned >= maxEvents) {
      truncated = true;
      break;
    }
  }

  const exposedServices = [...exposed.values()]
    .map((x) => ({ ...x.svc, sources: x.srcs.size, seenBy: [...x.by].sort() }))
    .sort((a, b) => b.connections - a.connections || a.ip.localeCompare(b.ip) || a.port - b.port);

  const missingTelemetry = ctx.assets
    .filter((a) => !a.hub && !seenHosts.has(a.key) && !(a.fqdn && seenHosts.has(a.fqdn.toLowerCase())) && !seenHosts.has(a.name.toLowerCase()))
    .map((a) => ({ host: a.name, role: a.role, criticality: a.criticality }))
    .sort((a, b) => a.host.localeCompare(b.host));

  const cut = to - staleAfterMs;
  const staleAgents = [...families.values()]
    .filter((f) => f.last < cut && (familyLast.get(f.family) ?? -Infinity) >= cut)
    .map((f) => ({ host: f.host, family: f.family, lastSeen: f.last }))
    .sort((a, b) => a.lastSeen - b.lastSeen);

  const privilegedAccounts: PrivilegedAccount[] = [...priv.entries()]
    .map(([account, p]) => {
      const hosts = [...p.hosts.entries()]
        .map(([host, v]) => {
          const a = ctx.host(host);
          return { host, logons: v.logons, lastSeen: v.lastSeen, role: a?.role, criticality: a?.criticality, logonTypes: [...v.types].sort((x, y) => x - y) };
        })
        .sort((a, b) => b.logons - a.logons || a.host.localeCompare(b.host));
      return { account, reason: p.reason, logons: p.logons, hosts, workstations: hosts.filter((x) => x.role === 'workstation').length };
    })
    .sort((a, b) => b.hosts.length - a.hosts.length || a.account.localeCompare(b.account));

  const noMfa: MfaAccount[] = [];
  for (const [account, r] of mfa) {
    // Okta: a session counts as single factor only when the account verified no factor at all.
    const single = r.single + (r.mfa === 0 ? r.oktaSessions : 0);
    if (single === 0) continue;
    const last = Math.max(r.lastSingle ?? -Infinity, r.mfa === 0 ? (r.lastOkta ?? -Infinity) : -Infinity);
    noMfa.push({ account, signIns: r.signIns, singleFactor: single, mfa: r.mfa, lastSingleFactor: Number.isFinite(last) ? last : undefined, sources: [...r.sources].sort(), privileged: ctx.user(account)?.privileged ?? ADMIN_NAME.test(accountName(account)) });
  }
  noMfa.sort((a, b) => Number(b.privileged) - Number(a.privileged) || b.singleFactor - a.singleFactor || a.account.localeCompare(b.account));

  const counts: SurfaceCounts = {
    exposedServices: exposedServices.length,
    exposedHosts: new Set(exposedServices.map((s) => s.ip)).size,
    missingTelemetry: missingTelemetry.length,
    staleAgents: staleAgents.length,
    privilegedAccounts: privilegedAccounts.length,
    privilegedOnWorkstations: privilegedAccounts.filter((p) => p.workstations > 0).length,
    noMfaAccounts: noMfa.length,
  };
  const snapshot = toSnapshot(to, counts, { exposedServices, missingTelemetry, staleAgents, privilegedAccounts, noMfa });
  const history = await loadSurfaceSnapshots(store);
  const prev = [...history].reverse().find((s) => s.day < snapshot.day);
  const notes: string[] = [];
  if (truncated) notes.push(`the scan stopped at ${maxEvents} events (newest first): older events in the window were not read`);
  if (ctx.assets.length === 0) notes.push('no asset inventory loaded: hosts missing telemetry cannot be listed and internal means private address space');
  if (ctx.identities.length === 0) notes.push('no identity directory loaded: privileged accounts are recognised by admin naming only');
  if (mfa.size === 0) notes.push('no sign-in logs (Entra ID / Okta) in the window: MFA cannot be assessed');
  if (!prev) notes.push('no earlier daily snapshot: deltas need `garrison report --save` (or POST /api/v1/metrics/surface/snapshots) on earlier days');
  return {
    generatedAt: Date.now(),
    window: { from, to, staleAfterMs },
    scanned,
    truncated,
    context: { assets: ctx.assets.length, identities: ctx.identities.length },
    counts,
    exposedServices: exposedServices.slice(0, MAX_ITEMS),
    missingTelemetry: missingTelemetry.slice(0, MAX_ITEMS),
    staleAgents: staleAgents.slice(0, MAX_ITEMS),
    privilegedAccounts: privilegedAccounts.slice(0, MAX_ITEMS),
    noMfa: noMfa.slice(0, MAX_ITEMS),
    delta: diffSnapshots(prev, snapshot),
    history: history.filter((s) => s.day !== snapshot.day).concat([snapshot]).slice(-90).map((s) => ({ day: s.day, counts: s.counts })),
    notes,
  };
}

// ------------------------------------------------------------------------------------ snapshots

function toSnapshot(at: number, counts: SurfaceCounts, r: Pick<SurfaceReport, 'exposedServices' | 'missingTelemetry' | 'staleAgents' | 'privilegedAccounts' | 'noMfa'>): SurfaceSnapshot {
  const cap = (xs: string[]) => [...new Set(xs)].sort().slice(0, MAX_ITEMS);
  return {
    day: dayOf(at),
    at,
    counts,
    items: {
      exposedServices: cap(r.exposedServices.map((s) => `${s.ip}:${s.port}${s.protocol ? '/' + s.protocol : ''}`)),
      exposedHosts: cap(r.exposedServices.map((s) => s.ip)),
      missingTelemetry: cap(r.missingTelemetry.map((m) => m.host)),
      staleAgents: cap(r.staleAgents.map((s) => `${s.host} ${s.family}`)),
      privilegedAccounts: cap(r.privilegedAccounts.map((p) => p.account)),
      privilegedOnWorkstations: cap(r.privilegedAccounts.filter((p) => p.workstations > 0).map((p) => p.account)),
      noMfaAccounts: cap(r.noMfa.map((m) => m.account)),
    },
  };
}

export function diffSnapshots(prev: SurfaceSnapshot | undefined, cur: SurfaceSnapshot): SurfaceDelta {
  if (!prev) return { counts: {}, added: {}, removed: {} };
  const d: SurfaceDelta = { previousDay: prev.day, counts: {}, added: {}, removed: {} };
  for (const k of Object.keys(cur.counts) as (keyof SurfaceCounts)[]) {
    d.counts[k] = cur.counts[k] - (prev.counts[k] ?? 0);
    const before = new Set(prev.items?.[k] ?? []);
    const now = new Set(cur.items[k]);
    d.added[k] = cur.items[k].filter((x) => !before.has(x));
    d.removed[k] = [...before].filter((x) => !now.has(x));
  }
  return d;
}

export async function loadSurfaceSnapshots(store: Store): Promise<SurfaceSnapshot[]> {
  const t = await store.getState(SURFACE_STATE_KEY);
  if (!t) return [];
  try {
    const x = JSON.parse(t) as unknown;
    return Array.isArray(x) ? (x as SurfaceSnapshot[]).filter((s) => s && typeof s.day === 'string' && typeof s.at === 'number' && s.counts && s.items).sort((a, b) => a.day.localeCompare(b.day)) : [];
  } catch {
    return [];
  }
}

/** Keeps the report as the snapshot of its day (one per UTC day: a later run that day replaces it). */
export async function saveSurfaceSnapshot(store: Store, r: SurfaceReport): Promise<SurfaceSnapshot> {
  const snap = toSnapshot(r.window.to, r.counts, r);
  const all = (await loadSurfaceSnapshots(store)).filter((s) => s.day !== snap.day);
  all.push(snap);
  all.sort((a, b) => a.day.localeCompare(b.day));
  await store.setState(SURFACE_STATE_KEY, JSON.stringify(all.slice(-MAX_SNAPSHOTS)));
  return snap;
}

// ------------------------------------------------------------------------------------ the report

export interface OutcomeReport {
  generatedAt: number;
  window: { from: number; to: number };
  surface: SurfaceReport;
  operations: SocMetrics;
  /** The alert view of the same saving: signals folded into incidents nobody had to handle. */
  alerts: { signals: number; triagedWithoutPerson: number; hoursSaved: number; assumption: string };
}

/** Signals in incidents created in the window, and those in incidents closed/contained with no analyst verdict. */
async function alertTriage(store: Store, from: number, to: number, tenant: string | undefined, minutesPerAlert: number): Promise<OutcomeReport['alerts']> {
  const recs = await store.listRecords<Incident>('incidents', { tenant, updatedSince: from, limit: 100_000 });
  let signals = 0;
  let auto = 0;
  for (const r of recs) {
    const i = r.doc;
    if (!i || i.mergedInto || !(i.createdAt >= from && i.createdAt < to)) continue;
    const n = Array.isArray(i.signalIds) ? i.signalIds.length : 0;
    signals += n;
    if ((i.status === 'closed' || i.status === 'contained') && !i.analystVerdict) auto += n;
  }
  return { signals, triagedWithoutPerson: auto, hoursSaved: Math.round(((auto * minutesPerAlert) / 60) * 10) / 10, assumption: `${minutesPerAlert} analyst minutes to triage one alert by hand` };
}

/** Attack surface and the operating figures over one window (the CLI `report` and the API). */
export async function outcomeReport(store: Store, opts: SurfaceOptions & { minutesPerIncident?: number; minutesPerAlert?: number; save?: boolean }): Promise<OutcomeReport> {
  const surface = await computeSurface(store, opts);
  if (opts.save) await saveSurfaceSnapshot(store, surface);
  const operations = await socMetrics(store, { from: opts.from, to: opts.to, tenant: opts.tenant, minutesPerIncident: opts.minutesPerIncident });
  const alerts = await alertTriage(store, opts.from, opts.to, opts.tenant, opts.minutesPerAlert ?? 5);
  return { generatedAt: Date.now(), window: { from: opts.from, to: opts.to }, surface, operations, alerts };
}

function fmtDur(ms?: number): string {
  if (ms === undefined) return '-';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

function signed(n: number | undefined): string {
  return n === undefined ? '' : n > 0 ? ` (+${n})` : n < 0 ? ` (${n})` : ' (=)';
}

/** Plain-text rendering (terminal). Event-derived strings are printed as data only. */
export function renderOutcomeText(r: OutcomeReport, limit = 20): string {
  const s = r.surface;
  const o = r.operations;
  const iso = (t: number) => new Date(t).toISOString();
  const clean = (x: string) => x.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const L: string[] = [];
  L.push(`Garrison outcome report ${iso(r.window.from)} .. ${iso(r.window.to)}`);
  L.push(`events scanned ${s.scanned}${s.truncated ? ' (truncated)' : ''}; context: ${s.context.assets} assets, ${s.context.identities} identities${s.delta.previousDay ? `; deltas vs ${s.delta.previousDay}` : ''}`);
  L.push('', 'ATTACK SURFACE');
  const c = s.counts;
  const dc = s.delta.counts;
  L.push(`  exposed services           ${c.exposedServices}${signed(dc.exposedServices)} on ${c.exposedHosts} hosts`);
  L.push(`  hosts missing telemetry    ${c.missingTelemetry}${signed(dc.missingTelemetry)}`);
  L.push(`  stale agents               ${c.staleAgents}${signed(dc.staleAgents)}`);
  L.push(`  privileged accounts        ${c.privilegedAccounts}${signed(dc.privilegedAccounts)} (${c.privilegedOnWorkstations} logging on to workstations)`);
  L.push(`  accounts without MFA       ${c.noMfaAccounts}${signed(dc.noMfaAccounts)}`);
  if (s.exposedServices.length) {
    L.push('', '  Exposed services (internal host accepting connections from external addresses):');
    for (const x of s.exposedServices.slice(0, limit)) L.push(`    ${clean(x.host)} ${x.ip}:${x.port}/${x.protocol ?? '?'}  ${x.connections} conns from ${x.sources} sources  [${x.seenBy.map(clean).join(', ')}]`);
  }
  if (s.missingTelemetry.length) L.push('', `  Hosts missing telemetry: ${s.missingTelemetry.slice(0, limit).map((m) => `${m.host} (${m.criticality})`).join(', ')}`);
  if (s.staleAgents.length) {
    L.push('', '  Stale agents:');
    for (const x of s.staleAgents.slice(0, limit)) L.push(`    ${clean(x.host)} ${clean(x.family)} last ${iso(x.lastSeen)}`);
  }
  if (s.privilegedAccounts.length) {
    L.push('', '  Privileged accounts and where they log on:');
    for (const p of s.privilegedAccounts.slice(0, limit)) L.push(`    ${clean(p.account)} [${p.reason}] ${p.logons} logons on ${p.hosts.length} hosts: ${p.hosts.slice(0, 8).map((h) => `${clean(h.host)}${h.role ? `(${h.role})` : ''}`).join(', ')}`);
  }
  if (s.noMfa.length) {
    L.push('', '  Accounts signing in without MFA:');
    for (const m of s.noMfa.slice(0, limit)) L.push(`    ${clean(m.account)}${m.privileged ? ' [privileged]' : ''} ${m.singleFactor} single-factor sign-ins (${m.mfa} with MFA) via ${m.sources.join(', ')}`);
  }
  L.push('', 'OPERATIONS');
  L.push(`  incidents                  ${o.incidents.total} (${Object.entries(o.incidents.byStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`);
  L.push(`  mean time to detect        ${fmtDur(o.timeToDetect.meanMs)} (n=${o.timeToDetect.n})`);
  L.push(`  mean time to investigate   ${fmtDur(o.timeToInvestigate.meanMs)} (n=${o.timeToInvestigate.n})`);
  L.push(`  mean time to contain       ${fmtDur(o.timeToContain.meanMs)} (n=${o.timeToContain.n})`);
  L.push(`  mean time to resolve       ${fmtDur(o.timeToResolve.meanMs)} (n=${o.timeToResolve.n})`);
  L.push(`  resolved without a person  ${o.resolvedWithoutPerson.count}${o.resolvedWithoutPerson.share !== undefined ? ` (${Math.round(o.resolvedWithoutPerson.share * 100)}%)` : ''}`);
  L.push(`  analyst hours saved        ${o.analystHoursSaved.hours} (assumption: ${o.analystHoursSaved.assumption})`);
  L.push(`  alerts triaged w/o person  ${r.alerts.triagedWithoutPerson} of ${r.alerts.signals} = ${r.alerts.hoursSaved} h (assumption: ${r.alerts.assumption})`);
  if (o.coverage.perWeek.length) {
    L.push('  coverage gaps per week:');
    for (const w of o.coverage.perWeek) L.push(`    ${w.week}: closed ${w.closed}, opened ${w.opened}, covered ${w.covered}`);
  }
  const notes = [...s.notes, ...o.notes];
  if (notes.length) L.push('', 'NOTES', ...notes.map((n) => `  - ${n}`));
  return L.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------ the service

/** Query-style options of the API and the CLI. */
export interface SurfaceQuery {
  /** Start (ISO 8601, ms epoch, -7d); default `to` minus `window`. */
  from?: string;
  /** End; default now. */
  to?: string;
  /** Window length when `from` is not given (default 7d). */
  window?: string;
  staleAfter?: string;
  tenant?: string;
  minutesPerIncident?: number;
  /** Analyst minutes to triage one alert by hand (default 5). */
  minutesPerAlert?: number;
}

/** What the route and the CLI call: resolves the window and the context, then computes. */
export class SurfaceService {
  private ctx?: ContextIndex;
  constructor(
    readonly store: Store,
    readonly opts: { context?: ContextIndex | (() => ContextIndex); now?: () => number; maxEvents?: number } = {},
  ) {}

  context(): ContextIndex {
    if (!this.ctx) {
      const c = this.opts.context;
      this.ctx = typeof c === 'function' ? c() : (c ?? ContextIndex.empty());
    }
    return this.ctx;
  }

  resolve(q: SurfaceQuery): SurfaceOptions & { minutesPerIncident?: number; minutesPerAlert?: number } {
    const to = q.to ? parseTime(q.to, 'to') : (this.opts.now ?? Date.now)();
    const from = q.from ? parseTime(q.from, 'from') : to - (q.window ? parseDuration(q.window, 'window') : 7 * DAY);
    if (from >= to) throw new GarrisonError('COVERAGE_OPTION_INVALID', `'from' (${new Date(from).toISOString()}) must be before 'to' (${new Date(to).toISOString()})`, { location: { field: 'from' } });
    const m = q.minutesPerIncident;
    if (m !== undefined && (!Number.isFinite(m) || m < 0 || m > 10_000)) throw new GarrisonError('COVERAGE_OPTION_INVALID', `minutesPerIncident must be between 0 and 10000, got ${m}`, { location: { field: 'minutesPerIncident' } });
    const a = q.minutesPerAlert;
    if (a !== undefined && (!Number.isFinite(a) || a < 0 || a > 10_000)) throw new GarrisonError('COVERAGE_OPTION_INVALID', `minutesPerAlert must be between 0 and 10000, got ${a}`, { location: { field: 'minutesPerAlert' } });
    return { from, to, tenant: q.tenant, context: this.context(), staleAfterMs: q.staleAfter ? parseDuration(q.staleAfter, 'staleAfter') : undefined, maxEvents: this.opts.maxEvents, minutesPerIncident: m, minutesPerAlert: a };
  }

  surface(q: SurfaceQuery = {}): Promise<SurfaceReport> {
    return computeSurface(this.store, this.resolve(q));
  }

  report(q: SurfaceQuery & { save?: boolean } = {}): Promise<OutcomeReport> {
    return outcomeReport(this.store, { ...this.resolve(q), save: q.save });
  }

  async snapshot(q: SurfaceQuery = {}): Promise<{ snapshot: SurfaceSnapshot; delta: SurfaceDelta }> {
    const r = await this.surface(q);
    return { snapshot: await saveSurfaceSnapshot(this.store, r), delta: r.delta };
  }
}
