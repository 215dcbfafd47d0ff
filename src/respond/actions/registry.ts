/**
 * Every action as a declared contract: what it targets, its preconditions, its blast radius, how
 * its effect is verified (read back through the connector) and how it is undone. The executor
 * only runs what is declared here; the map is explicit and typed (no discovery).
 */
import ipaddr from 'ipaddr.js';
import type { ActionKind, ActionTarget, BlastRadius, ForwardKind, ResponseContext, TargetType, UndoKind, AssetInfo, IdentityInfo } from '../types.js';
import { cidrOverlaps, parseCidr } from './targets.js';

/** What preconditions may look at. */
export interface PreconditionInput {
  target: ActionTarget;
  asset?: AssetInfo;
  identity?: IdentityInfo;
  /** Networks that must never be blocked (management networks, Garrison's own address). */
  protectedNetworks: string[];
  /** Accounts that must never be disabled (the connectors' own service identities). */
  protectedAccounts: string[];
  /** Notification channels configured. */
  channels: string[];
}

export interface Precondition {
  id: string;
  description: string;
  /** undefined when it holds; otherwise why not. */
  check(i: PreconditionInput): string | undefined;
}

export interface ActionSpec {
  kind: ActionKind;
  title: string;
  targetType: TargetType;
  /** For forward kinds: the kind that undoes it (absent = irreversible). */
  undo?: UndoKind;
  /** For undo kinds: the forward kind it reverses. */
  undoes?: ForwardKind;
  /** A TTL is mandatory for reversible containment: it expires unless renewed. */
  needsTtl: boolean;
  preconditions: Precondition[];
  /** How many hosts / users / addresses the action can affect. */
  blastRadius(t: ActionTarget, ctx: { asset?: AssetInfo; identity?: IdentityInfo; context?: ResponseContext }): BlastRadius;
  /** How the effect is verified (documentation; the connector's observe() does it). */
  verification: string;
  /** How it is undone (documentation). */
  undoDescription: string;
}

const notTagged = (id: string, tags: string[]): Precondition => ({
  id,
  description: `the host is not tagged ${tags.join(' or ')} (Garrison never cuts itself or its management plane off)`,
  check: (i) => {
    const hit = (i.asset?.tags ?? []).find((t) => tags.includes(t.toLowerCase()));
    return hit ? `host is tagged '${hit}'` : undefined;
  },
});

const notProtectedNetwork: Precondition = {
  id: 'not-protected-network',
  description: 'the address or network does not overlap a management / protected network',
  check: (i) => {
    const cidr = i.target.type === 'ip' ? i.target.cidr : i.target.type === 'host' ? i.target.ip : undefined;
    if (!cidr || i.target.type !== 'ip') return undefined;
    const hit = i.protectedNetworks.find((n) => cidrOverlaps(n, cidr));
    return hit ? `${cidr} overlaps the protected network ${hit}` : undefined;
  },
};

const notProtectedAccount: Precondition = {
  id: 'not-protected-account',
  description: "the account is not one of the connectors' own service identities",
  check: (i) => {
    if (i.target.type !== 'account') return undefined;
    const a = i.target.account;
    const hit = i.protectedAccounts.find((p) => p.toLowerCase() === a || a.endsWith('\\' + p.toLowerCase()) || a.startsWith(p.toLowerCase() + '@'));
    return hit ? `${a} is Garrison's own connector account` : undefined;
  },
};

const knownChannel: Precondition = {
  id: 'channel-configured',
  description: 'the notification channel is configured',
  check: (i) => (i.target.type === 'channel' && !i.channels.includes(i.target.channel) ? `no notification channel '${i.target.channel}' is configured` : undefined),
};

const INTERNAL_RANGES = ['private', 'linkLocal', 'carrierGradeNat', 'uniqueLocal'];

const one: BlastRadius = { hosts: 1, users: 0 };
const none: BlastRadius = { hosts: 0, users: 0 };

function ipBlast(t: ActionTarget, ctx: { context?: ResponseContext }): BlastRadius {
  if (t.type !== 'ip') return none;
  const c = parseCidr(t.cidr);
  const range = c.addr.range();
  const internal = INTERNAL_RANGES.includes(range);
  const known = ctx.context?.hostsIn?.(t.cidr);
  const hosts = known ?? (internal ? Math.min(c.size, 65536) : 0);
  return { hosts, users: 0, addresses: c.size };
}

