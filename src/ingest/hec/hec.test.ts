/**
 * HEC over real sockets into a real SQLite file (temp dir): every endpoint, auth, batch
 * semantics, malformed input, acknowledgements and back-pressure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEC_DISABLED, HEC_INDEXED, HEC_TOKEN, startTestServer, type TestServer } from '../../surface/server/test-helpers.js';
import type { Store } from '../../store/port.js';
import { openSqliteStore } from '../../store/sqlite/store.js';

const CH = '0aa5a4d2-7c0b-4f1e-9a53-6f8f0c2b1d11';
let s: TestServer;

beforeAll(async () => {
  // The main suite runs the worker-thread path; 'HEC inline parsing' below runs the default inline one.
  s = await startTestServer({ hec: { maxEventBytes: 2048, maxBodyBytes: 256 * 1024, maxFieldBytes: 256, workers: 1 } });
});
afterAll(async () => {
  await s?.stop();
});

/** Events stored whose original fields have `tag` = value. */
async function tagged(tag: string): Promise<Record<string, unknown>[]> {
  const r = await s.ctx.store.search(`tag:${tag}`, { limit: 1000, order: 'asc' });
  // Events of one request share their time; order them by their `n` field.
  return r.events
    .map((e) => ({ ...e.fields, _host: e.entities.host, _time: e.time, _input: e.source.input }) as Record<string, unknown>)
    .sort((a, b) => Number(a.n ?? 0) - Number(b.n ?? 0));
}

