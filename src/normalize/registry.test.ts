import { describe, expect, it } from 'vitest';
import { parseRecord, resolveFormat, PARSERS } from './registry.js';
import type { RawRecord } from './types.js';
import { eventId } from '../core/event.js';

const rec = (data: RawRecord['data'], format?: string): RawRecord => ({ data, origin: 'r:1', input: 'test', tenant: 't', receivedAt: 0, format });

describe('registry', () => {
  it('maps HEC sourcetypes to parsers', () => {
    const cases: [string, string][] = [
      ['_json', 'json'], ['syslog', 'syslog'], ['linux_secure', 'syslog'], ['aws:cloudtrail', 'cloudtrail'], ['zeek:conn', 'zeek'], ['bro:dns:json', 'zeek'],
      ['corelight_http', 'zeek'], ['XmlWinEventLog', 'winlog'], ['WinEventLog:Security', 'winlog'], ['winlogbeat', 'winlog'], ['cef', 'cef'], ['fortigate:cef', 'cef'],
      ['some:unknown:type', 'auto'], ['zeek', 'zeek'],
    ];
    for (const [st, name] of cases) expect(resolveFormat(st).parser.name, st).toBe(name === 'auto' ? 'auto' : PARSERS[name as keyof typeof PARSERS].name);
    expect(resolveFormat('bro:dns:json').zeekPath).toBe('dns');
    expect(resolveFormat('zeek:conn').zeekPath).toBe('conn');
  });
  it('detects the format of records that name none', () => {
    const kinds: [RawRecord['data'], string][] = [
      ['{"EventID":4624,"Channel":"Security","Computer":"DC1"}', 'winlog'],
      ['{"eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventTime":"2024-01-01T00:00:00Z"}', 'cloudtrail'],
      ['{"ts":1.5,"uid":"C1","id.orig_h":"1.2.3.4"}', 'zeek'],
      ['{"message":"hi"}', 'json'],
      ['<13>Jan  1 00:00:00 h p: m', 'syslog'],
      ['Jan  1 00:00:00 h p: m', 'syslog'],
      ['CEF:0|a|b|c|d|e|f|src=1.2.3.4', 'cef'],
      ['free text with no structure', 'raw'],
      [{ winlog: { channel: 'Security', event_id: 4625, computer_name: 'h' } }, 'winlog'],
    ];
    for (const [d, f] of kinds) {
      const r = parseRecord(rec(d));
      expect(r.ok, String(d)).toBe(true);
      if (r.ok) expect(r.event.source.format, String(d)).toBe(f);
    }
  });
  it('reads Splunk WinEventLog classic text and XmlWinEventLog XML', () => {
    const text = '01/02/2024 03:04:05 PM\nLogName=Security\nEventCode=4625\nEventType=0\nComputerName=DC01.corp.example\nSourceName=Microsoft Windows security auditing.\nRecordNumber=12345\nKeywords=Audit Failure\nMessage=An account failed to log on.\n\nAccount Name:\t\talice\n';
    const r = parseRecord(rec(text, 'WinEventLog:Security'));
    expect(r.ok && r.event.source).toMatchObject({ product: 'windows', service: 'security', eventCode: '4625' });
    expect(r.ok && r.event.time).toBe(Date.UTC(2024, 0, 2, 15, 4, 5));
    expect(r.ok && r.event.raw).toBe(text);
    const bad = parseRecord(rec('hello world', 'WinEventLog'));
    expect(!bad.ok && bad.error.code).toBe('PARSE_UNKNOWN_FORMAT');
    const xml = '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4624</EventID><TimeCreated SystemTime="2024-01-02T03:04:05.000Z"/><Channel>Security</Channel><Computer>DC02</Computer></System><EventData><Data Name="TargetUserName">bob</Data></EventData></Event>';
    for (const f of ['XmlWinEventLog', undefined]) {
      const x = parseRecord(rec(xml, f));
      expect(x.ok && x.event.source).toMatchObject({ product: 'windows', service: 'security', eventCode: '4624' });
      expect(x.ok && x.event.time).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    }
  });
  it('rejects empty records', () => {
    const r = parseRecord(rec('   '));
    expect(!r.ok && r.error.code).toBe('PARSE_EMPTY');
  });
  it('routes Windows events to the Sigma taxonomy', () => {
    const r = parseRecord(rec('{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS1","@timestamp":"2024-01-01T00:00:00.000Z","UtcTime":"2024-01-01 00:00:00.000","Image":"C:\\\\a.exe","CommandLine":"a","User":"CORP\\\\bob"}'));
    expect(r.ok && r.event.source).toMatchObject({ product: 'windows', service: 'sysmon', category: 'process_creation', eventCode: '1' });
    expect(r.ok && r.event.entities).toMatchObject({ host: 'WS1', user: 'bob', userDomain: 'CORP', process: { image: 'C:\\a.exe', commandLine: 'a' } });
    expect(r.ok && r.event.time).toBe(Date.UTC(2024, 0, 1));
  });
  it('keeps event ids stable across releases (re-ingest stays idempotent)', () => {
    // Pinned: 12 hex digits of time + SHA-1(tenant \0 origin \0 raw)[0..20).
    expect(eventId(1700000000123, 'acme', 'file:/x.json:12', '{"a":"é"}')).toBe('018bcfe5687b3c2877f84a4cad6baa37');
    const r = parseRecord({ data: '{"ts":"2024-01-01T00:00:00Z","m":1}', origin: 'file:/x.json:12', input: 'file:/x.json', tenant: 'acme', receivedAt: 0 });
    expect(r.ok && r.event.id).toBe(eventId(Date.UTC(2024, 0, 1), 'acme', 'file:/x.json:12', '{"ts":"2024-01-01T00:00:00Z","m":1}'));
  });
});
