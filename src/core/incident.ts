/**
 * The shared shapes that flow after detection: incidents (correlate), investigations and verdicts
 * (investigate), actions (respond), analyst feedback (surface). Each stage owns the logic; these
 * types are the contract between stages and the public API. Stored through `Store.putRecords` in
 * the collections named below (`incidents`, `investigations`, `actions`, `feedback`).
 */
import type { Level } from './signal.js';

export type EntityKind = 'host' | 'user' | 'ip' | 'domain' | 'url' | 'process' | 'file' | 'hash' | 'registry' | 'cloud_identity';

/** An entity an incident involves, with the signals that name it. */
export interface IncidentEntity {
  kind: EntityKind;
  /** Canonical value (host key, user key, lower-case domain, process guid ...). */
  value: string;
  /** Display name when it differs from value (e.g. `CORP\\alice` for user key `corp\\alice`). */
  display?: string;
  /** 'source' | 'target' | 'victim' | 'attacker' | 'related' ... (free text, from the correlation). */
  role?: string;
  firstSeen: number;
  lastSeen: number;
  signalIds: string[];
  /** Context from the asset inventory / identity directory (criticality, owner, privileged ...). */
  context?: Record<string, unknown>;
}

/** One step of the attack story: the signals of one ATT&CK tactic, in time order. */
export interface IncidentStage {
  /** TA0001 ...; 'unknown' when no tactic is tagged. */
  tactic: string;
  tacticName: string;
  techniques: string[];
  first: number;
  last: number;
  signalIds: string[];
  hosts: string[];
  users: string[];
  /** One sentence: "PowerShell download cradle on WS01 by alice (2 signals)". */
  summary: string;
}

/** A scored reason: used both for incident scoring and verdict evidence. */
export interface WeightedFactor {
  /** Stable machine name: 'tactic_progression', 'crown_jewel', 'intel_hit', 'known_admin_tool' ... */
  factor: string;
  /** Signed contribution (positive raises severity / maliciousness). */
  weight: number;
  /** Human explanation. */
  detail: string;
  /** Stored event ids and/or evidence ids this factor rests on. */
  cites?: string[];
}

export type IncidentStatus =
  /** Being built / investigated; not yet shown as needing a person. */
  | 'new'
  /** A person must decide (suspicious verdict, or pending approvals). */
  | 'needs_review'
  /** Malicious and contained (or containment in progress) under policy. */
  | 'contained'
  /** Closed: benign automatically, or by an analyst. */
  | 'closed';

export type VerdictValue = 'malicious' | 'suspicious' | 'benign';

export interface IncidentVerdict {
  verdict: VerdictValue;
  /** 0..1. */
  confidence: number;
  /** 'garrison' for the automatic investigation, 'user:<name>' for an analyst. */
  by: string;
  decidedAt: number;
  summary: string;
  /** Evidence (positive weight) and counter-evidence (negative weight), each citing what it rests on. */
  factors: WeightedFactor[];
  /** What would change the call ("a second host contacting 203.0.113.7 would make this malicious"). */
  wouldChange: string[];
}

export interface Incident {
  id: string;
  tenant: string;
  title: string;
  summary: string;
  status: IncidentStatus;
  severity: Level;
  /** 0..100, from signals, asset criticality and tactic progression. */
  score: number;
  /** 0..1 confidence that the signals belong together and are real. */
  confidence: number;
  createdAt: number;
  updatedAt: number;
  /** Event time span covered by its signals. */
  firstSeen: number;
  lastSeen: number;
  signalIds: string[];
  attack: { tactics: string[]; techniques: string[] };
  /** Ordered by first time. */
  stages: IncidentStage[];
  entities: IncidentEntity[];
  /** Why the score is what it is. */
  scoring: WeightedFactor[];
  /** Incidents merged into this one (their ids stay resolvable: they point here by mergedInto). */
  mergedFrom: string[];
  /** Set on an incident absorbed by another. */
  mergedInto?: string;
  /** Set on an incident created by an analyst split. */
  splitFrom?: string;
  /** The automatic verdict (investigation), then the analyst's if one was given. */
  verdict?: IncidentVerdict;
  analystVerdict?: IncidentVerdict;
  /** Latest investigation record id (collection `investigations`, ref = incident id). */
  investigationId?: string;
  /** Why it was closed ("benign: known admin activity ..."). */
  closeReason?: string;
  /**
   * Event time at which the incident first met correlation's publish rule: the time of the signal
   * that made its signals worth a person's attention. Later-timed signals handled in the same batch
   * do not move it (time-to-detect figures use it). Set by correlation; absent on older records.
   */
  detectedAt?: number;
  /** Incremented on every change; lets the console and listeners order updates. */
  revision: number;
}

/** An analyst's feedback on an incident or a signal (collection `feedback`, ref = incident id). */
export interface Feedback {
  id: string;
  incidentId: string;
  by: string;
  at: number;
  verdict: VerdictValue;
  /** 'true_positive' | 'false_positive' | 'benign_true_positive' ... */
  label: string;
  note: string;
  /** Detectors (rule ids, models) the feedback applies to, for per-rule statistics and tuning. */
  detectors: string[];
}
