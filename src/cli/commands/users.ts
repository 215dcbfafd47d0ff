/**
 * `garrison users ...`: local console users (record collection `users`, scrypt password hashes).
 *
 *   garrison users add NAME --role ROLE [--replace]   password from GARRISON_USER_PASSWORD, else
 *                                                     stdin (piped), else prompted twice (no echo)
 *   garrison users passwd NAME                        new password, same sources
 *   garrison users set-role NAME ROLE
 *   garrison users disable NAME | enable NAME | remove NAME
 *   garrison users list [--json]
 * Common flags: --data DIR, --config FILE (the same store `garrison serve` uses). Every change is
 * written to the audit log as actor `cli:<login>`. Roles: viewer < analyst < responder < admin.
 */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { GarrisonError } from '../../core/errors.js';
import { ROLES, Users, checkPassword, checkRole, checkUserName } from '../../surface/server/auth.js';
import { openConfiguredStore } from '../../surface/server/server.js';
import type { Store } from '../../store/port.js';

interface Common {
  data?: string;
  config?: string;
}

export const PASSWORD_ENV = 'GARRISON_USER_PASSWORD';

async function readAll(stream: NodeJS.ReadableStream, max = 4096): Promise<string> {
  let s = '';
  for await (const chunk of stream) {
    s += chunk.toString();
    if (s.length > max) throw new GarrisonError('USER_INVALID', 'the password read from stdin is too long', { location: { field: 'password' } });
  }
  return s.replace(/\r?\n$/, '');
}

async function prompt(question: string): Promise<string> {
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  try {
    return await new Promise<string>((res) => {
      rl.question(question, (a) => res(a));
      muted = true;
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** The password: $GARRISON_USER_PASSWORD, else piped stdin, else a no-echo prompt (asked twice). */
export async function readPassword(env: NodeJS.ProcessEnv = process.env, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (env[PASSWORD_ENV] !== undefined) return checkPassword(env[PASSWORD_ENV]!);
  if (!stdin.isTTY) return checkPassword(await readAll(stdin));
  const a = await prompt('password: ');
  checkPassword(a);
  const b = await prompt('again: ');
  if (a !== b) throw new GarrisonError('USER_INVALID', 'the two passwords differ', { location: { field: 'password' } });
  return a;
}

async function withUsers<T>(o: Common, f: (users: Users, store: Store) => Promise<T>): Promise<T> {
  const { config } = loadConfig({ file: o.config, overrides: { dataDir: o.data } });
  const store = openConfiguredStore(config);
  await store.init();
  try {
    return await f(new Users(store, config.tenant), store);
  } finally {
    await store.close();
  }
}

const actor = () => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

export function register(program: Command): void {
  const users = program.command('users').description(`manage local console users (roles: ${ROLES.join(' < ')})`);
  const common = (c: Command) => c.option('-d, --data <dir>', 'data directory; env GARRISON_DATA_DIR').option('-c, --config <file>', 'YAML configuration file; env GARRISON_CONFIG');
  const out = (s: string) => process.stdout.write(s + '\n');

  common(users.command('add <name>').description(`add a user; the password comes from $${PASSWORD_ENV}, piped stdin, or a prompt`))
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}`)
    .option('--replace', 'change the role and password of an existing user')
    .action(async (name: string, o: Common & { role: string; replace?: boolean }) => {
      checkUserName(name);
      checkRole(o.role);
      const pw = await readPassword();
      await withUsers(o, async (u, store) => {
        const d = await u.add(name, o.role, pw, { replace: o.replace });
        await store.appendAudit({ actor: actor(), action: o.replace ? 'user.replace' : 'user.add', target: `user:${d.name.toLowerCase()}`, doc: { role: d.role } });
        out(`garrison: user ${d.name} (${d.role}) ${o.replace ? 'updated' : 'added'}`);
      });
    });

  common(users.command('passwd <name>').description(`set a user's password ($${PASSWORD_ENV}, piped stdin, or a prompt)`)).action(async (name: string, o: Common) => {
    const pw = await readPassword();
    await withUsers(o, async (u, store) => {
      const d = await u.update(name, { password: pw });
      await store.appendAudit({ actor: actor(), action: 'user.passwd', target: `user:${d.name.toLowerCase()}`, doc: {} });
      out(`garrison: password of ${d.name} changed`);
    });
  });

  common(users.command('set-role <name> <role>').description('change a user\'s role')).action(async (name: string, role: string, o: Common) => {
    await withUsers(o, async (u, store) => {
      const d = await u.update(name, { role });
      await store.appendAudit({ actor: actor(), action: 'user.role', target: `user:${d.name.toLowerCase()}`, doc: { role: d.role } });
      out(`garrison: ${d.name} is now ${d.role}`);
    });
  });

  for (const [cmd, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    common(users.command(`${cmd} <name>`).description(`${cmd} a user (their sessions end on their next request)`)).action(async (name: string, o: Common) => {
      await withUsers(o, async (u, store) => {
        const d = await u.update(name, { disabled });
        await store.appendAudit({ actor: actor(), action: `user.${cmd}`, target: `user:${d.name.toLowerCase()}`, doc: {} });
        out(`garrison: ${d.name} ${cmd}d`);
      });
    });
  }

  common(users.command('remove <name>').description('remove a user (kept as a disabled record without password, for the audit trail)')).action(async (name: string, o: Common) => {
    await withUsers(o, async (u, store) => {
      await u.remove(name);
      await store.appendAudit({ actor: actor(), action: 'user.remove', target: `user:${name.toLowerCase()}`, doc: {} });
      out(`garrison: ${name} removed`);
    });
  });

  common(users.command('list').description('list users'))
    .option('--json', 'JSON output')
    .action(async (o: Common & { json?: boolean }) => {
      await withUsers(o, async (u) => {
        const list = await u.list();
        if (o.json) return out(JSON.stringify(list, null, 2));
        out(`${'NAME'.padEnd(24)} ${'ROLE'.padEnd(10)} STATE`);
        for (const x of list) out(`${x.name.padEnd(24)} ${x.role.padEnd(10)} ${x.disabled ? 'disabled' : 'active'}`);
      });
    });
}