describe('HEC /services/collector/event', () => {
  it('stores a batch of back-to-back JSON objects and answers Success', async () => {
    const body = '{"event":{"tag":"b1","n":1},"host":"web01","time":1700000000.25}{"event":{"tag":"b1","n":2}}\n  {"event":{"tag":"b1","n":3},"sourcetype":"_json","fields":{"env":"prod"}}';
    const r = await s.hec('/services/collector/event', body);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    const evs = await tagged('b1');
    expect(evs.map((e) => e.n)).toEqual([1, 2, 3]);
    const first = evs.find((e) => e.n === 1)!;
    expect(first._host).toBe('web01');
    expect(first._time).toBe(1700000000250);
    expect(first._input).toBe('hec');
  });

  it("an event's HEC time wins over a timestamp in the body; without it the body's time is used", async () => {
    const body = [
      // JSON body with its own @timestamp, a syslog line with its own RFC 5424 time, a squid line with its epoch.
      '{"event":{"tag":"hect","n":1,"@timestamp":"2024-03-01T10:00:00Z"},"time":1700000000.125}',
      '{"event":"<34>1 2024-03-01T10:00:00Z web01 sshd 1 - - Accepted publickey for hect from 10.0.0.1 port 1 ssh2","sourcetype":"syslog","time":"1700000001.5"}',
      '{"event":"1795392191.470 1 10.0.0.1 TCP_MISS/200 1 GET http://hect.example/ - HIER_NONE/- -","sourcetype":"squid","time":1700000002}',
      '{"event":{"tag":"hect","n":4,"@timestamp":"2024-03-01T10:00:04Z"}}',
    ].join('\n');
    const r = await s.hec('/services/collector/event', body);
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    const byN = await tagged('hect');
    expect(byN.map((e) => [e.n, e._time])).toEqual([
      [1, 1700000000125],
      [4, Date.UTC(2024, 2, 1, 10, 0, 4)],
    ]);
    // The body's own timestamp is still in the original fields.
    expect(byN[0]['@timestamp']).toBe('2024-03-01T10:00:00Z');
    const sys = (await s.ctx.store.search('user:hect', { limit: 5 })).events;
    expect(sys.map((e) => e.time)).toEqual([1700000001500]);
    const px = (await s.ctx.store.search('domain:hect.example', { limit: 5 })).events;
    expect(px.map((e) => [e.source.format, e.time])).toEqual([['proxy', 1700000002000]]);
    // Ids are time-sortable: they carry the HEC time, not the body's.
    expect(px[0].id.slice(0, 12)).toBe((1700000002000).toString(16).padStart(12, '0'));
  });

  it('also answers on /services/collector and /services/collector/event/1.0', async () => {
    for (const path of ['/services/collector', '/services/collector/event/1.0']) {
      const r = await s.hec(path, '{"event":{"tag":"alias"}}');
      expect(r.json.code).toBe(0);
    }
    expect(await tagged('alias')).toHaveLength(2);
  });

  it('keeps the good events of a batch with a bad JSON object and names the bad one', async () => {
    const body = '{"event":{"tag":"bad1","n":0}}{"event":{"tag":"bad1",n:1}}{"event":{"tag":"bad1","n":2}}';
    const r = await s.hec('/services/collector/event', body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ text: 'Invalid data format', code: 6, 'invalid-event-number': 1, stored: 2, rejected: 1 });
    expect(r.json.errors[0]).toMatchObject({ event: 1, code: 'HEC_BAD_FORMAT' });
    expect((await tagged('bad1')).map((e) => e.n)).toEqual([0, 2]);
  });

  it('answers code 12 for a missing event field and 13 for a blank one', async () => {
    let r = await s.hec('/services/collector/event', '{"host":"x"}');
    expect(r.json).toMatchObject({ text: 'Event field is required', code: 12, 'invalid-event-number': 0 });
    r = await s.hec('/services/collector/event', '{"event":{"tag":"blank"}}{"event":""}');
    expect(r.json).toMatchObject({ text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 1, stored: 1 });
  });

  it('answers code 5 for an empty body and 6 for garbage', async () => {
    expect((await s.hec('/services/collector/event', '')).json).toMatchObject({ text: 'No data', code: 5 });
    expect((await s.hec('/services/collector/event', '   \n ')).json).toMatchObject({ code: 5 });
    const r = await s.hec('/services/collector/event', 'hello world');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 6, 'invalid-event-number': 0 });
  });

  it('reports a truncated last object without losing the complete ones', async () => {
    const r = await s.hec('/services/collector/event', '{"event":{"tag":"trunc","n":1}}{"event":{"tag":"trunc","n":2');
    expect(r.json).toMatchObject({ code: 6, 'invalid-event-number': 1, stored: 1 });
    expect(r.json.errors[0].message).toMatch(/unterminated/);
  });

  it('checks metadata types, time, fields and the index allowed by the token', async () => {
    let r = await s.hec('/services/collector/event', '{"event":{"tag":"meta"},"time":"yesterday"}');
    expect(r.json).toMatchObject({ code: 6, errors: [{ code: 'HEC_BAD_METADATA' }] });
    r = await s.hec('/services/collector/event', '{"event":{"tag":"meta"},"fields":{"a":{"nested":1}}}');
    expect(r.json).toMatchObject({ text: 'Error in handling indexed fields', code: 15 });
    r = await s.hec('/services/collector/event', '{"event":{"tag":"meta"},"index":"security"}{"event":{"tag":"meta"},"index":"secret"}', { authorization: `Splunk ${HEC_INDEXED}` });
    expect(r.json).toMatchObject({ text: 'Incorrect index', code: 7, 'invalid-event-number': 1, stored: 1 });
  });
});

describe('HEC authentication', () => {
  const post = (auth?: string) => s.hec('/services/collector/event', '{"event":"x"}', auth === undefined ? { authorization: '' } : { authorization: auth });
  it('answers Splunk codes 2, 3, 4 and 1', async () => {
    let r = await post();
    expect([r.status, r.json.code, r.json.text]).toEqual([401, 2, 'Token is required']);
    r = await post('Basic Zm9vOmJhcg==');
    expect([r.status, r.json.code, r.json.text]).toEqual([401, 3, 'Invalid authorization']);
    r = await post('Splunk 00000000-0000-0000-0000-000000000000');
    expect([r.status, r.json.code, r.json.text]).toEqual([403, 4, 'Invalid token']);
    r = await post(`Splunk ${HEC_DISABLED}`);
    expect([r.status, r.json.code, r.json.text]).toEqual([403, 1, 'Token disabled']);
  });
});

