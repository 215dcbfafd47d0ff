/**
 * Shapes the console reads. Incidents and signals are the shared contract (src/core); actions and
 * investigations are read loosely (optional fields), so a stage evolving its API degrades a panel
 * instead of breaking the page.
 */
export type { Incident, IncidentEntity, IncidentStage, IncidentVerdict, WeightedFactor, Feedback } from '../../src/core/incident';
export type { Signal } from '../../src/core/signal';
export type { GarrisonEvent } from '../../src/core/event';

export interface ActionView {
  id: string;
  incidentId: string;
  alsoFor?: string[];
  kind: string;
  target?: Record<string, unknown>;
  status: string;
  mode?: string;
  why?: string;
  policy?: { name?: string; rule?: string; reason?: string; version?: string };
  approvalsRequired?: number;
  approvals?: { by: string; at: number; reason: string }[];
  rejection?: { by: string; at: number; reason: string };
  blast?: { hosts?: number; users?: number; addresses?: number };
  ttlMs?: number;
  expiresAt?: number;
  executedAt?: number;
  connector?: string;
  preview?: { summary?: string; alreadyInEffect?: boolean };
  failure?: { code: string; message: string; op: string };
  rollback?: { by: string; at: number; reason: string };
  history?: { at: number; by: string; what: string; status?: string; note?: string }[];
  createdAt?: number;
  updatedAt?: number;
}

/** Statuses in which a person can still approve or reject (src/respond/types.ts OPEN_STATUSES). */
export const OPEN_ACTION = new Set(['suggested', 'pending_approval']);
/** In effect and reversible. */
export const ROLLBACKABLE = new Set(['active']);

export interface EvidenceView {
  id: string;
  step?: string;
  title: string;
  query?: { text?: string; sql?: string; params?: unknown[]; lookup?: string };
  eventIds?: string[];
  facts?: Record<string, unknown>;
  weight?: number;
}
export interface StepView {
  step?: string;
  id?: string;
  type?: string;
  title: string;
  status?: string;
  note?: string;
  evidence?: EvidenceView[];
}

/** Pulls the action list out of whatever envelope the API uses. */
export function actionsOf(r: unknown): ActionView[] {
  const o = r as { actions?: unknown } | unknown[] | undefined;
  const list = Array.isArray(o) ? o : Array.isArray((o as { actions?: unknown })?.actions) ? (o as { actions: unknown[] }).actions : [];
  return list.map((a) => ((a as { doc?: unknown })?.doc && typeof (a as { doc?: unknown }).doc === 'object' ? (a as { doc: ActionView }).doc : (a as ActionView))).filter((a) => a && typeof a.id === 'string');
}
