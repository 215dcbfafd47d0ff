import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import type { IncidentConsumer, SignalConsumer } from '../core/stages.js';
import { createPipeline, type Pipeline } from '../ingest/pipeline.js';
import { parseFeed, saveFeed } from '../intel/index.js';
import type { RawRecord } from '../normalize/types.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import type { Store } from '../store/port.js';
import { createEngine, POSITION_KEY, type EngineOptions } from './engine.js';

const COMSVCS = 'a22a578d-2792-491b-9876-2a75d09c827e';
const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'garrison-engine-'));
  dirs.push(d);
  return d;
}

/** A Sysmon process creation as Winlogbeat writes it. `recon` ones (an LSASS dump through comsvcs.dll) match the built-in comsvcs_minidump rule. */
function proc(i: number, opts: { recon?: boolean; host?: string; t?: number } = {}): RawRecord {
  const time = opts.t ?? T0 + i * 60_000;
  const host = opts.host ?? `WS${String(i % 50).padStart(3, '0')}.corp.example.org`;
  const event = {
    '@timestamp': new Date(time).toISOString(),
    winlog: {
      channel: 'Microsoft-Windows-Sysmon/Operational',
      provider_name: 'Microsoft-Windows-Sysmon',
      event_id: '1',
      record_id: String(1000 + i),
      computer_name: host,
      event_data: opts.recon
        ? { Image: 'C:\\Windows\\System32\\rundll32.exe', CommandLine: `rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump ${600 + i} C:\\Users\\Public\\l.dmp full`, User: 'CORP\\eve' }
        : { Image: 'C:\\Windows\\System32\\notepad.exe', CommandLine: `notepad.exe C:\\Users\\eve\\notes-${i}.txt`, User: 'CORP\\eve' },
    },
  };
  return { data: event, origin: `test:${i}`, input: 'test', tenant: 'default', receivedAt: time, format: 'winlog' };
}

async function open(dir: string): Promise<{ store: Store; pipeline: Pipeline }> {
  const store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: 'off' });
  await store.init();
  return { store, pipeline: createPipeline({ store }) };
}

/** Fixed clock so that stored signals are comparable across runs. */
const base = (store: Store, extra: Partial<EngineOptions> = {}): EngineOptions => ({ store, now: () => T0, config: { checkpointMs: 3_600_000 }, ...extra });

