/**
 * Test and benchmark harness (not product code): a seeded simulation through the product's
 * parsers into a real SQLite store, the Sigma stage and the baseline stage for signals, and
 * incidents built from the signals — by the product's correlator (src/correlate, `grouping:
 * 'correlator'`, the default) or, as a stand-in, by ground truth (`grouping: 'truth'`: signals
 * whose evidence carries attack ground truth by campaign, the others by their main entity).
 */
import { createHash } from 'node:crypto';
import { BaselineStage } from '../../baseline/stage.js';
import { hostKey, type GarrisonEvent } from '../../core/event.js';
import type { Incident } from '../../core/incident.js';
import { LEVELS, type Level, type Signal } from '../../core/signal.js';
import { SigmaStage } from '../../detect/engine.js';
import { parseRecord } from '../../normalize/registry.js';
import { SOURCES, type Truth } from '../../sim/record.js';
import { Simulation } from '../../sim/simulation.js';
import { contextFromOrg } from '../../correlate/context.js';
import { createCorrelator } from '../../correlate/correlator.js';
import type { Store } from '../../store/port.js';
import type { ContextLookup } from '../types.js';

const DAY = 86_400_000;

export interface SimHarness {
  sim: Simulation;
  events: number;
  signals: Signal[];
  incidents: Incident[];
  /** Ground truth by event id (attack events only). */
  truth: Map<string, Truth>;
  context: ContextLookup;
}

function incidentFrom(id: string, title: string, sigs: Signal[]): Incident {
  const sorted = [...sigs].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
  const first = sorted[0].time;
  const last = sorted[sorted.length - 1].time;
  const level = sorted.reduce((m, s) => (LEVELS.indexOf(s.level) > LEVELS.indexOf(m) ? s.level : m), 'informational' as Level);
  const hosts = [...new Set(sorted.map((s) => hostKey(s.entities.host)).filter((h): h is string => !!h))];
  const users = [...new Set(sorted.map((s) => s.entities.user?.toLowerCase()).filter((u): u is string => !!u))];
  return {
    id,
    tenant: 'default',
    title,
    summary: title,
    status: 'new',
    severity: level,
    score: Math.max(...sorted.map((s) => s.score)),
    confidence: 0.5,
    createdAt: last,
    updatedAt: last,
    firstSeen: first,
    lastSeen: last,
    signalIds: sorted.map((s) => s.id),
    attack: { tactics: [...new Set(sorted.flatMap((s) => s.attack.tactics))].sort(), techniques: [...new Set(sorted.flatMap((s) => s.attack.techniques))].sort() },
    stages: [],
    entities: [
      ...hosts.map((h) => ({ kind: 'host' as const, value: h, firstSeen: first, lastSeen: last, signalIds: sorted.filter((s) => hostKey(s.entities.host) === h).map((s) => s.id) })),
      ...users.map((u) => ({ kind: 'user' as const, value: u, firstSeen: first, lastSeen: last, signalIds: sorted.filter((s) => s.entities.user?.toLowerCase() === u).map((s) => s.id) })),
    ],
    scoring: [],
    mergedFrom: [],
    revision: 0,
  };
}

