import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isGarrisonError, type GarrisonError } from '../../core/errors.js';
import { evaluate, type Candidate } from './evaluate.js';
import { checkPolicy, DEFAULT_POLICY_PATH, loadPolicyFile, parsePolicy } from './load.js';

const host = (name: string, asset: Candidate['asset'], conf = 0.95, v: 'malicious' | 'suspicious' = 'malicious'): Candidate => ({
  kind: 'isolate_host',
  target: { type: 'host', host: name },
  verdict: { verdict: v, confidence: conf },
  asset,
  blast: { hosts: 1, users: 0 },
});

describe('policy loading', () => {
  it('loads the shipped default policy with a content hash', () => {
    const p = loadPolicyFile();
    expect(p.name).toBe('garrison-default');
    expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(p.rules.length).toBeGreaterThan(5);
    expect(p.ruleLines['isolate-ordinary-hosts']).toBeGreaterThan(1);
    // Same text → same hash; any change → another hash.
    const text = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
    expect(parsePolicy(text).hash).toBe(p.hash);
    expect(parsePolicy(text + '\n# edited\n').hash).not.toBe(p.hash);
  });

  it('reports every problem with file and line', () => {
    const text = [
      'name: broken', // 1
      'version: 1', // 2
      'ttl: { default: 10d, max: 7d }', // 3
      'protect:', // 4
      '  networks: [10.0.0.0/33]', // 5
      '  domains: [co.uk]', // 6
      'limits:', // 7
      '  - { action: isolate_host, max: -1, per: 1h }', // 8
      'rules:', // 9
      '  - id: a', // 10
      '    match: { actions: isolate_hots }', // 11
      '    mode: automatic', // 12
      '  - id: a', // 13
      '    mode: sometimes', // 14
    ].join('\n');
    const { problems } = checkPolicy(text, 'p.yaml');
    const lines = problems.problems.map((p: GarrisonError) => p.location?.line).sort((a, b) => a! - b!);
    expect(lines).toEqual([5, 6, 8, 11, 14]);
    expect(problems.format()).toMatch(/^p.yaml:5: RESPOND_POLICY_INVALID protect.networks.0:/m);
    // Semantic problems come once the schema is satisfied.
    const sem = checkPolicy('name: x\nversion: 1\nttl: { default: 10d, max: 7d }\nrules:\n  - { id: a, match: {}, mode: suggest }\n  - { id: a, mode: automatic, approvals: 2 }\n', 's.yaml');
    expect(sem.problems.format().split('\n')).toEqual([
      's.yaml:3: RESPOND_POLICY_INVALID ttl.default: the default TTL is longer than ttl.max',
      "s.yaml:6: RESPOND_POLICY_INVALID rules.1.id: duplicate rule id 'a' (first at rules.0)",
      's.yaml:6: RESPOND_POLICY_INVALID rules.1.approvals: approvals is only meaningful with mode approval (mode is automatic)',
      "s.yaml:6: RESPOND_POLICY_INVALID rules.1: rule 'a' can never match: rule 'a' before it matches every action",
    ]);
  });

  it('throws RESPOND_POLICY_INVALID with all problems in details', () => {
    try {
      parsePolicy('name: [\n', 'bad.yaml');
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e, 'RESPOND_POLICY_INVALID')).toBe(true);
      expect((e as GarrisonError).location).toMatchObject({ file: 'bad.yaml' });
    }
  });
});

