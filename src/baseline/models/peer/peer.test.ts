import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { DAY, HOUR, T0, ev, logon, proc } from '../../fixtures/events.js';
import { deriveGroup } from './model.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    peer: { learningMs: 2 * DAY, ...extra },
    rarity: { enabled: false }, time: { enabled: false }, volume: { enabled: false }, beaconing: { enabled: false }, dns: { enabled: false }, auth: { enabled: false },
  },
});

const SALES = ['s1', 's2', 's3', 's4', 's5', 's6'];
const FIN = ['f1', 'f2', 'f3', 'f4', 'f5'];
const userGroups = [
  { match: 's?', group: 'sales' },
  { match: 'f?', group: 'finance' },
];

function history() {
  const out = [];
  for (let d = 0; d < 3; d++) {
    for (const u of SALES) out.push(logon(T0 + d * DAY + 9 * HOUR, `ws-${u}`, u, 'success'), logon(T0 + d * DAY + 10 * HOUR, 'srv-crm-01', u, 'success'));
    for (const u of FIN) out.push(logon(T0 + d * DAY + 9 * HOUR, `ws-${u}`, u, 'success'), logon(T0 + d * DAY + 10 * HOUR, 'srv-fin-01', u, 'success'));
  }
  return out;
}

describe('peer model', () => {
  it('derives host groups from names', () => {
    expect(deriveGroup('ws-0042')).toBe('ws');
    expect(deriveGroup('srv-sql-01.corp.local')).toBe('srv-sql');
    expect(deriveGroup('1234')).toBe('hosts');
  });

  it('flags a sales user logging on to a finance server no sales peer uses', () => {
    const s = new BaselineStage(only({ userGroups }));
    expect(s.observe(history())).toEqual([]);
    const sig = s.observe([logon(T0 + 3 * DAY + 11 * HOUR, 'srv-fin-01', 's3', 'success')]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('peer_userHost');
    expect(sig[0].details.expected).toMatchObject({ group: 'sales', peers: 5, peersWithValue: 0 });
    expect(sig[0].score).toBe(80);
  });

  it('does not flag what the peers do (a finance user on the finance server, a new sales hire on the CRM)', () => {
    const s = new BaselineStage(only({ userGroups }));
    s.observe(history());
    expect(s.observe([logon(T0 + 3 * DAY + 11 * HOUR, 'srv-fin-01', 'f9', 'success'), logon(T0 + 3 * DAY + 11 * HOUR, 'srv-crm-01', 's9', 'success')])).toEqual([]);
  });

  it('reads the group from an event field and compares cloud API actions', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let d = 0; d < 3; d++) for (const u of SALES) evs.push(ev('api_activity', T0 + d * DAY + 9 * HOUR, { user: u, action: 'GetObject' }, { fields: { department: 'Sales' } }));
    s.observe(evs);
    const sig = s.observe([ev('api_activity', T0 + 3 * DAY, { user: 's2', action: 'CreateAccessKey' }, { fields: { department: 'Sales' } })]);
    expect(sig.map((x) => x.details.pattern)).toEqual(['peer.userAction user=s2 group=sales value=createaccesskey']);
  });

  it('compares hosts with their host group by process', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let d = 0; d < 3; d++) for (let i = 1; i <= 8; i++) evs.push(proc(T0 + d * DAY + 9 * HOUR, `ws-${i}`, 'c:\\windows\\explorer.exe'));
    s.observe(evs);
    const sig = s.observe([proc(T0 + 3 * DAY, 'ws-4', 'c:\\tools\\adfind.exe')]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.expected).toMatchObject({ group: 'ws/windows', peers: 7 });
  });

  it('splits host groups by operating system: a Linux server is compared with Linux servers only', () => {
    const srv = (t: number, host: string, image: string, os: 'windows' | 'linux') => ev('process_activity', t, { host, process: { image } }, { product: os });
    const evs = [];
    for (let d = 0; d < 3; d++)
      for (let i = 1; i <= 6; i++) evs.push(srv(T0 + d * DAY + i, `srv-${i}`, 'c:\\windows\\system32\\inetsrv\\w3wp.exe', 'windows'), srv(T0 + d * DAY + i, `srv-${i + 6}`, '/usr/sbin/nginx', 'linux'));
    const byOs = new BaselineStage(only());
    expect(byOs.observe(evs)).toEqual([]);
    // w3wp.exe on a Linux host: 0 of its 5 Linux peers ran it (in a mixed group, 6 of 11 did: not unusual)
    const sig = byOs.observe([srv(T0 + 3 * DAY, 'srv-9', 'c:\\windows\\system32\\inetsrv\\w3wp.exe', 'linux')]);
    expect(sig.map((x) => x.details.expected)).toEqual([expect.objectContaining({ group: 'srv/linux', peers: 5, peersWithValue: 0 })]);
    const mixed = new BaselineStage(only({ hostGroupByOs: false }));
    mixed.observe(evs);
    expect(mixed.observe([srv(T0 + 3 * DAY, 'srv-9', 'c:\\windows\\system32\\inetsrv\\w3wp.exe', 'linux')]).map((x) => x.details.expected)).toEqual([]);
  });

  it('reads a host group from an event field (asset role) when configured', () => {
    const s = new BaselineStage(only({ hostGroupFields: ['asset.role'], hostGroupByOs: false }));
    const p = (t: number, host: string, image: string, role: string) => ev('process_activity', t, { host, process: { image } }, { fields: { asset: { role } } });
    const evs = [];
    for (let d = 0; d < 3; d++) for (let i = 1; i <= 6; i++) evs.push(p(T0 + d * DAY + i, `h${i}x`, 'c:\\app\\pos.exe', 'Till'));
    s.observe(evs);
    const sig = s.observe([p(T0 + 3 * DAY, 'h3x', 'c:\\tools\\psexec.exe', 'Till')]);
    expect(sig.map((x) => (x.details.expected as { group: string }).group)).toEqual(['till']);
  });
});
