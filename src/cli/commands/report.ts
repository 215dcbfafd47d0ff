/**
 * `garrison report`: the outcome report — attack surface (exposed services, hosts missing
 * telemetry, stale agents, privileged accounts and where they log on, accounts without MFA, with
 * deltas vs the previous daily snapshot) and the operating figures (MTTD/MTTI/MTTC, share resolved
 * without a person, analyst hours saved, coverage gaps per week). Logic in src/coverage/surface.ts.
 */
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { ContextIndex, contextFromOrg, loadContextFiles } from '../../correlate/context.js';
import { Simulation } from '../../sim/simulation.js';
import { renderOutcomeText, SurfaceService } from '../../coverage/surface.js';
import { collect, openExistingStore } from './common.js';

interface ReportOpts {
  data: string;
  from?: string;
  to?: string;
  window?: string;
  staleAfter?: string;
  context: string[];
  simOrg?: boolean;
  org?: string;
  seed: string;
  minutesPerIncident?: string;
  minutesPerAlert?: string;
  limit: string;
  save?: boolean;
  json?: boolean;
  tenant?: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Attack surface and outcome metrics: exposed services, hosts missing telemetry, stale agents, privileged logons, accounts without MFA (tracked daily), MTTD/MTTI/MTTC, automation share, analyst hours saved, coverage gaps per week')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--from <time>', 'start (ISO 8601, ms epoch, or -7d; default --to minus --window)')
    .option('--to <time>', 'end (ISO 8601 or ms epoch; default now)')
    .option('--window <d>', 'window length when --from is not given (default 7d)')
    .option('--stale-after <d>', 'a host silent in a source family for longer than this is a stale agent (default 24h)')
    .option('--context <file>', 'asset inventory / identity directory (YAML, JSON or CSV as for correlation; repeatable)', collect, [])
    .option('--sim-org', "use the simulator's organization as the context (hosts, accounts, admins), as `garrison demo` does")
    .option('--org <file>', 'with --sim-org: the organization model YAML given to `garrison simulate --org`')
    .option('--seed <n>', 'with --sim-org: the simulation seed', '1')
    .option('--minutes-per-incident <n>', 'analyst minutes saved per incident resolved without a person (default 30)')
    .option('--minutes-per-alert <n>', 'analyst minutes to triage one alert by hand (default 5)')
    .option('--limit <n>', 'rows per list in the text output', '20')
    .option('--save', "keep today's attack-surface snapshot in the store (deltas on later days)")
    .option('--tenant <name>', 'only this tenant')
    .option('--json', 'print the report as JSON')
    .action(async (o: ReportOpts) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--limit must be a non-negative integer, got '${o.limit}'`);
      const mpi = o.minutesPerIncident === undefined ? undefined : Number(o.minutesPerIncident);
      if (mpi !== undefined && !Number.isFinite(mpi)) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--minutes-per-incident must be a number, got '${o.minutesPerIncident}'`);
      const mpa = o.minutesPerAlert === undefined ? undefined : Number(o.minutesPerAlert);
      if (mpa !== undefined && !Number.isFinite(mpa)) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--minutes-per-alert must be a number, got '${o.minutesPerAlert}'`);
      let context: ContextIndex | undefined = o.context.length ? loadContextFiles(o.context) : undefined;
      if (o.simOrg) {
        const org = contextFromOrg(new Simulation({ seed: Number(o.seed), orgFile: o.org, hours: 1 }).org);
        context = context ? new ContextIndex({ assets: [...context.assets, ...org.assets], identities: [...context.identities, ...org.identities] }) : org;
      }
      const store = openExistingStore(o.data, !o.save);
      try {
        const r = await new SurfaceService(store, { context }).report({ from: o.from, to: o.to, window: o.window, staleAfter: o.staleAfter, tenant: o.tenant, minutesPerIncident: mpi, minutesPerAlert: mpa, save: o.save });
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : renderOutcomeText(r, limit));
      } finally {
        await store.close();
      }
    });
}
