import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../surface/server/test-helpers.js';
import { MemoryConnector } from './connectors/memory/memory.js';
import { connectorSet } from './connectors/port.js';
import { createResponder, type Responder } from './executor.js';
import { loadPolicyFile } from './policy/load.js';
import { entity, incident, tempStore, verdict, type TempStore } from './testing/fixtures.js';

describe('response API', () => {
  let ts: TempStore;
  let srv: TestServer;
  let r: Responder;
  const mem = new MemoryConnector('mem');
  const json = (b: unknown) => [JSON.stringify(b), { 'content-type': 'application/json' }] as const;

  beforeAll(async () => {
    ts = await tempStore();
    r = createResponder({ store: ts.store, policy: loadPolicyFile(), connectors: connectorSet([mem]), retry: { sleep: async () => undefined } });
    srv = await startTestServer({}, { store: ts.store, services: [] });
    await r.respond(incident('inc-api-1', [entity('host', 'NW-DC01', { context: { criticality: 'critical', tags: ['domain_controller'], ip: '10.10.1.10' } })]), verdict('malicious', 0.99));
    await r.respond(incident('inc-api-2', [entity('host', 'NW-WS-05', { context: { criticality: 'low', ip: '10.20.0.5' } })]), verdict('malicious', 0.95));
  });
  afterAll(async () => {
    await srv.stop();
    await r.close();
    await ts.cleanup();
  });

  it('lists the approval queue and the history, and one action with its audit trail', async () => {
    const pending = await srv.api('GET', '/api/v1/actions?status=pending_approval');
    expect(pending.status).toBe(200);
    expect(pending.json.actions.map((a: { target: { host: string } }) => a.target.host)).toEqual(['NW-DC01']);
    const byInc = await srv.api('GET', '/api/v1/actions?incident=inc-api-2');
    expect(byInc.json.actions).toHaveLength(1);
    expect(byInc.json.actions[0].status).toBe('active');
    const one = await srv.api('GET', `/api/v1/actions/${byInc.json.actions[0].id}`);
    expect(one.json.audit.map((e: { action: string }) => e.action)).toEqual(['action.propose', 'action.preview', 'action.execute']);
    expect((await srv.api('GET', '/api/v1/actions?status=bogus')).status).toBe(400);
    expect((await srv.api('GET', '/api/v1/actions/act_nope')).status).toBe(404);
  });

  it('approve needs a reason; the same person cannot give both approvals', async () => {
    const id = (await srv.api('GET', '/api/v1/actions?status=pending_approval')).json.actions[0].id;
    expect((await srv.api('POST', `/api/v1/actions/${id}/approve`, ...json({}))).status).toBe(400);
    const first = await srv.api('POST', `/api/v1/actions/${id}/approve`, ...json({ reason: 'confirmed with AD team' }));
    expect(first.status).toBe(200);
    expect(first.json.action.approvals).toEqual([expect.objectContaining({ by: 'token:test', reason: 'confirmed with AD team' })]);
    expect(first.json.action.status).toBe('pending_approval');
    const again = await srv.api('POST', `/api/v1/actions/${id}/approve`, ...json({ reason: 'me again' }));
    expect(again.status).toBe(409);
    expect(again.json.code ?? again.json.error?.code).toBe('RESPOND_APPROVAL_DUPLICATE');
    expect(mem.state.has('isolate_host|host:nw-dc01')).toBe(false);
  });

  it('renews and rolls back an active action; rejects a pending one', async () => {
    const id = (await srv.api('GET', '/api/v1/actions?status=active')).json.actions[0].id;
    const ren = await srv.api('POST', `/api/v1/actions/${id}/renew`, ...json({ reason: 'still investigating', ttl: '12h' }));
    expect(ren.status).toBe(200);
    expect((await srv.api('POST', `/api/v1/actions/${id}/renew`, ...json({ reason: 'x', ttl: '30d' }))).status).toBe(400);
    const rb = await srv.api('POST', `/api/v1/actions/${id}/rollback`, ...json({ reason: 'false positive' }));
    expect(rb.json.action.status).toBe('rolled_back');
    expect(mem.state.has('isolate_host|host:nw-ws-05')).toBe(false);
    const pid = (await srv.api('GET', '/api/v1/actions?status=pending_approval')).json.actions[0].id;
    expect((await srv.api('POST', `/api/v1/actions/${pid}/reject`, ...json({ reason: 'DC maintenance' }))).json.action.status).toBe('rejected');
  });

  it('kill switch, policy, audit and its verification', async () => {
    const on = await srv.api('POST', '/api/v1/response/kill-switch', ...json({ on: true, reason: 'drill' }));
    expect(on.json).toMatchObject({ on: true, source: 'runtime', by: 'token:test' });
    expect((await srv.api('GET', '/api/v1/response/kill-switch')).json.on).toBe(true);
    await srv.api('POST', '/api/v1/response/kill-switch', ...json({ on: false, reason: 'drill over' }));
    const pol = await srv.api('GET', '/api/v1/policy');
    expect(pol.json).toMatchObject({ name: 'garrison-default', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const page = await srv.api('GET', '/api/v1/audit?limit=3');
    expect(page.json.entries).toHaveLength(3);
    const next = await srv.api('GET', `/api/v1/audit?afterSeq=${page.json.nextAfterSeq}`);
    expect(next.json.entries[0].seq).toBe(page.json.nextAfterSeq + 1);
    expect(next.json.entries.some((e: { action: string }) => e.action === 'response.kill_switch.on')).toBe(true);
    expect((await srv.api('GET', '/api/v1/audit/verify')).json).toMatchObject({ ok: true });
    const conns = await srv.api('GET', '/api/v1/response/connectors');
    expect(conns.json).toEqual({ dryRun: false, connectors: [expect.objectContaining({ name: 'mem', type: 'memory', ok: true })] });
  });

  it('needs authentication', async () => {
    const res = await fetch(`${srv.url}/api/v1/actions`);
    expect(res.status).toBe(401);
  });
});
