/**
 * Incidents as the API and the CLI see them: list with filters (needing a person first, then
 * score), one incident with its signals (following `mergedInto`), analyst split and merge.
 * Split and merge go through the live correlator of the store when one runs (so its in-memory
 * state stays right), else through a correlator created on demand that loads from the store.
 */
import { GarrisonError } from '../core/errors.js';
import type { Incident, IncidentStatus, VerdictValue } from '../core/incident.js';
import { LEVELS, type Level, type Signal } from '../core/signal.js';
import type { Store } from '../store/port.js';
import { createCorrelator, liveCorrelator, type Correlator } from './correlator.js';
import { tacticName, TACTICS } from './story.js';
import { clean } from './util.js';

export interface IncidentFilter {
  tenant?: string;
  status?: IncidentStatus | IncidentStatus[];
  /** Minimum severity. */
  severity?: Level;
  host?: string;
  user?: string;
  /** Tactic id (TA0008) or name (lateral-movement / Lateral Movement). */
  tactic?: string;
  /** Only incidents updated at or after (ms epoch). */
  since?: number;
  limit?: number;
  /** Include incidents merged into others (default false). */
  includeMerged?: boolean;
}

export interface IncidentSummary {
  id: string;
  title: string;
  status: IncidentStatus;
  severity: Level;
  score: number;
  confidence: number;
  firstSeen: number;
  lastSeen: number;
  updatedAt: number;
  signals: number;
  hosts: string[];
  users: string[];
  tactics: string[];
  mergedInto?: string;
  /**
   * The verdict in force: the analyst's when one was given, else investigation's. Same field names
   * as the incident's `verdict` (IncidentVerdict), without its evidence.
   */
  verdict?: { verdict: VerdictValue; confidence: number; by: string; decidedAt: number };
  /** Why the incident was closed (benign verdict's reason, an analyst's note, "merged into ..."). */
  closeReason?: string;
}

export interface IncidentDetail {
  incident: Incident;
  /** Set when the id asked for was merged into this incident. */
  resolvedFrom?: string;
  signals: Signal[];
}

const STATUS_ORDER: Record<IncidentStatus, number> = { needs_review: 0, new: 1, contained: 2, closed: 3 };
const STATUSES = Object.keys(STATUS_ORDER) as IncidentStatus[];
const MAX_SCAN = 10_000;

function tacticId(v: string): string | undefined {
  const l = v.trim().toLowerCase().replace(/[-_]/g, ' ');
  for (const [id, name] of TACTICS) if (id.toLowerCase() === l || name.toLowerCase() === l) return id;
  return undefined;
}

export function summarize(i: Incident): IncidentSummary {
  return {
    id: i.id,
    title: i.title,
    status: i.status,
    severity: i.severity,
    score: i.score,
    confidence: i.confidence,
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
    updatedAt: i.updatedAt,
    signals: i.signalIds.length,
    hosts: i.entities.filter((e) => e.kind === 'host').map((e) => e.display ?? e.value),
    users: i.entities.filter((e) => e.kind === 'user').map((e) => e.display ?? e.value),
    tactics: i.attack.tactics,
    ...(i.mergedInto ? { mergedInto: i.mergedInto } : {}),
    ...verdictOf(i),
    ...(typeof i.closeReason === 'string' ? { closeReason: i.closeReason } : {}),
  };
}

function verdictOf(i: Incident): Pick<IncidentSummary, 'verdict'> {
  const v = i.analystVerdict ?? i.verdict;
  if (!v || typeof v.verdict !== 'string') return {};
  return { verdict: { verdict: v.verdict, confidence: Number.isFinite(v.confidence) ? v.confidence : 0, by: typeof v.by === 'string' ? v.by : 'garrison', decidedAt: Number.isFinite(v.decidedAt) ? v.decidedAt : 0 } };
}

export class IncidentsService {
  constructor(private readonly store: Store) {}