export const ACTIONS: Readonly<Record<ActionKind, ActionSpec>> = {
  isolate_host: {
    kind: 'isolate_host',
    title: 'Isolate host',
    targetType: 'host',
    undo: 'release_host',
    needsTtl: true,
    preconditions: [notTagged('not-management-host', ['management', 'garrison'])],
    blastRadius: () => one,
    verification: 'the firewall set / EDR containment state read back lists the host as isolated',
    undoDescription: 'release_host removes the host from isolation; verified by reading the state back',
  },
  release_host: {
    kind: 'release_host',
    title: 'Release host from isolation',
    targetType: 'host',
    undoes: 'isolate_host',
    needsTtl: false,
    preconditions: [],
    blastRadius: () => one,
    verification: 'the host is no longer listed as isolated',
    undoDescription: 'isolate_host',
  },
  block_ip: {
    kind: 'block_ip',
    title: 'Block IP address or network',
    targetType: 'ip',
    undo: 'unblock_ip',
    needsTtl: true,
    preconditions: [notProtectedNetwork],
    blastRadius: ipBlast,
    verification: 'the address / network is an element of the block set read back',
    undoDescription: 'unblock_ip deletes the element; verified by reading the set back',
  },
  unblock_ip: {
    kind: 'unblock_ip',
    title: 'Unblock IP address or network',
    targetType: 'ip',
    undoes: 'block_ip',
    needsTtl: false,
    preconditions: [],
    blastRadius: ipBlast,
    verification: 'the element is absent from the block set',
    undoDescription: 'block_ip',
  },
  block_domain: {
    kind: 'block_domain',
    title: 'Block domain (DNS sinkhole)',
    targetType: 'domain',
    undo: 'unblock_domain',
    needsTtl: true,
    preconditions: [],
    blastRadius: () => none,
    verification: 'the blocklist read back contains the domain and (when configured) a real DNS query returns the sinkhole',
    undoDescription: 'unblock_domain removes it and reloads the DNS server; a query returns the real answer again',
  },
  unblock_domain: {
    kind: 'unblock_domain',
    title: 'Unblock domain',
    targetType: 'domain',
    undoes: 'block_domain',
    needsTtl: false,
    preconditions: [],
    blastRadius: () => none,
    verification: 'the domain is absent from the blocklist',
    undoDescription: 'block_domain',
  },
  disable_account: {
    kind: 'disable_account',
    title: 'Disable account',
    targetType: 'account',
    undo: 'enable_account',
    needsTtl: true,
    preconditions: [notProtectedAccount],
    blastRadius: (_t, { identity }) => ({ hosts: identity?.hosts ?? (identity?.type === 'service' ? 1 : 0), users: 1 }),
    verification: 'the directory entry read back is locked and a bind as the account fails',
    undoDescription: 'enable_account clears the lock; verified by read-back',
  },
  enable_account: {
    kind: 'enable_account',
    title: 'Enable account',
    targetType: 'account',
    undoes: 'disable_account',
    needsTtl: false,
    preconditions: [],
    blastRadius: () => ({ hosts: 0, users: 1 }),
    verification: 'the entry read back is not locked',
    undoDescription: 'disable_account',
  },
  revoke_sessions: {
    kind: 'revoke_sessions',
    title: 'Revoke sessions / credentials',
    targetType: 'account',
    needsTtl: false,
    preconditions: [notProtectedAccount],
    blastRadius: (_t, { identity }) => ({ hosts: identity?.hosts ?? 0, users: 1 }),
    verification: 'the directory / identity provider reports the credentials reset (LDAP: pwdReset read back, old password bind fails)',
    undoDescription: 'irreversible: the person signs in again with new credentials',
  },
  kill_process: {
    kind: 'kill_process',
    title: 'Kill process',
    targetType: 'process',
    needsTtl: false,
    preconditions: [notTagged('not-management-host', ['management', 'garrison'])],
    blastRadius: () => one,
    verification: 'the EDR reports the process no longer running',
    undoDescription: 'irreversible',
  },
  quarantine_file: {
    kind: 'quarantine_file',
    title: 'Quarantine file',
    targetType: 'file',
    undo: 'restore_file',
    needsTtl: true,
    preconditions: [notTagged('not-management-host', ['management', 'garrison'])],
    blastRadius: () => one,
    verification: 'the EDR reports the file quarantined',
    undoDescription: 'restore_file releases it from quarantine; verified by read-back',
  },
  restore_file: {
    kind: 'restore_file',
    title: 'Restore file from quarantine',
    targetType: 'file',
    undoes: 'quarantine_file',
    needsTtl: false,
    preconditions: [],
    blastRadius: () => one,
    verification: 'the EDR reports the file no longer quarantined',
    undoDescription: 'quarantine_file',
  },
  notify: {
    kind: 'notify',
    title: 'Notify',
    targetType: 'channel',
    needsTtl: false,
    preconditions: [knownChannel],
    blastRadius: () => none,
    verification: 'the channel accepted the message (HTTP 2xx / SMTP 250)',
    undoDescription: 'irreversible',
  },
};

export function isForward(kind: ActionKind): kind is ForwardKind {
  return ACTIONS[kind].undoes === undefined;
}

export function isReversible(kind: ForwardKind): boolean {
  return ACTIONS[kind].undo !== undefined;
}

/** Checks every precondition; returns the failures as "id: why". */
export function checkPreconditions(kind: ActionKind, input: PreconditionInput): string[] {
  const out: string[] = [];
  if (ACTIONS[kind].targetType !== input.target.type) out.push(`target-type: ${kind} needs a ${ACTIONS[kind].targetType} target, got ${input.target.type}`);
  for (const p of ACTIONS[kind].preconditions) {
    const why = p.check(input);
    if (why) out.push(`${p.id}: ${why}`);
  }
  return out;
}

/**
 * True for addresses outside the organisation's private ranges (a candidate for block_ip rather than
 * isolation). Documentation ranges (TEST-NET, 2001:db8::/32) count as external: simulations use them.
 */
export function isPublicAddress(ip: string): boolean {
  try {
    const range = ipaddr.process(ip).range();
    return range === 'unicast' || range === 'reserved';
  } catch {
    return false;
  }
}
