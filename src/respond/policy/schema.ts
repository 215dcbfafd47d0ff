/**
 * The response policy file format (YAML), validated with zod. See docs/response.md and the shipped
 * config/policy.default.yaml. Rules are evaluated in order; the first rule that matches an action
 * candidate decides its mode.
 */
import { z } from 'zod';
import { ACTION_KINDS, FORWARD_KINDS } from '../types.js';
import { parseBlockDomain, parseCidr } from '../actions/targets.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "15m", "4h", "7d", "1w" or a number of milliseconds. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  const m = /^\s*(\d{1,9})\s*(ms|s|m|h|d|w)\s*$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2]!]!;
}

export function formatDuration(ms: number): string {
  for (const [u, n] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  }
  return `${ms}ms`;
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration (e.g. 30m, 4h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

const forwardKind = z.enum(FORWARD_KINDS);
const anyKind = z.union([forwardKind, z.literal('*')]);
const criticality = z.enum(['low', 'medium', 'high', 'critical', 'unknown']);
const accountType = z.enum(['regular', 'admin', 'privileged', 'service', 'break_glass', 'unknown']);
const mode = z.enum(['automatic', 'approval', 'suggest', 'none']);
const tag = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'tags are letters, digits and _ . : -');
const oneOrMany = <T extends z.ZodTypeAny>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const cidr = z.string().transform((s, ctx) => {
  try {
    return parseCidr(s).text;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const domainSuffix = z.string().transform((s, ctx) => {
  try {
    // A protected suffix may be a public suffix's child only; "example" alone is refused like in targets.
    return parseBlockDomain(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const BlastSchema = z.strictObject({
  hosts: z.number().int().min(0).optional(),
  users: z.number().int().min(0).optional(),
  addresses: z.number().int().min(0).optional(),
});

export const MatchSchema = z.strictObject({
  /** Action kinds this rule is about ('*' = all). */
  actions: oneOrMany(anyKind).optional(),
  verdict: oneOrMany(z.enum(['malicious', 'suspicious'])).optional(),
  /** Verdict confidence bounds (inclusive lower, exclusive upper). */
  minConfidence: z.number().min(0).max(1).optional(),
  maxConfidence: z.number().min(0).max(1).optional(),
  /** Host criticality (host-bound actions); 'unknown' = no context. */
  criticality: oneOrMany(criticality).optional(),
  crownJewel: z.boolean().optional(),
  /** The host has at least one of these tags (role tags such as domain_controller included). */
  tagsAny: z.array(tag).min(1).optional(),
  /** The host has none of these tags. */
  tagsNone: z.array(tag).min(1).optional(),
  accountType: oneOrMany(accountType).optional(),
  /** The entity's role in the incident (attacker, victim, c2 ... as correlation names it). */
  entityRole: oneOrMany(z.string().min(1).max(64)).optional(),
  /** Matches only when the action's blast radius is within these bounds. */
  maxBlast: BlastSchema.optional(),
});

export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,79}$/, 'rule ids are lower-case letters, digits and _ . -'),
  description: z.string().max(1000).optional(),
  match: MatchSchema.prefault({}),
  mode,
  /** Number of different people who must approve (mode approval). */
  approvals: z.union([z.literal(1), z.literal(2)]).optional(),
  /** Time to live of the action once in effect; capped by ttl.max. */
  ttl: duration.optional(),
});

export const LimitSchema = z.strictObject({
  action: anyKind,
  /** At most `max` executions of this kind ('*' = all kinds together) ... */
  max: z.number().int().min(0),
  /** ... in any sliding window of this length, fleet-wide. */
  per: duration,
});

export const PolicySchema = z.strictObject({
  name: z.string().min(1).max(120),
  /** Author's version label; the content hash identifies the exact text. */
  version: z.union([z.string().min(1).max(64), z.number()]).transform(String),
  description: z.string().max(4000).optional(),
  /** Global kill switch: nothing executes (rollbacks and expiry still run). */
  killSwitch: z.boolean().default(false),
  /** Dry run: actions are planned and previewed against the current state, never executed. */
  dryRun: z.boolean().default(false),
  ttl: z
    .strictObject({
      /** TTL of reversible actions whose rule gives none. */
      default: duration.default(4 * 3_600_000),
      /** Longest TTL a rule or a renewal may set. */
      max: duration.default(7 * 86_400_000),
    })
    .prefault({}),
  /** Allow-lists: never acted upon, whatever the rules say. */
  protect: z
    .strictObject({
      hosts: z.array(z.string().min(1).max(253)).default([]),
      networks: z.array(cidr).default([]),
      /** Suffix match: `northwind.example` protects every name under it. */
      domains: z.array(domainSuffix).default([]),
      accounts: z.array(z.string().min(1).max(256)).default([]),
      /** Hosts with any of these tags are never acted upon. */
      hostTags: z.array(tag).default([]),
    })
    .prefault({}),
  /** Fleet-wide rate limits, checked at execution time. */
  limits: z.array(LimitSchema).default([]),
  /** Largest blast radius an automatic action may have; beyond it the action needs approval. */
  maxAutomaticBlast: BlastSchema.default({ hosts: 1, users: 1 }),
  /** What to propose for an incident (see docs/response.md). */
  plan: z
    .strictObject({
      /** Verdicts that lead to containment proposals. */
      verdicts: z.array(z.enum(['malicious', 'suspicious'])).default(['malicious', 'suspicious']),
      /** Action kinds the planner may propose. */
      actions: z.array(forwardKind).default(['isolate_host', 'block_ip', 'block_domain', 'disable_account', 'kill_process', 'quarantine_file', 'notify']),
      /** Notification channels told about every planned containment. */
      notify: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/)).default([]),
    })
    .prefault({}),
  rules: z.array(RuleSchema).default([]),
});

export type PolicyFile = z.output<typeof PolicySchema>;
export type PolicyRule = z.output<typeof RuleSchema>;
export type PolicyMatch = z.output<typeof MatchSchema>;
export type PolicyLimit = z.output<typeof LimitSchema>;
export type DecisionMode = z.output<typeof mode>;

export { ACTION_KINDS };
