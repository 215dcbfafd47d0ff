/**
 * Damaged EVTX files, crafted: checksum mismatches, truncated chunks, corrupt records and chunk
 * headers. Default behaviour (docs/evtx.md, "Damaged files"): every problem is reported with
 * (file, chunk, offset), the damaged chunk or record is skipped, and the rest of the file is read.
 * `salvage: true` reads the records of a damaged chunk that validate on their own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { GarrisonError } from '../../core/errors.js';
import { buildEvtx, sampleRecords } from './fixtures/builder.js';
import { iterateEvtx, readEvtx, type EvtxReadOptions, type EvtxRecord } from './index.js';

const CHUNK = 65536;
const base = buildEvtx(sampleRecords(150)); // three chunks
const clean = [...iterateEvtx(base)];
const inChunk = (c: number) => clean.filter((r) => r.chunk === c);
const chunkStart = (c: number) => 4096 + c * CHUNK;

function read(b: Buffer, opts: EvtxReadOptions = {}): { recs: EvtxRecord[]; problems: GarrisonError[] } {
  const problems: GarrisonError[] = [];
  const recs = [...iterateEvtx(b, { file: 'd.evtx', ...opts, onProblem: (e) => problems.push(e) })];
  return { recs, problems };
}
const ids = (rs: EvtxRecord[]) => rs.map((r) => r.recordId);

/** Re-computes one chunk's checksums (so a record-level corruption is not caught at chunk level). */
function fixChunkCrc(b: Buffer, c: number): void {
  const ch = b.subarray(chunkStart(c), chunkStart(c) + CHUNK);
  ch.writeUInt32LE(crc32(ch.subarray(512, ch.readUInt32LE(48))), 52);
  ch.writeUInt32LE(crc32(ch.subarray(128, 512), crc32(ch.subarray(0, 120))), 124);
}