export async function runSimHarness(store: Store, opts: { seed?: number; hours?: number; trainDays?: number; learningDays?: number; baselines?: boolean; grouping?: 'correlator' | 'truth' } = {}): Promise<SimHarness> {
  const seed = opts.seed ?? 1;
  const hours = opts.hours ?? 24;
  const trainDays = opts.trainDays ?? 1;
  const attackStart = Date.UTC(2026, 10, 23);
  const models: Record<string, { learningMs: number }> = {};
  for (const m of ['rarity', 'peer', 'time', 'volume', 'beaconing', 'dns', 'auth']) models[m] = { learningMs: (opts.learningDays ?? trainDays) * DAY };
  const baseline = opts.baselines === false ? undefined : new BaselineStage({ models });
  const sigma = new SigmaStage({});
  const truth = new Map<string, Truth>();
  const signals: Signal[] = [];
  let events = 0;
  const phases: [Simulation, string][] = [];
  if (trainDays > 0) phases.push([new Simulation({ scenario: 'quiet', seed, hours: trainDays * 24, start: attackStart - trainDays * DAY }), 'q']);
  const sim = new Simulation({ seed, hours, start: attackStart });
  phases.push([sim, 'd']);
  for (const [s, ph] of phases) {
    let batch: GarrisonEvent[] = [];
    const flush = async () => {
      if (!batch.length) return;
      await store.appendEvents(batch);
      signals.push(...sigma.process(batch));
      if (baseline) signals.push(...baseline.observe(batch));
      batch = [];
    };
    for (const r of s.records()) {
      const src = SOURCES[r.source];
      const p = parseRecord({ data: r.event, origin: `sim:${ph}:${r.seq}`, input: 'sim', tenant: 'default', receivedAt: r.time, format: src.sourcetype, meta: { sourcetype: src.sourcetype, source: src.source, host: r.host, time: r.time / 1000 } });
      if (!p.ok) continue;
      events++;
      if (r.truth) truth.set(p.event.id, r.truth);
      batch.push(p.event);
      if (batch.length >= 2000) await flush();
    }
    await flush();
    if (baseline) signals.push(...baseline.flushAll(s.end));
  }
  signals.push(...sigma.flush());
  // only the attack day's signals become incidents (training-day anomalies are the learning period)
  const day = signals.filter((s) => s.time >= attackStart);
  // stable createdAt for determinism
  for (const s of day) s.createdAt = s.time;
  day.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
  await store.appendSignals(day);
  const context = contextFromOrg(sim.org);
  const incidents: Incident[] = [];
  if ((opts.grouping ?? 'correlator') === 'correlator') {
    const corr = createCorrelator({ store, context, config: { tenant: 'default' }, now: () => attackStart });
    // events of the attack day first (identity graph: logons, processes), then the signals in time order
    const evs = await store.search('', { from: attackStart - 2 * 3_600_000, limit: 10_000, order: 'asc' });
    let page = evs;
    for (;;) {
      await corr.onEvents(page.events);
      if (!page.nextCursor) break;
      page = await store.search('', { from: attackStart - 2 * 3_600_000, limit: 10_000, order: 'asc', cursor: page.nextCursor });
    }
    for (let i = 0; i < day.length; i += 200) await corr.onSignals(day.slice(i, i + 200));
    await corr.close();
    const recs = await store.listRecords<Incident>('incidents', { limit: 100_000 });
    incidents.push(...recs.map((r) => r.doc).filter((x) => !x.mergedInto).sort((a, b) => a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1)));
    return { sim, events, signals: day, incidents, truth, context };
  }
  const byCampaign = new Map<string, Signal[]>();
  const benign = new Map<string, Signal[]>();
  for (const s of day) {
    const t = s.eventIds.map((id) => truth.get(id)).find(Boolean);
    if (t) {
      const l = byCampaign.get(t.campaign) ?? [];
      l.push(s);
      byCampaign.set(t.campaign, l);
    } else {
      const key = hostKey(s.entities.host) ?? s.entities.user?.toLowerCase() ?? s.entities.srcIp ?? String((s.details?.entity as { id?: string } | undefined)?.id ?? s.detector);
      const l = benign.get(key) ?? [];
      l.push(s);
      benign.set(key, l);
    }
  }
  const idOf = (sigs: Signal[]) => 'inc-' + createHash('sha256').update(sigs.map((s) => s.id).sort().join(',')).digest('hex').slice(0, 20);
  for (const [c, sigs] of [...byCampaign].sort()) incidents.push(incidentFrom(idOf(sigs), `campaign ${c}: ${sigs[0].title}`, sigs));
  for (const [k, sigs] of [...benign].sort()) incidents.push(incidentFrom(idOf(sigs), `${k}: ${sigs[0].title}`, sigs));
  await store.putRecords('incidents', incidents.map((i) => ({ id: i.id, tenant: i.tenant, status: i.status, ref: '', createdAt: i.createdAt, updatedAt: i.updatedAt, doc: i })));
  return { sim, events, signals: day, incidents, truth, context };
}

/** Whether an incident is an attack (any of its signals' events carries ground truth) and which campaigns. */
export function campaignsOf(h: SimHarness, inc: Incident): string[] {
  const ids = new Set(inc.signalIds);
  const out = new Set<string>();
  for (const s of h.signals) if (ids.has(s.id)) for (const e of s.eventIds) { const t = h.truth.get(e); if (t) out.add(t.campaign); }
  return [...out].sort();
}
