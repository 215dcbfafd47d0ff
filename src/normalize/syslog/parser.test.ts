import { describe, expect, it } from 'vitest';
import { parseSyslog, syslogParser } from './parser.js';
import { parseRecord } from '../registry.js';
import type { RawRecord } from '../types.js';

const NOW = Date.UTC(2024, 2, 10, 12, 0, 0);
function rec(data: string, extra: Partial<RawRecord> = {}): RawRecord {
  return { data, origin: 'test:1', input: 'syslog:test', tenant: 't', receivedAt: NOW, ...extra };
}

describe('RFC 5424', () => {
  it('parses every header field, structured data with escapes and the BOM', () => {
    const line = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Appl\\"ication" eventID="1011"][examplePriority@32473 class="high\\]x"] \uFEFFAn application event';
    const m = parseSyslog(line, NOW);
    expect(m).toMatchObject({
      rfc: 5424, pri: 165, facility: 20, severity: 5, facilityName: 'local4', severityName: 'notice', version: 1,
      timestamp: '2003-10-11T22:14:15.003Z', hostname: 'mymachine.example.com', appname: 'evntslog', procid: '1234', msgid: 'ID47',
      message: 'An application event',
    });
    expect(m.time).toBe(Date.UTC(2003, 9, 11, 22, 14, 15, 3));
    expect(m.structuredData).toEqual({ 'exampleSDID@32473': { iut: '3', eventSource: 'Appl"ication', eventID: '1011' }, 'examplePriority@32473': { class: 'high]x' } });
  });
  it('treats NILVALUE as absent and allows no message', () => {
    const m = parseSyslog('<34>1 - - - - - -', NOW);
    expect(m).toMatchObject({ rfc: 5424, pri: 34, message: '' });
    expect(m.timestamp).toBeUndefined();
    expect(m.hostname).toBeUndefined();
    expect(m.structuredData).toBeUndefined();
  });
  it('rejects broken structured data with the column', () => {
    const r = syslogParser.parse(rec('<34>1 2003-10-11T22:14:15Z h app - - [id a="unterminated'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('PARSE_SYSLOG_INVALID');
      expect(r.error.message).toMatch(/not closed/);
      expect(r.error.location?.column).toBeGreaterThan(30);
    }
  });
  it('rejects a bad PRI and a bad timestamp', () => {
    for (const bad of ['<999>1 - - - - - -', '<12 no close', '<34>1 yesterday host app - - - msg']) {
      const r = syslogParser.parse(rec(bad));
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('PARSE_SYSLOG_INVALID');
    }
  });
});

describe('RFC 3164 and deviations', () => {
  it('parses a classic line and infers the year', () => {
    const m = parseSyslog('<38>Mar  9 22:14:15 web01 sshd[4721]: Failed password for invalid user admin from 203.0.113.9 port 52114 ssh2', NOW);
    expect(m).toMatchObject({ rfc: 3164, hostname: 'web01', appname: 'sshd', procid: '4721', facilityName: 'auth' });
    expect(m.time).toBe(Date.UTC(2024, 2, 9, 22, 14, 15));
  });
  it('puts a December timestamp received in January into the previous year', () => {
    const m = parseSyslog('<13>Dec 31 23:59:59 h app: x', Date.UTC(2025, 0, 1, 0, 0, 5));
    expect(m.time).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
  });
  it('handles host-less lines, no PRI and an ISO timestamp', () => {
    const hl = parseSyslog('<13>Mar 10 11:00:00 su: pam_unix(su:session): session opened', NOW);
    expect(hl).toMatchObject({ appname: 'su', message: 'pam_unix(su:session): session opened' });
    expect(hl.hostname).toBeUndefined();
    expect(parseSyslog('Mar 10 11:00:00 host1 cron[5]: job', NOW)).toMatchObject({ hostname: 'host1', appname: 'cron', procid: '5' });
    const iso = parseSyslog('2024-03-10T10:00:00.123456+01:00 host2 kernel: oops', NOW);
    expect(iso).toMatchObject({ hostname: 'host2', appname: 'kernel', message: 'oops' });
    expect(iso.time).toBe(Date.UTC(2024, 2, 10, 9, 0, 0, 123));
  });
  it('keeps garbage as the message without failing', () => {
    const m = parseSyslog('<13>%%% garbage ::: [[[', NOW);
    expect(m.message).toBe('%%% garbage ::: [[[');
  });
  it('is linear on hostile input', () => {
    const long = '<13>1 ' + '2024-01-01T00:00:00Z h a - - [' + 'x a="'.repeat(1) + '\\'.repeat(200_000);
    const t0 = performance.now();
    expect(syslogParser.parse(rec(long)).ok).toBe(false);
    const long2 = '<13>Mar 10 11:00:00 ' + 'a['.repeat(100_000);
    expect(syslogParser.parse(rec(long2)).ok).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('normalization', () => {
  it('maps sshd failures to authentication with user, source IP and port (Sigma linux/auth)', () => {
    const r = parseRecord(rec('<38>Mar  9 22:14:15 web01 sshd[4721]: Failed password for invalid user admin from 203.0.113.9 port 52114 ssh2'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.source).toMatchObject({ format: 'syslog', product: 'linux', service: 'auth', channel: 'sshd' });
    expect(r.event.class.name).toBe('authentication');
    expect(r.event.entities).toMatchObject({ host: 'web01', user: 'admin', srcIp: '203.0.113.9', srcPort: 52114, outcome: 'failure' });
    expect(r.event.fields).toMatchObject({ appname: 'sshd', procid: '4721', facility: 'auth' });
    expect(r.event.time).toBe(Date.UTC(2024, 2, 9, 22, 14, 15));
  });
  it('maps accepted logins and sudo commands', () => {
    const ok = parseRecord(rec('<86>Mar 10 10:00:00 db1 sshd[9]: Accepted publickey for deploy from 10.0.0.5 port 40000 ssh2: RSA SHA256:abc'));
    expect(ok.ok && ok.event.entities).toMatchObject({ user: 'deploy', srcIp: '10.0.0.5', outcome: 'success' });
    const sudo = parseRecord(rec('<85>Mar 10 10:00:01 db1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id'));
    expect(sudo.ok && sudo.event.entities).toMatchObject({ user: 'alice', targetUser: 'root', process: { commandLine: '/usr/bin/id' } });
    expect(sudo.ok && sudo.event.source.service).toBe('auth');
  });
  it('non-auth programs go to service syslog; the same line from two origins gets two ids', () => {
    const a = parseRecord(rec('<30>Mar 10 10:00:00 h1 systemd[1]: Started x.', { origin: 'syslog:udp:1' }));
    const b = parseRecord(rec('<30>Mar 10 10:00:00 h1 systemd[1]: Started x.', { origin: 'syslog:udp:2' }));
    expect(a.ok && a.event.source.service).toBe('syslog');
    expect(a.ok && b.ok && a.event.id !== b.event.id).toBe(true);
  });
});