describe('damaged EVTX files: report (file, chunk, offset), skip, read the rest', () => {
  it('the fixture has three chunks and reads cleanly', () => {
    expect(new Set(clean.map((r) => r.chunk))).toEqual(new Set([0, 1, 2]));
    expect(read(base).problems).toEqual([]);
  });

  it('record-data checksum mismatch: the chunk is skipped by default, its records are salvaged on request', () => {
    const b = Buffer.from(base);
    const victim = inChunk(1)[5]!;
    b[victim.offset + 60] ^= 0xff; // a byte inside the record; chunk 1's data CRC no longer matches
    const d = read(b);
    expect(ids(d.recs)).toEqual(ids([...inChunk(0), ...inChunk(2)]));
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatchObject({ code: 'EVTX_CHUNK_CRC', location: { file: 'd.evtx', chunk: 1, offset: chunkStart(1) } });
    expect(d.problems[0]!.message).toMatch(/record data checksum mismatch; chunk skipped/);

    const s = read(b, { salvage: true });
    expect(s.problems.map((p) => p.code)).toEqual(['EVTX_CHUNK_CRC']);
    expect(s.problems[0]!.message).toMatch(/salvage/);
    expect(s.recs.length).toBeGreaterThanOrEqual(clean.length - 1); // the damaged byte may or may not break its record
    expect(ids(s.recs.filter((r) => r.chunk !== 1))).toEqual(ids([...inChunk(0), ...inChunk(2)]));
  });

  it('a checksum mismatch in a log not closed cleanly (header flag "dirty") says salvage can read it', () => {
    const b = Buffer.from(base);
    b.writeUInt32LE(b.readUInt32LE(120) | 1, 120); // dirty
    b.writeUInt32LE(crc32(b.subarray(0, 120)), 124);
    b[inChunk(2)[1]!.offset + 60] ^= 0xff;
    const d = read(b);
    expect(d.problems.map((p) => p.code)).toEqual(['EVTX_CHUNK_CRC']);
    expect(d.problems[0]!.message).toMatch(/not closed cleanly: salvage mode/);
    expect(read(base).problems).toEqual([]);
  });

  it('chunk header checksum mismatch: the chunk is skipped, the next chunks are read', () => {
    const b = Buffer.from(base);
    b.writeUInt32LE(b.readUInt32LE(chunkStart(0) + 140) ^ 1, chunkStart(0) + 140); // inside the checksummed header (128..512)
    const d = read(b);
    expect(ids(d.recs)).toEqual(ids([...inChunk(1), ...inChunk(2)]));
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatchObject({ code: 'EVTX_CHUNK_CRC', location: { file: 'd.evtx', chunk: 0, offset: chunkStart(0) } });
    expect(d.problems[0]!.message).toMatch(/header checksum/);
    expect(ids(read(b, { salvage: true }).recs)).toEqual(ids(clean));
  });

  it('a bad free-space offset: the chunk is skipped (salvage scans the whole chunk)', () => {
    const b = Buffer.from(base);
    b.writeUInt32LE(100, chunkStart(2) + 48);
    fixChunkCrcHeaderOnly(b, 2);
    const d = read(b);
    expect(ids(d.recs)).toEqual(ids([...inChunk(0), ...inChunk(1)]));
    expect(d.problems[0]).toMatchObject({ code: 'EVTX_BAD_CHUNK', location: { chunk: 2, offset: chunkStart(2) + 48 } });
    expect(ids(read(b, { salvage: true }).recs)).toEqual(ids(clean));
  });

  it('a file cut inside the records of its last chunk: that chunk is skipped, the complete chunks are read', () => {
    const last = inChunk(2);
    const cut = last[Math.floor(last.length / 2)]!.offset + 10;
    const d = read(base.subarray(0, cut));
    expect(ids(d.recs)).toEqual(ids([...inChunk(0), ...inChunk(1)]));
    expect(d.problems[0]).toMatchObject({ code: 'EVTX_TRUNCATED', location: { file: 'd.evtx', chunk: 2, offset: cut } });
    // salvage: the complete records before the cut are read; the cut is reported
    const s = read(base.subarray(0, cut), { salvage: true });
    expect(ids(s.recs)).toEqual(ids(clean.filter((r) => r.offset < cut - 10)));
    expect(s.problems.map((p) => p.code)).toEqual(['EVTX_TRUNCATED']);
    expect(s.problems[0]!.message).toMatch(/salvage/);
    // a cut inside the record header (its size unknown) is treated the same way
    const s2 = read(base.subarray(0, cut + 300), { salvage: true });
    expect(s2.recs.length).toBeGreaterThanOrEqual(s.recs.length);
  });

  it('a file cut in the free space after the last record: every record is read, the truncation is reported', () => {
    const used = base.readUInt32LE(chunkStart(2) + 48);
    const d = read(base.subarray(0, chunkStart(2) + used + 100));
    expect(ids(d.recs)).toEqual(ids(clean));
    expect(d.problems.map((p) => p.code)).toEqual(['EVTX_TRUNCATED']);
    expect(d.problems[0]!.message).toMatch(/records are complete/);
  });

  it('a file cut inside a chunk header, and a file with fewer chunks than its header declares', () => {
    const d = read(base.subarray(0, chunkStart(2) + 200));
    expect(ids(d.recs)).toEqual(ids([...inChunk(0), ...inChunk(1)]));
    expect(d.problems[0]).toMatchObject({ code: 'EVTX_TRUNCATED', location: { chunk: 2, offset: chunkStart(2) } });
    const e = read(base.subarray(0, chunkStart(2)));
    expect(ids(e.recs)).toEqual(ids([...inChunk(0), ...inChunk(1)]));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.code).toBe('EVTX_TRUNCATED');
    expect(e.problems[0]!.message).toMatch(/declares 3 chunks but the file holds 2/);
  });

  it('a corrupt record in a chunk whose checksums are right: only that record is skipped', () => {
    const b = Buffer.from(base);
    const victim = inChunk(1)[3]!;
    b.writeUInt32LE(0x7fff, victim.offset + 4); // record size (trailing copy no longer agrees)
    fixChunkCrc(b, 1);
    const d = read(b);
    expect(ids(d.recs)).toEqual(ids(clean.filter((r) => r !== victim)));
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatchObject({ code: 'EVTX_BAD_RECORD', location: { file: 'd.evtx', chunk: 1, offset: victim.offset, record: victim.recordId } });
  });

  it('several kinds of damage in one file are each reported once, and everything else is read', () => {
    const b = Buffer.from(base);
    b[inChunk(0)[2]!.offset + 70] ^= 0x55; // chunk 0: data CRC
    const victim = inChunk(2)[1]!;
    b.writeUInt32LE(0, victim.offset); // chunk 2: record signature gone
    fixChunkCrc(b, 2);
    const d = read(b);
    expect(ids(d.recs)).toEqual(ids([...inChunk(1), ...inChunk(2).filter((r) => r !== victim)]));
    expect(d.problems.map((p) => [p.code, p.location?.chunk])).toEqual([
      ['EVTX_CHUNK_CRC', 0],
      ['EVTX_BAD_RECORD', 2],
    ]);
  });

  it('the streaming reader reports and skips exactly like the in-memory one', async () => {
    const b = Buffer.from(base);
    b[inChunk(1)[0]!.offset + 64] ^= 1;
    const dir = mkdtempSync(path.join(tmpdir(), 'evtx-dmg-'));
    const file = path.join(dir, 'dmg.evtx');
    writeFileSync(file, b.subarray(0, b.length - 1000));
    const mem = read(b.subarray(0, b.length - 1000), { file });
    const problems: GarrisonError[] = [];
    const streamed: number[] = [];
    for await (const r of readEvtx(file, { onProblem: (e) => problems.push(e) })) streamed.push(r.recordId);
    expect(streamed).toEqual(ids(mem.recs));
    expect(problems.map((p) => [p.code, p.location])).toEqual(mem.problems.map((p) => [p.code, { ...p.location, file }]));
    expect(streamed.length).toBeGreaterThan(0);
  });
});

/** Updates only the header checksum (bytes 0–120 and 128–512) of chunk `c`. */
function fixChunkCrcHeaderOnly(b: Buffer, c: number): void {
  const ch = b.subarray(chunkStart(c), chunkStart(c) + CHUNK);
  ch.writeUInt32LE(crc32(ch.subarray(128, 512), crc32(ch.subarray(0, 120))), 124);
}
