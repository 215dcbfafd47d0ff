import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../core/incident.js';
import type { Signal } from '../../core/signal.js';
import { isGarrisonError } from '../../core/errors.js';
import { tempStore, winlog } from '../../coverage/testing.js';
import { register as registerHunt } from '../../cli/commands/hunt.js';
import { register as registerRules } from '../../cli/commands/rules.js';
import { builtinRulesDir, detectionToSignal } from '../engine.js';
import { loadRulePaths } from '../sigma/loader.js';
import { SigmaMatcher } from '../sigma/matcher.js';
import { hunt } from './hunt.js';
import { noisyRules } from './noisy.js';
import { computeRuleStats } from './stats.js';
import { runRuleTests } from './test-runner.js';

const BAD = fileURLToPath(new URL('./fixtures/bad/', import.meta.url));
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const T0 = Date.UTC(2026, 10, 20, 12);

async function cli(register: (p: Command) => void, args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command().exitOverride();
  register(program);
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'garrison', ...args]);
  } finally {
    o.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { out, code };
}

describe('rules test', () => {
  it('passes the built-in pack: base rules and correlation streams', () => {
    const r = runRuleTests([builtinRulesDir()]);
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.perRule.filter((x) => x.kind === 'correlation').length).toBeGreaterThanOrEqual(2);
    expect(r.perRule.every((x) => x.status === 'passed')).toBe(true);
  });
  it('reports a wrong positive; the CLI exits 1 with JSON, 0 on the built-in pack', async () => {
    const { out, code } = await cli(registerRules, ['rules', 'test', BAD, '--json']);
    const r = JSON.parse(out);
    expect(code).toBe(1);
    expect(r.failures.map((f: { kind: string; index?: number }) => `${f.kind}:${f.index}`)).toEqual(['positive:0']);
    const ok = await cli(registerRules, ['rules', 'test']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/\d+ rules, \d+ test cases, \d+ passed, 0 failures/);
  });
});

