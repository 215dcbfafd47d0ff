/**
 * `garrison sigma regress` on a miniature SigmaHQ checkout (rules/, regression_data/ with info.yml,
 * an EVTX sample written by the fixture builder and its JSON rendering): judged like SigmaHQ's CI,
 * reported per input kind, JSON and EVTX compared per sample, exit 1 on a failure or a disagreement.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { buildEvtx, sampleRecords } from '../../normalize/evtx/fixtures/builder.js';
import { register } from './sigma.js';

async function run(args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'garrison', ...args]);
    return { out, code: process.exitCode as number | undefined };
  } finally {
    o.mockRestore();
    process.exitCode = before;
  }
}

const RULE = (id: string, cmd: string) => `title: Rule ${id}
id: ${id}
status: test
level: high
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswith: '\\cmd.exe'
    CommandLine|contains: '${cmd}'
  condition: selection
`;
/** The evtx_dump-style JSON rendering of the fixture's Sysmon 1 records i (CommandLine `cmd.exe /c echo i & whoami <x>`). */
const jsonRecord = (i: number) =>
  JSON.stringify(
    {
      Event: {
        '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
        System: { Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } }, EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'ws01.corp.local', TimeCreated: { '#attributes': { SystemTime: '2024-01-02T03:04:05.678000Z' } } },
        EventData: { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: `cmd.exe /c echo ${i} & whoami <x>`, ParentImage: 'C:\\Windows\\explorer.exe' },
      },
    },
    null,
    2,
  );

function checkout(opts: { jsonRecords: number[]; evtxRecords: number; matchCount?: number; cmd: string }): string {
  const root = mkdtempSync(path.join(tmpdir(), 'sigmahq-'));
  const id = '12345678-1234-4234-8234-123456789abc';
  mkdirSync(path.join(root, 'rules', 'windows'), { recursive: true });
  writeFileSync(path.join(root, 'rules', 'windows', 'r.yml'), RULE(id, opts.cmd));
  const dir = path.join(root, 'regression_data', 'rules', 'windows', 'r');
  mkdirSync(dir, { recursive: true });
  const rel = path.join('regression_data', 'rules', 'windows', 'r', `${id}.evtx`);
  writeFileSync(
    path.join(dir, 'info.yml'),
    `id: x\nrule_metadata:\n  - id: ${id}\n    title: Rule ${id}\nregression_tests_info:\n  - name: Positive Detection Test\n    type: evtx\n    provider: Microsoft-Windows-Sysmon\n    match_count: ${opts.matchCount ?? 1}\n    path: ${rel}\n`,
  );
  writeFileSync(path.join(root, rel), buildEvtx(sampleRecords(opts.evtxRecords)));
  writeFileSync(path.join(root, rel.replace(/\.evtx$/, '.json')), opts.jsonRecords.map(jsonRecord).join('\n'));
  return root;
}

describe('garrison sigma regress', () => {
  it('passes when the rule matches both renderings of the sample enough times, and they agree', async () => {
    const root = checkout({ jsonRecords: [0, 1], evtxRecords: 2, matchCount: 2, cmd: 'whoami' });
    const r = await run(['sigma', 'regress', root, '--json']);
    const j = JSON.parse(r.out);
    expect(j.json).toEqual({ total: 1, passed: 1, failed: [] });
    expect(j.evtx).toEqual({ total: 1, passed: 1, failed: [] });
    expect(j.disagreements).toEqual([]);
    expect(r.code).toBeUndefined();
    const text = await run(['sigma', 'regress', root]);
    expect(text.out).toMatch(/json: 1\/1 passed\nevtx: 1\/1 passed\njson and evtx agree on 1\/1 samples/);
  });
  it('fails (exit 1) below match_count, naming the rule, the sample and the counts', async () => {
    const root = checkout({ jsonRecords: [0, 1], evtxRecords: 2, matchCount: 3, cmd: 'whoami' });
    const r = await run(['sigma', 'regress', root, '--json']);
    const j = JSON.parse(r.out);
    expect(r.code).toBe(1);
    expect(j.json.failed).toEqual([expect.objectContaining({ rule_id: '12345678-1234-4234-8234-123456789abc', expected: 3, got: 2, sample: expect.stringMatching(/\.json$/) })]);
    expect(j.evtx.failed).toEqual([expect.objectContaining({ expected: 3, got: 2, sample: expect.stringMatching(/\.evtx$/) })]);
  });
  it('reports a disagreement between the JSON and EVTX renderings (exit 1) even when both pass', async () => {
    const root = checkout({ jsonRecords: [0], evtxRecords: 3, cmd: 'whoami' });
    const r = await run(['sigma', 'regress', root, '--json']);
    const j = JSON.parse(r.out);
    expect(j.json.passed).toBe(1);
    expect(j.evtx.passed).toBe(1);
    expect(j.disagreements).toEqual([expect.objectContaining({ rule_id: '12345678-1234-4234-8234-123456789abc', json: 1, evtx: 3 })]);
    expect(r.code).toBe(1);
    expect((await run(['sigma', 'regress', root, '--no-evtx', '--json'])).code).toBeUndefined(); // JSON alone passes
  });
  it('a root without regression_data is an error with a code', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'not-sigmahq-'));
    await expect(run(['sigma', 'regress', root])).rejects.toMatchObject({ code: 'SIGMA_IO' });
  });
});
