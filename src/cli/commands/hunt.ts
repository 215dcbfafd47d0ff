/**
 * `garrison hunt --rule FILE | --query Q --from … --to …`: runs a Sigma rule (compiled, with its
 * correlations) or a search retroactively over stored events, streamed from the store in pages.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { parseTime } from '../../coverage/service.js';
import { hunt } from '../../detect/rules-tooling/hunt.js';
import { terminalSafe } from './search.js';
import { collect, openExistingStore } from './common.js';

export function register(program: Command): void {
  program
    .command('hunt')
    .description('run a Sigma rule (or a search) retroactively over stored events')
    .option('--rule <file>', 'Sigma rule file or directory (repeatable)', collect, [])
    .option('--query <q>', 'search-language query instead of a rule')
    .option('--from <time>', 'inclusive start: ISO 8601, ms epoch, or relative (-7d)')
    .option('--to <time>', 'exclusive end')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--limit <n>', 'stop after this many matches', '1000')
    .option('--with-builtin', 'also load the built-in pack (for correlations referencing its rules)')
    .option('--tenant <name>', 'only this tenant')
    .option('--json', 'print JSON (the matches, the queries that ran and counts)')
    .action(async (o: { rule: string[]; query?: string; from?: string; to?: string; data: string; limit: string; withBuiltin?: boolean; tenant?: string; json?: boolean }) => {
      if ((o.rule.length > 0) === (o.query !== undefined)) throw new GarrisonError('COVERAGE_OPTION_INVALID', 'give exactly one of --rule FILE or --query Q');
      for (const f of o.rule) if (!existsSync(f)) throw new GarrisonError('NOT_FOUND', `no such rule file: ${f}`, { location: { file: f } });
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--limit must be a positive integer, got '${o.limit}'`);
      const store = openExistingStore(o.data);
      try {
        const r = await hunt(store, {
          rules: o.rule.length ? o.rule : undefined,
          query: o.query,
          from: o.from !== undefined ? parseTime(o.from, 'from') : undefined,
          to: o.to !== undefined ? parseTime(o.to, 'to') : undefined,
          limit,
          tenant: o.tenant,
          withBuiltin: o.withBuiltin,
        });
        if (o.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
        } else {
          for (const m of r.matches) {
            const what = m.kind === 'query' ? '' : ` ${terminalSafe(m.title ?? m.ruleId ?? '')}`;
            const f = Object.entries(m.fields).slice(0, 4).map(([k, v]) => `${k}=${terminalSafe(String(v)).slice(0, 120)}`).join(' ');
            process.stdout.write(`${new Date(m.time).toISOString()} ${terminalSafe(m.host ?? '-')} ${terminalSafe(m.user ?? '-')}${what} ${m.eventId}${m.kind === 'sigma_correlation' ? ` (correlation over ${m.eventIds?.length ?? 0} events)` : ''} ${f}\n`);
          }
          for (const q of r.queries) process.stdout.write(`-- store query: ${terminalSafe(q.text) || '(all events)'}\n`);
          process.stdout.write(`${r.matches.length} match${r.matches.length === 1 ? '' : 'es'} in ${r.scanned} events scanned (${r.durationMs} ms)${r.truncated ? '; stopped at --limit' : ''}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
