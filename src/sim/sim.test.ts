import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../core/errors.js';
import { Simulation } from './simulation.js';
import { writeSimulation } from './output.js';
import { loadOrgFile, parseOrgFile, DEFAULT_ORG_PATH, expandOrg } from './org/model.js';
import { CAMPAIGNS } from './campaigns.js';
import { Rng } from './prng.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'garrison-sim-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function hashDir(d: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(d).sort()) h.update(f).update('\0').update(readFileSync(join(d, f))).update('\0');
  return h.digest('hex');
}

describe('PRNG', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.u32())).not.toEqual(xs);
  });
  it('is roughly uniform', () => {
    const r = new Rng(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[r.int(10)]++;
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(500);
    let s = 0;
    for (let i = 0; i < 20_000; i++) s += r.poisson(4);
    expect(s / 20_000).toBeGreaterThan(3.9);
    expect(s / 20_000).toBeLessThan(4.1);
  });
});

describe('simulate --out', () => {
  it('gives byte-identical output for the same seed and different output for another seed', () => {
    const a = tmp();
    const b = tmp();
    const c = tmp();
    writeSimulation(new Simulation({ seed: 5, hours: 6 }), a);
    writeSimulation(new Simulation({ seed: 5, hours: 6 }), b);
    writeSimulation(new Simulation({ seed: 6, hours: 6 }), c);
    expect(hashDir(a)).toBe(hashDir(b));
    expect(hashDir(a)).not.toBe(hashDir(c));
  });

  it('writes one file per source, a manifest and ground truth that points at the attack records', () => {
    const d = tmp();
    const { manifest } = writeSimulation(new Simulation({ seed: 3, hours: 6 }), d);
    const files = readdirSync(d).sort();
    expect(files).toEqual(['cloudtrail.json', 'entra.signin.ndjson', 'ground_truth.json', 'linux.audit.log', 'linux.auth.log', 'manifest.json', 'proxy.access.log', 'windows.winlogbeat.ndjson', 'zeek.conn.ndjson', 'zeek.dns.ndjson', 'zeek.http.ndjson']);
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({ seed: 3, scenario: 'default', hours: 6, start: '2026-11-23T00:00:00.000Z', end: '2026-11-23T06:00:00.000Z' });
    expect(m.total).toBe(Object.values(m.files as Record<string, { records: number }>).reduce((s, f) => s + f.records, 0));
    const gt = JSON.parse(readFileSync(join(d, 'ground_truth.json'), 'utf8'));
    expect(gt.events.length).toBe(manifest.attackEvents);
    // Every campaign, and every step of it, is present even in a 6-hour window (compressed).
    for (const c of Object.values(CAMPAIGNS)) {
      const steps = new Set(gt.events.filter((e: { campaign: string }) => e.campaign === c.id).map((e: { step: number }) => e.step));
      expect([...steps].sort((x, y) => (x as number) - (y as number)), c.id).toEqual(c.steps.map((s) => s.step));
    }
    // Ground truth lines point at the right records.
    const lines = new Map<string, string[]>();
    const cloud = JSON.parse(readFileSync(join(d, 'cloudtrail.json'), 'utf8')).Records;
    for (const e of gt.events.slice(0, 400)) {
      if (e.file === 'cloudtrail.json') {
        expect(cloud[e.line - 1].eventID).toBe(e.key);
        continue;
      }
      if (!lines.has(e.file)) lines.set(e.file, readFileSync(join(d, e.file), 'utf8').split('\n'));
      const line = lines.get(e.file)![e.line - 1];
      expect(line, `${e.file}:${e.line}`).toBeTruthy();
      if (e.file === 'windows.winlogbeat.ndjson') {
        const w = JSON.parse(line).winlog;
        expect(`${w.computer_name}:${w.channel}:${w.record_id}`).toBe(e.key);
      } else if (e.file.startsWith('zeek.')) expect(JSON.parse(line).uid).toBe(e.key);
    }
  });

  it('emits records in time order with Windows record ids increasing per host and channel', () => {
    const sim = new Simulation({ seed: 9, hours: 5, scenario: 'phish-to-exfil' });
    let last = -Infinity;
    const rid = new Map<string, number>();
    let n = 0;
    for (const r of sim.records()) {
      expect(r.time).toBeGreaterThanOrEqual(last);
      expect(r.time).toBeGreaterThanOrEqual(sim.start);
      expect(r.time).toBeLessThan(sim.end);
      last = r.time;
      n++;
      if (r.source === 'windows') {
        const w = (r.event as any).winlog;
        const k = `${w.computer_name}|${w.channel}`;
        const id = Number(w.record_id);
        expect(id).toBeGreaterThan(rid.get(k) ?? 0);
        rid.set(k, id);
      }
    }
    expect(n).toBeGreaterThan(1000);
  });

  it('follows a daily rhythm: work hours are busier than the night', () => {
    const sim = new Simulation({ seed: 2, hours: 24, scenario: 'quiet' });
    const perHour = new Array(24).fill(0);
    for (const r of sim.records()) perHour[new Date(r.time).getUTCHours()]++;
    expect(perHour[10]).toBeGreaterThan(perHour[3] * 3);
    expect(perHour[14]).toBeGreaterThan(perHour[22] * 2);
  });

  it('exposes per-campaign metadata for eval', () => {
    const sim = new Simulation({ seed: 1, hours: 24 });
    const meta = sim.campaigns;
    expect(meta.map((m) => m.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const a = meta[0];
    expect(a.techniques).toContain('T1003.001');
    expect(a.hosts.length).toBe(2);
    expect(a.users.length).toBe(2);
    expect(a.lastTime).toBeGreaterThan(a.firstTime);
    expect(a.firstTime).toBeGreaterThanOrEqual(sim.start);
    const truthCount = [...sim.records()].filter((r) => r.truth?.campaign === 'a').length;
    expect(truthCount).toBe(a.events);
  });

  it('rejects bad options with SIM_* codes', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isGarrisonError(e) ? e.code : 'not-garrison';
      }
      return undefined;
    };
    expect(code(() => new Simulation({ scenario: 'nope' }))).toBe('SIM_SCENARIO_UNKNOWN');
    expect(code(() => new Simulation({ hours: 0 }))).toBe('SIM_OPTION_INVALID');
    expect(code(() => new Simulation({ hours: Number.NaN }))).toBe('SIM_OPTION_INVALID');
    expect(code(() => new Simulation({ seed: -1 }))).toBe('SIM_OPTION_INVALID');
    expect(code(() => new Simulation({ hosts: 3 }))).toBe('SIM_OPTION_INVALID');
    expect(code(() => new Simulation({ start: Number.NaN }))).toBe('SIM_OPTION_INVALID');
  });
});

