/**
 * Peer groups: is this user or host doing something its peers (same role/department/OS group)
 * do not? For each group and feature value (user→host logon, user→cloud API action,
 * host→process, host→destination port) the model remembers which members have shown it (up to
 * `memberCap`; past that the value is common). After learning, the first time an entity shows a
 * value that at most `maxPeerFraction` of its group shows, it is an anomaly.
 *
 * Groups come from config (glob → group for hosts and users), from an event field (a sign-in
 * log's department for users; an asset role field for hosts), or, for hosts, from the host name
 * with its trailing digits removed (`ws-0042` → `ws`, `srv-sql-01` → `srv-sql`). Host groups are
 * split by operating system when the event tells it (source product windows/linux/macos, or
 * `host.os.type`): `srv/linux` and `srv/windows` are different peer groups.
 */
import { z } from 'zod';
import { OCSF_CLASSES, getField } from '../../../core/event.js';
import type { BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, attack, basename, cap, globMatch, isServiceAccount, stateError } from '../../util.js';

const groupRule = z.object({ match: z.string().min(1).max(512), group: z.string().min(1).max(128) });

export const peerConfig = z.object({
  ...commonModelConfig,
  hostGroups: z.array(groupRule).default([]),
  userGroups: z.array(groupRule).default([]),
  /** Event field paths holding a user's group (first present wins), e.g. `department`. */
  userGroupFields: z.array(z.string()).default(['department', 'user.department', 'userDepartment']),
  /** Event field paths holding a host's group (first present wins), used when no hostGroups rule matches, e.g. an asset role. */
  hostGroupFields: z.array(z.string()).default([]),
  /** Derive a host's group from its name without trailing digits when no rule or field gives one. */
  deriveHostGroup: z.boolean().default(true),
  /** Split host groups by operating system (event source product windows/linux/macos, or host.os.type/family/platform). */
  hostGroupByOs: z.boolean().default(true),
  minPeers: z.number().int().min(1).default(4),
  maxPeerFraction: z.number().min(0).max(1).default(0.1),
  memberCap: z.number().int().min(2).max(1024).default(32),
  maxKeys: z.number().int().positive().default(500_000),
  maxGroupMembers: z.number().int().positive().default(100_000),
  maxGroups: z.number().int().positive().default(10_000),
  features: z
    .object({
      userHost: z.boolean().default(true),
      userAction: z.boolean().default(true),
      hostProcess: z.boolean().default(true),
      hostPort: z.boolean().default(false),
    })
    .prefault({}),
});
export type PeerConfig = z.output<typeof peerConfig>;

const stateSchema = z.object({
  members: z.array(z.tuple([z.string(), z.array(z.string())])),
  groups: z.array(z.tuple([z.string(), z.array(z.string())])),
});

/** `ws-0042` → `ws`, `srv-sql-01.corp.local` → `srv-sql`. */
export function deriveGroup(host: string): string {
  const dot = host.indexOf('.');
  let s = dot > 0 ? host.slice(0, dot) : host;
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if ((c >= 48 && c <= 57) || c === 45 || c === 95) end--;
    else break;
  }
  s = s.slice(0, end);
  return s || 'hosts';
}

type Feature = 'userHost' | 'userAction' | 'hostProcess' | 'hostPort';

const OS_NAMES: Record<string, string> = { windows: 'windows', linux: 'linux', macos: 'macos', darwin: 'macos', mac: 'macos', 'mac os x': 'macos', osx: 'macos' };

/** The operating system of the event's host when the event says (source product, or ECS host.os fields); else ''. */
export function hostOs(v: EventView): string {
  const p = v.ev.source?.product;
  if (typeof p === 'string') {
    const o = OS_NAMES[p.toLowerCase()];
    if (o) return o;
  }
  for (const path of ['host.os.type', 'host.os.family', 'host.os.platform']) {
    const x = getField(v.ev.fields, path);
    if (typeof x === 'string') {
      const o = OS_NAMES[x.toLowerCase()];
      if (o) return o;
    }
  }
  return '';
}

export class PeerModel implements BaselineModel {
  readonly name = 'peer';
  private members: LruMap<string, string[]>;
  /** Groups can come from event fields (a department): their number is capped too. */
  private groups: LruMap<string, Set<string>>;
  private hostGroupCache = new LruMap<string, string>(20_000);

  constructor(private cfg: PeerConfig) {
    this.members = new LruMap(cfg.maxKeys);
    this.groups = new LruMap(cfg.maxGroups);
  }

  private hostGroup(host: string, v: EventView): string {
    let g: string | undefined;
    if (this.cfg.hostGroups.length > 0) {
      g = this.hostGroupCache.get(host);
      if (g === undefined) {
        g = '';
        for (const r of this.cfg.hostGroups) if (globMatch(r.match, host)) { g = r.group; break; }
        this.hostGroupCache.set(host, g);
      }
    }
    if (!g) {
      for (const p of this.cfg.hostGroupFields) {
        const x = getField(v.ev.fields, p);
        if (typeof x === 'string' && x) { g = cap(x.toLowerCase(), 64); break; }
      }
    }
    if (!g) g = this.cfg.deriveHostGroup ? deriveGroup(host) : 'hosts';
    if (this.cfg.hostGroupByOs) {
      const os = hostOs(v);
      if (os) g = `${g}/${os}`;
    }
    return g;
  }

