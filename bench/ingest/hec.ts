/**
 * HEC ingest benchmark (a script, not a test):
 *
 *   node --import tsx bench/ingest/hec.ts [--events 200000] [--batch 500] [--clients 4] [--workers N] [--no-engine]
 *   (BENCH_SERVER_NODE_ARGS='--cpu-prof' adds node flags to the server process, for profiling)
 *
 * Starts `garrison serve` as a child process on a fresh data directory (real SQLite file,
 * default settings), then 4 concurrent keep-alive clients POST batches of ~600-byte events to
 * /services/collector/event over loopback. A reply means the batch is committed, so
 * events/s = events acknowledged / wall time. Afterwards the server is stopped (SIGTERM) and
 * the store is opened to check every event is there. Reports:
 *   - events/s stored end to end, MB/s of request bodies
 *   - peak RSS of the server process (VmHWM from /proc)
 *   - the reference: plain JSON.parse of the same envelopes, in this process, in the same run,
 *     and the ratio HEC / JSON.parse.
 * Target (issue 2): >= 30,000 events/s with RSS < 1 GiB on the 2-core machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    clients: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    workers: { type: 'string' },
    /** Ingest only: the detection engine off (by default `garrison serve` runs it on the same cores). */
    'no-engine': { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const BATCH = Number(values.batch);
const CLIENTS = Number(values.clients);
const TOKEN = '7b3f0a52-0c1d-4e2f-9a8b-1c2d3e4f5a6b';

// ----------------------------------------------------------------------------- payloads
const images = ['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Windows\\System32\\svchost.exe'];
const users = ['alice', 'bob', 'carol', 'dave', 'SYSTEM'];
function event(i: number): string {
  const img = images[i % images.length];
  const ev = {
    EventID: 1,
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Computer: `ws-${(i % 50).toString().padStart(3, '0')}.corp.example.com`,
    UtcTime: new Date(1_700_000_000_000 + i * 10).toISOString(),
    ProcessGuid: `{${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-6a1b-65f0-0d00-000000000a00}`,
    ProcessId: 1000 + (i % 30000),
    Image: img,
    CommandLine: `${img} /c echo run ${i} --flag=${(i * 7919) % 100000}`,
    User: `CORP\\${users[i % users.length]}`,
    ParentImage: 'C:\\Windows\\explorer.exe',
    Hashes: `SHA256=${((i * 40503) >>> 0).toString(16).padStart(8, '0').repeat(8)}`,
  };
  return JSON.stringify({ event: ev, time: 1_700_000_000 + i / 100, host: ev.Computer, sourcetype: 'winlogbeat', source: 'bench' });
}
const envelopes: string[] = [];
for (let i = 0; i < N; i++) envelopes.push(event(i));
const payloads: Buffer[] = [];
for (let i = 0; i < N; i += BATCH) payloads.push(Buffer.from(envelopes.slice(i, i + BATCH).join('\n')));
const totalBytes = payloads.reduce((a, b) => a + b.length, 0);
const avgEvent = Math.round(totalBytes / N);

// ----------------------------------------------------------------------------- reference
function reference(): number {
  const t0 = performance.now();
  let keys = 0;
  for (const e of envelopes) keys += Object.keys(JSON.parse(e)).length;
  const s = (performance.now() - t0) / 1000;
  if (keys === 0) throw new Error('unreachable');
  return N / s;
}

// ----------------------------------------------------------------------------- server
const dir = mkdtempSync(join(tmpdir(), 'garrison-bench-hec-'));
const extra: string[] = [];
const yaml: string[] = [];
if (values.workers !== undefined) yaml.push(`hec:\n  workers: ${Number(values.workers)}`);
if (values['no-engine']) yaml.push('engine:\n  enabled: false');
if (yaml.length) {
  writeFileSync(join(dir, 'bench.yaml'), yaml.join('\n') + '\n');
  extra.push('--config', join(dir, 'bench.yaml'));
}
const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), '--max-semi-space-size=128', '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--data', dir, ...extra], {
  cwd: ROOT,
  env: { ...process.env, GARRISON_HEC_TOKEN: TOKEN, GARRISON_LOG_LEVEL: 'warn', GARRISON_CONFIG: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// Never leave the server behind (timeouts, Ctrl-C, a failed run).
const killChild = () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.on('exit', killChild);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (killChild(), process.exit(130)));
const url = await new Promise<URL>((res, rej) => {
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) res(new URL(m[1]));
  });
  child.on('exit', (c) => rej(new Error(`server exited (${c}): ${out}`)));
});
const vmHwm = (): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
};

