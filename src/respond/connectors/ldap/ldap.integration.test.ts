/**
 * Real OpenLDAP: starts its own slapd (mdb backend, ppolicy overlay, generated slapd.conf) on a
 * test port, seeds a directory, and checks that disable_account locks the account (read back,
 * and a bind as the user fails), that enable (rollback) makes the bind work again, and that
 * revoke_sessions makes the old password useless. The connector binds as its own service
 * identity with write access granted by an ACL, not as the root DN.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponder } from '../../executor.js';
import { loadPolicyFile } from '../../policy/load.js';
import { clock, entity, incident, tempStore, verdict } from '../../testing/fixtures.js';
import { connectorSet } from '../port.js';
import { LdapConnector } from './ldap.js';

const dir = mkdtempSync(join(tmpdir(), 'garrison-slapd-'));
const PORT = 38900 + (process.pid % 90);
const URL = `ldap://127.0.0.1:${PORT}`;
const BASE = 'dc=example,dc=org';
let slapd: ChildProcess | undefined;

async function canBind(dn: string, pw: string): Promise<boolean> {
  const c = new Client({ url: URL, timeout: 3000, connectTimeout: 3000 });
  try {
    await c.bind(dn, pw);
    return true;
  } catch {
    return false;
  } finally {
    await c.unbind().catch(() => undefined);
  }
}

async function until(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('slapd did not come up');
}

beforeAll(async () => {
  mkdirSync(join(dir, 'db'));
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'include /etc/ldap/schema/nis.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload ppolicy',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 10485760',
      `suffix "${BASE}"`,
      `rootdn "cn=admin,${BASE}"`,
      'rootpw admin-secret',
      `directory ${join(dir, 'db')}`,
      'overlay ppolicy',
      `ppolicy_default "cn=default,ou=policies,${BASE}"`,
      `access to attrs=userPassword by dn.exact="cn=garrison,ou=services,${BASE}" write by anonymous auth by self write by * none`,
      `access to * by dn.exact="cn=garrison,ou=services,${BASE}" write by * read`,
      '',
    ].join('\n'),
  );
  slapd = spawn('slapd', ['-f', join(dir, 'slapd.conf'), '-h', `${URL}/`, '-d', '0'], { stdio: 'ignore' });
  await until(() => canBind(`cn=admin,${BASE}`, 'admin-secret'));
  const c = new Client({ url: URL });
  await c.bind(`cn=admin,${BASE}`, 'admin-secret');
  const add = (dn: string, attrs: Record<string, string | string[]>) => c.add(dn, attrs);
  await add(BASE, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
  for (const ou of ['people', 'services', 'policies']) await add(`ou=${ou},${BASE}`, { objectClass: 'organizationalUnit', ou });
  await add(`cn=default,ou=policies,${BASE}`, { objectClass: ['pwdPolicy', 'device'], cn: 'default', pwdAttribute: 'userPassword', pwdLockout: 'TRUE', pwdMustChange: 'TRUE' });
  await add(`cn=garrison,ou=services,${BASE}`, { objectClass: ['simpleSecurityObject', 'organizationalRole'], cn: 'garrison', userPassword: 'garrison-secret' });
  for (const u of ['alice', 'bob', 'carol']) {
    await add(`uid=${u},ou=people,${BASE}`, { objectClass: 'inetOrgPerson', uid: u, cn: u, sn: u, userPassword: `${u}-pw` });
  }
  void Attribute;
  await c.unbind();
}, 60_000);

afterAll(() => {
  slapd?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const conn = () => new LdapConnector('ldap', { url: URL, bindDn: `cn=garrison,ou=services,${BASE}`, bindPassword: 'garrison-secret', baseDn: `ou=people,${BASE}` });

describe('LDAP connector against a real slapd (ppolicy)', () => {
  it('is healthy and the seeded users can bind', async () => {
    expect((await conn().health()).ok).toBe(true);
    expect(await canBind(`uid=alice,ou=people,${BASE}`, 'alice-pw')).toBe(true);
  });

  it('disables an account (locked on read-back, bind fails) and enables it again', async () => {
    const c = conn();
    const t = { type: 'account' as const, account: 'CORP\\Alice' };
    expect(await c.observe('disable_account', t)).toBe(false);
    await c.apply('disable_account', t, { actionId: 'a', idempotencyKey: 'k' });
    await c.apply('disable_account', t, { actionId: 'a', idempotencyKey: 'k' }); // idempotent
    expect(await c.observe('disable_account', t)).toBe(true);
    expect(await canBind(`uid=alice,ou=people,${BASE}`, 'alice-pw')).toBe(false);
    expect(await canBind(`uid=bob,ou=people,${BASE}`, 'bob-pw')).toBe(true);
    await c.revert('disable_account', t, { actionId: 'a', idempotencyKey: 'k2' });
    await c.revert('disable_account', t, { actionId: 'a', idempotencyKey: 'k2' }); // idempotent
    expect(await c.observe('disable_account', t)).toBe(false);
    expect(await canBind(`uid=alice,ou=people,${BASE}`, 'alice-pw')).toBe(true);
  });

  it('revoking sessions makes the old password useless', async () => {
    const c = conn();
    const t = { type: 'account' as const, account: 'carol@example.org' };
    await c.apply('revoke_sessions', t, { actionId: 'b', idempotencyKey: 'k' });
    expect(await c.observe('revoke_sessions', t)).toBe(true);
    expect(await canBind(`uid=carol,ou=people,${BASE}`, 'carol-pw')).toBe(false);
  });

  it('unknown and hostile account names fail clearly; filters are escaped', async () => {
    const c = conn();
    await expect(c.observe('disable_account', { type: 'account', account: 'nobody' })).rejects.toMatchObject({ code: 'RESPOND_PRECONDITION_FAILED' });
    await expect(c.observe('disable_account', { type: 'account', account: 'a*)(uid=*' })).rejects.toMatchObject({ code: 'RESPOND_TARGET_INVALID' });
    // Allowed characters that mean something in DNs / filters are escaped, not interpreted.
    await expect(c.observe('disable_account', { type: 'account', account: 'alice,ou=people' })).rejects.toMatchObject({ code: 'RESPOND_PRECONDITION_FAILED' });
    expect(c.protectedAccounts()).toContain('garrison');
  });

  it('the responder disables the account of a malicious incident and its rollback re-enables it', async () => {
    const ts = await tempStore();
    const store = ts.store;
    const r = createResponder({ store, policy: loadPolicyFile(), connectors: connectorSet([conn()]), now: clock().now });
    const all = await r.respond(incident('inc-ldap', [entity('user', 'bob', { context: { accountType: 'regular' } })]), verdict('malicious', 0.97));
    const a = all[0];
    expect(a!.status, JSON.stringify(a!.failure)).toBe('active');
    expect(await canBind(`uid=bob,ou=people,${BASE}`, 'bob-pw')).toBe(false);
    const rb = await r.rollback(a!.id, 'user:alice', 'confirmed with bob');
    expect(rb.status).toBe('rolled_back');
    expect(await canBind(`uid=bob,ou=people,${BASE}`, 'bob-pw')).toBe(true);
    await r.close();
    await ts.cleanup();
  });

  it('a directory that is down is a transient failure (retried), not a crash', async () => {
    const c = new LdapConnector('ldap', { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'x', baseDn: BASE, timeoutMs: 500 });
    await expect(c.observe('disable_account', { type: 'account', account: 'alice' })).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_UNAVAILABLE' });
  });
});
