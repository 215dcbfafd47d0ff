/**
 * What the full evaluation (7 days of warm-up, then the scenario) showed and the 24-hour
 * simulations did not: signals that name an address as their host, anomalies that carry only the
 * entity they model (the sign-in's source address lives in the evidence), a proxy's own
 * connections hiding the client behind it, logon ids reused days apart, and one technique mapped
 * to several tactics passing for a kill-chain progression.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GarrisonEvent } from '../core/event.js';
import type { Incident } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { openSqliteStore } from '../store/index.js';
import type { Store } from '../store/port.js';
import { contextFromData, type ContextIndex } from './context.js';
import type { CorrelationConfigInput } from './config.js';
import { createCorrelator, type Correlator } from './correlator.js';
import { tacticProgression, type SigRec } from './story.js';
import { ev, HOUR, logon, MIN, sig, T0 } from './testing/fixtures.js';

const DAY = 24 * HOUR;
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup(config: CorrelationConfigInput = {}, context?: ContextIndex): Promise<{ store: Store; corr: Correlator }> {
  const d = mkdtempSync(join(tmpdir(), 'garrison-corr-ev-'));
  dirs.push(d);
  const store = openSqliteStore({ file: join(d, 'g.db'), fts: 'off' } as never);
  await store.init();
  stores.push(store);
  return { store, corr: createCorrelator({ store, now: () => 1_000, config: { tenant: 'test', ...config }, context }) };
}
/** Events as the engine hands them: stored, then shown to the identity graph. */
async function events(corr: Correlator, store: Store, evs: GarrisonEvent[]): Promise<void> {
  await store.appendEvents(evs);
  await corr.onEvents(evs);
}
async function signals(corr: Correlator, store: Store, sigs: Signal[]): Promise<void> {
  await store.appendSignals(sigs);
  await corr.onSignals(sigs);
}
async function incidents(store: Store): Promise<Incident[]> {
  const r = (await store.listRecords<Incident>('incidents', { limit: 10_000 })).map((x) => x.doc);
  return r.filter((i) => !i.mergedInto).sort((a, b) => a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1));
}
/** A baseline anomaly: few entities, evidence events cited by id. */
function anomaly(id: string, time: number, entities: Signal['entities'], evidence: GarrisonEvent[], o: Parameters<typeof sig>[3] = {}): Signal {
  const s = sig(id, time, entities, { level: 'high', detector: `baseline.${id}`, tactics: ['TA0010'], techniques: ['T1048'], ...o });
  return { ...s, kind: 'anomaly', eventIds: evidence.map((e) => e.id) };
}

const ORG = contextFromData({
  assets: [
    { name: 'DB01', ips: ['10.10.1.13'], role: 'database', criticality: 'critical' },
    { name: 'proxy', ips: ['10.10.1.20'], role: 'proxy', criticality: 'high' },
  ],
});

describe('signals naming an address as their host', () => {
  it('a volume anomaly "bytes out by host 10.20.0.24" is the machine holding that address then', async () => {
    const { store, corr } = await setup({}, ORG);
    // WS15 reports its own address; later the address moves to WS16.
    await events(corr, store, [ev(T0 - HOUR, { host: 'WS15', hostIp: '10.20.0.24' }), ev(T0 + 20 * HOUR, { host: 'WS16', hostIp: '10.20.0.24' })]);
    await signals(corr, store, [sig('rclone', T0, { host: 'WS15', user: 'r.white' })]);
    const flow = ev(T0 + 40 * MIN, { srcIp: '10.20.0.24', dstIp: '10.10.1.20', host: 'zeek-sensor01' }, { format: 'zeek' });
    await events(corr, store, [flow]);
    await signals(corr, store, [
      anomaly('vol', T0 + 40 * MIN, { host: '10.20.0.24' }, [flow], { detector: 'baseline.volume' }),
      // The pair form names the proxy as a "domain": it is an address, and a hub.
      anomaly('pair', T0 + 40 * MIN, { host: '10.20.0.24', domain: '10.10.1.20' }, [flow], { detector: 'baseline.volume.pair' }),
    ]);
    const inc = await incidents(store);
    expect(inc.map((i) => i.signalIds)).toEqual([['rclone', 'vol', 'pair']]);
    expect(inc[0].entities.filter((e) => e.kind === 'ip')).toEqual([]);
    expect(inc[0].entities.find((e) => e.kind === 'host' && e.value === 'proxy')?.role).toBe('destination');
  });

  it('a static server address resolves through the inventory even after its learned lease expired', async () => {
    const { store, corr } = await setup({}, ORG);
    await events(corr, store, [ev(T0 - 3 * DAY, { host: 'DB01', hostIp: '10.10.1.13' })]);
    await signals(corr, store, [sig('curl', T0, { host: 'DB01' }), anomaly('vol', T0 + 2 * MIN, { host: '10.10.1.13' }, [])]);
    expect((await incidents(store)).map((i) => i.signalIds)).toEqual([['curl', 'vol']]);
  });
});

