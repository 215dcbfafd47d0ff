/**
 * Policy evaluation: given one candidate action (kind, target, verdict, the context of its
 * target and its blast radius) decide its mode — automatic, approval (1 or 2 people), suggest, or
 * none — with the rule that decided and why. Pure and deterministic.
 *
 * Order: benign verdict → none; allow-lists (protect) → none; first matching rule; no rule → suggest.
 * Then the hard guards, which no policy can lift:
 *   - a host tagged domain_controller or marked crown jewel is never acted on automatically
 *     (isolate, kill, quarantine): it needs two approvals;
 *   - a break-glass account is never disabled or reset automatically: two approvals;
 *   - an automatic action whose blast radius exceeds maxAutomaticBlast needs one approval.
 * Rate limits depend on history and are applied by the executor at execution time.
 */
import { bareAccount, cidrContains, cidrOverlaps } from '../actions/targets.js';
import { ACTIONS } from '../actions/registry.js';
import type { ActionTarget, AssetInfo, BlastRadius, ForwardKind, IdentityInfo } from '../types.js';
import type { Policy } from './load.js';
import type { DecisionMode, PolicyMatch } from './schema.js';

export interface Candidate {
  kind: ForwardKind;
  target: ActionTarget;
  verdict: { verdict: 'malicious' | 'suspicious' | 'benign'; confidence: number };
  asset?: AssetInfo;
  identity?: IdentityInfo;
  /** Role of the entity in the incident (attacker, victim ...). */
  entityRole?: string;
  blast: BlastRadius;
}

export interface Decision {
  mode: DecisionMode;
  /** Rule id, or '(benign)', '(protect)', '(default)'. */
  rule: string;
  reason: string;
  approvals: 1 | 2;
  /** For reversible actions: TTL once in effect. */
  ttlMs?: number;
  /** Set when a hard guard changed the rule's mode. */
  guard?: string;
}

export const HOST_GUARD_TAGS = ['domain_controller'];

const hostOf = (t: ActionTarget): string | undefined => (t.type === 'host' || t.type === 'process' || t.type === 'file' ? t.host : undefined);
const ipOf = (t: ActionTarget, asset?: AssetInfo): string | undefined => (t.type === 'host' || t.type === 'process' || t.type === 'file' ? t.ip ?? asset?.ip : undefined);

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p.endsWith('*')) return h.startsWith(p.slice(0, -1));
  // A short name protects its FQDN too (NW-DC01 protects nw-dc01.corp.example).
  return h === p || h.startsWith(p + '.');
}

/** Why the candidate is on an allow-list, or undefined. */
export function protectedBy(policy: Policy, c: Candidate): string | undefined {
  const pr = policy.protect;
  const host = hostOf(c.target);
  if (host) {
    const h = pr.hosts.find((p) => hostMatches(p, host));
    if (h) return `host ${host} is protected (protect.hosts: ${h})`;
    const tag = (c.asset?.tags ?? []).find((t) => pr.hostTags.some((x) => x.toLowerCase() === t.toLowerCase()));
    if (tag) return `host ${host} has protected tag '${tag}' (protect.hostTags)`;
    const ip = ipOf(c.target, c.asset);
    const n = ip ? pr.networks.find((x) => cidrContains(x, ip)) : undefined;
    if (n) return `host ${host} (${ip}) is in protected network ${n}`;
  }
  if (c.target.type === 'ip') {
    const cidr = c.target.cidr;
    const n = pr.networks.find((x) => cidrOverlaps(x, cidr));
    if (n) return `${cidr} overlaps protected network ${n}`;
  }
  if (c.target.type === 'domain') {
    const d = c.target.domain;
    const s = pr.domains.find((x) => d === x || d.endsWith('.' + x));
    if (s) return `domain ${d} is under protected domain ${s}`;
  }
  if (c.target.type === 'account') {
    const a = bareAccount(c.target.account);
    const x = pr.accounts.find((p) => bareAccount(p.toLowerCase()) === a);
    if (x) return `account ${c.target.account} is protected (protect.accounts: ${x})`;
  }
  return undefined;
}

function within(b: BlastRadius, max: { hosts?: number; users?: number; addresses?: number }): boolean {
  return (max.hosts === undefined || b.hosts <= max.hosts) && (max.users === undefined || b.users <= max.users) && (max.addresses === undefined || (b.addresses ?? 0) <= max.addresses);
}

