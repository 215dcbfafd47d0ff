/**
 * File ingest benchmark (a script, not a test):
 *
 *   node --max-semi-space-size=128 --import tsx bench/ingest/file.ts [--events N] [--workers N] [--keep] [--fts off|background] [--profile-parse] [--split]
 *
 * Generates an NDJSON file of N (default 1,000,000) realistic Windows/Sysmon-like JSON events of
 * ~600 bytes, ingests it into a fresh SQLite store through the same code path as
 * `garrison ingest` (runFileIngest → ingestPaths → pipeline → store), and prints events/s stored,
 * peak RSS, and the ratio to plain `JSON.parse` of every line of the same file measured in the
 * same run. `--workers N` sets the normalizing worker threads (default: as `garrison ingest`,
 * DEFAULT_FILE_WORKERS = 0 = normalize on the main thread). `--profile-parse` also times the normalize step alone (parseRecord over the lines);
 * `--split` times the store alone (appendEvents of 100k pre-normalized events) for attribution.
 */
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { DEFAULT_FILE_WORKERS, runFileIngest } from '../../src/ingest/file/run.js';
import { parseRecord } from '../../src/normalize/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { GarrisonEvent } from '../../src/core/event.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const N = Number(arg('--events', '1000000'));
const fts = arg('--fts', 'background') as 'off' | 'background';
const keep = args.includes('--keep');
const profileParse = args.includes('--profile-parse');
const split = args.includes('--split');
const workers = args.includes('--workers') ? Number(arg('--workers', '1')) : undefined;

/**
 * CPU seconds (utime + stime) of this process (all threads) and of its main thread, from /proc.
 * On a shared machine wall-clock rates depend on what else runs; events per CPU-second of the
 * main (store-writing) thread do not, so both are printed.
 */
function cpuSeconds(): { process: number; main: number } {
  const read = (f: string) => {
    try {
      const x = readFileSync(f, 'utf8');
      const a = x.slice(x.lastIndexOf(')') + 2).split(' ');
      return (Number(a[11]) + Number(a[12])) / 100;
    } catch {
      return NaN;
    }
  };
  return { process: read('/proc/self/stat'), main: read(`/proc/self/task/${process.pid}/stat`) };
}
/** CPU seconds per thread of this process (name from /proc comm), largest first. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const x = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const name = x.slice(x.indexOf('(') + 1, x.lastIndexOf(')'));
        const a = x.slice(x.lastIndexOf(')') + 2).split(' ');
        out.set(`${name}#${tid}`, (Number(a[11]) + Number(a[12])) / 100);
      } catch {
        /* thread exited */
      }
    }
  } catch {
    /* not Linux */
  }
  return out;
}
const loadAvg = (): string => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
};

// --- deterministic generator of Sysmon / Security / PowerShell-like events ---
let seed = 42;
const rnd = (n: number): number => {
  // Math.imul: a plain `*` loses the low bits past 2^53 and the values collapse to a few patterns.
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return (seed >>> 8) % n;
};
const hosts = Array.from({ length: 200 }, (_, i) => `WS-${String(i).padStart(4, '0')}.corp.example.com`);
const users = Array.from({ length: 500 }, (_, i) => `user${i}`);
const images = ['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\explorer.exe', 'C:\\Windows\\System32\\rundll32.exe'];
const hex = (n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789ABCDEF'[rnd(16)];
  return s;
};
const guid = (): string => `{${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}}`;
const t0 = Date.UTC(2024, 0, 1);

