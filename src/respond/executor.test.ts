import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../core/errors.js';
import { MemoryConnector } from './connectors/memory/memory.js';
import { connectorSet } from './connectors/port.js';
import { createResponder, type Responder } from './executor.js';
import { loadPolicyFile, parsePolicy, type Policy } from './policy/load.js';
import { clock, entity, incident, T0, tempStore, verdict, type TempStore } from './testing/fixtures.js';
import type { ActionDoc } from './types.js';

const ws = (name: string, ip: string, extra: Record<string, unknown> = {}) => entity('host', name, { role: 'victim', context: { criticality: 'low', ip, ...extra } });
const noSleep = { sleep: async () => undefined, baseMs: 1, maxMs: 2 };

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(isGarrisonError(e) ? e.code : String(e)).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('responder', () => {
  let ts: TempStore;
  let mem: MemoryConnector;
  let c: ReturnType<typeof clock>;
  let r: Responder;
  const make = (policy: Policy = loadPolicyFile(), extra: { dryRun?: boolean } = {}) => {
    r = createResponder({ store: ts.store, policy, connectors: connectorSet([mem, new MemoryConnector('soc', { kinds: ['notify'] })]), now: c.now, retry: noSleep, ...extra });
    return r;
  };

  beforeEach(async () => {
    ts = await tempStore();
    mem = new MemoryConnector('mem', { kinds: ['isolate_host', 'block_ip', 'block_domain', 'disable_account', 'revoke_sessions', 'kill_process', 'quarantine_file'] });
    c = clock();
  });
  afterEach(async () => {
    await r?.close();
    await ts.cleanup();
  });

  it('isolates an ordinary workstation automatically, verifies, audits, and it expires after its TTL', async () => {
    make();
    const acts = await r.respond(incident('inc-1', [ws('NW-WS-07', '10.20.0.7')]), verdict('malicious', 0.92));
    expect(acts).toHaveLength(1);
    const a = acts[0]!;
    expect(a.kind).toBe('isolate_host');
    expect(a.status).toBe('active');
    expect(a.mode).toBe('automatic');
    expect(a.policy.rule).toBe('isolate-ordinary-hosts');
    expect(a.expiresAt).toBe(T0 + 8 * 3_600_000);
    expect(a.verifiedAt).toBeDefined();
    expect(mem.state.has('isolate_host|host:nw-ws-07')).toBe(true);
    const audit = await ts.store.listAudit({ target: a.id });
    expect(audit.map((e) => e.action)).toEqual(['action.propose', 'action.preview', 'action.execute']);
    const exec = audit.find((e) => e.action === 'action.execute')!;
    expect(exec.actor).toBe('policy:isolate-ordinary-hosts');
    expect(exec.doc).toMatchObject({ result: 'ok', evidence: { cites: ['evt-1', 'evt-2'] } });
    // Not yet due.
    c.advance(8 * 3_600_000 - 1);
    expect(await r.expireDue()).toHaveLength(0);
    c.advance(1);
    const exp = await r.expireDue();
    expect(exp.map((x) => x.status)).toEqual(['expired']);
    expect(mem.state.size).toBe(0);
    expect((await ts.store.verifyAudit()).ok).toBe(true);
  });

  it('a verified containment action marks its stored incident contained, audited; a closed incident stays closed', async () => {
    make();
    const inc = incident('inc-c', [ws('NW-WS-07', '10.20.0.7')]);
    await ts.store.putRecords('incidents', [{ id: inc.id, tenant: inc.tenant, status: 'needs_review', ref: '', createdAt: T0, updatedAt: T0, doc: { ...inc, status: 'needs_review' } }]);
    const [a] = await r.respond(inc, verdict('malicious', 0.92));
    expect(a!.status).toBe('active');
    const rec = await ts.store.getRecord<{ status: string; revision: number }>('incidents', 'inc-c');
    expect(rec?.status).toBe('contained');
    expect(rec?.doc.status).toBe('contained');
    expect((await ts.store.listAudit({ target: 'inc-c' })).map((e) => e.action)).toEqual(['respond.verdict', 'incident.contained']);

    const closed = incident('inc-d', [ws('NW-WS-08', '10.20.0.8')]);
    await ts.store.putRecords('incidents', [{ id: closed.id, tenant: closed.tenant, status: 'closed', ref: '', createdAt: T0, updatedAt: T0, doc: { ...closed, status: 'closed' } }]);
    await r.respond(closed, verdict('malicious', 0.92));
    expect((await ts.store.getRecord('incidents', 'inc-d'))?.status).toBe('closed');
  });

  it('renewing pushes the expiry back, within the policy maximum', async () => {
    make();
    const [a] = await r.respond(incident('inc-1', [ws('NW-WS-07', '10.20.0.7')]), verdict('malicious', 0.92));
    c.advance(3_600_000);
    expect(mem.calls.find((x) => x.op === 'apply')!.ttlMs).toBe(8 * 3_600_000);
    const renewed = await r.renew(a!.id, 'user:alice', 24 * 3_600_000);
    expect(renewed.expiresAt).toBe(T0 + 25 * 3_600_000);
    // The connector's own (system-side) expiry is extended too.
    expect(mem.calls.filter((x) => x.op === 'renew').map((x) => x.ttlMs)).toEqual([24 * 3_600_000]);
    await expectCode(r.renew(a!.id, 'user:alice', 30 * 86_400_000), 'RESPOND_TTL_INVALID');
    c.advance(10 * 3_600_000);
    expect(await r.expireDue()).toHaveLength(0);
    expect(mem.state.size).toBe(1);
  });

  it('never isolates a domain controller automatically: two different people must approve', async () => {
    make();
    const dc = entity('host', 'NW-DC01', { context: { criticality: 'critical', tags: ['domain_controller'], ip: '10.10.1.10' } });
    const [a] = await r.respond(incident('inc-2', [dc]), verdict('malicious', 0.99));
    expect(a!.status).toBe('pending_approval');
    expect(a!.approvalsRequired).toBe(2);
    expect(mem.state.size).toBe(0);
    const one = await r.approve(a!.id, 'user:alice', 'confirmed with the AD team');
    expect(one.status).toBe('pending_approval');
    await expectCode(r.approve(a!.id, 'user:alice', 'again'), 'RESPOND_APPROVAL_DUPLICATE');
    expect(mem.state.size).toBe(0);
    const two = await r.approve(a!.id, 'user:bob', 'agreed');
    expect(two.status).toBe('active');
    expect(mem.state.has('isolate_host|host:nw-dc01')).toBe(true);
    await expectCode(r.approve(a!.id, 'user:carol', 'late'), 'RESPOND_STATE_CONFLICT');
    const rb = await r.rollback(a!.id, 'user:alice', 'false alarm');
    expect(rb.status).toBe('rolled_back');
    expect(mem.state.size).toBe(0);
  });

  it('a hard guard holds even when a policy rule says automatic', async () => {
    make(parsePolicy('name: reckless\nversion: 1\nrules:\n  - { id: all-auto, match: {}, mode: automatic }\n'));
    const dc = entity('host', 'NW-DC01', { context: { criticality: 'critical', tags: ['domain_controller'], ip: '10.10.1.10' } });
    const jewel = entity('host', 'NW-SQL01', { context: { criticality: 'critical', crownJewel: true } });
    const bg = entity('user', 'breakglass1', { context: { accountType: 'break_glass' } });
    const acts = await r.respond(incident('inc-3', [dc, jewel, bg]), verdict('malicious', 1));
    expect(acts.map((a) => [a.kind, a.status, a.approvalsRequired])).toEqual([
      ['isolate_host', 'pending_approval', 2],
      ['isolate_host', 'pending_approval', 2],
      ['disable_account', 'pending_approval', 2],
    ]);
    expect(mem.state.size).toBe(0);
  });

  it('rejects and records who and why; a rejected action cannot be approved', async () => {
    make();
    const [a] = await r.respond(incident('inc-4', [entity('host', 'NW-APP01', { context: { criticality: 'high' } })]), verdict('malicious', 0.95));
    expect(a!.status).toBe('pending_approval');
    await expectCode(r.reject(a!.id, 'user:alice', '   '), 'BAD_REQUEST');
    const rej = await r.reject(a!.id, 'user:alice', 'maintenance window, known change');
    expect(rej.status).toBe('rejected');
    expect(rej.rejection).toMatchObject({ by: 'user:alice', reason: 'maintenance window, known change' });
    await expectCode(r.approve(a!.id, 'user:bob', 'x'), 'RESPOND_STATE_CONFLICT');
  });

  it('kill switch: automatic actions are held, approvals refused, rollback still works', async () => {
    make();
    const [a] = await r.respond(incident('inc-5', [ws('NW-WS-01', '10.20.0.1')]), verdict('malicious', 0.95));
    expect(a!.status).toBe('active');
    const ks = await r.killSwitch(true, 'user:admin', 'runaway automation');
    expect(ks).toMatchObject({ on: true, source: 'runtime' });
    const [b] = await r.respond(incident('inc-6', [ws('NW-WS-02', '10.20.0.2')]), verdict('malicious', 0.95));
    expect(b!.status).toBe('pending_approval');
    expect(b!.history.at(-1)!.note).toMatch(/kill switch/);
    await expectCode(r.approve(b!.id, 'user:alice', 'please'), 'RESPOND_KILL_SWITCH');
    expect(mem.state.has('isolate_host|host:nw-ws-02')).toBe(false);
    expect((await r.rollback(a!.id, 'user:alice', 'undo during incident review')).status).toBe('rolled_back');
    await r.killSwitch(false, 'user:admin', 'fixed');
    expect((await r.approve(b!.id, 'user:alice', 'now')).status).toBe('active');
    const audit = await ts.store.listAudit({ target: 'kill-switch' });
    expect(audit.map((e) => e.action)).toEqual(['response.kill_switch.on', 'response.kill_switch.off']);
  });

  it('a policy kill switch cannot be turned off at run time', async () => {
    make(parsePolicy('name: p\nversion: 1\nkillSwitch: true\nrules:\n  - { id: all-auto, match: { actions: isolate_host }, mode: automatic }\n'));
    await r.killSwitch(false, 'user:admin', 'try');
    expect(await r.killSwitchState()).toMatchObject({ on: true, source: 'policy' });
    const [a] = await r.respond(incident('inc-7', [ws('NW-WS-03', '10.20.0.3')]), verdict('malicious', 0.95));
    expect(a!.status).toBe('pending_approval');
  });

  it('dry run: previews against the current state and never executes', async () => {
    make(loadPolicyFile(), { dryRun: true });
    mem.state.add('block_domain|domain:evil.example');
    const acts = await r.respond(incident('inc-8', [ws('NW-WS-04', '10.20.0.4'), entity('domain', 'evil.example', { role: 'c2' })]), verdict('malicious', 0.95));
    expect(acts.map((a) => a.status)).toEqual(['dry_run', 'dry_run']);
    expect(acts[0]!.preview!.summary).toMatch(/would change the state/);
    expect(acts[1]!.preview!.alreadyInEffect).toBe(true);
    expect(mem.calls.filter((x) => x.op === 'apply')).toHaveLength(0);
  });

  it('retries transient failures with back-off, then succeeds; attempts are recorded', async () => {
    make();
    mem.inject({ op: 'apply', transient: true, times: 2 });
    const [a] = await r.respond(incident('inc-9', [ws('NW-WS-05', '10.20.0.5')]), verdict('malicious', 0.95));
    expect(a!.status).toBe('active');
    expect(a!.attempts.map((x) => x.ok)).toEqual([false, false, true]);
    expect(mem.calls.filter((x) => x.op === 'apply').map((x) => x.idempotencyKey)).toEqual(Array(3).fill(a!.idempotencyKey));
  });

  it('permanent failures and failed verification surface as failed with the reason', async () => {
    make();
    mem.inject({ op: 'apply', transient: false, times: 1 });
    const [a] = await r.respond(incident('inc-10', [ws('NW-WS-06', '10.20.0.6')]), verdict('malicious', 0.95));
    expect(a!.status).toBe('failed');
    expect(a!.failure).toMatchObject({ code: 'RESPOND_CONNECTOR_FAILED', op: 'apply' });
    expect(a!.attempts).toHaveLength(1);
    mem.inject({ op: 'apply', transient: false, times: 1, silent: true });
    const [b] = await r.respond(incident('inc-11', [ws('NW-WS-08', '10.20.0.8')]), verdict('malicious', 0.95));
    expect(b!.status).toBe('failed');
    expect(b!.failure!.code).toBe('RESPOND_VERIFY_FAILED');
    mem.inject({ op: 'apply', transient: true, times: 10 });
    const [c2] = await r.respond(incident('inc-12', [ws('NW-WS-09', '10.20.0.9')]), verdict('malicious', 0.95));
    expect(c2!.status).toBe('failed');
    expect(c2!.failure!.code).toBe('RESPOND_CONNECTOR_UNAVAILABLE');
    expect(c2!.attempts).toHaveLength(4);
    const failures = await ts.store.listAudit({ target: c2!.id });
    expect(failures.some((e) => e.action === 'action.failed')).toBe(true);
  });

  it('rate limit: the sixth automatic isolation within an hour waits for approval', async () => {
    make();
    const out: ActionDoc[] = [];
    for (let i = 1; i <= 6; i++) {
      const [a] = await r.respond(incident(`inc-r${i}`, [ws(`NW-WS-1${i}`, `10.20.0.1${i}`)]), verdict('malicious', 0.95));
      out.push(a!);
      c.advance(60_000);
    }
    expect(out.map((a) => a.status)).toEqual(['active', 'active', 'active', 'active', 'active', 'pending_approval']);
    expect(out[5]!.history.at(-1)!.note).toMatch(/rate limit: at most 5 isolate_host per 1h/);
    await expectCode(r.approve(out[5]!.id, 'user:alice', 'go'), 'RESPOND_RATE_LIMITED');
    c.advance(3_600_000);
    expect((await r.approve(out[5]!.id, 'user:alice', 'go')).status).toBe('active');
  });

  it('re-delivered verdicts do not duplicate; a second incident links to the open action', async () => {
    make();
    const inc = incident('inc-13', [ws('NW-WS-20', '10.20.0.20')]);
    const [a] = await r.respond(inc, verdict('malicious', 0.95));
    await r.respond(inc, verdict('malicious', 0.95));
    const [b] = await r.respond(incident('inc-14', [ws('NW-WS-20', '10.20.0.20')]), verdict('malicious', 0.95));
    expect(b!.id).toBe(a!.id);
    expect(b!.alsoFor).toEqual(['inc-14']);
    expect(await r.list()).toHaveLength(1);
    expect(mem.calls.filter((x) => x.op === 'apply')).toHaveLength(1);
  });

  it('an effect already in place is left alone by execute and by rollback', async () => {
    make();
    mem.state.add('isolate_host|host:nw-ws-21');
    const [a] = await r.respond(incident('inc-15', [ws('NW-WS-21', '10.20.0.21')]), verdict('malicious', 0.95));
    expect(a!.status).toBe('completed');
    expect(a!.before).toEqual({ inEffect: true });
    const rb = await r.rollback(a!.id, 'user:alice', 'undo');
    expect(rb.status).toBe('rolled_back');
    expect(mem.state.has('isolate_host|host:nw-ws-21')).toBe(true);
  });

  it('benign verdicts and protected entities produce no action; suspicious ones wait for approval or are only suggested', async () => {
    make(parsePolicy((await import('node:fs')).readFileSync(loadPolicyFile().file, 'utf8').replace('hosts: []', 'hosts: [NW-WS-30]')));
    expect(await r.respond(incident('inc-16', [ws('NW-WS-31', '10.20.0.31')]), verdict('benign', 0.9))).toEqual([]);
    expect(await r.respond(incident('inc-17', [ws('NW-WS-30', '10.20.0.30')]), verdict('malicious', 0.99))).toEqual([]);
    const skip = await ts.store.listAudit({ target: 'inc-17' });
    expect(skip.some((e) => e.action === 'action.skip' && String(e.doc.reason).includes('protect'))).toBe(true);
    const [s] = await r.respond(incident('inc-18', [ws('NW-WS-32', '10.20.0.32')]), verdict('suspicious', 0.5));
    expect(s!.status).toBe('suggested');
    const [pending] = await r.respond(incident('inc-18b', [ws('NW-WS-33', '10.20.0.33')]), verdict('suspicious', 0.8));
    expect([pending!.status, pending!.mode, pending!.policy.rule]).toEqual(['pending_approval', 'approval', 'suspicious-needs-approval']);
    expect((await r.approve(s!.id, 'user:alice', 'contain anyway')).status).toBe('active');
  });

  it('preconditions refuse management hosts and protected networks with a clear reason', async () => {
    make(parsePolicy('name: p\nversion: 1\nprotect: { hostTags: [] }\nrules:\n  - { id: auto, match: { verdict: malicious }, mode: automatic }\n'));
    const m = new MemoryConnector('fw', { kinds: ['block_ip'], managementNetworks: ['198.51.100.0/24'] });
    r = createResponder({ store: ts.store, policy: r.policy, connectors: connectorSet([m, mem]), now: c.now, retry: noSleep });
    const acts = await r.respond(incident('inc-19', [entity('host', 'mgmt01', { context: { tags: ['management'], criticality: 'low' } }), entity('ip', '198.51.100.7')]), verdict('malicious', 0.99));
    expect(acts.map((a) => [a.kind, a.status])).toEqual([
      ['isolate_host', 'failed'],
      ['block_ip', 'failed'],
    ]);
    expect(acts[0]!.failure!.message).toMatch(/not-management-host/);
    expect(acts[1]!.failure!.message).toMatch(/protected network 198.51.100.0\/24/);
  });

  it('notifies last, listing what was done, on the configured channel', async () => {
    const soc = new MemoryConnector('soc', { kinds: ['notify'] });
    const p = parsePolicy((await import('node:fs')).readFileSync(loadPolicyFile().file, 'utf8').replace('notify: []        #', 'notify: [soc]        #'));
    r = createResponder({ store: ts.store, policy: p, connectors: connectorSet([mem, soc]), now: c.now, retry: noSleep });
    const acts = await r.respond(incident('inc-20', [ws('NW-WS-40', '10.20.0.40')]), verdict('malicious', 0.95));
    expect(acts.map((a) => [a.kind, a.status])).toEqual([
      ['isolate_host', 'active'],
      ['notify', 'completed'],
    ]);
    expect(soc.sent).toHaveLength(1);
    expect(soc.sent[0]!.message).toMatch(/isolate_host host NW-WS-40/);
    await expectCode(r.rollback(acts[1]!.id, 'user:a', 'x'), 'RESPOND_NOT_REVERSIBLE');
  });

  it('a missing connector fails the action clearly instead of pretending', async () => {
    make();
    const acts = await r.respond(incident('inc-21', [entity('domain', 'evil.example', { role: 'c2' })]), verdict('malicious', 0.95));
    expect(acts[0]!.status).toBe('active');
    r = createResponder({ store: ts.store, policy: loadPolicyFile(), connectors: connectorSet([]), now: c.now, retry: noSleep });
    const [b] = await r.respond(incident('inc-22', [entity('domain', 'bad.example', { role: 'c2' })]), verdict('malicious', 0.95));
    expect(b!.status).toBe('failed');
    expect(b!.failure!.code).toBe('RESPOND_NO_CONNECTOR');
  });
});