describe('hunt, rule statistics and noisy rules over a store', () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  let ruleFile = '';
  const rundll = 'C:\\Windows\\System32\\rundll32.exe';
  beforeAll(async () => {
    t = await tempStore();
    ruleFile = join(t.dir, 'hunt-rule.yml');
    const evs = [
      ...Array.from({ length: 30 }, (_, i) => winlog(SYSMON, 1, { Image: rundll, CommandLine: `rundll32.exe C:\\Program Files\\Vendor\\agent.dll,Run ${i}`, ParentImage: 'C:\\Program Files\\Vendor\\updater.exe' }, T0 - (i + 1) * 60_000)),
      winlog(SYSMON, 1, { Image: rundll, CommandLine: 'rundll32.exe C:\\Users\\bob\\AppData\\Local\\Temp\\x.dll,Start', ParentImage: 'C:\\Windows\\explorer.exe' }, T0 - 45 * 60_000, 'WS9'),
      winlog(SYSMON, 1, { Image: 'C:\\Windows\\notepad.exe', CommandLine: 'notepad.exe' }, T0 - 10 * 60_000),
      winlog('Security', 4624, { TargetUserName: 'alice', LogonType: '3' }, T0 - 5 * 60_000, 'DC1', 'Microsoft-Windows-Security-Auditing'),
    ];
    await t.store.appendEvents(evs);
    writeFileSync(ruleFile, `title: Rundll32 Execution\nid: 7d1c0a3e-1c2d-4e5f-8a9b-0c1d2e3f4a21\nstatus: test\ntags: [attack.t1218.011]\nlogsource: { product: windows, category: process_creation }\ndetection:\n  selection:\n    Image|endswith: '\\rundll32.exe'\n  condition: selection\nlevel: low\n`);
    // live operation: signals, one benign incident per vendor firing, one malicious incident
    const m = new SigmaMatcher(loadRulePaths([ruleFile]), { config: { skipStatus: [] } });
    const signals: Signal[] = [];
    for (const ev of evs) for (const d of m.match(ev)) signals.push(detectionToSignal(d, ev, T0));
    await t.store.appendSignals(signals);
    const inc = (id: string, sigs: Signal[], verdict: 'benign' | 'malicious'): Incident =>
      ({ id, tenant: 'default', title: id, summary: '', status: verdict === 'benign' ? 'closed' : 'contained', severity: 'low', score: 10, confidence: 1, createdAt: T0, updatedAt: T0, firstSeen: T0 - 60_000, lastSeen: T0, signalIds: sigs.map((s) => s.id), attack: { tactics: [], techniques: [] }, stages: [], entities: [], scoring: [], mergedFrom: [], verdict: { verdict, confidence: 0.9, by: 'garrison', decidedAt: T0 + 1000, summary: '', factors: [], wouldChange: [] }, closeReason: verdict === 'benign' ? 'benign: vendor agent' : undefined, revision: 1 }) as Incident;
    const vendor = signals.filter((s) => String(s.entities.process?.commandLine ?? '').includes('Vendor'));
    const bad = signals.filter((s) => String(s.entities.process?.commandLine ?? '').includes('Temp'));
    expect(vendor.length).toBe(30);
    await t.store.putRecords('incidents', [...vendor.map((s, i) => ({ id: `i${i}`, tenant: 'default', status: 'closed', ref: '', createdAt: T0, updatedAt: T0, doc: inc(`i${i}`, [s], 'benign') })), { id: 'ibad', tenant: 'default', status: 'contained', ref: '', createdAt: T0, updatedAt: T0, doc: inc('ibad', bad, 'malicious') }]);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('hunts a Sigma rule over stored events with a prefilter from its log source', async () => {
    const r = await hunt(t.store, { rules: [ruleFile], from: T0 - 86_400_000, to: T0 });
    expect(r.matches).toHaveLength(31);
    expect(r.scanned).toBe(32); // the prefilter kept the 4624 logon out
    expect(r.queries[0].text).toContain('channel:"Microsoft-Windows-Sysmon/Operational"');
    expect(r.queries[0].sql).toContain('SELECT');
    const lim = await hunt(t.store, { rules: [ruleFile], limit: 5 });
    expect(lim.matches).toHaveLength(5);
    expect(lim.truncated).toBe(true);
    const q = await hunt(t.store, { query: 'EventID:4624', from: T0 - 86_400_000, to: T0 });
    expect(q.matches.map((x) => x.host)).toEqual(['DC1']);
  });

  it('refuses a broken rule and a missing mode with clear codes', async () => {
    const broken = join(t.dir, 'broken-rule.yml');
    writeFileSync(broken, 'title: x\nlogsource: {product: windows}\n');
    await expect(hunt(t.store, { rules: [broken] })).rejects.toSatisfy((e: unknown) => isGarrisonError(e, 'COVERAGE_RULE_INVALID') && /detection/.test((e as Error).message));
    await expect(hunt(t.store, {})).rejects.toSatisfy((e: unknown) => isGarrisonError(e, 'COVERAGE_OPTION_INVALID'));
  });

  it('garrison hunt prints matches and the store query', async () => {
    const { out } = await cli(registerHunt, ['hunt', '--rule', ruleFile, '--data', t.dir, '--from', String(T0 - 86_400_000), '--to', String(T0), '--json']);
    const r = JSON.parse(out);
    expect(r.matches).toHaveLength(31);
    const text = await cli(registerHunt, ['hunt', '--query', 'EventID:4624', '--data', t.dir]);
    expect(text.out).toContain('1 match in 1 events scanned');
  });

  it('computes per-rule firings, benign share and cost per event', async () => {
    const signals = await t.store.querySignals({});
    const set = loadRulePaths([ruleFile]);
    const r = await computeRuleStats({ store: t.store, from: 0, to: T0 + 1, signals, rules: [{ id: set.rules[0].id, title: 'Rundll32 Execution', level: 'low', kind: 'sigma' }], loaded: set, sampleSize: 100 });
    const s = r.rules[0];
    expect(s.firings).toBe(31);
    expect(s.incidents).toBe(31);
    expect(s.benignIncidents).toBe(30);
    expect(s.benignShare).toBeCloseTo(30 / 31, 5);
    expect(s.costNsPerEvent).toBeGreaterThan(0);
    expect(r.sample.events).toBe(33);
  });

  it('proposes an exception from the benign firings that suppresses them and no malicious one', async () => {
    const signals = await t.store.querySignals({});
    const set = loadRulePaths([ruleFile]);
    const stats = await computeRuleStats({ store: t.store, from: 0, to: T0 + 1, signals, rules: [{ id: set.rules[0].id, title: 'Rundll32 Execution', level: 'low', kind: 'sigma' }], sampleSize: 0 });
    const noisy = await noisyRules(t.store, stats.rules, signals, set, { from: 0 });
    expect(noisy).toHaveLength(1);
    const p = noisy[0].proposal!;
    expect(p.selections[0]).toMatchObject({ field: 'ParentImage', value: 'C:\\Program Files\\Vendor\\updater.exe', benignFirings: 30 });
    expect(p.yaml).toContain('condition: not 1 of filter_benign_*');
    expect(p.replay).toEqual({ benignChecked: 30, benignSuppressed: 30, maliciousChecked: 1, maliciousSuppressed: 0 });
  });
});
