import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildEvtx, sampleRecords } from '../../normalize/evtx/fixtures/builder.js';
import { register } from './evtx.js';

async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'garrison', ...args]);
    return { out, err, code: process.exitCode as number | undefined };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
    process.stdout.removeAllListeners('error');
  }
}

describe('garrison evtx dump', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'evtx-cli-'));
  const good = path.join(dir, 'good.evtx');
  const bad = path.join(dir, 'bad.evtx');
  const file = buildEvtx(sampleRecords(20));
  writeFileSync(good, file);
  writeFileSync(bad, file.subarray(0, 9000));
  afterEach(() => vi.restoreAllMocks());

  it('prints XML by default, one Event per record', async () => {
    const r = await run(['evtx', 'dump', good]);
    expect(r.code).toBeUndefined();
    expect(r.err).toBe('');
    expect(r.out.match(/<Event xmlns=/g)).toHaveLength(21);
    expect(r.out).toContain('<Data Name="Image">C:\\Windows\\System32\\cmd.exe</Data>');
  });

  it('prints JSON lines with the flat form', async () => {
    const r = await run(['evtx', 'dump', good, '--format', 'jsonl']);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { recordId: number; fields: Record<string, unknown>; chunk: number; offset: number; file: string });
    expect(lines).toHaveLength(21);
    expect(lines[0]).toMatchObject({ recordId: 1, chunk: 0, offset: 4608, file: good, fields: { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational' } });
  });

  it('reports problems on stderr with location and exits 1; a chunk cut short is skipped unless --salvage', async () => {
    const r = await run(['evtx', 'dump', bad, '--format', 'jsonl']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.evtx: chunk 0 offset 9000: EVTX_TRUNCATED .*chunk skipped/);
    expect(r.out).toBe('');
    const s = await run(['evtx', 'dump', bad, '--format', 'jsonl', '--salvage']);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/bad\.evtx: chunk 0 offset 9000: EVTX_TRUNCATED .*salvage/);
    const recs = s.out.trim().split('\n').map((l) => JSON.parse(l) as { recordId: number; offset: number });
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.length).toBeLessThan(21);
    expect(recs.map((x) => x.recordId)).toEqual(recs.map((_, i) => i + 1)); // the complete records before the cut, in order
  });

  it('dumps a folder and rejects an unknown format', async () => {
    const r = await run(['evtx', 'dump', dir, '--format', 'jsonl']);
    expect(r.code).toBe(1); // bad.evtx is in the folder
    expect(r.out.trim().split('\n').length).toBe(21); // good.evtx whole, nothing from the damaged chunk of bad.evtx
    await expect(run(['evtx', 'dump', good, '--format', 'csv'])).rejects.toMatchObject({ code: 'EVTX_BAD_FORMAT_OPTION' });
  });
});
