/**
 * The figures that matter: coverage over time (snapshots of the coverage report kept in the store
 * state: gaps closed and opened per week) and the operating figures from incidents — mean time to
 * detect, investigate, contain and resolve, the share of incidents resolved without a person and
 * the analyst hours that saves (assumption stated in the output) — as far as the data exists.
 */
import type { Incident } from '../core/incident.js';
import type { Store } from '../store/port.js';
import type { CoverageReport, CoverageState } from './coverage.js';

export const SNAPSHOT_STATE_KEY = 'coverage/snapshots/v1';
const MAX_SNAPSHOTS = 1000;

export interface CoverageSnapshot {
  at: number;
  counts: Record<CoverageState, number>;
  validated: number;
  /** Technique ids covered at that time. */
  covered: string[];
}

export async function loadSnapshots(store: Store): Promise<CoverageSnapshot[]> {
  const t = await store.getState(SNAPSHOT_STATE_KEY);
  if (!t) return [];
  try {
    const x = JSON.parse(t) as unknown;
    return Array.isArray(x) ? (x as CoverageSnapshot[]).filter((s) => s && typeof s.at === 'number' && Array.isArray(s.covered)) : [];
  } catch {
    return [];
  }
}

/** Appends a snapshot of the report (bounded history, oldest dropped). */
export async function saveSnapshot(store: Store, r: CoverageReport): Promise<CoverageSnapshot> {
  const snap: CoverageSnapshot = {
    at: r.generatedAt,
    counts: { covered: r.summary.covered, 'covered-but-blind': r.summary['covered-but-blind'], 'data-without-detection': r.summary['data-without-detection'], uncovered: r.summary.uncovered },
    validated: r.summary.validated,
    covered: r.techniques.filter((t) => t.state === 'covered').map((t) => t.id),
  };
  const all = await loadSnapshots(store);
  all.push(snap);
  all.sort((a, b) => a.at - b.at);
  await store.setState(SNAPSHOT_STATE_KEY, JSON.stringify(all.slice(-MAX_SNAPSHOTS)));
  return snap;
}

function isoWeek(t: number): string {
  const d = new Date(t);
  const day = (d.getUTCDay() + 6) % 7;
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3));
  const y = thursday.getUTCFullYear();
  const w = 1 + Math.round((thursday.getTime() - Date.UTC(y, 0, 4)) / 604_800_000 - ((new Date(Date.UTC(y, 0, 4)).getUTCDay() + 6) % 7) / 7 + 3 / 7);
  return `${y}-W${String(w).padStart(2, '0')}`;
}

export interface Duration {
  n: number;
  meanMs?: number;
  medianMs?: number;
}

