import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { GarrisonEvent } from '../core/event.js';
import type { Signal } from '../core/signal.js';
import { isGarrisonError } from '../core/errors.js';
import { createIntelDetector, IntelIndex, loadCsvIndicators, loadMispEvents, loadStixBundle, makeIndicator, parseFeed, parseStixPattern, TaxiiClient, TAXII_MEDIA } from './index.js';

const ind = (type: string, value: string, pattern: string, extra: Record<string, unknown> = {}) => ({ type: 'indicator', spec_version: '2.1', id: `indicator--${value}`, pattern_type: 'stix', pattern, valid_from: '2026-01-01T00:00:00Z', confidence: 85, ...extra });

describe('STIX patterns (safe subset)', () => {
  it('parses the supported comparisons', () => {
    expect(parseStixPattern("[ipv4-addr:value = '203.0.113.7']")).toEqual([{ type: undefined, path: 'ipv4-addr:value', value: '203.0.113.7' }]);
    expect(parseStixPattern("[file:hashes.'SHA-256' = 'ABCD'] OR [domain-name:value = 'evil.example']").map((c) => c.type)).toEqual(['sha256', 'domain']);
    expect(parseStixPattern("[ipv4-addr:value ISSUBSET '198.51.100.0/24']")[0].type).toBe('cidr');
    expect(parseStixPattern("[url:value IN ('http://a.example/x', 'http://b.example/y')]").length).toBe(2);
    expect(parseStixPattern("([domain-name:value = 'a.example' OR domain-name:value = 'b.example'])").length).toBe(2);
    expect(parseStixPattern("[domain-name:value = 'it\\'s.example']")[0].value).toBe("it's.example");
  });
  it.each([
    ["[ipv4-addr:value = '1.2.3.4'", 'INTEL_FEED_INVALID', /expected '\]'/],
    ["[ipv4-addr:value = '1.2.3.4]", 'INTEL_FEED_INVALID', /unterminated string/],
    ["[ipv4-addr:value = 1.2.3.4]", 'INTEL_FEED_INVALID', /quoted string/],
    ["[ipv4-addr:value = '1' AND domain-name:value = 'x']", 'INTEL_PATTERN_UNSUPPORTED', /AND/],
    ["[ipv4-addr:value = '1'] FOLLOWEDBY [ipv4-addr:value = '2']", 'INTEL_PATTERN_UNSUPPORTED', /FOLLOWEDBY/],
    ["[ipv4-addr:value = '1'] WITHIN 5 SECONDS", 'INTEL_PATTERN_UNSUPPORTED', /WITHIN/],
    ["[process:name = 'evil.exe']", 'INTEL_PATTERN_UNSUPPORTED', /process:name/],
    ["[domain-name:value MATCHES '^a+$']", 'INTEL_PATTERN_UNSUPPORTED', /MATCHES/],
    ["[ipv4-addr:value = '1'] ; DROP", 'INTEL_FEED_INVALID', /unexpected character/],
    ['', 'INTEL_FEED_INVALID', /expected an observation/],
  ])('rejects %j with %s', (p, code, re) => {
    try {
      parseStixPattern(p);
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e)).toBe(true);
      expect((e as { code: string }).code).toBe(code);
      expect((e as Error).message).toMatch(re);
    }
  });
  it('never hangs or throws anything but a GarrisonError on random input', () => {
    const toks = fc.constantFrom('[', ']', '(', ')', "'", '\\', ' OR ', ' AND ', '=', 'ipv4-addr:value', 'IN', ',', "'1.2.3.4'", 'x', '\u0000');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(toks, { maxLength: 60 }).map((a) => a.join(''))), (s) => {
        try {
          parseStixPattern(s);
        } catch (e) {
          if (!isGarrisonError(e)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
    const deep = '['.repeat(5000) + "ipv4-addr:value = '1.1.1.1'" + ']'.repeat(5000);
    expect(() => parseStixPattern(deep)).toThrow(/nesting too deep|longer than/);
  });
  it('loads a bundle, reporting bad indicators and keeping the good ones', () => {
    const bundle = {
      type: 'bundle',
      id: 'bundle--1',
      objects: [
        ind('ipv4', '203.0.113.7', "[ipv4-addr:value = '203.0.113.7']", { valid_until: '2027-01-01T00:00:00Z', labels: ['c2'] }),
        ind('cidr', 'net', "[ipv4-addr:value = '198.51.100.0/24']"),
        ind('bad-cidr', 'bad', "[ipv4-addr:value = '10.0.0.0/33']"),
        ind('bad-ip', 'bad2', "[ipv4-addr:value = '999.1.1.1']"),
        ind('hash', 'h', `[file:hashes.MD5 = '${'a'.repeat(32)}']`),
        ind('unsup', 'u', "[x509-certificate:serial_number = '1']"),
        { type: 'indicator', id: 'indicator--sigma', pattern_type: 'sigma', pattern: 'title: x' },
        { type: 'malware', id: 'malware--1', name: 'x' },
        { type: 'indicator', id: 'indicator--revoked', revoked: true, pattern: "[ipv4-addr:value = '1.1.1.1']" },
        'not an object',
        ind('long', 'l', `[domain-name:value = '${'a'.repeat(10_000)}.example']`),
      ],
    };
    const r = loadStixBundle(JSON.stringify(bundle), 'test-feed');
    expect(r.indicators.map((i) => `${i.type}:${i.value}`)).toEqual(['ipv4:203.0.113.7', 'cidr:198.51.100.0/24', `md5:${'a'.repeat(32)}`]);
    expect(r.indicators[0]).toMatchObject({ confidence: 85, tags: ['c2'], validUntil: Date.UTC(2027, 0, 1), source: 'test-feed' });
    expect(r.problems.map((p) => p.code)).toEqual(['INTEL_VALUE_INVALID', 'INTEL_VALUE_INVALID', 'INTEL_PATTERN_UNSUPPORTED', 'INTEL_PATTERN_UNSUPPORTED', 'INTEL_FEED_INVALID', 'INTEL_TOO_LARGE']);
    expect(r.problems[0].where).toMatch(/objects\[2\]/);
    expect(r.skipped).toBe(2);
  });
  it('rejects non-bundles and respects size and count limits on huge bundles', () => {
    expect(() => loadStixBundle('{"type":"bundle"', 'x')).toThrow(/not JSON/);
    expect(() => loadStixBundle({ hello: 1 }, 'x')).toThrow(/not a STIX bundle/);
    const objects = Array.from({ length: 50_000 }, (_, i) => ind('ip', `ip${i}`, `[ipv4-addr:value = '10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}']`));
    const t0 = Date.now();
    const r = loadStixBundle({ type: 'bundle', objects }, 'big');
    expect(r.indicators.length).toBe(50_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(() => loadStixBundle({ type: 'bundle', objects }, 'big', { maxIndicators: 1000 })).toThrow(/more than 1000 indicators/);
    expect(() => loadStixBundle('x'.repeat(2000), 'big', { maxBytes: 1000 })).toThrow(/larger than 1000 bytes/);
  });
});

describe('MISP and CSV feeds', () => {
  it('loads MISP attributes with to_ids, composites and objects', () => {
    const ev = {
      response: [
        {
          Event: {
            info: 'Phishing wave',
            Tag: [{ name: 'tlp:amber' }],
            Attribute: [
              { type: 'ip-dst', value: '203.0.113.9', to_ids: true, uuid: 'u1', timestamp: '1764000000' },
              { type: 'domain', value: 'Evil.Example.', to_ids: true },
              { type: 'url', value: 'http://evil.example/a', to_ids: false },
              { type: 'domain|ip', value: 'c2.example|198.51.100.3', to_ids: true },
              { type: 'filename|sha256', value: `x.exe|${'B'.repeat(64)}`, to_ids: true },
              { type: 'ip-src', value: 'not-an-ip', to_ids: true },
              { type: 'comment', value: 'hi', to_ids: true },
            ],
            Object: [{ Attribute: [{ type: 'sha1', value: 'c'.repeat(40), to_ids: true, last_seen: '2026-12-01T00:00:00Z' }] }],
          },
        },
      ],
    };
    const r = loadMispEvents(ev, 'misp', { ttlDays: 30 });
    expect(r.indicators.map((i) => `${i.type}:${i.value}`)).toEqual(['ipv4:203.0.113.9', 'domain:evil.example', 'domain:c2.example', 'ipv4:198.51.100.3', `sha256:${'b'.repeat(64)}`, `sha1:${'c'.repeat(40)}`]);
    expect(r.indicators[0].validUntil).toBe(1764000000 * 1000 + 30 * 86_400_000);
    expect(r.indicators[0].tags).toContain('tlp:amber');
    expect(r.indicators[5].validUntil).toBe(Date.UTC(2026, 11, 1));
    expect(r.problems).toHaveLength(1);
    expect(r.skipped).toBe(2);
    expect(() => loadMispEvents({ nope: 1 }, 'm')).toThrow(/no MISP event/);
  });
  it('loads CSV with quoting, guessing types and reporting bad rows with file:line', () => {
    const csv = ['# comment', 'type,value,confidence,valid_until,tags', 'cidr,10.1.0.0/16,90,,internal;lab', ',"evil.example",60,2027-01-01,', 'ipv4,1.2.3.4/99,50,,', ',"http://x.example/a,b",70,,', 'md5,xyz,50,,', 'domain,ok.example,150,,', 'weird,1.1.1.1,,,'].join('\n');
    const r = loadCsvIndicators(csv, 'list.csv');
    expect(r.indicators.map((i) => `${i.type}:${i.value}`)).toEqual(['cidr:10.1.0.0/16', 'domain:evil.example', 'url:http://x.example/a,b']);
    expect(r.problems.map((p) => p.where)).toEqual(['list.csv:5', 'list.csv:7', 'list.csv:8', 'list.csv:9']);
    expect(() => loadCsvIndicators('a,b\n1,2', 'x.csv')).toThrow(/x.csv:1: the header must name a 'value' column/);
    expect(parseFeed('value\n8.8.8.8\n', 'f').format).toBe('csv');
  });
});

describe('IntelIndex', () => {
  const mk = (type: any, value: string, extra: any = {}) => makeIndicator({ type, value, source: 's', confidence: 90, ...extra })!;
  const idx = new IntelIndex([
    mk('ipv4', '203.0.113.7'),
    mk('cidr', '198.51.100.0/24'),
    mk('cidr', '2001:db8::/32'),
    mk('domain', 'evil.example'),
    mk('url', 'http://bad.example/x?y=1'),
    mk('sha256', 'a'.repeat(64)),
    mk('ipv4', '192.0.2.1', { validFrom: 1000, validUntil: 2000 }),
  ]);
  it('matches exact values, CIDR members, subdomains, URLs and hashes', () => {
    expect(idx.lookup('203.0.113.7')).toHaveLength(1);
    expect(idx.lookup('198.51.100.200')[0].how).toBe('cidr');
    expect(idx.lookup('::ffff:198.51.100.1')[0].how).toBe('cidr');
    expect(idx.lookup('2001:db8:1::5')[0].indicator.value).toBe('2001:db8::/32');
    expect(idx.lookup('a.b.EVIL.example.')[0].how).toBe('parent_domain');
    expect(idx.lookup('notevil.example')).toHaveLength(0);
    expect(idx.lookup('http://bad.example/x?y=1').map((m) => m.how)).toEqual(['exact']);
    expect(idx.lookup('https://sub.evil.example/p').length).toBe(1);
    expect(idx.lookup('A'.repeat(64))).toHaveLength(1);
    expect(idx.lookup('203.0.113.8')).toHaveLength(0);
  });
  it('honours validity and rejects garbage without throwing', () => {
    expect(idx.lookup('192.0.2.1', { at: 1500 })).toHaveLength(1);
    expect(idx.lookup('192.0.2.1', { at: 2000 })).toHaveLength(0);
    expect(idx.lookup('192.0.2.1', { at: 999 })).toHaveLength(0);
    for (const bad of ['', '1.2.3', '300.1.1.1/8', 'x'.repeat(10_000), '../../etc', '\u0000']) expect(idx.lookup(bad)).toEqual([]);
    expect(makeIndicator({ type: 'cidr', value: '10.0.0.0/33', source: 's' })).toBeUndefined();
    expect(makeIndicator({ type: 'cidr', value: '10.0.0.0/8/8', source: 's' })).toBeUndefined();
    expect(makeIndicator({ type: 'cidr', value: '10.0.0.1/8', source: 's' })!.value).toBe('10.0.0.0/8');
  });
  it('the streaming detector raises deterministic intel signals for events naming an indicator', async () => {
    const got: Signal[] = [];
    const det = createIntelDetector({ index: idx, onSignals: (s) => void got.push(...s) });
    const ev = (id: string, entities: GarrisonEvent['entities'], time = 1500): GarrisonEvent => ({ id, time, ingestTime: time, tenant: 't', source: { format: 'json' }, class: { uid: 4001, name: 'network_activity' }, entities, fields: {}, raw: '' });
    await det.onEvents([ev('e1', { srcIp: '10.0.0.1', dstIp: '198.51.100.9' }), ev('e2', { domain: 'x.evil.example' }), ev('e3', { dstIp: '8.8.8.8' }), ev('e4', { dstIp: '192.0.2.1' }, 5000)]);
    expect(got.map((s) => [s.kind, s.eventIds[0], s.level, s.details.how])).toEqual([
      ['intel', 'e1', 'high', 'cidr'],
      ['intel', 'e2', 'high', 'parent_domain'],
    ]);
    const again: Signal[] = [];
    await createIntelDetector({ index: idx, onSignals: (s) => void again.push(...s) }).onEvents([ev('e1', { srcIp: '10.0.0.1', dstIp: '198.51.100.9' })]);
    expect(again[0].id).toBe(got[0].id);
  });
});

describe('TAXII 2.1 client (stub server)', () => {
  let server: Server;
  let base = '';
  const reqs: string[] = [];
  const page = (n: number) => Array.from({ length: 2 }, (_, i) => ind('ip', `p${n}-${i}`, `[ipv4-addr:value = '203.0.113.${n * 10 + i}']`));
  beforeAll(async () => {
    server = createServer((req, res) => {
      reqs.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      if (req.headers.accept !== TAXII_MEDIA) {
        res.statusCode = 406;
        return res.end('{}');
      }
      if (req.headers.authorization !== 'Basic ' + Buffer.from('u:p').toString('base64')) {
        res.statusCode = 401;
        return res.end('{"title":"unauthorized"}');
      }
      res.setHeader('content-type', TAXII_MEDIA);
      if (u.pathname === '/taxii2/') return res.end(JSON.stringify({ title: 'stub', default: '/api1/', api_roots: ['/api1/', 'http://elsewhere.invalid/api2/'] }));
      if (u.pathname === '/api1/') return res.end(JSON.stringify({ title: 'root', versions: [TAXII_MEDIA], max_content_length: 1000000 }));
      if (u.pathname === '/api1/collections/') return res.end(JSON.stringify({ collections: [{ id: 'c1', title: 'Indicators', can_read: true, can_write: false }, { nope: 1 }] }));
      if (u.pathname === '/api1/collections/c1/objects/') {
        const next = u.searchParams.get('next');
        const n = next === null ? 0 : Number(next);
        res.setHeader('X-TAXII-Date-Added-Last', `2026-11-2${n}T00:00:00.000Z`);
        return res.end(JSON.stringify({ more: n < 2, next: n < 2 ? String(n + 1) : undefined, objects: page(n) }));
      }
      if (u.pathname === '/api1/collections/loop/objects/') return res.end(JSON.stringify({ more: true, next: 'same', objects: [] }));
      if (u.pathname === '/api1/collections/wrongtype/objects/') {
        res.setHeader('content-type', 'text/html');
        return res.end('<html/>');
      }
      if (u.pathname === '/api1/collections/slow/objects/') return; // never answers
      res.statusCode = 404;
      res.end('{"title":"not found"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('discovers roots and collections and pulls every page with added_after', async () => {
    const c = new TaxiiClient({ url: `${base}/taxii2/`, username: 'u', password: 'p' });
    const d = await c.discover();
    expect(d.apiRoots).toEqual([`${base}/api1/`, 'http://elsewhere.invalid/api2/']);
    expect((await c.apiRoot(d.apiRoots[0])).title).toBe('root');
    expect((await c.collections(d.apiRoots[0])).map((x) => x.id)).toEqual(['c1']);
    const pull = await c.pull(d.apiRoots[0], 'c1', { addedAfter: '2026-11-01T00:00:00Z' });
    expect(pull.pages).toBe(3);
    expect(pull.objects).toHaveLength(6);
    expect(pull.checkpoint).toBe('2026-11-22T00:00:00.000Z');
    expect(reqs.filter((r) => r.includes('/c1/objects/')).every((r) => r.includes('added_after=2026-11-01'))).toBe(true);
    const feed = loadStixBundle({ type: 'bundle', objects: pull.objects }, 'taxii:c1');
    expect(feed.indicators).toHaveLength(6);
  });
  it('stops at maxPages, refuses loops, wrong media types, errors and slow servers', async () => {
    const c = new TaxiiClient({ url: `${base}/taxii2/`, username: 'u', password: 'p', maxPages: 2, timeoutMs: 300 });
    const p = await c.pull(`${base}/api1/`, 'c1');
    expect(p.truncated).toBe(true);
    expect(p.pages).toBe(2);
    await expect(c.pull(`${base}/api1/`, 'loop')).rejects.toMatchObject({ code: 'INTEL_TAXII_ERROR' });
    await expect(c.pull(`${base}/api1/`, 'wrongtype')).rejects.toMatchObject({ code: 'INTEL_TAXII_ERROR' });
    await expect(c.pull(`${base}/api1/`, 'missing')).rejects.toMatchObject({ code: 'INTEL_TAXII_ERROR', details: { status: 404 } });
    await expect(c.pull(`${base}/api1/`, 'slow')).rejects.toMatchObject({ code: 'INTEL_TAXII_TIMEOUT' });
    await expect(c.pull(`${base}/api1/`, '../../etc')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(new TaxiiClient({ url: `${base}/taxii2/` }).discover()).rejects.toMatchObject({ code: 'INTEL_TAXII_ERROR', details: { status: 401 } });
    await expect(new TaxiiClient({ url: `${base}/taxii2/`, username: 'u', password: 'p', maxBytes: 50 }).discover()).rejects.toMatchObject({ code: 'INTEL_TOO_LARGE' });
    expect(() => new TaxiiClient({ url: 'file:///etc/passwd' })).toThrow(/not an http/);
  });
});
