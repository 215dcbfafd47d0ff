import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  detectWindowsJson,
  parseSysmonHashes,
  parseWindowsXml,
  splitConcatenatedJson,
  windowsJsonToEvent,
  windowsJsonToFlat,
  windowsLogSource,
  windowsToEvent,
  windowsXmlToEvent,
  windowsXmlToFlat,
  type WindowsFlat,
} from './index.js';

const fx = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
const info = { tenant: 't', origin: 'test:1', input: 'test', receivedAt: 1_700_000_000_000 };

/** Fields every representation of the fixture Sysmon event carries (System + all EventData). */
const COMMON = [
  'EventID', 'Provider_Name', 'Provider_Guid', 'Channel', 'Computer', 'EventRecordID', 'ProcessID', 'ThreadID', 'UserID', 'Version',
  'RuleName', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'CommandLine', 'CurrentDirectory', 'User', 'LogonGuid', 'LogonId',
  'IntegrityLevel', 'Hashes', 'ParentProcessGuid', 'ParentProcessId', 'ParentImage', 'ParentCommandLine',
];
const pick = (f: WindowsFlat) => Object.fromEntries(COMMON.map((k) => [k, f[k]]));

describe('one Sysmon event, four representations', () => {
  const evtxJson = JSON.parse(fx('sysmon1.evtx-json.json')) as unknown;
  const winlogbeat = JSON.parse(fx('sysmon1.winlogbeat.json')) as unknown;
  const nxlog = JSON.parse(fx('sysmon1.nxlog.json')) as unknown;
  const xml = fx('sysmon1.xml');

  it('detects each JSON shape and rejects non-Windows JSON', () => {
    expect(detectWindowsJson(evtxJson)).toBe('evtx-json');
    expect(detectWindowsJson(winlogbeat)).toBe('winlogbeat');
    expect(detectWindowsJson(nxlog)).toBe('nxlog');
    expect(detectWindowsJson({ EventID: 4, message: 'x' })).toBeUndefined();
    expect(detectWindowsJson({ msg: 'hello' })).toBeUndefined();
    expect(detectWindowsJson([1, 2])).toBeUndefined();
    expect(detectWindowsJson(null)).toBeUndefined();
    expect(windowsJsonToFlat({ msg: 'x' })).toBeUndefined();
  });

  it('gives the same canonical fields whichever way the event came', () => {
    const flats = [windowsJsonToFlat(evtxJson)!, windowsJsonToFlat(winlogbeat)!, windowsJsonToFlat(nxlog)!, windowsXmlToFlat(xml)];
    const expected = {
      EventID: 1,
      Provider_Name: 'Microsoft-Windows-Sysmon',
      Provider_Guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: 'WS01.corp.local',
      EventRecordID: '4711',
      ProcessID: '3544',
      ThreadID: '4272',
      UserID: 'S-1-5-18',
      Version: '5',
      ProcessGuid: '{747F3D96-A1B2-65E6-3C01-000000000E00}',
      LogonGuid: '{747F3D96-0000-0000-0000-000012345678}',
      ProcessId: '6120',
      LogonId: '0x1e240',
      CommandLine: 'powershell.exe -nop -w hidden -enc SQBFAFgA',
      ParentCommandLine: 'C:\\Windows\\Explorer.EXE',
    };
    for (const f of flats) expect(f).toMatchObject(expected);
    const base = pick(flats[0]!);
    for (const f of flats.slice(1)) expect(pick(f)).toEqual(base);
    // Keywords survive where the source keeps them (NXLog gives a signed decimal)
    expect(flats[0]!.Keywords).toBe('0x8000000000000000');
    expect(flats[2]!.Keywords).toBe('0x8000000000000000');
    expect(flats[3]!.Keywords).toBe('0x8000000000000000');
    // TimeCreated at 100 ns as far as the source carries it
    expect(flats[0]!.TimeCreated).toBe('2024-03-05T10:11:12.3456780Z');
    expect(flats[1]!.TimeCreated).toBe('2024-03-05T10:11:12.3450000Z');
    expect(flats[3]!.TimeCreated).toBe('2024-03-05T10:11:12.3456789Z');
    // envelope-only keys of NXLog and RenderingInfo of XML do not leak into the fields
    expect(flats[2]).not.toHaveProperty('EventReceivedTime');
    expect(flats[2]).not.toHaveProperty('Message');
    expect(flats[3]).not.toHaveProperty('Message');
  });

  it('gives the same normalized event (source, class, time, entities)', () => {
    const evs = [
      windowsJsonToEvent(evtxJson, info)!,
      windowsJsonToEvent(winlogbeat, info)!,
      windowsJsonToEvent(nxlog, info)!,
      windowsXmlToEvent(xml, info),
    ];
    for (const ev of evs) {
      expect(ev.source).toMatchObject({ format: 'winlog', product: 'windows', service: 'sysmon', category: 'process_creation', eventCode: '1', channel: 'Microsoft-Windows-Sysmon/Operational', provider: 'Microsoft-Windows-Sysmon' });
      expect(ev.class).toEqual({ uid: 1007, name: 'process_activity' });
      expect(ev.time).toBe(Date.UTC(2024, 2, 5, 10, 11, 12, 345));
      expect(ev.entities).toEqual(evs[0]!.entities);
    }
    expect(evs[0]!.entities).toEqual({
      host: 'WS01.corp.local',
      user: 'alice',
      userDomain: 'CORP',
      userSid: 'S-1-5-18',
      logonId: '0x1e240',
      process: {
        guid: '{747F3D96-A1B2-65E6-3C01-000000000E00}',
        pid: 6120,
        image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        commandLine: 'powershell.exe -nop -w hidden -enc SQBFAFgA',
        integrityLevel: 'Medium',
        user: 'CORP\\alice',
        hashes: { sha1: 'a'.repeat(40), md5: 'b'.repeat(32), sha256: 'c'.repeat(64), imphash: 'd'.repeat(32) },
        parent: { guid: '{747F3D96-A1B0-65E6-2A01-000000000E00}', pid: 5012, image: 'C:\\Windows\\explorer.exe', commandLine: 'C:\\Windows\\Explorer.EXE' },
      },
    });
    expect(evs[3]!.raw).toBe(xml);
  });
});

