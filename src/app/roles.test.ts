import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, type GarrisonConfigInput } from '../core/config.js';
import type { GarrisonEvent } from '../core/event.js';
import type { GarrisonError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { TOPICS } from '../core/stages.js';
import { MemoryBus } from '../bus/memory/bus.js';
import type { Bus } from '../bus/port.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import type { Store } from '../store/port.js';
import { liveHub, type LiveChange } from '../surface/server/live.js';
import { startServer, type RunningServer } from '../surface/server/server.js';
import { consumeStoredEvents, publishingStore, RecentIds, storedEventMessages, type StoredEventsMessage } from './event-feed.js';
import { checkDeployment, planRole, redactUrl } from './roles.js';
import { COMSVCS_RULE, hecBody } from './scaleout-testkit.js';
import { liveEngine } from './service.js';

const API = 'roles-test-api-token-0123456789';
const HEC = '21111111-2222-3333-4444-555555555555';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'garrison-roles-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const cfg = (dir: string, extra: GarrisonConfigInput = {}) =>
  defaultConfig({
    dataDir: dir,
    server: { port: 0 },
    auth: { apiTokens: [{ name: 't', token: API }], hecTokens: [{ name: 'h', token: HEC }], generateOnFirstRun: false },
    logging: { level: 'silent' },
    ...extra,
  });

function ev(i: number, raw = 'x'): GarrisonEvent {
  return {
    id: `${1_700_000_000_000 + i}-ev${i}`,
    time: 1_700_000_000_000 + i,
    ingestTime: 1_700_000_000_000 + i,
    tenant: 'default',
    source: { input: 'test' },
    class: { uid: 1007, name: 'Process Activity' },
    entities: { host: `h${i % 3}` },
    fields: {},
    raw,
  } as unknown as GarrisonEvent;
}

async function waitFor<T>(f: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('role selection', () => {
  it('all runs everything in process with direct calls and no bus', () => {
    const p = planRole(cfg('/tmp/x'));
    expect(p).toMatchObject({ role: 'all', ingest: true, api: true, engine: 'direct', publishEvents: false, needsBus: false, skipServices: [] });
    expect(p.routes).toBeUndefined();
  });

  it('ingest serves ingest and the API, publishes stored events, runs no engine', () => {
    const p = planRole(cfg('/tmp/x', { cluster: { role: 'ingest', node: 'in-1' } }));
    expect(p).toMatchObject({ role: 'ingest', ingest: true, api: true, engine: 'none', publishEvents: true, needsBus: true, liveFromBus: true, node: 'in-1' });
    expect(p.skipServices).toEqual(expect.arrayContaining(['engine', 'response-expiry']));
  });

  it('engine serves only health and metrics and is fed by the bus', () => {
    const p = planRole(cfg('/tmp/x', { cluster: { role: 'engine' } }));
    expect(p).toMatchObject({ role: 'engine', ingest: false, api: false, engine: 'bus', publishEvents: false, needsBus: true });
    expect(p.routes).toEqual(['health', 'metrics']);
    expect(p.skipServices).toContain('sources');
    expect(p.node).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('the split roles need PostgreSQL and NATS: every problem listed', () => {
    let err: GarrisonError | undefined;
    try {
      checkDeployment(cfg('/tmp/x', { cluster: { role: 'engine' }, engine: { enabled: false } }));
    } catch (e) {
      err = e as GarrisonError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    const fields = (err!.details!.problems as { location: { field: string } }[]).map((p) => p.location.field);
    expect(fields).toEqual(['store.kind', 'bus.kind', 'engine.enabled']);
    expect(() => checkDeployment(cfg('/tmp/x', { cluster: { role: 'ingest' }, store: { kind: 'postgres', url: 'postgres://u@db/g' }, bus: { kind: 'nats' } }))).not.toThrow();
    expect(() => checkDeployment(cfg('/tmp/x', { cluster: { role: 'ingest' } }), { store: true, bus: true })).not.toThrow();
    expect(() => checkDeployment(cfg('/tmp/x'))).not.toThrow();
  });

  it('a server refuses to start a split role on SQLite without a bus, naming both', async () => {
    await expect(startServer({ config: cfg(tmp(), { cluster: { role: 'ingest' } }), logger: silentLogger(), defaultMetrics: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('never shows a URL password', () => {
    expect(redactUrl('postgres://alice:s3cret@db:5432/g')).toBe('postgres://alice:***@db:5432/g');
    expect(redactUrl('postgres://alice@db/g')).toBe('postgres://alice@db/g');
  });
});

describe('stored events on the bus', () => {
  it('splits batches by count and size; an event too big to travel inline goes as a ref', () => {
    const events = Array.from({ length: 7 }, (_, i) => ev(i));
    expect(storedEventMessages(events, { eventsPerMessage: 3, maxMessageBytes: 1 << 20 }).map((m) => m.events.length)).toEqual([3, 3, 1]);
    const big = ev(99, 'y'.repeat(5000));
    const msgs = storedEventMessages([ev(1), big, ev(2)], { eventsPerMessage: 100, maxMessageBytes: 4096 });
    expect(msgs.flatMap((m) => m.refs)).toEqual([big.id]);
    expect(msgs.flatMap((m) => m.events.map((e) => e.id))).toEqual([ev(1).id, ev(2).id]);
    for (const m of msgs) expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThanOrEqual(4096);
    // Many small events still respect the byte bound.
    const many = Array.from({ length: 50 }, (_, i) => ev(i, 'z'.repeat(300)));
    for (const m of storedEventMessages(many, { eventsPerMessage: 1000, maxMessageBytes: 4096 })) expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThanOrEqual(4096);
  });

  it('publishes only after the commit, and fails the append (so the sender retries) when the bus refuses', async () => {
    const store = openSqliteStore({ file: join(tmp(), 'g.db'), fts: 'off' });
    cleanup.push(() => store.close());
    const bus = new MemoryBus({});
    cleanup.push(() => bus.close());
    const got: StoredEventsMessage[] = [];
    await bus.subscribe<StoredEventsMessage>(TOPICS.events, 'g', async (b) => void got.push(...b.map((m) => m.data)), { maxWaitMs: 0 });
    const ps = publishingStore(store, bus, { eventsPerMessage: 2 });
    expect(await ps.appendEvents([ev(1), ev(2), ev(3)])).toEqual({ stored: 3, duplicates: 0 });
    await waitFor(() => got.length === 2, 5000, 'messages');
    expect(got.flatMap((m) => m.events.map((e) => e.id))).toEqual([ev(1).id, ev(2).id, ev(3).id]);
    // Other methods are the store's own.
    expect(await ps.countEvents()).toBe(3);

    const broken = { kind: 'memory', maxMessageBytes: 1 << 20, publish: async () => Promise.reject(Object.assign(new Error('down'), {})), subscribe: bus.subscribe.bind(bus), deadLetters: bus.deadLetters.bind(bus), close: async () => undefined } as unknown as Bus;
    const ps2 = publishingStore(store, broken);
    await expect(ps2.appendEvents([ev(4)])).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
    // Stored anyway: a re-send is a duplicate for the store and is published again.
    expect(await store.getEvents([ev(4).id])).toHaveLength(1);
    expect(await ps.appendEvents([ev(4)])).toEqual({ stored: 0, duplicates: 1 });
    await waitFor(() => got.some((m) => m.events.some((e) => e.id === ev(4).id)), 5000, 're-sent event');
  });

  it('the consumer reads refs back from the store, drops ids it processed recently and dead-letters malformed messages', async () => {
    const store = openSqliteStore({ file: join(tmp(), 'g.db'), fts: 'off' });
    cleanup.push(() => store.close());
    const bus = new MemoryBus({});
    cleanup.push(() => bus.close());
    const big = ev(50, 'q'.repeat(3000));
    await store.appendEvents([big]);
    const seen: string[] = [];
    let dupes = 0;
    await consumeStoredEvents(bus, 'engine', store, async (evs) => void seen.push(...evs.map((e) => e.id)), { maxWaitMs: 0, onDuplicates: (n) => (dupes += n) });
    await bus.publish(TOPICS.events, [{ v: 1, events: [ev(1), ev(2)], refs: [big.id] }]);
    await bus.publish(TOPICS.events, [{ v: 1, events: [ev(2), ev(3)], refs: [] }]);
    await bus.publish(TOPICS.events, [{ v: 1, events: [{ id: 5 }], refs: [] }, { nonsense: true }]);
    await waitFor(() => seen.length === 4, 5000, 'events');
    expect(seen).toEqual([ev(1).id, ev(2).id, big.id, ev(3).id]);
    expect(dupes).toBe(1);
    await waitFor(async () => (await bus.deadLetters(TOPICS.events)).length === 2, 5000, 'dead letters');
    expect((await bus.deadLetters(TOPICS.events))[0].error.code).toBe('BUS_PAYLOAD_MALFORMED');
  });

  it('RecentIds forgets the oldest beyond its bound', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) r.add(id);
    expect([r.has('a'), r.has('b'), r.has('d'), r.size]).toEqual([false, true, true, 3]);
  });
});

describe('role all', () => {
  it('the in-process engine announces incident changes on the live hub (consoles update without waiting for the poll)', async () => {
    const changes: LiveChange[] = [];
    cleanup.push(liveHub.subscribe((ch) => changes.push(ch)));
    const srv = await startServer({ config: cfg(tmp(), { store: { fts: 'off' } }), logger: silentLogger(), defaultMetrics: false });
    cleanup.push(() => srv.close());
    const res = await fetch(`${srv.url}/services/collector/event`, { method: 'POST', body: hecBody(0, 20, { reconEvery: 10, tag: 'all' }).body, headers: { authorization: `Splunk ${HEC}` } });
    expect(res.status).toBe(200);
    const ch = await waitFor(() => changes.find((c) => c.kind === 'incident'), 20_000, 'incident change');
    expect(typeof ch.payload.id).toBe('string');
    expect(await srv.ctx.store.getRecord('incidents', ch.payload.id as string)).toBeDefined();
    await waitFor(() => changes.some((c) => c.kind === 'investigation' && c.payload.id === ch.payload.id), 20_000, 'verdict change');
    // The running engine is reachable for read-only status (operations page), and gone after shutdown.
    expect(liveEngine(srv.ctx.store)?.status().events).toBeGreaterThan(0);
    await srv.close();
    expect(liveEngine(srv.ctx.store)).toBeUndefined();
  });
});

describe('ingest and engine roles in one process (shared store and memory bus)', () => {
  async function cluster(): Promise<{ store: Store; bus: MemoryBus; start: (role: 'ingest' | 'engine', node: string) => Promise<RunningServer> }> {
    const dir = tmp();
    const store = openSqliteStore({ file: join(dir, 'g.db'), fts: 'off' });
    await store.init();
    const bus = new MemoryBus({});
    const servers: RunningServer[] = [];
    // Engines stop first (they use the store), then ingest, then the bus and the store.
    cleanup.push(async () => {
      for (const s of servers.filter((x) => x.ctx.config.cluster.role === 'engine')) await s.close();
      for (const s of servers.filter((x) => x.ctx.config.cluster.role !== 'engine')) await s.close();
      await bus.close();
      await store.close();
    });
    return {
      store,
      bus,
      async start(role, node) {
        const s = await startServer({
          config: cfg(dir, { cluster: { role, node, standbyPollMs: 100 }, engine: { checkpointMs: 1000 } }),
          logger: silentLogger(),
          defaultMetrics: false,
          // Each server closes its store on shutdown: like separate processes, each gets its own handle.
          store: new Proxy(store, { get: (t, p) => (p === 'close' ? async () => undefined : typeof Reflect.get(t, p) === 'function' ? (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t) : Reflect.get(t, p)) }),
          bus,
        });
        servers.push(s);
        return s;
      },
    };
  }
  const hec = (s: RunningServer, body: string) => fetch(`${s.url}/services/collector/event`, { method: 'POST', body, headers: { authorization: `Splunk ${HEC}` } });
  const comsvcs = async (store: Store) => (await store.querySignals({ detector: COMSVCS_RULE, limit: 10_000 })).length;
  const active = async (s: RunningServer) => /^garrison_engine_active 1$/m.test(await (await fetch(`${s.url}/metrics`)).text());

  it('ingest publishes, the engine worker detects, incidents reach the ingest node\'s live feed over the bus', async () => {
    const c = await cluster();
    const changes: LiveChange[] = [];
    cleanup.push(liveHub.subscribe((ch) => changes.push(ch)));
    const ingest = await c.start('ingest', 'in1');
    const engine = await c.start('engine', 'w1');
    // The worker serves no ingest and no API.
    expect((await fetch(`${engine.url}/services/collector/event`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${engine.url}/api/v1/events`, { headers: { authorization: `Bearer ${API}` } })).status).toBe(404);
    expect((await fetch(`${engine.url}/readyz`)).status).toBe(200);
    expect((await ingest.ctx.store.countEvents())).toBe(0);

    const { body, recon } = hecBody(0, 40, { reconEvery: 10, tag: 'a' });
    const res = await hec(ingest, body);
    expect(res.status).toBe(200);
    expect(await c.store.countEvents()).toBe(40);
    await waitFor(async () => (await comsvcs(c.store)) === recon, 20_000, 'signals');
    await waitFor(async () => (await c.store.listRecords('incidents', {})).length > 0, 20_000, 'incident');
    // Relayed from the bus by the ingest node (the worker's own hook publishes without `source`).
    await waitFor(() => changes.some((ch) => ch.kind === 'incident' && ch.payload.source === 'bus'), 10_000, 'relayed incident change');
    expect(changes.some((ch) => ch.kind === 'incident' && ch.payload.source === undefined)).toBe(true);
  });

  it('two workers: one active, one standby that takes over; nothing lost, no duplicate detections', async () => {
    const c = await cluster();
    const ingest = await c.start('ingest', 'in1');
    const w1 = await c.start('engine', 'w1');
    const w2 = await c.start('engine', 'w2');
    expect(await active(w1)).toBe(true);
    expect(await active(w2)).toBe(false);
    expect(await (await fetch(`${w2.url}/readyz`)).json()).toMatchObject({ status: "ready" });

    const a = hecBody(0, 30, { reconEvery: 5, tag: 'b' });
    expect((await hec(ingest, a.body)).status).toBe(200);
    await waitFor(async () => (await comsvcs(c.store)) === a.recon, 20_000, 'first signals');

    await w1.close();
    // Published while no worker is active: picked up by the standby once it holds the lease.
    const b = hecBody(30, 60, { reconEvery: 5, tag: 'b' });
    expect((await hec(ingest, b.body)).status).toBe(200);
    await waitFor(() => active(w2), 10_000, 'standby takes over');
    await waitFor(async () => (await comsvcs(c.store)) === a.recon + b.recon, 20_000, 'all signals');
    // A redelivery of batch a (processed by w1, unknown to w2's recent ids) is processed again by
    // w2: the signal ids are deterministic, so nothing is counted twice.
    const before = (await c.store.querySignals({ limit: 10_000 })).map((x) => x.id).sort();
    const ids = (await c.store.search('*', { limit: 10_000, order: 'asc' })).events.slice(0, 30).map((e) => e.id);
    const processed = async () => Number(/^garrison_engine_events_total (\d+)/m.exec(await (await fetch(`${w2.url}/metrics`)).text())?.[1] ?? 0);
    const n0 = await processed();
    await c.bus.publish(TOPICS.events, [{ v: 1, events: [], refs: ids }]);
    await waitFor(async () => (await processed()) >= n0 + 30, 10_000, 'redelivered batch processed');
    expect((await c.store.querySignals({ limit: 10_000 })).map((x) => x.id).sort()).toEqual(before);
    expect(await comsvcs(c.store)).toBe(a.recon + b.recon);
  });
});
