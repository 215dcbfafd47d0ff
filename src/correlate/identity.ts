/**
 * The identity graph: what correlation knows about who and what is behind a signal's entities,
 * learned over time from events (and the context files):
 *
 *  - IP → host with time validity (leases): a host reporting its own address, the workstation
 *    name of a network logon, a DHCP acknowledgement, a DNS answer for an internal name, the
 *    inventory. When an address moves to another host the earlier lease ends there, so a signal
 *    naming the address resolves to the host that held it *at the signal's time*.
 *  - account aliases → one person: DOMAIN\name, name@upn, SIDs, cloud identities.
 *  - process lineage: process GUID → parent GUID, image, logon id.
 *  - logon sessions: (host, logon id) → account, logon type, source address and source host:
 *    the logon id of a network logon links child processes on the target to the source host.
 *  - popularity: how many distinct hosts talk to an external IP or domain (ubiquity).
 *
 * Every map is a bounded LRU (config `limits.maxIdentityEntries` each); evicted knowledge is
 * simply forgotten (a later signal may then fail to link, never link wrongly).
 */
import type { GarrisonEvent } from '../core/event.js';
import type { CorrelationConfig } from './config.js';
import { accountName, type ContextIndex } from './context.js';
import { clean, isPrivateIp, looksLikeIp, Lru, shortHost } from './util.js';

export interface Lease {
  host: string;
  from: number;
  last: number;
  source: 'self' | 'logon' | 'dhcp' | 'dns' | 'api';
}

export interface ProcInfo {
  parent?: string;
  image?: string;
  logonId?: string;
  time: number;
}

export interface LogonSession {
  user?: string;
  type?: number;
  srcIp?: string;
  /** Host the logon came from (workstation name, or the source address resolved at logon time). */
  srcHost?: string;
  time: number;
  /** Logoff time (4634 / 4647), when seen. */
  end?: number;
}

const INTERACTIVE_LOGON_TYPES = new Set([2, 10, 11, 12]);

/** Formats written by network sensors: their `host` names the sensor, not the machine talking. */
const SENSOR_FORMATS = new Set(['zeek', 'cef', 'proxy']);
/** Logon ids of the machine's own sessions (SYSTEM, LOCAL SERVICE, NETWORK SERVICE) and none. */
export const SYSTEM_LOGON_IDS = new Set(['0x0', '0x3e7', '0x3e4', '0x3e5']);
/** Accounts that are not people (lower-case account names). */
const NON_PERSON = new Set(['system', 'localsystem', 'local system', 'local service', 'localservice', 'network service', 'networkservice', 'anonymous logon', 'anonymous', '-', 'nobody', 'root', 'trustedinstaller', 'administrators', 'users', 'guests']);
const SLACK = 60_000;
const MAX_LEASES_PER_IP = 8;

/** True when the account is a machine or built-in account (never identifies a person). */
export function isNonPerson(name: string | undefined, sid?: string): boolean {
  if (!name) return true;
  const n = accountName(name);
  if (!n || n.endsWith('$') || NON_PERSON.has(n) || n.startsWith('dwm-') || n.startsWith('umfd-')) return true;
  if (sid && /^S-1-5-(18|19|20|32-\d+)$/i.test(sid)) return true;
  return false;
}

/** True for SIDs that name one real account (domain or local, not well-known). */
export function isAccountSid(sid: string | undefined): sid is string {
  return !!sid && sid.length < 200 && /^S-1-5-21-\d+-\d+-\d+-\d+$/i.test(sid);
}

/** An internal host that talked to an outside destination, first and last time (egress resolution). */
export interface Talker {
  host: string;
  first: number;
  last: number;
}

