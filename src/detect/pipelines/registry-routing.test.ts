/**
 * Sysmon registry events (12 create/delete, 13 set value, 14 rename) end to end: Windows XML →
 * the Windows normalization (which gives each event its specific Sigma category registry_add /
 * registry_delete / registry_set / registry_rename) → SigmaStage. A rule with the generic
 * `category: registry_event` (SigmaHQ's thor.yml: Sysmon 12, 13, 14) must match all four kinds;
 * a rule with a specific category only its own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowsXmlToEvent } from '../../normalize/windows/xml.js';
import { SigmaStage } from '../engine.js';

function sysmon(id: number, data: Record<string, string>): string {
  return `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/><EventID>${id}</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws01.corp.local</Computer><TimeCreated SystemTime="2026-01-02T03:04:05.0000000Z"/></System><EventData>${Object.entries(data)
    .map(([k, v]) => `<Data Name="${k}">${v}</Data>`)
    .join('')}</EventData></Event>`;
}
const KEY = 'HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater';
const events = {
  createKey: sysmon(12, { EventType: 'CreateKey', TargetObject: KEY, Image: 'C:\\x\\evil.exe' }),
  deleteValue: sysmon(12, { EventType: 'DeleteValue', TargetObject: KEY, Image: 'C:\\x\\evil.exe' }),
  setValue: sysmon(13, { EventType: 'SetValue', TargetObject: KEY, Details: 'C:\\x\\evil.exe', Image: 'C:\\x\\evil.exe' }),
  rename: sysmon(14, { EventType: 'RenameKey', TargetObject: KEY, NewName: KEY + '2', Image: 'C:\\x\\evil.exe' }),
  otherKey: sysmon(13, { EventType: 'SetValue', TargetObject: 'HKLM\\SOFTWARE\\Benign', Details: 'x', Image: 'C:\\x\\evil.exe' }),
};

const rule = (id: string, category: string) => `title: ${category} run key
id: ${id}
status: test
logsource:
  product: windows
  category: ${category}
detection:
  selection:
    TargetObject|contains: '\\CurrentVersion\\Run\\'
  condition: selection
level: high
`;

describe('Sysmon registry events and the registry_* log sources', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sigma-reg-'));
  const cats = ['registry_event', 'registry_add', 'registry_delete', 'registry_set', 'registry_rename'];
  cats.forEach((c, i) => writeFileSync(path.join(dir, `${c}.yml`), rule(`00000000-0000-4000-8000-00000000000${i}`, c)));
  const stage = new SigmaStage({ builtin: false, rulePaths: [dir] });
  const fire = (xml: string) => {
    const ev = windowsXmlToEvent(xml, { tenant: 't', origin: `test:${xml.length}:${xml.slice(-80)}`, input: 'test', receivedAt: 0 });
    return { ev, titles: stage.process([ev]).map((s) => s.title.replace(' run key', '')).sort() };
  };

  it('loads the five rules without problems', () => {
    expect(stage.problems).toEqual([]);
    expect(stage.matcher.rules).toHaveLength(5);
  });

  it('the normalization gives each Sysmon registry event its specific category', () => {
    expect(fire(events.createKey).ev.source.category).toBe('registry_add');
    expect(fire(events.deleteValue).ev.source.category).toBe('registry_delete');
    expect(fire(events.setValue).ev.source.category).toBe('registry_set');
    expect(fire(events.rename).ev.source.category).toBe('registry_rename');
  });

  it('registry_event rules match 12 (create and delete), 13 and 14; specific categories only their own', () => {
    expect(fire(events.createKey).titles).toEqual(['registry_add', 'registry_event']);
    expect(fire(events.deleteValue).titles).toEqual(['registry_delete', 'registry_event']);
    expect(fire(events.setValue).titles).toEqual(['registry_event', 'registry_set']);
    expect(fire(events.rename).titles).toEqual(['registry_event', 'registry_rename']);
    expect(fire(events.otherKey).titles).toEqual([]);
  });

  it('the same holds for Winlogbeat JSON (one normalization whichever way the event came)', async () => {
    const { windowsJsonToEvent } = await import('../../normalize/windows/json.js');
    const wlb = (id: number, data: Record<string, string>) => ({
      '@timestamp': '2026-01-02T03:04:05.000Z',
      winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', event_id: id, provider_name: 'Microsoft-Windows-Sysmon', computer_name: 'ws01.corp.local', event_data: data },
    });
    const titles = (o: unknown) => {
      const ev = windowsJsonToEvent(o, { tenant: 't', origin: `wlb:${JSON.stringify(o).length}`, input: 'test', receivedAt: 0 });
      expect(ev).toBeDefined();
      return stage.process([ev!]).map((s) => s.title.replace(' run key', '')).sort();
    };
    expect(titles(wlb(12, { EventType: 'CreateKey', TargetObject: KEY }))).toEqual(['registry_add', 'registry_event']);
    expect(titles(wlb(12, { EventType: 'DeleteKey', TargetObject: KEY }))).toEqual(['registry_delete', 'registry_event']);
    expect(titles(wlb(13, { EventType: 'SetValue', TargetObject: KEY }))).toEqual(['registry_event', 'registry_set']);
    expect(titles(wlb(14, { EventType: 'RenameKey', TargetObject: KEY }))).toEqual(['registry_event', 'registry_rename']);
  });
});
