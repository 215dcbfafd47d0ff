/**
 * `garrison policy validate FILE` — checks a response policy, listing every problem as file:line.
 * `garrison policy test POLICY --data DIR | --incidents FILE` — replays recorded incidents and
 * their verdicts through the policy (real planner, guards, rate limits, TTLs; in-memory connectors)
 * and shows what it would have done for each.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import type { Incident, IncidentVerdict } from '../../core/incident.js';
import { checkPolicy, DEFAULT_POLICY_PATH, loadPolicyFile, policyLabel } from '../../respond/policy/load.js';
import { simulatePolicy, type PolicySimulation } from '../../respond/policy/simulate.js';
import { formatDuration } from '../../respond/policy/schema.js';
import { defaultStorePath, openSqliteStore } from '../../store/index.js';
import { terminalSafe } from './search.js';

type Item = { incident: Incident; verdict: IncidentVerdict };

function fromIncidents(list: unknown[], useAnalyst: boolean, file: string): Item[] {
  const out: Item[] = [];
  list.forEach((x, i) => {
    const o = x as { incident?: Incident; verdict?: IncidentVerdict } & Incident;
    const inc: Incident | undefined = o.incident ?? (typeof o.id === 'string' && Array.isArray(o.entities) ? o : undefined);
    if (!inc || !Array.isArray(inc.entities)) throw new GarrisonError('BAD_REQUEST', `${file}: item ${i} is not an incident (needs id and entities)`, { location: { file, index: i } });
    const v = (o.incident ? o.verdict : undefined) ?? (useAnalyst ? inc.analystVerdict ?? inc.verdict : inc.verdict);
    if (v) out.push({ incident: inc, verdict: v });
  });
  return out;
}

async function loadItems(o: { data?: string; incidents?: string; analyst?: boolean; limit: string }): Promise<Item[]> {
  if (o.incidents) {
    if (!existsSync(o.incidents)) throw new GarrisonError('NOT_FOUND', `no file ${o.incidents}`, { location: { file: o.incidents } });
    const text = readFileSync(o.incidents, 'utf8').trim();
    let list: unknown[];
    try {
      list = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
    } catch (e) {
      throw new GarrisonError('BAD_REQUEST', `${o.incidents}: not JSON or JSON lines (${(e as Error).message})`, { location: { file: o.incidents } });
    }
    return fromIncidents(list, o.analyst === true, o.incidents);
  }
  const file = defaultStorePath(o.data ?? './data');
  if (!existsSync(file)) throw new GarrisonError('NOT_FOUND', `no store at ${file} (pass --data DIR or --incidents FILE)`, { location: { file } });
  const store = openSqliteStore({ file, readonly: true });
  try {
    const recs = await store.listRecords<Incident>('incidents', { limit: Number(o.limit) });
    return fromIncidents(recs.map((r) => r.doc).filter((d) => !d.mergedInto), o.analyst === true, file);
  } finally {
    await store.close();
  }
}

export function formatSimulation(s: PolicySimulation): string {
  const lines = [`policy ${s.policy.name}@${s.policy.version} #${s.policy.hash.slice(0, 12)}: ${s.incidents.length} incident(s) with a verdict`];
  for (const i of s.incidents) {
    lines.push('');
    lines.push(`${terminalSafe(i.incidentId)}  ${new Date(i.at).toISOString()}  ${i.verdict} ${Math.round(i.confidence * 100)}%  ${terminalSafe(i.title).slice(0, 100)}`);
    if (i.actions.length === 0) lines.push('    (no action)');
    for (const a of i.actions) {
      const ttl = a.expiresAt ? `  expires in ${formatDuration(a.expiresAt - i.at)}` : '';
      lines.push(`    ${a.status.padEnd(17)} ${a.kind.padEnd(16)} ${terminalSafe(a.target).slice(0, 60).padEnd(60)} rule ${a.rule}${ttl}`);
      if (a.note && a.status !== 'active') lines.push(`${' '.repeat(22)}${terminalSafe(a.note).slice(0, 200)}`);
    }
  }
  lines.push('');
  lines.push('totals: ' + (Object.entries(s.totals).map(([k, v]) => `${k} ${v}`).join(', ') || 'no actions'));
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  const policy = program.command('policy').description('Response policy: validate a policy file, or test what it would have done');
  policy
    .command('validate')
    .description('Validate a response policy file (every problem with file:line)')
    .argument('[file]', 'policy YAML', DEFAULT_POLICY_PATH)
    .option('--json', 'print the result as JSON')
    .action((file: string, o: { json?: boolean }) => {
      if (!existsSync(file)) throw new GarrisonError('NOT_FOUND', `no policy file ${file}`, { location: { file } });
      const { policy: p, problems } = checkPolicy(readFileSync(file, 'utf8'), file);
      if (o.json) process.stdout.write(JSON.stringify(p ? { ok: true, name: p.name, version: p.version, hash: p.hash, rules: p.rules.length } : { ok: false, problems: problems.problems.map((x) => x.toJSON()) }) + '\n');
      else if (p) process.stdout.write(`ok: ${policyLabel(p)} — ${p.rules.length} rules, ${p.limits.length} limits, ttl ${formatDuration(p.ttl.default)} (max ${formatDuration(p.ttl.max)})${p.killSwitch ? ', KILL SWITCH ON' : ''}${p.dryRun ? ', dry run' : ''}\n`);
      else process.stderr.write(problems.format() + '\n');
      if (!p) process.exitCode = 1;
    });
  policy
    .command('test')
    .description('Replay recorded incidents through a policy and show what it would have done')
    .argument('[policy]', 'policy YAML', DEFAULT_POLICY_PATH)
    .option('--data <dir>', 'data directory holding garrison.db (incidents with verdicts)')
    .option('--incidents <file>', 'JSON array or JSON lines of incidents (each with .verdict) or {incident, verdict}')
    .option('--analyst', "use the analyst's verdict where there is one")
    .option('--limit <n>', 'most incidents read from the store', '10000')
    .option('--json', 'print the simulation as JSON')
    .action(async (file: string, o: { data?: string; incidents?: string; analyst?: boolean; limit: string; json?: boolean }) => {
      if (!/^\d{1,7}$/.test(o.limit)) throw new GarrisonError('BAD_REQUEST', '--limit must be a positive integer', { location: { field: 'limit' } });
      const p = loadPolicyFile(file);
      const items = await loadItems(o);
      const sim = await simulatePolicy(p, items);
      process.stdout.write(o.json ? JSON.stringify(sim, null, 2) + '\n' : formatSimulation(sim));
    });
}
