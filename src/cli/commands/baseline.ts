/**
 * `garrison baseline …` — behavioural baselines (docs/baselines.md).
 *
 *   garrison baseline train --from T --to T [--data DIR] [--config FILE] [--tenant T] [--fresh]
 *                           [--signals] [--store-signals] [--json]
 *       warm the models up from stored history (events with from ≤ time < to, oldest first),
 *       then save the state in the store; optionally print / store the anomalies raised
 *   garrison baseline export FILE [--data DIR]      write the saved state to a file
 *   garrison baseline import FILE [--data DIR] [--config FILE]
 *       validate a file and make it the saved state (nothing changes when it is invalid)
 *   garrison baseline mark-benign PATTERN --by WHO [--reason TEXT] [--factor F] [--data DIR]
 *       analyst feedback: lower the future score of anomalies matching PATTERN (audited)
 *   garrison baseline sync-feedback [--since T] [--data DIR] [--json]
 *       apply analysts' verdicts on incidents (stored feedback records) to the saved state
 *   garrison baseline status [--data DIR] [--json]  entities per model, feedback, audit trail
 */
import path from 'node:path';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { BaselineStage } from '../../baseline/stage.js';
import { loadBaselineConfigFile } from '../../baseline/config.js';
import { syncAnalystFeedback } from '../../baseline/feedback.js';
import { exportFile, importFile, loadFromStore, parseTime, saveToStore, train } from '../../baseline/persist.js';
import { openSqliteStore } from '../../store/sqlite/store.js';
import type { Store } from '../../store/port.js';

interface Common {
  data: string;
  config?: string;
  json?: boolean;
}

function dataOption(c: Command): Command {
  return c.option('--data <dir>', 'data directory (store at <dir>/garrison.db); env GARRISON_DATA_DIR', process.env.GARRISON_DATA_DIR ?? './data');
}

async function withStore<T>(dataDir: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ file: path.join(dataDir, 'garrison.db'), fts: 'off' });
  await store.init();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function makeStage(config?: string): BaselineStage {
  return new BaselineStage(config ? loadBaselineConfigFile(config) : {});
}

/** The stage with the state saved in the store (fresh when none was saved). */
async function loadStage(store: Store, config?: string): Promise<{ stage: BaselineStage; loaded: boolean }> {
  const stage = makeStage(config);
  const loaded = await loadFromStore(store, stage);
  return { stage, loaded };
}

const out = (s: string) => process.stdout.write(s + '\n');

