/** Test helpers: incidents, verdicts, a temporary SQLite store. Used by the response tests only. */
import type { Incident, IncidentEntity, IncidentVerdict } from '../../core/incident.js';

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

export function entity(kind: IncidentEntity['kind'], value: string, extra: Partial<IncidentEntity> = {}): IncidentEntity {
  return { kind, value, firstSeen: T0, lastSeen: T0 + 60_000, signalIds: [`sig-${kind}-${value}`.slice(0, 60)], ...extra };
}

export function incident(id: string, entities: IncidentEntity[], extra: Partial<Incident> = {}): Incident {
  return {
    id,
    tenant: 'default',
    title: `Test incident ${id}`,
    summary: 'test',
    status: 'new',
    severity: 'high',
    score: 80,
    confidence: 0.9,
    createdAt: T0,
    updatedAt: T0,
    firstSeen: T0,
    lastSeen: T0 + 60_000,
    signalIds: entities.flatMap((e) => e.signalIds),
    attack: { tactics: ['TA0002'], techniques: ['T1059.001'] },
    stages: [],
    entities,
    scoring: [],
    mergedFrom: [],
    revision: 1,
    ...extra,
  };
}

export function verdict(v: IncidentVerdict['verdict'], confidence: number, extra: Partial<IncidentVerdict> = {}): IncidentVerdict {
  return {
    verdict: v,
    confidence,
    by: 'garrison',
    decidedAt: T0 + 120_000,
    summary: `${v} at ${confidence}`,
    factors: [{ factor: 'intel_hit', weight: 2, detail: 'known bad', cites: ['evt-1', 'evt-2'] }],
    wouldChange: [],
    ...extra,
  };
}

export { tempStore, type TempStore } from '../tmpstore.js';

/** A controllable clock. */
export function clock(start = T0): { now: () => number; advance(ms: number): void; set(t: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    set(x) {
      t = x;
    },
  };
}