describe('HEC bodies: gzip, encoding, sizes', () => {
  it('accepts gzip bodies', async () => {
    const r = await s.hec('/services/collector/event', gzipSync('{"event":{"tag":"gz","n":1}}{"event":{"tag":"gz","n":2}}'), { 'content-encoding': 'gzip' });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect(await tagged('gz')).toHaveLength(2);
  });

  it('answers a truncated gzip body with code 6 and a clear message, storing nothing', async () => {
    const gz = gzipSync('{"event":{"tag":"gztrunc"}}'.repeat(50));
    const r = await s.hec('/services/collector/event', gz.subarray(0, gz.length - 12), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 6, error: { code: 'BODY_BAD_GZIP' } });
    expect(r.json.error.message).toMatch(/truncated/);
    expect(await tagged('gztrunc')).toHaveLength(0);
  });

  it('rejects an oversized event with 413 and stores the others', async () => {
    const big = JSON.stringify({ event: { tag: 'big', pad: 'x'.repeat(3000) } });
    const r = await s.hec('/services/collector/event', `{"event":{"tag":"big","n":1}}${big}{"event":{"tag":"big","n":3}}`);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ 'invalid-event-number': 1, stored: 2, errors: [{ code: 'PAYLOAD_TOO_LARGE' }] });
    expect(r.json.errors[0].message).toMatch(/over the per-event limit of 2048 bytes/);
    expect(await tagged('big')).toHaveLength(2);
  });

  it('rejects an oversized field with a message naming it', async () => {
    const r = await s.hec('/services/collector/event', JSON.stringify({ event: { tag: 'bigf' }, host: 'h'.repeat(300) }));
    expect(r.status).toBe(413);
    expect(r.json.errors[0].message).toMatch(/"host" is 300 characters, over the field limit of 256/);
  });

  it('rejects a body over the limit with 413', async () => {
    const r = await s.hec('/services/collector/event', '{"event":"x"}'.repeat(30_000));
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 6, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(r.json.error.message).toMatch(/exceeds the limit of 262144 bytes/);
  });

  it('reports invalid UTF-8 in one event (not replaced) and stores the rest', async () => {
    const body = Buffer.concat([Buffer.from('{"event":{"tag":"utf","n":1}}{"event":{"tag":"utf","s":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}{"event":{"tag":"utf","n":3,"s":"é"}}')]);
    const r = await s.hec('/services/collector/event', body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 6, 'invalid-event-number': 1, stored: 2, errors: [{ code: 'BODY_BAD_UTF8' }] });
    expect(r.json.errors[0].message).toMatch(/invalid UTF-8 at byte 56/);
    const evs = await tagged('utf');
    expect(evs.map((e) => e.s ?? null)).toEqual([null, 'é']);
  });
});

describe('HEC /services/collector/raw', () => {
  it('stores one event per line with query-string metadata', async () => {
    const r = await s.hec('/services/collector/raw?sourcetype=_json&host=fw01', '{"tag":"raw","n":1}\r\n\n{"tag":"raw","n":2}\n');
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    const evs = await tagged('raw');
    expect(evs.map((e) => [e.n, e._host, e._input])).toEqual([
      [1, 'fw01', 'hec:raw'],
      [2, 'fw01', 'hec:raw'],
    ]);
  });

  it('rejects bad query metadata for the whole request', async () => {
    const r = await s.hec('/services/collector/raw?index=nope', 'line', { authorization: `Splunk ${HEC_INDEXED}` });
    expect(r.json).toMatchObject({ code: 7 });
  });
});