  private userGroup(user: string, v: EventView): string {
    for (const r of this.cfg.userGroups) if (globMatch(r.match, user)) return r.group;
    for (const p of this.cfg.userGroupFields) {
      const x = getField(v.ev.fields, p);
      if (typeof x === 'string' && x) return cap(x.toLowerCase(), 64);
    }
    return 'users';
  }

  private join(group: string, member: string): number {
    let s = this.groups.touch(group);
    if (!s) this.groups.set(group, (s = new Set()));
    if (s.size < this.cfg.maxGroupMembers) s.add(member);
    return s.size;
  }

  observe(v: EventView, ctx: ModelContext): void {
    const f = this.cfg.features;
    const cls = v.classUid;
    if (cls === OCSF_CLASSES.authentication) {
      if (!f.userHost || v.ev.entities.outcome !== 'success' || !v.host) return;
      const user = v.targetUser || v.user;
      if (isServiceAccount(user)) return;
      this.check(v, ctx, 'userHost', 'user', user, this.userGroup(user, v), v.host);
    } else if (cls === OCSF_CLASSES.api_activity) {
      const action = v.ev.entities.action;
      if (!f.userAction || !v.user || typeof action !== 'string' || !action) return;
      this.check(v, ctx, 'userAction', 'user', v.user, this.userGroup(v.user, v), cap(action.toLowerCase(), 128));
    } else if (cls === OCSF_CLASSES.process_activity) {
      if (!f.hostProcess || !v.host || !v.image) return;
      this.check(v, ctx, 'hostProcess', 'host', v.host, this.hostGroup(v.host, v), cap(basename(v.image), 128));
    } else if (cls === OCSF_CLASSES.network_activity) {
      const port = v.ev.entities.dstPort;
      if (!f.hostPort || !v.host || typeof port !== 'number') return;
      this.check(v, ctx, 'hostPort', 'host', v.host, this.hostGroup(v.host, v), String(port));
    }
  }

  private check(v: EventView, ctx: ModelContext, feature: Feature, etype: 'user' | 'host', entity: string, group: string, value: string): void {
    const groupSize = this.join(`${etype}|${group}`, entity);
    const key = `${feature}|${group}|${value}`;
    let list = this.members.touch(key);
    if (!list) {
      list = [];
      this.members.set(key, list);
    }
    if (list.length >= this.cfg.memberCap || list.includes(entity)) return;
    const peersWith = list.length;
    list.push(entity);
    const peers = groupSize - 1;
    if (peers < this.cfg.minPeers) return;
    const frac = peersWith / peers;
    if (frac > this.cfg.maxPeerFraction) return;
    const maxF = this.cfg.maxPeerFraction || 1;
    const score = 45 + 35 * (1 - frac / maxF);
    const what =
      feature === 'userHost' ? `logged on to ${value}` : feature === 'userAction' ? `called ${value}` : feature === 'hostProcess' ? `ran ${value}` : `connected to port ${value}`;
    ctx.emit({
      kind: `peer_${feature}`,
      pattern: `peer.${feature} ${etype}=${entity} group=${group} value=${value}`,
      title: `Peer groups: ${entity} ${what}, unlike its peers`,
      score,
      entity: { type: etype, id: entity },
      entities: { host: v.ev.entities.host, user: v.ev.entities.user, targetUser: v.ev.entities.targetUser, process: v.ev.entities.process, action: v.ev.entities.action },
      expected: { group, peers, peersWithValue: peersWith, maxPeerFraction: this.cfg.maxPeerFraction },
      seen: { feature, value },
      why: `${entity} ${what}; ${peersWith} of the ${peers} other members of group "${group}" ever did (${(frac * 100).toFixed(1)}%, threshold ${(this.cfg.maxPeerFraction * 100).toFixed(0)}%)`,
      attack: feature === 'userHost' ? attack(['TA0008', 'TA0001'], ['T1021', 'T1078']) : feature === 'userAction' ? attack(['TA0001'], ['T1078.004']) : undefined,
      eventIds: [v.ev.id],
      time: v.time,
    });
  }

  snapshot(): unknown {
    return { members: [...this.members.entries()], groups: [...this.groups.entries()].map(([g, s]) => [g, [...s]]) };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    this.members.clear();
    this.groups.clear();
    for (const [k, l] of r.data.members) this.members.set(k, l.slice(0, this.cfg.memberCap));
    for (const [g, l] of r.data.groups) this.groups.set(g, new Set(l));
  }

  entityCount(): number {
    let n = 0;
    for (const s of this.groups.values()) n += s.size;
    return n;
  }
}

export const peerModel = defineModel({
  name: 'peer',
  description: 'Compares a user or host with its peer group (role, department, OS) rather than only with itself.',
  schema: peerConfig,
  create: (c) => new PeerModel(c),
});
