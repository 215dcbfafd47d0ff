import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildEvtx, sampleRecords } from '../../normalize/evtx/fixtures/builder.js';
import { describe, expect, it } from 'vitest';
import type { GarrisonError } from '../../core/errors.js';
import { runScan, type ScanDetection } from './scan.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('offline scan', () => {
  it('scans JSON lines and concatenated pretty-printed Windows JSON, keeps going past bad records', async () => {
    const dets: ScanDetection[] = [];
    const problems: GarrisonError[] = [];
    const { summary } = await runScan([path.join(here, 'fixtures', 'logs')], {
      rulePaths: [path.join(here, 'fixtures', 'rules', 'good.yml')],
      builtin: false,
      onDetection: (d) => dets.push(d),
      onProblem: (e) => problems.push(e),
    });
    expect(summary.files).toBe(2);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/mixed\.jsonl/);
    expect(dets.map((d) => [path.basename(d.source.file ?? ''), d.source.record, d.host])).toEqual([
      ['mixed.jsonl', 1, 'ws1'],
      ['mixed.jsonl', 4, 'ws2'],
      ['pretty.json', 1, 'ws3'],
    ]);
    expect(dets[0]).toMatchObject({ rule_id: '11111111-1111-4111-8111-111111111111', title: 'Whoami All', level: 'high', kind: 'sigma', tags: ['attack.discovery', 'attack.t1033', 'attack.stealth'] });
    expect(dets[0].fields).toMatchObject({ CommandLine: 'whoami /all' });
    expect(summary.byRule).toEqual([{ rule_id: '11111111-1111-4111-8111-111111111111', title: 'Whoami All', level: 'high', count: 3 }]);
  });
  it('--min-level filters detections', async () => {
    const dets: ScanDetection[] = [];
    await runScan([path.join(here, 'fixtures', 'logs')], { rulePaths: [path.join(here, 'fixtures', 'rules', 'good.yml')], builtin: false, minLevel: 'critical', onDetection: (d) => dets.push(d) });
    expect(dets).toHaveLength(0);
  });

  it('scans .evtx files: detections carry file, record id and time; a damaged chunk is reported and skipped; config exceptions apply', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scan-evtx-'));
    const evtx = buildEvtx(sampleRecords(150)); // 3 chunks, records 1..150 are Sysmon 1 cmd.exe ... whoami
    writeFileSync(path.join(dir, 'good.evtx'), evtx);
    const bad = Buffer.from(evtx);
    bad[4096 + 65536 + 700] ^= 0xff; // chunk 1: record-data checksum mismatch
    writeFileSync(path.join(dir, 'bad.evtx'), bad);
    writeFileSync(
      path.join(dir, 'rule.yml'),
      `title: Whoami via cmd\nid: 99999999-9999-4999-8999-999999999999\nlevel: high\nlogsource: { product: windows, category: process_creation }\ndetection:\n  selection:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains: whoami\n  condition: selection\n`,
    );
    const run = async (config?: Record<string, unknown>, evtxSalvage = false) => {
      const dets: ScanDetection[] = [];
      const problems: GarrisonError[] = [];
      const progress: [number, number][] = [];
      const { summary } = await runScan([path.join(dir, 'good.evtx'), path.join(dir, 'bad.evtx')], {
        rulePaths: [path.join(dir, 'rule.yml')],
        builtin: false,
        config,
        evtxSalvage,
        onProgress: (done, total) => progress.push([done, total]),
        onDetection: (d) => dets.push(d),
        onProblem: (e) => problems.push(e),
      });
      // progress over bytes: monotonic, ends at the total size of both files
      expect(progress.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
      expect(progress.at(-1)).toEqual([2 * evtx.length, 2 * evtx.length]);
      return { dets, problems, summary };
    };
    const { dets, problems, summary } = await run();
    const good = dets.filter((d) => d.source.file?.endsWith('good.evtx'));
    const fromBad = dets.filter((d) => d.source.file?.endsWith('bad.evtx'));
    expect(good).toHaveLength(150);
    expect(good[0]).toMatchObject({ rule_id: '99999999-9999-4999-8999-999999999999', level: 'high', host: 'ws01.corp.local', source: { record: 1 }, timestamp: expect.stringMatching(/^2024-01-02T03:04:05\.678/) });
    expect(good[0]!.fields).toMatchObject({ Image: 'C:\\Windows\\System32\\cmd.exe' });
    expect(fromBad.length).toBeGreaterThan(0);
    expect(fromBad.length).toBeLessThan(150); // chunk 1's records are skipped
    expect(problems.map((p) => [p.code, p.location?.chunk])).toEqual([['EVTX_CHUNK_CRC', 1]]);
    expect(summary.problems).toBe(1);
    // --salvage: the damaged chunk's records that validate on their own are scanned too (the problem is still reported)
    const salvaged = await run(undefined, true);
    expect(salvaged.dets.filter((d) => d.source.file?.endsWith('bad.evtx')).length).toBeGreaterThanOrEqual(149);
    expect(salvaged.problems.map((p) => p.code)).toEqual(['EVTX_CHUNK_CRC']);
    // an exception from the configuration suppresses matches without editing the rule
    const ex = await run({ exceptions: [{ rules: ['99999999-9999-4999-8999-999999999999'], detection: { sel: { 'CommandLine|contains': 'echo 7 ' } }, condition: 'sel' }] });
    expect(ex.dets.filter((d) => d.source.file?.endsWith('good.evtx'))).toHaveLength(149);
  });
});