describe('log source mapping (SigmaHQ thor.yml)', () => {
  const ls = (Channel: string, EventID: number, extra: WindowsFlat = {}) => windowsLogSource({ Channel, EventID, ...extra });
  it('maps channels and event ids', () => {
    expect(ls('Security', 4688)).toEqual({ service: 'security', category: 'process_creation', ocsf: 'process_activity' });
    expect(ls('Security', 4624)).toMatchObject({ service: 'security', ocsf: 'authentication' });
    expect(ls('Microsoft-Windows-Sysmon/Operational', 3)).toMatchObject({ category: 'network_connection', ocsf: 'network_activity' });
    expect(ls('Microsoft-Windows-Sysmon/Operational', 22)).toMatchObject({ category: 'dns_query', ocsf: 'dns_activity' });
    expect(ls('Microsoft-Windows-Sysmon/Operational', 12, { EventType: 'DeleteKey' })).toMatchObject({ category: 'registry_delete' });
    expect(ls('Microsoft-Windows-Sysmon/Operational', 12, { EventType: 'CreateKey' })).toMatchObject({ category: 'registry_add' });
    expect(ls('Microsoft-Windows-Sysmon/Operational', 13)).toMatchObject({ category: 'registry_set' });
    expect(ls('Microsoft-Windows-PowerShell/Operational', 4104)).toMatchObject({ service: 'powershell', category: 'ps_script', ocsf: 'script_activity' });
    expect(ls('Windows PowerShell', 400)).toMatchObject({ service: 'powershell-classic', category: 'ps_classic_start' });
    expect(ls('Microsoft-Windows-Windows Defender/Operational', 1116)).toMatchObject({ service: 'windefend', category: 'antivirus' });
    expect(ls('Microsoft-Windows-TerminalServices-LocalSessionManager/Operational', 21)).toMatchObject({ service: 'terminalservices-localsessionmanager' });
    expect(ls('System', 7045)).toMatchObject({ service: 'system', ocsf: 'windows_service_activity' });
    expect(windowsLogSource({ Provider_Name: 'Microsoft-Windows-Sysmon', EventID: 1 })).toMatchObject({ service: 'sysmon', category: 'process_creation' });
  });

  it('extracts Security logon entities', () => {
    const ev = windowsToEvent(
      {
        Channel: 'Security', EventID: 4624, Computer: 'DC01', SubjectUserSid: 'S-1-5-18', SubjectUserName: 'DC01$', SubjectDomainName: 'CORP',
        SubjectLogonId: '0x3e7', TargetUserSid: 'S-1-5-21-1-2-3-1104', TargetUserName: 'bob', TargetDomainName: 'CORP', TargetLogonId: '0x00000000002A3F1B',
        LogonType: '3', IpAddress: '::ffff:10.0.0.5', IpPort: '49822', ProcessName: '-', TimeCreated: '2024-01-01T00:00:00.000000000Z',
      },
      { ...info, raw: '{}' },
    );
    expect(ev.entities).toMatchObject({ host: 'DC01', user: 'DC01$', userDomain: 'CORP', targetUser: 'bob', targetDomain: 'CORP', targetSid: 'S-1-5-21-1-2-3-1104', logonId: '0x2a3f1b', logonType: 3, srcIp: '10.0.0.5', srcPort: 49822, outcome: 'success' });
    expect(ev.time).toBe(Date.UTC(2024, 0, 1));
  });

  it('extracts network, registry and file entities from Sysmon', () => {
    const base = { Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'h' };
    const net = windowsToEvent({ ...base, EventID: 3, SourceIp: '10.1.1.1', SourcePort: '50000', DestinationIp: '8.8.8.8', DestinationPort: '53', Protocol: 'udp', DestinationHostname: 'dns.google' }, { ...info, raw: '' });
    expect(net.entities).toMatchObject({ srcIp: '10.1.1.1', srcPort: 50000, dstIp: '8.8.8.8', dstPort: 53, protocol: 'udp', domain: 'dns.google' });
    const reg = windowsToEvent({ ...base, EventID: 13, TargetObject: 'HKLM\\Software\\Run\\x', Details: 'C:\\x.exe' }, { ...info, raw: '' });
    expect(reg.entities.registry).toEqual({ key: 'HKLM\\Software\\Run\\x', data: 'C:\\x.exe' });
    const file = windowsToEvent({ ...base, EventID: 11, TargetFilename: 'C:\\t\\a.dll', Image: 'C:\\x.exe' }, { ...info, raw: '' });
    expect(file.entities.file).toEqual({ path: 'C:\\t\\a.dll' });
    expect(file.class.name).toBe('file_activity');
  });

  it('shares one frozen source per log source, and does not cache attacker-sized values', () => {
    const base = { Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'h', EventID: 1 };
    const a = windowsToEvent({ ...base, Image: 'a' }, { ...info, raw: '' });
    const b = windowsToEvent({ ...base, Image: 'b' }, { ...info, raw: '' });
    expect(a.source).toBe(b.source);
    expect(Object.isFrozen(a.source)).toBe(true);
    expect(a.source).toEqual({ format: 'winlog', product: 'windows', input: 'test', service: 'sysmon', category: 'process_creation', channel: base.Channel, eventCode: '1' });
    const long = 'C'.repeat(10_000);
    const x = windowsToEvent({ ...base, Channel: long }, { ...info, raw: '' });
    const y = windowsToEvent({ ...base, Channel: long }, { ...info, raw: '' });
    expect(x.source.channel).toBe(long);
    expect(x.source).not.toBe(y.source);
    expect(x.source).toEqual(y.source);
  });

  it('takes the event time from TimeCreated, else from Sysmon UtcTime, else the receive time', () => {
    const base = { Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'h', EventID: 1 };
    expect(windowsToEvent({ ...base, UtcTime: '2024-01-02 03:04:05.678' }, { ...info, raw: '' }).time).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(windowsToEvent({ ...base, UtcTime: '2024-01-02 03:04:05.678', TimeCreated: '2024-01-02T03:04:06.0000000Z' }, { ...info, raw: '' }).time).toBe(Date.UTC(2024, 0, 2, 3, 4, 6));
    expect(windowsToEvent({ ...base, UtcTime: 'yesterday' }, { ...info, raw: '' }).time).toBe(info.receivedAt);
  });

  it('maps Task Scheduler, WMI, DNS Server and RDP channels, with RDP users and source addresses', () => {
    expect(ls('Microsoft-Windows-TaskScheduler/Operational', 106)).toMatchObject({ service: 'taskscheduler', ocsf: 'scheduled_job_activity' });
    expect(ls('Microsoft-Windows-WMI-Activity/Operational', 5861)).toMatchObject({ service: 'wmi' });
    expect(ls('DNS Server', 150)).toMatchObject({ service: 'dns-server', ocsf: 'dns_activity' });
    expect(ls('Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational', 1149)).toMatchObject({ service: 'terminalservices-remoteconnectionmanager', ocsf: 'authentication' });
    const rcm = windowsToEvent(
      { Channel: 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational', EventID: 1149, Computer: 'srv-01', Param1: 'bob', Param2: 'CORP', Param3: '10.0.0.9' },
      { ...info, raw: '' },
    );
    expect(rcm.entities).toMatchObject({ host: 'srv-01', user: 'bob', userDomain: 'CORP', srcIp: '10.0.0.9', outcome: 'success' });
    expect(rcm.class.name).toBe('authentication');
    const lsm = (Address: string) =>
      windowsToEvent({ Channel: 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational', EventID: 21, Computer: 'srv-01', User: 'CORP\\bob', SessionID: '3', Address }, { ...info, raw: '' }).entities;
    expect(lsm('192.0.2.7')).toMatchObject({ user: 'bob', userDomain: 'CORP', srcIp: '192.0.2.7' });
    expect(lsm('LOCAL').srcIp).toBeUndefined();
  });

  it('parses Sysmon Hashes into lower-case digests and ignores junk', () => {
    expect(parseSysmonHashes('MD5=ABCDEF,SHA256=0123,IMPHASH=zz')).toEqual({ md5: 'abcdef', sha256: '0123' });
    expect(parseSysmonHashes('garbage')).toBeUndefined();
  });
});

describe('Windows XML text (hostile input)', () => {
  it('rejects DTDs (no entity expansion), unknown entities, mismatched and unclosed tags with an offset', () => {
    const cases = [
      '<!DOCTYPE x [<!ENTITY a "aaaa">]><Event/>',
      '<Event><System>&xxe;</System></Event>',
      '<Event><System></Event>',
      '<Event><System>',
      '<Event attr=noquote/>',
      '',
      'just text',
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        parseWindowsXml(c);
      } catch (e) {
        err = e;
      }
      expect(err, c).toMatchObject({ code: 'WINDOWS_BAD_XML' });
      expect(typeof (err as { location?: { offset?: number } }).location?.offset).toBe('number');
    }
  });

  it('bounds nesting depth and handles huge flat input in linear time', () => {
    expect(() => parseWindowsXml('<a>'.repeat(10_000) + '</a>'.repeat(10_000))).toThrow(/nested too deeply/);
    const many = '<Event><EventData>' + '<Data Name="x">v</Data>'.repeat(50_000) + '</EventData></Event>';
    const t = Date.now();
    const f = windowsXmlToFlat(many);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(f.x).toBe('v');
    expect(f.EventData_x).toBe('v');
    expect(f.EventData_x_49999).toBe('v');
    expect(Object.keys(f)).toHaveLength(50_000);
  });

  it('keeps attacker-chosen field names as plain keys (no prototype pollution)', () => {
    const f = windowsXmlToFlat('<Event><EventData><Data Name="__proto__">p</Data><Data Name="constructor">c</Data></EventData></Event>');
    expect(Object.prototype.hasOwnProperty.call(f, '__proto__')).toBe(true);
    expect(f.constructor).toBe('c');
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });

  it('decodes character references and CDATA', () => {
    const f = windowsXmlToFlat('<Event><EventData><Data Name="a">x&#x41;&#66;&amp;&lt;</Data><Data Name="b"><![CDATA[<raw>]]></Data></EventData></Event>');
    expect(f).toMatchObject({ a: 'xAB&<', b: '<raw>' });
  });
});

describe('concatenated JSON (SigmaHQ regression files)', () => {
  it('splits pretty-printed objects and reports stray text', () => {
    const text = '{\n "a": "}{"\n}\n{"b": [1, {"c": "\\""}]}\n x';
    const r = splitConcatenatedJson(text);
    expect(r.values.map((v) => JSON.parse(v))).toEqual([{ a: '}{' }, { b: [1, { c: '"' }] }]);
    expect(r.junk).toHaveLength(1);
    expect(text[r.junk[0]!]).toBe('x');
  });

  it('unnamed Data: evtx_dump arrays and Winlogbeat paramN both become Data_N and Data', () => {
    const a = windowsJsonToFlat({ Event: { System: { EventID: 400, Channel: 'Windows PowerShell' }, EventData: { Data: { '#text': ['Available', 'None', 'HostApplication=powershell.exe'] } } } })!;
    const b = windowsJsonToFlat({ winlog: { event_id: 400, channel: 'Windows PowerShell', event_data: { param1: 'Available', param2: 'None', param3: 'HostApplication=powershell.exe' } } })!;
    for (const f of [a, b]) {
      expect(f).toMatchObject({ EventID: 400, Data_1: 'Available', Data_2: 'None', Data_3: 'HostApplication=powershell.exe', Data: 'Available\nNone\nHostApplication=powershell.exe' });
    }
  });
});
