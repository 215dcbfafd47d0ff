/**
 * `garrison intel load FILE... | list | lookup VALUE | pull URL` — indicator feeds in the store
 * (docs/intel.md).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { openSqliteStore } from '../../store/sqlite/store.js';
import type { Store } from '../../store/port.js';
import { feedRecordId, listFeeds, loadFeedFile, loadIntelIndex, saveFeed } from '../../intel/feeds.js';
import { loadStixBundle } from '../../intel/stix.js';
import { TaxiiClient } from '../../intel/taxii.js';
import { terminalSafe } from './search.js';

async function withStore<T>(data: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ file: path.join(data, 'garrison.db'), fts: 'off' });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  const intel = program.command('intel').description('Threat-intelligence indicator feeds: STIX 2.1, MISP, CSV, TAXII 2.1 (docs/intel.md)');
  const data = (c: Command) => c.option('--data <dir>', 'data directory holding garrison.db', process.env.GARRISON_DATA_DIR ?? './data');
  data(intel.command('load').description('Load feed files (format from extension or content); replaces feeds of the same source').argument('<files...>').option('--format <f>', 'stix | misp | csv').option('--source <name>', 'feed name (default: file name; one file only)').option('--ttl-days <n>', 'MISP: expiry after the attribute timestamp').option('--json'))
    .action(async (files: string[], o: { data: string; format?: 'stix' | 'misp' | 'csv'; source?: string; ttlDays?: string; json?: boolean }) => {
      if (o.source && files.length > 1) throw new GarrisonError('BAD_REQUEST', '--source names one feed: give one file', { location: { field: 'source' } });
      await withStore(o.data, async (store) => {
        let bad = 0;
        for (const f of files) {
          const load = loadFeedFile(f, { format: o.format, source: o.source, misp: { ttlDays: o.ttlDays ? Number(o.ttlDays) : undefined } });
          await saveFeed(store, load, { origin: path.resolve(f) });
          bad += load.problems.length;
          if (o.json) process.stdout.write(JSON.stringify({ file: f, source: load.source, format: load.format, indicators: load.indicators.length, skipped: load.skipped, problems: load.problems }) + '\n');
          else {
            process.stdout.write(`${terminalSafe(f)}: ${load.indicators.length} indicators (${load.format}, source ${terminalSafe(load.source)}), ${load.skipped} skipped, ${load.problems.length} problems\n`);
            for (const p of load.problems.slice(0, 20)) process.stderr.write(`  ${terminalSafe(p.where)}: ${p.code} ${terminalSafe(p.message)}\n`);
          }
        }
        if (bad) process.exitCode = 2;
      });
    });
  data(intel.command('list').description('Feeds in the store').option('--json')).action(async (o: { data: string; json?: boolean }) => {
    await withStore(o.data, async (store) => {
      const feeds = await listFeeds(store);
      if (o.json) process.stdout.write(JSON.stringify(feeds.map((f) => ({ id: f.id, source: f.doc.source, format: f.doc.format, indicators: f.doc.indicators.length, problems: f.doc.problems.length, origin: f.doc.origin, checkpoint: f.doc.checkpoint }))) + '\n');
      else for (const f of feeds) process.stdout.write(`${terminalSafe(f.doc.source).padEnd(32)} ${f.doc.format.padEnd(5)} ${String(f.doc.indicators.length).padStart(8)} indicators  ${terminalSafe(f.doc.origin)}\n`);
    });
  });
  data(intel.command('lookup').description('Look a value up (IP, domain, URL, hash)').argument('<value>').option('--at <ms>', 'validity time (ms epoch); default: ignore validity').option('--json')).action(
    async (value: string, o: { data: string; at?: string; json?: boolean }) => {
      await withStore(o.data, async (store) => {
        const idx = await loadIntelIndex(store);
        const m = idx.lookup(value, { at: o.at ? Number(o.at) : undefined });
        if (o.json) process.stdout.write(JSON.stringify(m) + '\n');
        else if (!m.length) process.stdout.write(`${terminalSafe(value)}: no match in ${idx.size} indicators\n`);
        else for (const x of m) process.stdout.write(`${terminalSafe(value)}: ${x.how} match on ${x.indicator.type} ${terminalSafe(x.indicator.value)} (${terminalSafe(x.indicator.source)}, confidence ${x.indicator.confidence}${x.indicator.tags.length ? `, ${terminalSafe(x.indicator.tags.join(', '))}` : ''})\n`);
        if (!m.length) process.exitCode = 1;
      });
    },
  );
  data(
    intel
      .command('pull')
      .description('Pull a TAXII 2.1 collection into a feed (continues from the stored added_after checkpoint)')
      .argument('<url>', 'API root URL')
      .requiredOption('--collection <id>')
      .option('--user <name>')
      .option('--password-env <VAR>', 'environment variable holding the password')
      .option('--token-env <VAR>', 'environment variable holding a bearer token'),
  ).action(async (url: string, o: { data: string; collection: string; user?: string; passwordEnv?: string; tokenEnv?: string }) => {
    const client = new TaxiiClient({ url, username: o.user, password: o.passwordEnv ? process.env[o.passwordEnv] : undefined, token: o.tokenEnv ? process.env[o.tokenEnv] : undefined });
    const source = `taxii:${o.collection}`;
    await withStore(o.data, async (store) => {
      const prev = await store.getRecord<{ checkpoint?: string; indicators: unknown[] }>('intel', feedRecordId(source));
      const pull = await client.pull(url, o.collection, { addedAfter: prev?.doc.checkpoint });
      const load = loadStixBundle({ type: 'bundle', objects: pull.objects }, source);
      const all = [...((prev?.doc.indicators as typeof load.indicators) ?? []), ...load.indicators];
      const merged = { ...load, indicators: [...new Map(all.map((i) => [i.id, i])).values()] };
      await saveFeed(store, merged, { origin: url, checkpoint: pull.checkpoint });
      process.stdout.write(`${source}: ${pull.objects.length} objects in ${pull.pages} pages, ${load.indicators.length} new indicators${pull.truncated ? ' (stopped at the page limit; run again)' : ''}\n`);
    });
  });
}
