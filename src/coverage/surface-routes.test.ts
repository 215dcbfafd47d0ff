import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { register } from '../cli/commands/report.js';
import { parseRecord } from '../normalize/registry.js';
import { openSqliteStore } from '../store/index.js';
import { startTestServer, type TestServer } from '../surface/server/test-helpers.js';

const T0 = Date.UTC(2026, 10, 20, 12);
const conn = (src: string, dst: string, port: number, i: number) => {
  const r = parseRecord({ data: JSON.stringify({ ts: (T0 - 3_600_000) / 1000, uid: `C${i}`, 'id.orig_h': src, 'id.orig_p': 40000 + i, 'id.resp_h': dst, 'id.resp_p': port, proto: 'tcp', conn_state: 'SF' }), origin: `t:${i}`, input: 'test', tenant: 'default', receivedAt: T0, format: 'zeek:conn' });
  if (!r.ok) throw r.error;
  return r.event;
};

describe('attack surface API', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
    await srv.ctx.store.appendEvents([conn('203.0.113.5', '10.0.0.20', 443, 1), conn('203.0.113.6', '10.0.0.20', 443, 2)]);
  }, 60_000);
  afterAll(() => srv.stop());

  it('GET /api/v1/metrics/surface, /report, POST snapshots; bad input is a 400', async () => {
    const r = await srv.api('GET', `/api/v1/metrics/surface?to=${T0}&window=2d`);
    expect(r.status).toBe(200);
    expect(r.json.exposedServices).toEqual([expect.objectContaining({ ip: '10.0.0.20', port: 443, connections: 2, sources: 2 })]);
    const rep = await srv.api('GET', `/api/v1/metrics/report?to=${T0}&window=2d&minutesPerIncident=10`);
    expect(rep.status).toBe(200);
    expect(rep.json.surface.counts.exposedServices).toBe(1);
    expect(rep.json.operations.analystHoursSaved.assumption).toMatch(/10 analyst minutes/);
    const snap = await srv.api('POST', `/api/v1/metrics/surface/snapshots?to=${T0}&window=2d`);
    expect(snap.status).toBe(200);
    expect(snap.json.snapshot.counts.exposedServices).toBe(1);
    const next = await srv.api('GET', `/api/v1/metrics/surface?to=${T0 + 86_400_000}&window=3d`);
    expect(next.json.delta.previousDay).toBe('2026-11-20');
    expect(next.json.delta.counts.exposedServices).toBe(0);
    const bad = await srv.api('GET', '/api/v1/metrics/surface?window=seven');
    expect(bad.status).toBe(400);
    expect(bad.json.code ?? bad.json.error?.code).toBe('COVERAGE_OPTION_INVALID');
    expect((await srv.api('GET', '/api/v1/metrics/surface', undefined, { authorization: '' })).status).toBe(401);
  }, 60_000);
});

describe('garrison report', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'garrison-report-'));
    const store = openSqliteStore({ file: join(dir, 'garrison.db') });
    await store.init();
    await store.appendEvents([conn('203.0.113.5', '10.0.0.20', 443, 1)]);
    await store.close();
    writeFileSync(join(dir, 'ctx.yaml'), 'assets:\n  - { name: WEB1, ips: [10.0.0.20], role: web, criticality: high }\n  - { name: DB1, ips: [10.0.0.40], role: db }\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
    try {
      const program = new Command().exitOverride();
      register(program);
      await program.parseAsync(['node', 'garrison', 'report', '--data', dir, ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('prints the surface and operating figures as text and JSON, and saves a snapshot', async () => {
    const text = await run(['--to', String(T0), '--window', '2d', '--context', join(dir, 'ctx.yaml')]);
    expect(text).toMatch(/exposed services\s+1 /);
    expect(text).toContain('WEB1 10.0.0.20:443/tcp');
    expect(text).toContain('DB1 (medium)');
    expect(text).toMatch(/analyst hours saved\s+0/);
    const json = JSON.parse(await run(['--to', String(T0), '--window', '2d', '--json', '--save']));
    expect(json.surface.counts).toMatchObject({ exposedServices: 1, missingTelemetry: 0 });
    const sim = JSON.parse(await run(['--to', String(T0), '--window', '2d', '--json', '--sim-org']));
    expect(sim.surface.context.assets).toBeGreaterThan(10);
    expect(sim.surface.context.identities).toBeGreaterThan(10);
    await expect(run(['--window', 'seven'])).rejects.toMatchObject({ code: 'COVERAGE_OPTION_INVALID' });
    const store = openSqliteStore({ file: join(dir, 'garrison.db'), readonly: true });
    expect(JSON.parse((await store.getState('surface/snapshots/v1'))!)).toHaveLength(1);
    await store.close();
  });
});