describe('policy evaluation (default policy)', () => {
  const p = loadPolicyFile();
  it('isolates ordinary hosts automatically with a TTL, others need approval', () => {
    expect(evaluate(p, host('ws1', { criticality: 'low' }))).toMatchObject({ mode: 'automatic', rule: 'isolate-ordinary-hosts', ttlMs: 8 * 3_600_000 });
    expect(evaluate(p, host('ws1', { criticality: 'low' }, 0.5))).toMatchObject({ mode: 'approval', rule: 'host-actions-other' });
    expect(evaluate(p, host('app', { criticality: 'high' }))).toMatchObject({ mode: 'approval', approvals: 1 });
    expect(evaluate(p, host('unknown', undefined))).toMatchObject({ mode: 'approval' });
    expect(evaluate(p, host('ws1', { criticality: 'low' }, 0.99, 'suspicious'))).toMatchObject({ mode: 'approval', approvals: 1, rule: 'suspicious-needs-approval' });
    expect(evaluate(p, host('ws1', { criticality: 'low' }, 0.5, 'suspicious'))).toMatchObject({ mode: 'suggest', rule: 'suspicious-only-suggest' });
  });
  it('domain controllers and crown jewels need two approvals', () => {
    expect(evaluate(p, host('dc', { criticality: 'critical', tags: ['domain_controller'] }))).toMatchObject({ mode: 'approval', approvals: 2, rule: 'domain-controllers' });
    expect(evaluate(p, host('sql', { criticality: 'low', crownJewel: true }))).toMatchObject({ mode: 'approval', approvals: 2, rule: 'crown-jewels' });
  });
  it('accounts by type', () => {
    const acct = (type?: 'regular' | 'service' | 'break_glass'): Candidate => ({ kind: 'disable_account', target: { type: 'account', account: 'x' }, verdict: { verdict: 'malicious', confidence: 0.95 }, identity: type ? { type } : undefined, blast: { hosts: 0, users: 1 } });
    expect(evaluate(p, acct('regular'))).toMatchObject({ mode: 'automatic', ttlMs: 4 * 3_600_000 });
    expect(evaluate(p, acct('service'))).toMatchObject({ mode: 'approval', approvals: 1 });
    expect(evaluate(p, acct('break_glass'))).toMatchObject({ mode: 'approval', approvals: 2 });
    expect(evaluate(p, acct())).toMatchObject({ mode: 'approval', rule: 'everything-else' });
  });
  it('blocks external addresses up to a /24 automatically, wider ones with approval', () => {
    const ip = (cidr: string, addresses: number): Candidate => ({ kind: 'block_ip', target: { type: 'ip', cidr }, verdict: { verdict: 'malicious', confidence: 0.9 }, blast: { hosts: 0, users: 0, addresses } });
    expect(evaluate(p, ip('203.0.113.5', 1))).toMatchObject({ mode: 'automatic', rule: 'block-external-addresses' });
    expect(evaluate(p, ip('203.0.0.0/16', 65536))).toMatchObject({ mode: 'approval' });
  });
  it('allow-lists win over every rule', () => {
    const q = parsePolicy('name: q\nversion: 1\nprotect: { hosts: [NW-DC*], networks: [10.10.0.0/16], domains: [northwind.example], accounts: [adm.jensen] }\nrules:\n  - { id: all, match: {}, mode: automatic }\n');
    expect(evaluate(q, host('nw-dc01', {}))).toMatchObject({ mode: 'none', rule: '(protect)' });
    expect(evaluate(q, host('ws', { ip: '10.10.3.4' }))).toMatchObject({ mode: 'none' });
    expect(evaluate(q, { kind: 'block_domain', target: { type: 'domain', domain: 'mail.northwind.example' }, verdict: { verdict: 'malicious', confidence: 1 }, blast: { hosts: 0, users: 0 } })).toMatchObject({ mode: 'none' });
    expect(evaluate(q, { kind: 'block_domain', target: { type: 'domain', domain: 'northwind.example.evil.test' }, verdict: { verdict: 'malicious', confidence: 1 }, blast: { hosts: 0, users: 0 } })).toMatchObject({ mode: 'automatic' });
    expect(evaluate(q, { kind: 'disable_account', target: { type: 'account', account: 'northwind\\adm.jensen' }, verdict: { verdict: 'malicious', confidence: 1 }, blast: { hosts: 0, users: 1 } })).toMatchObject({ mode: 'none' });
  });
});