function event(i: number): string {
  const host = hosts[rnd(hosts.length)];
  const user = users[rnd(users.length)];
  const ts = new Date(t0 + i * 37).toISOString();
  const k = rnd(10);
  if (k < 5) {
    const img = images[rnd(images.length)];
    return JSON.stringify({
      EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Provider_Name: 'Microsoft-Windows-Sysmon', Computer: host, EventRecordID: i, UtcTime: ts.replace('T', ' ').replace('Z', ''),
      ProcessGuid: guid(), ProcessId: 1000 + rnd(60000), Image: img, CommandLine: `"${img}" /c echo ${hex(8)} --flag=${rnd(1000)}`,
      User: `CORP\\${user}`, LogonId: '0x' + hex(6).toLowerCase(), IntegrityLevel: 'Medium', Hashes: `SHA256=${hex(64)}`, ParentProcessGuid: guid(), ParentProcessId: 500 + rnd(5000), ParentImage: 'C:\\Windows\\explorer.exe',
    });
  }
  if (k < 8) {
    return JSON.stringify({
      EventID: 3, Channel: 'Microsoft-Windows-Sysmon/Operational', Provider_Name: 'Microsoft-Windows-Sysmon', Computer: host, EventRecordID: i, UtcTime: ts.replace('T', ' ').replace('Z', ''),
      ProcessGuid: guid(), ProcessId: 1000 + rnd(60000), Image: images[rnd(images.length)], User: `CORP\\${user}`, Protocol: 'tcp', Initiated: 'true',
      SourceIp: `10.${rnd(256)}.${rnd(256)}.${rnd(256)}`, SourceHostname: host, SourcePort: 49152 + rnd(16000), DestinationIp: `${rnd(224)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`,
      DestinationHostname: `cdn${rnd(100)}.example.net`, DestinationPort: [443, 80, 445, 3389][rnd(4)], 
    });
  }
  return JSON.stringify({
    EventID: [4624, 4625][rnd(2)], Channel: 'Security', Provider_Name: 'Microsoft-Windows-Security-Auditing', Computer: host, EventRecordID: i, TimeCreated: ts,
    SubjectUserSid: 'S-1-5-18', SubjectUserName: host.split('.')[0] + '$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', TargetUserSid: `S-1-5-21-${rnd(1e9)}-${rnd(1e9)}-${1000 + rnd(5000)}`,
    TargetUserName: user, TargetDomainName: 'CORP', TargetLogonId: '0x' + hex(7).toLowerCase(), LogonType: [2, 3, 10][rnd(3)], LogonProcessName: 'User32',
    WorkstationName: host.split('.')[0], IpAddress: `10.${rnd(256)}.${rnd(256)}.${rnd(256)}`, IpPort: String(rnd(65535)), ProcessName: 'C:\\Windows\\System32\\svchost.exe',
  });
}

async function generate(file: string): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 4 << 20 });
  let buf = '';
  for (let i = 0; i < N; i++) {
    buf += event(i) + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

async function forEachLine(file: string, fn: (line: string, n: number) => void): Promise<number> {
  let carry = '';
  let n = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const s = carry + (chunk as string);
    let from = 0;
    for (;;) {
      const nl = s.indexOf('\n', from);
      if (nl < 0) break;
      fn(s.slice(from, nl), ++n);
      from = nl + 1;
    }
    carry = s.slice(from);
  }
  if (carry) fn(carry, ++n);
  return n;
}

