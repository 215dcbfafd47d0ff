/**
 * `garrison simulate`: generates the simulated organization under attack, to files (`--out DIR`)
 * or streamed into a running server through HEC (`--to URL`).
 */
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { Simulation } from '../../sim/simulation.js';
import { SCENARIOS } from '../../sim/campaigns.js';
import { writeSimulation } from '../../sim/output.js';
import { streamToHec } from '../../sim/hec.js';

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new GarrisonError('SIM_OPTION_INVALID', `--${name} must be a non-negative integer, got "${v.slice(0, 40)}"`, { location: { field: name } });
    return Number(v);
  };
}

function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new GarrisonError('SIM_OPTION_INVALID', `--${name} must be a positive number, got "${v.slice(0, 40)}"`, { location: { field: name } });
    return n;
  };
}

function parseStart(v: string): number {
  // The simulator itself never reads the clock; `now` is resolved here, at the command line.
  if (v === 'now') return Math.floor(Date.now() / 60_000) * 60_000;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || !Number.isFinite(t)) throw new GarrisonError('SIM_OPTION_INVALID', `--start must be an ISO 8601 time or "now", got "${v.slice(0, 40)}"`, { location: { field: 'start' } });
  return t;
}

function parseSpeed(v: string): number | 'max' {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new GarrisonError('SIM_OPTION_INVALID', `--speed must be a positive number or "max", got "${v.slice(0, 40)}"`, { location: { field: 'speed' } });
  return n;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Generate a simulated organization under attack: native telemetry plus ground truth')
    .option('--scenario <name>', `scenario (${Object.keys(SCENARIOS).join(', ')})`, 'default')
    .option('--seed <n>', 'PRNG seed: the same seed gives byte-identical output', int('seed'), 1)
    .option('--hours <h>', 'simulated duration in hours', num('hours'), 24)
    .option('--start <time>', 'start of the simulated window (ISO 8601 or "now")', parseStart)
    .option('--hosts <n>', 'total number of hosts (overrides the workstation count)', int('hosts'))
    .option('--org <file>', 'organization model YAML (default: the built-in one)')
    .option('--out <dir>', 'write one file per native source + ground_truth.json + manifest.json')
    .option('--to <url>', 'stream into a server through HEC (e.g. http://127.0.0.1:8088)')
    .option('--token <token>', 'HEC token (default: $GARRISON_HEC_TOKEN)')
    .option('--speed <n|max>', 'time compression for --to: simulated seconds per real second, or max', parseSpeed, 'max' as number | 'max')
    .option('--list', 'list the scenarios and exit')
    .option('--json', 'print the manifest as JSON')
    .action(async (o: { scenario: string; seed: number; hours: number; start?: number; hosts?: number; org?: string; out?: string; to?: string; token?: string; speed: number | 'max'; list?: boolean; json?: boolean }) => {
      if (o.list) {
        for (const [name, s] of Object.entries(SCENARIOS)) process.stdout.write(`${name.padEnd(24)} ${s.description}\n`);
        return;
      }
      if (!o.out && !o.to) throw new GarrisonError('SIM_OPTION_INVALID', 'give --out DIR (files) or --to URL (HEC streaming)', { location: { field: 'out' } });
      const sim = new Simulation({ seed: o.seed, scenario: o.scenario, hours: o.hours, start: o.start, hosts: o.hosts, orgFile: o.org });
      const progress = process.stderr.isTTY
        ? (n: number, t: number) => process.stderr.write(`\r${n.toLocaleString('en')} records, simulated ${new Date(t).toISOString().slice(0, 16)}Z   `)
        : undefined;
      if (o.out) {
        const started = performance.now();
        const { manifest } = writeSimulation(sim, o.out, progress);
        if (progress) process.stderr.write('\n');
        if (o.json) process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
        else {
          const secs = (performance.now() - started) / 1000;
          process.stdout.write(`${manifest.total.toLocaleString('en')} records (${manifest.attackEvents} attack events) for ${manifest.hosts} hosts over ${manifest.hours} h written to ${o.out} in ${secs.toFixed(1)} s\n`);
          for (const [f, c] of Object.entries(manifest.files)) process.stdout.write(`  ${f.padEnd(28)} ${String(c.records).padStart(9)}\n`);
          for (const c of manifest.campaigns) process.stdout.write(`  campaign ${c.id} ${c.name}: ${c.events} events ${c.start ?? '-'} .. ${c.end ?? '-'} hosts=${c.hosts.join(',')} techniques=${c.techniques.join(',')}\n`);
        }
      }
      if (o.to) {
        const token = o.token ?? process.env.GARRISON_HEC_TOKEN;
        if (!token) throw new GarrisonError('SIM_OPTION_INVALID', 'no HEC token: give --token or set GARRISON_HEC_TOKEN', { location: { field: 'token' } });
        const r = await streamToHec(sim.records(), { url: o.to, token, speed: o.speed, onProgress: progress });
        if (progress) process.stderr.write('\n');
        process.stdout.write(`${r.sent.toLocaleString('en')} records sent in ${r.batches} batches (${r.retries} busy retries, ${r.rejected} rejected)\n`);
      }
    });
}