/** True when every condition of the match holds for the candidate. */
export function matches(m: PolicyMatch, c: Candidate): boolean {
  if (m.actions && !m.actions.includes('*') && !m.actions.includes(c.kind)) return false;
  if (m.verdict && !(m.verdict as string[]).includes(c.verdict.verdict)) return false;
  if (m.minConfidence !== undefined && !(c.verdict.confidence >= m.minConfidence)) return false;
  if (m.maxConfidence !== undefined && !(c.verdict.confidence < m.maxConfidence)) return false;
  const hostBound = hostOf(c.target) !== undefined;
  if (m.criticality) {
    if (!hostBound) return false;
    if (!m.criticality.includes(c.asset?.criticality ?? 'unknown')) return false;
  }
  if (m.crownJewel !== undefined) {
    if (!hostBound) return false;
    if ((c.asset?.crownJewel === true) !== m.crownJewel) return false;
  }
  const tags = (c.asset?.tags ?? []).map((t) => t.toLowerCase());
  if (m.tagsAny && !m.tagsAny.some((t) => tags.includes(t.toLowerCase()))) return false;
  if (m.tagsNone && m.tagsNone.some((t) => tags.includes(t.toLowerCase()))) return false;
  if (m.accountType) {
    if (c.target.type !== 'account') return false;
    if (!m.accountType.includes(c.identity?.type ?? 'unknown')) return false;
  }
  if (m.entityRole && !(c.entityRole !== undefined && m.entityRole.map((r) => r.toLowerCase()).includes(c.entityRole.toLowerCase()))) return false;
  if (m.maxBlast && !within(c.blast, m.maxBlast)) return false;
  return true;
}

/** Decides the mode of one candidate. */
export function evaluate(policy: Policy, c: Candidate): Decision {
  const spec = ACTIONS[c.kind];
  const ttl = (r?: number) => (spec.needsTtl ? Math.min(r ?? policy.ttl.default, policy.ttl.max) : undefined);
  if (c.verdict.verdict === 'benign') return { mode: 'none', rule: '(benign)', reason: 'the verdict is benign: no containment', approvals: 1 };
  const prot = protectedBy(policy, c);
  if (prot) return { mode: 'none', rule: '(protect)', reason: prot, approvals: 1 };
  let d: Decision | undefined;
  for (const r of policy.rules) {
    if (!matches(r.match, c)) continue;
    d = { mode: r.mode, rule: r.id, reason: r.description ?? `rule ${r.id} (line ${policy.ruleLines[r.id] ?? '?'})`, approvals: r.approvals ?? 1, ttlMs: ttl(r.ttl) };
    break;
  }
  d ??= { mode: 'suggest', rule: '(default)', reason: 'no policy rule matched: suggest only', approvals: 1, ttlMs: ttl() };
  if (d.mode !== 'automatic') return d;
  // Hard guards.
  const tags = (c.asset?.tags ?? []).map((t) => t.toLowerCase());
  if (hostOf(c.target) !== undefined && c.kind !== 'notify') {
    const guardTag = HOST_GUARD_TAGS.find((t) => tags.includes(t));
    if (guardTag || c.asset?.crownJewel) {
      return { ...d, mode: 'approval', approvals: 2, guard: 'never-auto-crown-jewel', reason: `${d.reason}; hard guard: ${guardTag ? `a ${guardTag}` : 'a crown jewel'} is never acted on automatically (two approvals)` };
    }
  }
  if (c.target.type === 'account' && (c.identity?.type === 'break_glass' || (c.identity?.tags ?? []).some((t) => t.toLowerCase() === 'break_glass'))) {
    return { ...d, mode: 'approval', approvals: 2, guard: 'never-auto-break-glass', reason: `${d.reason}; hard guard: a break-glass account is never locked automatically (two approvals)` };
  }
  if (!within(c.blast, policy.maxAutomaticBlast)) {
    return { ...d, mode: 'approval', guard: 'max-automatic-blast', reason: `${d.reason}; blast radius ${JSON.stringify(c.blast)} exceeds maxAutomaticBlast ${JSON.stringify(policy.maxAutomaticBlast)}` };
  }
  return d;
}