export class IdentityGraph {
  readonly leases: Lru<string, Lease[]>;
  /** Outside destination (`ip:…`, `domain:…`) → internal non-hub hosts that talked to it recently. */
  readonly talkers: Lru<string, Talker[]>;
  readonly aliases: Lru<string, string>;
  readonly procs: Lru<string, ProcInfo>;
  readonly logons: Lru<string, LogonSession>;
  readonly popularity: Lru<string, Set<string>>;
  /** Names of network sensors (Zeek, proxies, CEF devices): a signal's `host` naming one is not the machine involved. */
  readonly sensors: Lru<string, true>;

  constructor(
    private readonly cfg: CorrelationConfig,
    private readonly context: ContextIndex,
  ) {
    const n = cfg.limits.maxIdentityEntries;
    this.leases = new Lru(n);
    this.aliases = new Lru(n);
    this.procs = new Lru(n);
    this.logons = new Lru(n);
    this.popularity = new Lru(n);
    this.sensors = new Lru(Math.min(n, 10_000));
    this.talkers = new Lru(n);
    this.hubRoles = new Set(cfg.hubRoles.map((r) => r.toLowerCase()));
  }

  private readonly hubRoles: ReadonlySet<string>;

  /** True when the host is a hub of the inventory (proxy, gateway, DNS, domain controller ...). */
  isHubHost(host: string): boolean {
    const a = this.context.host(host);
    return !!a && this.context.isHub(a, this.hubRoles);
  }

  /** Total entries held (for stats and the bounded-state test). */
  get size(): number {
    return this.leases.size + this.aliases.size + this.procs.size + this.logons.size + this.popularity.size + this.sensors.size + this.talkers.size;
  }

  // ------------------------------------------------------------------------------ IP → host

  observeLease(ipIn: string, hostIn: string, time: number, source: Lease['source']): void {
    const ip = ipIn.trim().toLowerCase();
    const host = shortHost(hostIn);
    if (!host || !looksLikeIp(ip) || looksLikeIp(host) || !Number.isFinite(time)) return;
    let list = this.leases.get(ip);
    if (!list) {
      list = [];
      this.leases.set(ip, list);
    }
    // The lease of this host that covers `time`, else a new one.
    let mine: Lease | undefined;
    for (const l of list) if (l.host === host && time >= l.from - this.cfg.leaseMs && time <= l.last + this.cfg.leaseMs) mine = l;
    if (mine) {
      // Another host's lease starting in between splits them: only extend when none does.
      const between = list.some((l) => l.host !== host && l.from > Math.min(mine!.last, time) && l.from < Math.max(mine!.from, time));
      if (!between) {
        mine.from = Math.min(mine.from, time);
        mine.last = Math.max(mine.last, time);
        return;
      }
    }
    list.push({ host, from: time, last: time, source });
    list.sort((a, b) => a.from - b.from || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    if (list.length > MAX_LEASES_PER_IP) list.splice(0, list.length - MAX_LEASES_PER_IP);
  }

  /** The host holding `ip` at `time`, from observed leases, else the inventory. */
  hostAt(ipIn: string, time: number): string | undefined {
    const ip = ipIn.trim().toLowerCase();
    const list = this.leases.peek(ip);
    if (list) {
      let best: Lease | undefined;
      for (const l of list) {
        if (l.from - SLACK > time) break;
        best = l;
      }
      // The latest lease that started before `time` and is still valid at `time`.
      if (best && time <= best.last + this.cfg.leaseMs) return best.host;
      // Evidence that arrives slightly after the signal: a lease starting within the slack.
      if (best === undefined && list[0] && list[0].from - SLACK <= time) return list[0].host;
      // The address was seen but that lease has expired: do not guess from leases; a static
      // address of the inventory still holds (servers keep theirs).
      if (best) {
        const a = this.context.hostByIp(ip);
        return a && a.key === best.host ? a.key : undefined;
      }
    }
    const a = this.context.hostByIp(ip);
    return a?.key;
  }

  // ------------------------------------------------------------------------------ accounts

  /** Links an alias (SID, UPN, cloud id, DOMAIN\\name) to a person key. */
  observeAlias(alias: string, person: string): void {
    const a = alias.trim().toLowerCase();
    if (!a || a.length > 320 || !person) return;
    this.aliases.set(a, person);
  }

  /**
   * The person behind an account reference, or undefined for machine/built-in accounts.
   * Local accounts (domain = the host's own name) stay separate per host.
   */
  person(user: string | undefined, opts: { domain?: string; sid?: string; host?: string } = {}): string | undefined {
    const sidPerson = isAccountSid(opts.sid) ? this.aliases.peek(opts.sid.toLowerCase()) ?? this.context.user(opts.sid)?.key : undefined;
    if (!user) return sidPerson;
    // Sysmon reports its own service SID (S-1-5-18) beside the real user name: judge by the name.
    if (isNonPerson(user)) return sidPerson;
    const raw = clean(user, 320);
    const dir = this.context.user(opts.domain ? `${opts.domain}\\${accountName(raw)}` : raw) ?? this.context.user(raw);
    if (dir) return dir.key;
    const aliased = this.aliases.peek(raw.toLowerCase());
    if (aliased) return aliased;
    if (sidPerson) return sidPerson;
    const name = accountName(raw);
    const dom = opts.domain?.trim().toLowerCase();
    if (dom && opts.host && shortHost(dom) === shortHost(opts.host)) return `${shortHost(opts.host)}\\${name}`;
    return name || undefined;
  }

  // ------------------------------------------------------------------------------ processes

  procKey(host: string, guid: string): string {
    return `${host}|${guid.trim().toLowerCase()}`;
  }

  /** Ancestors of a process (keys), nearest first, stopping at hub processes and after `depth`. */
  ancestors(host: string, guid: string, depth: number, isHub: (image: string | undefined) => boolean): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    let cur = this.procs.peek(this.procKey(host, guid));
    while (cur?.parent && out.length < depth && !seen.has(cur.parent)) {
      seen.add(cur.parent);
      const p = this.procs.peek(cur.parent);
      if (p && isHub(p.image)) break;
      out.push(cur.parent);
      cur = p;
    }
    return out;
  }

