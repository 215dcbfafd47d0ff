/** The incidents API (routes/incidents.ts over IncidentsService) and the `garrison incidents` CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import type { Incident } from '../core/incident.js';
import { register } from '../cli/commands/incidents.js';
import type { Store } from '../store/port.js';
import { startTestServer, type TestServer } from '../surface/server/test-helpers.js';
import { contextFromData } from './context.js';
import { createCorrelator, type Correlator } from './correlator.js';
import { IncidentsService } from './service.js';
import { MIN, sig, T0 } from './testing/fixtures.js';

describe('incidents API and CLI', () => {
  let srv: TestServer;
  let store: Store;
  let corr: Correlator;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    srv = await startTestServer();
    store = srv.ctx.store;
    corr = createCorrelator({ store, config: { tenant: 'default' }, context: contextFromData({ assets: [{ name: 'DB01', role: 'database', criticality: 'critical', crownJewel: true }] }) });
    const sigs = [
      sig('a1', T0, { host: 'ws01', user: 'alice' }, { tenant: 'default', tactics: ['TA0001'] }),
      sig('a2', T0 + MIN, { host: 'ws01', user: 'alice' }, { tenant: 'default', tactics: ['TA0008'], detector: 'lm' }),
      sig('b1', T0 + 2 * MIN, { host: 'DB01' }, { tenant: 'default', level: 'critical', tactics: ['TA0040'] }),
      sig('c1', T0 + 3 * MIN, { host: 'ws09' }, { tenant: 'default', level: 'high', tactics: ['TA0002'] }),
    ];
    await store.appendSignals(sigs);
    await corr.onSignals(sigs);
    for (const r of await store.listRecords<Incident>('incidents')) ids[r.doc.signalIds[0]] = r.id;
  }, 60_000);
  afterAll(async () => {
    await corr?.close();
    await srv?.stop();
  });

  it('lists incidents sorted by need of a person then score, with filters', async () => {
    const r = await srv.api('GET', '/api/v1/incidents');
    expect(r.status).toBe(200);
    expect(r.json.incidents.map((i: { id: string }) => i.id)).toEqual([ids.b1, ids.a1, ids.c1]);
    // a person is needed: that incident comes first whatever its score
    const rec = (await store.getRecord<Incident>('incidents', ids.c1))!;
    await store.putRecords('incidents', [{ ...rec, status: 'needs_review', doc: { ...rec.doc, status: 'needs_review' } }]);
    expect((await srv.api('GET', '/api/v1/incidents')).json.incidents[0].id).toBe(ids.c1);
    expect((await srv.api('GET', '/api/v1/incidents?host=ws01')).json.incidents.map((i: { id: string }) => i.id)).toEqual([ids.a1]);
    expect((await srv.api('GET', '/api/v1/incidents?user=CORP%5Calice')).json.incidents.map((i: { id: string }) => i.id)).toEqual([ids.a1]);
    expect((await srv.api('GET', '/api/v1/incidents?tactic=lateral-movement')).json.incidents.map((i: { id: string }) => i.id)).toEqual([ids.a1]);
    expect((await srv.api('GET', '/api/v1/incidents?severity=critical')).json.incidents.map((i: { id: string }) => i.id)).toEqual([ids.b1]);
    expect((await srv.api('GET', '/api/v1/incidents?status=new&limit=1')).json.incidents).toHaveLength(1);
    const bad = await srv.api('GET', '/api/v1/incidents?severity=huge');
    expect(bad.status).toBe(400);
    expect(bad.json.error.location.field).toBe('severity');
    expect((await srv.api('GET', '/api/v1/incidents?tactic=nonsense')).status).toBe(400);
    expect((await srv.api('GET', '/api/v1/incidents', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('shows one incident with its signals, stages, entities and ATT&CK; 404 for unknown', async () => {
    const r = await srv.api('GET', `/api/v1/incidents/${ids.a1}`);
    expect(r.status).toBe(200);
    expect(r.json.incident.id).toBe(ids.a1);
    expect(r.json.signals.map((s: { id: string }) => s.id)).toEqual(['a1', 'a2']);
    expect(r.json.incident.stages.map((s: { tactic: string }) => s.tactic)).toEqual(['TA0001', 'TA0008']);
    expect(r.json.incident.attack.tactics).toEqual(['TA0001', 'TA0008']);
    expect(r.json.incident.entities.map((e: { kind: string; value: string }) => `${e.kind}:${e.value}`)).toEqual(['host:ws01', 'user:alice']);
    const nf = await srv.api('GET', '/api/v1/incidents/inc-nope');
    expect(nf.status).toBe(404);
    expect(nf.json.error.code).toBe('INCIDENT_NOT_FOUND');
  });

  it('the list summary carries the verdict in force (value, confidence, by) and the close reason', async () => {
    const rec = (await store.getRecord<Incident>('incidents', ids.b1))!;
    const auto = { verdict: 'malicious' as const, confidence: 0.82, by: 'garrison', decidedAt: T0, summary: 's', factors: [], wouldChange: [] };
    await store.putRecords('incidents', [{ ...rec, doc: { ...rec.doc, verdict: auto } }]);
    let b = (await srv.api('GET', '/api/v1/incidents')).json.incidents.find((i: { id: string }) => i.id === ids.b1);
    expect(b.verdict).toEqual({ verdict: 'malicious', confidence: 0.82, by: 'garrison', decidedAt: T0 });
    expect(b.closeReason).toBeUndefined();
    const analyst = { ...auto, verdict: 'benign' as const, confidence: 1, by: 'user:ann', decidedAt: T0 + MIN };
    await store.putRecords('incidents', [{ ...rec, status: 'closed', doc: { ...rec.doc, status: 'closed', verdict: auto, analystVerdict: analyst, closeReason: 'benign: approved pentest' } }]);
    b = (await srv.api('GET', '/api/v1/incidents?status=closed')).json.incidents.find((i: { id: string }) => i.id === ids.b1);
    expect(b.verdict).toEqual({ verdict: 'benign', confidence: 1, by: 'user:ann', decidedAt: T0 + MIN });
    expect(b.closeReason).toBe('benign: approved pentest');
    // Put it back as it was for the tests below.
    await store.putRecords('incidents', [rec]);
    expect((await srv.api('GET', '/api/v1/incidents')).json.incidents.find((i: { id: string }) => i.id === ids.b1).verdict).toBeUndefined();
  });

  it('splits and merges (analyst role); a merged id resolves to the survivor', async () => {
    const sp = await srv.api('POST', `/api/v1/incidents/${ids.a1}/split`, JSON.stringify({ signalIds: ['a2'] }), { 'content-type': 'application/json' });
    expect(sp.status).toBe(200);
    expect(sp.json.incident.splitFrom).toBe(ids.a1);
    const newId = sp.json.incident.id;
    const bad = await srv.api('POST', `/api/v1/incidents/${ids.a1}/split`, JSON.stringify({ signalIds: ['zz'] }), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INCIDENT_OPERATION_INVALID');
    const mg = await srv.api('POST', `/api/v1/incidents/${newId}/merge`, JSON.stringify({ ids: [ids.c1] }), { 'content-type': 'application/json' });
    expect(mg.status).toBe(200);
    const survivor = mg.json.incident.id;
    expect([newId, ids.c1]).toContain(survivor);
    const gone = survivor === newId ? ids.c1 : newId;
    const g = await srv.api('GET', `/api/v1/incidents/${gone}`);
    expect(g.json.incident.id).toBe(survivor);
    expect(g.json.resolvedFrom).toBe(gone);
    expect((await store.listAudit()).map((a) => a.action)).toEqual(expect.arrayContaining(['incident.split', 'incident.merge']));
  });

  it('the service falls back to a correlator loading from the store when none runs', async () => {
    const svc = new IncidentsService(store);
    const list = await svc.list({ includeMerged: true });
    expect(list.length).toBeGreaterThanOrEqual(4);
  });

  it('garrison incidents list / show print tables and JSON, terminal-safe', async () => {
    await corr.flush();
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => (out.push(String(s)), true);
    try {
      const run = async (...args: string[]): Promise<string> => {
        out.length = 0;
        const p = new Command().exitOverride();
        register(p);
        await p.parseAsync(['node', 'garrison', 'incidents', ...args, '--data', srv.dir]);
        return out.join('');
      };
      const table = await run('list');
      expect(table).toMatch(/^ID\s+STATUS\s+SEVERITY/);
      expect(table).toContain(ids.b1);
      const json = JSON.parse(await run('list', '--json', '--severity', 'critical'));
      expect(json.map((i: { id: string }) => i.id)).toEqual([ids.b1]);
      const show = await run('show', ids.b1);
      expect(show).toContain('Timeline:');
      expect(show).toContain('crown_jewel');
      expect(JSON.parse(await run('show', ids.b1, '--json')).signals.map((s: { id: string }) => s.id)).toEqual(['b1']);
    } finally {
      (process.stdout as unknown as { write: typeof orig }).write = orig;
    }
  });
});
