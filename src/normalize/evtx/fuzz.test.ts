/**
 * Fuzz: thousands of mutated and truncated EVTX files parse (and render) without a crash, a
 * hang or unbounded memory; damage is reported as GarrisonErrors with a location and the rest of
 * the file is still read.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GarrisonError } from '../../core/errors.js';
import { buildEvtx, sampleRecords, v } from './fixtures/builder.js';
import { iterateEvtx } from './index.js';

const base = buildEvtx(sampleRecords(120)); // two chunks

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Re-computes chunk checksums so mutations reach the BinXML parser instead of stopping at the CRC. */
function fixCrcs(b: Buffer): void {
  for (let off = 4096; off + 65536 <= b.length; off += 65536) {
    const c = b.subarray(off, off + 65536);
    if (c.toString('latin1', 0, 8) !== 'ElfChnk\0') continue;
    const free = Math.min(Math.max(c.readUInt32LE(48), 512), 65536);
    c.writeUInt32LE(crc32(c.subarray(512, free)), 52);
    c.writeUInt32LE(crc32(c.subarray(128, 512), crc32(c.subarray(0, 120))), 124);
  }
}

function parseAll(b: Buffer, salvage = false): { records: number; problems: GarrisonError[] } {
  const problems: GarrisonError[] = [];
  let records = 0;
  for (const r of iterateEvtx(b, { file: 'fuzz.evtx', salvage, onProblem: (e) => problems.push(e) })) {
    records++;
    try {
      r.xml();
      r.flat();
    } catch (e) {
      if (!(e instanceof GarrisonError)) throw e;
      problems.push(e);
    }
  }
  return { records, problems };
}

describe('EVTX fuzz', () => {
  it('survives 3000 mutated files (byte flips, overwrites, splices), CRCs fixed up or salvage on half the time', () => {
    const rand = rng(0xe7);
    const t0 = Date.now();
    let maxMs = 0;
    let maxHeap = 0;
    let withProblems = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      const n = 1 + Math.floor(rand() * 12);
      for (let k = 0; k < n; k++) {
        // bias mutations to the record area of the first chunk, where templates live
        const at = rand() < 0.8 ? 4096 + 512 + Math.floor(rand() * 6000) : Math.floor(rand() * b.length);
        const kind = rand();
        if (kind < 0.5) b[at] = Math.floor(rand() * 256);
        else if (kind < 0.75) b.writeUInt32LE(Math.floor(rand() * 0xffffffff), Math.min(at, b.length - 4));
        else b.copy(b, at, Math.floor(rand() * b.length), Math.floor(rand() * b.length));
      }
      const fix = rand() < 0.5;
      if (fix) fixCrcs(b);
      const s = Date.now();
      // Without fixed CRCs the damaged chunk is skipped by default; salvage makes the parser see the damage.
      const res = parseAll(b, !fix);
      maxMs = Math.max(maxMs, Date.now() - s);
      if (i % 100 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
      if (res.problems.length) withProblems++;
      for (const p of res.problems) {
        expect(p.code.startsWith('EVTX_')).toBe(true);
        expect(p.location?.file).toBe('fuzz.evtx');
        expect(typeof p.location?.offset).toBe('number');
      }
    }
    expect(withProblems).toBeGreaterThan(1000);
    expect(maxMs).toBeLessThan(2000);
    expect(maxHeap).toBeLessThan(512 * 1024 * 1024);
    expect(Date.now() - t0).toBeLessThan(120_000);
  });

  it('survives every truncation length of the first 20 KiB and 200 random ones', () => {
    const rand = rng(7);
    const lens = [...Array.from({ length: 20480 / 16 }, (_, i) => i * 16), ...Array.from({ length: 200 }, () => Math.floor(rand() * base.length))];
    for (const len of lens) {
      for (const salvage of [false, true]) {
        const res = parseAll(base.subarray(0, len), salvage);
        if (len < base.length) expect(res.problems.length).toBeGreaterThan(0);
      }
    }
  });

  it('reports a corrupt record with file, chunk and offset and still reads the rest of the file', () => {
    const b = Buffer.from(base);
    const recs = [...iterateEvtx(base)];
    const victim = recs[10]!;
    b.writeUInt32LE(0xdeadbeef, victim.offset + 4); // record size
    fixCrcs(b); // the chunk's checksums agree: the damage is found at record level
    const problems: GarrisonError[] = [];
    const got = [...iterateEvtx(b, { file: 'x.evtx', onProblem: (e) => problems.push(e) })];
    expect(got.length).toBe(recs.length - 1);
    expect(got.map((r) => r.recordId)).not.toContain(victim.recordId);
    const p = problems.find((x) => x.code === 'EVTX_BAD_RECORD')!;
    expect(p.location).toMatchObject({ file: 'x.evtx', chunk: 0, offset: victim.offset, record: victim.recordId });
    expect(problems).toHaveLength(1);
  });

  it('skips a chunk with a destroyed header and reads the next chunk', () => {
    const b = Buffer.from(base);
    const recs = [...iterateEvtx(base)];
    b.write('XXXXXXXX', 4096, 'latin1');
    const problems: GarrisonError[] = [];
    const got = [...iterateEvtx(b, { file: 'x.evtx', onProblem: (e) => problems.push(e) })];
    expect(got.length).toBe(recs.filter((r) => r.chunk === 1).length);
    expect(got.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ code: 'EVTX_BAD_CHUNK', location: { file: 'x.evtx', chunk: 0, offset: 4096 } });
  });

  it('reports a bad BinXML token in one record and keeps the others', () => {
    const b = Buffer.from(base);
    const recs = [...iterateEvtx(base)];
    const victim = recs[1]!; // uses the cached template: its BinXML starts with the instance token
    b[victim.offset + 24 + 4] = 0x77; // template instance token → garbage
    fixCrcs(b);
    const problems: GarrisonError[] = [];
    const got = [...iterateEvtx(b, { file: 'x.evtx', onProblem: (e) => problems.push(e) })];
    expect(got.length).toBe(recs.length - 1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'EVTX_BAD_BINXML', location: { chunk: 0, offset: victim.offset, record: victim.recordId } });
  });

  it('refuses to render a substitution fan-out beyond the per-record budget (no memory blow-up)', () => {
    // 2,000 Data elements all referring to one 24 KB string: 48 MB of text from a 58 KB record.
    const tpl = { key: 'fanout', dataNames: Array.from({ length: 2000 }, (_, i) => `D${i}`), unnamed: true, sameSubst: true };
    const rec = { ...sampleRecords(1)[0]!, template: tpl, data: [v.str('A'.repeat(12_000))] };
    const [r] = [...iterateEvtx(buildEvtx([rec]))];
    expect(() => r!.xml()).toThrow(expect.objectContaining({ code: 'EVTX_BAD_BINXML' }));
    expect(() => r!.flat()).toThrow(expect.objectContaining({ code: 'EVTX_BAD_BINXML' }));
  });

  it('rejects a file that is not EVTX', () => {
    const problems: GarrisonError[] = [];
    expect([...iterateEvtx(Buffer.from('hello world'), { onProblem: (e) => problems.push(e) })]).toEqual([]);
    expect(problems[0]?.code).toBe('EVTX_BAD_FILE_HEADER');
  });
});