describe('engine wiring', () => {
  it('turns stored events into stored signals and hands them to correlation, which writes incidents', async () => {
    const { store, pipeline } = await open(tmp());
    const seen: Signal[] = [];
    const changes: string[] = [];
    // A stand-in correlator with the contract src/correlate implements: incidents stored, next stage called.
    const correlator = (next: IncidentConsumer): SignalConsumer => ({
      async onSignals(signals) {
        seen.push(...signals);
        const inc = { id: `inc-${signals[0].id}`, tenant: 'default', signalIds: signals.map((s) => s.id), revision: 1 } as unknown as Incident;
        await store.putRecords('incidents', [{ id: inc.id, tenant: 'default', status: 'new', ref: '', createdAt: T0, updatedAt: T0, doc: inc }]);
        await next.onIncident({ kind: 'created', incident: inc });
      },
    });
    const engine = createEngine(base(store, { stages: { correlator, investigator: () => ({ onIncident: async (c) => void changes.push(c.incident.id) }) } }));
    await engine.start();
    engine.attach(pipeline);
    const recs = [proc(1), proc(2, { recon: true }), proc(3), proc(4, { recon: true })];
    const out = await pipeline.submit(recs);
    expect(out.stored).toBe(4);
    await engine.drain();
    const stored = await store.querySignals({});
    expect(stored.map((s) => s.detector).sort()).toEqual(seen.map((s) => s.detector).sort());
    expect(stored.filter((s) => s.detector === COMSVCS).length).toBe(2);
    expect(new Set(stored.flatMap((s) => s.eventIds)).size).toBe(2);
    expect(stored.every((s) => s.kind === 'sigma' && s.title.length > 0 && s.eventIds.length === 1)).toBe(true);
    const incidents = await store.listRecords('incidents');
    expect(incidents).toHaveLength(1);
    expect(changes).toEqual([incidents[0].id]);
    const st = engine.status();
    expect(st).toMatchObject({ mode: 'log', events: 4, backlog: 0, position: 4, signals: { total: stored.length, byKind: { sigma: stored.length } }, incidents: { created: 1 } });
    expect(st.stages).toEqual(['sigma', 'baselines', 'correlation', 'investigation']);
    expect(st.sigma!.rules).toBeGreaterThan(15);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('wires the real later stages: correlation writes incidents, investigation judges them, response plans in dry-run', async () => {
    const { store, pipeline } = await open(tmp());
    const engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    await pipeline.submit([proc(1), proc(2, { recon: true, host: 'WS007.corp.example.org' }), proc(3, { recon: true, host: 'WS007.corp.example.org' })]);
    await engine.drain();
    await engine.finish();
    const st = engine.status();
    expect(st.stages).toEqual(['sigma', 'baselines', 'intel', 'correlation', 'investigation', 'response']);
    expect(st.errors).toEqual({});
    const incidents = await store.listRecords<Incident>('incidents');
    expect(incidents.length).toBeGreaterThanOrEqual(1);
    const signalIds = new Set((await store.querySignals({})).map((s) => s.id));
    for (const i of incidents) for (const id of i.doc.signalIds) expect(signalIds.has(id)).toBe(true);
    expect(st.incidents.created).toBe(incidents.length);
    expect(st.verdicts.total).toBeGreaterThanOrEqual(1);
    expect((await store.listRecords('investigations')).length).toBeGreaterThanOrEqual(1);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('runs the intel detector over the feeds in the store: its signals are stored and correlated like the others', async () => {
    const { store, pipeline } = await open(tmp());
    await saveFeed(store, parseFeed('value,type,confidence\nupdate-cdn.example.net,domain,90\n', 'test-feed'), { origin: 'test' });
    const engine = createEngine(base(store, { config: { investigation: { enabled: false } } }));
    await engine.start();
    engine.attach(pipeline);
    const dns: RawRecord = {
      data: { '@timestamp': new Date(T0).toISOString(), winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', provider_name: 'Microsoft-Windows-Sysmon', event_id: '22', record_id: '7', computer_name: 'WS001.corp.example.org', event_data: { QueryName: 'update-cdn.example.net', Image: 'C:\\Program Files\\App\\app.exe' } } },
      origin: 'test:dns',
      input: 'test',
      tenant: 'default',
      receivedAt: T0,
      format: 'winlog',
    };
    await pipeline.submit([dns, proc(5)]);
    await engine.drain();
    const intel = await store.querySignals({ detector: 'intel:test-feed' });
    expect(intel).toHaveLength(1);
    expect(intel[0]).toMatchObject({ kind: 'intel', level: 'high' });
    expect(engine.status().signals.byKind.intel).toBe(1);
    expect(engine.status().stages).toEqual(['sigma', 'baselines', 'intel', 'correlation']);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('keeps going when a stage throws: the error is counted, the signals are still stored', async () => {
    const { store, pipeline } = await open(tmp());
    const engine = createEngine(base(store, { stages: { correlator: () => ({ onSignals: async () => Promise.reject(new Error('boom')) }) } }));
    await engine.start();
    engine.attach(pipeline);
    await pipeline.submit([proc(1, { recon: true })]);
    await pipeline.submit([proc(2, { recon: true, host: 'ws-b' })]);
    await engine.drain();
    expect((await store.querySignals({ detector: COMSVCS })).length).toBe(2);
    expect(engine.status().errors.correlation).toBe(2);
    expect(engine.status().lastError).toMatchObject({ stage: 'correlation' });
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('does not process duplicates (re-sent events) again', async () => {
    const { store, pipeline } = await open(tmp());
    const engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    await pipeline.submit([proc(1, { recon: true }), proc(2)]);
    await pipeline.submit([proc(1, { recon: true }), proc(2), proc(3, { recon: true })]);
    await engine.drain();
    expect(engine.status().events).toBe(3);
    expect((await store.querySignals({ detector: COMSVCS })).length).toBe(2);
    expect(engine.status().signals.total).toBe((await store.querySignals({})).length);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });
});

describe('engine catch-up', () => {
  const all = Array.from({ length: 60 }, (_, i) => proc(i, { recon: i % 3 === 0 }));

  /** Reference: one uninterrupted run over all batches. */
  async function reference(): Promise<string[]> {
    const { store, pipeline } = await open(tmp());
    const engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    for (let i = 0; i < all.length; i += 10) await pipeline.submit(all.slice(i, i + 10));
    await engine.drain();
    await engine.finish();
    const ids = (await store.querySignals({ limit: 10_000 })).map((s) => s.id).sort();
    await engine.stop();
    await pipeline.close();
    await store.close();
    return ids;
  }

  it('after a clean restart, processes what was stored while it was down: nothing skipped, nothing twice', async () => {
    const want = await reference();
    expect(want.length).toBeGreaterThan(20);
    const dir = tmp();
    let { store, pipeline } = await open(dir);
    let engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    for (let i = 0; i < 30; i += 10) await pipeline.submit(all.slice(i, i + 10));
    await engine.drain();
    await engine.stop();
    expect(JSON.parse((await store.getState(POSITION_KEY))!).position).toBe(30);
    // Engine down: ingest goes on.
    for (let i = 30; i < 50; i += 10) await pipeline.submit(all.slice(i, i + 10));
    await pipeline.close();
    await store.close();
    ({ store, pipeline } = await open(dir));
    engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    await pipeline.submit(all.slice(50, 60));
    await engine.drain();
    await engine.finish();
    const st = engine.status();
    expect(st.events).toBe(30);
    expect(st.eventsReadBack).toBeGreaterThanOrEqual(20);
    expect(st.position).toBe(60);
    const got = (await store.querySignals({ limit: 10_000 })).map((s) => s.id).sort();
    expect(got).toEqual(want);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('after a crash (no checkpoint), reprocesses from the last checkpoint without duplicating signals', async () => {
    const want = await reference();
    const dir = tmp();
    let { store, pipeline } = await open(dir);
    let engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    await pipeline.submit(all.slice(0, 10));
    await engine.drain();
    await engine.checkpoint();
    for (let i = 10; i < 40; i += 10) await pipeline.submit(all.slice(i, i + 10));
    await engine.drain();
    // Crash: no stop(), no checkpoint; the store is closed under it.
    await pipeline.close();
    await store.close();
    ({ store, pipeline } = await open(dir));
    engine = createEngine(base(store));
    await engine.start();
    engine.attach(pipeline);
    for (let i = 40; i < 60; i += 10) await pipeline.submit(all.slice(i, i + 10));
    await engine.drain();
    await engine.finish();
    expect(engine.status().events).toBe(50);
    const got = (await store.querySignals({ limit: 10_000 })).map((s) => s.id).sort();
    expect(got).toEqual(want);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('with a queue smaller than a batch, reads every batch back from the store and misses none', async () => {
    const want = await reference();
    const { store, pipeline } = await open(tmp());
    const engine = createEngine(base(store, { config: { checkpointMs: 3_600_000, maxQueuedEvents: 5, batchSize: 7 } }));
    await engine.start();
    engine.attach(pipeline);
    await Promise.all(Array.from({ length: 6 }, (_, k) => pipeline.submit(all.slice(k * 10, k * 10 + 10))));
    await engine.drain();
    await engine.finish();
    const st = engine.status();
    expect(st.events).toBe(60);
    expect(st.eventsReadBack).toBe(60);
    expect(st.queuedEvents).toBe(0);
    expect((await store.querySignals({ limit: 10_000 })).map((s) => s.id).sort()).toEqual(want);
    await engine.stop();
    await pipeline.close();
    await store.close();
  });

  it('starts from the end of the store when configured so', async () => {
    const { store, pipeline } = await open(tmp());
    await pipeline.submit(all.slice(0, 10));
    const engine = createEngine(base(store, { config: { startFrom: 'end' } }));
    await engine.start();
    engine.attach(pipeline);
    await pipeline.submit(all.slice(10, 20));
    await engine.drain();
    expect(engine.status()).toMatchObject({ events: 10, position: 20 });
    await engine.stop();
    await pipeline.close();
    await store.close();
  });
});

describe('analyst feedback reaches the baselines', () => {
  it('at each checkpoint, a benign verdict on an incident marks its anomaly patterns benign, once', async () => {
    const { store } = await open(tmp());
    const engine = createEngine(
      base(store, { config: { checkpointMs: 3_600_000, baselines: { enabled: true, config: { models: { rarity: { learningMs: 0, threshold: 30 } } } } } }),
    );
    await engine.start();
    const b = engine.baselines!;
    const bin = 'c:\\tools\\backup-agent.exe';
    const ev = (t: number) =>
      ({
        id: `e${t}`,
        tenant: 'default',
        time: t,
        ingestTime: t,
        source: { product: 'windows', service: 'sysmon', category: 'process_creation' },
        class: { uid: 1007, name: 'process_activity' },
        entities: { host: 'ws-1', user: 'alice', process: { image: bin, parent: { image: 'c:\\windows\\explorer.exe' } } },
        fields: {},
        raw: '{}',
      }) as unknown as Parameters<typeof b.observe>[0][number];
    const [sig] = b.observe([ev(T0)]);
    expect(sig?.kind).toBe('anomaly');
    await store.appendSignals([sig!]);
    const inc = { id: 'inc-1', tenant: 'default', signalIds: [sig!.id], revision: 1 } as unknown as Incident;
    await store.putRecords('incidents', [{ id: 'inc-1', tenant: 'default', status: 'needs_review', ref: '', createdAt: T0, updatedAt: T0, doc: inc }]);
    const fb = { id: 'fb-1', incidentId: 'inc-1', by: 'user:ana', at: T0 + 5, verdict: 'benign', label: 'false_positive', note: 'backup agent', detectors: [sig!.detector] };
    await store.putRecords('feedback', [{ id: 'fb-1', tenant: 'default', status: 'benign', ref: 'inc-1', createdAt: T0 + 5, updatedAt: T0 + 5, doc: fb }]);

    await engine.checkpoint();
    expect(b.feedbackEntries().map((e) => e.pattern)).toEqual([sig!.details.pattern]);
    expect((await store.listAudit()).map((a) => a.action)).toEqual(['baseline.mark_benign']);
    await engine.checkpoint();
    expect(b.feedbackEntries()).toHaveLength(1);
    expect((await store.listAudit()).length).toBe(1);
    await engine.stop({ drainMs: 1000 });
  });
});