describe('evidence events complete signals that name few entities', () => {
  const spray = (): Signal => ({
    ...sig('spray', T0, {}, { detector: 'spray-correlation', tactics: ['TA0006'], techniques: ['T1110.003'] }),
    kind: 'sigma_correlation',
    details: { groupBy: { callerIpAddress: '203.0.113.9' } },
  });
  const signin = (user: string, ip: string, t = T0 + 37 * MIN): GarrisonEvent =>
    ev(t, { user, srcIp: ip, host: 'login.microsoftonline.com', outcome: 'success' }, { format: 'signin', cls: { uid: 3002, name: 'authentication' } });

  it("the sprayed account's successful sign-in joins the spray through the source address of its evidence", async () => {
    const { store, corr } = await setup();
    const ok = signin('f.carter@northwind.example', '203.0.113.9');
    await events(corr, store, [ok]);
    await signals(corr, store, [
      spray(),
      anomaly('peer', T0 + 37 * MIN, { host: 'login.microsoftonline.com', user: 'f.carter@northwind.example' }, [ok], { level: 'medium', detector: 'baseline.peer', tactics: ['TA0001'], techniques: ['T1078'] }),
      anomaly('time', T0 + 37 * MIN, { host: 'login.microsoftonline.com', user: 'f.carter@northwind.example' }, [ok], { level: 'medium', detector: 'baseline.time', tactics: ['TA0001'], techniques: ['T1078'] }),
    ]);
    const inc = await incidents(store);
    expect(inc.map((i) => i.signalIds)).toEqual([['spray', 'peer', 'time']]);
    expect(inc[0].entities.map((e) => `${e.kind}:${e.value}`)).toEqual(expect.arrayContaining(['ip:203.0.113.9', 'user:f.carter']));
    expect(corr.stats().evidenceLookups).toBe(1);
  });

  it('without evidence lookups (or when the evidence disagrees) the anomalies stay apart', async () => {
    for (const [config, evs] of [
      [{ evidenceLookups: false }, [signin('f.carter', '203.0.113.9')]],
      [{}, [signin('f.carter', '203.0.113.9'), signin('f.carter', '198.51.100.3', T0 + 38 * MIN)]],
    ] as const) {
      const { store, corr } = await setup(config);
      await events(corr, store, [...evs]);
      await signals(corr, store, [spray(), anomaly('peer', T0 + 38 * MIN, { host: 'login.microsoftonline.com', user: 'f.carter' }, [...evs], { level: 'medium', detector: 'baseline.peer' }), anomaly('time', T0 + 38 * MIN, { host: 'login.microsoftonline.com', user: 'f.carter' }, [...evs], { level: 'medium', detector: 'baseline.time' })]);
      const inc = await incidents(store);
      expect(inc.map((i) => i.signalIds)).toEqual([['spray'], ['peer', 'time']]);
    }
  });

  it("a proxy's own upload is attributed to the one internal host that sent it through the proxy", async () => {
    const { store, corr } = await setup({}, ORG);
    const t = T0 + 2 * HOUR;
    // The proxy log: DB01 → files.example (198.51.100.77) through the proxy; the flow: proxy → 198.51.100.77.
    const viaProxy = ev(t, { host: 'proxy01', srcIp: '10.10.1.13', dstIp: '198.51.100.77', domain: 'files.example', bytesOut: 48e6 }, { format: 'proxy' });
    const out = ev(t + 1_000, { host: 'zeek-sensor01', srcIp: '10.10.1.20', dstIp: '198.51.100.77', bytesOut: 48e6 }, { format: 'zeek' });
    const popular = ev(t + 2_000, { host: 'zeek-sensor01', srcIp: '10.10.1.20', dstIp: '52.218.56.11', bytesOut: 2e3 }, { format: 'zeek' });
    // Twelve workstations use the popular destination: it attributes nothing.
    await events(corr, store, [viaProxy, out, popular, ...Array.from({ length: 12 }, (_, i) => ev(t - HOUR + i, { host: `ws${i}`, dstIp: '52.218.56.11' }))]);
    await signals(corr, store, [sig('curl', t - MIN, { host: 'DB01', user: 'adm.okafor' }), anomaly('proxyvol', t + 2_000, { host: '10.10.1.20' }, [out, popular], { detector: 'baseline.volume' })]);
    const inc = await incidents(store);
    expect(inc.map((i) => i.signalIds)).toEqual([['curl', 'proxyvol']]);
    expect(inc[0].entities.find((e) => e.kind === 'host' && e.value === 'db01')?.role).toBe('affected');
  });

  it('several internal hosts behind the same destination leave the proxy signal unattributed', async () => {
    const { store, corr } = await setup({}, ORG);
    const t = T0 + 2 * HOUR;
    const a = ev(t, { host: 'proxy01', srcIp: '10.10.1.13', dstIp: '198.51.100.77' }, { format: 'proxy' });
    const b = ev(t + 30_000, { host: 'WS07', dstIp: '198.51.100.77' });
    const out = ev(t + 60_000, { host: 'zeek-sensor01', srcIp: '10.10.1.20', dstIp: '198.51.100.77', bytesOut: 48e6 }, { format: 'zeek' });
    await events(corr, store, [a, b, out]);
    await signals(corr, store, [sig('curl', t - MIN, { host: 'DB01' }), anomaly('proxyvol', t + 60_000, { host: '10.10.1.20' }, [out])]);
    expect((await incidents(store)).map((i) => i.signalIds)).toEqual([['curl'], ['proxyvol']]);
  });
});