  /** Validates raw (query-string) filters; every problem names its field. */
  static parseFilter(q: Record<string, string | undefined>): IncidentFilter {
    const f: IncidentFilter = {};
    const bad = (field: string, msg: string): never => {
      throw new GarrisonError('BAD_REQUEST', `${field}: ${msg}`, { location: { field } });
    };
    if (q.status) {
      const list = q.status.split(',').map((s) => s.trim()) as IncidentStatus[];
      for (const s of list) if (!STATUSES.includes(s)) bad('status', `unknown status "${clean(s, 32)}" (known: ${STATUSES.join(', ')})`);
      f.status = list;
    }
    if (q.severity) {
      if (!LEVELS.includes(q.severity as Level)) bad('severity', `unknown severity "${clean(q.severity, 32)}" (known: ${LEVELS.join(', ')})`);
      f.severity = q.severity as Level;
    }
    if (q.host) f.host = q.host.slice(0, 256);
    if (q.user) f.user = q.user.slice(0, 320);
    if (q.tactic) {
      if (!tacticId(q.tactic)) bad('tactic', `unknown tactic "${clean(q.tactic, 64)}"`);
      f.tactic = q.tactic;
    }
    if (q.since) {
      const n = /^\d{1,16}$/.test(q.since) ? Number(q.since) : Date.parse(q.since);
      if (!Number.isFinite(n)) bad('since', 'expected ms epoch or ISO 8601');
      f.since = n;
    }
    if (q.limit) {
      if (!/^\d{1,5}$/.test(q.limit) || Number(q.limit) < 1) bad('limit', 'expected an integer 1..10000');
      f.limit = Math.min(10_000, Number(q.limit));
    }
    if (q.tenant) f.tenant = q.tenant.slice(0, 128);
    if (q.includeMerged === 'true') f.includeMerged = true;
    return f;
  }

  async list(f: IncidentFilter = {}): Promise<IncidentSummary[]> {
    const recs = await this.store.listRecords<Incident>('incidents', { tenant: f.tenant, status: f.status, updatedSince: f.since, limit: MAX_SCAN });
    const host = f.host?.trim().toLowerCase();
    const user = f.user?.trim().toLowerCase();
    const tac = f.tactic ? tacticId(f.tactic) : undefined;
    const minSev = f.severity ? LEVELS.indexOf(f.severity) : 0;
    const out = recs
      .map((r) => r.doc)
      .filter((i) => i && (f.includeMerged || !i.mergedInto))
      .filter((i) => LEVELS.indexOf(i.severity) >= minSev)
      .filter((i) => !tac || i.attack.tactics.includes(tac))
      .filter((i) => !host || i.entities.some((e) => e.kind === 'host' && (e.value === host || e.value === host.split('.')[0] || (e.display ?? '').toLowerCase() === host)))
      .filter((i) => !user || i.entities.some((e) => e.kind === 'user' && (e.value === user || e.value === user.split('\\').pop()?.split('@')[0] || (e.display ?? '').toLowerCase() === user)))
      .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.score - a.score || b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
    return out.slice(0, f.limit ?? 100).map(summarize);
  }

  /** One incident with its signals; an id merged into another resolves to the survivor. */
  async get(id: string, tenant?: string): Promise<IncidentDetail> {
    let cur = id;
    let resolvedFrom: string | undefined;
    for (let hops = 0; hops < 32; hops++) {
      const r = await this.store.getRecord<Incident>('incidents', cur);
      if (!r || (tenant !== undefined && r.tenant !== tenant)) break;
      if (r.doc.mergedInto && r.doc.mergedInto !== cur) {
        resolvedFrom ??= id;
        cur = r.doc.mergedInto;
        continue;
      }
      const signals: Signal[] = [];
      const ids = r.doc.signalIds ?? [];
      for (let i = 0; i < ids.length; i += 10_000) signals.push(...(await this.store.getSignals(ids.slice(i, i + 10_000), r.tenant)));
      signals.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
      return { incident: r.doc, ...(resolvedFrom ? { resolvedFrom } : {}), signals };
    }
    throw new GarrisonError('INCIDENT_NOT_FOUND', `no incident ${clean(id, 80)}`, { location: { field: 'id' } });
  }

  private correlator(): Correlator {
    return liveCorrelator(this.store) ?? createCorrelator({ store: this.store });
  }

  async split(id: string, signalIds: unknown, by: string): Promise<Incident> {
    if (!Array.isArray(signalIds) || signalIds.length === 0 || signalIds.length > 100_000 || signalIds.some((s) => typeof s !== 'string' || s.length > 256)) {
      throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'signalIds must be a non-empty array of signal ids', { location: { field: 'signalIds' } });
    }
    return this.correlator().split(id, signalIds as string[], by);
  }

  async merge(ids: unknown, by: string): Promise<Incident> {
    if (!Array.isArray(ids) || ids.length < 2 || ids.length > 1000 || ids.some((s) => typeof s !== 'string' || s.length > 256)) {
      throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'ids must be an array of at least two incident ids', { location: { field: 'ids' } });
    }
    return this.correlator().merge(ids as string[], by);
  }
}

export { tacticName };
