import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingestPaths } from './ingest.js';
import { runFileIngest } from './run.js';
import { JsonSplitter } from './json-splitter.js';
import { detectFile, zeekPathFromName } from './detect.js';
import { createPipeline, type Pipeline } from '../pipeline.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/store.js';
import { GarrisonError } from '../../core/errors.js';
import type { IngestSink } from '../sink.js';
import { parseWithPreParsed } from '../hec/workers.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

let dir: string;
let store: SqliteStore;
let pipeline: Pipeline;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'garrison-file-'));
  store = openSqliteStore({ file: path.join(dir, 'garrison.db'), fts: 'off' });
  await store.init();
  pipeline = createPipeline({ store });
});
afterEach(async () => {
  await pipeline.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('JsonSplitter', () => {
  const split = (mode: 'array' | 'concat', text: string, max = 1000, chunk = 3) => {
    const sp = new JsonSplitter(mode, max);
    const els: { text: string; index: number; line: number }[] = [];
    const probs: { kind: string; line: number; index?: number }[] = [];
    for (let i = 0; i < text.length; i += chunk) sp.push(text.slice(i, i + chunk), (e) => els.push(e), (p) => probs.push(p));
    sp.end((e) => els.push(e), (p) => probs.push(p));
    return { els, probs };
  };
  it('streams array elements across chunk boundaries, with strings holding brackets and escapes', () => {
    const { els, probs } = split('array', '[\n{"a":"]}\\"{["},\n {"b":[1,{"c":2}]} ,3,"s"]\n');
    expect(els.map((e) => e.text)).toEqual(['{"a":"]}\\"{["}', '{"b":[1,{"c":2}]}', '3', '"s"']);
    expect(els.map((e) => e.line)).toEqual([2, 3, 3, 3]);
    expect(probs).toEqual([]);
  });
  it('splits concatenated pretty-printed objects', () => {
    const { els } = split('concat', '{\n "a": 1\n}\n{\n "b": {"x": "}"}\n}\n', 1000, 5);
    expect(els.map((e) => JSON.parse(e.text))).toEqual([{ a: 1 }, { b: { x: '}' } }]);
    expect(els[1].line).toBe(4);
  });
  it('skips an oversized element without buffering it, reports truncation', () => {
    const big = '{"x":"' + 'y'.repeat(5000) + '"}';
    const { els, probs } = split('array', `[{"a":1},${big},{"b":2},{"c":`, 100, 64);
    expect(els.map((e) => e.text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(probs.map((p) => p.kind)).toEqual(['too_large', 'truncated', 'truncated']);
    expect(probs[0].index).toBe(1);
  });
});

describe('detection', () => {
  it('detects containers from the head and Zeek paths from names', () => {
    expect(detectFile('x', '#separator \\x09\n#fields\tts')?.container).toBe('zeek-tsv');
    expect(detectFile('x', ' [ {"a":1}')?.container).toBe('json-array');
    expect(detectFile('x', '{\n  "Records": [')?.container).toBe('cloudtrail');
    expect(detectFile('x', '{"a":1}\n{"a":2}\n')?.container).toBe('ndjson');
    expect(detectFile('x', '{\n "a": 1\n}\n')?.container).toBe('json-concat');
    expect(detectFile('x', '{"ts":1.5,"uid":"C1"}\n')).toMatchObject({ container: 'ndjson', parser: 'zeek' });
    expect(detectFile('x', '<13>Jan  1 00:00:00 h p: m\n')).toMatchObject({ container: 'lines', parser: 'auto' });
    expect(detectFile('x.evtx', '')?.container).toBe('evtx');
    expect(detectFile('x', '', Buffer.from('ElfFile\0'))?.container).toBe('evtx');
    expect(detectFile('x', '   \n')).toBeUndefined();
    expect(zeekPathFromName('/logs/dns.00:00:00-01:00:00.log.gz')).toBe('dns');
    expect(zeekPathFromName('/logs/conn.log')).toBe('conn');
    expect(zeekPathFromName('/logs/app.log')).toBeUndefined();
  });
});

describe('ingestPaths with a real pipeline and SQLite store', () => {
  it('ingests a folder of mixed formats, reports rejections with file:line, and is idempotent', async () => {
    const s = await ingestPaths([FIX], { sink: pipeline, listRejections: 100 });
    expect(s.files).toBe(7);
    expect(s.filesFailed).toBe(0);
    const byFile = Object.fromEntries(s.perFile.map((f) => [path.basename(f.path), f]));
    expect(byFile['zeek-dns.log']).toMatchObject({ container: 'zeek-tsv', records: 3, stored: 2, rejected: 1 });
    expect(byFile['cloudtrail.json']).toMatchObject({ container: 'cloudtrail', records: 3, stored: 2, rejected: 1 });
    expect(byFile['broken-array.json']).toMatchObject({ container: 'json-array', stored: 2 });
    expect(byFile['concat-pretty.json']).toMatchObject({ container: 'json-concat', stored: 2 });
    expect(byFile['mixed.ndjson']).toMatchObject({ container: 'ndjson', records: 3, stored: 2, rejected: 1 });
    expect(byFile['mixed-syslog.log']).toMatchObject({ container: 'lines', records: 4, stored: 3, rejected: 1 });
    expect(byFile['zeek-conn.json.log']).toMatchObject({ container: 'ndjson', parser: 'zeek', stored: 2 });
    expect(s.rejectedByCode).toMatchObject({ INGEST_BAD_JSON: 2, FILE_JSON_INVALID: 1, PARSE_CLOUDTRAIL_INVALID: 1, PARSE_ZEEK_INVALID: 1, PARSE_SYSLOG_INVALID: 1 });
    const ndj = s.rejections.find((r) => r.file.endsWith('mixed.ndjson'));
    expect(ndj).toMatchObject({ line: 2, code: 'INGEST_BAD_JSON' });
    expect(s.rejections.find((r) => r.file.endsWith('zeek-dns.log'))).toMatchObject({ line: 11, code: 'PARSE_ZEEK_INVALID' });
    expect(s.rejections.find((r) => r.file.endsWith('cloudtrail.json'))).toMatchObject({ index: 2 });
    expect(s.stored).toBe(15);
    expect(await store.countEvents()).toBe(15);

    // Normalized content reached the store.
    const dns = (await store.search('host:* OR *', { limit: 100 })).events.filter((e) => e.source.format === 'zeek' && e.source.service === 'dns');
    expect(dns.length).toBe(2);
    const q = dns.find((e) => e.fields.query === 'evil.example')!;
    expect(q.fields).toMatchObject({ answers: ['1.2.3.4', '5.6.7.8'], TTLs: [60, 60], rejected: false, 'id.orig_p': 5353 });
    expect(q.entities).toMatchObject({ srcIp: '10.0.0.1', dstIp: '8.8.8.8', dstPort: 53, domain: 'evil.example' });
    expect(q.time).toBe(1704067200123);
    expect(q.class.name).toBe('dns_activity');
    const unset = dns.find((e) => e.fields.uid === 'Cdef')!;
    expect('query' in unset.fields).toBe(false);
    expect(unset.fields.answers).toEqual([]);

    // Re-ingest: every event is a duplicate.
    const again = await ingestPaths([FIX], { sink: pipeline });
    expect(again.stored).toBe(0);
    expect(again.duplicates).toBe(15);
    expect(await store.countEvents()).toBe(15);
  });

  it('normalizing in a worker thread stores exactly what inline normalization stores, with the same counts and rejections', async () => {
    const now = () => 1_700_000_000_000;
    const inline = await ingestPaths([FIX], { sink: pipeline, listRejections: 100, now });
    const wstore = openSqliteStore({ file: path.join(dir, 'worker.db'), fts: 'off' });
    await wstore.init();
    const wpipe = createPipeline({ store: wstore, parse: parseWithPreParsed() });
    try {
      const w = await ingestPaths([FIX], { sink: wpipe, listRejections: 100, workers: 1, batchSize: 2, now });
      const strip = (x: typeof inline) => ({ ...x, elapsedMs: 0 });
      expect(strip(w)).toEqual(strip(inline));
      const all = async (st: SqliteStore) => (await st.search('host:* OR *', { limit: 100 })).events.sort((a, b) => (a.id < b.id ? -1 : 1));
      const a = await all(store);
      const b = await all(wstore);
      expect(b.length).toBe(15);
      expect(b).toEqual(a);
      // Idempotent through the worker path too.
      const again = await ingestPaths([FIX], { sink: wpipe, workers: 1 });
      expect(again).toMatchObject({ stored: 0, duplicates: 15 });
    } finally {
      await wpipe.close();
      await wstore.close();
    }
  });

  it('reads gzip files and skips an oversized line without failing the file', async () => {
    const lines = ['{"ts":"2024-01-01T00:00:00Z","n":1}', '{"pad":"' + 'x'.repeat(5000) + '"}', '{"ts":"2024-01-01T00:00:01Z","n":3}'];
    const f = path.join(dir, 'in', 'events.ndjson.gz');
    mkdirSync(path.dirname(f));
    writeFileSync(f, gzipSync(lines.join('\n') + '\n'));
    const s = await ingestPaths([f], { sink: pipeline, maxRecordChars: 1024, readChunkBytes: 4096 });
    expect(s).toMatchObject({ read: 3, stored: 2, rejected: 1, rejectedByCode: { FILE_RECORD_TOO_LARGE: 1 } });
    expect(s.rejections[0]).toMatchObject({ line: 2 });
  });

  it('rejects lines with invalid UTF-8 with their line number, keeps multi-byte characters cut by chunking', async () => {
    const f = path.join(dir, 'utf8.ndjson');
    const good = '{"ts":"2024-01-01T00:00:00Z","msg":"' + 'é'.repeat(3000) + '"}';
    writeFileSync(f, Buffer.concat([Buffer.from(good + '\n'), Buffer.from('{"msg":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n' + good.replace('00Z', '01Z') + '\n')]));
    const s = await ingestPaths([f], { sink: pipeline, readChunkBytes: 4097 });
    expect(s).toMatchObject({ read: 3, stored: 2, rejected: 1, rejectedByCode: { FILE_BAD_UTF8: 1 } });
    expect(s.rejections[0]).toMatchObject({ line: 2 });
    const evs = (await store.search('*', { limit: 10 })).events;
    expect(evs.every((e) => (e.fields.msg as string) === 'é'.repeat(3000))).toBe(true);
  });

  it('reports a truncated gzip file as FILE_READ_FAILED and keeps what was read', async () => {
    const body = Array.from({ length: 3000 }, (_, i) => `{"n":${i},"pad":"${'p'.repeat(50)}${i * 7919}"}`).join('\n');
    const gz = gzipSync(body);
    const f = path.join(dir, 'cut.ndjson.gz');
    writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const s = await ingestPaths([f], { sink: pipeline, readChunkBytes: 4096, batchSize: 100 });
    expect(s.filesFailed).toBe(1);
    expect(s.perFile[0].error?.code).toBe('FILE_READ_FAILED');
    expect(s.stored).toBeGreaterThan(0);
    expect(s.stored).toBeLessThan(3000);
  });

  it('missing paths and undetectable files are reported, others still ingested', async () => {
    const bin = path.join(dir, 'blob.bin');
    writeFileSync(bin, Buffer.from([0, 0, 0]));
    const blank = path.join(dir, 'blank.txt');
    writeFileSync(blank, '\n\n');
    copyFileSync(path.join(FIX, 'mixed.ndjson'), path.join(dir, 'ok.ndjson'));
    const sub = path.join(dir, 'folder');
    mkdirSync(sub);
    writeFileSync(path.join(sub, 'README.md'), '# not a log\n');
    writeFileSync(path.join(sub, 'capture.pcap'), Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]));
    writeFileSync(path.join(dir, 'dump.dat'), Buffer.from('text\0\0 then binary'));
    const s = await ingestPaths([path.join(dir, 'nope'), bin, blank, path.join(dir, 'ok.ndjson'), sub, path.join(dir, 'dump.dat')], { sink: pipeline });
    expect(s.skipped).toBe(2);
    expect(s.perFile.find((f) => f.path.endsWith('dump.dat'))?.error?.message).toMatch(/binary/);
    expect(s.rejectedByCode).toMatchObject({ FILE_NOT_FOUND: 1, FILE_FORMAT_UNKNOWN: 2 });
    expect(s.stored).toBe(2);
    expect(s.filesFailed).toBe(3);
    expect(s.perFile.find((f) => f.path === blank)?.error).toBeUndefined();
  });

  it('EVTX files land in the EVTX slot (reported, not crashed on)', async () => {
    const f = path.join(dir, 'x.evtx');
    writeFileSync(f, Buffer.concat([Buffer.from('ElfFile\0'), Buffer.alloc(100)]));
    const s = await ingestPaths([f], { sink: pipeline });
    expect(s.perFile[0].container).toBe('evtx');
  });

  it('retries batches the sink refuses with BUSY and stores everything', async () => {
    let refusals = 3;
    const sink: IngestSink = {
      submit: (r) => (refusals-- > 0 ? Promise.reject(new GarrisonError('BUSY', 'full')) : pipeline.submit(r)),
    };
    const s = await ingestPaths([path.join(FIX, 'zeek-conn.json.log')], { sink, busyRetryMs: 1 });
    expect(s.stored).toBe(2);
  });

  it('runFileIngest opens <data>/garrison.db and closes it (the garrison ingest path)', async () => {
    const data = path.join(dir, 'data');
    const s = await runFileIngest([path.join(FIX, 'cloudtrail.json')], { dataDir: data, store: { fts: 'off' }, tenant: 'acme' });
    expect(s.stored).toBe(2);
    const st = openSqliteStore({ file: path.join(data, 'garrison.db'), fts: 'off' });
    const evs = (await st.search('*', { limit: 10, tenant: 'acme' })).events;
    await st.close();
    expect(evs.map((e) => e.source.eventCode).sort()).toEqual(['ConsoleLogin', 'CreateUser']);
    const login = evs.find((e) => e.source.eventCode === 'ConsoleLogin')!;
    expect(login.class.name).toBe('authentication');
    expect(login.entities).toMatchObject({ user: 'carol', srcIp: '198.51.100.1', outcome: 'failure' });
    expect(login.id).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(path.join(FIX, 'cloudtrail.json'), 'utf8')).toContain('"Records"');
  });
});
