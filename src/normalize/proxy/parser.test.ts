import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clfTime, looksLikeProxyCombined, looksLikeSquid, parseSquidNative, splitUrl } from './parser.js';
import { parseRecord, resolveFormat } from '../registry.js';
import type { RawRecord } from '../types.js';
import { loadText, type LoadedSet } from '../../detect/sigma/loader.js';
import { SigmaMatcher } from '../../detect/sigma/matcher.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const lines = readFileSync(path.join(FIX, 'access.log'), 'utf8').split('\n').filter(Boolean);
const rec = (data: string, format?: string, meta?: Record<string, unknown>): RawRecord => ({ data, origin: 'p:1', input: 'test', tenant: 't', receivedAt: 1_000, format, meta });

describe('proxy: Squid native format', () => {
  it('parses a line as the simulator and Squid write it, with Sigma proxy field names', () => {
    const r = parseRecord(rec(lines[0], 'proxy', { host: 'proxy01' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.event;
    expect(e.source).toMatchObject({ format: 'proxy', product: 'squid', category: 'proxy', eventCode: 'TCP_MISS' });
    expect(e.class).toEqual({ uid: 4002, name: 'http_activity' });
    expect(e.time).toBe(1795392191470);
    expect(e.fields).toMatchObject({
      'c-ip': '10.20.0.10',
      src_ip: '10.20.0.10',
      'cs-method': 'GET',
      'c-uri': 'https://cdn.officeupdate-sync.com/static/AcroUpdate.exe',
      'cs-uri': '/static/AcroUpdate.exe',
      'c-uri-stem': '/static/AcroUpdate.exe',
      'c-uri-extension': 'exe',
      'cs-host': 'cdn.officeupdate-sync.com',
      'r-dns': 'cdn.officeupdate-sync.com',
      'sc-status': 200,
      'sc-bytes': 318464,
      'cs-username': 'adm.jensen',
      dst_ip: '91.215.85.147',
      result_code: 'TCP_MISS',
      hierarchy_code: 'HIER_DIRECT',
      elapsed_ms: 235,
      content_type: 'application/octet-stream',
    });
    expect('c-uri-query' in e.fields).toBe(false);
    expect(e.entities).toEqual({
      host: 'proxy01',
      srcIp: '10.20.0.10',
      dstIp: '91.215.85.147',
      dstPort: 443,
      domain: 'cdn.officeupdate-sync.com',
      url: 'https://cdn.officeupdate-sync.com/static/AcroUpdate.exe',
      user: 'adm.jensen',
      bytesIn: 318464,
      protocol: 'https',
      action: 'GET',
      outcome: 'success',
    });
    expect(e.raw).toBe(lines[0]);
  });

  it('splits the query, keeps CONNECT authority-form, denied requests and URL-encoded users', () => {
    const post = parseRecord(rec(lines[1], 'squid'));
    expect(post.ok && post.event.fields).toMatchObject({ 'c-uri-query': 'id=41929&v=2', 'cs-uri': '/cs?id=41929&v=2', 'c-uri-stem': '/cs' });
    const denied = parseRecord(rec(lines[2], 'squid:access'));
    expect(denied.ok && denied.event.entities).toMatchObject({ domain: 'pastebin.com', dstPort: 443, outcome: 'failure', action: 'CONNECT' });
    expect(denied.ok && denied.event.fields).toMatchObject({ 'sc-status': 407, result_code: 'TCP_DENIED', hierarchy_code: 'HIER_NONE' });
    expect(denied.ok && 'cs-username' in denied.event.fields).toBe(false);
    const tunnel = parseRecord(rec(lines[3], 'proxy'));
    expect(tunnel.ok && tunnel.event.fields).toMatchObject({ 'c-useragent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) WindowsPowerShell/5.1.19041.1', 'cs-username': 'CORP\\bob' });
    expect(tunnel.ok && 'cs-referrer' in tunnel.event.fields).toBe(false);
    expect(tunnel.ok && tunnel.event.entities).toMatchObject({ user: 'bob', userDomain: 'CORP' });
    const err = parseRecord(rec(lines[4], 'proxy'));
    expect(err.ok && err.event.fields).toMatchObject({ 'sc-status': 0, 'c-uri': 'error:transaction-end-before-headers', 'cs-method': '-' });
    expect(err.ok && err.event.entities.domain).toBeUndefined();
    expect(err.ok && err.event.entities.outcome).toBe('unknown');
  });

  it('is detected without a format hint (file ingest of proxy.access.log, HEC _raw)', () => {
    for (const l of lines) {
      const r = parseRecord(rec(l));
      expect(r.ok && r.event.source.format).toBe('proxy');
    }
    expect(looksLikeSquid('1795392191.470    235 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -')).toBe(true);
    expect(looksLikeSquid('1795392191 is a number and not a proxy line')).toBe(false);
    expect(looksLikeSquid('12.5 apples')).toBe(false);
  });

  it('arrives through syslog with the proxy host named', () => {
    const r = parseRecord(rec('<134>Nov 23 00:09:00 proxy01 squid[812]: ' + lines[0]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.source.format).toBe('proxy');
    expect(r.event.entities.host).toBe('proxy01');
    expect((r.event.fields.syslog as Record<string, unknown>).appname).toBe('squid');
    expect(r.event.fields['cs-host']).toBe('cdn.officeupdate-sync.com');
  });
});

describe('proxy: common and combined shapes', () => {
  it('parses combined with referer, user agent, HTTP version and the Squid suffix; time zone applied', () => {
    const r = parseRecord(rec(lines[5], 'proxy'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.time).toBe(Date.UTC(2026, 10, 22, 23, 9, 0));
    expect(r.event.fields).toMatchObject({
      log_format: 'combined',
      'cs-method': 'GET',
      'c-uri': 'http://downloads.example.net/tools/run.hta?x=1',
      'c-uri-extension': 'hta',
      'c-uri-query': 'x=1',
      'cs-host': 'downloads.example.net',
      'cs-version': 'HTTP/1.1',
      'cs-referrer': 'http://intranet.corp.example/',
      'c-useragent': 'Microsoft BITS/7.8',
      'sc-status': 200,
      'sc-bytes': 5120,
      result_code: 'TCP_MISS',
      hierarchy_code: 'HIER_DIRECT',
    });
    expect(r.event.entities).toMatchObject({ srcIp: '10.20.0.44', user: 'carol@corp.example', userDomain: 'corp.example', dstPort: 80, protocol: 'http' });
  });
  it('parses common with an IPv6 CONNECT target', () => {
    const r = parseRecord(rec(lines[6], 'proxy'));
    expect(r.ok && r.event.fields).toMatchObject({ log_format: 'common', 'cs-host': '2001:db8::7', result_code: 'TCP_TUNNEL' });
    expect(r.ok && r.event.entities).toMatchObject({ dstIp: '2001:db8::7', dstPort: 8443 });
  });
  it('does not claim plain web-server access logs (relative URLs) in detection', () => {
    const web = '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326';
    expect(looksLikeProxyCombined(web)).toBe(false);
    const r = parseRecord(rec(web));
    expect(r.ok && r.event.source.format).toBe('raw');
    // Named explicitly, the same line parses (the proxy saw an origin-form request).
    const named = parseRecord(rec(web, 'proxy'));
    expect(named.ok && named.event.fields).toMatchObject({ 'cs-uri': '/apache_pb.gif', 'c-uri-extension': 'gif' });
    expect(named.ok && 'cs-host' in named.event.fields).toBe(false);
  });
  it('reads CLF times strictly', () => {
    expect(clfTime('10/Oct/2000:13:55:36 -0700')).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(clfTime('10/Oct/2000:13:55:36')).toBe(Date.UTC(2000, 9, 10, 13, 55, 36));
    for (const bad of ['10/Foo/2000:13:55:36 +0000', '1x/Oct/2000:13:55:36 +0000', '10/Oct/2000:25:55:36 +0000', '10/Oct/2000:13:55:36 +99', '']) expect(clfTime(bad)).toBeUndefined();
  });
});

describe('proxy: hostile lines', () => {
  it('rejects malformed lines with PARSE_PROXY_INVALID naming the part and column', () => {
    const cases: [string, RegExp][] = [
      ['1795392191.470 235 10.0.0.1 TCP_MISS/2x0 1 GET http://a/ - HIER_NONE/- -', /HTTP status/],
      ['1795392191.470 235 10.0.0.1 TCP_MISS/200 -5 GET http://a/ - HIER_NONE/- -', /reply size/],
      ['1795392191.470 235 10.0.0.1 tcp_miss/200 1 GET http://a/ - HIER_NONE/- -', /result code/],
      ['1795392191.470 235 10.0.0.1 TCP_MISS/200 1 GET', /missing URL/],
      ['1795392191.470 235 10.0.0.1 TCP_MISS/200 1 GET http://a/ - NOSLASH -', /HIERARCHY_CODE\/PEER/],
      ['1795392191.470 235 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- - "ref', /not closed/],
      ['1795392191.470 235 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- - "r" "ua" junk', /after the user agent/],
      ['99999999999999.470 235 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -', /time/],
      ['1795392191.470 235 10.0.0.1 TCP_MISS/1000 1 GET http://a/ - HIER_NONE/- -', /out of range/],
      ['10.0.0.1 - - [10/Oct/2000:13:55:36 -0700 "GET http://a/ HTTP/1.1" 200 1', /time/],
      ['10.0.0.1 - - [32/Oct/2000:13:55:36 -0700] "GET http://a/ HTTP/1.1" 200 1', /bad time/],
      ['10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] GET http://a/ HTTP/1.1 200 1', /request line/],
      ['10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET http://a/ HTTP/1.1 200 1', /not closed/],
      ['10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "NOURL" 200 1', /METHOD URL/],
      ['garbage', /missing|expected/],
    ];
    for (const [line, msg] of cases) {
      const r = parseRecord(rec(line, 'proxy'));
      expect(r.ok, line).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toBe('PARSE_PROXY_INVALID');
      expect(r.error.message).toMatch(msg);
      expect(r.error.message).toMatch(/column \d+/);
    }
    expect(parseRecord(rec('   ', 'proxy')).ok).toBe(false);
    const obj = parseRecord(rec({ nope: 1 } as unknown as string, 'proxy'));
    expect(!obj.ok && obj.error.code).toBe('PARSE_PROXY_INVALID');
  });

  it('keeps attacker-written values as data: prototype keys, control characters, markup', () => {
    const line = '1795392191.470 1 10.0.0.1 TCP_MISS/200 1 GET http://x.example/<script>alert(1)</script>.js __proto__ HIER_DIRECT/constructor text/html "\\"><img src=x>" "ua\\u0000\\x1b[31m"';
    const r = parseRecord(rec(line, 'proxy'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.fields['cs-username']).toBe('__proto__');
    expect(Object.getPrototypeOf(r.event.fields)).toBe(Object.prototype);
    expect(r.event.fields['cs-referrer']).toBe('"><img src=x>');
    expect(r.event.fields.peer).toBe('constructor');
    expect(r.event.entities.dstIp).toBeUndefined();
    expect(r.event.fields['c-uri-extension']).toBe('js');
    expect(r.event.raw).toBe(line);
  });

  it('stays linear on long, pathological lines', () => {
    const long = [
      '1795392191.470 ' + ' '.repeat(200_000) + '1 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -',
      '1795392191.470 1 10.0.0.1 TCP_MISS/200 1 GET http://a/' + '/'.repeat(200_000) + ' - HIER_NONE/- -',
      '1795392191.470 1 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- - "' + '\\"'.repeat(100_000) + '"',
      '10.0.0.1 - - [' + '['.repeat(200_000),
      '1.1.1.1 ' + ' ['.repeat(100_000) + '] "',
      'http://' + '@'.repeat(100_000) + ':'.repeat(100_000),
    ];
    const t0 = performance.now();
    for (const l of long) {
      parseRecord(rec(l));
      parseRecord(rec(l, 'proxy'));
      splitUrl(l, 'CONNECT');
      looksLikeProxyCombined(l);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('maps HEC sourcetypes and exposes the raw grammar', () => {
    for (const st of ['proxy', 'squid', 'squid:access', 'SQUID:ACCESS', 'squid:access:recommended']) expect(resolveFormat(st).parser.name).toBe('proxy');
    expect(parseSquidNative(lines[0])).toMatchObject({ shape: 'squid', status: 200, bytes: 318464, peer: '91.215.85.147' });
    expect(splitUrl('https://user:pw@Example.COM:8443/a/b.tar.gz?q=1#frag')).toEqual({ scheme: 'https', host: 'example.com', port: 8443, path: '/a/b.tar.gz', query: 'q=1', extension: 'gz' });
  });
});

describe('proxy: Sigma category proxy rules apply to parsed lines', () => {
  // Shaped like SigmaHQ's proxy_download_susp_tlds / proxy_ua_* rules (W3C field names, no mapping).
  const rules = `title: Executable download from a look-alike CDN
id: 6f1c7c0e-2a42-4c1e-9a53-0c1bd1b7c001
status: test
logsource: { category: proxy }
detection:
  selection:
    c-uri-extension: [exe, hta, ps1]
    cs-host|endswith: [officeupdate-sync.com, downloads.example.net]
    cs-method: GET
    sc-status: 200
  condition: selection
level: high
---
title: BITS user agent
id: 6f1c7c0e-2a42-4c1e-9a53-0c1bd1b7c002
status: test
logsource: { category: proxy }
detection:
  selection:
    c-useragent|startswith: 'Microsoft BITS/'
  condition: selection
level: medium
`;
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 0 };
  loadText(rules, 'proxy-rules.yml', set);
  const m = new SigmaMatcher(set, { config: { skipStatus: [] } });
  const titles = (line: string) => {
    const r = parseRecord(rec(line));
    if (!r.ok) throw r.error;
    return m.match(r.event).map((d) => d.rule.title).sort();
  };
  it('matches on c-uri-extension, cs-host, cs-method, sc-status and c-useragent', () => {
    expect(set.problems).toEqual([]);
    expect(titles(lines[0])).toEqual(['Executable download from a look-alike CDN']);
    expect(titles(lines[5])).toEqual(['BITS user agent', 'Executable download from a look-alike CDN']);
    expect(titles(lines[1])).toEqual([]);
    expect(titles(lines[2])).toEqual([]);
  });
});
