/** GET /api/v1/detectors/status: Sigma rules loaded/rejected, baseline learning state from the engine's checkpoint, intel feeds. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveToStore } from '../../../baseline/persist.js';
import { BaselineStage } from '../../../baseline/stage.js';
import { DAY, HOUR, logon, proc, T0 } from '../../../baseline/fixtures/events.js';
import { parseFeed, saveFeed } from '../../../intel/feeds.js';
import type { DetectorStatus } from '../detectors-status.js';
import { startTestServer, type TestServer } from '../test-helpers.js';

const GOOD = `title: Whoami run by a user
id: 0b5c1f6e-4a1e-4b6e-9d3a-111111111111
status: test
logsource: { category: process_creation, product: windows }
detection:
  sel: { Image|endswith: '\\\\whoami.exe' }
  condition: sel
level: low
tags: [attack.discovery, attack.t1033]
`;
const BAD = `title: Broken rule
id: 0b5c1f6e-4a1e-4b6e-9d3a-222222222222
logsource: { category: process_creation, product: windows }
detection:
  sel: { Image|nosuchmodifier: x }
  condition: sel and missing
level: high
`;

describe('GET /api/v1/detectors/status', () => {
  let s: TestServer;
  let rules: string;
  beforeAll(async () => {
    rules = mkdtempSync(join(tmpdir(), 'garrison-det-rules-'));
    writeFileSync(join(rules, 'good.yml'), GOOD);
    writeFileSync(join(rules, 'bad.yml'), BAD);
    writeFileSync(join(rules, 'notyaml.yml'), 'title: [unclosed\n');
    s = await startTestServer({
      engine: { enabled: false, sigma: { builtin: false, rulePaths: [rules] }, baselines: { config: { models: { rarity: { learningMs: 2 * HOUR }, auth: { learningMs: 30 * DAY }, dns: { enabled: false } } } } },
    });
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(rules, { recursive: true, force: true });
  });

  it('reports rules loaded and rejected with file:line problems, models not started without saved state, no feeds', async () => {
    const r = await s.api('GET', '/api/v1/detectors/status');
    expect(r.status).toBe(200);
    const d = r.json as DetectorStatus;
    expect(d.engine).toMatchObject({ enabled: false, running: false, source: 'store' });
    expect(d.sigma).toMatchObject({ enabled: true, source: 'files', builtin: false, rules: 1 });
    expect(d.sigma.perRule.map((x) => x.title)).toEqual(['Whoami run by a user']);
    expect(d.sigma.perRule[0].techniques).toEqual(['T1033']);
    expect(d.sigma.rejected).toBeGreaterThanOrEqual(2);
    expect(d.sigma.problems.some((p) => p.file?.endsWith('bad.yml') && typeof p.line === 'number')).toBe(true);
    expect(d.sigma.problems.some((p) => p.file?.endsWith('notyaml.yml'))).toBe(true);
    expect(d.baselines.source).toBe('none');
    const byName = new Map(d.baselines.models.map((m) => [m.name, m]));
    expect(byName.get('rarity')).toMatchObject({ enabled: true, state: 'not-started', learningMs: 2 * HOUR, entities: 0 });
    expect(byName.get('dns')).toMatchObject({ enabled: false, state: 'disabled' });
    expect(d.intel).toMatchObject({ feeds: [], indicators: 0 });
  });

  it('reads the learning state from the engine checkpoint in the store: learning until / ready, entities', async () => {
    const stage = new BaselineStage({ models: { rarity: { learningMs: 2 * HOUR }, auth: { learningMs: 30 * DAY }, dns: { enabled: false } } });
    const evs = [];
    for (let h = 0; h < 5; h++) evs.push(proc(T0 + h * HOUR, 'ws-1', 'C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\explorer.exe'), logon(T0 + h * HOUR, 'srv-1', 'alice', 'success', { srcIp: '10.0.0.5' }));
    stage.observe(evs);
    await saveToStore(s.ctx.store, stage);
    await s.ctx.store.setState('engine/position/v1', JSON.stringify({ position: 10, watermark: T0 + 4 * HOUR, at: 1234 }));
    await saveFeed(s.ctx.store, parseFeed('indicator,type\n203.0.113.9,ipv4\nevil.example,domain\n', 'unit-feed', { format: 'csv' }), { origin: 'test' });
    const d = (await s.api('GET', '/api/v1/detectors/status')).json as DetectorStatus;
    expect(d.baselines.source).toMatch(/^(store|none)$/); // cached for 10 s: the first call saw nothing
    const fresh = await import('../detectors-status.js');
    const svc = new fresh.DetectorStatusService(s.ctx);
    const st = await svc.status();
    expect(st.baselines.source).toBe('store');
    expect(st.baselines.watermark).toBe(T0 + 4 * HOUR);
    expect(st.engine.checkpoint).toEqual({ position: 10, watermark: T0 + 4 * HOUR, at: 1234 });
    const byName = new Map(st.baselines.models.map((m) => [m.name, m]));
    const rarity = byName.get('rarity')!;
    expect(rarity.state).toBe('ready');
    expect(rarity.learningUntil).toBe(T0 + 2 * HOUR);
    expect(rarity.entities).toBeGreaterThan(0);
    expect(rarity.tenants).toEqual([{ tenant: 'default', startedAt: T0, learningUntil: T0 + 2 * HOUR, state: 'ready' }]);
    const auth = byName.get('auth')!;
    expect(auth).toMatchObject({ state: 'learning', learningUntil: T0 + 30 * DAY });
    expect(st.intel.feeds.map((f) => f.source)).toEqual(['unit-feed']);
    expect(st.intel.indicators).toBeGreaterThanOrEqual(2);
  });

  it('reports an unreadable saved state as an error, not a failure', async () => {
    await s.ctx.store.setState('baseline/state/v1', '{"format":"garrison-baseline","version":1,"watermark":"x"');
    const { DetectorStatusService } = await import('../detectors-status.js');
    const st = await new DetectorStatusService(s.ctx).status();
    expect(st.baselines.source).toBe('none');
    expect(st.baselines.error?.code).toBe('BASELINE_STATE_INVALID');
    expect(st.baselines.models.find((m) => m.name === 'rarity')?.state).toBe('not-started');
  });

  it('needs authentication', async () => {
    const r = await fetch(s.url + '/api/v1/detectors/status');
    expect(r.status).toBe(401);
  });
});

describe('GET /api/v1/detectors/status with the engine running in the server', () => {
  let s: TestServer;
  afterAll(async () => {
    await s?.stop();
  });

  it('reports the running engine and its live baselines as events arrive', async () => {
    s = await startTestServer({ engine: { checkpointMs: 100, sigma: { builtin: true }, baselines: { config: { models: { rarity: { learningMs: 60_000 } } } } } });
    const t = Date.now() - 3600_000;
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ '@timestamp': new Date(t + i * 10 * 60_000).toISOString(), hostname: 'ws-9', User: 'CORP\\bob', EventID: 1, Image: `C:\\Windows\\System32\\tool${i % 3}.exe`, ParentImage: 'C:\\Windows\\explorer.exe', CommandLine: `tool${i % 3}.exe /q` }));
    expect((await s.api('POST', '/api/v1/events', lines.join('\n'), { 'content-type': 'application/x-ndjson' })).status).toBe(200);
    const { DetectorStatusService } = await import('../detectors-status.js');
    let st: DetectorStatus | undefined;
    for (let i = 0; i < 100; i++) {
      st = await new DetectorStatusService(s.ctx).status();
      if (st.baselines.models.find((m) => m.name === 'rarity')?.state === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(st!.engine).toMatchObject({ enabled: true, running: true, ready: true });
    // The engine runs in this process: the figures are the live ones, not a checkpoint's.
    expect(st!.baselines.source).toBe('engine');
    expect(st!.sigma.rules).toBeGreaterThan(10);
    expect(st!.sigma.problemCount).toBe(0);
    const rarity = st!.baselines.models.find((m) => m.name === 'rarity')!;
    expect(rarity.tenants[0].startedAt).toBe(t);
    expect(rarity.state).toBe('ready'); // 1 minute of learning, 3 h 10 min of events
    expect(rarity.entities).toBeGreaterThan(0);
  });
});
