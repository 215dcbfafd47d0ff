/** Field names and value shapes of every native format, as the real producers write them. */
import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation.js';
import type { SimRecord, SourceKey } from './record.js';

const recs = [...new Simulation({ seed: 11, hours: 24 }).records()];
const of = (s: SourceKey): SimRecord[] => recs.filter((r) => r.source === s);
const win = (id: string): Record<string, any>[] => of('windows').map((r) => r.event as any).filter((e) => e.winlog.event_id === id);

const SYSMON1 = ['RuleName', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'FileVersion', 'Description', 'Product', 'Company', 'OriginalFileName', 'CommandLine', 'CurrentDirectory', 'User', 'LogonGuid', 'LogonId', 'TerminalSessionId', 'IntegrityLevel', 'Hashes', 'ParentProcessGuid', 'ParentProcessId', 'ParentImage', 'ParentCommandLine'];

describe('Winlogbeat JSON', () => {
  it('every Windows event has the Winlogbeat envelope', () => {
    for (const r of of('windows').slice(0, 3000)) {
      const e = r.event as any;
      expect(e['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof e.winlog.channel).toBe('string');
      expect(e.winlog.event_id).toMatch(/^\d+$/);
      expect(e.winlog.record_id).toMatch(/^\d+$/);
      expect(e.winlog.computer_name).toMatch(/^[A-Z0-9-]+\.[a-z0-9.-]+$/);
      expect(e.winlog.provider_name).toBeTruthy();
      expect(e.event.code).toBe(e.winlog.event_id);
      for (const v of Object.values(e.winlog.event_data)) expect(typeof v).toBe('string');
    }
  });
  it('Sysmon 1 has the real field names and value shapes', () => {
    const evs = win('1');
    expect(evs.length).toBeGreaterThan(100);
    for (const e of evs) {
      const d = e.winlog.event_data;
      expect(Object.keys(d).sort()).toEqual([...SYSMON1].sort());
      expect(d.ProcessGuid).toMatch(/^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/);
      expect(d.UtcTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      expect(d.Hashes).toMatch(/^SHA1=[0-9A-F]{40},MD5=[0-9A-F]{32},SHA256=[0-9A-F]{64},IMPHASH=[0-9A-F]{32}$/);
      expect(d.LogonId).toMatch(/^0x[0-9a-f]+$/);
      expect(['Low', 'Medium', 'High', 'System']).toContain(d.IntegrityLevel);
      expect(d.Image).toMatch(/^[A-Z]:\\/);
      expect(d.User).toMatch(/^[A-Z ]+\\/);
    }
  });
  it('process trees are consistent: a child names its parent by GUID, PID and image', () => {
    const byGuid = new Map<string, any>();
    for (const e of win('1')) byGuid.set(e.winlog.event_data.ProcessGuid, e.winlog.event_data);
    let linked = 0;
    for (const d of byGuid.values()) {
      const p = byGuid.get(d.ParentProcessGuid);
      if (!p) continue;
      linked++;
      expect(d.ParentImage).toBe(p.Image);
      expect(d.ParentProcessId).toBe(p.ProcessId);
      expect(d.ParentCommandLine).toBe(p.CommandLine);
    }
    expect(linked).toBeGreaterThan(50);
  });
  it('Security 4624 logons carry the fields analysts pivot on', () => {
    for (const e of win('4624')) {
      const d = e.winlog.event_data;
      expect(d.LogonType).toMatch(/^(2|3|10|11)$/);
      expect(d.TargetUserSid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(d.TargetLogonId).toMatch(/^0x[0-9a-f]+$/);
      expect(d.IpAddress).toMatch(/^(\d+\.){3}\d+$/);
      expect(e.winlog.channel).toBe('Security');
    }
  });
});

describe('network and cloud formats', () => {
  it('Zeek conn/dns/http JSON', () => {
    for (const r of of('zeek.conn').slice(0, 2000)) {
      const e = r.event as any;
      expect(typeof e.ts).toBe('number');
      expect(e.uid).toMatch(/^C[A-Za-z0-9]{17}$/);
      expect(e['id.orig_h']).toMatch(/^(\d+\.){3}\d+$/);
      expect(Number.isInteger(e['id.resp_p'])).toBe(true);
      expect(['tcp', 'udp']).toContain(e.proto);
      expect(['SF', 'REJ', 'S0', 'S1', 'RSTO']).toContain(e.conn_state);
    }
    const dns = of('zeek.dns').map((r) => r.event as any);
    expect(dns.length).toBeGreaterThan(100);
    for (const e of dns) expect(e).toMatchObject({ proto: 'udp', 'id.resp_p': 53, qclass_name: 'C_INTERNET' });
    const http = of('zeek.http').map((r) => r.event as any);
    for (const e of http) expect(Object.keys(e)).toEqual(expect.arrayContaining(['method', 'host', 'uri', 'user_agent', 'status_code']));
  });
  it('Squid access.log lines in the default squid logformat', () => {
    const re = /^\d{10}\.\d{3} {1,6}\d+ (\d+\.){3}\d+ TCP_[A-Z_]+\/\d{3} \d+ (GET|POST|CONNECT|PUT) https?:\/\/\S+ \S+ HIER_[A-Z]+\/(\d+\.){3}\d+ \S+$/;
    const lines = of('proxy').map((r) => r.event as string);
    expect(lines.length).toBeGreaterThan(500);
    for (const l of lines) expect(l).toMatch(re);
  });
  it('auth.log syslog lines and auditd records', () => {
    for (const r of of('linux.auth')) expect(r.event).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 [a-z0-9-]+ [A-Za-z-]+\[\d+\]: \S/);
    for (const r of of('linux.audit')) expect(r.event).toMatch(/^node=[a-z0-9-]+ type=(SYSCALL|EXECVE|CWD|PROCTITLE) msg=audit\(\d+\.\d{3}:\d+\): /);
  });
  it('CloudTrail records and Entra ID sign-ins', () => {
    for (const r of of('cloudtrail')) {
      const e = r.event as any;
      expect(e.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(e.eventID).toMatch(/^[0-9a-f-]{36}$/);
      expect(e.userIdentity.accountId).toMatch(/^\d{12}$/);
      expect(e.eventSource).toMatch(/\.amazonaws\.com$/);
      expect(typeof e.readOnly).toBe('boolean');
    }
    for (const r of of('signin')) {
      const e = r.event as any;
      expect(e.operationName).toBe('Sign-in activity');
      expect(e.resultType).toMatch(/^\d+$/);
      expect(e.properties.userPrincipalName).toMatch(/@/);
      expect(e.properties.status.errorCode).toBe(Number(e.resultType));
      expect(e.callerIpAddress).toBe(e.properties.ipAddress);
    }
  });
  it('contains the benign look-alikes the issue asks for', () => {
    const cmds = win('1').map((e) => e.winlog.event_data.CommandLine as string);
    expect(cmds.some((c) => /PsExec\.exe \\\\/.test(c))).toBe(true); // admin PsExec
    expect(cmds.some((c) => /robocopy .* \/MIR/.test(c))).toBe(true); // backup job
    expect(cmds.some((c) => /msiexec\.exe \/i .*ccmcache/.test(c))).toBe(true); // software rollout
    expect(of('zeek.conn').filter((r) => (r.event as any).conn_state === 'REJ').length).toBeGreaterThan(100); // vulnerability scanner
    expect(win('10').some((e) => /MsMpEng/.test(e.winlog.event_data.SourceImage))).toBe(true); // Defender reads LSASS
  });
});
