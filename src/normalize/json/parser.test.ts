import { describe, expect, it } from 'vitest';
import { jsonParser } from './parser.js';
import { parseTime } from './common.js';
import type { RawRecord } from '../types.js';

const rec = (data: RawRecord['data'], meta?: Record<string, unknown>): RawRecord => ({ data, origin: 'test:1', input: 'test', tenant: 't', receivedAt: 1_000, meta });

describe('generic JSON', () => {
  it('takes the time from common fields in priority order, in many notations', () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ '@timestamp': '2024-01-02T03:04:05.678Z', time: 5 }, Date.UTC(2024, 0, 2, 3, 4, 5, 678)],
      [{ ts: 1704164645.5 }, 1704164645500],
      [{ eventTime: '2024-01-02T03:04:05+02:00' }, Date.UTC(2024, 0, 2, 1, 4, 5)],
      [{ EventTime: '2024-01-02 03:04:05' }, Date.UTC(2024, 0, 2, 3, 4, 5)],
      [{ timestamp: 1704164645123 }, 1704164645123],
      [{ timestamp: '1704164645123456' }, 1704164645123.456],
      [{ timestamp: 'not a time', time: '2024-01-02T00:00:00Z' }, Date.UTC(2024, 0, 2)],
    ];
    for (const [o, t] of cases) {
      const r = jsonParser.parse(rec(JSON.stringify(o)));
      expect(r.ok && r.event.time, JSON.stringify(o)).toBe(Math.floor(t));
    }
  });
  it('falls back to the transport time, then the file time, then receive time', () => {
    const a = jsonParser.parse(rec('{"a":1}', { time: 5_000, fallbackTime: 7_000 }));
    const b = jsonParser.parse(rec('{"a":1}', { fallbackTime: 7_000 }));
    const c = jsonParser.parse(rec('{"a":1}'));
    expect([a.ok && a.event.time, b.ok && b.event.time, c.ok && c.event.time]).toEqual([5_000, 7_000, 1_000]);
  });
  it('extracts entities from flat, ECS-nested and Windows-style names', () => {
    const ecs = jsonParser.parse(rec({ host: { name: 'srv1' }, user: { name: 'alice', domain: 'CORP' }, source: { ip: '10.0.0.1', port: 5555 }, destination: { ip: '10.0.0.2', port: 443 }, url: { full: 'https://x.example/a' }, process: { executable: '/bin/sh', command_line: 'sh -c id', pid: 42, parent: { executable: '/usr/sbin/sshd', pid: 1 } } }));
    expect(ecs.ok && ecs.event.entities).toEqual({
      host: 'srv1', user: 'alice', userDomain: 'CORP', srcIp: '10.0.0.1', srcPort: 5555, dstIp: '10.0.0.2', dstPort: 443, url: 'https://x.example/a',
      process: { image: '/bin/sh', commandLine: 'sh -c id', pid: 42, parent: { image: '/usr/sbin/sshd', pid: 1 } },
    });
    expect(ecs.ok && ecs.event.class.name).toBe('http_activity');
    const flat = jsonParser.parse(rec({ hostname: 'h2', User: 'CORP\\bob', src_ip: '1.1.1.1', sha256: 'ab'.repeat(32), file_path: '/tmp/x' }));
    expect(flat.ok && flat.event.entities).toMatchObject({ host: 'h2', user: 'bob', userDomain: 'CORP', srcIp: '1.1.1.1', file: { path: '/tmp/x', hashes: { sha256: 'ab'.repeat(32) } } });
  });
  it('keeps the original fields and raw text untouched', () => {
    const raw = '{"b":1,  "a":{"x":[1,2]}}';
    const r = jsonParser.parse(rec(raw));
    expect(r.ok && r.event.raw).toBe(raw);
    expect(r.ok && r.event.fields).toEqual({ b: 1, a: { x: [1, 2] } });
  });
  it('rejects non-objects and bad JSON with INGEST_BAD_JSON naming the origin', () => {
    for (const bad of ['[1,2]', 'null', '{"a":', '"str"']) {
      const r = jsonParser.parse(rec(bad));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('INGEST_BAD_JSON');
        expect(r.error.message).toContain('test:1');
      }
    }
  });
  it('parseTime rejects junk and out-of-range values', () => {
    expect(parseTime('')).toBeUndefined();
    expect(parseTime('yesterday')).toBeUndefined();
    expect(parseTime(-5)).toBeUndefined();
    expect(parseTime({})).toBeUndefined();
    expect(parseTime('9'.repeat(200))).toBeDefined(); // huge digit strings are capped, not a crash
  });
});
