import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
});
