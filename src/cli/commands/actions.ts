/**
 * `garrison actions list|show|approve|reject|rollback|renew|kill-switch` on the embedded store.
 * Uses the same policy and connectors as `garrison serve` (GARRISON_POLICY / <data>/policy.yaml,
 * GARRISON_CONNECTORS / <data>/connectors.yaml). The actor recorded in the audit log is
 * `cli:<operating-system user>`: the CLI is for operators with access to the data directory; the
 * API is where roles and per-person approvals are enforced.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { describeTarget } from '../../respond/actions/targets.js';
import { createResponder, type Responder } from '../../respond/executor.js';
import { parseDuration } from '../../respond/policy/schema.js';
import { resolveResponseSetup } from '../../respond/service.js';
import { ACTION_STATUSES, type ActionDoc, type ActionStatus } from '../../respond/types.js';
import { defaultStorePath, openSqliteStore } from '../../store/index.js';
import { terminalSafe } from './search.js';

interface Common {
  data: string;
  policy?: string;
  connectors?: string;
  json?: boolean;
}

const actor = (): string => `cli:${(userInfo().username || 'unknown').replace(/[^A-Za-z0-9_.-]/g, '_')}`;

async function withResponder<T>(o: Common, fn: (r: Responder) => Promise<T>): Promise<T> {
  const file = defaultStorePath(o.data);
  if (!existsSync(file)) throw new GarrisonError('NOT_FOUND', `no store at ${file} (pass --data DIR)`, { location: { file } });
  const store = openSqliteStore({ file, fts: 'off' });
  await store.init();
  const setup = resolveResponseSetup({ dataDir: o.data, policyFile: o.policy, connectorsFile: o.connectors });
  const r = createResponder({ store, policy: setup.policy, connectors: setup.connectors, dryRun: setup.dryRun });
  try {
    return await fn(r);
  } finally {
    await r.close();
    await setup.connectors.close();
    await store.close();
  }
}

function row(a: ActionDoc): string {
  const exp = a.expiresAt ? new Date(a.expiresAt).toISOString() : '-';
  const appr = a.approvalsRequired > 1 || a.approvals.length ? `${a.approvals.length}/${a.approvalsRequired}` : '';
  return [a.id.padEnd(28), a.status.padEnd(17), a.kind.padEnd(16), terminalSafe(describeTarget(a.target)).slice(0, 44).padEnd(44), a.mode.padEnd(10), appr.padEnd(4), exp, terminalSafe(a.incidentId)].join(' ');
}

function show(a: ActionDoc): string {
  const l = [
    `${a.id}  ${a.kind} ${terminalSafe(describeTarget(a.target))}`,
    `  status    ${a.status} (${a.mode}); policy ${a.policy.name}@${a.policy.version} rule ${a.policy.rule}: ${terminalSafe(a.policy.reason)}`,
    `  incident  ${terminalSafe(a.incidentId)}${a.alsoFor.length ? ` (also ${a.alsoFor.map(terminalSafe).join(', ')})` : ''}; verdict ${a.verdict.verdict} ${Math.round(a.verdict.confidence * 100)}% by ${terminalSafe(a.verdict.by)}`,
    `  why       ${terminalSafe(a.why).split('\n')[0]}`,
    `  blast     ${a.blast.hosts} host(s), ${a.blast.users} user(s)${a.blast.addresses ? `, ${a.blast.addresses} address(es)` : ''}`,
    `  approvals ${a.approvals.length}/${a.approvalsRequired}${a.approvals.map((x) => `\n            ${terminalSafe(x.by)} ${new Date(x.at).toISOString()}: ${terminalSafe(x.reason)}`).join('')}`,
  ];
  if (a.expiresAt) l.push(`  expires   ${new Date(a.expiresAt).toISOString()}`);
  if (a.failure) l.push(`  failure   ${a.failure.code} (${a.failure.op}): ${terminalSafe(a.failure.message)}`);
  l.push('  history');
  for (const h of a.history) l.push(`    ${new Date(h.at).toISOString()} ${terminalSafe(h.by).padEnd(32)} ${h.what}${h.note ? `: ${terminalSafe(h.note)}` : ''}`);
  return l.join('\n') + '\n';
}

export function register(program: Command): void {
  const cmd = program.command('actions').description('Containment actions: approval queue, history, approve / reject / rollback / renew, kill switch');
  const common = (c: Command) =>
    c
      .option('--data <dir>', 'data directory holding garrison.db', './data')
      .option('--policy <file>', 'response policy (default: GARRISON_POLICY, <data>/policy.yaml, or the shipped default)')
      .option('--connectors <file>', 'connector configuration (default: GARRISON_CONNECTORS or <data>/connectors.yaml; none = dry run)')
      .option('--json', 'JSON output');
  common(cmd.command('list').description('List actions, newest first'))
    .option('--status <list>', `comma-separated: ${ACTION_STATUSES.join(', ')}`)
    .option('--pending', 'only actions waiting for approval')
    .option('--incident <id>', 'only actions of this incident')
    .option('--limit <n>', 'most actions shown', '100')
    .action(async (o: Common & { status?: string; pending?: boolean; incident?: string; limit: string }) => {
      const status = o.pending ? (['pending_approval'] as ActionStatus[]) : o.status?.split(',').map((s) => s.trim()) as ActionStatus[] | undefined;
      for (const s of status ?? []) if (!(ACTION_STATUSES as readonly string[]).includes(s)) throw new GarrisonError('BAD_REQUEST', `unknown status '${terminalSafe(s)}'`, { location: { field: 'status' } });
      const acts = await withResponder(o, (r) => r.list({ status, incident: o.incident, limit: Number(o.limit) || 100 }));
      if (o.json) for (const a of acts) process.stdout.write(JSON.stringify(a) + '\n');
      else {
        process.stdout.write(`${'ID'.padEnd(28)} ${'STATUS'.padEnd(17)} ${'KIND'.padEnd(16)} ${'TARGET'.padEnd(44)} ${'MODE'.padEnd(10)} APPR EXPIRES                  INCIDENT\n`);
        for (const a of acts) process.stdout.write(row(a) + '\n');
        process.stdout.write(`${acts.length} action(s)\n`);
      }
    });
  common(cmd.command('show').description('One action with its history').argument('<id>')).action(async (id: string, o: Common) => {
    const a = await withResponder(o, (r) => r.get(id));
    if (!a) throw new GarrisonError('NOT_FOUND', `no action ${terminalSafe(id)}`);
    process.stdout.write(o.json ? JSON.stringify(a, null, 2) + '\n' : show(a));
  });
  for (const op of ['approve', 'reject', 'rollback'] as const) {
    common(cmd.command(op).description(`${op[0]!.toUpperCase()}${op.slice(1)} an action (a reason is required)`).argument('<id>').requiredOption('--reason <text>', 'why (recorded in the audit log)')).action(
      async (id: string, o: Common & { reason: string }) => {
        const a = await withResponder(o, (r) => (op === 'approve' ? r.approve(id, actor(), o.reason) : op === 'reject' ? r.reject(id, actor(), o.reason) : r.rollback(id, actor(), o.reason)));
        process.stdout.write(o.json ? JSON.stringify(a) + '\n' : show(a));
        if (a.status === 'failed' || a.status === 'rollback_failed') process.exitCode = 1;
      },
    );
  }
  common(cmd.command('renew').description('Extend an active action').argument('<id>').requiredOption('--ttl <duration>', 'new time to live from now, e.g. 4h')).action(async (id: string, o: Common & { ttl: string }) => {
    const ms = parseDuration(o.ttl);
    if (ms === undefined) throw new GarrisonError('RESPOND_TTL_INVALID', `--ttl '${terminalSafe(o.ttl)}' is not a duration (e.g. 4h)`, { location: { field: 'ttl' } });
    const a = await withResponder(o, (r) => r.renew(id, actor(), ms));
    process.stdout.write(o.json ? JSON.stringify(a) + '\n' : show(a));
  });
  common(cmd.command('expire').description('Roll back every action whose TTL has passed (serve does this every 30 s)')).action(async (o: Common) => {
    const done = await withResponder(o, (r) => r.expireDue());
    for (const a of done) process.stdout.write((o.json ? JSON.stringify(a) : row(a)) + '\n');
    process.stdout.write(o.json ? '' : `${done.length} expired\n`);
  });
  common(cmd.command('connectors').description('Configured connectors and their health checks')).action(async (o: Common) => {
    const hs = await withResponder(o, async (r) => ({ dryRun: r.dryRun, list: await r.health() }));
    if (o.json) process.stdout.write(JSON.stringify(hs) + '\n');
    else {
      if (hs.list.length === 0) process.stdout.write('no connectors configured: actions are previewed only (dry run)\n');
      for (const h of hs.list) process.stdout.write(`${h.ok ? 'ok  ' : 'FAIL'} ${h.name.padEnd(16)} ${h.type.padEnd(9)} ${h.kinds.join(',').padEnd(40)} ${terminalSafe(h.detail)}\n`);
    }
    if (hs.list.some((h) => !h.ok)) process.exitCode = 1;
  });
  common(cmd.command('kill-switch').description('Show, or turn on/off, the global kill switch').argument('[state]', 'on | off').option('--reason <text>', 'why (required to change it)')).action(
    async (state: string | undefined, o: Common & { reason?: string }) => {
      if (state !== undefined && state !== 'on' && state !== 'off') throw new GarrisonError('BAD_REQUEST', 'the state is on or off', { location: { field: 'state' } });
      const s = await withResponder(o, (r) => (state === undefined ? r.killSwitchState() : r.killSwitch(state === 'on', actor(), o.reason ?? '')));
      process.stdout.write(o.json ? JSON.stringify(s) + '\n' : `kill switch ${s.on ? 'ON' : 'off'} (${s.source})${s.by ? ` by ${terminalSafe(s.by)}` : ''}${s.reason ? `: ${terminalSafe(s.reason)}` : ''}\n`);
    },
  );
}
