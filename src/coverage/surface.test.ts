import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GarrisonEvent } from '../core/event.js';
import type { Incident } from '../core/incident.js';
import { contextFromData } from '../correlate/context.js';
import { parseRecord } from '../normalize/registry.js';
import { computeSurface, isPrivateIp, loadSurfaceSnapshots, normalizeIp, outcomeReport, renderOutcomeText, saveSurfaceSnapshot } from './surface.js';
import { tempStore } from './testing.js';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2026, 10, 20, 12);
let seq = 0;

function parse(data: string | Record<string, unknown>, format: string, time: number): GarrisonEvent {
  const r = parseRecord({ data, origin: `surface-test:${seq++}`, input: 'test', tenant: 'default', receivedAt: time, format });
  if (!r.ok) throw r.error;
  return r.event;
}
const zeekConn = (src: string, dst: string, port: number, time: number, state = 'SF') =>
  parse(JSON.stringify({ ts: time / 1000, uid: `C${seq}`, 'id.orig_h': src, 'id.orig_p': 40000 + (seq % 1000), 'id.resp_h': dst, 'id.resp_p': port, proto: 'tcp', conn_state: state }), 'zeek:conn', time);
const winlog = (data: Record<string, unknown>, time: number) => parse({ TimeCreated: new Date(time).toISOString(), ...data }, 'winlog', time);
const sysmon3 = (host: string, initiated: boolean, src: string, dst: string, port: number, time: number) =>
  winlog({ Channel: 'Microsoft-Windows-Sysmon/Operational', Provider_Name: 'Microsoft-Windows-Sysmon', EventID: 3, Computer: host, Initiated: String(initiated), SourceIp: src, SourcePort: '50123', DestinationIp: dst, DestinationPort: String(port), Protocol: 'tcp', Image: 'C:\\Windows\\System32\\svchost.exe' }, time);
const logon = (host: string, user: string, type: number, time: number) =>
  winlog({ Channel: 'Security', EventID: 4624, Computer: host, SubjectUserName: `${host}$`, TargetUserName: user, TargetDomainName: 'CORP', LogonType: String(type), IpAddress: '10.0.0.5' }, time);
const cef = (src: string, dst: string, port: number, act: string, time: number) =>
  parse(`<134>Nov 20 10:00:00 fw01 CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|src=${src} dst=${dst} spt=51000 dpt=${port} proto=TCP act=${act} rt=${new Date(time).toUTCString().replace(/^\w+, /, '').replace(/ GMT$/, ' UTC')}`, 'cef', time);
const azure = (upn: string, requirement: string | undefined, ok: boolean, time: number) =>
  parse(JSON.stringify({ time: new Date(time).toISOString(), category: 'SignInLogs', resultType: ok ? '0' : '50126', properties: { createdDateTime: new Date(time).toISOString(), userPrincipalName: upn, ipAddress: '203.0.113.9', status: { errorCode: ok ? 0 : 50126 }, ...(requirement ? { authenticationRequirement: requirement } : {}) } }), 'signin', time);
const okta = (user: string, eventType: string, time: number) =>
  parse(JSON.stringify({ uuid: `u${seq}`, published: new Date(time).toISOString(), eventType, actor: { id: '1', type: 'User', alternateId: user }, client: { ipAddress: '198.51.100.20' }, outcome: { result: 'SUCCESS' }, target: [] }), 'signin', time);

const context = contextFromData({
  assets: [
    { name: 'WEB1', ips: ['10.0.0.20'], role: 'web', criticality: 'high' },
    { name: 'WS1', fqdn: 'ws1.corp.example', ips: ['10.0.1.11'], role: 'workstation', criticality: 'low' },
    { name: 'SRV2', ips: ['10.0.0.30'], role: 'file', criticality: 'critical' },
    { name: 'DC1', ips: ['10.0.0.2'], role: 'domain_controller', criticality: 'critical' },
  ],
  identities: [
    { name: 'jdoe', groups: ['Domain Admins'], upn: 'jdoe@corp.example' },
    { name: 'alice', groups: ['Staff'], upn: 'alice@corp.example' },
  ],
});