  // ------------------------------------------------------------------------------ popularity

  /** Records that `host` talked to `key` (an external IP or domain); returns the distinct-host count (capped). */
  touchPopularity(key: string, host: string): number {
    let s = this.popularity.get(key);
    if (!s) {
      s = new Set();
      this.popularity.set(key, s);
    }
    if (s.size < this.cfg.rarity.ubiquitousHosts) s.add(host);
    return s.size;
  }

  isUbiquitous(key: string): boolean {
    return (this.popularity.peek(key)?.size ?? 0) >= this.cfg.rarity.ubiquitousHosts;
  }

  // ------------------------------------------------------------------------------ sessions

  /**
   * The logon session `lid` on `host` as it stood at `time`: started before it (a minute of
   * slack), not logged off, and not older than the session lifetime (config `sessionMs`, longer
   * for interactive and RDP logons). Logon ids are reused after a reboot: a week-old network
   * logon that happened to get the same id is not the session of today's processes.
   */
  session(host: string, lid: string, time: number): LogonSession | undefined {
    const s = this.logons.peek(`${host}|${lid}`);
    if (!s || !Number.isFinite(time)) return s;
    if (s.time - SLACK > time) return undefined;
    if (s.end !== undefined && time > s.end + SLACK) return undefined;
    const life = typeof s.type === 'number' && INTERACTIVE_LOGON_TYPES.has(s.type) ? this.cfg.interactiveSessionMs : this.cfg.sessionMs;
    return time - s.time <= life ? s : undefined;
  }

  // ------------------------------------------------------------------------------ egress

