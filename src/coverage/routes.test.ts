import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../surface/server/test-helpers.js';
import { NavigatorLayerSchema } from './navigator.js';
import { cloudtrail } from './testing.js';

describe('coverage and rules API', () => {
  let srv: TestServer;
  const T0 = Date.UTC(2026, 10, 20, 12);
  beforeAll(async () => {
    srv = await startTestServer();
    await srv.ctx.store.appendEvents([cloudtrail('s3.amazonaws.com', 'GetObject', T0 - 3_600_000)]);
  }, 60_000);
  afterAll(() => srv.stop());

  it('GET /api/v1/coverage and /navigator', async () => {
    const r = await srv.api('GET', `/api/v1/coverage?until=${T0}&window=2d&models=none`);
    expect(r.status).toBe(200);
    expect(r.json.techniques.find((t: { id: string }) => t.id === 'T1530').state).toBe('data-without-detection');
    const n = await srv.api('GET', `/api/v1/coverage/navigator?until=${T0}&window=2d`);
    expect(n.status).toBe(200);
    expect(NavigatorLayerSchema.safeParse(n.json).success).toBe(true);
    const bad = await srv.api('GET', '/api/v1/coverage?window=seven');
    expect(bad.status).toBe(400);
    expect(bad.json.code ?? bad.json.error?.code).toBe('COVERAGE_OPTION_INVALID');
  }, 60_000);

  it('GET /api/v1/rules/stats, /api/v1/coverage/gaps and /api/v1/metrics/soc', async () => {
    const s = await srv.api('GET', `/api/v1/rules/stats?until=${T0}&sample=10`);
    expect(s.status).toBe(200);
    expect(s.json.rules.length).toBeGreaterThan(10);
    const g = await srv.api('GET', `/api/v1/coverage/gaps?until=${T0}&limit=5`);
    expect(g.status).toBe(200);
    expect(g.json.gaps.length).toBeLessThanOrEqual(5);
    const m = await srv.api('GET', `/api/v1/metrics/soc?until=${T0}`);
    expect(m.status).toBe(200);
    expect(m.json.incidents.total).toBe(0);
    expect(await srv.api('GET', '/api/v1/coverage', undefined, { authorization: '' }).then((x) => x.status)).toBe(401);
  }, 60_000);
});
