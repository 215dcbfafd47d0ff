/**
 * Windows events as Winlogbeat 8 writes them (JSON, `winlog.*` with `event_data` values as
 * strings, `event_id` and `record_id` as strings). Event-data field names and value shapes are the
 * ones Windows and Sysmon 13+ write; src/sim/windows.conformance.test.ts compares them with the
 * EVTX attack samples.
 */
import type { Host, Org, User } from '../org/model.js';
import { hashString, Rng } from '../prng.js';
import type { Emit, Truth } from '../record.js';
import { isoMs } from '../record.js';

const SYSMON = { name: 'Microsoft-Windows-Sysmon', guid: '{5770385f-c22a-43e0-bf4c-06f5698ffbd9}', channel: 'Microsoft-Windows-Sysmon/Operational' };
const SECURITY = { name: 'Microsoft-Windows-Security-Auditing', guid: '{54849625-5478-4994-a5ba-3e3b0328c30d}', channel: 'Security' };
const SCM = { name: 'Service Control Manager', guid: '{555908d1-a6d7-4695-8e1e-26931d2012f4}', channel: 'System' };
const PWSH = { name: 'Microsoft-Windows-PowerShell', guid: '{a0c1853b-5c40-4b15-8766-3cf1c58f985a}', channel: 'Microsoft-Windows-PowerShell/Operational' };

const SYSMON_TASKS: Record<number, string> = {
  1: 'Process Create (rule: ProcessCreate)',
  3: 'Network connection detected (rule: NetworkConnect)',
  10: 'Process accessed (rule: ProcessAccess)',
  11: 'File created (rule: FileCreate)',
  13: 'Registry value set (rule: RegistryEvent)',
  22: 'Dns query (rule: DnsQuery)',
};
const SECURITY_TASKS: Record<number, string> = {
  4624: 'Logon',
  4625: 'Logon',
  4672: 'Special Logon',
  4688: 'Process Creation',
  4698: 'Other Object Access Events',
  4720: 'User Account Management',
  4732: 'Security Group Management',
};

interface ImageInfo {
  FileVersion: string;
  Description: string;
  Product: string;
  Company: string;
  OriginalFileName: string;
}

