/** The server as users meet it: auth on /api, health, metrics, OpenAPI, first-run tokens, graceful shutdown. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../core/config.js';
import { silentLogger } from '../../core/logger.js';
import { openSqliteStore } from '../../store/sqlite/store.js';
import { startServer } from './server.js';
import { API_TOKEN, startTestServer, type TestServer } from './test-helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

describe('bearer-token auth on /api', () => {
  it('refuses a missing, malformed or unknown token with 401 and the error code', async () => {
    for (const [auth, code] of [
      [undefined, 'AUTH_MISSING'],
      ['Token abc', 'AUTH_MISSING'],
      ['Bearer wrong-token-wrong-token', 'AUTH_INVALID'],
    ] as const) {
      const r = await fetch(s.url + '/api/v1/events', { headers: auth ? { authorization: auth } : {} });
      expect(r.status).toBe(401);
      expect(((await r.json()) as any).error.code).toBe(code);
    }
    const ok = await s.api('GET', '/api/v1/events');
    expect(ok.status).toBe(200);
  });

  it('checks auth before reading the body', async () => {
    const r = await fetch(s.url + '/api/v1/events', { method: 'POST', body: '{"a":1}' });
    expect(r.status).toBe(401);
  });
});

describe('health, metrics and docs', () => {
  it('answers /healthz and /readyz without auth', async () => {
    expect((await fetch(s.url + '/healthz')).status).toBe(200);
    const r = await fetch(s.url + '/readyz');
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ready', problems: [] });
  });

  it('exposes Prometheus counters per source, queue depth and latency histograms', async () => {
    await s.hec('/services/collector/event', '{"event":{"m":1}}{"event":{"m":2}}{"bad":1}');
    await s.api('POST', '/api/v1/events', '{"m":3}');
    const text = await (await fetch(s.url + '/metrics')).text();
    expect(text).toMatch(/garrison_events_received_total\{source="hec"\} 3/);
    expect(text).toMatch(/garrison_events_stored_total\{source="hec"\} 2/);
    expect(text).toMatch(/garrison_events_stored_total\{source="api"\} 1/);
    expect(text).toMatch(/garrison_events_rejected_total\{source="hec",code="HEC_EVENT_REQUIRED"\} 1/);
    expect(text).toMatch(/garrison_ingest_queue_events 0/);
    expect(text).toMatch(/garrison_store_write_seconds_count \d+/);
    expect(text).toMatch(/garrison_http_request_duration_seconds_count\{method="POST",route="\/services\/collector\/event",status="400"\} 1/);
  });

  it('serves the OpenAPI document and UI under /api/docs', async () => {
    const doc = (await (await fetch(s.url + "/api/docs/json")).json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/events', '/services/collector/event', '/services/collector/ack', '/healthz']));
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
    const ui = await fetch(s.url + '/api/docs/');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('answers unknown routes with a 404 error object', async () => {
    const r = await fetch(s.url + '/nope');
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error.code).toBe('NOT_FOUND');
  });
});

describe('first-run tokens', () => {
  it('generates an API and a HEC token once, prints them, stores only hashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'garrison-first-'));
    try {
      const config = defaultConfig({ dataDir: dir, server: { port: 0 }, store: { fts: 'off' } });
      const shown: { api?: string; hec?: string }[] = [];
      const a = await startServer({ config, logger: silentLogger(), defaultMetrics: false, announceTokens: (t) => shown.push(t) });
      expect(shown).toHaveLength(1);
      const { api, hec } = shown[0];
      expect(api).toMatch(/^gar_[A-Za-z0-9_-]{43}$/);
      expect(hec).toMatch(/^[0-9a-f-]{36}$/);
      const file = readFileSync(join(dir, 'tokens.json'), 'utf8');
      expect(file).not.toContain(api!);
      expect(file).not.toContain(hec!);
      expect(statSync(join(dir, 'tokens.json')).mode & 0o077).toBe(0);
      expect((await fetch(a.url + '/api/v1/events', { headers: { authorization: `Bearer ${api}` } })).status).toBe(200);
      const h = await fetch(a.url + '/services/collector/event', { method: 'POST', body: '{"event":"x"}', headers: { authorization: `Splunk ${hec}` } });
      expect(((await h.json()) as any).code).toBe(0);
      await a.close();
      // Second start: the stored hashes still work, nothing new is generated.
      const b = await startServer({ config, logger: silentLogger(), defaultMetrics: false, announceTokens: (t) => shown.push(t) });
      expect(shown).toHaveLength(1);
      expect((await fetch(b.url + '/api/v1/events', { headers: { authorization: `Bearer ${api}` } })).status).toBe(200);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests, flushes accepted events, closes the store, then refuses connections', async () => {
    const t = await startTestServer();
    const batch = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ event: { tag: 'shut', n: i } })).join('');
    const inflight = [1, 2, 3].map(() => t.hec('/services/collector/event', batch));
    // Close as soon as the server has read all three requests, before they are committed.
    while (t.ctx.hec.stats().requests < 3) await new Promise((r) => setImmediate(r));
    const closing = t.close();
    const replies = await Promise.all(inflight);
    await closing;
    const accepted = replies.filter((r) => r.status === 200).length;
    expect(accepted).toBe(3);
    await expect(fetch(t.url + '/healthz')).rejects.toThrow();
    const store = openSqliteStore({ file: join(t.dir, 'garrison.db'), fts: 'off' });
    try {
      expect(await store.countEvents()).toBe(accepted * 2000);
    } finally {
      await store.close();
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});

describe('API token from the environment', () => {
  it('API_TOKEN constant is what the helper configured', () => {
    expect(API_TOKEN.length).toBeGreaterThanOrEqual(16);
  });
});

describe('configured sources', () => {
  it('starts the syslog listeners from config, stores what they receive, counts it per source, stops them', async () => {
    const { createSocket } = await import('node:dgram');
    const { sourcesService } = await import('./sources-service.js');
    let svc: { sources: readonly { name: string; address?: () => { port: number } }[] } | undefined;
    const t = await startTestServer(
      { sources: [{ kind: 'syslog', protocol: 'udp', host: '127.0.0.1', port: 0, name: 'udp-test', flushMs: 5 }] },
      { services: [(ctx) => (svc = sourcesService(ctx) as never)] },
    );
    try {
      const port = svc!.sources[0].address!().port;
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.send('<34>1 2024-01-01T00:00:00Z fw01 sshd 42 - - Failed password for root from 10.0.0.9', port, '127.0.0.1', () => r()));
      sock.close();
      let n = 0;
      for (let i = 0; i < 500 && n === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        n = await t.ctx.store.countEvents();
      }
      expect(n).toBe(1);
      const text = await (await fetch(t.url + '/metrics')).text();
      expect(text).toMatch(/garrison_events_stored_total\{source="udp-test"\} 1/);
    } finally {
      await t.stop();
    }
  });
});