/** CPU seconds used by the server process so far (all threads), from /proc/<pid>/stat. */
const cpuSeconds = (file = `/proc/${child.pid}/stat`): number => {
  const stat = readFileSync(file, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100)
};
const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
function post(body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((res, rej) => {
    const req = request(
      { host: url.hostname, port: url.port, path: '/services/collector/event', method: 'POST', agent, headers: { authorization: `Splunk ${TOKEN}`, 'content-length': body.length } },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

// Warm-up (JIT, SQLite pages), not counted.
for (let i = 0; i < 3; i++) await post(Buffer.from(envelopes.slice(0, 200).join('')));

const cpu0 = cpuSeconds();
// The main (event-loop) thread alone: its task id is the pid. It writes the store and answers
// HTTP, so events per main-thread CPU-second is the ceiling on an otherwise idle machine.
const mainStat = `/proc/${child.pid}/task/${child.pid}/stat`;
const main0 = cpuSeconds(mainStat);
const load0 = loadAvg();
let next = 0;
let acked = 0;
let busy = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (next < payloads.length) {
      const p = payloads[next++];
      for (;;) {
        const r = await post(p);
        if (r.status === 503) {
          busy++;
          await new Promise((x) => setTimeout(x, 50));
          continue;
        }
        if (r.status !== 200) throw new Error(`HEC answered ${r.status}: ${r.text.slice(0, 300)}`);
        acked += p.toString('latin1').split('\n').length;
        break;
      }
    }
  }),
);
const secs = (performance.now() - t0) / 1000;
const peak = vmHwm();
const cpu = cpuSeconds() - cpu0;
const mainCpu = cpuSeconds(mainStat) - main0;
const load1 = loadAvg();
agent.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));

const store = openSqliteStore({ file: join(dir, 'garrison.db'), readonly: true, fts: 'off' });
const stored = await store.countEvents();
await store.close();
const ref = reference();
const rate = acked / secs;
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
console.log(`HEC ingest over loopback: ${N} events (~${avgEvent} B each), batches of ${BATCH}, ${CLIENTS} clients, hec.workers ${values.workers ?? 'default (0 = inline)'}, detection engine ${values['no-engine'] ? 'off (ingest only)' : 'on (same process)'}`);
console.log(`  stored:            ${Math.round(rate).toLocaleString('en-US')} events/s (${(totalBytes / secs / 1e6).toFixed(1)} MB/s), ${secs.toFixed(2)} s, 503 retries: ${busy}`);
console.log(`  in store after:    ${stored} (expected ${N + 600})`);
console.log(`  server peak RSS:   ${mib(peak)} MiB`);
console.log(`  server CPU:        ${cpu.toFixed(2)} s for ${acked} events = ${Math.round(acked / cpu).toLocaleString('en-US')} events per CPU-second (all threads); load average ${load0} → ${load1} (2 cores)`);
console.log(`  main thread CPU:   ${mainCpu.toFixed(2)} s = ${Math.round(acked / mainCpu).toLocaleString('en-US')} events per main-thread CPU-second (the ceiling when the machine is not shared)`);
console.log(`  JSON.parse ref:    ${Math.round(ref).toLocaleString('en-US')} events/s (same envelopes, this process)`);
console.log(`  ratio HEC/parse:   ${(rate / ref).toFixed(3)}`);
console.log(`  target >= 30,000 events/s, RSS < 1 GiB: ${rate >= 30_000 && peak < 1024 ** 3 ? 'MET' : 'NOT MET'}`);
if (stored !== N + 600) process.exitCode = 1;
if (!values.keep) rmSync(dir, { recursive: true, force: true });