const MS = 'Microsoft Corporation';
const WINOS = 'Microsoft® Windows® Operating System';
const IMAGES: Record<string, ImageInfo> = {
  'explorer.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Windows Explorer', Product: WINOS, Company: MS, OriginalFileName: 'EXPLORER.EXE' },
  'cmd.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Windows Command Processor', Product: WINOS, Company: MS, OriginalFileName: 'Cmd.Exe' },
  'powershell.exe': { FileVersion: '10.0.19041.3570 (WinBuild.160101.0800)', Description: 'Windows PowerShell', Product: WINOS, Company: MS, OriginalFileName: 'PowerShell.EXE' },
  'rundll32.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Windows host process (Rundll32)', Product: WINOS, Company: MS, OriginalFileName: 'RUNDLL32.EXE' },
  'schtasks.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Task Scheduler Configuration Tool', Product: WINOS, Company: MS, OriginalFileName: 'schtasks.exe' },
  'reg.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Registry Console Tool', Product: WINOS, Company: MS, OriginalFileName: 'reg.exe' },
  'whoami.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'whoami - displays logged on user information', Product: WINOS, Company: MS, OriginalFileName: 'whoami.exe' },
  'net.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Net Command', Product: WINOS, Company: MS, OriginalFileName: 'net.exe' },
  'net1.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Net Command', Product: WINOS, Company: MS, OriginalFileName: 'net1.exe' },
  'nltest.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Microsoft® Logon Server Test Utility', Product: WINOS, Company: MS, OriginalFileName: 'nltestrk.exe' },
  'ipconfig.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'IP Configuration Utility', Product: WINOS, Company: MS, OriginalFileName: 'ipconfig.exe' },
  'systeminfo.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Displays system information', Product: WINOS, Company: MS, OriginalFileName: 'sysinfo.exe' },
  'tasklist.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Lists the current running tasks', Product: WINOS, Company: MS, OriginalFileName: 'tasklist.exe' },
  'vssadmin.exe': { FileVersion: '10.0.17763.1 (WinBuild.160101.0800)', Description: 'Command Line Interface for Microsoft® Volume Shadow Copy Service ', Product: WINOS, Company: MS, OriginalFileName: 'VSSADMIN.EXE' },
  'wmic.exe': { FileVersion: '10.0.17763.1 (WinBuild.160101.0800)', Description: 'WMI Commandline Utility', Product: WINOS, Company: MS, OriginalFileName: 'wmic.exe' },
  'wmiprvse.exe': { FileVersion: '10.0.17763.1 (WinBuild.160101.0800)', Description: 'WMI Provider Host', Product: WINOS, Company: MS, OriginalFileName: 'Wmiprvse.exe' },
  'bcdedit.exe': { FileVersion: '10.0.17763.1 (WinBuild.160101.0800)', Description: 'Boot Configuration Data Editor', Product: WINOS, Company: MS, OriginalFileName: 'bcdedit.exe' },
  'svchost.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Host Process for Windows Services', Product: WINOS, Company: MS, OriginalFileName: 'svchost.exe' },
  'services.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Services and Controller app', Product: WINOS, Company: MS, OriginalFileName: 'services.exe' },
  'taskhostw.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Host Process for Windows Tasks', Product: WINOS, Company: MS, OriginalFileName: 'taskhostw.exe' },
  'userinit.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Userinit Logon Application', Product: WINOS, Company: MS, OriginalFileName: 'USERINIT.EXE' },
  'winword.exe': { FileVersion: '16.0.17328.20142', Description: 'Microsoft Word', Product: 'Microsoft Office', Company: MS, OriginalFileName: 'WinWord.exe' },
  'excel.exe': { FileVersion: '16.0.17328.20142', Description: 'Microsoft Excel', Product: 'Microsoft Office', Company: MS, OriginalFileName: 'Excel.exe' },
  'outlook.exe': { FileVersion: '16.0.17328.20142', Description: 'Microsoft Outlook', Product: 'Microsoft Outlook', Company: MS, OriginalFileName: 'Outlook.exe' },
  'teams.exe': { FileVersion: '1.6.00.33567', Description: 'Microsoft Teams', Product: 'Microsoft Teams', Company: MS, OriginalFileName: 'Teams.exe' },
  'msedge.exe': { FileVersion: '119.0.2151.72', Description: 'Microsoft Edge', Product: 'Microsoft Edge', Company: MS, OriginalFileName: 'msedge.exe' },
  'chrome.exe': { FileVersion: '119.0.6045.160', Description: 'Google Chrome', Product: 'Google Chrome', Company: 'Google LLC', OriginalFileName: 'chrome.exe' },
  'onedrive.exe': { FileVersion: '23.226.1031.0003', Description: 'Microsoft OneDrive', Product: 'Microsoft OneDrive', Company: MS, OriginalFileName: 'OneDrive.exe' },
  'notepad.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Notepad', Product: WINOS, Company: MS, OriginalFileName: 'NOTEPAD.EXE' },
  'mpcmdrun.exe': { FileVersion: '4.18.23110.3 (WinBuild.160101.0800)', Description: 'Microsoft Malware Protection Command Line Utility', Product: WINOS, Company: MS, OriginalFileName: 'MpCmdRun.exe' },
  'msiexec.exe': { FileVersion: '5.0.19041.3636 (WinBuild.160101.0800)', Description: 'Windows® installer', Product: 'Windows Installer - Unicode', Company: MS, OriginalFileName: 'msiexec.exe' },
  'wuauclt.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Windows Update', Product: WINOS, Company: MS, OriginalFileName: 'wuauclt.exe' },
  'psexec.exe': { FileVersion: '2.43', Description: 'Execute processes remotely', Product: 'Sysinternals PsExec', Company: 'Sysinternals - www.sysinternals.com', OriginalFileName: 'psexec.c' },
  'psexesvc.exe': { FileVersion: '2.43', Description: 'PsExec Service', Product: 'Sysinternals PsExec', Company: 'Sysinternals', OriginalFileName: 'psexesvc.exe' },
  'robocopy.exe': { FileVersion: '10.0.17763.1 (WinBuild.160101.0800)', Description: 'Microsoft Robocopy', Product: WINOS, Company: MS, OriginalFileName: 'robocopy.exe' },
  '7z.exe': { FileVersion: '23.01', Description: '7-Zip Console', Product: '7-Zip', Company: 'Igor Pavlov', OriginalFileName: '7z.exe' },
  'rclone.exe': { FileVersion: '1.64.2', Description: 'Rsync for cloud storage', Product: 'Rclone', Company: 'https://rclone.org', OriginalFileName: 'rclone.exe' },
  'curl.exe': { FileVersion: '8.4.0', Description: 'The curl executable', Product: 'The curl executable', Company: 'curl, https://curl.se/', OriginalFileName: 'curl.exe' },
  'sqlservr.exe': { FileVersion: '2019.0150.4345.05 ((SQLServer2019-CU23).231002-1910)', Description: 'SQL Server Windows NT - 64 Bit', Product: 'Microsoft SQL Server', Company: MS, OriginalFileName: 'SQLServr.exe' },
  'sqlcmd.exe': { FileVersion: '2019.0150.2000.05', Description: 'T-SQL execution command line utility', Product: 'Microsoft SQL Server', Company: MS, OriginalFileName: 'sqlcmd.exe' },
  'wbadmin.exe': { FileVersion: '10.0.17763.1 (WinBuild.160101.0800)', Description: 'Command Line Interface for Microsoft® BLB Backup', Product: WINOS, Company: MS, OriginalFileName: 'WBADMIN.EXE' },
  'gpupdate.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Microsoft® Group Policy Update Utility', Product: WINOS, Company: MS, OriginalFileName: 'gpupdate.exe' },
  'msmpeng.exe': { FileVersion: '4.18.23110.3 (WinBuild.160101.0800)', Description: 'Antimalware Service Executable', Product: WINOS, Company: MS, OriginalFileName: 'MsMpEng.exe' },
  'conhost.exe': { FileVersion: '10.0.19041.3636 (WinBuild.160101.0800)', Description: 'Console Window Host', Product: WINOS, Company: MS, OriginalFileName: 'CONHOST.EXE' },
};
const UNKNOWN: ImageInfo = { FileVersion: '-', Description: '-', Product: '-', Company: '-', OriginalFileName: '-' };

