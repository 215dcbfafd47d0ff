/**
 * Real dnsmasq: an "upstream" dnsmasq answers evil.test / good.test; the Garrison-managed dnsmasq
 * forwards to it and reads Garrison's hosts and servers files. A real query must return the real
 * answer, then the sinkhole after block_domain (NXDOMAIN for names under it), then the real answer
 * again after rollback. Both servers run on unprivileged test ports on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promises as dnsp } from 'node:dns';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponder } from '../../executor.js';
import { loadPolicyFile } from '../../policy/load.js';
import { clock, entity, incident, tempStore, verdict } from '../../testing/fixtures.js';
import { connectorSet } from '../port.js';
import { DnsmasqConnector } from './dnsmasq.js';

const dir = mkdtempSync(join(tmpdir(), 'garrison-dnsmasq-'));
const UP = 25300 + (process.pid % 200);
const PORT = UP + 1000;
const procs: ChildProcess[] = [];

function dnsmasq(args: string[]): ChildProcess {
  const p = spawn('dnsmasq', ['-k', '--user=root', '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--cache-size=100', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  return p;
}

async function ask(name: string): Promise<string> {
  const r = new dnsp.Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`127.0.0.1:${PORT}`]);
  try {
    return (await r.resolve4(name)).join(',');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

async function until(f: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('dnsmasq connector against a real dnsmasq', () => {
  let conn: DnsmasqConnector;
  const hostsFile = join(dir, 'garrison.hosts');
  const serversFile = join(dir, 'garrison.servers');
  const pidFile = join(dir, 'dnsmasq.pid');

  beforeAll(async () => {
    writeFileSync(hostsFile, '');
    writeFileSync(serversFile, '');
    dnsmasq([`--port=${UP}`, '--address=/evil.test/203.0.113.5', '--address=/good.test/203.0.113.6', `--pid-file=${join(dir, 'up.pid')}`]);
    dnsmasq([`--port=${PORT}`, `--server=127.0.0.1#${UP}`, `--addn-hosts=${hostsFile}`, `--servers-file=${serversFile}`, `--pid-file=${pidFile}`]);
    await until(async () => existsSync(pidFile) && (await ask('good.test')) === '203.0.113.6');
    conn = new DnsmasqConnector('dns', { hostsFile, serversFile, pidFile, verify: { server: '127.0.0.1', port: PORT, timeoutMs: 1000 } });
  });

  afterAll(() => {
    for (const p of procs) p.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is healthy and resolves the real answers first', async () => {
    expect((await conn.health()).ok).toBe(true);
    expect(await ask('evil.test')).toBe('203.0.113.5');
    expect(await ask('www.evil.test')).toBe('203.0.113.5');
  });

  it('sinkholes the domain (and its subdomains) and restores the real answer on rollback', async () => {
    const t = { type: 'domain' as const, domain: 'evil.test' };
    await conn.apply('block_domain', t, { actionId: 'a', idempotencyKey: 'k' });
    await until(async () => (await ask('evil.test')) === '0.0.0.0');
    expect(await conn.observe('block_domain', t)).toBe(true);
    expect(await ask('www.evil.test')).toBe('ENOTFOUND');
    expect(await ask('good.test')).toBe('203.0.113.6');
    await conn.apply('block_domain', t, { actionId: 'a', idempotencyKey: 'k' }); // idempotent
    expect(conn.blocked()).toEqual(['evil.test']);
    await conn.revert('block_domain', t, { actionId: 'a', idempotencyKey: 'k2' });
    await until(async () => (await ask('evil.test')) === '203.0.113.5');
    expect(await ask('www.evil.test')).toBe('203.0.113.5');
    expect(await conn.observe('block_domain', t)).toBe(false);
  });

  it('the responder blocks, verifies through a real query, and rolls back', async () => {
    const ts = await tempStore();
    const store = ts.store;
    const r = createResponder({ store, policy: loadPolicyFile(), connectors: connectorSet([conn]), now: clock().now, retry: { baseMs: 50, maxMs: 400, attempts: 6 } });
    const [a] = await r.respond(incident('inc-dns', [entity('domain', 'evil.test', { role: 'c2' })]), verdict('malicious', 0.9));
    expect(a!.status, JSON.stringify(a!.failure)).toBe('active');
    expect(await ask('evil.test')).toBe('0.0.0.0');
    const rb = await r.rollback(a!.id, 'user:alice', 'false positive');
    expect(rb.status, JSON.stringify(rb.failure)).toBe('rolled_back');
    expect(await ask('evil.test')).toBe('203.0.113.5');
    await r.close();
    await ts.cleanup();
  });

  it('refuses names that are not strict domains before touching the file', async () => {
    await expect(conn.apply('block_domain', { type: 'domain', domain: 'evil.test\n0.0.0.0 bank.example' }, { actionId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'RESPOND_TARGET_INVALID' });
    expect(conn.blocked()).toEqual([]);
  });
});
