import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MARKER, startDemo } from './demo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('garrison demo', () => {
  it('starts a server with the engine, streams the scenario through HEC, answers /healthz, stops', async () => {
    const root = mkdtempSync(join(tmpdir(), 'garrison-demo-'));
    dirs.push(root);
    const dataDir = join(root, 'demo');
    const lines: string[] = [];
    const demo = await startDemo({ dataDir, port: 0, speed: 'max', warmupDays: 0, hours: 2, progressMs: 0, print: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toContain(demo.url);
      expect(lines.join('\n')).toContain(demo.apiToken);
      expect(lines.join('\n')).toContain(demo.hecToken);
      const { scenario } = await demo.streamed;
      expect(scenario.sent).toBeGreaterThan(500);
      expect(scenario.rejected).toBe(0);
      const health = await fetch(`${demo.url}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${demo.url}/readyz`);
      expect(ready.status).toBe(200);
      // The events are searchable with the printed API token.
      const res = await fetch(`${demo.url}/api/v1/events?q=*&limit=1`, { headers: { authorization: `Bearer ${demo.apiToken}` } });
      expect(res.status).toBe(200);
      // The engine analysed what was stored and raised signals on the campaigns.
      let st = demo.engineStatus()!;
      for (let i = 0; i < 100 && st.backlog > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        st = demo.engineStatus()!;
      }
      expect(st.events).toBe(scenario.sent);
      expect(st.signals.total).toBeGreaterThan(0);
      const metrics = await (await fetch(`${demo.url}/metrics`)).text();
      expect(metrics).toMatch(/garrison_signals_total\{kind="sigma"\} \d+/);
      expect(metrics).toMatch(/garrison_engine_stage_seconds_bucket\{le="[^"]+",stage="sigma"\}/);
    } finally {
      await demo.close();
    }
    expect(readdirSync(dataDir)).toContain(DEMO_MARKER);
  }, 60_000);

  it('never wipes a directory it did not create', async () => {
    const root = mkdtempSync(join(tmpdir(), 'garrison-demo-'));
    dirs.push(root);
    writeFileSync(join(root, 'precious.txt'), 'keep me');
    await expect(startDemo({ dataDir: root, port: 0, progressMs: 0, print: () => undefined })).rejects.toMatchObject({ code: 'DEMO_DATA_DIR_IN_USE' });
    expect(readdirSync(root)).toEqual(['precious.txt']);
  });
});