const hashCache = new Map<string, string>();
/** Sysmon's Hashes field, stable per image path (the same binary hashes the same everywhere). */
export function hashesFor(image: string): string {
  const k = image.toLowerCase();
  let h = hashCache.get(k);
  if (!h) {
    const r = new Rng(hashString(k));
    h = `SHA1=${r.hex(40)},MD5=${r.hex(32)},SHA256=${r.hex(64)},IMPHASH=${r.hex(32)}`.toUpperCase();
    hashCache.set(k, h);
  }
  return h;
}

function baseName(image: string): string {
  const i = image.lastIndexOf('\\');
  return (i >= 0 ? image.slice(i + 1) : image).toLowerCase();
}

/** Sysmon's UtcTime: `2026-11-23 09:15:02.123`. */
export function sysmonTime(t: number): string {
  return isoMs(t).replace('T', ' ').replace('Z', '');
}

export interface Proc {
  guid: string;
  pid: number;
  image: string;
  cmd: string;
  user: string; // DOMAIN\name
  logonId: string;
  integrity: string;
}

export interface Session {
  user: User | null; // null = SYSTEM
  logonId: string;
  logonGuid: string;
}

/** Per-host Windows state: record ids per channel, process ids, logon ids, running system processes. */
export class WinHost {
  readonly host: Host;
  private readonly org: Org;
  private readonly rng: Rng;
  private readonly records: Record<string, number> = {};
  private nextPid: number;
  private guidCounter = 0;
  readonly system: Session;
  readonly services: Proc; // services.exe
  readonly svchost: Proc;
  readonly wmiprvse: Proc;
  readonly lsass: Proc;
  readonly sessions = new Map<string, { session: Session; explorer: Proc }>();

