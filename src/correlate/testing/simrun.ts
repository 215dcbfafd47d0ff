/**
 * Test-support (not product code): runs a simulated scenario through the product's parsers, the
 * Sigma stage and the baseline stage, feeds events and signals to a correlator, and scores the
 * incidents against the simulator's ground truth with the eval scorecard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GarrisonEvent } from '../../core/event.js';
import type { Incident } from '../../core/incident.js';
import type { Signal } from '../../core/signal.js';
import { BaselineStage } from '../../baseline/index.js';
import { SigmaStage } from '../../detect/engine.js';
import { parseRecord } from '../../normalize/registry.js';
import { SOURCES, type Truth } from '../../sim/record.js';
import { computeScorecard, type Scorecard } from '../../sim/scorecard.js';
import { Simulation, type SimOptions } from '../../sim/simulation.js';
import { openSqliteStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import type { CorrelationConfigInput } from '../config.js';
import { contextFromOrg } from '../context.js';
import { createCorrelator, type Correlator } from '../correlator.js';

export interface SimRunResult {
  sim: Simulation;
  signals: Signal[];
  incidents: Incident[];
  /** Every stored incident record, merged ones included. */
  all: Incident[];
  truthOf: Map<string, Truth[]>;
  card: Scorecard;
  events: number;
  correlator: Correlator;
  store: Store;
  cleanup(): Promise<void>;
}

export async function runSimulated(opts: SimOptions & { baseline?: boolean; feedEvents?: boolean; correlation?: CorrelationConfigInput; storeEvents?: boolean }): Promise<SimRunResult> {
  const sim = new Simulation(opts);
  const dir = mkdtempSync(join(tmpdir(), 'garrison-corr-'));
  const store = openSqliteStore({ file: join(dir, 'g.db'), fts: 'off' } as never);
  await store.init();
  const sigma = new SigmaStage({ tenant: 'test' });
  const base = opts.baseline === false ? undefined : new BaselineStage({});
  const corr = createCorrelator({ store, context: contextFromOrg(sim.org), config: { tenant: 'test', ...(opts.correlation ?? {}) }, now: () => 0 });
  const truthOf = new Map<string, Truth[]>();
  const eventTruth = new Map<string, Truth>();
  const signals: Signal[] = [];
  let batch: GarrisonEvent[] = [];
  let events = 0;
  let attackEvents = 0;
  let i = 0;
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    if (opts.storeEvents) await store.appendEvents(batch);
    if (opts.feedEvents !== false) await corr.onEvents(batch);
    const sigs = [...sigma.process(batch), ...(base ? base.observe(batch) : [])];
    await take(sigs);
    batch = [];
  };
  const take = async (sigs: Signal[]): Promise<void> => {
    if (!sigs.length) return;
    for (const s of sigs) truthOf.set(s.id, s.eventIds.map((e) => eventTruth.get(e)).filter((t): t is Truth => !!t));
    signals.push(...sigs);
    await store.appendSignals(sigs);
    await corr.onSignals(sigs);
  };
  for (const r of sim.records()) {
    const s = SOURCES[r.source];
    const p = parseRecord({ data: r.event, origin: `sim:${i++}`, input: 'sim', tenant: 'test', receivedAt: r.time, format: s.sourcetype, meta: { sourcetype: s.sourcetype, source: s.source, host: r.host, time: r.time / 1000 } });
    if (!p.ok) continue;
    events++;
    if (r.truth) {
      attackEvents++;
      eventTruth.set(p.event.id, r.truth);
    }
    batch.push(p.event);
    if (batch.length >= 500) await flush();
  }
  await flush();
  await take(sigma.flush());
  await corr.flush();
  const recs = await store.listRecords<Incident>('incidents', { limit: 100_000 });
  const all = recs.map((r) => r.doc).sort((a, b) => a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1));
  const incidents = all.filter((x) => !x.mergedInto);
  const days = (sim.end - sim.start) / 86_400_000;
  const card = computeScorecard({
    campaigns: sim.campaigns,
    events,
    attackEvents,
    signals: signals.map((s) => ({ id: s.id, time: s.time, rule: s.detector, level: s.level, kind: s.kind, truths: truthOf.get(s.id) ?? [] })),
    incidents: incidents.map((x) => ({ id: x.id, time: x.firstSeen, severity: x.severity, signalIds: x.signalIds, truths: x.signalIds.flatMap((id) => truthOf.get(id) ?? []) })),
    hosts: sim.org.hosts.length,
    days,
  });
  return {
    sim,
    signals,
    incidents,
    all,
    truthOf,
    card,
    events,
    correlator: corr,
    store,
    async cleanup() {
      await corr.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