describe('HEC indexer acknowledgement', () => {
  it('returns an ackId per request on a channel; the ack is true once stored, then forgotten', async () => {
    const r1 = await s.hec('/services/collector/event', '{"event":{"tag":"ack"}}', { 'x-splunk-request-channel': CH });
    const r2 = await s.hec(`/services/collector/event?channel=${CH}`, '{"event":{"tag":"ack"}}');
    expect(r1.json).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect(r2.json.ackId).toBe(1);
    // The reply came after the commit, so both are stored now.
    expect(await tagged('ack')).toHaveLength(2);
    const a = await s.hec('/services/collector/ack', JSON.stringify({ acks: [0, 1, 2] }), { 'x-splunk-request-channel': CH });
    expect(a.json).toEqual({ acks: { 0: true, 1: true, 2: false } });
    const again = await s.hec('/services/collector/ack', JSON.stringify({ acks: [0] }), { 'x-splunk-request-channel': CH });
    expect(again.json).toEqual({ acks: { 0: false } });
  });

  it('answers code 10 without a channel, 11 for a bad one, 6 for a bad ack body', async () => {
    expect((await s.hec('/services/collector/ack', '{"acks":[0]}')).json).toMatchObject({ code: 10, text: 'Data channel is missing' });
    expect((await s.hec('/services/collector/event', '{"event":"x"}', { 'x-splunk-request-channel': 'nope' })).json).toMatchObject({ code: 11, text: 'Invalid data channel' });
    expect((await s.hec('/services/collector/ack', '{"acks":"all"}', { 'x-splunk-request-channel': CH })).json).toMatchObject({ code: 6 });
  });

  it('answers code 14 when acknowledgement is disabled', async () => {
    const t = await startTestServer({ hec: { ack: { enabled: false } } });
    try {
      const r = await t.hec('/services/collector/ack', '{"acks":[0]}', { 'x-splunk-request-channel': CH });
      expect(r.json).toMatchObject({ code: 14, text: 'ACK is disabled' });
      const e = await t.hec('/services/collector/event', '{"event":"x"}', { 'x-splunk-request-channel': CH });
      expect(e.json).toEqual({ text: 'Success', code: 0 });
    } finally {
      await t.stop();
    }
  });
});

describe('HEC health and back-pressure', () => {
  it('reports health with code 17', async () => {
    const r = await fetch(s.url + '/services/collector/health');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ text: 'HEC is healthy', code: 17 });
  });

  it('answers 503 + Retry-After, code 9, when the ingest queue is full; no ack is ever true for it', async () => {
    // A real SQLite store whose commits wait for the test to open a gate.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const realDir = mkdtempSync(join(tmpdir(), 'garrison-gated-'));
    const real: Store = openSqliteStore({ file: join(realDir, 'gated.db'), fts: 'off' });
    await real.init();
    const gated = new Proxy({} as Store, {
      get(_t, prop) {
        if (prop === 'appendEvents') return async (evs: never) => (await gate, real.appendEvents(evs));
        const v = (real as unknown as Record<string | symbol, unknown>)[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(real) : v;
      },
    });
    const t = await startTestServer({ ingest: { maxQueuedEvents: 2, retryAfterSeconds: 3 } }, { store: gated });
    try {
      const first = t.hec('/services/collector/event', '{"event":{"n":1}}{"event":{"n":2}}', { 'x-splunk-request-channel': CH });
      // Wait until the first request's events sit in the queue (its commit is held by the gate).
      while (t.ctx.pipeline.stats().queuedEvents < 2) await new Promise((r) => setTimeout(r, 5));
      const busy = await t.hec('/services/collector/event', '{"event":{"n":3}}', { 'x-splunk-request-channel': CH });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('3');
      expect(busy.json).toMatchObject({ text: 'Server is busy', code: 9 });
      const health = await fetch(t.url + '/services/collector/health');
      expect(health.status).toBe(503);
      const apiBusy = await t.api('POST', '/api/v1/events', '{"n":4}');
      expect(apiBusy.status).toBe(503);
      expect(apiBusy.headers.get('retry-after')).toBe('3');
      expect(apiBusy.json.error.code).toBe('BUSY');
      open();
      const ok = await first;
      expect(ok.json).toEqual({ text: 'Success', code: 0, ackId: 0 });
      const acks = await t.hec('/services/collector/ack', '{"acks":[0,1]}', { 'x-splunk-request-channel': CH });
      expect(acks.json).toEqual({ acks: { 0: true, 1: false } });
      expect(await real.countEvents()).toBe(2);
    } finally {
      open();
      await t.stop();
      rmSync(realDir, { recursive: true, force: true });
    }
  });
});

describe('HEC inline parsing (hec.workers: 0, the default)', () => {
  it('gives the same answers as the worker path', async () => {
    const t = await startTestServer();
    try {
      const r = await t.hec('/services/collector/event', '{"event":{"tag":"inl","n":1}}{"event":{"tag":"inl",x}}{"event":{"tag":"inl","n":3}}');
      expect(r.json).toMatchObject({ code: 6, 'invalid-event-number': 1, stored: 2, rejected: 1 });
      expect((await t.ctx.store.search('tag:inl')).events).toHaveLength(2);
    } finally {
      await t.stop();
    }
  });
});
