import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { IncidentChange } from '../core/stages.js';
import type { Signal } from '../core/signal.js';
import { openSqliteStore } from '../store/index.js';
import type { Store } from '../store/port.js';
import { contextFromData } from './context.js';
import { createCorrelator, type Correlator, type CorrelatorOptions } from './correlator.js';
import { ev, HOUR, logon, MIN, proc, sig, T0 } from './testing/fixtures.js';

const dirs: string[] = [];
const stores: Store[] = [];
async function mkStore(): Promise<Store> {
  const d = mkdtempSync(join(tmpdir(), 'garrison-corr-'));
  dirs.push(d);
  const s = openSqliteStore({ file: join(d, 'g.db'), fts: 'off' } as never);
  await s.init();
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup(o: Partial<CorrelatorOptions> = {}): Promise<{ store: Store; corr: Correlator; changes: IncidentChange[] }> {
  const store = o.store ?? (await mkStore());
  const changes: IncidentChange[] = [];
  const corr = createCorrelator({ store, now: () => 1_000, next: { onIncident: async (c) => void changes.push(c) }, config: { tenant: 'test', ...(o.config ?? {}) }, context: o.context });
  return { store, corr, changes };
}
async function incidents(store: Store, all = false): Promise<Incident[]> {
  const r = (await store.listRecords<Incident>('incidents', { limit: 10_000 })).map((x) => x.doc);
  return r.filter((i) => all || !i.mergedInto).sort((a, b) => a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1));
}
async function feed(corr: Correlator, store: Store, sigs: Signal[]): Promise<void> {
  await store.appendSignals(sigs);
  await corr.onSignals(sigs);
}

