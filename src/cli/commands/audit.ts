/** `garrison audit verify` (recompute the hash chain) and `garrison audit list` on the embedded store. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { defaultStorePath, openSqliteStore } from '../../store/index.js';
import { terminalSafe } from './search.js';

function open(data: string) {
  const file = defaultStorePath(data);
  if (!existsSync(file)) throw new GarrisonError('NOT_FOUND', `no store at ${file} (pass --data DIR)`, { location: { file } });
  return openSqliteStore({ file, readonly: true });
}

export function register(program: Command): void {
  const cmd = program.command('audit').description('The hash-chained audit log');
  cmd
    .command('verify')
    .description('Recompute the hash chain; exit 1 and name the first broken entry if it was tampered with')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--json', 'JSON output')
    .action(async (o: { data: string; json?: boolean }) => {
      const store = open(o.data);
      try {
        const v = await store.verifyAudit();
        process.stdout.write(o.json ? JSON.stringify(v) + '\n' : v.ok ? `ok: ${v.entries} entries, chain intact\n` : `BROKEN at seq ${v.brokenAt}: entries from there on cannot be trusted (${v.entries} verified before it)\n`);
        if (!v.ok) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
  cmd
    .command('list')
    .description('Audit entries, oldest first')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--after <seq>', 'only entries after this sequence number', '0')
    .option('--target <id>', 'only entries about this target (action id, incident id ...)')
    .option('--limit <n>', 'most entries', '200')
    .option('--json', 'one JSON entry per line')
    .action(async (o: { data: string; after: string; target?: string; limit: string; json?: boolean }) => {
      if (!/^\d{1,15}$/.test(o.after) || !/^\d{1,6}$/.test(o.limit)) throw new GarrisonError('BAD_REQUEST', '--after and --limit are non-negative integers');
      const store = open(o.data);
      try {
        const es = await store.listAudit({ afterSeq: Number(o.after), limit: Number(o.limit), target: o.target });
        for (const e of es) {
          process.stdout.write(o.json ? JSON.stringify(e) + '\n' : `${String(e.seq).padStart(7)} ${new Date(e.time).toISOString()} ${terminalSafe(e.actor).padEnd(36)} ${e.action.padEnd(26)} ${terminalSafe(e.target ?? '-')}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
