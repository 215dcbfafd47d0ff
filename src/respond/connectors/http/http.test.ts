import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createResponder } from '../../executor.js';
import { loadPolicyFile } from '../../policy/load.js';
import { clock, entity, incident, tempStore, verdict } from '../../testing/fixtures.js';
import { connectorSet } from '../port.js';
import { parseConnectors } from '../registry.js';
import { HttpConnector, pointerGet } from './http.js';

/** A stub of a generic EDR REST API with state, scripted failures and a request log. */
const state = { isolated: new Set<string>(), killed: new Set<string>(), quarantined: new Set<string>() };
const log: { method: string; url: string; headers: IncomingMessage['headers']; body: unknown }[] = [];
let failNext: { status: number; times: number; method?: string } | undefined;
let hangNext = false;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      log.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (hangNext) {
        hangNext = false;
        return; // never answers: the client must time out
      }
      if (failNext && failNext.times > 0 && (!failNext.method || failNext.method === req.method)) {
        failNext.times--;
        res.writeHead(failNext.status).end('{"error":"scripted"}');
        return;
      }
      const send = (status: number, j?: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(j === undefined ? '' : JSON.stringify(j));
      if (req.headers.authorization !== 'Bearer test-token') return send(401, { error: 'auth' });
      const u = new URL(req.url!, 'http://x');
      let m: RegExpExecArray | null;
      if ((m = /^\/api\/v1\/hosts\/([^/]+)\/isolate$/.exec(u.pathname)) && req.method === 'POST') return (state.isolated.add(decodeURIComponent(m[1]!)), send(202, { ok: true }));
      if ((m = /^\/api\/v1\/hosts\/([^/]+)\/release$/.exec(u.pathname)) && req.method === 'POST') return (state.isolated.delete(decodeURIComponent(m[1]!)), send(200, { ok: true }));
      if ((m = /^\/api\/v1\/hosts\/([^/]+)$/.exec(u.pathname))) return send(200, { id: m[1], isolated: state.isolated.has(decodeURIComponent(m[1]!)) });
      if ((m = /^\/api\/v1\/hosts\/([^/]+)\/processes\/(\d+)\/kill$/.exec(u.pathname))) return (state.killed.add(`${m[1]}:${m[2]}`), send(200, {}));
      if ((m = /^\/api\/v1\/hosts\/([^/]+)\/processes\/(\d+)$/.exec(u.pathname))) return state.killed.has(`${m[1]}:${m[2]}`) ? send(404) : send(200, { state: 'running' });
      if (u.pathname === '/api/v1/health') return send(200, { ok: true });
      send(404, { error: 'no route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`;
  process.env.EDR_TEST_TOKEN = 'test-token';
});
afterAll(() => server.close());
beforeEach(() => {
  log.length = 0;
  failNext = undefined;
  state.isolated.clear();
});

const templates = join(import.meta.dirname, 'templates');
function edr(timeoutMs = 2000): HttpConnector {
  const text = readFileSync(join(templates, 'generic-edr.yaml'), 'utf8').replace('https://edr.example.internal/api/v1', base).replace('${env:EDR_TOKEN}', '${env:EDR_TEST_TOKEN}').replace('config:\n', `config:\n      timeoutMs: ${timeoutMs}\n`);
  return parseConnectors(text, 'generic-edr.yaml')[0] as HttpConnector;
}

describe('http connector', () => {
  it('every shipped example template is a valid connector configuration', () => {
    for (const f of readdirSync(templates)) {
      const cs = parseConnectors(readFileSync(join(templates, f), 'utf8'), f);
      expect(cs.length, f).toBeGreaterThan(0);
    }
  });

  it('isolates, reads back and releases with idempotency keys and secrets from the environment', async () => {
    const c = edr();
    expect((await c.health()).ok).toBe(true);
    const t = { type: 'host' as const, host: 'ws-1', agentId: 'agent-42' };
    expect(await c.observe('isolate_host', t)).toBe(false);
    await c.apply('isolate_host', t, { actionId: 'act_1', idempotencyKey: 'garrison-act_1', message: 'C2 "beacon" on ws-1' });
    expect(await c.observe('isolate_host', t)).toBe(true);
    const post = log.find((l) => l.method === 'POST')!;
    expect(post.url).toBe('/api/v1/hosts/agent-42/isolate');
    expect(post.headers['idempotency-key']).toBe('garrison-act_1');
    expect(post.body).toEqual({ reason: 'C2 "beacon" on ws-1', action: 'act_1' });
    await c.revert('isolate_host', t, { actionId: 'act_1', idempotencyKey: 'garrison-act_1:undo:0' });
    expect(await c.observe('isolate_host', t)).toBe(false);
  });

  it('kill_process: a process that is gone counts as killed', async () => {
    const c = edr();
    const t = { type: 'process' as const, host: 'ws-1', agentId: 'agent-42', pid: 4242 };
    expect(await c.observe('kill_process', t)).toBe(false);
    await c.apply('kill_process', t, { actionId: 'a', idempotencyKey: 'k' });
    expect(await c.observe('kill_process', t)).toBe(true);
    expect(c.check('kill_process', { type: 'process', host: 'ws-1', guid: '{abc}' })).toMatch(/\{\{pid\}\}/);
  });

  it('classifies failures: 5xx and timeouts are transient, 4xx permanent', async () => {
    const c = edr(300);
    const t = { type: 'host' as const, host: 'ws-1', agentId: 'agent-42' };
    failNext = { status: 503, times: 1 };
    await expect(c.apply('isolate_host', t, { actionId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_UNAVAILABLE' });
    failNext = { status: 400, times: 1 };
    await expect(c.apply('isolate_host', t, { actionId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_FAILED' });
    hangNext = true;
    await expect(c.apply('isolate_host', t, { actionId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_UNAVAILABLE', message: expect.stringMatching(/timed out/) });
  });

  it('through the responder: retried with back-off on 503 with the same idempotency key, then verified', async () => {
    const ts = await tempStore();
    try {
      const r = createResponder({ store: ts.store, policy: loadPolicyFile(), connectors: connectorSet([edr()]), now: clock().now, retry: { baseMs: 5, maxMs: 20 } });
      failNext = { status: 503, times: 2, method: 'POST' };
      const [a] = await r.respond(incident('inc-edr', [entity('host', 'ws-9', { context: { criticality: 'low', agentId: 'agent-9' } })]), verdict('malicious', 0.95));
      expect(a!.status, JSON.stringify(a!.failure)).toBe('active');
      const posts = log.filter((l) => l.method === 'POST');
      expect(posts).toHaveLength(3);
      expect(new Set(posts.map((p) => p.headers['idempotency-key']))).toEqual(new Set([a!.idempotencyKey]));
      expect(state.isolated.has('agent-9')).toBe(true);
      await r.rollback(a!.id, 'user:alice', 'cleared');
      expect(state.isolated.has('agent-9')).toBe(false);
      await r.close();
    } finally {
      await ts.cleanup();
    }
  });

  it('JSON pointers', () => {
    expect(pointerGet({ a: [{ 'b/c': 1 }] }, '/a/0/b~1c')).toBe(1);
    expect(pointerGet({ a: 1 }, '/x/y')).toBeUndefined();
  });
});

describe('connector configuration', () => {
  it('reports every problem with file:line', () => {
    const text = ['connectors:', '  - name: fw', '    type: nftables', '    actions: [block_domain]', '    config: { table: "Bad" }', '  - name: fw', '    type: teleport', '  - name: mail', '    type: smtp', '    config: { host: mx, from: a@b.c }'].join('\n');
    try {
      parseConnectors(text, 'c.yaml');
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/c\.yaml:7: RESPOND_CONNECTORS_INVALID connectors\.1\.type/);
      // Schema errors first: the type error stops the per-entry checks.
      const ok = ['connectors:', '  - name: fw', '    type: nftables', '    actions: [block_domain]', '    config: { table: "Bad" }', '  - name: fw', '    type: log', '  - name: mail', '    type: smtp', '    config: { host: mx, from: a@b.c }'].join('\n');
      const m2 = (() => {
        try {
          parseConnectors(ok, 'c.yaml');
          return '';
        } catch (x) {
          return (x as Error).message;
        }
      })();
      expect(m2).toMatch(/c\.yaml:4: RESPOND_CONNECTORS_INVALID connectors\.0\.actions: a nftables connector cannot do block_domain/);
      expect(m2).toMatch(/c\.yaml:5: RESPOND_CONNECTORS_INVALID connectors\.0\.config\.table/);
      expect(m2).toMatch(/c\.yaml:6: RESPOND_CONNECTORS_INVALID connectors\.1\.name: duplicate connector name 'fw'/);
      expect(m2).toMatch(/c\.yaml:10: RESPOND_CONNECTORS_INVALID connectors\.2\.config\.to/);
    }
  });
});