describe('incident building', () => {
  it('joins signals sharing a host within the window; a signal long after starts a new incident', async () => {
    const { store, corr, changes } = await setup();
    await feed(corr, store, [sig('s1', T0, { host: 'WS01.corp.example' }), sig('s2', T0 + 30 * MIN, { host: 'ws01' }, { tactics: ['TA0003'] })]);
    await feed(corr, store, [sig('s3', T0 + 10 * HOUR, { host: 'WS01' })]);
    const inc = await incidents(store);
    expect(inc.map((i) => i.signalIds)).toEqual([['s1', 's2'], ['s3']]);
    expect(changes.map((c) => [c.kind, c.incident.signalIds.length])).toEqual([['created', 2], ['created', 1]]);
    expect(inc[0].stages.map((s) => s.tactic)).toEqual(['TA0002', 'TA0003']);
  });

  it('a lone medium signal does not become an incident; a second detector on the same host does', async () => {
    const { store, corr } = await setup();
    await feed(corr, store, [sig('m1', T0, { host: 'ws02' }, { level: 'medium' }), sig('m1b', T0 + MIN, { host: 'ws02' }, { level: 'medium', detector: 'rule-m1' })]);
    expect(await incidents(store)).toEqual([]);
    await feed(corr, store, [sig('m2', T0 + 5 * MIN, { host: 'ws02' }, { level: 'low' })]);
    const inc = await incidents(store);
    expect(inc).toHaveLength(1);
    expect(inc[0].signalIds).toEqual(['m1', 'm1b', 'm2']);
  });

  it('a later bridging signal merges two incidents: the older survives, the other points at it', async () => {
    const { store, corr, changes } = await setup();
    await feed(corr, store, [sig('a1', T0, { host: 'ws01', dstIp: '203.0.113.7' })]);
    await feed(corr, store, [sig('b1', T0 + MIN, { host: 'srv01' })]);
    expect(await incidents(store)).toHaveLength(2);
    const [older, newer] = await incidents(store);
    // srv01 talks to the same outside address: the bridge.
    await feed(corr, store, [sig('c1', T0 + 2 * MIN, { host: 'srv01', dstIp: '203.0.113.7' })]);
    const after = await incidents(store);
    expect(after).toHaveLength(1);
    expect(after[0].id).toBe(older.id);
    expect(after[0].signalIds.sort()).toEqual(['a1', 'b1', 'c1']);
    expect(after[0].mergedFrom).toEqual([newer.id]);
    const gone = (await store.getRecord<Incident>('incidents', newer.id))!;
    expect(gone.doc.mergedInto).toBe(older.id);
    expect(gone.ref).toBe(older.id);
    expect(gone.status).toBe('closed');
    expect(changes.filter((c) => c.kind === 'merged').map((c) => c.incident.id).sort()).toEqual([older.id, newer.id].sort());
  });

  it('analyst split: the signals move to a new incident, later bridges do not re-merge them, the split is audited', async () => {
    const { store, corr } = await setup();
    await feed(corr, store, [sig('x1', T0, { host: 'ws05' }), sig('x2', T0 + MIN, { host: 'ws05' }, { detector: 'other' }), sig('x3', T0 + 2 * MIN, { host: 'ws05' })]);
    const [orig] = await incidents(store);
    const part = await corr.split(orig.id, ['x2'], 'user:ann');
    expect(part.splitFrom).toBe(orig.id);
    expect(part.signalIds).toEqual(['x2']);
    expect(part.id).not.toBe(orig.id);
    const rest = (await store.getRecord<Incident>('incidents', orig.id))!.doc;
    expect(rest.signalIds).toEqual(['x1', 'x3']);
    await feed(corr, store, [sig('x4', T0 + 3 * MIN, { host: 'ws05' })]);
    expect((await incidents(store)).map((i) => i.signalIds.length).sort()).toEqual([1, 3]);
    const audit = await store.listAudit({ target: orig.id });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([['incident.split', 'user:ann']]);
    // Errors: signals not in the incident, or all of them.
    await expect(corr.split(orig.id, ['nope'], 'user:ann')).rejects.toSatisfy((e) => isGarrisonError(e, 'INCIDENT_OPERATION_INVALID'));
    await expect(corr.split(orig.id, ['x1', 'x3', 'x4'], 'user:ann')).rejects.toSatisfy((e) => isGarrisonError(e, 'INCIDENT_OPERATION_INVALID'));
    await expect(corr.split('inc-missing', ['x1'], 'user:ann')).rejects.toSatisfy((e) => isGarrisonError(e, 'INCIDENT_NOT_FOUND'));
    // Analyst merge brings them back together; the older survives.
    const merged = await corr.merge([part.id, orig.id], 'user:ann');
    expect(merged.id).toBe(orig.id);
    expect(merged.signalIds.sort()).toEqual(['x1', 'x2', 'x3', 'x4']);
  });

  it('split and merge work on incidents no longer in memory (loaded back from the store)', async () => {
    const store = await mkStore();
    const a = await setup({ store });
    await feed(a.corr, store, [sig('y1', T0, { host: 'ws07' }), sig('y2', T0 + MIN, { host: 'ws07' }), sig('z1', T0, { host: 'ws08' })]);
    await a.corr.close();
    const b = await setup({ store });
    const [i1, i2] = await incidents(store);
    const m = await b.corr.merge([i1.id, i2.id], 'user:bob');
    expect(m.signalIds.sort()).toEqual(['y1', 'y2', 'z1']);
    const s = await b.corr.split(m.id, ['z1'], 'user:bob');
    expect(s.signalIds).toEqual(['z1']);
  });

  it('lineage across hosts via the logon id of a network logon (events fed, or looked up in the store)', async () => {
    for (const mode of ['events', 'store'] as const) {
      const { store, corr } = await setup();
      const events = [
        logon(T0 + 20 * MIN, 'SRV01.corp.example', 'admin1', '0x5a5a5', '10.1.0.15', 'WS15'),
        proc(T0 + 21 * MIN, 'SRV01.corp.example', '{AAAA-1}', '{AAAA-0}', 'C:\\Windows\\System32\\cmd.exe', '0x5a5a5', 'CORP\\admin1'),
        proc(T0 + 22 * MIN, 'SRV01.corp.example', '{AAAA-2}', '{AAAA-1}', 'C:\\Temp\\x.exe', '0x5a5a5', 'CORP\\admin1'),
      ];
      if (mode === 'events') await corr.onEvents(events);
      else await store.appendEvents(events);
      await feed(corr, store, [sig('w1', T0, { host: 'WS15', user: 'carol', userDomain: 'CORP' }, { tactics: ['TA0006'] })]);
      // On the server: a child of the remote session's process (no logon id on the signal itself).
      await feed(corr, store, [sig('v1', T0 + 23 * MIN, { host: 'SRV01.corp.example', process: { guid: '{AAAA-2}', parent: { guid: '{AAAA-1}' } } }, { tactics: ['TA0008'], level: 'medium' })]);
      // And one naming the logon id directly.
      await feed(corr, store, [sig('v2', T0 + 24 * MIN, { host: 'SRV01', logonId: '0x5a5a5', user: 'admin1' }, { tactics: ['TA0003'] })]);
      const inc = await incidents(store);
      if (mode === 'events') {
        expect(inc, mode).toHaveLength(1);
        expect(inc[0].signalIds).toEqual(['w1', 'v1', 'v2']);
        const hosts = inc[0].entities.filter((e) => e.kind === 'host');
        expect(hosts.map((h) => [h.value, h.role])).toEqual([['ws15', 'affected'], ['srv01', 'affected']]);
        expect(inc[0].title).toBe('Credential Access → Lateral Movement on WS15, SRV01');
      } else {
        // Without the event feed the first server signal has no logon id to look up; the second does, and bridges.
        expect(inc, mode).toHaveLength(1);
        expect(inc[0].signalIds.sort()).toEqual(['v1', 'v2', 'w1']);
        expect(corr.stats().storeLookups).toBe(1);
      }
    }
  });

  it('IP reuse by different hosts over time: each signal resolves to the host that held the address then', async () => {
    const { store, corr } = await setup();
    await corr.onEvents([
      // 10.9.0.50 belongs to WS-A in the morning (DHCP), to WS-B in the afternoon (a network logon names it).
      ev(T0, {}, { format: 'syslog', raw: '<30>Nov 23 09:00:00 dhcp1 dhcpd[99]: DHCPACK on 10.9.0.50 to 00:11:22:33:44:55 (WS-A) via eth0' }),
      logon(T0 + 6 * HOUR, 'FS01', 'bob', '0x77', '10.9.0.50', 'WS-B'),
    ]);
    await feed(corr, store, [sig('A1', T0 + 10 * MIN, { host: 'WS-A' }, { detector: 'a' }), sig('B1', T0 + 6 * HOUR + 10 * MIN, { host: 'WS-B' }, { detector: 'b' })]);
    // Network-sensor signals that only carry the address.
    await feed(corr, store, [
      sig('NA', T0 + 20 * MIN, { srcIp: '10.9.0.50', dstIp: '198.51.100.99' }, { level: 'medium' }),
      sig('NB', T0 + 6 * HOUR + 20 * MIN, { srcIp: '10.9.0.50', dstIp: '198.51.100.98' }, { level: 'medium' }),
    ]);
    const inc = await incidents(store);
    expect(inc.map((i) => i.signalIds)).toEqual([['A1', 'NA'], ['B1', 'NB']]);
    expect(inc.every((i) => !i.mergedFrom.length)).toBe(true);
  });

  it('ubiquitous entities do not glue unrelated activity: hubs, SYSTEM, popular destinations', async () => {
    const context = contextFromData({ assets: [{ name: 'DC01', fqdn: 'dc01.corp.example', ips: ['10.0.0.10'], role: 'domain_controller', criticality: 'critical' }] });
    const { store, corr } = await setup({ context });
    // 12 hosts all talk to the same popular site (events), one signal each names it.
    await corr.onEvents(Array.from({ length: 12 }, (_, i) => ev(T0 - HOUR + i, { host: `ws${i}`, domain: 'www.popular.example', dstIp: '192.0.2.80' }, { cls: { uid: 4003, name: 'dns_activity' } })));
    const sigs: Signal[] = [];
    for (let i = 0; i < 6; i++) {
      sigs.push(sig(`u${i}`, T0 + i * MIN, { host: `ws${i}`, user: 'SYSTEM', userDomain: 'NT AUTHORITY', userSid: 'S-1-5-18', logonId: '0x3e7', domain: 'www.popular.example', dstIp: '10.0.0.10' }, { detector: `d${i}` }));
    }
    await feed(corr, store, sigs);
    expect(await incidents(store)).toHaveLength(6);
  });

  it('account aliases resolve to one person: DOMAIN\\name, UPN, SID, cloud id', async () => {
    const context = contextFromData({ identities: [{ name: 'alice', upn: 'alice.w@corp.example', sid: 'S-1-5-21-1-2-3-1001', cloudIds: ['0f0f0f0f-0000-4000-8000-000000000001'] }] });
    const { store, corr } = await setup({ context });
    await feed(corr, store, [
      sig('p1', T0, { user: 'alice', userDomain: 'CORP', host: 'ws1' }),
      sig('p2', T0 + MIN, { user: 'alice.w@corp.example' }),
      sig('p3', T0 + 2 * MIN, { user: '0f0f0f0f-0000-4000-8000-000000000001' }),
      sig('p4', T0 + 3 * MIN, { userSid: 'S-1-5-21-1-2-3-1001' }),
    ]);
    const inc = await incidents(store);
    expect(inc).toHaveLength(1);
    expect(inc[0].entities.filter((e) => e.kind === 'user').map((e) => e.value)).toEqual(['alice']);
  });

  it('is deterministic: the same signals in the same order give the same incidents and ids', async () => {
    const run = async (): Promise<Incident[]> => {
      const { store, corr } = await setup();
      await corr.onEvents([logon(T0, 'SRV9', 'eve', '0x99', '10.2.0.9', 'WS9')]);
      const list: Signal[] = [];
      for (let i = 0; i < 60; i++) list.push(sig(`d${i}`, T0 + i * 7 * MIN, { host: `ws${i % 7}`, ...(i % 5 === 0 ? { dstIp: `203.0.113.${i % 3}` } : {}), ...(i % 11 === 0 ? { host: 'SRV9', logonId: '0x99' } : {}) }, { detector: `r${i % 4}`, tactics: [['TA0001', 'TA0002', 'TA0006', 'TA0010'][i % 4]] }));
      for (let i = 0; i < list.length; i += 9) await feed(corr, store, list.slice(i, i + 9));
      return incidents(store, true);
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBeGreaterThan(1);
    expect(b).toEqual(a);
  });

  it('keeps its state bounded', async () => {
    const { store, corr } = await setup({ config: { limits: { maxIncidents: 20, maxKeys: 200, maxIdentityEntries: 100, maxSeenSignals: 300 } } });
    const events = [];
    for (let i = 0; i < 500; i++) events.push(logon(T0 + i, `srv${i}`, `u${i}`, `0x${(i + 4096).toString(16)}`, `10.3.${i >> 8}.${i & 255}`, `ws${i}`));
    await corr.onEvents(events);
    const sigs: Signal[] = [];
    for (let i = 0; i < 1000; i++) sigs.push(sig(`b${i}`, T0 + i * 1000, { host: `h${i}`, user: `user${i}`, dstIp: `198.18.${i >> 8}.${i & 255}` }));
    for (let i = 0; i < sigs.length; i += 100) await corr.onSignals(sigs.slice(i, i + 100));
    const st = corr.stats();
    expect(st.signals).toBe(1000);
    expect(st.clusters).toBeLessThanOrEqual(20);
    expect(st.keys).toBeLessThanOrEqual(200);
    expect(st.identityEntries).toBeLessThanOrEqual(6 * 100);
    expect(st.retired).toBeGreaterThan(900);
    void store;
  });

  it('survives hostile signals: odd types, huge and control-character values, prototype keys', async () => {
    const { store, corr } = await setup();
    const huge = 'A'.repeat(100_000);
    const bad = [
      sig('h1', T0, { host: '__proto__', user: 'constructor', domain: `evil\u001b[31m.example`, url: huge }, { title: `pwn\u0007\u202e${huge}` }),
      { ...sig('h2', T0 + 1, { host: 'ws1' }), score: Number.NaN, attack: { tactics: 'TA0001', techniques: null } } as unknown as Signal,
      { ...sig('h3', T0 + 2, { host: 'ws1' }), entities: null } as unknown as Signal,
      { ...sig('h4', T0 + 3, { host: 'ws1' }), details: { groupBy: { Computer: ['x'], 'user.name': 42, ip: '1.2.3.4' } } } as unknown as Signal,
      null as unknown as Signal,
      { id: 5 } as unknown as Signal,
      sig('h6', Number.POSITIVE_INFINITY, { host: 'ws1' }),
      sig('h7', T0 + 4, { host: 'ws1', logonId: '0x" OR 1=1', process: { guid: huge, parent: { guid: '{x}' } } }),
    ];
    await corr.onSignals(bad);
    await corr.onEvents([null as never, { time: 'x' } as never, ev(T0, { host: huge, hostIp: '10.0.0.1' })]);
    const inc = await incidents(store);
    expect(inc.length).toBeGreaterThan(0);
    for (const i of inc) {
      expect(i.title.length).toBeLessThanOrEqual(200);
      expect(/[\u0000-\u001f\u202e]/.test(i.title + i.summary + JSON.stringify(i.stages))).toBe(false);
      for (const e of i.entities) expect(e.value.length).toBeLessThanOrEqual(1024);
      expect(Number.isFinite(i.score)).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expect(corr.onSignals('x' as never)).rejects.toSatisfy((e) => isGarrisonError(e, 'BAD_REQUEST'));
  });

  it('scores kill-chain progression above many signals of one tactic, and uses asset criticality', async () => {
    const context = contextFromData({ assets: [{ name: 'DB01', role: 'database', criticality: 'critical', crownJewel: true, owner: 'dba' }] });
    const { store, corr } = await setup({ context });
    const chain = ['TA0001', 'TA0002', 'TA0003', 'TA0006', 'TA0008', 'TA0010'];
    await feed(corr, store, chain.map((t, i) => sig(`k${i}`, T0 + i * MIN, { host: 'ws-chain' }, { tactics: [t], detector: `c${i}`, level: 'medium' })));
    await feed(corr, store, chain.map((_, i) => sig(`f${i}`, T0 + i * MIN, { host: 'ws-flat' }, { tactics: ['TA0002'], detector: `c${i}`, level: 'medium' })));
    await feed(corr, store, [sig('j1', T0, { host: 'DB01' }, { level: 'medium', detector: 'j1' }), sig('j2', T0 + MIN, { host: 'DB01' }, { level: 'medium', detector: 'j2' })]);
    const inc = await incidents(store);
    const by = (h: string) => inc.find((i) => i.entities.some((e) => e.kind === 'host' && e.value === h))!;
    expect(by('ws-chain').score).toBeGreaterThan(by('ws-flat').score);
    expect(by('ws-chain').scoring.map((f) => f.factor)).toContain('tactic_progression');
    expect(by('ws-flat').scoring.map((f) => f.factor)).not.toContain('tactic_progression');
    expect(by('db01').scoring.map((f) => f.factor)).toEqual(expect.arrayContaining(['asset_criticality', 'crown_jewel']));
    expect(by('ws-chain').stages.map((s) => s.tactic)).toEqual(chain);
    expect(by('db01').entities.find((e) => e.kind === 'host')!.context).toMatchObject({ criticality: 'critical', crownJewel: true, owner: 'dba' });
  });
});