const dir = mkdtempSync(path.join(tmpdir(), 'garrison-bench-file-'));
const file = path.join(dir, 'events.ndjson');
try {
  let t = performance.now();
  await generate(file);
  const size = statSync(file).size;
  console.log(`generated ${N} events, ${(size / 1048576).toFixed(0)} MiB (${Math.round(size / N)} bytes/event) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // Reference: plain JSON.parse of every line, same file, same run.
  t = performance.now();
  let sink = 0;
  await forEachLine(file, (line) => {
    sink += JSON.parse(line).EventID;
  });
  const refSecs = (performance.now() - t) / 1000;
  const refRate = N / refSecs;
  console.log(`reference JSON.parse per line: ${Math.round(refRate)} events/s (${refSecs.toFixed(1)} s)${sink < 0 ? '!' : ''}`);

  if (profileParse) {
    t = performance.now();
    let ok = 0;
    await forEachLine(file, (line, n) => {
      const r = parseRecord({ data: line, origin: `file:${file}:${n}`, input: `file:${file}`, tenant: 'default', receivedAt: Date.now(), format: 'json' });
      if (r.ok) ok++;
    });
    const s = (performance.now() - t) / 1000;
    console.log(`normalize only (read + parseRecord): ${Math.round(N / s)} events/s, ${ok} ok`);
  }

  if (split) {
    // Attribution: the store alone, fed pre-normalized events (first 100k) in 10k-event batches.
    const M = Math.min(N, 100_000);
    const evs: GarrisonEvent[] = [];
    await forEachLine(file, (line, n) => {
      if (n > M) return;
      const r = parseRecord({ data: line, origin: `file:${file}:${n}`, input: `file:${file}`, tenant: 'default', receivedAt: Date.now(), format: 'json' });
      if (r.ok) evs.push(r.event);
    });
    const st = openSqliteStore({ file: path.join(dir, 'split.db'), fts });
    await st.init();
    const ts = performance.now();
    for (let i = 0; i < evs.length; i += 10_000) await st.appendEvents(evs.slice(i, i + 10_000));
    const s = (performance.now() - ts) / 1000;
    await st.close();
    console.log(`store only (appendEvents, ${evs.length} pre-normalized events, fts=${fts}): ${Math.round(evs.length / s)} events/s`);
  }

  const rssBefore = process.memoryUsage().rss;
  const cpu0 = cpuSeconds();
  const load0 = loadAvg();
  t = performance.now();
  const threads0 = threadCpu();
  let threadsPeak = new Map<string, number>();
  let heapPeak = { heapUsed: 0, external: 0, rss: 0 };
  const sampler = setInterval(() => {
    threadsPeak = new Map([...threadsPeak, ...threadCpu()]);
    const m = process.memoryUsage();
    if (m.rss > heapPeak.rss) heapPeak = { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
  }, 500);
  const summary = await runFileIngest([file], { dataDir: path.join(dir, 'data'), store: { fts }, format: 'auto', workers });
  const total = (performance.now() - t) / 1000;
  // Rate over the ingest itself (until the pipeline has committed everything); store close
  // (waiting for the background FTS worker) is reported separately.
  const cpu1 = cpuSeconds();
  clearInterval(sampler);
  threadsPeak = new Map([...threadsPeak, ...threadCpu()]);
  const perThread = [...threadsPeak].map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const).filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]);
  console.log(`at the highest sampled RSS (${(heapPeak.rss / 1048576).toFixed(0)} MiB): main-thread heap ${(heapPeak.heapUsed / 1048576).toFixed(0)} MiB, external ${(heapPeak.external / 1048576).toFixed(0)} MiB`);
  console.log(`CPU by thread during ingest (s): ${perThread.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  const secs = summary.elapsedMs / 1000;
  const rate = summary.stored / secs;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(`ingest (garrison ingest path, fts=${fts}, workers=${workers ?? process.env.GARRISON_INGEST_WORKERS ?? DEFAULT_FILE_WORKERS}): stored ${summary.stored}/${N}, rejected ${summary.rejected}, ${secs.toFixed(1)} s to commit, ${total.toFixed(1)} s including store close`);
  console.log(`RESULT events/s stored: ${Math.round(rate)}`);
  const mainCpu = cpu1.main - cpu0.main;
  const procCpu = cpu1.process - cpu0.process;
  console.log(
    `RESULT CPU: main thread ${mainCpu.toFixed(1)} s (${Math.round(summary.stored / mainCpu)} events per main-thread CPU-second), all threads ${procCpu.toFixed(1)} s; load average ${load0} -> ${loadAvg()}`,
  );
  console.log(`RESULT peak RSS: ${(peakRss / 1048576).toFixed(0)} MiB (before ingest ${(rssBefore / 1048576).toFixed(0)} MiB)`);
  console.log(`RESULT ratio to JSON.parse: ${(rate / refRate).toFixed(3)} (${Math.round(rate)} / ${Math.round(refRate)})`);
  console.log(`targets: >= 50,000 events/s ${rate >= 50_000 ? 'MET' : 'NOT MET'}, RSS < 1 GiB ${peakRss < 1 << 30 ? 'MET' : 'NOT MET'}`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
