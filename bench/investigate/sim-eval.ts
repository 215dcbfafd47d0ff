/**
 * Investigation on the simulated organization (the `garrison eval` figures for this stage):
 *
 *   npx tsx bench/investigate/sim-eval.ts [TRAIN_DAYS=7] [LEARNING_DAYS=7] [v] [correlator|truth] [SEED=1]
 *
 * Simulates TRAIN_DAYS quiet days then the default day, stores every event in SQLite, raises
 * Sigma and baseline signals, builds incidents (the product's correlator, or ground-truth grouping),
 * investigates every incident and reports: attack incidents by verdict (none may be benign),
 * background incidents closed benign, share reaching a person, cost per investigation, RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { campaignsOf, runSimHarness } from '../../src/investigate/testing/sim-harness.js';
import { createInvestigator } from '../../src/investigate/index.js';

const [trainDays = '7', learningDays = '7', verbose = '', grouping = 'correlator', seed = '1'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'inv-bench-'));
const store = openSqliteStore({ file: join(dir, 'g.db'), fts: 'off' });
const t0 = performance.now();
const h = await runSimHarness(store, { seed: Number(seed), trainDays: Number(trainDays), learningDays: Number(learningDays), grouping: grouping as 'correlator' | 'truth' });
const tSetup = performance.now() - t0;
const inv = createInvestigator({ store, context: h.context, now: () => 0 });
const t1 = performance.now();
let bgTotal = 0;
let bgClosed = 0;
let queries = 0;
let person = 0;
const attack: Record<string, number> = { malicious: 0, suspicious: 0, benign: 0 };
const camps = new Map<string, string[]>();
for (const inc of h.incidents) {
  const r = await inv.investigate(inc.id);
  const c = campaignsOf(h, inc);
  queries += r.investigation.cost.queries;
  if (r.incident.status === 'needs_review') person++;
  if (c.length) {
    attack[r.verdict.verdict]++;
    for (const x of c) camps.set(x, [...(camps.get(x) ?? []), r.verdict.verdict]);
  } else {
    bgTotal++;
    if (r.verdict.verdict === 'benign') bgClosed++;
  }
  if (verbose === 'v' || c.length || r.verdict.verdict !== 'benign')
  {
    if (!c.length && r.verdict.verdict !== 'benign') for (const f of r.verdict.factors) console.log(`    ${f.factor} ${f.weight}: ${f.detail}`);
    console.log(`${(c.join(',') || 'BENIGN').padEnd(7)} ${r.verdict.verdict.padEnd(10)} ${String(r.verdict.score).padStart(6)} ${inc.title.slice(0, 60).padEnd(60)} | ${r.verdict.factors.map((f) => `${f.factor}:${f.weight}`).join(' ')}`);
  }
}
const tInv = performance.now() - t1;
console.log(`\nseed ${seed}, ${trainDays} quiet day(s) + default day, grouping ${grouping}: ${h.events} events, ${h.signals.length} signals on the attack day, ${h.incidents.length} incidents (setup ${(tSetup / 1000).toFixed(1)} s)`);
console.log(`campaigns with incidents: ${[...camps].sort().map(([k, v]) => `${k}=${v.join('/')}`).join(' ')}`);
console.log(`attack incidents: ${attack.malicious} malicious, ${attack.suspicious} suspicious, ${attack.benign} wrongly closed benign`);
console.log(`background incidents closed benign: ${bgClosed}/${bgTotal} (${bgTotal ? ((100 * bgClosed) / bgTotal).toFixed(0) : '-'}%)`);
console.log(`incidents reaching a person (needs_review): ${person}/${h.incidents.length} (${((100 * person) / Math.max(1, h.incidents.length)).toFixed(0)}%)`);
console.log(`investigation: ${(tInv / Math.max(1, h.incidents.length)).toFixed(0)} ms and ${(queries / Math.max(1, h.incidents.length)).toFixed(1)} store queries per incident; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
await inv.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
