/**
 * Real nftables in a network namespace (needs root, nft, ip, ping, nc): a "host" namespace joined
 * to the root namespace by a veth pair. The root side carries two addresses: a management address
 * and an ordinary peer. Isolating the host (nft runs inside its namespace, as on the host itself)
 * must cut the peer off but not the management address; release must restore both. Blocking an
 * address must drop ICMP and TCP to it, and unblocking must restore them. The last test runs the
 * whole responder (preview, execute, verify, rollback) against the real connector.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponder } from '../../executor.js';
import { loadPolicyFile } from '../../policy/load.js';
import { clock, entity, incident, tempStore, verdict } from '../../testing/fixtures.js';
import { connectorSet } from '../port.js';
import { NftablesConnector } from './nftables.js';

const run = promisify(execFile);
const id = `${process.pid % 10000}`;
const NS = `garr-h${id}`;
const VETH = `gv${id}`;
const N = 200 + (process.pid % 50);
const HOST = `10.${N}.0.2`;
const PEER = `10.${N}.0.1`;
const MGMT = `10.${N}.0.3`;

async function sh(cmd: string, ...args: string[]): Promise<void> {
  await run(cmd, args);
}

/** True when one ping from `src` (root namespace) reaches the host. */
async function pingFromRoot(src: string, dst = HOST): Promise<boolean> {
  try {
    await run('ping', ['-c', '1', '-W', '1', '-I', src, dst]);
    return true;
  } catch {
    return false;
  }
}

/** True when one ping from inside the host namespace reaches `dst`. */
async function pingFromHost(dst: string): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', NS, 'ping', '-c', '1', '-W', '1', dst]);
    return true;
  } catch {
    return false;
  }
}

/** True when a TCP connection from `src` to the host's listener succeeds. */
async function tcpFromRoot(src: string, port: number): Promise<boolean> {
  try {
    await run('nc', ['-z', '-w', '2', '-s', src, HOST, String(port)]);
    return true;
  } catch {
    return false;
  }
}