  /** Records that internal `host` talked to an outside destination `key` at `time`. */
  observeTalker(key: string, host: string, time: number): void {
    if (!Number.isFinite(time) || looksLikeIp(host) || this.isHubHost(host)) return;
    let list = this.talkers.get(key);
    if (!list) {
      list = [];
      this.talkers.set(key, list);
    }
    const mine = list.find((x) => x.host === host);
    if (mine) {
      mine.first = Math.min(mine.first, time);
      mine.last = Math.max(mine.last, time);
      return;
    }
    list.push({ host, first: time, last: time });
    if (list.length > this.cfg.limits.maxTalkersPerDestination) {
      // Forget the one heard from longest ago.
      let oi = 0;
      for (let i = 1; i < list.length; i++) if (list[i].last < list[oi].last) oi = i;
      list.splice(oi, 1);
    }
  }

  /**
   * The internal hosts behind a hub's connection to an outside destination at `time`: those that
   * talked to it within `egressMs` (config). Several hosts, or none, leave it unattributed.
   */
  clientsOf(key: string, time: number): string[] {
    const list = this.talkers.peek(key);
    if (!list) return [];
    const w = this.cfg.egressMs;
    return list.filter((x) => x.first - w <= time && x.last + w >= time).map((x) => x.host);
  }

  // ------------------------------------------------------------------------------ events