describe('attack surface from stored telemetry and context', () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    t = await tempStore();
    await t.store.appendEvents([
      // Exposed: WEB1:443 from two external sources (3 conns); RDP on WS1 inbound per Sysmon; SSH on SRV2 via the firewall.
      zeekConn('203.0.113.5', '10.0.0.20', 443, T0 - 2 * H),
      zeekConn('203.0.113.6', '10.0.0.20', 443, T0 - 3 * H),
      zeekConn('203.0.113.5', '10.0.0.20', 443, T0 - 4 * H),
      zeekConn('203.0.113.7', '10.0.0.20', 8080, T0 - 4 * H, 'REJ'), // rejected: not a service
      zeekConn('10.0.0.5', '10.0.0.20', 22, T0 - 4 * H), // internal source: not exposure
      zeekConn('10.0.0.20', '198.51.100.1', 443, T0 - 4 * H), // outbound
      sysmon3('WS1', false, '198.51.100.9', '10.0.1.11', 3389, T0 - 5 * H),
      sysmon3('WS1', true, '10.0.1.11', '198.51.100.10', 443, T0 - 5 * H), // outbound
      sysmon3('WS1', true, '198.51.100.50', '10.0.1.11', 5555, T0 - 5 * H), // initiated locally: not a listening service
      cef('192.0.2.10', '10.0.0.30', 22, 'accept', T0 - 6 * H),
      cef('192.0.2.11', '10.0.0.30', 23, 'deny', T0 - 6 * H), // denied
      // Privileged logons: jdoe (directory) on WS1 and SRV2; adm-bob (naming) on DC1; alice is not privileged.
      logon('WS1', 'jdoe', 10, T0 - 2 * H),
      logon('WS1', 'jdoe', 10, T0 - 3 * H),
      logon('SRV2', 'jdoe', 3, T0 - 3 * H),
      logon('DC1', 'adm-bob', 2, T0 - 50 * H), // DC1 is stale for windows/security (last 50h ago)
      logon('WS1', 'alice', 2, T0 - 1 * H),
      logon('WS1', 'ANONYMOUS LOGON', 3, T0 - 1 * H),
      // Sign-ins: carol single-factor twice; jdoe MFA; dave no requirement field (unknown); okta: eve no factor, frank verified.
      azure('carol@corp.example', 'singleFactorAuthentication', true, T0 - 2 * H),
      azure('carol@corp.example', 'singleFactorAuthentication', true, T0 - 3 * H),
      azure('carol@corp.example', 'singleFactorAuthentication', false, T0 - 3 * H), // failed: not counted
      azure('jdoe@corp.example', 'multiFactorAuthentication', true, T0 - 2 * H),
      azure('dave@corp.example', undefined, true, T0 - 2 * H),
      okta('eve@corp.example', 'user.session.start', T0 - 2 * H),
      okta('frank@corp.example', 'user.session.start', T0 - 2 * H),
      okta('frank@corp.example', 'user.authentication.auth_via_mfa', T0 - 2 * H),
    ]);
  });
  afterAll(() => t.cleanup());

  it('addresses: private vs external, normalisation', () => {
    expect(isPrivateIp('10.1.2.3')).toBe(true);
    expect(isPrivateIp('172.31.0.1')).toBe(true);
    expect(isPrivateIp('172.32.0.1')).toBe(false);
    expect(isPrivateIp('fd00::1')).toBe(true);
    expect(isPrivateIp('203.0.113.5')).toBe(false);
    expect(normalizeIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('999.1.1.1')).toBeUndefined();
    expect(normalizeIp('<script>')).toBeUndefined();
  });

  it('computes each figure from the events and the context', async () => {
    const r = await computeSurface(t.store, { from: T0 - 7 * DAY, to: T0, context, staleAfterMs: 24 * H });
    const svc = r.exposedServices.map((s) => `${s.host} ${s.ip}:${s.port} ${s.connections}/${s.sources}`).sort();
    expect(svc).toEqual(['SRV2 10.0.0.30:22 1/1', 'WEB1 10.0.0.20:443 3/2', 'WS1 10.0.1.11:3389 1/1']);
    expect(r.exposedServices.find((s) => s.port === 443)!.seenBy).toEqual(['zeek/conn']);
    expect(r.exposedServices.find((s) => s.port === 443)!.criticality).toBe('high');
    expect(r.counts.exposedHosts).toBe(3);

    // Every inventory host produced events except none; WEB1 is seen only as a destination address (no host field).
    expect(r.missingTelemetry.map((m) => m.host)).toEqual(['WEB1']);
    expect(r.staleAgents.map((s) => `${s.host} ${s.family}`)).toEqual(['dc1 windows/security']);

    const priv = Object.fromEntries(r.privilegedAccounts.map((p) => [p.account, p]));
    expect(Object.keys(priv).sort()).toEqual(['adm-bob', 'jdoe']);
    expect(priv.jdoe.reason).toBe('directory');
    expect(priv.jdoe.logons).toBe(3);
    expect(priv.jdoe.hosts.map((h) => h.host).sort()).toEqual(['srv2', 'ws1']);
    expect(priv.jdoe.workstations).toBe(1);
    expect(priv.jdoe.hosts.find((h) => h.host === 'ws1')!.logonTypes).toEqual([10]);
    expect(priv['adm-bob'].reason).toBe('naming');
    expect(r.counts.privilegedOnWorkstations).toBe(1);

    const nm = Object.fromEntries(r.noMfa.map((m) => [m.account, m]));
    expect(Object.keys(nm).sort()).toEqual(['carol@corp.example', 'eve@corp.example']);
    expect(nm['carol@corp.example'].singleFactor).toBe(2);
    expect(nm['eve@corp.example'].sources).toEqual(['okta']);
    expect(r.counts).toMatchObject({ exposedServices: 3, missingTelemetry: 1, staleAgents: 1, privilegedAccounts: 2, noMfaAccounts: 2 });
  });

  it('without context: naming only, private ranges as internal, notes say so', async () => {
    const r = await computeSurface(t.store, { from: T0 - 7 * DAY, to: T0 });
    expect(r.privilegedAccounts.map((p) => p.account)).toEqual(['adm-bob']);
    expect(r.exposedServices.find((s) => s.port === 443)!.host).toBe('10.0.0.20');
    expect(r.notes.join(' ')).toMatch(/no asset inventory/);
    expect(r.missingTelemetry).toEqual([]);
  });

  it('keeps one snapshot per day and reports deltas against the previous day', async () => {
    const day1 = await computeSurface(t.store, { from: T0 - 7 * DAY, to: T0 - DAY, context });
    await saveSurfaceSnapshot(t.store, day1);
    await saveSurfaceSnapshot(t.store, day1); // same day: replaced, not duplicated
    expect((await loadSurfaceSnapshots(t.store)).length).toBe(1);
    // Day 1 saw nothing in its window; day 2 adds everything.
    const day2 = await computeSurface(t.store, { from: T0 - 7 * DAY, to: T0, context, staleAfterMs: 24 * H });
    expect(day2.delta.previousDay).toBe(new Date(T0 - DAY).toISOString().slice(0, 10));
    expect(day2.delta.counts.exposedServices).toBe(3);
    expect(day2.delta.added.noMfaAccounts).toEqual(['carol@corp.example', 'eve@corp.example']);
    await saveSurfaceSnapshot(t.store, day2);
    // Day 3: a window that starts after the SSH and RDP connections: those two are no longer exposed.
    const day3 = await computeSurface(t.store, { from: T0 - 150 * 60_000, to: T0 + DAY, context });
    expect(day3.exposedServices.map((s) => s.port)).toEqual([443]);
    expect(day3.delta.previousDay).toBe(new Date(T0).toISOString().slice(0, 10));
    expect(day3.delta.removed.exposedServices).toContain('10.0.0.30:22/tcp');
    expect(day3.history.length).toBe(3);
  });

  it('outcome report: surface and operating figures together, text and JSON', async () => {
    const inc = (id: string, over: Partial<Incident>): Incident => ({
      id, tenant: 'default', title: id, summary: '', status: 'closed', severity: 'high', score: 50, confidence: 0.8,
      createdAt: T0 - 5 * H, updatedAt: T0 - 4 * H, firstSeen: T0 - 6 * H, lastSeen: T0 - 5 * H, signalIds: [],
      attack: { tactics: [], techniques: [] }, stages: [], entities: [], scoring: [], mergedFrom: [], revision: 1, ...over,
    });
    const v = (by: string, at: number) => ({ verdict: 'benign' as const, confidence: 0.9, by, decidedAt: at, summary: '', factors: [], wouldChange: [] });
    const incs = [
      inc('i1', { verdict: v('garrison', T0 - 5 * H + 60_000), signalIds: ['s1', 's2', 's3'] }),
      inc('i2', { verdict: v('garrison', T0 - 5 * H + 180_000), analystVerdict: v('user:ann', T0 - 4 * H), signalIds: ['s4'] }),
    ];
    await t.store.putRecords('incidents', incs.map((i) => ({ id: i.id, tenant: i.tenant, status: i.status, ref: '', createdAt: i.createdAt, updatedAt: i.updatedAt, doc: i })));
    const r = await outcomeReport(t.store, { from: T0 - 7 * DAY, to: T0, context, minutesPerIncident: 45, minutesPerAlert: 10 });
    expect(r.alerts).toMatchObject({ signals: 4, triagedWithoutPerson: 3, hoursSaved: 0.5 });
    expect(r.alerts.assumption).toMatch(/10 analyst minutes/);
    expect(r.operations.incidents.total).toBe(2);
    expect(r.operations.timeToDetect.meanMs).toBe(H);
    expect(r.operations.timeToInvestigate.meanMs).toBe(120_000);
    expect(r.operations.resolvedWithoutPerson).toEqual({ count: 1, share: 0.5 });
    expect(r.operations.analystHoursSaved.hours).toBe(0.8);
    expect(r.operations.analystHoursSaved.assumption).toMatch(/45 analyst minutes/);
    const text = renderOutcomeText(r);
    expect(text).toMatch(/exposed services\s+3/);
    expect(text).toMatch(/mean time to detect\s+1\.0h/);
    expect(text).toContain('jdoe [directory]');
    expect(JSON.parse(JSON.stringify(r)).surface.counts.noMfaAccounts).toBe(2);
  });

  it('renders attacker-written names without control characters', async () => {
    const s2 = await tempStore();
    try {
      await s2.store.appendEvents([logon('WS9', 'adm-\u001b[31mx', 2, T0 - H)]);
      const r = await outcomeReport(s2.store, { from: T0 - DAY, to: T0 });
      expect(r.surface.privilegedAccounts[0].account).toBe('adm-\u001b[31mx');
      const text = renderOutcomeText(r);
      expect(text).not.toContain('\u001b');
      expect(text).toContain('adm-?[31mx');
    } finally {
      await s2.cleanup();
    }
  });

  it('rejects an empty window', async () => {
    await expect(computeSurface(t.store, { from: T0, to: T0 })).rejects.toMatchObject({ code: 'COVERAGE_OPTION_INVALID' });
  });
});