describe('nftables connector against the kernel (network namespace)', () => {
  let fw: NftablesConnector;
  let listener: ChildProcess | undefined;
  const port = 18000 + (process.pid % 1000);

  beforeAll(async () => {
    await sh('ip', 'netns', 'add', NS);
    await sh('ip', 'link', 'add', VETH, 'type', 'veth', 'peer', 'name', `${VETH}p`);
    await sh('ip', 'link', 'set', `${VETH}p`, 'netns', NS);
    await sh('ip', 'addr', 'add', `${PEER}/24`, 'dev', VETH);
    await sh('ip', 'addr', 'add', `${MGMT}/24`, 'dev', VETH);
    await sh('ip', 'link', 'set', VETH, 'up');
    await sh('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${HOST}/24`, 'dev', `${VETH}p`);
    await sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', `${VETH}p`, 'up');
    await sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    listener = spawn('ip', ['netns', 'exec', NS, 'nc', '-lk', '-p', String(port)], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    fw = new NftablesConnector('fw', { netns: NS, managementNetworks: [MGMT] });
  });

  afterAll(async () => {
    listener?.kill();
    await fw?.removeTable();
    await run('ip', ['link', 'del', VETH]).catch(() => undefined);
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
  });

  it('is healthy and starts with connectivity both ways', async () => {
    const h = await fw.health();
    expect(h.ok, h.detail).toBe(true);
    expect(await pingFromRoot(PEER)).toBe(true);
    expect(await pingFromRoot(MGMT)).toBe(true);
    expect(await tcpFromRoot(PEER, port)).toBe(true);
  });

  it('isolates the host except from the management address, then releases it', async () => {
    const t = { type: 'host' as const, host: 'lab-host', ip: HOST };
    await fw.apply('isolate_host', t, { actionId: 'a1', idempotencyKey: 'k1' });
    await fw.apply('isolate_host', t, { actionId: 'a1', idempotencyKey: 'k1' }); // idempotent
    expect(await fw.observe('isolate_host', t)).toBe(true);
    expect(await pingFromRoot(PEER)).toBe(false);
    expect(await tcpFromRoot(PEER, port)).toBe(false);
    expect(await pingFromHost(PEER)).toBe(false);
    expect(await pingFromRoot(MGMT)).toBe(true);
    expect(await tcpFromRoot(MGMT, port)).toBe(true);
    expect(await pingFromHost(MGMT)).toBe(true);
    await fw.revert('isolate_host', t, { actionId: 'a1', idempotencyKey: 'k1u' });
    await fw.revert('isolate_host', t, { actionId: 'a1', idempotencyKey: 'k1u' }); // idempotent
    expect(await fw.observe('isolate_host', t)).toBe(false);
    expect(await pingFromRoot(PEER)).toBe(true);
    expect(await tcpFromRoot(PEER, port)).toBe(true);
  });

  it('blocks an address (and a network), then unblocks it', async () => {
    const one = { type: 'ip' as const, cidr: PEER };
    await fw.apply('block_ip', one, { actionId: 'a2', idempotencyKey: 'k2' });
    expect(await fw.observe('block_ip', one)).toBe(true);
    expect(await pingFromHost(PEER)).toBe(false);
    expect(await tcpFromRoot(PEER, port)).toBe(false);
    expect(await pingFromHost(MGMT)).toBe(true);
    await fw.revert('block_ip', one, { actionId: 'a2', idempotencyKey: 'k2u' });
    expect(await pingFromHost(PEER)).toBe(true);
    const net = { type: 'ip' as const, cidr: `10.${N + 1}.0.0/16` };
    await fw.apply('block_ip', net, { actionId: 'a3', idempotencyKey: 'k3' });
    expect(await fw.listSet('blocked4')).toEqual([`10.${N + 1}.0.0/16`]);
    await fw.revert('block_ip', net, { actionId: 'a3', idempotencyKey: 'k3u' });
    expect(await fw.listSet('blocked4')).toEqual([]);
  });

  it('kernel timeouts lift a block even when Garrison is gone; renew extends them atomically', async () => {
    const fw2 = new NftablesConnector('fw', { netns: NS, managementNetworks: [MGMT], timeoutGraceMs: 0 });
    const one = { type: 'ip' as const, cidr: PEER };
    await fw2.apply('block_ip', one, { actionId: 'a4', idempotencyKey: 'k4', ttlMs: 1000 });
    expect(await fw2.observe('block_ip', one)).toBe(true);
    expect(await pingFromHost(PEER)).toBe(false);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await fw2.observe('block_ip', one)).toBe(false);
    expect(await pingFromHost(PEER)).toBe(true);
    await fw2.apply('block_ip', one, { actionId: 'a5', idempotencyKey: 'k5', ttlMs: 60_000 });
    const before = (await fw2.expiresIn('block_ip', one))!;
    expect(before).toBeLessThanOrEqual(60);
    await fw2.renew('block_ip', one, { actionId: 'a5', idempotencyKey: 'k5r', ttlMs: 3_600_000 });
    expect(await fw2.expiresIn('block_ip', one)).toBeGreaterThan(3500);
    expect(await pingFromHost(PEER)).toBe(false);
    await fw2.revert('block_ip', one, { actionId: 'a5', idempotencyKey: 'k5u' });
    expect(await pingFromHost(PEER)).toBe(true);
  });

  it('the responder isolates through the real firewall and its rollback restores connectivity', async () => {
    const ts = await tempStore();
    const store = ts.store;
    const c = clock();
    const r = createResponder({ store, policy: loadPolicyFile(), connectors: connectorSet([fw]), now: c.now });
    const [a] = await r.respond(incident('inc-nft', [entity('host', 'lab-host', { context: { criticality: 'low', ip: HOST } })]), verdict('malicious', 0.95));
    expect(a!.status, JSON.stringify(a!.failure)).toBe('active');
    expect(await pingFromRoot(PEER)).toBe(false);
    expect(await pingFromRoot(MGMT)).toBe(true);
    c.advance(9 * 3_600_000);
    const [e] = await r.expireDue();
    expect(e!.status).toBe('expired');
    expect(await pingFromRoot(PEER)).toBe(true);
    expect((await store.verifyAudit()).ok).toBe(true);
    await r.close();
    await ts.cleanup();
  });
});
