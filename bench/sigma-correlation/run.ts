/**
 * Benchmark: cost of CorrelationEngine.observe() on a stream of 100k matches/s (event time)
 * spread over 100k groups, and the memory that state takes.
 *
 *   node --expose-gc --import tsx bench/sigma-correlation/run.ts [--matches N] [--groups G] [--quick]
 *
 * Prints matches/s, ns per observe, CPU share needed at 100k matches/s, peak RSS, retained heap
 * per group, and the ratio to a reference measured in the same run (one Map get+set per match
 * on the same group keys: the least any per-group stateful correlator must do).
 */
import { CorrelationEngine, parseCorrelationRule, type CorrelationMatch, type CorrelationRule } from '../../src/detect/sigma/correlation/index.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
const N = arg('matches', quick ? 300_000 : 2_000_000);
const GROUPS = arg('groups', 100_000);
const RATE = 100_000; // matches per second of event time
const gc = (globalThis as { gc?: () => void }).gc;

function rule(doc: Record<string, unknown>): CorrelationRule {
  const { rule: r, problems } = parseCorrelationRule(doc, { file: 'bench' });
  if (!r) throw new Error(problems.map((p) => p.message).join('; '));
  return r;
}

/** A realistic mix: a brute-force count, a spray (distinct users per source), a recon sequence, an average. */
const RULES = [
  rule({ title: 'failed logons per user', id: 'c-count', correlation: { type: 'event_count', rules: ['logon_failed'], 'group-by': ['TargetUserName'], timespan: '5m', condition: { gte: 50 } } }),
  rule({ title: 'password spray', id: 'c-spray', correlation: { type: 'value_count', rules: ['logon_failed'], 'group-by': ['IpAddress'], timespan: '5m', condition: { field: 'TargetUserName', gte: 20 } } }),
  rule({ title: 'recon then logon', id: 'c-seq', correlation: { type: 'temporal_ordered', rules: ['recon', 'logon_ok'], 'group-by': ['TargetUserName'], timespan: '10m' } }),
  rule({ title: 'avg bytes', id: 'c-avg', correlation: { type: 'value_avg', rules: ['logon_ok'], 'group-by': ['TargetUserName'], timespan: '1m', condition: { field: 'Bytes', gt: 1e9 } } }),
];
const BASE = ['logon_failed', 'logon_failed', 'recon', 'logon_ok'];
// --only c-count|c-spray|c-seq|c-avg runs one correlation (to see what each costs)
const onlyIdx = args.indexOf('--only');
if (onlyIdx >= 0) RULES.splice(0, RULES.length, ...RULES.filter((r) => r.id === args[onlyIdx + 1]));

// Matches are generated on the fly (the same generator feeds the reference), so the benchmark's
// own data does not sit in the heap and inflate the engine's GC cost.
const users = Array.from({ length: GROUPS }, (_, i) => `user${i}`);
const ips = Array.from({ length: GROUPS }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const T0 = 1_760_000_000_000;
let seed = 0x9e3779b9;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
/** A match; a class rather than an object literal with an arrow `get`, which tsx wraps (keepNames) on every call. */
class BenchMatch implements CorrelationMatch {
  constructor(
    readonly ruleId: string,
    readonly time: number,
    readonly eventId: string,
    private readonly user: string,
    private readonly ip: string,
    private readonly bytes: number,
  ) {}
  get(f: string): unknown {
    return f === 'TargetUserName' ? this.user : f === 'IpAddress' ? this.ip : f === 'Bytes' ? this.bytes : undefined;
  }
}

function matchAt(i: number): CorrelationMatch {
  const user = users[Math.floor(rnd() * GROUPS)];
  const ip = ips[Math.floor(rnd() * GROUPS)];
  const bytes = Math.floor(rnd() * 10_000);
  // event time at RATE per second, with up to 200 ms of jitter (out of order)
  const time = T0 + Math.floor((i * 1000) / RATE) + Math.floor(rnd() * 200);
  return new BenchMatch(BASE[i & 3], time, `ev${i}`, user, ip, bytes);
}

function mb(n: number): string {
  return (n / 1048576).toFixed(1) + ' MB';
}

function reference(n: number): number {
  seed = 0x9e3779b9;
  const m = new Map<string, number>();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const x = matchAt(i);
    const k = String(x.get('TargetUserName'));
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  const ns = Number(process.hrtime.bigint() - t);
  if (m.size === 0) throw new Error('empty');
  return ns;
}

function runEngine(n: number, lateness: number): { ns: number; cpuNs: number; hits: number; heapDelta: number; stats: ReturnType<CorrelationEngine['stats']>; flushMs: number } {
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const engine = new CorrelationEngine(RULES, undefined, { lateness, maxBuffered: 1_000_000 });
  let hits = 0;
  const c0 = process.cpuUsage();
  const t = process.hrtime.bigint();
  seed = 0x9e3779b9;
  for (let i = 0; i < n; i++) hits += engine.observe(matchAt(i)).length;
  const ns = Number(process.hrtime.bigint() - t);
  const cu = process.cpuUsage(c0);
  const cpuNs = (cu.user + cu.system) * 1000;
  gc?.();
  const heapDelta = process.memoryUsage().heapUsed - before;
  const stats = engine.stats();
  const tf = Date.now();
  hits += engine.flush(Infinity).length;
  return { ns, cpuNs, hits, heapDelta, stats, flushMs: Date.now() - tf };
}

console.log(`${N.toLocaleString()} matches over ${GROUPS.toLocaleString()} users and source addresses (${(N / RATE).toFixed(0)} s of event time at ${RATE.toLocaleString()}/s, ≤200 ms disorder)`);
console.log(`correlations: ${RULES.map((r) => `${r.type}(${r.timespanText})`).join(', ')}`);
if (!gc) console.log('(run with --expose-gc for retained-heap figures)');

reference(50_000); // warm-up
const refNs = reference(N);
const refRate = N / (refNs / 1e9);
console.log(`reference (generate match + Map get+set): ${Math.round(refRate).toLocaleString()} matches/s`);

const latenesses = args.includes('--lateness') ? [arg('lateness', 250)] : [250, 5_000];
for (const lateness of latenesses) {
  runEngine(50_000, lateness); // warm-up
  const r = runEngine(N, lateness);
  const rate = N / (r.ns / 1e9);
  const nsPer = r.ns / N;
  const s = r.stats;
  console.log(
    [
      `lateness ${lateness} ms:`,
      `${Math.round(rate).toLocaleString()} matches/s`,
      `${nsPer.toFixed(0)} ns/observe wall, ${(r.cpuNs / N).toFixed(0)} ns CPU (process, incl. GC threads)`,
      `CPU at 100k/s: ${((nsPer * RATE) / 1e7).toFixed(1)}% of a core`,
      `ratio to reference: ${(refRate / rate).toFixed(2)}x slower`,
      `groups alive: ${s.groups.toLocaleString()}`,
      `hits: ${r.hits}`,
      `late: ${s.late}`,
      `buffered: ${s.buffered.toLocaleString()}`,
      gc ? `retained heap: ${mb(r.heapDelta)} (${Math.round(r.heapDelta / Math.max(1, s.groups + s.buffered))} B per group or buffered match)` : '',
      `final flush: ${r.flushMs} ms`,
    ]
      .filter(Boolean)
      .join(' | '),
  );
}
console.log(`load average during the run: ${(await import('node:os')).loadavg()[0].toFixed(2)} (2 cores; other work on the machine inflates wall times)`);
console.log(`peak RSS: ${mb(process.resourceUsage().maxRSS * 1024)}`);
