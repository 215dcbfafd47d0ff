/** /api/v1/events over real sockets into a real SQLite file: ingest formats, per-line errors, search. */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../surface/server/test-helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ api: { maxEventBytes: 1024, maxBodyBytes: 64 * 1024 } });
});
afterAll(async () => {
  await s?.stop();
});

const count = async (tag: string) => (await s.ctx.store.search(`tag:${tag}`, { limit: 1000 })).events.length;

describe('POST /api/v1/events', () => {
  it('stores NDJSON and reports bad lines with their line numbers', async () => {
    const body = '{"tag":"nd","n":1}\n\n{"tag":"nd",broken}\n[1,2]\n{"tag":"nd","n":4}\n';
    const r = await s.api('POST', '/api/v1/events', body, { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ format: 'ndjson', received: 4, stored: 2, duplicates: 0, rejected: 2 });
    expect(r.json.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [3, 'INGEST_BAD_JSON'],
      [4, 'INGEST_BAD_JSON'],
    ]);
    expect(r.json.errors[1].message).toMatch(/line 4: expected a JSON object, got an array/);
    expect(await count('nd')).toBe(2);
  });

  it('stores a JSON array (200 when all are good) and a single object', async () => {
    let r = await s.api('POST', '/api/v1/events', JSON.stringify([{ tag: 'arr', n: 1 }, { tag: 'arr', n: 2 }]), { 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ format: 'array', received: 2, stored: 2, duplicates: 0, rejected: 0, errors: [] });
    r = await s.api('POST', '/api/v1/events', '{"tag":"one"}', { 'content-type': 'application/json' });
    expect(r.json).toMatchObject({ format: 'object', stored: 1 });
  });

  it('keeps the good elements of a broken JSON array and names the bad one by line', async () => {
    const body = '[\n  {"tag":"barr","n":1},\n  {"tag":"barr","n":oops},\n  {"tag":"barr","n":3}\n]';
    const r = await s.api('POST', '/api/v1/events', body, { 'content-type': 'application/json' });
    expect(r.json).toMatchObject({ format: 'array', stored: 2, rejected: 1, errors: [{ index: 1, line: 3, code: 'INGEST_BAD_JSON' }] });
    expect(await count('barr')).toBe(2);
  });

  it('sniffs the format when the content type says neither', async () => {
    const r = await s.api('POST', '/api/v1/events', '[{"tag":"sniff"}]', { 'content-type': 'text/plain' });
    expect(r.json).toMatchObject({ format: 'array', stored: 1 });
    const r2 = await s.api('POST', '/api/v1/events', '{"tag":"sniff"}\n{"tag":"sniff"}');
    expect(r2.json).toMatchObject({ format: 'ndjson', stored: 2 });
  });

  it('accepts gzip and reports truncated gzip precisely', async () => {
    let r = await s.api('POST', '/api/v1/events', gzipSync('{"tag":"agz"}\n{"tag":"agz"}'), { 'content-encoding': 'gzip' });
    expect(r.json).toMatchObject({ stored: 2 });
    const gz = gzipSync('{"tag":"agz2"}\n'.repeat(100));
    r = await s.api('POST', '/api/v1/events', gz.subarray(0, gz.length - 9), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'BODY_BAD_GZIP', message: expect.stringMatching(/truncated/) });
    expect(await count('agz2')).toBe(0);
  });

  it('rejects an oversized line with 413 and invalid UTF-8 with its line, keeping the rest', async () => {
    const big = JSON.stringify({ tag: 'lim', pad: 'x'.repeat(2000) });
    const body = Buffer.concat([Buffer.from(`{"tag":"lim","n":1}\n${big}\n{"tag":"lim","s":"`), Buffer.from([0xff]), Buffer.from('"}\n{"tag":"lim","n":4}\n')]);
    const r = await s.api('POST', '/api/v1/events', body, { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ stored: 2, rejected: 2 });
    expect(r.json.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [2, 'PAYLOAD_TOO_LARGE'],
      [3, 'BODY_BAD_UTF8'],
    ]);
    expect(r.json.errors[0].message).toMatch(/over the per-event limit of 1024 bytes/);
  });

  it('answers 413 for a body over the limit and 400 for an empty one', async () => {
    const r = await s.api('POST', '/api/v1/events', '{"tag":"x"}\n'.repeat(7000));
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const e = await s.api('POST', '/api/v1/events', '');
    expect(e.status).toBe(400);
  });

  it('stores the same record posted twice as two events (each request is a new arrival)', async () => {
    // Events have no natural identity in this API; each request is a new arrival.
    const body = '{"tag":"dup"}';
    await s.api('POST', '/api/v1/events', body);
    await s.api('POST', '/api/v1/events', body);
    expect(await count('dup')).toBe(2);
  });
});

describe('GET /api/v1/events', () => {
  it('searches with q, returns the compiled query, pages with a cursor', async () => {
    await s.api('POST', '/api/v1/events', Array.from({ length: 5 }, (_, i) => JSON.stringify({ tag: 'page', n: i })).join('\n'));
    const r1 = await s.api('GET', '/api/v1/events?q=' + encodeURIComponent('tag:page') + '&limit=3');
    expect(r1.status).toBe(200);
    expect(r1.json.events).toHaveLength(3);
    expect(r1.json.query).toMatchObject({ text: 'tag:page' });
    expect(r1.json.query.sql).toContain('?');
    expect(JSON.stringify(r1.json.query.params)).toContain('page');
    const r2 = await s.api('GET', `/api/v1/events?q=tag:page&limit=3&cursor=${encodeURIComponent(r1.json.nextCursor)}`);
    expect(r2.json.events).toHaveLength(2);
    const ids = new Set([...r1.json.events, ...r2.json.events].map((e: { id: string }) => e.id));
    expect(ids.size).toBe(5);
  });

  it('applies from/to (ms or ISO)', async () => {
    const future = await s.api('GET', '/api/v1/events?q=tag:page&from=2999-01-01T00:00:00Z');
    expect(future.json.events).toHaveLength(0);
    const past = await s.api('GET', `/api/v1/events?q=tag:page&from=0&to=${Date.now() + 60_000}`);
    expect(past.json.events).toHaveLength(5);
  });

  it('answers 400 with a location for a bad query, time or limit', async () => {
    const q = await s.api('GET', '/api/v1/events?q=' + encodeURIComponent('tag:(page'));
    expect(q.status).toBe(400);
    expect(q.json.error.code).toBe('QUERY_INVALID');
    const t = await s.api('GET', '/api/v1/events?from=yesterday');
    expect(t.status).toBe(400);
    expect(t.json.error).toMatchObject({ code: 'BAD_REQUEST', location: { field: 'from' } });
    const l = await s.api('GET', '/api/v1/events?limit=99999');
    expect(l.status).toBe(400);
  });
});
