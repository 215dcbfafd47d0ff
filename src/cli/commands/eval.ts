/**
 * `garrison eval [--scenario NAME] [--seed N] [--hosts N] [--days D] [--hours H] [--json FILE]`
 *
 * Runs the whole pipeline over a seeded simulated organization (warm-up of background activity,
 * then the scenario) and prints the scorecard against ground truth. See docs/eval.md.
 * Exit status: 0, or 3 with --check when fewer campaigns are detected than the scenario expects.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { formatEval, runEval } from '../../app/eval.js';
import { SCENARIOS } from '../../sim/campaigns.js';
import { formatScorecard } from '../../sim/scorecard.js';

function num(name: string, { int = false, min = 0, max = Infinity } = {}) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
      throw new GarrisonError('SIM_OPTION_INVALID', `--${name} must be ${int ? 'an integer' : 'a number'} between ${min} and ${max}, got "${v.slice(0, 40)}"`, { location: { field: name } });
    }
    return n;
  };
}

interface EvalFlags {
  scenario: string;
  seed: number;
  hosts?: number;
  days: number;
  hours: number;
  learningDays?: number;
  json?: string | boolean;
  keep?: string;
  rulesOnly?: boolean;
  noBaselines?: boolean;
  investigation?: boolean;
  response?: boolean;
  check?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('Run the whole pipeline on a simulated organization under attack and print the scorecard against ground truth')
    .option('--scenario <name>', `scenario (${Object.keys(SCENARIOS).join(', ')})`, 'default')
    .option('--seed <n>', 'PRNG seed', num('seed', { int: true, max: 0xffffffff }), 1)
    .option('--hosts <n>', 'total hosts of the organization (default: the organization file)', num('hosts', { int: true, min: 10, max: 100_000 }))
    .option('--days <d>', 'days of background warm-up before the scenario (baselines learn on it)', num('days', { min: 0, max: 28 }), 7)
    .option('--hours <h>', 'hours of the scenario window', num('hours', { min: 0.5, max: 168 }), 24)
    .option('--learning-days <d>', 'baseline learning period (default: min(7, --days))', num('learning-days', { min: 0, max: 28 }))
    .option('--json [file]', 'write the full result as JSON to FILE (or stdout when no file is given)')
    .option('--keep <dir>', 'keep the store in DIR (default: a temporary directory, removed)')
    .option('--rules-only', 'only Sigma: no baselines, no later stages')
    .option('--no-baselines', 'switch the behavioural baselines off')
    .option('--no-investigation', 'switch investigation (and so response) off: correlation figures only, much faster')
    .option('--no-response', 'switch response off')
    .option('--check', 'exit with status 3 when fewer campaigns are detected than the scenario expects')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (o: EvalFlags & { baselines?: boolean }) => {
      const progress =
        !o.quiet && process.stderr.isTTY
          ? (p: { phase: string; records: number; simTime: number }) => process.stderr.write(`\r${p.phase.padEnd(8)} ${p.records.toLocaleString('en').padStart(9)} records, simulated ${new Date(p.simTime).toISOString().slice(0, 16)}Z   `)
          : undefined;
      const engine = o.rulesOnly
        ? { baselines: { enabled: false }, intel: { enabled: false }, correlation: { enabled: false }, investigation: { enabled: false }, response: { enabled: false } }
        : {
            ...(o.baselines === false ? { baselines: { enabled: false } } : {}),
            ...(o.investigation === false ? { investigation: { enabled: false }, response: { enabled: false } } : {}),
            ...(o.response === false ? { response: { enabled: false } } : {}),
          };
      const r = await runEval({
        scenario: o.scenario,
        seed: o.seed,
        hosts: o.hosts,
        warmupDays: o.days,
        hours: o.hours,
        learningDays: o.learningDays,
        engine,
        dataDir: o.keep ? resolve(o.keep) : undefined,
        onProgress: progress,
      });
      if (progress) process.stderr.write('\n');
      const json = JSON.stringify(r, null, 2) + '\n';
      if (o.json === true) process.stdout.write(json);
      else {
        if (typeof o.json === 'string') {
          const file = resolve(o.json);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, json);
        }
        process.stdout.write(formatEval(r, formatScorecard) + '\n');
        if (typeof o.json === 'string') process.stdout.write(`JSON written to ${o.json}\n`);
      }
      if (o.check && !r.expectation.met) process.exitCode = 3;
    });
}