function dur(xs: number[]): Duration {
  const v = xs.filter((x) => Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  if (!v.length) return { n: 0 };
  return { n: v.length, meanMs: Math.round(v.reduce((a, b) => a + b, 0) / v.length), medianMs: v[Math.floor(v.length / 2)] };
}

export interface SocMetrics {
  window: { from: number; to: number };
  incidents: { total: number; byStatus: Record<string, number>; bySeverity: Record<string, number> };
  /** First evidence (firstSeen) to incident creation. */
  timeToDetect: Duration;
  /** Incident creation to the automatic verdict. */
  timeToInvestigate: Duration;
  /** Incident creation to the first executed containment action (or to status contained). */
  timeToContain: Duration;
  /** Incident creation to closure. */
  timeToResolve: Duration;
  /** Incidents closed or contained with no analyst verdict. */
  resolvedWithoutPerson: { count: number; share?: number };
  autoClosedBenign: number;
  analystHoursSaved: { hours: number; assumption: string };
  coverage: {
    snapshots: number;
    latest?: CoverageSnapshot['counts'] & { validated: number; at: number };
    perWeek: { week: string; closed: number; opened: number; covered: number }[];
  };
  /** Attack-surface figures from the latest coverage report, when given. */
  surface?: { staleHosts: number; sourcesStale: number; blindTechniques: number };
  notes: string[];
}

export async function socMetrics(store: Store, opts: { from: number; to: number; tenant?: string; minutesPerIncident?: number; coverage?: CoverageReport }): Promise<SocMetrics> {
  const minutes = opts.minutesPerIncident ?? 30;
  const recs = await store.listRecords<Incident>('incidents', { tenant: opts.tenant, updatedSince: opts.from, limit: 100_000 });
  const incs = recs.map((r) => r.doc).filter((i) => i && !i.mergedInto && i.createdAt >= opts.from && i.createdAt < opts.to);
  const byStatus: Record<string, number> = {};
  const bySeverity: Record<string, number> = {};
  const detect: number[] = [];
  const investigate: number[] = [];
  const contain: number[] = [];
  const resolve: number[] = [];
  let noPerson = 0;
  let done = 0;
  let autoBenign = 0;
  const actions = await store.listRecords<{ state?: string; status?: string; executedAt?: number }>('actions', { tenant: opts.tenant, updatedSince: opts.from, limit: 100_000 });
  const firstAction = new Map<string, number>();
  for (const a of actions) {
    const st = (a.status || a.doc?.state || a.doc?.status || '').toLowerCase();
    if (!a.ref || !/^(executed|done|succeeded|completed)$/.test(st)) continue;
    const t = typeof a.doc?.executedAt === 'number' ? a.doc.executedAt : a.updatedAt;
    firstAction.set(a.ref, Math.min(firstAction.get(a.ref) ?? Infinity, t));
  }
  for (const i of incs) {
    byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    bySeverity[i.severity] = (bySeverity[i.severity] ?? 0) + 1;
    if (Number.isFinite(i.firstSeen)) detect.push(i.createdAt - i.firstSeen);
    if (i.verdict?.decidedAt) investigate.push(i.verdict.decidedAt - i.createdAt);
    const fa = firstAction.get(i.id);
    if (fa !== undefined) contain.push(fa - i.createdAt);
    else if (i.status === 'contained') contain.push(i.updatedAt - i.createdAt);
    if (i.status === 'closed') resolve.push(i.updatedAt - i.createdAt);
    if (i.status === 'closed' || i.status === 'contained') {
      done++;
      if (!i.analystVerdict) noPerson++;
      if (i.status === 'closed' && !i.analystVerdict && i.verdict?.verdict === 'benign') autoBenign++;
    }
  }
  const snaps = (await loadSnapshots(store)).filter((s) => s.at < opts.to);
  const perWeek = new Map<string, { closed: number; opened: number; covered: number }>();
  for (let k = 1; k < snaps.length; k++) {
    const prev = new Set(snaps[k - 1].covered);
    const cur = new Set(snaps[k].covered);
    const w = isoWeek(snaps[k].at);
    const row = perWeek.get(w) ?? { closed: 0, opened: 0, covered: 0 };
    for (const t of cur) if (!prev.has(t)) row.closed++;
    for (const t of prev) if (!cur.has(t)) row.opened++;
    row.covered = cur.size;
    perWeek.set(w, row);
  }
  const latest = snaps[snaps.length - 1];
  const notes: string[] = [];
  if (!incs.length) notes.push('no incidents in the window: the time figures are empty');
  if (snaps.length < 2) notes.push('fewer than two coverage snapshots: gaps closed/opened per week need `garrison coverage --save` run over time');
  const cov = opts.coverage;
  return {
    window: { from: opts.from, to: opts.to },
    incidents: { total: incs.length, byStatus, bySeverity },
    timeToDetect: dur(detect),
    timeToInvestigate: dur(investigate),
    timeToContain: dur(contain),
    timeToResolve: dur(resolve),
    resolvedWithoutPerson: { count: noPerson, share: done ? noPerson / done : undefined },
    autoClosedBenign: autoBenign,
    analystHoursSaved: { hours: Math.round(((noPerson * minutes) / 60) * 10) / 10, assumption: `${minutes} analyst minutes per incident resolved without a person (triage, enrichment, closure note)` },
    coverage: {
      snapshots: snaps.length,
      latest: latest ? { ...latest.counts, validated: latest.validated, at: latest.at } : undefined,
      perWeek: [...perWeek].map(([week, v]) => ({ week, ...v })).sort((a, b) => a.week.localeCompare(b.week)),
    },
    surface: cov ? { staleHosts: cov.telemetry.staleHosts.length, sourcesStale: cov.telemetry.sources.filter((s) => s.stale).length, blindTechniques: cov.summary['covered-but-blind'] } : undefined,
    notes,
  };
}
