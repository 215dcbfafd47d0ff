/**
 * A signal's correlation keys: the entities it names, resolved through the identity graph
 * (IP → host at the signal's time, aliases → person, process → ancestors, logon id → source host
 * of a remote session). Keys are strings `kind:value`; host-scoped ones carry the host
 * (`process:ws01|{guid}`, `logon:ws01|0x3e7f1`).
 */
import type { EventEntities, GarrisonEvent } from '../core/event.js';
import type { EntityKind } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import type { CorrelationConfig, KeyKind } from './config.js';
import type { ContextIndex } from './context.js';
import { type IdentityGraph, isAccountSid, SYSTEM_LOGON_IDS } from './identity.js';
import { clean, isPrivateIp, looksLikeIp, shortHost } from './util.js';

export interface SigKey {
  key: string;
  kind: KeyKind;
  /** The incident entity this key shows as (processes and logons show as their host's context). */
  entity?: { kind: EntityKind; value: string; display?: string; role?: string };
}

/** Processes that parent everything (their descendants are not related through them). */
const HUB_IMAGES = new Set(['services.exe', 'svchost.exe', 'wmiprvse.exe', 'explorer.exe', 'userinit.exe', 'winlogon.exe', 'wininit.exe', 'smss.exe', 'csrss.exe', 'lsass.exe', 'system', 'taskeng.exe', 'taskhostw.exe', 'sihost.exe', 'runtimebroker.exe', 'systemd', 'init', 'sshd', 'cron', 'launchd']);

export function isHubImage(image: string | undefined): boolean {
  if (!image) return false;
  const i = Math.max(image.lastIndexOf('\\'), image.lastIndexOf('/'));
  return HUB_IMAGES.has(image.slice(i + 1).toLowerCase());
}

const GROUPBY_HOST = new Set(['computer', 'computername', 'hostname', 'host', 'host.name', 'workstationname', 'dvchost']);
const GROUPBY_USER_HINT = ['user', 'upn', 'principal', 'account', 'identity'];

/** Host of a signal as the correlation key uses it (short name), unless it is a bare IP. */
export function signalHost(s: Signal): string | undefined {
  const h = typeof s.entities?.host === 'string' ? shortHost(s.entities.host) : undefined;
  return h && !looksLikeIp(h) ? h : undefined;
}

const EVIDENCE_FIELDS = ['host', 'user', 'srcIp', 'dstIp', 'domain', 'url', 'logonId', 'targetUser'] as const;
/** Fields filled from evidence events when the signal lacks them and every evidence event naming them agrees. */
const FILL_FIELDS = ['user', 'srcIp', 'dstIp', 'domain'] as const;
const SENSOR_FORMATS = new Set(['zeek', 'cef', 'proxy']);

/**
 * True when a signal names so few entities (a baseline anomaly on one host or account, a
 * correlation rule's group-by) that its evidence events are worth reading (config `evidenceLookups`).
 */
export function wantsEvidence(s: Signal): boolean {
  if (!Array.isArray(s.eventIds) || s.eventIds.length === 0) return false;
  const e = s.entities ?? {};
  let n = 0;
  for (const f of EVIDENCE_FIELDS) if (typeof e[f] === 'string' && e[f]) n++;
  if (e.process?.guid) n++;
  if (e.file?.path) n++;
  return n < 3;
}

/** The signal's entities, completed with what all its evidence events agree on (fields it lacks only). */
function withEvidence(e: EventEntities, evidence: readonly GarrisonEvent[]): EventEntities {
  const out: EventEntities = { ...e };
  for (const f of FILL_FIELDS) {
    if (typeof e[f] === 'string' && e[f]) continue;
    let v: string | undefined;
    let agree = true;
    for (const ev of evidence) {
      const x = ev.entities?.[f];
      if (typeof x !== 'string' || !x) continue;
      if (v === undefined) v = x;
      else if (x.toLowerCase() !== v.toLowerCase()) agree = false;
    }
    if (v !== undefined && agree) {
      out[f] = v;
      if (f === 'user') {
        const doms = new Set(evidence.map((ev) => ev.entities?.userDomain).filter((d): d is string => typeof d === 'string'));
        if (doms.size === 1 && !e.userDomain) out.userDomain = [...doms][0];
      }
    }
  }
  return out;
}