describe('organization model', () => {
  it('loads the default organization and expands it deterministically', () => {
    const f = loadOrgFile(DEFAULT_ORG_PATH);
    const a = expandOrg(f, 1);
    const b = expandOrg(f, 1);
    expect(a.hosts.map((h) => [h.name, h.ip, h.owner])).toEqual(b.hosts.map((h) => [h.name, h.ip, h.owner]));
    expect(a.workstations.length).toBe(f.workstations.count);
    expect(a.byRole('domain_controller').length).toBe(1);
    expect(new Set(a.hosts.map((h) => h.ip)).size).toBe(a.hosts.length);
    expect(new Set(a.users.map((u) => u.name)).size).toBe(a.users.length);
    expect(a.users.filter((u) => u.kind === 'admin').length).toBe(2);
    const big = expandOrg(f, 1, { hosts: 1000 });
    expect(big.hosts.length).toBe(1000);
  });

  it('collects every problem with its line instead of stopping at the first', () => {
    const text = readFileSync(DEFAULT_ORG_PATH, 'utf8')
      .replace('netbiosDomain: NORTHWIND', 'netbiosDomain: northwind-has-a-very-long-name')
      .replace('ip: 10.10.1.11,', 'ip: 10.10.1.300,')
      .replace('count: 40', 'count: -4');
    try {
      parseOrgFile(text, 'org.yaml');
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e, 'SIM_ORG_INVALID')).toBe(true);
      const problems = (e as any).details.problems as { location: { file: string; line?: number; field?: string } }[];
      expect(problems.length).toBe(3);
      const byField = Object.fromEntries(problems.map((p) => [p.location.field, p.location.line]));
      const lines = text.split('\n');
      expect(lines[byField['netbiosDomain']! - 1]).toContain('netbiosDomain');
      expect(lines[byField['servers.1.ip']! - 1]).toContain('NW-FS01');
      expect(lines[byField['workstations.count']! - 1]).toContain('count: -4');
    }
  });

  it('reports semantic problems (duplicates, missing roles, unknown owners) and YAML syntax errors', () => {
    const text = readFileSync(DEFAULT_ORG_PATH, 'utf8').replace('name: NW-FS01, role: file_server', 'name: NW-DC01, role: app_server').replace('owner: adm.okafor }', 'owner: nobody }');
    try {
      parseOrgFile(text, 'org.yaml');
      expect.unreachable();
    } catch (e) {
      const msgs = ((e as any).details.problems as { message: string }[]).map((p) => p.message).join('\n');
      expect(msgs).toMatch(/duplicate host name NW-DC01/);
      expect(msgs).toMatch(/role file_server is required/);
      expect(msgs).toMatch(/owner nobody/);
    }
    expect(() => parseOrgFile('name: [unclosed\n', 'bad.yaml')).toThrow(/YAML/);
    expect(() => parseOrgFile('', 'empty.yaml')).toThrow(/SIM_ORG_INVALID|problem/);
  });
});
