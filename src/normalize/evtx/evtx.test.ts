import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GarrisonError } from '../../core/errors.js';
import { buildEvtx, sampleRecords } from './fixtures/builder.js';
import { evtxRecordToEvent, iterateEvtx, listEvtxFiles, readEvtx } from './index.js';

const sample = buildEvtx(sampleRecords(50));

describe('EVTX reader on a built fixture', () => {
  it('reads every record with header id, 100-ns time, chunk and offset', () => {
    const problems: GarrisonError[] = [];
    const recs = [...iterateEvtx(sample, { file: 'fx.evtx', onProblem: (e) => problems.push(e) })];
    expect(problems).toEqual([]);
    expect(recs.map((r) => r.recordId)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(recs[0]!.timeText).toBe('2024-01-02T03:04:05.6780000Z');
    expect(recs[0]!.time).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(recs[0]!.chunk).toBe(0);
    expect(recs[0]!.offset).toBe(4096 + 512);
  });

  it('renders System fields and EventData as Windows shows them (GUID braces, hex, 7-digit time, escaping)', () => {
    const r = [...iterateEvtx(sample)][0]!;
    const f = r.flat();
    expect(f).toMatchObject({
      EventID: 1,
      Provider_Name: 'Microsoft-Windows-Sysmon',
      Provider_Guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: 'ws01.corp.local',
      TimeCreated: '2024-01-02T03:04:05.6781234Z',
      EventRecordID: '1',
      Keywords: '0x8000000000000000',
      ProcessID: '3544',
      ThreadID: '4272',
      UserID: 'S-1-5-18',
      ProcessGuid: '{0197231E-005A-6928-A50B-000000000000}',
      LogonId: '0x3e7',
      CommandLine: 'cmd.exe /c echo 0 & whoami <x>',
      ParentCommandLine: 'C:\\Windows\\Explorer.EXE ',
    });
    const xml = r.xml();
    expect(xml).toContain('<Data Name="CommandLine">cmd.exe /c echo 0 &amp; whoami &lt;x&gt;</Data>');
    expect(xml).toContain('<TimeCreated SystemTime="2024-01-02T03:04:05.6781234Z"/>');
    expect(xml.startsWith('<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\n  <System>\n')).toBe(true);
  });

  it('renders every value type', () => {
    const r = [...iterateEvtx(sample)].at(-1)!;
    expect(r.flat()).toMatchObject({
      EventID: 4242,
      I8: '-5',
      U8: '250',
      I16: '-300',
      U16: '65000',
      I32: '-70000',
      U32: '4000000000',
      I64: '-9007199254740993',
      U64: '18446744073709551615',
      Hex32: '0xc000006d',
      Hex64: '0x3e7',
      Bool: 'true',
      Binary: 'DEADBEEF',
      Guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}',
      FileTime: '2020-02-29T23:59:59.9999999Z',
      SysTime: '2021-12-31T01:02:03.045Z',
      Sid: 'S-1-5-21-3461203602-4096304019-2269080069-1000',
      Real64: '1.5',
      Strings: 'one',
      EventData_Strings: 'two',
      Empty: '',
      Amp: 'a&b<c>"d"',
    });
    expect(r.xml()).toContain('<Data Name="Strings">one</Data>\n    <Data Name="Strings">two</Data>');
  });

  it('spans several chunks, reusing templates and names within each chunk', () => {
    const big = buildEvtx(sampleRecords(600));
    expect(big.length).toBeGreaterThan(4096 + 2 * 65536);
    const recs = [...iterateEvtx(big)];
    expect(recs.length).toBe(601);
    expect(new Set(recs.map((r) => r.chunk)).size).toBeGreaterThan(1);
    expect(recs[599]!.flat().ProcessId).toBe('4599');
  });

  it('streams a file and a folder the same as the in-memory iterator', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evtx-'));
    mkdirSync(path.join(dir, 'sub'));
    const big = buildEvtx(sampleRecords(1200));
    writeFileSync(path.join(dir, 'sub', 'b.EVTX'), big);
    writeFileSync(path.join(dir, 'a.evtx'), sample);
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const list = await listEvtxFiles(dir);
    expect(list.files.map((f) => path.relative(dir, f.path))).toEqual(['a.evtx', path.join('sub', 'b.EVTX')]);
    expect(list.totalBytes).toBe(sample.length + big.length);
    const streamed: string[] = [];
    for await (const r of readEvtx(path.join(dir, 'sub', 'b.EVTX'))) streamed.push(r.xml());
    expect(streamed).toEqual([...iterateEvtx(big)].map((r) => r.xml()));
    await expect(listEvtxFiles(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'EVTX_IO' });
  });

  it('evtxRecordToEvent normalizes through the Windows normalization', () => {
    const r = [...iterateEvtx(sample)][0]!;
    const ev = evtxRecordToEvent(r, { file: '/logs/x.evtx', tenant: 't1', receivedAt: 1 });
    expect(ev.source).toMatchObject({ format: 'evtx', product: 'windows', service: 'sysmon', category: 'process_creation', eventCode: '1', input: 'file:/logs/x.evtx' });
    expect(ev.class.name).toBe('process_activity');
    expect(ev.raw).toBe(r.xml());
    expect(ev.time).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(ev.entities).toMatchObject({ host: 'ws01.corp.local', user: 'alice', userDomain: 'CORP', logonId: '0x3e7' });
    expect(ev.entities.process).toMatchObject({ pid: 4000, image: 'C:\\Windows\\System32\\cmd.exe', parent: { pid: 100 } });
    expect(ev.entities.process?.hashes).toEqual({ sha1: '5e4f2c531c549bb72a658ed9dd16d491eddbb286', md5: 'fab4b30c1c4f0a9202a7b42dcf1729dc' });
    const again = evtxRecordToEvent(r, { file: '/logs/x.evtx', tenant: 't1', receivedAt: 2 });
    expect(again.id).toBe(ev.id);
  });
});

describe('readEvtx I/O errors', () => {
  it('throws EVTX_IO for a missing file and for a folder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evtx-io-'));
    const drain = async (p: string) => {
      for await (const r of readEvtx(p)) void r;
    };
    await expect(drain(path.join(dir, 'nope.evtx'))).rejects.toMatchObject({ code: 'EVTX_IO' });
    await expect(drain(dir)).rejects.toMatchObject({ code: 'EVTX_IO' });
  });
});
