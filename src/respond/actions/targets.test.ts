import { describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { ACTIONS, checkPreconditions, isPublicAddress } from './registry.js';
import { bareAccount, canonicalTarget, cidrContains, cidrOverlaps, parseBlockDomain, parseCidr, targetKey } from './targets.js';
import { ACTION_KINDS, FORWARD_KINDS } from '../types.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return isGarrisonError(e) ? e.code : 'other';
  }
};

describe('targets', () => {
  it('canonicalises addresses and networks', () => {
    expect(parseCidr('203.0.113.7').text).toBe('203.0.113.7');
    expect(parseCidr('203.0.113.77/24').text).toBe('203.0.113.0/24');
    expect(parseCidr('::ffff:203.0.113.7').text).toBe('203.0.113.7');
    expect(parseCidr('2001:DB8::1').text).toBe('2001:db8::1');
    expect(parseCidr('10.0.0.0/8').size).toBe(16777216);
  });
  it('refuses what must never be blocked', () => {
    for (const bad of ['0.0.0.0/0', '10.0.0.0/7', '127.0.0.1', '224.0.0.1', '255.255.255.255', '0.0.0.0', '::/0', '::1', '1.2.3', '010.1.1.1x', '1.2.3.4/33', '', 'a'.repeat(100), '1.2.3.4; nft flush ruleset']) {
      expect(code(() => parseCidr(bad)), bad).toBe('RESPOND_TARGET_INVALID');
    }
  });
  it('domains are strict and never public suffixes', () => {
    expect(parseBlockDomain('Evil.Example.')).toBe('evil.example');
    expect(parseBlockDomain('xn--80ak6aa92e.com')).toBe('xn--80ak6aa92e.com');
    for (const bad of ['com', 'co.uk', 'github.io', 'localhost', '203.0.113.7', 'evil..example', '-evil.example', 'evil-.example', 'ev il.example', 'evil.example\n0.0.0.0 bank.example', 'a_b.example', `${'a'.repeat(64)}.example`, '*.evil.example']) {
      expect(code(() => parseBlockDomain(bad)), bad).toBe('RESPOND_TARGET_INVALID');
    }
  });
  it('accounts and hosts', () => {
    expect(canonicalTarget({ type: 'account', account: 'CORP\\Alice' })).toEqual({ type: 'account', account: 'corp\\alice' });
    expect(bareAccount('corp\\alice')).toBe('alice');
    expect(bareAccount('alice@corp.example')).toBe('alice');
    expect(canonicalTarget({ type: 'account', account: 'arn:aws:iam::123456789012:user/ci-deployer' })).toEqual({ type: 'account', account: 'arn:aws:iam::123456789012:user/ci-deployer' });
    expect(code(() => canonicalTarget({ type: 'account', account: 'a*)(uid=*' }))).toBe('RESPOND_TARGET_INVALID');
    expect(code(() => canonicalTarget({ type: 'host', host: 'ws1/../../etc' }))).toBe('RESPOND_TARGET_INVALID');
    expect(code(() => canonicalTarget({ type: 'process', host: 'ws1' }))).toBe('RESPOND_TARGET_INVALID');
    expect(code(() => canonicalTarget({ type: 'file', host: 'ws1', path: 'c:\\x\u0000' }))).toBe('RESPOND_TARGET_INVALID');
    expect(targetKey(canonicalTarget({ type: 'host', host: 'NW-WS-01', ip: '10.20.0.1' }))).toBe('host:nw-ws-01');
  });
  it('network relations', () => {
    expect(cidrContains('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.1.2.3')).toBe(false);
    expect(cidrOverlaps('10.0.0.0/8', '10.5.0.0/16')).toBe(true);
    expect(cidrOverlaps('10.5.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(cidrOverlaps('10.5.0.0/16', '10.6.0.0/16')).toBe(false);
    expect(isPublicAddress('203.0.113.5')).toBe(true);
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('10.1.1.1')).toBe(false);
  });
});

describe('action contracts', () => {
  it('every kind is declared; reversible kinds name an undo that names them back', () => {
    expect(Object.keys(ACTIONS).sort()).toEqual([...ACTION_KINDS].sort());
    for (const k of FORWARD_KINDS) {
      const spec = ACTIONS[k];
      if (spec.undo) expect(ACTIONS[spec.undo].undoes).toBe(k);
      expect(spec.needsTtl).toBe(spec.undo !== undefined);
      expect(spec.verification.length).toBeGreaterThan(10);
    }
  });
  it('blast radius', () => {
    expect(ACTIONS.isolate_host.blastRadius({ type: 'host', host: 'x' }, {})).toEqual({ hosts: 1, users: 0 });
    expect(ACTIONS.block_ip.blastRadius({ type: 'ip', cidr: '203.0.113.0/24' }, {})).toEqual({ hosts: 0, users: 0, addresses: 256 });
    expect(ACTIONS.block_ip.blastRadius({ type: 'ip', cidr: '10.20.0.0/16' }, {}).hosts).toBe(65536);
    expect(ACTIONS.block_ip.blastRadius({ type: 'ip', cidr: '10.20.0.0/16' }, { context: { asset: () => undefined, identity: () => undefined, hostsIn: () => 40 } }).hosts).toBe(40);
    expect(ACTIONS.disable_account.blastRadius({ type: 'account', account: 'svc' }, { identity: { type: 'service', hosts: 12 } })).toEqual({ hosts: 12, users: 1 });
  });
  it('preconditions', () => {
    const base = { protectedNetworks: ['192.0.2.0/24'], protectedAccounts: ['garrison'], channels: ['soc'] };
    expect(checkPreconditions('isolate_host', { ...base, target: { type: 'host', host: 'm' }, asset: { tags: ['Management'] } })).toEqual(["not-management-host: host is tagged 'Management'"]);
    expect(checkPreconditions('block_ip', { ...base, target: { type: 'ip', cidr: '192.0.2.0/25' } })[0]).toMatch(/protected network/);
    expect(checkPreconditions('disable_account', { ...base, target: { type: 'account', account: 'corp\\garrison' } })[0]).toMatch(/own connector account/);
    expect(checkPreconditions('notify', { ...base, target: { type: 'channel', channel: 'pager', subject: 'x' } })[0]).toMatch(/no notification channel 'pager'/);
    expect(checkPreconditions('isolate_host', { ...base, target: { type: 'ip', cidr: '1.2.3.4' } })[0]).toMatch(/target-type/);
  });
});
