/**
 * The streaming reader's memory stays bounded: it reads 1 MiB at a time and keeps nothing the
 * caller does not keep. (The multi-GB measurement is bench/evtx/large.ts; this test uses a 160 MiB
 * file so it runs in a few seconds.)
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEvtx, sampleRecords } from './fixtures/builder.js';
import { readEvtx } from './index.js';

const CHUNK = 65536;
const dir = mkdtempSync(path.join(tmpdir(), 'evtx-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file of `n` chunks (the fixture's chunks repeated) without holding it in memory. */
function writeLarge(file: string, n: number): { records: number } {
  const sample = buildEvtx(sampleRecords(400));
  const chunks: Buffer[] = [];
  for (let off = 4096; off + CHUNK <= sample.length; off += CHUNK) chunks.push(sample.subarray(off, off + CHUNK));
  const perChunk = chunks.map((c) => {
    let k = 0;
    for (let p = c.indexOf('**\0\0', 512, 'latin1'); p >= 0 && p < c.readUInt32LE(48); p = c.indexOf('**\0\0', p + c.readUInt32LE(p + 4), 'latin1')) k++;
    return k;
  });
  const h = Buffer.from(sample.subarray(0, 4096));
  h.writeUInt16LE(n, 42);
  h.writeUInt32LE(crc32(h.subarray(0, 120)), 124);
  const fd = openSync(file, 'w');
  writeSync(fd, h);
  let records = 0;
  for (let i = 0; i < n; i++) {
    writeSync(fd, chunks[i % chunks.length]!);
    records += perChunk[i % chunks.length]!;
  }
  closeSync(fd);
  return { records };
}

describe('readEvtx memory on a large file', () => {
  it('streams 160 MiB with heap and buffer memory far below the file size', async () => {
    const file = path.join(dir, 'large.evtx');
    const n = 2560; // 160 MiB
    const { records: expected } = writeLarge(file, n);
    globalThis.gc?.();
    const base = process.memoryUsage();
    let peak = 0;
    let records = 0;
    let problems = 0;
    let lastChunk = -1;
    for await (const r of readEvtx(file, { onProblem: () => problems++ })) {
      records++;
      lastChunk = r.chunk;
      if ((records & 255) === 0) {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed - base.heapUsed + (m.arrayBuffers - base.arrayBuffers));
      }
      if ((records & 4095) === 0) r.flat(); // render some records too
    }
    expect(problems).toBe(0);
    expect(records).toBe(expected);
    expect(lastChunk).toBe(n - 1);
    // Holding the file would take >= 160 MiB of buffers; the reader keeps one 1 MiB batch plus garbage not yet collected.
    if (process.env.EVTX_MEM_DEBUG) console.log(`peak ${(peak / 1048576).toFixed(1)} MiB`);
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
