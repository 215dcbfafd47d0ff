import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRecord } from '../registry.js';
import type { RawRecord } from '../types.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const lines = readFileSync(path.join(FIX, 'audit.log'), 'utf8').split('\n').filter(Boolean);
const rec = (data: string, format?: string): RawRecord => ({ data, origin: 'a:1', input: 'test', tenant: 't', receivedAt: 0, format });

describe('auditd', () => {
  it('parses SYSCALL with enriched fields after the GS separator, Sigma linux/auditd', () => {
    const r = parseRecord(rec(lines[0]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.source).toMatchObject({ format: 'auditd', product: 'linux', service: 'auditd', category: 'process_creation', eventCode: 'SYSCALL' });
    expect(r.event.fields).toMatchObject({ type: 'SYSCALL', syscall: '59', comm: 'cat', exe: '/usr/bin/cat', key: 'susp_activity', AUID: 'alice', serial: 24287 });
    expect(r.event.time).toBe(1364481363243);
    expect(r.event.class.name).toBe('process_activity');
    expect(r.event.entities).toMatchObject({ user: 'alice', outcome: 'success', process: { pid: 3538, image: '/usr/bin/cat', parent: { pid: 2686 } } });
  });
  it('decodes hex-encoded EXECVE arguments and proctitle but leaves quoted values alone', () => {
    const ex = parseRecord(rec(lines[1]));
    expect(ex.ok && ex.event.fields).toMatchObject({ a0: 'cat', a1: '-n', a2: '/etc/shadow' });
    expect(ex.ok && ex.event.entities.process?.commandLine).toBe('cat -n /etc/shadow');
    const pt = parseRecord(rec(lines[2], 'auditd'));
    expect(pt.ok && pt.event.fields.proctitle).toBe('cat -n /etc/shadow');
    const p = parseRecord(rec(lines[3]));
    expect(p.ok && p.event.entities.file).toEqual({ path: '/etc/shadow' });
    expect(p.ok && p.event.class.name).toBe('file_activity');
  });
  it("flattens msg='…' of user-space records: failed login with node, account and address", () => {
    const r = parseRecord(rec(lines[4]));
    expect(r.ok && r.event.entities).toMatchObject({ host: 'web01', user: 'root', srcIp: '203.0.113.5', outcome: 'failure' });
    expect(r.ok && r.event.class.name).toBe('authentication');
  });
  it('handles audit records forwarded in syslog and rejects broken headers', () => {
    const r = parseRecord(rec('<29>Mar 10 10:00:00 h1 audispd: ' + lines[0]));
    expect(r.ok && r.event.source.service).toBe('auditd');
    expect(r.ok && (r.event.fields.syslog as Record<string, unknown>).hostname).toBe('h1');
    const bad = parseRecord(rec(lines[5], 'auditd'));
    expect(!bad.ok && bad.error.code).toBe('PARSE_AUDITD_INVALID');
  });
});
