/**
 * Store benchmark (a script, not a test):
 *   node --max-semi-space-size=64 --import tsx bench/store/run.ts [--events N] [--batch N] [--synchronous FULL] [--fts off] [--keep]
 *
 * 1. writes an NDJSON file of N Sysmon/Security-shaped events (~600 bytes each) to a temp dir;
 * 2. reference: reads the file and JSON.parses every line (nothing else), same run;
 * 3. end to end: reads the file, JSON.parses, builds the normalized event (eventId = SHA-1) and
 *    appends batches to the SQLite store (WAL, synchronous=NORMAL unless --synchronous FULL);
 * 4. waits for the background FTS indexer to catch up and reports its rate;
 * 5. runs a few searches (indexed field, full text, wildcard) and reports their latency.
 * Prints events/s, peak RSS and the ratio to the JSON.parse reference.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventId, OCSF_CLASSES, type GarrisonEvent } from '../../src/core/event.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const N = Number(arg('events', '1000000'));
const BATCH = Number(arg('batch', '10000'));
const SYNC = arg('synchronous', 'NORMAL') as 'NORMAL' | 'FULL';
const KEEP = process.argv.includes('--keep');
const FTS = arg('fts', 'background') as 'background' | 'off';

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
rssTimer.unref();
const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
const rate = (n: number, ms: number): string => `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;

/** CPU seconds of this process's main thread (the store writer), from /proc: robust to a shared machine. */
function mainCpu(): number {
  try {
    const x = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const a = x.slice(x.lastIndexOf(')') + 2).split(' ');
    return (Number(a[11]) + Number(a[12])) / 100;
  } catch {
    return NaN;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'garrison-bench-store-'));
const file = join(dir, 'events.ndjson');

