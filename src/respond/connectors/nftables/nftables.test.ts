import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NftablesConfigSchema, NftablesConnector } from './nftables.js';

const dir = mkdtempSync(join(tmpdir(), 'garrison-nft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in `nft` that logs its argv (one argument per line) and answers list commands. */
function fakeNft(): { path: string; log: string } {
  const log = join(dir, 'argv.log');
  const path = join(dir, 'nft');
  writeFileSync(
    path,
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done\necho '--' >> '${log}'\nif [ "$1" = "-j" ]; then echo '{"nftables":[{"set":{"name":"x","flags":["interval","timeout"],"elem":["203.0.113.9",{"prefix":{"addr":"10.1.0.0","len":16}}]}}]}'; fi\nexit 0\n`,
  );
  chmodSync(path, 0o755);
  return { path, log };
}

describe('nftables connector (no kernel)', () => {
  it('validates its configuration', () => {
    expect(NftablesConfigSchema.safeParse({ table: 'Bad Table' }).success).toBe(false);
    expect(NftablesConfigSchema.safeParse({ managementNetworks: ['10.0.0.0/33'] }).success).toBe(false);
    expect(NftablesConfigSchema.safeParse({ netns: 'x; rm -rf /' }).success).toBe(false);
    expect(NftablesConfigSchema.parse({})).toMatchObject({ table: 'garrison', priority: -10 });
  });

  it('builds the table from configuration only, management sets included', () => {
    const c = new NftablesConnector('fw', { managementNetworks: ['192.0.2.10', '2001:db8::/64'] });
    const s = c.tableScript();
    expect(s).toMatch(/set mgmt4 \{ type ipv4_addr; flags interval; elements = \{ 192\.0\.2\.10 \}; \}/);
    expect(s).toMatch(/set mgmt6 \{ type ipv6_addr; flags interval; elements = \{ 2001:db8::\/64 \}; \}/);
    expect(s).toMatch(/chain forward \{ type filter hook forward priority -10; policy accept;/);
    expect(c.protectedNetworks()).toEqual(['192.0.2.10', '2001:db8::/64']);
  });

  it('cannot isolate a host without an address', () => {
    const c = new NftablesConnector('fw', {});
    expect(c.check('isolate_host', { type: 'host', host: 'ws1' })).toMatch(/no known address/);
    expect(c.check('isolate_host', { type: 'host', host: 'ws1', ip: '10.0.0.1' })).toBeUndefined();
    expect(c.check('block_domain', { type: 'domain', domain: 'x.example' })).toMatch(/does not do/);
  });

  it('passes canonical addresses as separate arguments and reads sets back from JSON', async () => {
    const f = fakeNft();
    const c = new NftablesConnector('fw', { nftPath: f.path });
    expect(await c.observe('block_ip', { type: 'ip', cidr: '203.0.113.9' })).toBe(true);
    expect(await c.observe('block_ip', { type: 'ip', cidr: '10.1.0.0/16' })).toBe(true);
    expect(await c.observe('block_ip', { type: 'ip', cidr: '203.0.113.10' })).toBe(false);
    await c.apply('block_ip', { type: 'ip', cidr: '198.51.100.0/24' }, { actionId: 'a', idempotencyKey: 'k' });
    const calls = readFileSync(f.log, 'utf8').split('--\n').map((x) => x.trim().split('\n'));
    expect(calls).toContainEqual(['add', 'element', 'inet', 'garrison', 'blocked4', '{', '198.51.100.0/24', '}']);
    // Already present: no second add.
    await c.apply('block_ip', { type: 'ip', cidr: '203.0.113.9' }, { actionId: 'a', idempotencyKey: 'k' });
    expect(readFileSync(f.log, 'utf8').match(/^add$/gm)).toHaveLength(1);
    // A TTL becomes a kernel timeout (TTL + grace) on the element.
    await c.apply('block_ip', { type: 'ip', cidr: '198.51.100.7' }, { actionId: 'b', idempotencyKey: 'k', ttlMs: 3_600_000 });
    expect(readFileSync(f.log, 'utf8').split('--\n').map((x) => x.trim().split('\n'))).toContainEqual(['add', 'element', 'inet', 'garrison', 'blocked4', '{', '198.51.100.7', 'timeout', '4500s', '}']);
  });

  it('a missing nft binary is a clear permanent failure', async () => {
    const c = new NftablesConnector('fw', { nftPath: join(dir, 'nope') });
    const h = await c.health();
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/not installed/);
  });
});
