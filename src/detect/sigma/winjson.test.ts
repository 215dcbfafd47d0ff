import { describe, expect, it } from 'vitest';
import { flattenWindowsJson, splitConcatenatedJson } from './winjson.js';
import { readJsonSample } from './regress.js';

describe('rendered Windows JSON', () => {
  it('flattens System, EventData and UserData', () => {
    const f = flattenWindowsJson({
      Event: {
        System: { Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } }, EventID: { '#text': 4688, '#attributes': { Qualifiers: 0 } }, Channel: 'Security', Computer: 'ws1', TimeCreated: { '#attributes': { SystemTime: '2025-01-01T00:00:00Z' } } },
        EventData: { NewProcessName: 'C:\\x.exe', Data: [{ '#attributes': { Name: 'A' }, '#text': 'a' }] },
        UserData: { LogFileCleared: { SubjectUserName: 'bob' } },
      },
    })!;
    expect(f).toMatchObject({ Provider_Name: 'Microsoft-Windows-Sysmon', EventID: 4688, EventID_Qualifiers: 0, Channel: 'Security', Computer: 'ws1', TimeCreated: '2025-01-01T00:00:00Z', NewProcessName: 'C:\\x.exe', SubjectUserName: 'bob' });
    expect(flattenWindowsJson({ no: 'system' })).toBeUndefined();
  });
  it('splits concatenated pretty-printed objects and reports junk and truncation with a line', () => {
    const items = [...splitConcatenatedJson('{\n "a": "}{"\n}\n{"b": [1,{"c":2}]}\ngarbage\n{"d": 1', 'x.json')];
    expect(items.filter((i) => 'text' in i).map((i) => ('text' in i ? JSON.parse(i.text) : null))).toEqual([{ a: '}{' }, { b: [1, { c: 2 }] }]);
    const errs = items.filter((i) => 'error' in i).map((i) => ('error' in i ? i.error : null));
    expect(errs.map((e) => [e!.code, e!.location?.line])).toEqual([
      ['SIGMA_SAMPLE_INVALID', 5],
      ['SIGMA_SAMPLE_INVALID', 6],
    ]);
  });
  it('reading a missing sample is a problem, not a crash', () => {
    const r = readJsonSample('/nonexistent/sample.json');
    expect(r.events).toEqual([]);
    expect(r.problems[0].code).toBe('SIGMA_IO');
  });
});