  constructor(host: Host, org: Org, rng: Rng, t0: number) {
    this.host = host;
    this.org = org;
    this.rng = rng;
    this.nextPid = 4000 + rng.int(2000);
    this.system = { user: null, logonId: '0x3e7', logonGuid: this.guid(t0 - 86_400_000) };
    const sys = 'NT AUTHORITY\\SYSTEM';
    this.services = { guid: this.guid(t0 - 86_400_000), pid: 600 + rng.int(200), image: 'C:\\Windows\\System32\\services.exe', cmd: 'C:\\Windows\\system32\\services.exe', user: sys, logonId: '0x3e7', integrity: 'System' };
    this.lsass = { guid: this.guid(t0 - 86_400_000), pid: this.services.pid + 12 + rng.int(40), image: 'C:\\Windows\\System32\\lsass.exe', cmd: 'C:\\Windows\\system32\\lsass.exe', user: sys, logonId: '0x3e7', integrity: 'System' };
    this.svchost = { guid: this.guid(t0 - 86_400_000), pid: 1000 + rng.int(400), image: 'C:\\Windows\\System32\\svchost.exe', cmd: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule', user: sys, logonId: '0x3e7', integrity: 'System' };
    this.wmiprvse = { guid: this.guid(t0 - 86_400_000), pid: 3000 + rng.int(400), image: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe', cmd: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding', user: 'NT AUTHORITY\\NETWORK SERVICE', logonId: '0x3e4', integrity: 'System' };
  }

  guid(t: number): string {
    const secs = Math.floor(t / 1000) >>> 0;
    const hi = ((secs >>> 16) & 0xffff).toString(16).padStart(4, '0').toUpperCase();
    const lo = (secs & 0xffff).toString(16).padStart(4, '0').toUpperCase();
    const c = (this.guidCounter++ * 2654435761) >>> 0;
    return `{${this.host.guidPrefix}-${hi}-${lo}-0000-0010${c.toString(16).padStart(8, '0').toUpperCase()}}`;
  }

  pid(): number {
    this.nextPid += 4 * (1 + this.rng.int(60));
    if (this.nextPid > 60000) this.nextPid = 1000 + this.rng.int(1000) * 4;
    return this.nextPid;
  }

  logonId(): string {
    return '0x' + (0x100000 + this.rng.int(0x7fffffff)).toString(16);
  }

  userString(u: User | null): string {
    return u ? `${this.org.netbios}\\${u.name}` : 'NT AUTHORITY\\SYSTEM';
  }

  /** A Winlogbeat document for one Windows event. */
  event(t: number, prov: { name: string; guid: string; channel: string }, id: number, data: Record<string, string>, opts: { task?: string; level?: string; keywords?: string[]; version?: number; userSid?: string; outcome?: string } = {}): Record<string, unknown> {
    const ch = prov.channel;
    const rid = (this.records[ch] = (this.records[ch] ?? 1000 + this.rng.int(90_000)) + 1);
    const winlog: Record<string, unknown> = {
      api: 'wineventlog',
      channel: ch,
      computer_name: this.host.fqdn.replace(/^[^.]+/, (s) => s.toUpperCase()),
      event_data: data,
      event_id: String(id),
      opcode: 'Info',
      process: { pid: prov === SECURITY ? this.lsass.pid : prov === SYSMON ? 2800 + (this.host.guidPrefix.charCodeAt(0) % 50) * 4 : this.services.pid, thread: { id: 1000 + this.rng.int(9000) } },
      provider_guid: prov.guid,
      provider_name: prov.name,
      record_id: String(rid),
      task: opts.task ?? '',
    };
    if (opts.keywords) winlog.keywords = opts.keywords;
    if (opts.version !== undefined) winlog.version = opts.version;
    if (opts.userSid) winlog.user = { identifier: opts.userSid, domain: 'NT AUTHORITY', name: 'SYSTEM', type: 'User' };
    const ev: Record<string, unknown> = {
      '@timestamp': isoMs(t),
      agent: { type: 'winlogbeat', version: '8.15.3', name: this.host.name },
      ecs: { version: '8.0.0' },
      event: { code: String(id), kind: 'event', provider: prov.name, created: isoMs(t + 850), ...(opts.outcome ? { outcome: opts.outcome } : {}) },
      host: { name: this.host.fqdn, hostname: this.host.name.toLowerCase(), os: { family: 'windows', platform: 'windows', type: 'windows' } },
      log: { level: opts.level ?? 'information' },
      winlog,
    };
    return ev;
  }

  // ---- Sysmon -------------------------------------------------------------------------------

  /** Starts a process: Sysmon 1 (and Security 4688 where process auditing is on). */
  spawn(emit: Emit, t: number, parent: Proc, image: string, cmd: string, opts: { user?: User | null; logonId?: string; integrity?: string; cwd?: string; truth?: Truth; audit4688?: boolean } = {}): Proc {
    const user = opts.user === undefined ? null : opts.user;
    const p: Proc = {
      guid: this.guid(t),
      pid: this.pid(),
      image,
      cmd,
      user: this.userString(user),
      logonId: opts.logonId ?? (user ? parent.logonId : '0x3e7'),
      integrity: opts.integrity ?? (user ? (user.kind === 'admin' ? 'High' : 'Medium') : 'System'),
    };
    const info = IMAGES[baseName(image)] ?? UNKNOWN;
    const data: Record<string, string> = {
      RuleName: '-',
      UtcTime: sysmonTime(t),
      ProcessGuid: p.guid,
      ProcessId: String(p.pid),
      Image: image,
      FileVersion: info.FileVersion,
      Description: info.Description,
      Product: info.Product,
      Company: info.Company,
      OriginalFileName: info.OriginalFileName,
      CommandLine: cmd,
      CurrentDirectory: opts.cwd ?? (user ? `C:\\Users\\${user.name}\\` : 'C:\\Windows\\system32\\'),
      User: p.user,
      LogonGuid: this.system.logonGuid,
      LogonId: p.logonId,
      TerminalSessionId: user ? '1' : '0',
      IntegrityLevel: p.integrity,
      Hashes: hashesFor(image),
      ParentProcessGuid: parent.guid,
      ParentProcessId: String(parent.pid),
      ParentImage: parent.image,
      ParentCommandLine: parent.cmd,
    };
    emit({ time: t, source: 'windows', host: this.host.name, event: this.event(t, SYSMON, 1, data, { task: SYSMON_TASKS[1], version: 5, userSid: 'S-1-5-18' }), truth: opts.truth });
    if (opts.audit4688 ?? this.host.role !== 'workstation') {
      const subj = user ?? null;
      const e = this.event(
        t + 1,
        SECURITY,
        4688,
        {
          SubjectUserSid: subj ? subj.sid : 'S-1-5-18',
          SubjectUserName: subj ? subj.name : `${this.host.name}$`,
          SubjectDomainName: this.org.netbios,
          SubjectLogonId: p.logonId,
          NewProcessId: '0x' + p.pid.toString(16),
          NewProcessName: image,
          TokenElevationType: p.integrity === 'High' ? '%%1937' : p.integrity === 'System' ? '%%1936' : '%%1938',
          ProcessId: '0x' + parent.pid.toString(16),
          CommandLine: cmd,
          TargetUserSid: 'S-1-0-0',
          TargetUserName: '-',
          TargetDomainName: '-',
          TargetLogonId: '0x0',
          ParentProcessName: parent.image,
          MandatoryLabel: p.integrity === 'System' ? 'S-1-16-16384' : p.integrity === 'High' ? 'S-1-16-12288' : 'S-1-16-8192',
        },
        { task: SECURITY_TASKS[4688], keywords: ['Audit Success'], version: 2, outcome: 'success' },
      );
      emit({ time: t + 1, source: 'windows', host: this.host.name, event: e, truth: opts.truth });
    }
    return p;
  }

  netConn(emit: Emit, t: number, p: Proc, dstIp: string, dstPort: number, dstHost: string, srcPort: number, truth?: Truth): void {
    const portName = dstPort === 443 ? 'https' : dstPort === 80 ? 'http' : dstPort === 445 ? 'microsoft-ds' : dstPort === 135 ? 'epmap' : dstPort === 53 ? 'domain' : dstPort === 3389 ? 'ms-wbt-server' : dstPort === 88 ? 'kerberos' : dstPort === 3128 ? '' : '';
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(
        t,
        SYSMON,
        3,
        {
          RuleName: '-',
          UtcTime: sysmonTime(t),
          ProcessGuid: p.guid,
          ProcessId: String(p.pid),
          Image: p.image,
          User: p.user,
          Protocol: 'tcp',
          Initiated: 'true',
          SourceIsIpv6: 'false',
          SourceIp: this.host.ip,
          SourceHostname: this.host.fqdn,
          SourcePort: String(srcPort),
          SourcePortName: '-',
          DestinationIsIpv6: 'false',
          DestinationIp: dstIp,
          DestinationHostname: dstHost || '-',
          DestinationPort: String(dstPort),
          DestinationPortName: portName || '-',
        },
        { task: SYSMON_TASKS[3], version: 5, userSid: 'S-1-5-18' },
      ),
    });
  }

  processAccess(emit: Emit, t: number, src: Proc, target: Proc, access: string, callTrace: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(
        t,
        SYSMON,
        10,
        {
          RuleName: '-',
          UtcTime: sysmonTime(t),
          SourceProcessGUID: src.guid,
          SourceProcessId: String(src.pid),
          SourceThreadId: String(1000 + this.rng.int(9000)),
          SourceImage: src.image,
          TargetProcessGUID: target.guid,
          TargetProcessId: String(target.pid),
          TargetImage: target.image,
          GrantedAccess: access,
          CallTrace: callTrace,
          SourceUser: src.user,
          TargetUser: target.user,
        },
        { task: SYSMON_TASKS[10], version: 3, userSid: 'S-1-5-18' },
      ),
    });
  }

  fileCreate(emit: Emit, t: number, p: Proc, path: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(t, SYSMON, 11, { RuleName: '-', UtcTime: sysmonTime(t), ProcessGuid: p.guid, ProcessId: String(p.pid), Image: p.image, TargetFilename: path, CreationUtcTime: sysmonTime(t), User: p.user }, { task: SYSMON_TASKS[11], version: 2, userSid: 'S-1-5-18' }),
    });
  }

  registrySet(emit: Emit, t: number, p: Proc, key: string, details: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(t, SYSMON, 13, { RuleName: '-', EventType: 'SetValue', UtcTime: sysmonTime(t), ProcessGuid: p.guid, ProcessId: String(p.pid), Image: p.image, TargetObject: key, Details: details, User: p.user }, { task: SYSMON_TASKS[13], version: 2, userSid: 'S-1-5-18' }),
    });
  }

  dnsQuery(emit: Emit, t: number, p: Proc, name: string, result: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(t, SYSMON, 22, { RuleName: '-', UtcTime: sysmonTime(t), ProcessGuid: p.guid, ProcessId: String(p.pid), QueryName: name, QueryStatus: '0', QueryResults: result ? `::ffff:${result};` : '-', Image: p.image }, { task: SYSMON_TASKS[22], version: 5, userSid: 'S-1-5-18' }),
    });
  }

  // ---- Security -----------------------------------------------------------------------------

  logon(emit: Emit, t: number, user: User, logonType: number, srcIp: string, workstation: string, opts: { logonId?: string; truth?: Truth; auth?: 'Kerberos' | 'NTLM' | 'Negotiate' } = {}): string {
    const logonId = opts.logonId ?? this.logonId();
    const interactive = logonType === 2 || logonType === 10 || logonType === 11;
    const auth = opts.auth ?? (logonType === 3 ? 'Kerberos' : 'Negotiate');
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth: opts.truth,
      event: this.event(
        t,
        SECURITY,
        4624,
        {
          SubjectUserSid: interactive ? 'S-1-5-18' : 'S-1-0-0',
          SubjectUserName: interactive ? `${this.host.name}$` : '-',
          SubjectDomainName: interactive ? this.org.netbios : '-',
          SubjectLogonId: interactive ? '0x3e7' : '0x0',
          TargetUserSid: user.sid,
          TargetUserName: user.name,
          TargetDomainName: this.org.netbios,
          TargetLogonId: logonId,
          LogonType: String(logonType),
          LogonProcessName: auth === 'NTLM' ? 'NtLmSsp ' : logonType === 3 ? 'Kerberos' : 'User32 ',
          AuthenticationPackageName: auth,
          WorkstationName: auth === 'NTLM' || interactive ? workstation : '-',
          LogonGuid: auth === 'Kerberos' ? this.guid(t).toLowerCase() : '{00000000-0000-0000-0000-000000000000}',
          TransmittedServices: '-',
          LmPackageName: auth === 'NTLM' ? 'NTLM V2' : '-',
          KeyLength: auth === 'NTLM' ? '128' : '0',
          ProcessId: interactive ? '0x' + (500 + this.rng.int(300)).toString(16) : '0x0',
          ProcessName: interactive ? 'C:\\Windows\\System32\\svchost.exe' : '-',
          IpAddress: srcIp,
          IpPort: interactive ? '0' : String(49152 + this.rng.int(16000)),
          ImpersonationLevel: '%%1833',
          RestrictedAdminMode: '-',
          TargetOutboundUserName: '-',
          TargetOutboundDomainName: '-',
          VirtualAccount: '%%1843',
          TargetLinkedLogonId: '0x0',
          ElevatedToken: user.kind === 'admin' ? '%%1842' : '%%1843',
        },
        { task: SECURITY_TASKS[4624], keywords: ['Audit Success'], version: 2, outcome: 'success' },
      ),
    });
    if (user.kind === 'admin' || user.kind === 'service') {
      emit({
        time: t,
        source: 'windows',
        host: this.host.name,
        truth: opts.truth,
        event: this.event(
          t,
          SECURITY,
          4672,
          {
            SubjectUserSid: user.sid,
            SubjectUserName: user.name,
            SubjectDomainName: this.org.netbios,
            SubjectLogonId: logonId,
            PrivilegeList: 'SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege',
          },
          { task: SECURITY_TASKS[4672], keywords: ['Audit Success'], version: 0, outcome: 'success' },
        ),
      });
    }
    return logonId;
  }

  logonFailure(emit: Emit, t: number, userName: string, logonType: number, srcIp: string, workstation: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(
        t,
        SECURITY,
        4625,
        {
          SubjectUserSid: 'S-1-0-0',
          SubjectUserName: '-',
          SubjectDomainName: '-',
          SubjectLogonId: '0x0',
          TargetUserSid: 'S-1-0-0',
          TargetUserName: userName,
          TargetDomainName: this.org.netbios,
          Status: '0xc000006d',
          FailureReason: '%%2313',
          SubStatus: '0xc000006a',
          LogonType: String(logonType),
          LogonProcessName: logonType === 2 ? 'User32 ' : 'NtLmSsp ',
          AuthenticationPackageName: logonType === 2 ? 'Negotiate' : 'NTLM',
          WorkstationName: workstation,
          TransmittedServices: '-',
          LmPackageName: '-',
          KeyLength: '0',
          ProcessId: logonType === 2 ? '0x' + (500 + this.rng.int(300)).toString(16) : '0x0',
          ProcessName: logonType === 2 ? 'C:\\Windows\\System32\\svchost.exe' : '-',
          IpAddress: srcIp,
          IpPort: logonType === 2 ? '0' : String(49152 + this.rng.int(16000)),
        },
        { task: SECURITY_TASKS[4625], keywords: ['Audit Failure'], level: 'information', version: 0, outcome: 'failure' },
      ),
    });
  }

  taskCreated(emit: Emit, t: number, user: User, logonId: string, taskName: string, command: string, args: string, truth?: Truth): void {
    const xml = `<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\r\n  <RegistrationInfo>\r\n    <Date>${isoMs(t).slice(0, 19)}</Date>\r\n    <Author>${this.org.netbios}\\${user.name}</Author>\r\n    <URI>${taskName}</URI>\r\n  </RegistrationInfo>\r\n  <Triggers>\r\n    <LogonTrigger>\r\n      <Enabled>true</Enabled>\r\n    </LogonTrigger>\r\n  </Triggers>\r\n  <Actions Context="Author">\r\n    <Exec>\r\n      <Command>${command}</Command>\r\n      <Arguments>${args}</Arguments>\r\n    </Exec>\r\n  </Actions>\r\n</Task>`;
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(t, SECURITY, 4698, { SubjectUserSid: user.sid, SubjectUserName: user.name, SubjectDomainName: this.org.netbios, SubjectLogonId: logonId, TaskName: taskName, TaskContent: xml }, { task: SECURITY_TASKS[4698], keywords: ['Audit Success'], version: 0, outcome: 'success' }),
    });
  }

  userCreated(emit: Emit, t: number, actor: User, logonId: string, newName: string, newSid: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(
        t,
        SECURITY,
        4720,
        {
          TargetUserName: newName,
          TargetDomainName: this.host.name,
          TargetSid: newSid,
          SubjectUserSid: actor.sid,
          SubjectUserName: actor.name,
          SubjectDomainName: this.org.netbios,
          SubjectLogonId: logonId,
          PrivilegeList: '-',
          SamAccountName: newName,
          DisplayName: '%%1793',
          UserPrincipalName: '-',
          HomeDirectory: '%%1793',
          HomePath: '%%1793',
          ScriptPath: '%%1793',
          ProfilePath: '%%1793',
          UserWorkstations: '%%1793',
          PasswordLastSet: '%%1794',
          AccountExpires: '%%1794',
          PrimaryGroupId: '513',
          AllowedToDelegateTo: '-',
          OldUacValue: '0x0',
          NewUacValue: '0x15',
          UserAccountControl: '\n\t\t%%2080\n\t\t%%2082\n\t\t%%2084',
          UserParameters: '%%1793',
          SidHistory: '-',
          LogonHours: '%%1797',
        },
        { task: SECURITY_TASKS[4720], keywords: ['Audit Success'], version: 0, outcome: 'success' },
      ),
    });
  }

  groupMemberAdded(emit: Emit, t: number, actor: User, logonId: string, memberSid: string, group: { name: string; sid: string; domain: string }, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(
        t,
        SECURITY,
        4732,
        { MemberName: '-', MemberSid: memberSid, TargetUserName: group.name, TargetDomainName: group.domain, TargetSid: group.sid, SubjectUserSid: actor.sid, SubjectUserName: actor.name, SubjectDomainName: this.org.netbios, SubjectLogonId: logonId, PrivilegeList: '-' },
        { task: SECURITY_TASKS[4732], keywords: ['Audit Success'], version: 0, outcome: 'success' },
      ),
    });
  }

  // ---- System / PowerShell ------------------------------------------------------------------

  serviceInstalled(emit: Emit, t: number, name: string, imagePath: string, account: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(t, SCM, 7045, { ServiceName: name, ImagePath: imagePath, ServiceType: 'user mode service', StartType: 'demand start', AccountName: account }, { task: '', version: 0, keywords: ['Classic'], userSid: 'S-1-5-18' }),
    });
  }

  scriptBlock(emit: Emit, t: number, text: string, path: string, truth?: Truth): void {
    emit({
      time: t,
      source: 'windows',
      host: this.host.name,
      truth,
      event: this.event(t, PWSH, 4104, { MessageNumber: '1', MessageTotal: '1', ScriptBlockText: text, ScriptBlockId: this.guid(t).slice(1, -1).toLowerCase(), Path: path }, { task: 'Execute a Remote Command', level: 'verbose', version: 1 }),
    });
  }
}