  /** Learns from one stored event. Cheap for events that carry nothing of interest. */
  observeEvent(ev: GarrisonEvent): void {
    const e = ev.entities;
    if (!e) return;
    const t = ev.time;
    const sensor = SENSOR_FORMATS.has(ev.source?.format);
    const named = shortHost(typeof e.host === 'string' ? e.host : undefined);
    if (sensor && named && !this.sensors.has(named)) this.sensors.set(named, true);
    const host = sensor ? undefined : named;
    const f = ev.fields ?? {};
    if (host && typeof e.hostIp === 'string') this.observeLease(e.hostIp, host, t, 'self');
    const code = ev.source?.eventCode;
    const windows = ev.source?.product === 'windows' || ev.source?.format === 'winlog' || ev.source?.format === 'evtx';
    // Aliases: a real account SID (or cloud id) next to an account name.
    if (isAccountSid(e.userSid) && e.user && !isNonPerson(e.user)) {
      const p = this.person(e.user, { domain: e.userDomain, host });
      if (p) this.observeAlias(e.userSid, p);
    }
    if (isAccountSid(e.targetSid) && e.targetUser && !isNonPerson(e.targetUser)) {
      const p = this.person(e.targetUser, { domain: e.targetDomain, host });
      if (p) this.observeAlias(e.targetSid, p);
    }
    if (ev.source?.format === 'signin') {
      const props = (f as { properties?: Record<string, unknown> }).properties;
      const upn = typeof props?.userPrincipalName === 'string' ? props.userPrincipalName : undefined;
      const oid = typeof props?.userId === 'string' ? props.userId : undefined;
      if (upn && oid && !/^0{8}-/.test(oid)) {
        const p = this.person(upn);
        if (p) this.observeAlias(oid, p);
      }
    }
    if (windows && host) {
      // Logon sessions (4624): the target logon id, account, type and where it came from.
      if ((code === '4624' || code === '4625') && typeof e.logonId === 'string' && !SYSTEM_LOGON_IDS.has(e.logonId)) {
        const ws = typeof f.WorkstationName === 'string' ? f.WorkstationName.trim() : undefined;
        const wsHost = ws && ws !== '-' && !looksLikeIp(ws) ? shortHost(ws) : undefined;
        const src = typeof e.srcIp === 'string' && looksLikeIp(e.srcIp) && e.srcIp !== '127.0.0.1' && e.srcIp !== '::1' ? e.srcIp : undefined;
        if (src && wsHost && wsHost !== host && isPrivateIp(src)) this.observeLease(src, wsHost, t, 'logon');
        const srcHost = wsHost ?? (src ? this.hostAt(src, t) : undefined);
        if (code === '4624') {
          this.logons.set(`${host}|${e.logonId.toLowerCase()}`, {
            user: this.person(e.targetUser ?? e.user, { domain: e.targetDomain ?? e.userDomain, sid: e.targetSid, host }),
            type: e.logonType,
            srcIp: src,
            srcHost: srcHost && srcHost !== host ? srcHost : undefined,
            time: t,
          });
        }
      }
      // Logoff (4634, 4647): the session ends.
      if ((code === '4634' || code === '4647') && typeof e.logonId === 'string') {
        const s = this.logons.peek(`${host}|${e.logonId.toLowerCase()}`);
        if (s && t >= s.time) s.end = t;
      }
      // Process lineage (Sysmon 1).
      const p = e.process;
      const ph = p?.hashes?.sha256 ?? p?.hashes?.sha1 ?? p?.hashes?.md5;
      if (typeof ph === 'string' && ph.length <= 64) this.touchPopularity(`hash:${ph.toLowerCase()}`, host);
      if (p?.guid && p.parent?.guid && (code === '1' || ev.class?.name === 'process_activity')) {
        this.procs.set(this.procKey(host, p.guid), { parent: this.procKey(host, p.parent.guid), image: typeof p.image === 'string' ? p.image.slice(0, 512) : undefined, logonId: typeof e.logonId === 'string' ? e.logonId : undefined, time: t });
        if (!this.procs.has(this.procKey(host, p.parent.guid)) && p.parent.image) {
          this.procs.set(this.procKey(host, p.parent.guid), { image: p.parent.image.slice(0, 512), time: t });
        }
      }
    }
    // DHCP acknowledgements (ISC dhcpd syslog: "DHCPACK on 10.0.0.5 to aa:bb:.. (name) via eth0").
    if (typeof ev.raw === 'string' && ev.raw.length < 4096) {
      const i = ev.raw.indexOf('DHCPACK on ');
      if (i >= 0) {
        const rest = ev.raw.slice(i + 11).split(/\s+/, 4);
        const name = rest[3]?.startsWith('(') ? rest[3].replace(/^\(|\)$/g, '') : undefined;
        if (rest[0] && looksLikeIp(rest[0]) && name) this.observeLease(rest[0], name, t, 'dhcp');
      }
    }
    // DNS answers for internal names (Zeek dns.log `answers`).
    if (ev.class?.name === 'dns_activity' && typeof e.domain === 'string' && Array.isArray(f.answers)) {
      const name = shortHost(e.domain);
      const known = name ? this.context.host(e.domain) ?? this.context.host(name) : undefined;
      if (name && known) for (const a of f.answers.slice(0, 8)) if (typeof a === 'string' && looksLikeIp(a) && isPrivateIp(a)) this.observeLease(a, known.key, t, 'dns');
    }
    // Popularity of accounts (distinct hosts they appear on) and of outside destinations (distinct hosts talking to them).
    if (host && typeof e.user === 'string' && e.user.length < 320 && !isNonPerson(e.user)) {
      const p = this.person(e.user, { domain: e.userDomain, host });
      if (p) this.touchPopularity(`user:${p}`, host);
    }
    // Popularity of external destinations: distinct internal hosts talking to them.
    const talker = host ?? (typeof e.srcIp === 'string' && isPrivateIp(e.srcIp) ? this.hostAt(e.srcIp, t) ?? e.srcIp : undefined);
    if (talker) {
      const dstIp = typeof e.dstIp === 'string' && looksLikeIp(e.dstIp) && !isPrivateIp(e.dstIp) ? `ip:${e.dstIp.toLowerCase()}` : undefined;
      const dom = typeof e.domain === 'string' && e.domain.length < 256 && !looksLikeIp(e.domain) ? `domain:${e.domain.toLowerCase().replace(/\.$/, '')}` : undefined;
      if (dstIp) this.touchPopularity(dstIp, talker);
      if (dom) this.touchPopularity(dom, talker);
      // Who is behind the proxy's / gateway's own connection to that destination (egress resolution).
      if (dstIp && !this.isUbiquitous(dstIp)) this.observeTalker(dstIp, talker, t);
      if (dom && dstIp && !this.isUbiquitous(dom)) this.observeTalker(dom, talker, t);
    }
  }
}
