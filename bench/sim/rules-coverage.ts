/**
 * Rule-pack coverage over simulated telemetry (uses the test-only Sigma subset evaluator):
 *
 *   node --import tsx bench/sim/rules-coverage.ts [--seed 1] [--hours 24] [--hosts N]
 *
 * Prints, per rule, hits on attack records and on benign records, and per campaign which rules fired.
 */
import { fileURLToPath } from 'node:url';
import { Simulation } from '../../src/sim/simulation.js';
import { loadRules, runRules } from '../../src/sim/testing/sigma-subset.js';
import { computeScorecard, formatScorecard, type ScoredSignal } from '../../src/sim/scorecard.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const hostsArg = arg('hosts', '');
const sim = new Simulation({ seed: Number(arg('seed', '1')), hours: Number(arg('hours', '24')), hosts: hostsArg ? Number(hostsArg) : undefined });
const rules = loadRules(fileURLToPath(new URL('../../rules/', import.meta.url)));
const all = [...sim.records()];
const recs = all.filter((r) => typeof r.event !== 'string');
const t0 = performance.now();
const hits = runRules(rules, recs.map((r) => r.event as Record<string, unknown>));
const ms = performance.now() - t0;
console.log(`${recs.length} JSON records, ${rules.length} rules, evaluated in ${(ms / 1000).toFixed(2)} s`);
console.log('rule'.padEnd(58), 'level'.padEnd(14), 'attack', 'benign');
const perCampaign = new Map<string, Set<string>>();
for (const r of rules) {
  const idx = hits.get(r.id) ?? [];
  const attack = idx.filter((i) => recs[i].truth);
  for (const i of attack) {
    const c = recs[i].truth!.campaign;
    if (!perCampaign.has(c)) perCampaign.set(c, new Set());
    perCampaign.get(c)!.add(r.file.replace(/\.yml$/, ''));
  }
  console.log(r.file.replace(/\.yml$/, '').padEnd(58), r.level.padEnd(14), String(attack.length).padStart(6), String(idx.length - attack.length).padStart(6));
}
for (const c of sim.campaigns) console.log(`campaign ${c.id} (${c.name}): ${perCampaign.has(c.id) ? [...perCampaign.get(c.id)!].join(', ') : 'NOT DETECTED by rules'}`);

const signals: ScoredSignal[] = [];
for (const r of rules) for (const i of hits.get(r.id) ?? []) signals.push({ time: recs[i].time, rule: r.id, level: r.level, truths: recs[i].truth ? [recs[i].truth!] : [] });
console.log('\nrules-only scorecard (no correlation into incidents, no behavioural models):');
console.log(formatScorecard(computeScorecard({ campaigns: sim.campaigns, events: all.length, attackEvents: all.filter((r) => r.truth).length, signals })));
