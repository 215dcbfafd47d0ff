/**
 * Baseline benchmark: model update cost with all models on, and memory per 100,000 tracked
 * entities.
 *
 *   node --expose-gc --import tsx bench/baseline/run.ts [--events N] [--entities N] [--batch N]
 *
 * 1. Throughput: a synthetic mixed stream (process creation, connections with bytes, DNS,
 *    logons with some failures, file operations) over 2,000 hosts / 2,000 users, spread over 14
 *    days of event time so the learning period ends part-way and signals are produced. Events are
 *    built before timing; only stage.observe() is timed. The reference, measured in the same run
 *    on the same events, is the cheapest possible streaming pass: one Map counter per host.
 * 2. Memory: a fresh stage fed `--entities` distinct hosts (each with a user, a process, a
 *    connection, a DNS name and a logon, so every model tracks it); heap after GC, before and
 *    after. Reported per 100,000 tracked entities (keys summed over the models' entityCount())
 *    and, more demanding, per 100,000 hosts carrying all of their state in every model.
 */
import { BaselineStage } from '../../src/baseline/stage.js';
import { DAY, HOUR, T0, conn, dnsq, fileop, logon, proc, rng } from '../../src/baseline/fixtures/events.js';
import type { GarrisonEvent } from '../../src/core/event.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('events', 500_000);
const ENTITIES = arg('entities', 100_000);
const BATCH = arg('batch', 1000);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('warning: run with --expose-gc for the memory figure');
let peakRss = 0;
const sampleRss = () => {
  const r = process.memoryUsage.rss();
  if (r > peakRss) peakRss = r;
};

const IMAGES = ['c:\\windows\\explorer.exe', 'c:\\windows\\system32\\svchost.exe', 'c:\\program files\\office\\winword.exe', 'c:\\windows\\system32\\cmd.exe', 'c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe', 'c:\\program files\\google\\chrome\\application\\chrome.exe', 'c:\\windows\\system32\\conhost.exe', 'c:\\windows\\system32\\rundll32.exe'];
const DOMAINS = ['www.google.com', 'outlook.office365.com', 'github.com', 'api.slack.com', 'teams.microsoft.com', 'news.bbc.co.uk', 'cdn.jsdelivr.net', 'login.microsoftonline.com'];

function buildStream(n: number): GarrisonEvent[] {
  const r = rng(1);
  const out: GarrisonEvent[] = new Array(n);
  const span = 14 * DAY;
  for (let i = 0; i < n; i++) {
    const t = T0 + Math.floor((i / n) * span);
    const hi = Math.floor(r() * 2000);
    const host = `ws-${hi}`;
    const user = `user${hi}`;
    const x = r();
    if (x < 0.4) {
      const img = IMAGES[Math.floor(r() * IMAGES.length)];
      const rare = r() < 0.001 ? `c:\\users\\${user}\\appdata\\tool${Math.floor(r() * 50)}.exe` : img;
      out[i] = proc(t, host, rare, IMAGES[0], `${rare.split('\\').pop()} -arg ${Math.floor(r() * 5)}`, user);
    } else if (x < 0.65) {
      const d = r() < 0.01 ? `x${Math.floor(r() * 20000)}.example.net` : DOMAINS[Math.floor(r() * DOMAINS.length)];
      out[i] = conn(t, host, { domain: d, ip: `93.184.${hi % 256}.${Math.floor(r() * 256)}`, port: 443 }, Math.floor(1000 + 1e6 * Math.pow(1 - r(), -0.5)), user);
    } else if (x < 0.85) {
      const d = r() < 0.02 ? `h${Math.floor(r() * 1e6).toString(36)}.${['com', 'net', 'org', 'co.uk'][Math.floor(r() * 4)]}` : DOMAINS[Math.floor(r() * DOMAINS.length)];
      out[i] = dnsq(t, host, d);
    } else if (x < 0.95) {
      out[i] = logon(t, r() < 0.3 ? 'dc-1' : host, user, r() < 0.05 ? 'failure' : 'success', { srcIp: `10.0.${hi >> 8}.${hi & 255}`, logonType: r() < 0.5 ? 2 : 3 });
    } else {
      out[i] = fileop(t, host, IMAGES[Math.floor(r() * IMAGES.length)]);
    }
  }
  return out;
}

