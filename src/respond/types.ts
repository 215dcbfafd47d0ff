/**
 * The response stage's shapes: action kinds, targets, the stored action document and its
 * life cycle, and the context (asset / identity) the policy reads.
 *
 * An action is stored in the `actions` record collection (id, tenant, status, ref = incident id)
 * with an ActionDoc as its document; every step of its life is also in the audit log.
 */

/** Forward (containment) action kinds. */
export const FORWARD_KINDS = ['isolate_host', 'block_ip', 'block_domain', 'disable_account', 'revoke_sessions', 'kill_process', 'quarantine_file', 'notify'] as const;
/** Undo kinds: each is the inverse of one forward kind (run by rollback / expiry). */
export const UNDO_KINDS = ['release_host', 'unblock_ip', 'unblock_domain', 'enable_account', 'restore_file'] as const;
export const ACTION_KINDS = [...FORWARD_KINDS, ...UNDO_KINDS] as const;

export type ForwardKind = (typeof FORWARD_KINDS)[number];
export type UndoKind = (typeof UNDO_KINDS)[number];
export type ActionKind = (typeof ACTION_KINDS)[number];

/** What an action is aimed at. Values are validated and canonicalised by actions/targets.ts. */
export type ActionTarget =
  | { type: 'host'; host: string; ip?: string; agentId?: string }
  | { type: 'ip'; cidr: string }
  | { type: 'domain'; domain: string }
  | { type: 'account'; account: string }
  | { type: 'process'; host: string; pid?: number; guid?: string; image?: string; ip?: string; agentId?: string }
  | { type: 'file'; host: string; path?: string; sha256?: string; ip?: string; agentId?: string }
  | { type: 'channel'; channel: string; subject: string };

export type TargetType = ActionTarget['type'];

export type ActionMode = 'automatic' | 'approval' | 'suggest';

/**
 * Life cycle of an action:
 *   suggested                    (policy: suggest only; a person may still approve it)
 *   pending_approval → approved → executing → active | completed | failed
 *   dry_run                      (dry-run mode: previewed, never executed)
 *   active → rolled_back | expired | rollback_failed
 *   rejected                     (a person said no)
 * `active` = in effect and reversible (has expiresAt); `completed` = done and irreversible or a no-op.
 */
export const ACTION_STATUSES = ['suggested', 'pending_approval', 'executing', 'active', 'completed', 'failed', 'dry_run', 'rejected', 'rolled_back', 'expired', 'rollback_failed'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
/** Statuses that consumed (or may have consumed) an execution: counted against rate limits. */
export const EXECUTED_STATUSES: readonly ActionStatus[] = ['executing', 'active', 'completed', 'failed', 'rolled_back', 'expired', 'rollback_failed'];
/** Statuses in which a person can still approve or reject. */
export const OPEN_STATUSES: readonly ActionStatus[] = ['suggested', 'pending_approval'];

export interface BlastRadius {
  /** Hosts whose connectivity or processes the action can affect. */
  hosts: number;
  /** People / accounts the action can lock out. */
  users: number;
  /** Addresses covered (IP / CIDR blocks). */
  addresses?: number;
}

export interface ActionEvent {
  at: number;
  /** 'policy:<rule>', 'user:<name>', 'system:expiry' ... */
  by: string;
  what: string;
  status?: ActionStatus;
  note?: string;
}

export interface ActionDoc {
  id: string;
  tenant: string;
  incidentId: string;
  /** Further incidents that asked for the same action while it was open. */
  alsoFor: string[];
  kind: ForwardKind;
  target: ActionTarget;
  /** Canonical "kind:target" string: one open action per key. */
  key: string;
  status: ActionStatus;
  mode: ActionMode;
  /** Why the planner proposed it ("host NW-WS-07 is the victim of ..."). */
  why: string;
  verdict: { verdict: string; confidence: number; by: string; decidedAt: number };
  /** Signals, events and evidence ids the decision rests on. */
  evidence: { signalIds: string[]; cites: string[]; factors: string[] };
  policy: { name: string; version: string; hash: string; rule: string; reason: string };
  approvalsRequired: number;
  approvals: { by: string; at: number; reason: string }[];
  rejection?: { by: string; at: number; reason: string };
  blast: BlastRadius;
  /** Requested TTL (reversible actions); expiresAt is set once it is in effect. */
  ttlMs?: number;
  expiresAt?: number;
  connector?: string;
  /** Dry-run result against the current state, computed before execution. */
  preview?: { at: number; alreadyInEffect: boolean; connector: string; summary: string };
  /** State observed before execution: when the effect was already there, execution and rollback are no-ops. */
  before?: { inEffect: boolean };
  attempts: { at: number; op: 'apply' | 'revert'; ok: boolean; code?: string; message?: string }[];
  executedAt?: number;
  verifiedAt?: number;
  failure?: { at: number; code: string; message: string; op: 'apply' | 'revert' | 'precondition' };
  rollback?: { by: string; at: number; reason: string; verifiedAt?: number };
  idempotencyKey: string;
  history: ActionEvent[];
  createdAt: number;
  updatedAt: number;
}

// ------------------------------------------------------------------------------------------- context

export type Criticality = 'low' | 'medium' | 'high' | 'critical';
export const CRITICALITIES: readonly Criticality[] = ['low', 'medium', 'high', 'critical'];

/** What the response stage needs to know about a host. */
export interface AssetInfo {
  criticality?: Criticality;
  crownJewel?: boolean;
  /** Role and free tags: 'domain_controller', 'database', 'management', 'vip' ... */
  tags?: string[];
  ip?: string;
  /** EDR agent / device id, when known. */
  agentId?: string;
}

export type AccountType = 'regular' | 'admin' | 'privileged' | 'service' | 'break_glass';

/** What the response stage needs to know about an account. */
export interface IdentityInfo {
  type?: AccountType;
  privileged?: boolean;
  tags?: string[];
  /** Hosts that run under this account (service accounts): the blast radius of disabling it. */
  hosts?: number;
}

/**
 * The small part of correlation's ContextIndex (src/correlate) that response reads. Anything
 * with these two methods fits; when absent, the `context` of the incident's entities is used.
 */
export interface ResponseContext {
  asset(host: string): AssetInfo | undefined;
  identity(account: string): IdentityInfo | undefined;
  /** Known hosts whose address is inside a CIDR (blast radius of a block); optional. */
  hostsIn?(cidr: string): number;
}
