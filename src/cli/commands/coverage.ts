/**
 * `garrison coverage`: ATT&CK coverage that accounts for data (report, Navigator layer, gaps) and
 * `garrison coverage metrics`: the SOC operating figures. Logic in src/coverage.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { CoverageService } from '../../coverage/service.js';
import { renderMarkdown } from '../../coverage/report.js';
import { toNavigatorLayer } from '../../coverage/navigator.js';
import { replayCampaigns, saveReplay } from '../../coverage/validation.js';
import { saveSnapshot } from '../../coverage/metrics.js';
import { loadWeightsFile } from '../../coverage/weights.js';
import { collect, openExistingStore } from './common.js';

interface CovOpts {
  data: string;
  window: string;
  until?: string;
  staleAfter?: string;
  exclude: string[];
  models?: string;
  rules: string[];
  builtin: boolean;
  navigator?: string;
  json?: boolean;
  weights?: string;
  gaps: string;
  all?: boolean;
  save?: boolean;
  replay?: boolean;
  seed: string;
  hours: string;
  tenant?: string;
}

export function register(program: Command): void {
  const cov = program
    .command('coverage')
    .description('ATT&CK coverage that accounts for data: covered, covered-but-blind, data-without-detection, uncovered; gaps ranked with next steps')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--window <d>', 'window length ending at --until (7d, 24h ...)', '7d')
    .option('--until <time>', 'end of the window (ISO 8601, ms epoch; default now)')
    .option('--stale-after <d>', 'telemetry whose last event is older than this is stale (default 24h)')
    .option('--exclude <filter>', 'treat a source as switched off, e.g. product=windows,service=sysmon (repeatable)', collect, [])
    .option('--models <list>', 'baseline models in operation (comma-separated, or none; default all)')
    .option('--rules <dir>', 'rule directory besides the built-in pack (repeatable)', collect, [])
    .option('--no-builtin', 'without the built-in rule pack')
    .option('--navigator <file>', 'write the ATT&CK Navigator layer (format 4.5) to FILE')
    .option('--weights <file>', 'technique weights (threat intel) and asset criticality (YAML/JSON)')
    .option('--gaps <n>', 'how many ranked gaps to show', '25')
    .option('--all', 'list every technique (and unweighted gaps)')
    .option('--save', 'keep a snapshot of this coverage in the store (gaps closed over time)')
    .option('--replay', 'first replay the simulator campaigns through the rules and keep the result as validation')
    .option('--seed <n>', 'replay seed', '1')
    .option('--hours <n>', 'replay length in hours', '24')
    .option('--tenant <name>', 'only this tenant')
    .option('--json', 'print the report and gaps as JSON')
    .action(async (o: CovOpts) => {
      const gapsN = Number(o.gaps);
      if (!Number.isInteger(gapsN) || gapsN < 0) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--gaps must be a non-negative integer, got '${o.gaps}'`);
      const weights = o.weights ? loadWeightsFile(o.weights) : undefined;
      const store = openExistingStore(o.data, !(o.save || o.replay));
      try {
        const svc = new CoverageService(store, { rulePaths: o.rules, builtin: o.builtin, weights });
        if (o.replay) {
          const r = replayCampaigns({ seed: Number(o.seed), hours: Number(o.hours), rulePaths: o.rules, builtin: o.builtin });
          await saveReplay(store, r);
          process.stderr.write(`replayed ${r.records} simulated records (seed ${r.seed}, ${r.hours} h): ${r.techniques.filter((t) => t.detectors.length).length}/${r.techniques.length} campaign techniques detected\n`);
        }
        const q = { window: o.window, until: o.until, staleAfter: o.staleAfter, exclude: o.exclude.join(';') || undefined, models: o.models, tenant: o.tenant };
        const report = await svc.coverage(q);
        const { gaps } = await svc.gaps({ ...q, limit: gapsN, all: o.all }, report);
        if (o.navigator) {
          writeFileSync(o.navigator, JSON.stringify(toNavigatorLayer(report), null, 2) + '\n');
          process.stderr.write(`wrote ATT&CK Navigator layer (format 4.5) to ${o.navigator}\n`);
        }
        if (o.save) {
          const s = await saveSnapshot(store, report);
          process.stderr.write(`saved coverage snapshot at ${new Date(s.at).toISOString()} (${s.covered.length} covered)\n`);
        }
        if (o.json) process.stdout.write(JSON.stringify({ ...report, gaps }) + '\n');
        else process.stdout.write(renderMarkdown(report, gaps, { allTechniques: o.all }));
      } finally {
        await store.close();
      }
    });

  cov
    .command('metrics')
    .description('SOC operating figures: time to detect/investigate/contain/resolve, share resolved without a person, analyst hours saved, coverage gaps closed per week')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--window <d>', 'window length ending at --until', '30d')
    .option('--until <time>', 'end of the window (default now)')
    .option('--minutes-per-incident <n>', 'analyst minutes an incident resolved without a person saves (stated assumption)', '30')
    .option('--tenant <name>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (o: { data: string; window: string; until?: string; minutesPerIncident: string; tenant?: string; json?: boolean }) => {
      // `coverage` defines the same options: values given on the command line land there.
      for (const k of ['data', 'window', 'until', 'tenant', 'json'] as const) if (cov.getOptionValueSource(k) === 'cli') (o as Record<string, unknown>)[k] = cov.getOptionValue(k);
      const store = openExistingStore(o.data, true);
      try {
        const m = await new CoverageService(store).soc({ window: o.window, until: o.until, tenant: o.tenant, minutesPerIncident: Number(o.minutesPerIncident), withCoverage: false });
        if (o.json) {
          process.stdout.write(JSON.stringify(m) + '\n');
          return;
        }
        const d = (x: { n: number; meanMs?: number; medianMs?: number }) => (x.n ? `mean ${fmt(x.meanMs!)}, median ${fmt(x.medianMs!)} (${x.n})` : 'no data');
        const lines = [
          `incidents: ${m.incidents.total} (${Object.entries(m.incidents.byStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
          `time to detect:      ${d(m.timeToDetect)}`,
          `time to investigate: ${d(m.timeToInvestigate)}`,
          `time to contain:     ${d(m.timeToContain)}`,
          `time to resolve:     ${d(m.timeToResolve)}`,
          `resolved without a person: ${m.resolvedWithoutPerson.count}${m.resolvedWithoutPerson.share !== undefined ? ` (${Math.round(m.resolvedWithoutPerson.share * 100)}%)` : ''}; auto-closed benign ${m.autoClosedBenign}`,
          `analyst hours saved: ${m.analystHoursSaved.hours} (assumption: ${m.analystHoursSaved.assumption})`,
          `coverage snapshots: ${m.coverage.snapshots}${m.coverage.latest ? `; latest: ${m.coverage.latest.covered} covered, ${m.coverage.latest['covered-but-blind']} blind` : ''}`,
          ...m.coverage.perWeek.map((w) => `  ${w.week}: ${w.closed} gaps closed, ${w.opened} opened, ${w.covered} covered`),
          ...m.notes.map((n) => `note: ${n}`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        await store.close();
      }
    });
}

function fmt(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