function reference(events: GarrisonEvent[]): number {
  const counts = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const end = Math.min(events.length, i + BATCH);
    for (let j = i; j < end; j++) {
      const h = (events[j].entities.host ?? '').toLowerCase();
      counts.set(h, (counts.get(h) ?? 0) + 1);
    }
  }
  return events.length / ((performance.now() - t0) / 1000);
}

function throughput(events: GarrisonEvent[]): { rate: number; signals: number; stage: BaselineStage } {
  const stage = new BaselineStage({});
  let signals = 0;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    signals += stage.observe(events.slice(i, i + BATCH)).length;
    if ((i / BATCH) % 50 === 0) sampleRss();
  }
  signals += stage.flushAll(events[events.length - 1].time + DAY).length;
  const rate = events.length / ((performance.now() - t0) / 1000);
  return { rate, signals, stage };
}

function memory(entities: number): { bytesPerEntity: number; counts: Record<string, number> } {
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const stage = new BaselineStage({});
  const t = T0;
  const batch: GarrisonEvent[] = [];
  for (let i = 0; i < entities; i++) {
    const host = `host-${i}`;
    const user = `u${i}`;
    batch.push(
      proc(t + i, host, `c:\\apps\\app${i % 1000}.exe`, 'c:\\windows\\explorer.exe', undefined, user),
      conn(t + i, host, { domain: `svc${i % 5000}.example.com` }, 5000, user),
      dnsq(t + i, host, `n${i}.example${i % 100}.com`),
      logon(t + i, host, user, 'success', { logonType: 2, srcIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }),
    );
    if (batch.length >= 4000) {
      stage.observe(batch);
      batch.length = 0;
      sampleRss();
    }
  }
  stage.observe(batch);
  batch.length = 0;
  gc?.();
  gc?.();
  const after = process.memoryUsage().heapUsed;
  sampleRss();
  const counts = stage.entityCounts();
  // keep the stage alive until measured
  if (!counts) console.log(stage);
  return { bytesPerEntity: (after - before) / entities, counts };
}

const events = buildStream(N);
sampleRss();
// warm-up (JIT), then measure: reference and baseline alternately, best of 2
reference(events.slice(0, 50_000));
throughput(events.slice(0, 50_000));
const refRates: number[] = [];
const rates: number[] = [];
let last: ReturnType<typeof throughput> | undefined;
for (let k = 0; k < 2; k++) {
  refRates.push(reference(events));
  last = throughput(events);
  rates.push(last.rate);
}
const rate = Math.max(...rates);
const ref = Math.max(...refRates);
const st = last!.stage.stats;
console.log(`baseline throughput: ${Math.round(rate).toLocaleString('en-US')} events/s with all ${last!.stage.enabledModels().length} models on (${N.toLocaleString('en-US')} events, batches of ${BATCH}; runs: ${rates.map((r) => Math.round(r)).join(', ')})`);
console.log(`  reference (one Map counter per host, same events): ${Math.round(ref).toLocaleString('en-US')} events/s; ratio baseline/reference = ${(rate / ref).toFixed(3)}`);
console.log(`  signals: ${last!.signals} (candidates ${st.candidates}; dropped learning ${st.dropped.learning}, below threshold ${st.dropped.belowThreshold}, cooldown ${st.dropped.cooldown}) per model: ${Object.entries(st.perModel).map(([k, v]) => `${k}=${v.signals}`).join(' ')}`);
events.length = 0;
last = undefined;
const mem = memory(ENTITIES);
const keys = Object.values(mem.counts).reduce((a, b) => a + b, 0);
const perKey = (mem.bytesPerEntity * ENTITIES) / keys;
console.log(`memory: ${((perKey * 100_000) / 1024 / 1024).toFixed(1)} MB per 100,000 tracked entities (${Math.round(perKey)} bytes per entity key, ${keys.toLocaleString('en-US')} keys over all models)`);
console.log(`  ${((mem.bytesPerEntity * 100_000) / 1024 / 1024).toFixed(1)} MB per 100,000 hosts each with its user, process, parent→child, logon, connection, destination and DNS state in every model (${Math.round(mem.bytesPerEntity)} bytes per host; ${ENTITIES.toLocaleString('en-US')} hosts)`);
console.log(`  entities tracked per model: ${Object.entries(mem.counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
