import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DnsmasqConfigSchema, DnsmasqConnector } from './dnsmasq.js';

const dir = mkdtempSync(join(tmpdir(), 'garrison-dnsmasq-u-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dnsmasq connector (files, no server)', () => {
  it('writes both files, signals the pid, and removes entries on revert', async () => {
    const pidFile = join(dir, 'pid');
    writeFileSync(pidFile, String(process.pid));
    let hups = 0;
    const onHup = () => hups++;
    process.on('SIGHUP', onHup);
    try {
      const c = new DnsmasqConnector('dns', { hostsFile: join(dir, 'h'), serversFile: join(dir, 's'), pidFile });
      const t = { type: 'domain' as const, domain: 'evil.example' };
      expect(await c.observe('block_domain', t)).toBe(false);
      await c.apply('block_domain', t, { actionId: 'a', idempotencyKey: 'k' });
      await c.apply('block_domain', { type: 'domain', domain: 'c2.bad.test' }, { actionId: 'b', idempotencyKey: 'k' });
      expect(readFileSync(join(dir, 'h'), 'utf8')).toContain('0.0.0.0 evil.example\n:: evil.example\n');
      expect(readFileSync(join(dir, 's'), 'utf8')).toContain('server=/evil.example/\n');
      expect(c.blocked()).toEqual(['c2.bad.test', 'evil.example']);
      expect(await c.observe('block_domain', t)).toBe(true);
      await c.revert('block_domain', t, { actionId: 'a', idempotencyKey: 'k' });
      expect(c.blocked()).toEqual(['c2.bad.test']);
      await new Promise((r) => setTimeout(r, 20));
      expect(hups).toBe(3);
    } finally {
      process.off('SIGHUP', onHup);
    }
  });
  it('a missing pid file is a transient failure; bad config is refused', async () => {
    const c = new DnsmasqConnector('dns', { hostsFile: join(dir, 'h2'), pidFile: join(dir, 'none') });
    await expect(c.apply('block_domain', { type: 'domain', domain: 'x.example' }, { actionId: 'a', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_UNAVAILABLE' });
    expect((await c.health()).ok).toBe(false);
    expect(DnsmasqConfigSchema.safeParse({ hostsFile: 'h', pidFile: 'p', sinkholeV4: '::' }).success).toBe(false);
  });
});
