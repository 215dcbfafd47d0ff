/**
 * Simulator benchmark: generation rate for a 1,000-host organization over a simulated day.
 *
 *   node --import tsx bench/sim/run.ts [--hosts 1000] [--hours 24] [--seed 1] [--write DIR]
 *
 * Prints events/s for generating and rendering every record to its native line (what
 * `simulate --out` writes, minus the disk), peak RSS, and the ratio to a reference measured in
 * the same run: JSON.parse of the same JSON lines (the first thing ingest does with them), so
 * ratio > 1 means the simulator outruns the parser's first step.
 */
import { Simulation } from '../../src/sim/simulation.js';
import { renderLine } from '../../src/sim/record.js';
import { writeSimulation } from '../../src/sim/output.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const hosts = Number(arg('hosts', '1000'));
const hours = Number(arg('hours', '24'));
const seed = Number(arg('seed', '1'));
const write = arg('write', '');

const t0 = performance.now();
const sim = new Simulation({ seed, hours, hosts });
let n = 0;
let bytes = 0;
let attack = 0;
const sample: string[] = [];
if (write) {
  const { manifest } = writeSimulation(sim, write);
  n = manifest.total;
  attack = manifest.attackEvents;
} else {
  for (const r of sim.records()) {
    const line = renderLine(r);
    bytes += line.length + 1;
    n++;
    if (r.truth) attack++;
    if (typeof r.event !== 'string' && (n & 7) === 0 && sample.length < 50_000) sample.push(line);
  }
}
const genMs = performance.now() - t0;
const genRate = n / (genMs / 1000);

// Reference, same run: JSON.parse over a sample of the same JSON lines.
let refRate = NaN;
if (sample.length) {
  const r0 = performance.now();
  let keys = 0;
  for (let rep = 0; rep < 3; rep++) for (const l of sample) keys += Object.keys(JSON.parse(l)).length;
  const refMs = performance.now() - r0;
  refRate = (sample.length * 3) / (refMs / 1000);
  if (keys === 0) console.log('');
}

const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(`simulator: ${sim.org.hosts.length} hosts, ${hours} h simulated, seed ${seed}${write ? `, written to ${write}` : ''}`);
console.log(`records: ${n.toLocaleString('en')} (${attack} attack), ${(bytes / 1e6).toFixed(1)} MB rendered`);
console.log(`generate+render: ${(genMs / 1000).toFixed(2)} s, ${Math.round(genRate).toLocaleString('en')} events/s`);
if (Number.isFinite(refRate)) console.log(`reference JSON.parse of the same lines: ${Math.round(refRate).toLocaleString('en')} events/s; ratio simulator/reference = ${(genRate / refRate).toFixed(2)}`);
console.log(`peak RSS: ${rssMb.toFixed(0)} MB`);
