import { describe, expect, it } from 'vitest';
import { parseCef } from './parser.js';
import { parseRecord } from '../registry.js';
import type { RawRecord } from '../types.js';

function rec(data: string, format?: string): RawRecord {
  return { data, origin: 'test:1', input: 'test', tenant: 't', receivedAt: Date.UTC(2024, 0, 1), format };
}

describe('CEF', () => {
  it('parses header escapes and extension escapes', () => {
    const c = parseCef('CEF:0|Security\\|Corp|threat\\\\manager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a = sign\\= here and a\\\\backslash cs1Label=x');
    expect(c).toMatchObject({ version: 0, deviceVendor: 'Security|Corp', deviceProduct: 'threat\\manager', signatureId: '100', name: 'worm successfully stopped', severity: '10' });
    expect(c.extension).toEqual({ src: '10.0.0.1', dst: '2.1.2.2', spt: '1232', msg: 'Detected a = sign= here and a\\backslash', cs1Label: 'x' });
  });
  it('keeps spaces in values and = inside URLs', () => {
    const c = parseCef('CEF:0|V|P|1|sig|name|5|request=https://x.example/a?b=1&c=2 suser=CORP\\\\bob act=blocked by policy');
    expect(c.extension.request).toBe('https://x.example/a?b=1&c=2');
    expect(c.extension.suser).toBe('CORP\\bob');
    expect(c.extension.act).toBe('blocked by policy');
  });
  it('normalizes CEF inside syslog into fields and entities', () => {
    const r = parseRecord(rec('<134>Mar 10 10:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|THREAT|url-filtering|8|src=192.0.2.10 dst=198.51.100.7 spt=51000 dpt=443 proto=TCP suser=CORP\\\\alice request=http://bad.example/x dhost=bad.example outcome=blocked rt=Mar 10 2024 10:00:00 UTC'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.event;
    expect(e.source).toMatchObject({ format: 'cef', product: 'pan-os', provider: 'Palo Alto Networks', eventCode: 'THREAT' });
    expect(e.entities).toMatchObject({ host: 'fw01', srcIp: '192.0.2.10', dstIp: '198.51.100.7', srcPort: 51000, dstPort: 443, protocol: 'tcp', user: 'alice', userDomain: 'CORP', url: 'http://bad.example/x', domain: 'bad.example', outcome: 'failure' });
    expect(e.class.name).toBe('http_activity');
    expect(e.fields).toMatchObject({ cef_name: 'url-filtering', src: '192.0.2.10', syslog: { hostname: 'fw01' } });
    expect(e.time).toBe(Date.UTC(2024, 2, 10, 10, 0, 0));
  });
  it('rejects a truncated header with PARSE_CEF_INVALID', () => {
    for (const bad of ['CEF:0|only|three|', 'CEF:x|a|b|c|d|e|f|']) {
      const r = parseRecord(rec(bad, 'cef'));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('PARSE_CEF_INVALID');
    }
  });
  it('stays linear on many "=" and backslashes', () => {
    const t0 = performance.now();
    parseCef('CEF:0|a|b|c|d|e|f|k=' + 'a='.repeat(200_000));
    parseCef('CEF:0|a|b|c|d|e|f|k=' + '\\'.repeat(200_001));
    expect(() => parseCef('CEF:0|' + '\\|'.repeat(200_000))).toThrow(/7/);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