// ------------------------------------------------------------------ 1. generate
const IMAGES = ['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\explorer.exe'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
function hex(n: number, len: number): string {
  return (n >>> 0).toString(16).padStart(8, '0').repeat(Math.ceil(len / 8)).slice(0, len);
}
{
  const t0 = Date.now();
  const fd = openSync(file, 'w');
  const base = Date.UTC(2026, 10, 1);
  let buf: string[] = [];
  for (let i = 0; i < N; i++) {
    const r = (i * 2654435761) >>> 0;
    const host = `WS-${(r % 50).toString().padStart(3, '0')}.corp.example.com`;
    const user = `user${r % 200}`;
    const img = IMAGES[r % IMAGES.length];
    const marker = i % 1000 === 7 ? ' -enc SQBuAHYAbwBrAGUALQBNAGkAbQBpAGsAYQB0AHoA invoke-mimikatz' : '';
    const o = {
      EventID: r % 7 === 0 ? 3 : 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: host,
      TimeCreated: new Date(base + i * 10).toISOString(),
      User: `CORP\\${user}`,
      ProcessGuid: `{${hex(r, 8)}-${hex(i, 4)}-${hex(r >> 3, 4)}-0000-${hex(r ^ i, 12)}}`,
      ProcessId: (r % 60000) + 4,
      Image: img,
      CommandLine: `"${img}" /c ${WORDS[r % 12]} ${WORDS[(r >> 4) % 12]} ${i}${marker}`,
      ParentImage: IMAGES[(r >> 8) % IMAGES.length],
      IntegrityLevel: r % 3 === 0 ? 'High' : 'Medium',
      Hashes: `SHA256=${hex(r, 64).toUpperCase()}`,
    };
    buf.push(JSON.stringify(o));
    if (buf.length === 10000) {
      writeSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) writeSync(fd, buf.join('\n') + '\n');
  closeSync(fd);
  const size = statSync(file).size;
  console.log(`generated ${N.toLocaleString('en-US')} events, ${mb(size)} (${Math.round(size / N)} bytes/event) in ${Date.now() - t0} ms`);
}

// ------------------------------------------------------------------ line reader
async function forEachLine(path: string, fn: (line: string, lineNo: number) => void | Promise<void>): Promise<number> {
  let rest = '';
  let n = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const s = rest + (chunk as string);
    let start = 0;
    for (;;) {
      const nl = s.indexOf('\n', start);
      if (nl < 0) break;
      if (nl > start) {
        const r = fn(s.slice(start, nl), ++n);
        if (r) await r;
      }
      start = nl + 1;
    }
    rest = s.slice(start);
  }
  if (rest) {
    const r = fn(rest, ++n);
    if (r) await r;
  }
  return n;
}

// ------------------------------------------------------------------ 2. reference: read + JSON.parse
let refMs: number;
{
  const t0 = performance.now();
  let keys = 0;
  await forEachLine(file, (line) => {
    keys += Object.keys(JSON.parse(line) as object).length;
  });
  refMs = performance.now() - t0;
  console.log(`reference read + JSON.parse: ${rate(N, refMs)} (${refMs.toFixed(0)} ms, ${keys} keys)`);
}

// ------------------------------------------------------------------ 3. end to end into the store
const store = openSqliteStore({ file: join(dir, 'garrison.db'), synchronous: SYNC, fts: FTS });
await store.init();
let e2eMs: number;
let stored = 0;
{
  const t0 = performance.now();
  const c0 = mainCpu();
  const now = Date.now();
  let batch: GarrisonEvent[] = [];
  await forEachLine(file, async (line, lineNo) => {
    const f = JSON.parse(line) as Record<string, unknown>;
    const time = Date.parse(f.TimeCreated as string);
    const userFull = f.User as string;
    const bs = userFull.indexOf('\\');
    batch.push({
      id: eventId(time, 'default', `file:${file}:${lineNo}`, line),
      time,
      ingestTime: now,
      tenant: 'default',
      source: { format: 'winlog', product: 'windows', service: 'sysmon', category: f.EventID === 1 ? 'process_creation' : 'network_connection', eventCode: String(f.EventID), input: `file:${file}` },
      class: f.EventID === 1 ? { uid: OCSF_CLASSES.process_activity, name: 'process_activity' } : { uid: OCSF_CLASSES.network_activity, name: 'network_activity' },
      entities: {
        host: f.Computer as string,
        user: userFull.slice(bs + 1),
        userDomain: userFull.slice(0, bs),
        process: { pid: f.ProcessId as number, guid: f.ProcessGuid as string, image: f.Image as string, commandLine: f.CommandLine as string, parent: { image: f.ParentImage as string } },
      },
      fields: f,
      raw: line,
    });
    if (batch.length >= BATCH) {
      const r = await store.appendEvents(batch);
      stored += r.stored;
      batch = [];
    }
  });
  if (batch.length) stored += (await store.appendEvents(batch)).stored;
  e2eMs = performance.now() - t0;
  const cpuS = mainCpu() - c0;
  console.log(`main-thread CPU ${cpuS.toFixed(1)} s: ${Math.round(stored / cpuS).toLocaleString('en-US')} events per main-thread CPU-second; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
  console.log(
    `end to end (read + parse + normalize + store, batches of ${BATCH}, synchronous=${SYNC}, fts=${FTS}): ${stored.toLocaleString('en-US')} stored, ${rate(stored, e2eMs)} (${e2eMs.toFixed(0)} ms), ratio to JSON.parse ${(refMs / e2eMs).toFixed(2)}`,
  );
}

// ------------------------------------------------------------------ 4. FTS catch-up
{
  const s0 = await store.stats();
  const t0 = performance.now();
  await store.flushIndex();
  const ms = performance.now() - t0;
  const s1 = await store.stats();
  console.log(
    `FTS indexer: ${s0.ftsIndexed.toLocaleString('en-US')} rows indexed during ingest; catch-up of the remaining ${(s1.maxSeq - s0.ftsWatermark).toLocaleString('en-US')} rows took ${ms.toFixed(0)} ms; overall indexer rate ${rate(s1.ftsIndexed, e2eMs + ms)} over ingest+catch-up`,
  );
}

// ------------------------------------------------------------------ 5. searches
for (const q of ['host:ws-007.corp.example.com', 'mimikatz', 'user:user42 AND process.image:*powershell.exe', 'fields.CommandLine:*juliet*kilo*', 'EventID:3 AND NOT host:ws-001*']) {
  const t0 = performance.now();
  const r = await store.search(q, { limit: 100 });
  console.log(`search ${JSON.stringify(q)}: ${r.events.length} hits (page of 100) in ${(performance.now() - t0).toFixed(1)} ms`);
}
const dbSize = statSync(join(dir, 'garrison.db')).size;
const ftsSize = FTS === 'off' ? 0 : statSync(join(dir, 'garrison.db.fts')).size;
await store.close();
peakRss = Math.max(peakRss, process.memoryUsage.rss());
console.log(`database ${mb(dbSize)}, FTS ${mb(ftsSize)}; peak RSS ${mb(peakRss)}`);
if (!KEEP) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
void writeFileSync;
