/**
 * Strict validation and canonical forms of action targets. Every target value comes, in the end,
 * from attacker-written log fields: nothing reaches a connector (nft arguments, LDAP filters,
 * hosts files, URLs) before it passed through here.
 */
import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import { GarrisonError } from '../../core/errors.js';
import type { ActionTarget } from '../types.js';

const bad = (field: string, msg: string): GarrisonError => new GarrisonError('RESPOND_TARGET_INVALID', msg, { location: { field } });

/** Shortest prefixes a block may use: a wider block is refused by the contract whatever the policy says. */
export const MIN_PREFIX = { ipv4: 8, ipv6: 32 } as const;

export interface ParsedCidr {
  /** Canonical text: "203.0.113.7" for one address, "203.0.113.0/24" for a network. */
  text: string;
  family: 'ipv4' | 'ipv6';
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  prefix: number;
  /** Number of addresses covered (capped at 2^64 for IPv6 networks). */
  size: number;
}

/** Parses an IP or CIDR, canonicalises it (IPv4-mapped IPv6 becomes IPv4, host bits are cleared). */
export function parseCidr(input: string, field = 'target.cidr'): ParsedCidr {
  if (typeof input !== 'string' || input.length === 0 || input.length > 64) throw bad(field, 'expected an IP address or CIDR of at most 64 characters');
  const s = input.trim();
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (s.includes('/')) {
      const [a, p] = ipaddr.parseCIDR(s);
      addr = a;
      prefix = p;
    } else {
      if (!ipaddr.isValid(s)) throw new Error('x');
      addr = ipaddr.parse(s);
      prefix = addr.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    throw bad(field, `'${printable(s)}' is not an IP address or CIDR`);
  }
  if (addr.kind() === 'ipv4' && s.split('/')[0]!.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(s.split('/')[0]!)) {
    throw bad(field, `'${printable(s)}' is not a four-part dotted IPv4 address`);
  }
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) {
    addr = addr.toIPv4Address();
    prefix = Math.max(0, prefix - 96);
  }
  const family = addr.kind() as 'ipv4' | 'ipv6';
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefix < MIN_PREFIX[family]) throw bad(field, `${printable(s)}: a ${family} block must be /${MIN_PREFIX[family]} or narrower`);
  const range = addr.range();
  if (['unspecified', 'loopback', 'multicast', 'broadcast'].includes(range)) {
    throw bad(field, `${printable(s)}: ${range} addresses cannot be blocked`);
  }
  // Clear host bits so that one network has one spelling.
  const net = family === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${prefix}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
  const text = prefix === bits ? net.toString() : `${net.toString()}/${prefix}`;
  return { text, family, addr: net, prefix, size: Math.min(2 ** 64, 2 ** (bits - prefix)) };
}

/** True when `ip` (an address) lies inside `cidr`. Families must match. */
export function cidrContains(cidr: string, ip: string): boolean {
  try {
    const c = parseCidr(cidr);
    const a = parseCidr(ip);
    if (c.family !== a.family) return false;
    if (a.prefix < c.prefix) return false;
    return a.addr.match([c.addr, c.prefix] as [ipaddr.IPv4, number]);
  } catch {
    return false;
  }
}

/** True when the two networks overlap. */
export function cidrOverlaps(a: string, b: string): boolean {
  try {
    const x = parseCidr(a);
    const y = parseCidr(b);
    if (x.family !== y.family) return false;
    const p = Math.min(x.prefix, y.prefix);
    return x.addr.match([y.addr, p] as [ipaddr.IPv4, number]) || y.addr.match([x.addr, p] as [ipaddr.IPv4, number]);
  } catch {
    return false;
  }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A domain name to block: lower-case ASCII (IDNs in xn-- form), 2+ labels of [a-z0-9-], at most 253
 * characters, not an IP address and not a public suffix (blocking "co.uk" would block everyone).
 */
export function parseBlockDomain(input: string, field = 'target.domain'): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > 254) throw bad(field, 'expected a domain name of at most 253 characters');
  let d = input.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > 253) throw bad(field, 'expected a domain name of at most 253 characters');
  if (ipaddr.isValid(d)) throw bad(field, `'${printable(d)}' is an IP address: block it with block_ip`);
  const labels = d.split('.');
  if (labels.length < 2) throw bad(field, `'${printable(d)}' is a single label: give a fully qualified name`);
  for (const l of labels) {
    if (!LABEL.test(l)) throw bad(field, `'${printable(d)}' has an invalid label '${printable(l)}' (letters, digits and inner hyphens only, 1-63 characters)`);
  }
  const p = parseDomain(d, { allowPrivateDomains: true });
  if (p.publicSuffix === d) throw bad(field, `'${d}' is a public suffix: blocking it would block every domain under it`);
  return d;
}

/** Account names as events give them: `alice`, `CORP\alice`, `alice@corp.example`. Returned lower-case. */
export function parseAccount(input: string, field = 'target.account'): string {
  if (typeof input !== 'string') throw bad(field, 'expected an account name');
  const s = input.trim();
  // Letters, digits and the separators of Windows, UPN and cloud identities (IAM names, ARNs).
  if (!/^[A-Za-z0-9][A-Za-z0-9._$@\\ :/+=,-]{0,255}$/.test(s) || s.length > 256) {
    throw bad(field, `'${printable(s)}' is not an account name (letters, digits and . _ $ @ \\ : / + = , - space, at most 256)`);
  }
  if ((s.match(/\\/g) ?? []).length > 1 || (s.match(/@/g) ?? []).length > 1) throw bad(field, `'${printable(s)}' has more than one domain separator`);
  return s.toLowerCase();
}

