/**
 * GET /api/v1/detectors/status when the engine area exposes the running engine
 * (`liveEngine(store)` from src/app/service.ts, simulated here): the figures come from the engine's
 * own Sigma stage and baselines, not from files or the store.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BaselineStage } from '../../../baseline/stage.js';
import { HOUR, proc, T0 } from '../../../baseline/fixtures/events.js';
import { SigmaStage } from '../../../detect/engine.js';
import type { Store } from '../../../store/port.js';
import type { DetectorStatus } from '../detectors-status.js';
import { startTestServer, type TestServer } from '../test-helpers.js';

const live = new Map<Store, unknown>();
vi.mock('../../../app/service.js', async (orig) => ({ ...(await orig<Record<string, unknown>>()), liveEngine: (store: Store) => live.get(store) }));

describe('detector status from the running engine', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ engine: { enabled: false } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("uses the engine's Sigma stage, baselines and counters", async () => {
    const baselines = new BaselineStage({ models: { rarity: { learningMs: HOUR } } });
    baselines.observe([proc(T0, 'ws-1', 'C:\\a.exe', 'C:\\b.exe'), proc(T0 + 30 * 60_000, 'ws-1', 'C:\\c.exe', 'C:\\b.exe')]);
    const sigma = new SigmaStage({ builtin: false, rulePaths: [] });
    const status = { mode: 'log', started: true, position: 7, head: 9, backlog: 2, events: 7, checkpoints: 3, watermark: T0 + 30 * 60_000, stages: ['sigma', 'baselines'], errors: {} };
    live.set(s.ctx.store, { status: () => status, sigma, baselines });
    const st = (await s.api('GET', '/api/v1/detectors/status')).json as DetectorStatus;
    expect(st.engine.source).toBe('engine');
    expect(st.engine.status).toMatchObject({ position: 7, head: 9, backlog: 2, stages: ['sigma', 'baselines'] });
    expect(st.sigma).toMatchObject({ source: 'engine', rules: 0, files: 0 });
    expect(st.baselines.source).toBe('engine');
    expect(st.baselines.models.find((m) => m.name === 'rarity')).toMatchObject({ state: 'learning', learningUntil: T0 + HOUR });
    live.delete(s.ctx.store);
    const fromStore = (await s.api('GET', '/api/v1/detectors/status')).json as DetectorStatus;
    expect(fromStore.engine.source).toBe('store');
  });
});
