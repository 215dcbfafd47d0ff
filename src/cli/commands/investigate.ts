/**
 * `garrison investigate INCIDENT_ID [--json] [--data DIR] [--context FILE...]` — (re-)runs the investigation of an
 * incident over the embedded store and prints the ledger and the verdict (docs/investigation.md).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadContextFiles } from '../../correlate/context.js';
import { openSqliteStore } from '../../store/sqlite/store.js';
import { InvestigationService } from '../../investigate/service.js';
import { terminalSafe } from './search.js';

export function register(program: Command): void {
  program
    .command('investigate')
    .description('Investigate an incident: run the plan, store the ledger, compute and apply the verdict (docs/investigation.md)')
    .argument('<incident>', 'incident id')
    .option('--data <dir>', 'data directory holding garrison.db', process.env.GARRISON_DATA_DIR ?? './data')
    .option('--context <files...>', 'asset inventory / identity directory files (YAML or CSV, see docs/correlation.md)')
    .option('--json', 'print the investigation record as JSON')
    .action(async (id: string, o: { data: string; json?: boolean; context?: string[] }) => {
      const store = openSqliteStore({ file: path.join(o.data, 'garrison.db'), fts: 'off' });
      try {
        const context = o.context?.length ? loadContextFiles(o.context) : undefined;
        const r = await new InvestigationService({ store, context }).run(id);
        if (o.json) {
          process.stdout.write(JSON.stringify({ investigation: r.investigation, incident: { id: r.incident.id, status: r.incident.status, closeReason: r.incident.closeReason } }, null, 2) + '\n');
          return;
        }
        const v = r.verdict;
        const out: string[] = [];
        out.push(`incident ${terminalSafe(id)}: ${v.verdict.toUpperCase()} (confidence ${v.confidence}, score ${v.score}) → status ${r.incident.status}`);
        out.push(`investigation ${r.investigation.id}: ${r.investigation.cost.steps} steps, ${r.investigation.cost.queries} queries, ${r.investigation.cost.results} events read`);
        for (const s of r.investigation.ledger.steps) {
          out.push(`  [${s.status}] ${s.id} — ${terminalSafe(s.title)}${s.note ? ` (${terminalSafe(s.note)})` : ''}`);
          for (const e of s.evidence) out.push(`      ${e.id}  ${terminalSafe(e.title)}  [${e.eventIds.length} events]`);
        }
        out.push('factors:');
        for (const f of v.factors) out.push(`  ${(f.weight > 0 ? '+' : '') + f.weight}`.padEnd(9) + `${f.factor}: ${terminalSafe(f.detail)}`);
        if (v.wouldChange.length) out.push('would change the call:', ...v.wouldChange.map((w) => `  - ${terminalSafe(w)}`));
        if (r.incident.closeReason) out.push(`closed: ${terminalSafe(r.incident.closeReason)}`);
        process.stdout.write(out.join('\n') + '\n');
      } finally {
        await store.close();
      }
    });
}
