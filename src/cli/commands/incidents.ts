/**
 * `garrison incidents [list|show ID]`: incidents from the embedded store (read-only, so it works
 * beside a running `garrison serve`). Everything printed from incidents is attacker-influenced
 * text: control characters are neutralised.
 */
import type { Command } from 'commander';
import type { Incident } from '../../core/incident.js';
import { IncidentsService, type IncidentSummary } from '../../correlate/service.js';
import { terminalSafe } from './search.js';
import { openExistingStore } from './common.js';

interface IncidentsCliOptions {
  data: string;
  json?: boolean;
  status?: string;
  severity?: string;
  host?: string;
  user?: string;
  tactic?: string;
  since?: string;
  limit: string;
  tenant?: string;
}

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString().replace('.000Z', 'Z') : '-');
const cell = (s: string, w: number): string => {
  const v = terminalSafe(s);
  return v.length > w ? v.slice(0, w - 1) + '…' : v.padEnd(w);
};

export function formatIncidentList(list: IncidentSummary[]): string {
  const lines = [`${'ID'.padEnd(28)} ${'STATUS'.padEnd(12)} ${'SEVERITY'.padEnd(13)} ${'SCORE'.padStart(5)} ${'SIGNALS'.padStart(7)}  ${'LAST SEEN'.padEnd(20)} TITLE`];
  for (const i of list) lines.push(`${cell(i.id, 28)} ${cell(i.status, 12)} ${cell(i.severity, 13)} ${String(i.score).padStart(5)} ${String(i.signals).padStart(7)}  ${cell(iso(i.lastSeen), 20)} ${terminalSafe(i.title)}`);
  lines.push(`${list.length} incident${list.length === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

export function formatIncident(i: Incident, signals: { id: string; time: number; level: string; title: string }[]): string {
  const out: string[] = [];
  out.push(`${terminalSafe(i.title)}`);
  out.push(`id ${i.id}  status ${i.status}  severity ${i.severity}  score ${i.score}  confidence ${i.confidence}  revision ${i.revision}`);
  if (i.mergedFrom.length) out.push(`merged from: ${i.mergedFrom.join(', ')}`);
  if (i.splitFrom) out.push(`split from: ${i.splitFrom}`);
  out.push(`${iso(i.firstSeen)} → ${iso(i.lastSeen)}`);
  out.push('', terminalSafe(i.summary), '', 'Timeline:');
  for (const s of i.stages) out.push(`  ${iso(s.first)}  ${s.tacticName.padEnd(22)} ${s.techniques.join(',').padEnd(24)} ${terminalSafe(s.summary)}`);
  out.push('', 'Entities:');
  for (const e of i.entities.slice(0, 60)) {
    const ctx = e.context ? ' ' + terminalSafe(Object.entries(e.context).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(' ')) : '';
    out.push(`  ${e.kind.padEnd(8)} ${terminalSafe(e.display ?? e.value)}${e.role ? ` (${e.role})` : ''}${ctx}`);
  }
  if (i.entities.length > 60) out.push(`  … ${i.entities.length - 60} more`);
  out.push('', `ATT&CK: ${i.attack.tactics.join(', ') || '-'} / ${i.attack.techniques.join(', ') || '-'}`, '', 'Scoring:');
  for (const f of i.scoring) out.push(`  ${(f.weight >= 0 ? '+' : '') + f.weight}`.padEnd(8) + ` ${f.factor.padEnd(20)} ${terminalSafe(f.detail)}`);
  out.push('', `Signals (${signals.length}):`);
  for (const s of signals.slice(0, 200)) out.push(`  ${iso(s.time)}  ${cell(s.level, 13)} ${s.id}  ${terminalSafe(s.title)}`);
  if (signals.length > 200) out.push(`  … ${signals.length - 200} more (use --json)`);
  return out.join('\n') + '\n';
}

export function register(program: Command): void {
  const cmd = program.command('incidents').description('List and show incidents (correlated signals); see docs/correlation.md');
  const common = (c: Command): Command => c.option('--data <dir>', 'data directory holding garrison.db', './data').option('--json', 'JSON output').option('--tenant <name>', 'only this tenant');
  const list = async (o: IncidentsCliOptions): Promise<void> => {
    const f = IncidentsService.parseFilter({ status: o.status, severity: o.severity, host: o.host, user: o.user, tactic: o.tactic, since: o.since, limit: o.limit, tenant: o.tenant });
    const store = openExistingStore(o.data);
    try {
      const r = await new IncidentsService(store).list(f);
      process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatIncidentList(r));
    } finally {
      await store.close();
    }
  };
  const listOpts = (c: Command): Command =>
    common(c)
      .option('--status <list>', 'comma-separated statuses (new, needs_review, contained, closed)')
      .option('--severity <level>', 'minimum severity')
      .option('--host <name>', 'involving this host')
      .option('--user <name>', 'involving this account')
      .option('--tactic <t>', 'ATT&CK tactic id or name')
      .option('--since <time>', 'updated at or after (ms epoch or ISO 8601)')
      .option('--limit <n>', 'maximum number of incidents', '50');
  listOpts(cmd.command('list', { isDefault: true }).description('List incidents: needing a person first, then by score (the default)')).action(list);
  common(cmd.command('show').description('Show one incident: timeline, entities, ATT&CK, scoring, signals').argument('<id>', 'incident id'))
    .action(async (id: string, o: IncidentsCliOptions) => {
      const store = openExistingStore(o.data);
      try {
        const r = await new IncidentsService(store).get(id, o.tenant);
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : (r.resolvedFrom ? `(${terminalSafe(r.resolvedFrom)} was merged into ${r.incident.id})\n` : '') + formatIncident(r.incident, r.signals));
      } finally {
        await store.close();
      }
    });
}
