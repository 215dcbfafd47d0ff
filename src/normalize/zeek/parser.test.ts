import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyZeekHeaderLine, defaultZeekHeader, zeekParser, zeekTsvToObject } from './parser.js';
import { parseRecord } from '../registry.js';
import type { RawRecord } from '../types.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const rec = (data: string, meta?: Record<string, unknown>, format = 'zeek'): RawRecord => ({ data, origin: 'f:1', input: 'test', tenant: 't', receivedAt: 0, format, meta });

function header(text: string) {
  const h = defaultZeekHeader();
  const data: string[] = [];
  for (const l of text.split('\n')) {
    if (!l) continue;
    if (l.startsWith('#')) applyZeekHeaderLine(h, l);
    else data.push(l);
  }
  return { h, data };
}

describe('Zeek TSV', () => {
  it('types values from #types, honours unset/empty and set separators', () => {
    const { h, data } = header(readFileSync(path.join(FIX, 'http.log'), 'utf8'));
    expect(h.path).toBe('http');
    expect(h.separator).toBe('\t');
    const o = zeekTsvToObject(data[0], h) as Record<string, unknown>;
    expect(o).toMatchObject({ ts: 1320279566.452687, uid: 'CwFs1P2UcUdlSxD2La', 'id.orig_p': 52478, method: 'GET', host: 'www.reddit.com', uri: '/', status_code: 200, tags: [], resp_mime_types: ['text/html', 'text/plain'] });
    expect('username' in o).toBe(false);
    const r = zeekParser.parse(rec(data[0], { zeek: h }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.source).toMatchObject({ format: 'zeek', product: 'zeek', service: 'http' });
    expect(r.event.class.name).toBe('http_activity');
    expect(r.event.entities).toMatchObject({ srcIp: '10.131.47.185', dstIp: '96.17.146.185', dstPort: 80, domain: 'www.reddit.com', url: 'www.reddit.com/' });
    expect(r.event.time).toBe(1320279566452);
    expect(r.event.raw).toBe(data[0]);
  });
  it('supports a custom separator and reports column mismatches', () => {
    const { h } = header('#separator ,\n#fields,ts,uid,query\n#types,time,string,string\n');
    expect(zeekTsvToObject('1.5,C1,a.example', h)).toEqual({ ts: 1.5, uid: 'C1', query: 'a.example' });
    const r = zeekParser.parse(rec('1.5,C1', { zeek: h }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('PARSE_ZEEK_INVALID');
    const noHeader = zeekParser.parse(rec('1.5\tC1'));
    expect(noHeader.ok).toBe(false);
  });
});

describe('Zeek JSON', () => {
  it('normalizes by _path, sourcetype or shape', () => {
    const dns = '{"ts":1700000000.25,"uid":"C9","id.orig_h":"10.0.0.3","id.orig_p":5353,"id.resp_h":"1.1.1.1","id.resp_p":53,"proto":"udp","query":"x.example","qtype_name":"A","rcode":0}';
    for (const r of [parseRecord(rec(dns, undefined, 'auto')), parseRecord(rec(dns, undefined, 'bro:dns:json')), parseRecord(rec(dns, undefined, 'zeek:dns'))]) {
      expect(r.ok && r.event.source).toMatchObject({ format: 'zeek', service: 'dns' });
      expect(r.ok && r.event.entities).toMatchObject({ domain: 'x.example', srcIp: '10.0.0.3', dstPort: 53 });
    }
    const files = parseRecord(rec('{"ts":1700000000,"fuid":"F1","_path":"files","tx_hosts":["10.0.0.5"],"rx_hosts":["10.0.0.6"],"mime_type":"application/x-dosexec","filename":"a.exe","md5":"d41d8cd98f00b204e9800998ecf8427e","sha256":"' + 'e'.repeat(64) + '"}', undefined, 'auto'));
    expect(files.ok && files.event.class.name).toBe('file_activity');
    expect(files.ok && files.event.entities).toMatchObject({ srcIp: '10.0.0.5', file: { path: 'a.exe', hashes: { md5: 'd41d8cd98f00b204e9800998ecf8427e' } } });
  });
});
