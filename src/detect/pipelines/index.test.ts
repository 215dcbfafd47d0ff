import { describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { compatible, compileRoute, loadPipelines, parsePipeline, PIPELINES, routedEvent } from './index.js';

describe('processing pipelines', () => {
  it('every shipped pipeline validates and has unique entry ids', () => {
    const pls = loadPipelines();
    expect(pls.map((p) => p.name).sort()).toEqual(Object.keys(PIPELINES).sort());
    const win = pls.find((p) => p.name === 'windows')!;
    const sec = win.entries.find((e) => e.id === 'security_process_creation')!;
    expect(sec.fieldmappings).toEqual({ Image: ['NewProcessName'], ParentImage: ['ParentProcessName'] });
    expect(sec.when.eventId).toEqual(['4688']);
  });
  it('rejects malformed pipelines with every problem named', () => {
    try {
      parsePipeline({ name: 'x', entries: [{ id: 'a', logsource: { product: 'w', bogus: 1 }, when: {} }] }, 'x.yml');
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e, 'SIGMA_PIPELINE_INVALID')).toBe(true);
      expect((e as Error).message).toMatch(/bogus/);
    }
    expect(() => parsePipeline({ name: 'x', entries: [{ id: 'a', logsource: {}, when: { eventId: 1 } }, { id: 'a', logsource: {}, when: { eventId: 2 } }] }, 'y.yml')).toThrow(/duplicate entry id 'a'/);
  });
  it('routes by channel and event id, case-insensitively, with field conditions', () => {
    const r = compileRoute({ id: 'reg', logsource: { product: 'windows', category: 'registry_add' }, when: { channel: ['Microsoft-Windows-Sysmon/Operational'], eventId: ['12'], fields: { EventType: ['CreateKey'] } } });
    const ev = (f: Record<string, unknown>) => routedEvent({ fields: f, source: { format: 'winlog' } });
    expect(r.matches(ev({ Channel: 'microsoft-windows-sysmon/operational', EventID: 12, EventType: 'createkey' }))).toBe(true);
    expect(r.matches(ev({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 12, EventType: 'DeleteKey' }))).toBe(false);
    expect(r.matches(ev({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 13, EventType: 'CreateKey' }))).toBe(false);
  });
  it('places a rule only under compatible entries', () => {
    expect(compatible({ product: 'windows', category: 'process_creation' }, { product: 'windows', category: 'process_creation', service: 'security' })).toBe(true);
    expect(compatible({ product: 'windows', service: 'security' }, { product: 'windows', category: 'process_creation', service: 'security' })).toBe(false);
    expect(compatible({ product: 'windows', service: 'security' }, { product: 'windows', service: 'security' })).toBe(true);
    expect(compatible({ product: 'windows' }, { product: 'windows', service: 'security' })).toBe(false);
    expect(compatible({ product: 'windows' }, { product: 'windows' })).toBe(true);
    expect(compatible({ product: 'linux', category: 'process_creation' }, { product: 'windows', category: 'process_creation' })).toBe(false);
  });
});