describe('logon sessions have a lifetime (logon ids are reused)', () => {
  const scanner = (t: number): GarrisonEvent => logon(t, 'WS17', 'svc_scan', '0x7388d2d7', '10.10.1.40', 'SCAN01');
  const attack = (id: string, t: number): Signal => sig(id, t, { host: 'WS17', user: 'r.walker', logonId: '0x7388D2D7' });

  it("a week-old network logon with the same id is not today's session", async () => {
    const { store, corr } = await setup({ storeLookups: false });
    await events(corr, store, [scanner(T0 - 7 * DAY)]);
    await signals(corr, store, [attack('ps', T0)]);
    const [inc] = await incidents(store);
    expect(inc.entities.map((e) => `${e.kind}:${e.value}`)).toEqual(['host:ws17', 'user:r.walker']);
  });

  it('a fresh one links the source host and account; a logoff ends it', async () => {
    const { store, corr } = await setup({ storeLookups: false });
    await events(corr, store, [scanner(T0 - HOUR)]);
    await signals(corr, store, [attack('ps', T0)]);
    expect((await incidents(store))[0].entities.map((e) => `${e.kind}:${e.value}:${e.role}`)).toEqual(expect.arrayContaining(['host:scan01:source', 'user:svc_scan:actor']));
    const s2 = await setup({ storeLookups: false });
    await events(s2.corr, s2.store, [scanner(T0 - HOUR), ev(T0 - 50 * MIN, { host: 'WS17', logonId: '0x7388d2d7', targetUser: 'svc_scan' }, { code: '4634' })]);
    await signals(s2.corr, s2.store, [attack('ps', T0)]);
    expect((await incidents(s2.store))[0].entities.map((e) => e.value)).toEqual(['ws17', 'r.walker']);
  });
});

describe('tactic progression and what makes an incident', () => {
  const rec = (id: string, time: number, tactics: string[]): SigRec => ({ id, detector: id, kind: 'anomaly', title: id, level: 'medium', score: 80, time, tactics, techniques: ['T1078'], eventIds: [], keys: [] });

  it('one technique mapped to several tactics is one observation, not a progression', () => {
    expect(tacticProgression([rec('a', T0, ['TA0001', 'TA0003', 'TA0004', 'TA0005'])])).toHaveLength(1);
    expect(tacticProgression([rec('a', T0, ['TA0001', 'TA0003']), rec('b', T0 + MIN, ['TA0002']), rec('c', T0 + 2 * MIN, ['TA0003'])])).toEqual(['TA0001', 'TA0002', 'TA0003']);
  });

  it('detectedAt is the event time of the signal that made the incident, not of later ones of the same batch', async () => {
    const { store, corr } = await setup();
    await signals(corr, store, [sig('m', T0, { host: 'ws5' }, { level: 'medium' }), sig('h', T0 + 10 * MIN, { host: 'ws5' }), sig('late', T0 + 40 * MIN, { host: 'ws5' }, { level: 'medium' })]);
    const [inc] = await incidents(store);
    expect(inc.signalIds).toEqual(['m', 'h', 'late']);
    expect([inc.detectedAt, inc.lastSeen]).toEqual([T0 + 10 * MIN, T0 + 40 * MIN]);
  });

  it('a lone medium anomaly on a critical asset with a privileged account is not an incident; a second signal makes one', async () => {
    const ctx = contextFromData({ assets: [{ name: 'LNX01', role: 'linux_server', criticality: 'critical', crownJewel: true }], identities: [{ name: 'adm.jensen', groups: ['Domain Admins'] }] });
    const { store, corr } = await setup({}, ctx);
    const lone = { ...sig('peer', T0, { host: 'LNX01', user: 'adm.jensen' }, { level: 'medium', detector: 'baseline.peer', tactics: ['TA0001', 'TA0008'], techniques: ['T1078', 'T1021'] }), kind: 'anomaly' as const, score: 95 };
    await signals(corr, store, [lone]);
    expect(await incidents(store)).toEqual([]);
    await signals(corr, store, [{ ...lone, id: 'peer2', time: T0 + MIN }]);
    const inc = await incidents(store);
    expect(inc.map((i) => i.signalIds)).toEqual([['peer', 'peer2']]);
  });
});
