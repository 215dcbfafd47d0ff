/**
 * LDAP connector (OpenLDAP slapd with the ppolicy overlay), through ldapts:
 *
 *   disable_account  sets pwdAccountLockedTime to 000001010000Z: ppolicy refuses every bind of
 *                    the account until it is removed (verified by reading the entry back);
 *   enable_account   (undo) deletes pwdAccountLockedTime;
 *   revoke_sessions  replaces the password with a random secret nobody knows and sets pwdReset:
 *                    every credential the attacker holds stops working; the person gets a new
 *                    password from the help desk. Irreversible.
 *
 * The account is found by one equality search (`userAttribute`, escaped by ldapts' filter
 * objects — never a filter string built from event text) under `baseDn`; a NetBIOS prefix or
 * UPN suffix is stripped first. The connector's own bind identity is reported as protected.
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change, Client, EqualityFilter, InvalidCredentialsError, NoSuchAttributeError, type Entry } from 'ldapts';
import { z } from 'zod';
import { GarrisonError } from '../../../core/errors.js';
import { bareAccount, parseAccount } from '../../actions/targets.js';
import type { ActionTarget, ForwardKind } from '../../types.js';
import { permanent, transient, type Connector, type ConnectorCall, type ConnectorHealth } from '../port.js';

export const LdapConfigSchema = z
  .strictObject({
    url: z.string().regex(/^ldaps?:\/\/[^\s]+$/, 'expected ldap://host:port or ldaps://host:port'),
    bindDn: z.string().min(3).max(1024),
    /** The password, or the name of an environment variable holding it. */
    bindPassword: z.string().min(1).max(1024).optional(),
    bindPasswordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/).optional(),
    baseDn: z.string().min(3).max(1024),
    userAttribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/).default('uid'),
    timeoutMs: z.number().int().min(100).max(120_000).default(5000),
    /** Accounts never touched (in addition to the bind identity). */
    protectedAccounts: z.array(z.string().min(1).max(256)).default([]),
    /** TLS: verify the server certificate (ldaps). */
    rejectUnauthorized: z.boolean().default(true),
  })
  .refine((c) => (c.bindPassword === undefined) !== (c.bindPasswordEnv === undefined), { message: 'give exactly one of bindPassword or bindPasswordEnv' });
export type LdapConfig = z.input<typeof LdapConfigSchema>;

export const LOCKED_FOREVER = '000001010000Z';

function isNetworkError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code) || /timeout|socket|connection/i.test((e as Error).message ?? '');
}

export class LdapConnector implements Connector {
  readonly type = 'ldap';
  readonly kinds: readonly ForwardKind[] = ['disable_account', 'revoke_sessions'];
  private readonly cfg: z.output<typeof LdapConfigSchema>;

  constructor(
    readonly name: string,
    config: LdapConfig,
    kinds?: readonly ForwardKind[],
  ) {
    this.cfg = LdapConfigSchema.parse(config);
    if (kinds) this.kinds = kinds.filter((k) => k === 'disable_account' || k === 'revoke_sessions');
  }

  private password(): string {
    if (this.cfg.bindPassword !== undefined) return this.cfg.bindPassword;
    const v = process.env[this.cfg.bindPasswordEnv!];
    if (!v) throw permanent(`${this.name}: environment variable ${this.cfg.bindPasswordEnv} is not set`);
    return v;
  }

  /** Runs `fn` on a bound client; maps errors to transient / permanent. */
  private async session<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const tls = this.cfg.url.startsWith('ldaps:') ? { tlsOptions: { rejectUnauthorized: this.cfg.rejectUnauthorized } } : {};
    const c = new Client({ url: this.cfg.url, timeout: this.cfg.timeoutMs, connectTimeout: this.cfg.timeoutMs, ...tls });
    try {
      try {
        await c.bind(this.cfg.bindDn, this.password());
      } catch (e) {
        if (e instanceof InvalidCredentialsError) throw permanent(`${this.name}: the connector's bind as ${this.cfg.bindDn} was refused (invalid credentials)`, e);
        throw e;
      }
      return await fn(c);
    } catch (e) {
      if (e instanceof GarrisonError) throw e;
      if (isNetworkError(e)) throw transient(`${this.name}: ${this.cfg.url}: ${(e as Error).message}`, e);
      throw permanent(`${this.name}: ${(e as Error).message}`, e);
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }

  private account(kind: ForwardKind, t: ActionTarget): string {
    if (t.type !== 'account' || (kind !== 'disable_account' && kind !== 'revoke_sessions')) throw new GarrisonError('RESPOND_PRECONDITION_FAILED', `${this.name} does ${this.kinds.join(', ')} on accounts only`);
    return bareAccount(parseAccount(t.account));
  }

  private async find(c: Client, name: string): Promise<Entry> {
    const { searchEntries } = await c.search(this.cfg.baseDn, {
      scope: 'sub',
      filter: new EqualityFilter({ attribute: this.cfg.userAttribute, value: name }),
      attributes: ['dn', 'pwdAccountLockedTime', 'pwdReset', 'pwdChangedTime'],
      sizeLimit: 2,
    });
    if (searchEntries.length === 0) throw new GarrisonError('RESPOND_PRECONDITION_FAILED', `${this.name}: no entry with ${this.cfg.userAttribute}=${name} under ${this.cfg.baseDn}`);
    if (searchEntries.length > 1) throw new GarrisonError('RESPOND_PRECONDITION_FAILED', `${this.name}: ${this.cfg.userAttribute}=${name} is ambiguous under ${this.cfg.baseDn}`);
    return searchEntries[0]!;
  }

  /** The account's lock / reset state, read from the directory. */
  async state(account: string): Promise<{ dn: string; locked: boolean; reset: boolean }> {
    const name = bareAccount(parseAccount(account));
    return this.session(async (c) => {
      const e = await this.find(c, name);
      const locked = ([] as unknown[]).concat(e.pwdAccountLockedTime ?? []).length > 0;
      const reset = ([] as unknown[]).concat(e.pwdReset ?? []).some((v) => String(v).toUpperCase() === 'TRUE');
      return { dn: e.dn, locked, reset };
    });
  }

  check(kind: ForwardKind, t: ActionTarget): string | undefined {
    if (t.type !== 'account') return `${this.name} acts on accounts only`;
    if (!this.kinds.includes(kind)) return `${this.name} does not do ${kind}`;
    return undefined;
  }

  async health(): Promise<ConnectorHealth> {
    try {
      await this.session(async (c) => {
        await c.search(this.cfg.baseDn, { scope: 'base', attributes: ['dn'] });
      });
      return { ok: true, detail: `bound to ${this.cfg.url} as ${this.cfg.bindDn}; base ${this.cfg.baseDn} readable` };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }

  async observe(kind: ForwardKind, t: ActionTarget): Promise<boolean> {
    const s = await this.state(this.account(kind, t));
    return kind === 'disable_account' ? s.locked : s.reset;
  }

  async apply(kind: ForwardKind, t: ActionTarget, _call: ConnectorCall): Promise<void> {
    const name = this.account(kind, t);
    await this.session(async (c) => {
      const e = await this.find(c, name);
      if (kind === 'disable_account') {
        await c.modify(e.dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: [LOCKED_FOREVER] }) })]);
      } else {
        await c.modify(e.dn, [
          new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [randomBytes(32).toString('base64url')] }) }),
          new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdReset', values: ['TRUE'] }) }),
        ]);
      }
    });
  }

  async revert(kind: ForwardKind, t: ActionTarget, _call: ConnectorCall): Promise<void> {
    if (kind !== 'disable_account') throw new GarrisonError('RESPOND_NOT_REVERSIBLE', `${kind} cannot be undone`);
    const name = this.account(kind, t);
    await this.session(async (c) => {
      const e = await this.find(c, name);
      try {
        await c.modify(e.dn, [new Change({ operation: 'delete', modification: new Attribute({ type: 'pwdAccountLockedTime', values: [] }) })]);
      } catch (err) {
        if (!(err instanceof NoSuchAttributeError)) throw err; // already unlocked: idempotent
      }
    });
  }

  protectedAccounts(): string[] {
    const rdn = /^[A-Za-z]+=([^,]+)/.exec(this.cfg.bindDn)?.[1];
    return [...this.cfg.protectedAccounts, ...(rdn ? [rdn] : [])];
  }
}
