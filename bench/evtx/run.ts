/**
 * EVTX benchmark: records/s and MB/s over every .evtx under ../shared/corpora, this reader vs
 * Debian's `evtxexport -f xml` over the same files, measured in the same run (one core each).
 *
 *   node --expose-gc --import tsx bench/evtx/run.ts [--rounds N] [--dir PATH] [--synthetic RECORDS]
 *
 * Modes for this reader: `xml` (parse + render the Windows XML of every record, what evtxexport
 * does), `flat` (parse + canonical flat form, what ingest uses), `event` (flat + Windows
 * normalization into a GarrisonEvent, raw XML included). Each mode reads the files with the
 * streaming reader (readEvtx). Prints peak RSS. Rounds (default 3) interleave all sides.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evtxRecordToEvent, listEvtxFiles, readEvtx } from '../../src/normalize/evtx/index.js';

const args = process.argv.slice(2);
// Child mode: build the synthetic file and exit (keeps the builder's memory out of the RSS measured below).
if (args[0] === '--build-synthetic') {
  const { buildEvtx, sampleRecords } = await import('../../src/normalize/evtx/fixtures/builder.js');
  writeFileSync(args[1]!, buildEvtx(sampleRecords(Number(args[2]))));
  process.exit(0);
}
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = opt('--dir', path.resolve(root, '../shared/corpora'));
const rounds = Number(opt('--rounds', '3'));

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const rssTimer = setInterval(sampleRss, 50);

const corpus = await listEvtxFiles(dir);
let files = corpus.files;
let MB = corpus.totalBytes / 1e6;

async function ours(mode: 'xml' | 'flat' | 'event'): Promise<{ records: number; ms: number; problems: number }> {
  let records = 0;
  let problems = 0;
  let sink = 0;
  const t0 = performance.now();
  for (const f of files) {
    for await (const r of readEvtx(f.path, { onProblem: () => problems++ })) {
      records++;
      if (mode === 'xml') sink += r.xml().length;
      else if (mode === 'flat') sink += Object.keys(r.flat()).length;
      else sink += evtxRecordToEvent(r, { file: f.path, tenant: 'bench', receivedAt: 0 }).id.length;
    }
    sampleRss();
  }
  if (sink < 0) console.log(sink);
  return { records, ms: performance.now() - t0, problems };
}

function evtxexportOne(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('evtxexport', ['-f', 'xml', file], { stdio: ['ignore', 'ignore', 'ignore'] });
    p.on('error', reject);
    p.on('close', () => resolve());
  });
}

async function reference(): Promise<number> {
  const t0 = performance.now();
  for (const f of files) await evtxexportOne(f.path);
  return performance.now() - t0;
}


/**
 * Rounds interleave the reference and every mode (ref, xml, flat, event, ref, xml, ...) so a burst
 * of load from other processes hits both sides alike; reported: best time per mode and the median
 * of the per-round ratios reference/mode.
 */
async function measure(title: string): Promise<void> {
  console.log(`\n${title}: ${files.length} file(s), ${MB.toFixed(1)} MB, Node ${process.version}, ${rounds} interleaved rounds`);
  await ours('xml'); // warm-up
  await ours('event');
  const modes = ['xml', 'flat', 'event'] as const;
  const times: Record<string, number[]> = { ref: [], xml: [], flat: [], event: [] };
  let records = 0;
  let problems = 0;
  for (let i = 0; i < rounds; i++) {
    times.ref!.push(await reference());
    for (const m of modes) {
      const r = await ours(m);
      times[m]!.push(r.ms);
      records = r.records;
      problems = r.problems;
    }
  }
  const bestOf = (k: string) => Math.min(...times[k]!);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ratio = (k: string) => median(times.ref!.map((r, i) => r / times[k]![i]!));
  const line = (name: string, ms: number) =>
    `${name.padEnd(36)} ${(records / (ms / 1000)).toFixed(0).padStart(9)} records/s ${(MB / (ms / 1000)).toFixed(1).padStart(7)} MB/s ${ms.toFixed(0).padStart(7)} ms`;
  console.log(line('evtxexport -f xml (reference)', bestOf('ref')));
  console.log(line('garrison xml', bestOf('xml')) + `  ratio ${ratio('xml').toFixed(1)}x`);
  console.log(line('garrison flat', bestOf('flat')) + `  ratio ${ratio('flat').toFixed(1)}x`);
  console.log(line('garrison event (flat+normalize+xml)', bestOf('event')) + `  ratio ${ratio('event').toFixed(1)}x`);
  console.log(`records ${records}, problems ${problems}, peak RSS so far ${(peakRss / 1048576).toFixed(0)} MB`);
}

await measure('Shared corpus (../shared/corpora, many small files)');

// One large synthetic Sysmon log (fixture builder): steady-state throughput and bounded memory.
const tmp = mkdtempSync(path.join(tmpdir(), 'evtx-bench-'));
const big = path.join(tmp, 'big.evtx');
const built = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--build-synthetic', big, opt('--synthetic', '50000')], { stdio: 'inherit' });
if (built.status !== 0) throw new Error('building the synthetic file failed');
files = [{ path: big, size: 0 }];
// Peak RSS from here on: the streaming reader over one large file.
(globalThis as { gc?: () => void }).gc?.();
peakRss = 0;
MB = (await import('node:fs')).statSync(big).size / 1e6;
await measure('One large synthetic Sysmon file');
rmSync(tmp, { recursive: true, force: true });
clearInterval(rssTimer);
