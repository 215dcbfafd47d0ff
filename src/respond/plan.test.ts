import { describe, expect, it } from 'vitest';
import { responseContext } from './context.js';
import { planIncident } from './plan.js';
import { loadPolicyFile, parsePolicy } from './policy/load.js';
import { entity, incident, verdict } from './testing/fixtures.js';

describe('planner', () => {
  const p = loadPolicyFile();
  it('one candidate per entity, internal addresses and victims skipped, hostile values reported not passed on', () => {
    const inc = incident('i1', [
      entity('host', 'NW-WS-07', { context: { criticality: 'low', ip: '10.20.0.7' } }),
      entity('host', 'NW-WS-07', { context: { criticality: 'low', ip: '10.20.0.7' } }),
      entity('ip', '10.20.0.7'),
      entity('ip', '203.0.113.9', { role: 'attacker' }),
      entity('ip', '198.51.100.1', { role: 'victim' }),
      entity('domain', 'evil.example', { role: 'c2' }),
      entity('domain', 'evil.example\n0.0.0.0 bank.example'),
      entity('user', 'corp\\alice', { context: { privileged: true } }),
      entity('process', '{AAAA-1}', { context: { pid: 4242, image: 'C:\\x\\evil.exe' } }),
      entity('hash', 'a'.repeat(64)),
    ]);
    const plan = planIncident(inc, verdict('malicious', 0.9), p);
    expect(plan.actions.map((a) => `${a.kind} ${JSON.stringify(a.target)}`)).toEqual([
      'isolate_host {"type":"host","host":"NW-WS-07","ip":"10.20.0.7"}',
      'block_ip {"type":"ip","cidr":"203.0.113.9"}',
      'block_domain {"type":"domain","domain":"evil.example"}',
      'disable_account {"type":"account","account":"corp\\\\alice"}',
      'kill_process {"type":"process","host":"NW-WS-07","pid":4242,"guid":"{AAAA-1}","image":"C:\\\\x\\\\evil.exe","ip":"10.20.0.7"}',
      `quarantine_file {"type":"file","host":"NW-WS-07","sha256":"${'a'.repeat(64)}","ip":"10.20.0.7"}`,
    ]);
    expect(plan.actions.find((a) => a.kind === 'disable_account')!.identity).toEqual({ type: 'privileged', privileged: true });
    expect(plan.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/internal address/), expect.stringMatching(/invalid label/)]);
  });
  it('benign or not-planned verdicts plan nothing; plan.actions limits the kinds', () => {
    const inc = incident('i2', [entity('host', 'h1'), entity('domain', 'evil.example')]);
    expect(planIncident(inc, verdict('benign', 0.99), p).actions).toEqual([]);
    const q = parsePolicy('name: q\nversion: 1\nplan: { verdicts: [malicious], actions: [block_domain] }\n');
    expect(planIncident(inc, verdict('suspicious', 0.99), q).actions).toEqual([]);
    expect(planIncident(inc, verdict('malicious', 0.99), q).actions.map((a) => a.kind)).toEqual(['block_domain']);
  });
  it("uses correlation's ContextIndex shape (host/user lookups) through the adapter", () => {
    const ctx = responseContext({
      host: (n) => (n?.toLowerCase() === 'nw-dc01' ? { role: 'domain_controller', criticality: 'critical', crownJewel: false, tags: [], ips: ['10.10.1.10'] } : undefined),
      user: (a) => (a?.toLowerCase() === 'svc_backup' ? { service: true, privileged: true, groups: ['Backup Operators'] } : a === 'bg' ? { groups: ['Break Glass'] } : undefined),
      assets: [{ ips: ['10.10.1.10'] }, { ips: ['10.10.1.11'] }],
    });
    const plan = planIncident(incident('i3', [entity('host', 'NW-DC01'), entity('user', 'svc_backup'), entity('user', 'bg')]), verdict('malicious', 0.9), p, { context: ctx });
    expect(plan.actions[0]!.asset).toEqual({ criticality: 'critical', tags: ['domain_controller'], ip: '10.10.1.10' });
    expect(plan.actions[0]!.target).toEqual({ type: 'host', host: 'NW-DC01', ip: '10.10.1.10' });
    expect(plan.actions[1]!.identity?.type).toBe('service');
    expect(plan.actions[2]!.identity?.type).toBe('break_glass');
    expect(ctx!.hostsIn!('10.10.1.0/24')).toBe(2);
  });
});
