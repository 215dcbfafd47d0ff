/**
 * Console security: local users, sessions (cookie attributes, expiry, logout), CSRF, roles, the
 * security headers (CSP ...), the console's static route and the live stream.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from './app.js';
import { consoleAuth, hashPassword, LoginThrottle, SessionManager, verifyPassword, type Principal } from './auth.js';
import { publishChange } from './live.js';
import { API_TOKEN, startTestServer, type TestServer } from './test-helpers.js';

const PW = 'correct horse battery staple';
let s: TestServer;
let distDir: string;

beforeAll(async () => {
  distDir = mkdtempSync(join(tmpdir(), 'garrison-console-'));
  mkdirSync(join(distDir, 'assets'));
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/app-abc123.js"></script>');
  writeFileSync(join(distDir, 'assets', 'app-abc123.js'), 'console.log(1)');
  process.env.GARRISON_CONSOLE_DIR = distDir;
  s = await startTestServer();
  delete process.env.GARRISON_CONSOLE_DIR;
  const users = consoleAuth(s.ctx).users;
  await users.add('alice', 'responder', PW);
  await users.add('victor', 'viewer', PW);
  await users.add('anna', 'analyst', PW);
});
afterAll(async () => {
  await s?.stop();
  rmSync(distDir, { recursive: true, force: true });
});

async function login(user: string, password = PW) {
  const r = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { user, password } });
  const cookie = String(r.headers['set-cookie'] ?? '');
  return { r, cookie: cookie.split(';')[0], setCookie: cookie, csrf: (r.json() as { csrfToken?: string }).csrfToken ?? '' };
}

describe('login and sessions', () => {
  it('logs a local user in with an HttpOnly, SameSite=Strict session cookie (no Secure over plain HTTP) and a CSRF token', async () => {
    const { r, setCookie, csrf } = await login('alice');
    expect(r.statusCode).toBe(200);
    expect(setCookie).toMatch(/^garrison_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(setCookie).not.toContain('Secure');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((r.json() as { principal: Principal }).principal).toEqual({ id: 'user:alice', name: 'alice', role: 'responder', via: 'session' });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('marks the cookie Secure when the request came over TLS', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { user: 'alice', password: PW }, headers: { 'x-forwarded-proto': 'https' } });
    // No trustProxy: a forwarded header must not fake TLS.
    expect(String(r.headers['set-cookie'])).not.toContain('Secure');
  });

  it('refuses a wrong password or unknown user with the same error, and audits the failure', async () => {
    const a = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { user: 'alice', password: 'wrong password 123' } });
    const b = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { user: 'nobody', password: 'wrong password 123' } });
    expect(a.statusCode).toBe(401);
    expect(b.statusCode).toBe(401);
    expect(a.json().error.code).toBe('LOGIN_FAILED');
    expect(a.json().error.message).toBe(b.json().error.message);
    expect(a.headers['set-cookie']).toBeUndefined();
    const audit = await s.ctx.store.listAudit({ limit: 1000 });
    expect(audit.some((e) => e.action === 'session.login_failed' && e.actor === 'user:alice')).toBe(true);
  });

  it('logs in with an API token (role admin)', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { token: API_TOKEN } });
    expect(r.statusCode).toBe(200);
    expect(r.json().principal).toMatchObject({ id: 'token:test', role: 'admin', via: 'session' });
    const bad = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { token: 'not-a-token-at-all' } });
    expect(bad.statusCode).toBe(401);
  });

  it('refuses a login form posted from another site', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { user: 'alice', password: PW }, headers: { origin: 'https://evil.example', host: 'localhost' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('CSRF_INVALID');
    const form = await s.app.inject({ method: 'POST', url: '/auth/login', payload: 'user=alice&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.statusCode).toBeGreaterThanOrEqual(400);
    expect(form.headers['set-cookie']).toBeUndefined();
  });

  it('accepts the session cookie on /api, reports the session, and ends it at logout', async () => {
    const { cookie, csrf } = await login('alice');
    const ok = await s.app.inject({ method: 'GET', url: '/api/v1/events?limit=1', headers: { cookie } });
    expect(ok.statusCode).toBe(200);
    const me = await s.app.inject({ method: 'GET', url: '/auth/session', headers: { cookie } });
    expect(me.json()).toMatchObject({ principal: { name: 'alice' }, csrfToken: csrf });
    const noCsrf = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie }, payload: {} });
    expect(noCsrf.statusCode).toBe(403);
    const out = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie, 'x-csrf-token': csrf }, payload: {} });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await s.app.inject({ method: 'GET', url: '/api/v1/events?limit=1', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('AUTH_INVALID');
    expect((await s.app.inject({ method: 'GET', url: '/auth/session', headers: { cookie } })).statusCode).toBe(401);
  });

  it('keeps bearer tokens working (no CSRF needed) and still answers 401 without credentials', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/saved-searches', headers: { authorization: `Bearer ${API_TOKEN}` }, payload: { name: 'by token', query: 'host:x' } });
    expect(r.statusCode).toBe(201);
    const none = await s.app.inject({ method: 'GET', url: '/api/v1/events' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('AUTH_MISSING');
    const forged = await s.app.inject({ method: 'GET', url: '/api/v1/events', headers: { cookie: 'garrison_session=' + 'A'.repeat(43) } });
    expect(forged.json().error.code).toBe('AUTH_INVALID');
  });

  it('ends the sessions of a user who is disabled, and applies a role change at once', async () => {
    const { cookie } = await login('anna');
    const auth = consoleAuth(s.ctx);
    await auth.users.update('anna', { role: 'viewer' });
    const me = await s.app.inject({ method: 'GET', url: '/auth/session', headers: { cookie } });
    expect(me.json().principal.role).toBe('viewer');
    await auth.users.update('anna', { disabled: true });
    const r = await s.app.inject({ method: 'GET', url: '/api/v1/events?limit=1', headers: { cookie } });
    expect(r.statusCode).toBe(401);
    await auth.users.update('anna', { disabled: false, role: 'analyst' });
  });
});

describe('CSRF', () => {
  it('refuses a cookie-authenticated state change without the token, with a wrong one, or from another origin', async () => {
    const { cookie, csrf } = await login('alice');
    const body = { name: 'x', query: 'host:a' };
    const cases: [Record<string, string>, number][] = [
      [{ cookie }, 403],
      [{ cookie, 'x-csrf-token': 'A'.repeat(43) }, 403],
      [{ cookie, 'x-csrf-token': csrf, origin: 'https://evil.example', host: 'localhost:80' }, 403],
      [{ cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }, 403],
      [{ cookie, 'x-csrf-token': csrf, origin: 'null' }, 403],
      [{ cookie, 'x-csrf-token': csrf }, 201],
      [{ cookie, 'x-csrf-token': csrf, origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' }, 201],
    ];
    for (const [headers, want] of cases) {
      const r = await s.app.inject({ method: 'POST', url: '/api/v1/saved-searches', headers, payload: body });
      expect(r.statusCode, JSON.stringify(headers)).toBe(want);
      if (want === 403) expect(r.json().error.code).toBe('CSRF_INVALID');
    }
    // Reads need no token.
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/saved-searches', headers: { cookie } })).statusCode).toBe(200);
  });
});

describe('roles', () => {
  it('lets a viewer read but not write, an analyst save, and only the author or an admin delete', async () => {
    const v = await login('victor');
    const a = await login('anna');
    const r1 = await s.app.inject({ method: 'POST', url: '/api/v1/saved-searches', headers: { cookie: v.cookie, 'x-csrf-token': v.csrf }, payload: { name: 'v', query: 'x' } });
    expect(r1.statusCode).toBe(403);
    expect(r1.json().error.code).toBe('AUTH_FORBIDDEN');
    const r2 = await s.app.inject({ method: 'POST', url: '/api/v1/saved-searches', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf }, payload: { name: 'anna search', query: 'user:bob' } });
    expect(r2.statusCode).toBe(201);
    const id = r2.json().search.id;
    const al = await login('alice');
    const d1 = await s.app.inject({ method: 'DELETE', url: `/api/v1/saved-searches/${id}`, headers: { cookie: al.cookie, 'x-csrf-token': al.csrf } });
    expect(d1.statusCode).toBe(403);
    const d2 = await s.app.inject({ method: 'DELETE', url: `/api/v1/saved-searches/${id}`, headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(d2.statusCode).toBe(204);
    const list = await s.app.inject({ method: 'GET', url: '/api/v1/saved-searches', headers: { cookie: v.cookie } });
    expect(list.json().searches.some((x: { id: string }) => x.id === id)).toBe(false);
  });
});

describe('security headers and the console route', () => {
  it('sends a strict CSP (no inline script, no eval, no framing), nosniff and no-referrer on pages and API replies', async () => {
    for (const url of ['/', '/incidents/abc', '/api/v1/events', '/healthz']) {
      const r = await s.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      const csp = String(r.headers['content-security-policy']);
      expect(csp, url).toBe(CONSOLE_CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
    const script = /script-src ([^;]*)/.exec(CONSOLE_CSP)![1];
    expect(script).toBe("'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });

  it('serves the built files, long-caches hashed assets, falls back to index.html for client routes only', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/incidents/inc-1', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    const js = await s.app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(String(js.headers['content-type'])).toContain('javascript');
    for (const url of ['/assets/missing.js', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/package.json', '/.env']) {
      const r = await s.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(r.statusCode === 404 || (r.statusCode === 200 && r.body.includes('<title>console</title>')), url).toBe(true);
      expect(r.body).not.toContain('"name": "garrison"');
    }
    const api = await s.app.inject({ method: 'GET', url: '/api/v1/nope', headers: { accept: 'text/html' } });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('NOT_FOUND');
  });

  it('starts without a built console and says how to build it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'garrison-noconsole-'));
    process.env.GARRISON_CONSOLE_DIR = empty;
    const t = await startTestServer();
    delete process.env.GARRISON_CONSOLE_DIR;
    try {
      const r = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      expect(r.statusCode).toBe(503);
      expect(r.body).toContain('npm run build:console');
      expect(r.body).not.toContain('<script');
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t.stop();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('live stream', () => {
  it('sends hello, then published changes and store changes, over server-sent events', async () => {
    const ac = new AbortController();
    const res = await fetch(`${s.url}/api/v1/stream`, { headers: { authorization: `Bearer ${API_TOKEN}` }, signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let buf = '';
    const until = async (re: RegExp) => {
      const t0 = Date.now();
      while (!re.test(buf)) {
        if (Date.now() - t0 > 8000) throw new Error(`timed out waiting for ${re}: ${buf}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += new TextDecoder().decode(value);
      }
    };
    await until(/event: hello\ndata: \{"principal":\{"id":"token:test"/);
    publishChange('incident', { id: 'inc-live-1', status: 'new' });
    await until(/event: change\ndata: \{"kind":"incident","at":\d+,"payload":\{"id":"inc-live-1","status":"new"\}\}/);
    const now = Date.now();
    await s.ctx.store.putRecords('actions', [{ id: 'act-live-1', tenant: 'default', status: 'pending_approval', ref: 'inc-live-1', createdAt: now, updatedAt: now, doc: { id: 'act-live-1' } }]);
    await until(/"kind":"action","at":\d+,"payload":\{"id":"act-live-1","status":"pending_approval","ref":"inc-live-1"/);
    ac.abort();
  });

  it('refuses the stream without credentials', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/v1/stream' });
    expect(r.statusCode).toBe(401);
  });
});

describe('building blocks', () => {
  it('hashes passwords with scrypt and verifies them in constant time; malformed hashes never verify', async () => {
    const h = await hashPassword('a long enough password');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('a long enough password', h)).toBe(true);
    expect(await verifyPassword('a long enough passworD', h)).toBe(false);
    for (const bad of ['', 'removed', 'scrypt$3$8$1$aaaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbb', 'scrypt$1073741824$8$1$aaaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbb']) expect(await verifyPassword('x', bad)).toBe(false);
  });

  it('ends sessions after the idle timeout and the absolute lifetime', () => {
    let t = 0;
    const m = new SessionManager({ idleMs: 100, absoluteMs: 250, now: () => t });
    const p: Principal = { id: 'user:a', name: 'a', role: 'viewer', via: 'session' };
    const { id } = m.create(p, '127.0.0.1');
    t = 90;
    expect(m.get(id)).toBeDefined();
    t = 180;
    expect(m.get(id)).toBeDefined();
    t = 260;
    expect(m.get(id)).toBeUndefined();
    const b = m.create(p, '127.0.0.1').id;
    t = 400;
    expect(m.get(b)).toBeUndefined();
    expect(m.get('short')).toBeUndefined();
  });

  it('throttles repeated failures per key for the window', () => {
    let t = 0;
    const th = new LoginThrottle(3, 1000, () => t);
    for (let i = 0; i < 3; i++) th.fail('k');
    expect(th.blockedFor('k')).toBe(1);
    t = 1001;
    expect(th.blockedFor('k')).toBe(0);
  });

  it('answers 429 with Retry-After after too many failed logins', async () => {
    const t = await startTestServer();
    try {
      let last;
      for (let i = 0; i < 11; i++) last = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { user: 'ghost', password: 'nope nope nope' } });
      expect(last!.statusCode).toBe(429);
      expect(last!.json().error.code).toBe('LOGIN_THROTTLED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await t.stop();
    }
  });
});

describe('stream and shutdown', () => {
  it('ends open streams when the server shuts down (close does not wait for them)', async () => {
    const t = await startTestServer();
    const res = await fetch(`${t.url}/api/v1/stream`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const reader = res.body!.getReader();
    await reader.read();
    const t0 = Date.now();
    await t.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
    let done = false;
    for (let i = 0; i < 10 && !done; i++) done = (await reader.read().catch(() => ({ done: true }))).done;
    expect(done).toBe(true);
  });
});

describe('garrison users: password sources', () => {
  it('reads the password from GARRISON_USER_PASSWORD, else from piped stdin, and enforces the policy', async () => {
    const { readPassword } = await import('../../cli/commands/users.js');
    const { Readable } = await import('node:stream');
    expect(await readPassword({ GARRISON_USER_PASSWORD: 'from the environment' })).toBe('from the environment');
    const piped = Object.assign(Readable.from(['from stdin pipe 1\n']), { isTTY: false }) as unknown as NodeJS.ReadStream;
    expect(await readPassword({}, piped)).toBe('from stdin pipe 1');
    await expect(readPassword({ GARRISON_USER_PASSWORD: 'short' })).rejects.toMatchObject({ code: 'USER_INVALID' });
  });
});