/** The bare account name without a NetBIOS prefix or UPN suffix: `corp\alice` → `alice`. */
export function bareAccount(account: string): string {
  const a = account.includes('\\') ? account.slice(account.indexOf('\\') + 1) : account;
  return a.includes('@') ? a.slice(0, a.indexOf('@')) : a;
}

export function parseHost(input: string, field = 'target.host'): string {
  if (typeof input !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(input.trim())) {
    throw bad(field, `'${printable(String(input))}' is not a host name (letters, digits, . _ -, at most 253)`);
  }
  return input.trim();
}

function parseSingleIp(input: string, field: string): string {
  const c = parseCidr(input, field);
  if (c.prefix !== (c.family === 'ipv4' ? 32 : 128)) throw bad(field, `${input} is a network; a single address is needed`);
  return c.text;
}

const AGENT = /^[A-Za-z0-9][A-Za-z0-9._:{}-]{0,127}$/;

/** Validates and canonicalises any target. Throws RESPOND_TARGET_INVALID naming the field. */
export function canonicalTarget(t: ActionTarget): ActionTarget {
  if (t === null || typeof t !== 'object') throw bad('target', 'expected a target object');
  const opt = <T>(v: T | undefined, f: (x: T) => T): T | undefined => (v === undefined ? undefined : f(v));
  const agent = (v: string) => {
    if (!AGENT.test(v)) throw bad('target.agentId', 'agent ids are letters, digits and . _ : { } -, at most 128');
    return v;
  };
  switch (t.type) {
    case 'host':
      return clean({ type: 'host', host: parseHost(t.host), ip: opt(t.ip, (x) => parseSingleIp(x, 'target.ip')), agentId: opt(t.agentId, agent) });
    case 'ip':
      return { type: 'ip', cidr: parseCidr(t.cidr).text };
    case 'domain':
      return { type: 'domain', domain: parseBlockDomain(t.domain) };
    case 'account':
      return { type: 'account', account: parseAccount(t.account) };
    case 'process': {
      if (t.pid === undefined && t.guid === undefined) throw bad('target.pid', 'a process target needs a pid or a process guid');
      if (t.pid !== undefined && (!Number.isInteger(t.pid) || t.pid < 1 || t.pid > 2 ** 31)) throw bad('target.pid', 'pid must be a positive integer');
      if (t.guid !== undefined && !/^[A-Za-z0-9{}-]{1,64}$/.test(t.guid)) throw bad('target.guid', 'process guid must be letters, digits, { } -');
      if (t.image !== undefined && (t.image.length > 1024 || /[\u0000-\u001f]/.test(t.image))) throw bad('target.image', 'image path too long or has control characters');
      return clean({ type: 'process', host: parseHost(t.host), pid: t.pid, guid: t.guid, image: t.image, ip: opt(t.ip, (x) => parseSingleIp(x, 'target.ip')), agentId: opt(t.agentId, agent) });
    }
    case 'file': {
      if (t.path === undefined && t.sha256 === undefined) throw bad('target.path', 'a file target needs a path or a sha256');
      if (t.path !== undefined && (t.path.length === 0 || t.path.length > 4096 || /[\u0000-\u001f]/.test(t.path))) throw bad('target.path', 'file path empty, too long or with control characters');
      if (t.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(t.sha256)) throw bad('target.sha256', 'sha256 must be 64 hex digits');
      return clean({ type: 'file', host: parseHost(t.host), path: t.path, sha256: t.sha256?.toLowerCase(), ip: opt(t.ip, (x) => parseSingleIp(x, 'target.ip')), agentId: opt(t.agentId, agent) });
    }
    case 'channel':
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(t.channel)) throw bad('target.channel', 'channel names are letters, digits and _ . -');
      if (typeof t.subject !== 'string' || t.subject.length > 1000) throw bad('target.subject', 'subject must be a string of at most 1000 characters');
      return { type: 'channel', channel: t.channel, subject: printable(t.subject) };
    default:
      throw bad('target.type', `unknown target type '${printable(String((t as { type?: unknown }).type))}'`);
  }
}

/** A stable key for "the same effect": one open action per kind + key. */
export function targetKey(t: ActionTarget): string {
  switch (t.type) {
    case 'host':
      return `host:${t.host.toLowerCase()}`;
    case 'ip':
      return `ip:${t.cidr}`;
    case 'domain':
      return `domain:${t.domain}`;
    case 'account':
      return `account:${t.account}`;
    case 'process':
      return `process:${t.host.toLowerCase()}:${t.guid ?? t.pid}`;
    case 'file':
      return `file:${t.host.toLowerCase()}:${t.sha256 ?? t.path}`;
    case 'channel':
      return `channel:${t.channel}:${t.subject}`;
  }
}

/** One-line human description of a target. */
export function describeTarget(t: ActionTarget): string {
  switch (t.type) {
    case 'host':
      return `host ${t.host}${t.ip ? ` (${t.ip})` : ''}`;
    case 'ip':
      return t.cidr.includes('/') ? `network ${t.cidr}` : `address ${t.cidr}`;
    case 'domain':
      return `domain ${t.domain}`;
    case 'account':
      return `account ${t.account}`;
    case 'process':
      return `process ${t.image ?? ''}${t.pid !== undefined ? ` pid ${t.pid}` : ''}${t.guid ? ` ${t.guid}` : ''} on ${t.host}`.replace(/\s+/g, ' ');
    case 'file':
      return `file ${t.path ?? t.sha256} on ${t.host}`;
    case 'channel':
      return `notification on ${t.channel}`;
  }
}

/** Replaces control and bidi characters so a value can be shown in messages and terminals. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '\uFFFD').slice(0, 300);
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
