/**
 * Property tests of the guardrails, with random incidents, assets, policies and operator actions
 * over a stateful in-memory connector:
 *   - no action runs outside its policy (automatic only when the policy says automatic and no hard
 *     guard or allow-list applies, never while the kill switch is on; otherwise only with enough
 *     distinct approvals);
 *   - no rate limit is exceeded, in any window;
 *   - every action that changed state and is reversible carries an expiry within the policy maximum;
 *   - every rollback (and expiry) restores the state observed before the action.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncidentEntity } from '../core/incident.js';
import { MemoryConnector } from './connectors/memory/memory.js';
import { connectorSet } from './connectors/port.js';
import { createResponder } from './executor.js';
import { evaluate } from './policy/evaluate.js';
import { parsePolicy, type Policy } from './policy/load.js';
import { planIncident } from './plan.js';
import { clock, entity, incident, tempStore, verdict } from './testing/fixtures.js';
import type { ActionDoc } from './types.js';

const HOSTS = Array.from({ length: 8 }, (_, i) => `H${i}`);
const USERS = ['alice', 'bob', 'svc_sql', 'breakglass', 'adm.jensen'];
const DOMAINS = ['evil.example', 'c2.bad.test', 'ok.example'];
const IPS = ['203.0.113.5', '203.0.113.77', '198.51.100.9'];
const TAGS = ['domain_controller', 'database', 'management', 'vip'];

const hostCtx = fc.record({
  criticality: fc.constantFrom('low', 'medium', 'high', 'critical', undefined),
  tags: fc.subarray(TAGS, { maxLength: 2 }),
  crownJewel: fc.boolean(),
});
const userCtx = fc.record({ accountType: fc.constantFrom('regular', 'admin', 'service', 'break_glass', undefined) });

const match = fc.record(
  {
    actions: fc.subarray(['isolate_host', 'block_ip', 'block_domain', 'disable_account', 'kill_process', 'notify'], { minLength: 1 }),
    verdict: fc.constantFrom('malicious', 'suspicious'),
    minConfidence: fc.double({ min: 0, max: 1, noNaN: true }),
    criticality: fc.subarray(['low', 'medium', 'high', 'critical', 'unknown'], { minLength: 1 }),
    tagsAny: fc.subarray(TAGS, { minLength: 1 }),
    crownJewel: fc.boolean(),
    accountType: fc.subarray(['regular', 'admin', 'service', 'break_glass', 'unknown'], { minLength: 1 }),
  },
  { requiredKeys: ['actions'] },
);
const rule = fc.record({
  match,
  mode: fc.constantFrom('automatic', 'automatic', 'automatic', 'approval', 'suggest', 'none'),
  approvals: fc.constantFrom(1, 2),
  ttl: fc.constantFrom('30m', '1h', '4h', undefined),
});
const policyArb = fc.record({
  rules: fc.array(rule, { maxLength: 6 }),
  limits: fc.array(fc.record({ action: fc.constantFrom('isolate_host', 'block_ip', 'block_domain', 'disable_account', '*'), max: fc.integer({ min: 0, max: 3 }), per: fc.constantFrom('10m', '1h') }), { maxLength: 3 }),
  protectHosts: fc.subarray(HOSTS, { maxLength: 2 }),
  maxHosts: fc.integer({ min: 0, max: 2 }),
});

type PolicySpec = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;

function policyFrom(p: PolicySpec): Policy {
  const doc = {
    name: 'random',
    version: 1,
    ttl: { default: '2h', max: '6h' },
    protect: { hosts: p.protectHosts },
    limits: p.limits,
    maxAutomaticBlast: { hosts: p.maxHosts, users: 1 },
    plan: { notify: ['soc'] },
    rules: p.rules.map((r, i) => ({ id: `r${i}`, match: r.match, mode: r.mode, ...(r.mode === 'approval' ? { approvals: r.approvals } : {}), ...(r.ttl ? { ttl: r.ttl } : {}) })),
  };
  return parsePolicy(JSON.stringify(doc));
}

const op = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('incident' as const),
      hosts: fc.subarray(HOSTS, { maxLength: 3 }),
      users: fc.subarray(USERS, { maxLength: 2 }),
      domains: fc.subarray(DOMAINS, { maxLength: 2 }),
      ips: fc.subarray(IPS, { maxLength: 2 }),
      verdict: fc.constantFrom('malicious', 'malicious', 'suspicious', 'benign'),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: fc.constant('approve' as const), pick: fc.nat(), who: fc.constantFrom('user:a', 'user:b', 'user:c') }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('rollback' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 60_000, max: 3 * 3_600_000 }) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('expire' as const) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('kill' as const), on: fc.boolean() }), weight: 1 },
);

describe('guardrail properties', () => {
  it('hold for random incidents, assets, policies and operations', async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.dictionary(fc.constantFrom(...HOSTS), hostCtx),
        fc.dictionary(fc.constantFrom(...USERS), userCtx),
        fc.subarray(['isolate_host|host:h1', 'block_domain|domain:evil.example', 'block_ip|ip:203.0.113.5']),
        fc.array(op, { minLength: 1, maxLength: 14 }),
        async (pspec, hostCtxs, userCtxs, preexisting, ops) => {
          const policy = policyFrom(pspec);
          const ts = await tempStore();
          const c = clock();
          const mem = new MemoryConnector('mem', { kinds: ['isolate_host', 'block_ip', 'block_domain', 'disable_account', 'revoke_sessions', 'kill_process', 'quarantine_file'] });
          const soc = new MemoryConnector('soc', { kinds: ['notify'] });
          for (const k of preexisting) mem.state.add(k);
          const initial = new Set(mem.state);
          const r = createResponder({ store: ts.store, policy, connectors: connectorSet([mem, soc]), now: c.now, retry: { sleep: async () => undefined } });
          /** Expected automatic decisions, by action id, recomputed independently from the plan. */
          const expectedMode = new Map<string, string>();
          let killOn = false;
          let n = 0;
          try {
            for (const o of ops) {
              const applyBefore = mem.calls.filter((x) => x.op === 'apply').length;
              if (o.t === 'incident') {
                const ents: IncidentEntity[] = [
                  ...o.hosts.map((h) => entity('host', h, { context: { ...hostCtxs[h], ip: `10.0.0.${HOSTS.indexOf(h) + 1}` } })),
                  ...o.users.map((u) => entity('user', u, { context: userCtxs[u] })),
                  ...o.domains.map((d) => entity('domain', d, { role: 'c2' })),
                  ...o.ips.map((i) => entity('ip', i)),
                ];
                const inc = incident(`inc-${n++}`, ents);
                const v = verdict(o.verdict, o.confidence);
                for (const p of planIncident(inc, v, policy).actions) {
                  const d = evaluate(policy, { kind: p.kind, target: p.target, verdict: v, asset: p.asset, identity: p.identity, entityRole: p.entityRole, blast: p.blast });
                  expectedMode.set(`${inc.id}|${p.kind}|${JSON.stringify(p.target)}`, d.mode);
                }
                const acts = await r.respond(inc, v);
                for (const a of acts) {
                  if (a.incidentId !== inc.id) continue;
                  const want = expectedMode.get(`${inc.id}|${a.kind}|${JSON.stringify(a.target)}`);
                  // Property: an action without approvals only executes when the policy said automatic.
                  if (a.approvals.length === 0 && a.executedAt !== undefined) expect(want).toBe('automatic');
                  expect(want).not.toBe('none');
                }
              } else if (o.t === 'approve') {
                const open = (await r.list({ status: ['pending_approval', 'suggested'] })).sort((a, b) => a.id.localeCompare(b.id));
                if (open.length) {
                  const a = open[o.pick % open.length]!;
                  await r.approve(a.id, o.who, 'property test').catch(() => undefined);
                }
              } else if (o.t === 'rollback') {
                const act = (await r.list({ status: 'active' })).sort((a, b) => a.id.localeCompare(b.id));
                if (act.length) {
                  const a = act[o.pick % act.length]!;
                  const key = `${a.kind}|${a.key.slice(a.kind.length + 1)}`;
                  await r.rollback(a.id, 'user:a', 'property test');
                  // Property: rollback restores the state before the action.
                  expect(mem.state.has(key)).toBe(a.before?.inEffect === true);
                }
              } else if (o.t === 'advance') {
                c.advance(o.ms);
              } else if (o.t === 'expire') {
                for (const a of await r.expireDue()) expect(mem.state.has(`${a.kind}|${a.key.slice(a.kind.length + 1)}`)).toBe(false);
              } else {
                await r.killSwitch(o.on, 'user:admin', 'property test');
                killOn = o.on;
              }
              // Property: nothing is applied while the kill switch is on.
              if (killOn) expect(mem.calls.filter((x) => x.op === 'apply').length).toBe(applyBefore);
            }
            const all = await r.list({ limit: 10_000 });
            const executed = all.filter((a) => a.executedAt !== undefined && !a.before?.inEffect);
            for (const a of all) {
              // Property: executed only with enough distinct approvals, or automatically.
              if (a.executedAt !== undefined && a.approvals.length > 0) {
                expect(new Set(a.approvals.map((x) => x.by)).size).toBeGreaterThanOrEqual(a.approvalsRequired);
              }
              if (a.executedAt !== undefined && a.approvals.length === 0) expect(a.mode).toBe('automatic');
              // Property: protected hosts are never acted on.
              if (a.target.type === 'host') expect(policy.protect.hosts.map((h) => h.toLowerCase())).not.toContain(a.target.host.toLowerCase());
              // Property: every reversible action that changed state has an expiry within the maximum.
              if (['active', 'expired', 'rolled_back', 'rollback_failed'].includes(a.status) && !a.before?.inEffect && a.kind !== 'notify' && a.kind !== 'kill_process') {
                expect(a.expiresAt).toBeDefined();
                expect(a.expiresAt! - (a.executedAt ?? 0)).toBeLessThanOrEqual(policy.ttl.max);
              }
              // Property (independent of the policy code): a domain controller / crown jewel / break-glass
              // account is never acted on without two distinct approvals.
              const hc = a.target.type === 'host' ? hostCtxs[a.target.host] : undefined;
              const uc = a.target.type === 'account' ? userCtxs[a.target.account] : undefined;
              if (a.executedAt !== undefined && (hc?.crownJewel || hc?.tags.includes('domain_controller') || uc?.accountType === 'break_glass')) {
                expect(new Set(a.approvals.map((x) => x.by)).size).toBeGreaterThanOrEqual(2);
              }
              // Property: automatic actions against guarded targets never happen.
              if (a.approvals.length === 0 && a.executedAt !== undefined) expect(a.approvalsRequired).toBe(1);
            }
            // Property: no rate limit exceeded in any window.
            for (const l of policy.limits) {
              const times = executed.filter((a) => (l.action === '*' ? a.kind !== 'notify' : a.kind === l.action)).map((a) => a.executedAt!).sort((x, y) => x - y);
              for (let i = 0; i < times.length; i++) {
                const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + l.per).length;
                expect(inWindow).toBeLessThanOrEqual(l.max);
              }
            }
            // Property: rolling everything back restores the initial state.
            for (const a of await r.list({ status: 'active' })) await r.rollback(a.id, 'user:a', 'end of test');
            expect([...mem.state].sort()).toEqual([...initial].sort());
            expect((await ts.store.verifyAudit()).ok).toBe(true);
            void (null as unknown as ActionDoc);
          } finally {
            await r.close();
            await ts.cleanup();
          }
        },
      ),
      { numRuns: Number(process.env.GARRISON_PROPERTY_RUNS ?? 60) },
    );
  }, 120_000);
});
