/**
 * EVTX streaming over a multi-GB file: memory must stay bounded (the reader holds one 1 MiB batch
 * plus what the caller keeps), whatever the file size.
 *
 *   node --expose-gc --import tsx bench/evtx/large.ts [--gb 2] [--mode flat|xml|event] [--keep FILE]
 *
 * Writes a synthetic Sysmon-like EVTX file of the requested size to the temp folder (the chunks of
 * the fixture builder repeated, file header declaring the real chunk count — at most 65,535 chunks,
 * i.e. 4 GiB, the format's limit), streams it with readEvtx rendering every record, and reports
 * records/s, MB/s and RSS / heap / ArrayBuffer memory sampled every 50 ms: the peak, and the value
 * at 10 %, 50 % and 100 % of the file (flat = bounded). The file is deleted at the end unless --keep.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { buildEvtx, sampleRecords } from '../../src/normalize/evtx/fixtures/builder.js';
import { evtxRecordToEvent, readEvtx } from '../../src/normalize/evtx/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const gb = Number(opt('--gb', '2'));
const mode = opt('--mode', 'flat') as 'flat' | 'xml' | 'event';
const keep = opt('--keep', '');
const CHUNK = 65536;

// 1. build the file: header + the fixture's chunks repeated (streamed to disk, never held whole)
const sample = buildEvtx(sampleRecords(3000));
const chunks: Buffer[] = [];
for (let off = 4096; off + CHUNK <= sample.length; off += CHUNK) chunks.push(sample.subarray(off, off + CHUNK));
const nChunks = Math.min(65535, Math.max(1, Math.round((gb * 1024 ** 3) / CHUNK)));
const header = Buffer.from(sample.subarray(0, 4096));
header.writeUInt16LE(nChunks, 42);
header.writeUInt32LE(crc32(header.subarray(0, 120)), 124);
const file = keep || path.join(mkdtempSync(path.join(tmpdir(), 'evtx-large-')), 'large.evtx');
{
  const ws = createWriteStream(file);
  const put = (b: Buffer) => (ws.write(b) ? undefined : new Promise<void>((r) => ws.once('drain', () => r())));
  await put(header);
  for (let i = 0; i < nChunks; i++) {
    const p = put(chunks[i % chunks.length]!);
    if (p) await p;
  }
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
}
const size = statSync(file).size;
globalThis.gc?.();

// 2. stream it
const mem = () => {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, ab: m.arrayBuffers };
};
const start = mem();
const peak = { ...start };
const sample_ = () => {
  const m = mem();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heap = Math.max(peak.heap, m.heap);
  peak.ab = Math.max(peak.ab, m.ab);
};
const timer = setInterval(sample_, 50);
const marks: { at: string; rss: number; heap: number; ab: number }[] = [];
const nextMark = [0.1, 0.5];
let records = 0;
let problems = 0;
let sink = 0;
const t0 = performance.now();
for await (const r of readEvtx(file, { onProblem: () => problems++ })) {
  records++;
  if (mode === 'xml') sink += r.xml().length;
  else if (mode === 'flat') sink += Object.keys(r.flat()).length;
  else sink += evtxRecordToEvent(r, { file, tenant: 'bench', receivedAt: 0 }).id.length;
  if ((records & 1023) === 0) {
    sample_();
    if (nextMark.length && r.offset / size >= nextMark[0]!) marks.push({ at: `${Math.round(nextMark.shift()! * 100)}%`, ...mem() });
  }
}
const secs = (performance.now() - t0) / 1000;
sample_();
marks.push({ at: '100%', ...mem() });
clearInterval(timer);
if (!keep) rmSync(path.dirname(file), { recursive: true, force: true });

const MB = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
console.log(`file: ${(size / 1024 ** 3).toFixed(2)} GiB, ${nChunks} chunks, ${records} records, ${problems} problems (mode ${mode})`);
console.log(`throughput: ${Math.round(records / secs).toLocaleString('en')} records/s, ${(size / 1e6 / secs).toFixed(0)} MB/s (${secs.toFixed(1)} s)`);
console.log(`memory before streaming: rss ${MB(start.rss)}, heap ${MB(start.heap)}, array buffers ${MB(start.ab)}`);
for (const m of marks) console.log(`memory at ${m.at.padStart(4)}: rss ${MB(m.rss)}, heap ${MB(m.heap)}, array buffers ${MB(m.ab)}`);
console.log(`peak while streaming: rss ${MB(peak.rss)}, heap ${MB(peak.heap)}, array buffers ${MB(peak.ab)}`);
if (sink < 0) console.log(sink);
