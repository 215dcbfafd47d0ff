/**
 * The investigation's shapes: evidence items, the ledger of steps, the stored record, and the
 * contract of a step module. Everything here is what the API returns (docs/investigation.md).
 */
import type { GarrisonEvent } from '../core/event.js';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { Store } from '../store/port.js';

/** The query behind an evidence item: a store search as it ran, or a look-up in another source. */
export type EvidenceQuery = { text: string; sql: string; params: unknown[] } | { lookup: string; args?: Record<string, unknown> };

export interface EvidenceItem {
  /** Stable id from content: `ev-<sha256(step, title, query, eventIds)>` (first 16 hex). */
  id: string;
  /** Id of the plan step that produced it. */
  step: string;
  title: string;
  query: EvidenceQuery;
  /** Stored events this item rests on (each exists in the store; a test checks every one). */
  eventIds: string[];
  /** What was found, as data the verdict model reads (`kind` says which facts to expect). */
  facts: Record<string, unknown>;
  /** Optional hint from the step (the verdict model decides the actual weights). */
  weight?: number;
}

export type StepStatus = 'ok' | 'empty' | 'skipped' | 'failed' | 'timeout' | 'truncated';

/** One step in the ledger. */
export interface StepRecord {
  /** Plan step id. */
  id: string;
  type: string;
  title: string;
  status: StepStatus;
  /** Why it was skipped or failed. */
  note?: string;
  /** Queries run (count) and events they returned (sum), for cost accounting. */
  queries: number;
  results: number;
  evidence: EvidenceItem[];
}

export interface Ledger {
  incidentId: string;
  plan: { name: string; version: number };
  /** Event-time window the investigation looked at. */
  window: { from: number; to: number };
  steps: StepRecord[];
}

export interface InvestigationDoc {
  id: string;
  incidentId: string;
  /** Hash of the incident's signal set: a change means a new investigation is due. */
  inputHash: string;
  ledger: Ledger;
  verdict: IncidentVerdict & { score: number };
  /** The readable story, built from the evidence (template, or LLM output that passed validation). */
  narrative: Narrative;
  /** Previous automatic verdict of the incident when this run changed it. */
  verdictChange?: { from: string; to: string };
  /** Totals for cost accounting. */
  cost: { queries: number; results: number; steps: number };
}

export interface NarrativeClaim {
  text: string;
  cites: string[];
}

export interface Narrative {
  source: 'template' | 'llm';
  summary: string;
  claims: NarrativeClaim[];
  /** Extra hypotheses an LLM proposed (to test; never decide). */
  hypotheses?: string[];
  /** Claims an LLM made that did not check out against the evidence, with why. */
  rejected?: { text: string; reason: string }[];
  /** Set when the LLM was asked and failed; the template narrative is used. */
  llmError?: string;
}

/** Asset facts the investigation uses. src/correlate's ContextIndex satisfies this. */
export interface AssetLookup {
  role?: string;
  criticality?: string;
  owner?: string;
  crownJewel?: boolean;
  tags?: string[];
  ips?: string[];
  hub?: boolean;
}
export interface IdentityLookup {
  display?: string;
  privileged?: boolean;
  service?: boolean;
  groups?: string[];
  owner?: string;
}
/** Asset and identity context (src/correlate ContextIndex fits structurally). */
export interface ContextLookup {
  host(nameOrIp: string | undefined): AssetLookup | undefined;
  user(alias: string | undefined): IdentityLookup | undefined;
}

/** Optional baseline answers; when absent, steps derive "usual" from stored history. */
export interface BaselineLookup {
  /** Is this (user, host / source / hour) combination usual? undefined = no opinion. */
  usual?(q: { user: string; host?: string; source?: string; hour?: number }): { usual: boolean; detail: string } | undefined;
}

/** What a step gets. Queries go through `search` so the ledger counts cost and enforces limits. */
export interface StepContext {
  store: Store;
  incident: Incident;
  /** The incident's own signals (those still in the store). */
  signals: Signal[];
  /** Events the signals point at, by id. */
  signalEvents: Map<string, GarrisonEvent>;
  window: { from: number; to: number };
  /** History horizon for first-seen / prevalence / usual checks. */
  lookback: { from: number; to: number };
  params: Record<string, unknown>;
  context?: ContextLookup;
  intel?: IntelIndex;
  baselines?: BaselineLookup;
  tenant: string;
  /** Store search with the step's limits; counts the query. */
  search(q: string, opts?: { from?: number; to?: number; limit?: number; order?: 'asc' | 'desc' }): Promise<{ events: GarrisonEvent[]; query: { text: string; sql: string; params: unknown[] }; truncated: boolean }>;
  /** Builds an evidence item with a content id. */
  evidence(e: Omit<EvidenceItem, 'id' | 'step'>): EvidenceItem;
  /** Records that a step hit a limit. */
  truncate(note: string): void;
}

export interface StepModule<P = Record<string, unknown>> {
  readonly type: string;
  readonly description: string;
  /** zod-like parser of the step's params (validated when the plan loads). */
  readonly params: { safeParse(v: unknown): { success: true; data: P } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } };
  run(ctx: StepContext & { params: P }): Promise<EvidenceItem[]>;
}