export function extractKeys(s: Signal, graph: IdentityGraph, ctx: ContextIndex, cfg: CorrelationConfig, evidence?: readonly GarrisonEvent[]): SigKey[] {
  const out = new Map<string, SigKey>();
  const add = (k: SigKey): void => {
    if (out.size < cfg.limits.maxKeysPerSignal && !out.has(k.key)) out.set(k.key, k);
  };
  const e = evidence?.length ? withEvidence(s.entities ?? {}, evidence) : s.entities ?? {};
  const t = s.time;
  const str = (v: unknown, max = 256): string | undefined => (typeof v === 'string' && v.trim() ? clean(v, max) : undefined);
  const ignoredHosts = new Set(cfg.ignore.hosts.map((h) => shortHost(h)));
  const addHost = (h: string | undefined, display: string | undefined, role?: string): void => {
    if (!h || ignoredHosts.has(h)) return;
    add({ key: `host:${h}`, kind: 'host', entity: { kind: 'host', value: h, display: display ?? ctx.host(h)?.name, role } });
  };
  let host = signalHost(s);
  const hostDisplay = str(e.host);
  if (host && graph.sensors.has(host) && !ctx.host(host)) host = undefined;
  // A "host" that is an outside service's name (login.microsoftonline.com for a cloud sign-in
  // anomaly) is not a machine of ours: keep it as a domain.
  if (host && hostDisplay && !ctx.host(hostDisplay) && ctx.isExternalName(hostDisplay)) {
    const d = hostDisplay.toLowerCase().replace(/\.$/, '');
    if (!cfg.ignore.domains.includes(d)) add({ key: `domain:${d}`, kind: 'domain', entity: { kind: 'domain', value: d, role: 'service' } });
    host = undefined;
  }
  if (host) addHost(host, ctx.host(host)?.name ?? hostDisplay?.split('.')[0], 'affected');

  // Accounts.
  const addUser = (user: string | undefined, domain?: string, sid?: string, role = 'actor'): void => {
    const p = graph.person(user, { domain, sid, host });
    if (!p || cfg.ignore.users.some((u) => u.toLowerCase() === p)) return;
    const d = user ? clean(domain ? `${domain}\\${user}` : user, 320) : p;
    add({ key: `user:${p}`, kind: 'user', entity: { kind: 'user', value: p, display: d, role } });
  };
  addUser(str(e.user, 320), str(e.userDomain), str(e.userSid));
  if (e.process?.user && !e.user) addUser(str(e.process.user, 320));
  if (isAccountSid(e.targetSid) && str(e.targetUser)) addUser(str(e.targetUser, 320), str(e.targetDomain), e.targetSid, 'target');

  // Processes and lineage.
  if (host) {
    const guids = [e.process?.guid, e.process?.parent?.guid].filter((g): g is string => typeof g === 'string' && g.length > 2 && g.length < 128);
    let logonFromProc: string | undefined;
    for (const g of guids) {
      const pk = graph.procKey(host, g);
      add({ key: `process:${pk}`, kind: 'process' });
      logonFromProc ??= graph.procs.peek(pk)?.logonId;
      for (const a of graph.ancestors(host, g, cfg.limits.maxLineageDepth, isHubImage)) {
        add({ key: `process:${a}`, kind: 'process' });
        logonFromProc ??= graph.procs.peek(a)?.logonId;
      }
    }
    // Logon session: links to the source host of a remote logon.
    const lid = typeof e.logonId === 'string' && e.logonId.length < 40 ? e.logonId.toLowerCase() : logonFromProc;
    if (lid && !SYSTEM_LOGON_IDS.has(lid)) {
      add({ key: `logon:${host}|${lid}`, kind: 'logon' });
      const sess = graph.session(host, lid, t);
      if (sess?.srcHost && sess.srcHost !== host) addHost(sess.srcHost, ctx.host(sess.srcHost)?.name, 'source');
      if (sess?.user) add({ key: `user:${sess.user}`, kind: 'user', entity: { kind: 'user', value: sess.user, role: 'actor' } });
    }
  }

  // Addresses: internal ones resolve to the host holding them at the signal's time.
  const addIp = (ip: string | undefined, role: string): void => {
    if (!ip || !looksLikeIp(ip)) return;
    const l = ip.toLowerCase();
    if (cfg.ignore.ips.includes(l)) return;
    if (isPrivateIp(l)) {
      const h = graph.hostAt(l, t);
      if (h) {
        if (h !== host) addHost(h, ctx.host(h)?.name, role);
        return;
      }
    } else {
      const a = ctx.hostByIp(l);
      if (a) {
        addHost(a.key, a.name, role);
        return;
      }
    }
    add({ key: `ip:${l}`, kind: 'ip', entity: { kind: 'ip', value: l, role } });
  };
  addIp(str(e.srcIp, 64), 'source');
  addIp(str(e.dstIp, 64), 'destination');
  if (!host && typeof e.hostIp === 'string') addIp(str(e.hostIp, 64), 'affected');
  // Detectors that only know an address put it in `host` (a volume anomaly "bytes out by host
  // 10.20.0.24"): it is the machine holding that address at the signal's time.
  if (!host && hostDisplay && looksLikeIp(hostDisplay)) addIp(hostDisplay, 'affected');

  // Correlation-rule group-by values (e.g. callerIpAddress) name entities the generic fields miss.
  const gb = (s.details as { groupBy?: unknown } | undefined)?.groupBy;
  if (gb && typeof gb === 'object' && !Array.isArray(gb)) {
    for (const [field, v] of Object.entries(gb as Record<string, unknown>).slice(0, 8)) {
      const val = str(v, 320);
      if (!val) continue;
      const f = field.toLowerCase();
      if (looksLikeIp(val)) addIp(val, 'source');
      else if (GROUPBY_HOST.has(f)) addHost(shortHost(val), val);
      else if (GROUPBY_USER_HINT.some((h) => f.includes(h))) addUser(val);
    }
  }

  // Network indicators.
  const dom = str(e.domain);
  if (dom && looksLikeIp(dom)) addIp(dom, 'destination');
  else if (dom) {
    const d = dom.toLowerCase().replace(/\.$/, '');
    const internal = ctx.host(d);
    if (internal) addHost(internal.key, internal.name, 'destination');
    else if (!cfg.ignore.domains.includes(d)) add({ key: `domain:${d}`, kind: 'domain', entity: { kind: 'domain', value: d } });
  }
  const url = str(e.url, 1024);
  if (url) add({ key: `url:${url.toLowerCase()}`, kind: 'url', entity: { kind: 'url', value: url } });
  // File hashes always; a process image's hash only outside the system folders (system binaries are everywhere).
  const img = typeof e.process?.image === 'string' ? e.process.image.toLowerCase() : '';
  const systemImage = img.startsWith('c:\\windows\\') || img.startsWith('c:\\program files') || img.startsWith('/usr/') || img.startsWith('/bin/') || img.startsWith('/sbin/');
  const hashes = e.file?.hashes ?? (systemImage ? undefined : e.process?.hashes);
  const h = hashes?.sha256 ?? hashes?.sha1 ?? hashes?.md5;
  if (typeof h === 'string' && /^[0-9a-f]{32,64}$/i.test(h)) add({ key: `hash:${h.toLowerCase()}`, kind: 'hash', entity: { kind: 'hash', value: h.toLowerCase() } });
  const fp = str(e.file?.path, 512);
  if (fp && host) add({ key: `file:${host}|${fp.toLowerCase()}`, kind: 'file', entity: { kind: 'file', value: fp } });

  // Egress resolution: the signal is about a proxy's or gateway's own connections (a volume
  // anomaly on the proxy); the internal client behind each is the one host that talked to that
  // destination around then.
  if (evidence?.length && ![...out.values()].some((k) => k.kind === 'host' && !graph.isHubHost(k.key.slice(5)))) {
    const clients = new Set<string>();
    for (const ev of evidence) {
      const x = ev.entities ?? {};
      const src = typeof x.srcIp === 'string' && isPrivateIp(x.srcIp) ? graph.hostAt(x.srcIp, ev.time) : undefined;
      const own = !SENSOR_FORMATS.has(ev.source?.format) ? shortHost(typeof x.host === 'string' ? x.host : undefined) : undefined;
      const from = src ?? own;
      if (!from || !graph.isHubHost(from)) continue;
      const dst = typeof x.dstIp === 'string' && looksLikeIp(x.dstIp) && !isPrivateIp(x.dstIp) ? `ip:${x.dstIp.toLowerCase()}` : undefined;
      if (!dst || graph.isUbiquitous(dst)) continue;
      const who = graph.clientsOf(dst, ev.time);
      if (who.length === 1) clients.add(who[0]);
    }
    if (clients.size === 1) for (const h of clients) addHost(h, ctx.host(h)?.name, 'source');
  }
  return [...out.values()];
}
