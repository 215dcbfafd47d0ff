/**
 * `garrison search "QUERY"`: runs a hunter query (docs/search.md) over the embedded store.
 * Opens the store read-only, so it works beside a running `garrison serve`.
 */
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import { openExistingStore } from './common.js';
import { parseTimeValue } from '../../store/query/compile.js';

interface SearchCliOptions {
  data: string;
  from?: string;
  to?: string;
  limit: string;
  json?: boolean;
  explain?: boolean;
  asc?: boolean;
  tenant?: string;
}

function timeOpt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = parseTimeValue(v);
  if (t === undefined) {
    throw new GarrisonError('BAD_REQUEST', `--${name} '${v}' is not a time (ISO 8601, ms epoch, or -15m/-24h/-7d)`, { location: { field: name } });
  }
  return t;
}

/** Event data is attacker-written: never let it drive the terminal (escape sequences, newlines). */
export function terminalSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => (c === '\t' || c === '\n' || c === '\r' ? ' ' : '\uFFFD'));
}

function cell(s: string | undefined, width: number): string {
  const v = terminalSafe(s ?? '-');
  return v.length > width ? v.slice(0, width - 1) + '…' : v.padEnd(width);
}

export function formatTable(events: GarrisonEvent[], columns = process.stdout.columns || 160): string {
  const head = `${'TIME'.padEnd(24)} ${'HOST'.padEnd(20)} ${'USER'.padEnd(14)} ${'CLASS'.padEnd(18)} ${'CODE'.padEnd(6)} RAW`;
  const rawWidth = Math.max(20, columns - 24 - 20 - 14 - 18 - 6 - 5);
  const lines = [head];
  for (const e of events) {
    lines.push(
      [
        cell(new Date(e.time).toISOString(), 24),
        cell(e.entities.host, 20),
        cell(e.entities.user, 14),
        cell(e.class.name, 18),
        cell(e.source.eventCode, 6),
        cell(e.raw, rawWidth).trimEnd(),
      ].join(' '),
    );
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('search')
    .description('Search stored events with the hunter query language (see docs/search.md)')
    .argument('<query>', 'query, e.g. \'host:ws01* AND "invoke-mimikatz"\' (empty string = everything)')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--from <time>', 'inclusive start: ISO 8601, ms epoch, or relative (-24h)')
    .option('--to <time>', 'exclusive end: ISO 8601, ms epoch, or relative')
    .option('--limit <n>', 'maximum number of events', '100')
    .option('--tenant <name>', 'only this tenant')
    .option('--asc', 'oldest first (default newest first)')
    .option('--json', 'one JSON event per line')
    .option('--explain', 'print the compiled SQL and its parameters (to stderr with --json)')
    .action(async (query: string, o: SearchCliOptions) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new GarrisonError('BAD_REQUEST', `--limit must be a positive integer (got '${o.limit}')`, { location: { field: 'limit' } });
      const store = openExistingStore(o.data);
      // `garrison search … | head` closes the pipe early: stop quietly instead of crashing.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
      try {
        const r = await store.search(query, { from: timeOpt('from', o.from), to: timeOpt('to', o.to), limit, tenant: o.tenant, order: o.asc ? 'asc' : 'desc' });
        if (o.explain) {
          const text = `-- query: ${terminalSafe(query)}\n${r.query.sql}\n-- params: ${terminalSafe(JSON.stringify(r.query.params))}\n`;
          (o.json ? process.stderr : process.stdout).write(text);
        }
        if (o.json) {
          for (const e of r.events) process.stdout.write(JSON.stringify(e) + '\n');
        } else {
          process.stdout.write(formatTable(r.events));
          process.stdout.write(`${r.events.length} event${r.events.length === 1 ? '' : 's'}${r.nextCursor ? ` (more: raise --limit or narrow --from/--to)` : ''}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
