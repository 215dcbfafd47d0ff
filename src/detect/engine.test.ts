import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventId, type GarrisonEvent } from '../core/event.js';
import { attackFromTags } from './attack/index.js';
import { SigmaStage } from './engine.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'sigma', 'fixtures', 'rules');

function ev(fields: Record<string, unknown>, time: number): GarrisonEvent {
  const raw = JSON.stringify(fields);
  return { id: eventId(time, 't', `test:${time}`, raw), time, ingestTime: time, tenant: 't', source: { format: 'winlog', product: 'windows' }, class: { uid: 0, name: 'base_event' }, entities: { host: 'ws1' }, fields, raw };
}

describe('ATT&CK tags', () => {
  it('splits tactics and techniques and maps the v19 tactic names onto TA0005', () => {
    expect(attackFromTags(['attack.execution', 'attack.t1059.001', 'attack.stealth', 'attack.defense-impairment', 'attack.defense-evasion', 'cve.2021-1', 'attack.g0016'])).toEqual({
      tactics: ['TA0002', 'TA0005'],
      techniques: ['T1059.001'],
    });
    expect(attackFromTags(['attack.credential_access', 'attack.ta0040'])).toEqual({ tactics: ['TA0006', 'TA0040'], techniques: [] });
  });
});

describe('SigmaStage: events in, signals out', () => {
  const stage = new SigmaStage({ builtin: false, rulePaths: [fixtures], config: { skipStatus: [] }, correlation: { lateness: 0 } });
  it('raises a sigma signal with rule, level, ATT&CK and matched fields', () => {
    const e = ev({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all', User: 'CORP\\eve' }, 1000);
    const s = stage.process([e]);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ kind: 'sigma', detector: '11111111-1111-4111-8111-111111111111', title: 'Whoami All', level: 'high', eventIds: [e.id], attack: { tactics: ['TA0005', 'TA0007'], techniques: ['T1033'] } });
    expect(s[0].details.fields).toMatchObject({ Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' });
  });
  it('feeds base-rule matches to correlation rules and suppresses them (generate: false)', () => {
    const out = [];
    for (let i = 0; i < 3; i++) out.push(...stage.process([ev({ Channel: 'Security', EventID: 4625, TargetUserName: 'bob' }, 10_000 + i * 1000)]));
    out.push(...stage.flush());
    const corr = out.filter((s) => s.kind === 'sigma_correlation');
    expect(corr).toHaveLength(1);
    expect(corr[0].detector).toBe('77777777-7777-4777-8777-777777777777');
    expect(corr[0].eventIds).toHaveLength(3);
    expect(out.filter((s) => s.kind === 'sigma')).toHaveLength(0);
  });
  it('reports the rule problems of the loaded directory', () => {
    expect(stage.problems.map((p) => p.code)).toContain('SIGMA_CONDITION_INVALID');
  });
});