export function register(program: Command): void {
  const cmd = program.command('baseline').description('behavioural baselines: train from stored history, export/import state, analyst feedback');

  dataOption(
    cmd
      .command('train')
      .description('warm the models up from stored events (from ≤ time < to), then save the state in the store')
      .requiredOption('--from <time>', 'start (ISO-8601 or epoch ms), inclusive')
      .requiredOption('--to <time>', 'end (ISO-8601 or epoch ms), exclusive')
      .option('--config <file>', 'baseline configuration (YAML)')
      .option('--tenant <tenant>', 'only this tenant')
      .option('--fresh', 'start from empty models instead of the saved state')
      .option('--signals', 'print the anomaly signals raised while training (one JSON object per line)')
      .option('--store-signals', 'append the anomaly signals raised while training to the store')
      .option('--json', 'print the result as JSON'),
  ).action(async (o: Common & { from: string; to: string; tenant?: string; fresh?: boolean; signals?: boolean; storeSignals?: boolean }) => {
    const from = parseTime(o.from, '--from');
    const to = parseTime(o.to, '--to');
    if (!(from < to)) throw new GarrisonError('BASELINE_RANGE_INVALID', `--from (${o.from}) must be before --to (${o.to})`, { location: { field: '--from' } });
    await withStore(o.data, async (store) => {
      const { stage, loaded } = o.fresh ? { stage: makeStage(o.config), loaded: false } : await loadStage(store, o.config);
      const t0 = performance.now();
      const res = await train(store, stage, {
        from,
        to,
        tenant: o.tenant,
        onSignals: async (sig) => {
          if (o.signals)
            for (const x of sig)
              out(JSON.stringify({ time: new Date(x.time).toISOString(), detector: x.detector, score: x.score, level: x.level, title: x.title, why: x.details.why, attack: x.attack.techniques, pattern: x.details.pattern, eventIds: x.eventIds }));
          if (o.storeSignals) await store.appendSignals(sig);
        },
      });
      const secs = (performance.now() - t0) / 1000;
      const bytes = await saveToStore(store, stage);
      const summary = {
        ...res,
        fromIso: new Date(from).toISOString(),
        toIso: new Date(to).toISOString(),
        resumedFromSavedState: loaded,
        seconds: Math.round(secs * 100) / 100,
        eventsPerSecond: secs > 0 ? Math.round(res.events / secs) : 0,
        stateBytes: bytes,
        entities: stage.entityCounts(),
        perModel: stage.stats.perModel,
      };
      if (o.json) out(JSON.stringify(summary, null, 2));
      else {
        out(`trained on ${res.events} events from ${summary.fromIso} to ${summary.toIso} in ${summary.seconds} s (${summary.eventsPerSecond} events/s)${loaded ? ', continuing the saved state' : ''}`);
        out(`anomaly signals while training: ${res.signals}${o.storeSignals ? ' (stored)' : ''}; per model: ${Object.entries(stage.stats.perModel).map(([k, v]) => `${k} ${v.signals}`).join(', ')}`);
        out(`entities: ${Object.entries(summary.entities).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        out(`state saved in the store (${bytes} bytes)`);
      }
    });
  });

  dataOption(cmd.command('export').description('write the saved baseline state to FILE').argument('<file>', 'output file (JSON)')).action(
    async (file: string, o: Common) => {
      await withStore(o.data, async (store) => {
        const { stage, loaded } = await loadStage(store);
        if (!loaded) throw new GarrisonError('NOT_FOUND', `no baseline state saved in ${o.data} yet: run \`garrison baseline train\` first`);
        const bytes = exportFile(stage, file);
        out(`exported baseline state to ${file} (${bytes} bytes)`);
      });
    },
  );

  dataOption(
    cmd
      .command('import')
      .description('validate FILE and make it the saved baseline state (replaces it; the import is added to the audit trail)')
      .argument('<file>', 'a file written by `baseline export`')
      .option('--by <who>', 'who imports it (audit trail)', process.env.USER ?? 'unknown')
      .option('--config <file>', 'baseline configuration (YAML)'),
  ).action(async (file: string, o: Common & { by: string }) => {
    const stage = makeStage(o.config);
    importFile(stage, file); // throws with every problem listed; the store is untouched then
    stage.recordAudit({ action: 'import', by: o.by, reason: `imported ${path.resolve(file)}` });
    await withStore(o.data, async (store) => {
      const bytes = await saveToStore(store, stage);
      await store.appendAudit({ actor: `user:${o.by}`, action: 'baseline.import', target: path.resolve(file), doc: { entities: stage.entityCounts(), bytes } });
      out(`imported ${file}: ${Object.entries(stage.entityCounts()).map(([k, v]) => `${k} ${v}`).join(', ')} (${bytes} bytes saved)`);
    });
  });

  dataOption(
    cmd
      .command('mark-benign')
      .description('analyst feedback: lower the future score of anomalies whose pattern matches (glob, * and ?)')
      .argument('<pattern>', 'anomaly pattern, e.g. "rarity.first_seen_process host=ws-1 image=*backup.exe"')
      .requiredOption('--by <who>', 'who marks it (audit trail)')
      .option('--reason <text>', 'why (audit trail)', '')
      .option('--factor <f>', 'score multiplier 0..1 (default from config, 0.5)')
      .option('--config <file>', 'baseline configuration (YAML)'),
  ).action(async (pattern: string, o: Common & { by: string; reason: string; factor?: string }) => {
    const factor = o.factor === undefined ? undefined : Number(o.factor);
    if (factor !== undefined && !(factor >= 0 && factor <= 1)) throw new GarrisonError('BAD_REQUEST', '--factor must be a number from 0 to 1', { location: { field: '--factor' } });
    await withStore(o.data, async (store) => {
      const { stage } = await loadStage(store, o.config);
      const e = stage.markBenign(pattern, { by: o.by, reason: o.reason, factor });
      await saveToStore(store, stage);
      await store.appendAudit({ actor: `user:${o.by}`, action: 'baseline.mark_benign', target: e.pattern, doc: { factor: e.factor, reason: e.reason } });
      out(`marked benign: ${e.pattern} (factor ${e.factor}, by ${e.by})`);
    });
  });

  dataOption(
    cmd
      .command('sync-feedback')
      .description("apply analysts' verdicts on incidents (stored feedback) to the saved state: benign incidents lower their anomaly patterns' future score, a later non-benign verdict takes it back (audited)")
      .option('--since <time>', 'only feedback updated at or after this time (ISO-8601 or epoch ms); default: all')
      .option('--config <file>', 'baseline configuration (YAML)')
      .option('--json', 'print the result as JSON'),
  ).action(async (o: Common & { since?: string }) => {
    const since = o.since === undefined ? undefined : parseTime(o.since, '--since');
    await withStore(o.data, async (store) => {
      const { stage } = await loadStage(store, o.config);
      const r = await syncAnalystFeedback(store, stage, { since });
      await saveToStore(store, stage);
      if (o.json) out(JSON.stringify({ read: r.read, marked: r.marked, unmarked: r.unmarked, problems: r.problems.map((p) => p.toJSON()), cursor: r.cursor }, null, 2));
      else {
        out(`read ${r.read} feedback records: ${r.marked.length} patterns marked benign, ${r.unmarked.length} marks taken back`);
        for (const m of r.marked) out(`marked: ${m.pattern} (incident ${m.incidentId}, by ${m.by})`);
        for (const m of r.unmarked) out(`taken back: ${m.pattern} (incident ${m.incidentId}, by ${m.by})`);
        for (const p of r.problems) out(`problem: ${p.code} ${p.message}`);
      }
    });
  });

  dataOption(cmd.command('status').description('entities per model, feedback and audit trail of the saved state').option('--json', 'JSON output')).action(
    async (o: Common) => {
      await withStore(o.data, async (store) => {
        const { stage, loaded } = await loadStage(store);
        const s = { saved: loaded, watermark: stage.time ? new Date(stage.time).toISOString() : null, entities: stage.entityCounts(), feedback: stage.feedbackEntries(), audit: stage.audit() };
        if (o.json) out(JSON.stringify(s, null, 2));
        else {
          out(loaded ? `baseline state up to ${s.watermark}` : 'no baseline state saved yet');
          out(`entities: ${Object.entries(s.entities).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
          for (const a of s.audit) out(`audit: ${new Date(a.at).toISOString()} ${a.action} ${a.pattern ?? ''} by ${a.by}${a.reason ? ` (${a.reason})` : ''}`);
        }
      });
    },
  );
}
