/**
 * Background activity: what a normal working day looks like, with daily and weekly rhythm,
 * including benign activity that looks suspicious (admin PsExec, a backup job, a software
 * rollout, a vulnerability scanner, Defender reading LSASS, admin PowerShell and scheduled tasks).
 */
import type { Host, User } from './org/model.js';
import type { Proc } from './formats/windows.js';
import { BROWSER_UA, type World } from './world.js';

const HOUR = 3_600_000;
const MIN = 60_000;

/** Activity factor in [0,1] for a time: work hours on weekdays are 1, lunch dips, nights and weekends are quiet. */
export function activity(world: World, t: number): number {
  const d = new Date(t);
  const dow = d.getUTCDay();
  const h = d.getUTCHours() + d.getUTCMinutes() / 60;
  const { start, end } = world.org.file.workHours;
  if (dow === 0 || dow === 6) return 0.04;
  if (h < start - 1 || h >= end + 2) return 0.02;
  if (h < start) return 0.25;
  if (h >= end) return 0.15;
  if (h >= 12 && h < 13) return 0.6;
  return 1;
}

function isWeekday(t: number): boolean {
  const dow = new Date(t).getUTCDay();
  return dow !== 0 && dow !== 6;
}

interface Desk {
  user: User;
  explorer: Proc;
  browser: Proc;
  outlook: Proc;
  logonId: string;
  day: number;
}

const APPS: readonly (readonly [string, (u: User, r: () => number) => string, number])[] = [
  ['C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE', (u, r) => `"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\${u.name}\\Documents\\Shipment_${1000 + Math.floor(r() * 9000)}.docx" /o ""`, 3],
  ['C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE', (u, r) => `"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE" "C:\\Users\\${u.name}\\OneDrive - Northwind\\Reports\\Route_costs_${1 + Math.floor(r() * 52)}.xlsx"`, 3],
  ['C:\\Windows\\System32\\notepad.exe', (u) => `"C:\\Windows\\system32\\NOTEPAD.EXE" C:\\Users\\${u.name}\\Desktop\\notes.txt`, 1],
  ['C:\\Users\\%U\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe', () => '', 1],
  ['C:\\Windows\\System32\\cmd.exe', () => '"C:\\Windows\\system32\\cmd.exe" ', 0.3],
  ['C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe', () => '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --single-argument https://intranet.corp.northwind.example/', 2],
];

export class Background {
  private readonly desks = new Map<string, Desk>();
  private readonly rolloutDay: number;
  private readonly rolloutHosts: Set<string>;
  private readonly ciKey;
  private readonly syncKey;

  constructor(private readonly world: World) {
    const r = world.rng;
    this.rolloutDay = Math.floor(world.start / (24 * HOUR));
    this.rolloutHosts = new Set(world.org.workstations.filter(() => r.chance(0.35)).map((h) => h.name));
    this.ciKey = world.awsKey('ci-deployer');
    this.syncKey = world.awsKey('svc-manifest-sync');
  }

  /** Generates background activity for the hour starting at `h0`. */
  hour(h0: number): void {
    const w = this.world;
    const f = activity(w, h0 + 30 * MIN);
    for (const host of w.org.workstations) this.workstation(host, h0, f);
    for (const host of w.org.servers) {
      if (host.os === 'windows') this.windowsServer(host, h0, f);
      else this.linuxServer(host, h0, f);
    }
    this.cloud(h0, f);
    this.special(h0);
  }

  private desk(host: Host, t: number): Desk | undefined {
    const w = this.world;
    const day = Math.floor(t / (24 * HOUR));
    const d = this.desks.get(host.name);
    if (d && d.day === day) return d;
    const user = w.org.userByName.get(host.owner);
    if (!user) return undefined;
    const wh = w.w(host.name);
    const emit = w.emit;
    // Morning logon: sometimes a mistyped password first, then the interactive logon,
    // userinit -> explorer, then Outlook and a browser.
    if (w.rng.chance(0.12)) wh.logonFailure(w.emit, t - 8_000, user.name, 2, '127.0.0.1', host.name);
    const logonId = wh.logon(emit, t, user, 2, '127.0.0.1', host.name);
    w.smb(t + 200, host, w.org.byRole('domain_controller')[0], user, { out: 4_000, in: 9_000 });
    const winlogon: Proc = { guid: wh.guid(t - 86_400_000), pid: 700 + (host.guidPrefix.charCodeAt(1) % 60) * 4, image: 'C:\\Windows\\System32\\winlogon.exe', cmd: 'winlogon.exe', user: 'NT AUTHORITY\\SYSTEM', logonId: '0x3e7', integrity: 'System' };
    const userinit = wh.spawn(emit, t + 900, winlogon, 'C:\\Windows\\System32\\userinit.exe', 'C:\\Windows\\system32\\userinit.exe', { user, logonId });
    const explorer = wh.spawn(emit, t + 1_400, userinit, 'C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE', { user, logonId });
    const outlook = wh.spawn(emit, t + 40_000, explorer, 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ', { user, logonId });
    const browser = wh.spawn(emit, t + 70_000, explorer, 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe', '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --profile-directory=Default', { user, logonId });
    wh.registrySet(emit, t + 2_000, explorer, `HKU\\${user.sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx\\MRUListEx`, 'Binary Data');
    const nd: Desk = { user, explorer, browser, outlook, logonId, day };
    this.desks.set(host.name, nd);
    // Entra sign-in for Office apps from the office.
    w.entra.signIn(emit, t + 90_000, user, { app: w.org.file.identity.apps[0], where: this.office(), device: this.device(host), ua: BROWSER_UA, result: '0', interactive: true });
    return nd;
  }

  office() {
    const o = this.world.org.file.network.officeLocation;
    return { ip: o.ip, city: o.city, state: o.city, country: o.country, lat: 51.5072, lon: -0.1276 };
  }

  device(host: Host) {
    return { name: host.name, os: 'Windows 10', browser: 'Edge 119.0.2151', managed: true, deviceId: host.guidPrefix.toLowerCase() + '-0000-4000-8000-' + host.mac.replace(/:/g, '') };
  }

  private workstation(host: Host, h0: number, f: number): void {
    const w = this.world;
    const r = w.rng;
    const emit = w.emit;
    const wh = w.w(host.name);
    const hourOfDay = new Date(h0).getUTCHours();
    // System noise every hour: svchost/Defender/update checks.
    const upd = w.org.file.updateServers[0];
    if (r.chance(0.5)) {
      const t = h0 + r.int(HOUR);
      w.net.conn(emit, t, { src: host.ip, dst: upd.ip, dport: 80, service: 'http', duration: 0.4, origBytes: 380, respBytes: 2_100 + r.int(3000), localResp: false });
      w.net.http(emit, t + 2, { src: host.ip, dst: upd.ip, host: upd.domain, method: 'GET', uri: `/msdownload/update/v3/static/trustedr/en/authrootstl.cab?${r.hex(16)}`, ua: 'Microsoft-CryptoAPI/10.0', reqLen: 0, respLen: 2_100, status: 200, mime: 'application/vnd.ms-cab-compressed' });
    }
    if (r.chance(0.08)) {
      // Microsoft Defender opens LSASS for scanning: benign LSASS access.
      const t = h0 + r.int(HOUR);
      const mp: Proc = { guid: wh.guid(h0 - HOUR * 20), pid: 3100 + (host.guidPrefix.charCodeAt(2) % 40) * 4, image: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe', cmd: '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe"', user: 'NT AUTHORITY\\SYSTEM', logonId: '0x3e7', integrity: 'System' };
      wh.processAccess(emit, t, mp, wh.lsass, '0x1010', 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\mpengine.dll+4f1a2c');
    }
    if (r.chance(0.1)) {
      const t = h0 + r.int(HOUR);
      wh.spawn(emit, t, wh.svchost, 'C:\\Windows\\System32\\taskhostw.exe', 'taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly');
    }
    if (f < 0.2 || !isWeekday(h0)) return;
    // The owner starts the day at 8-9.
    const startHour = w.org.file.workHours.start;
    let d = this.desks.get(host.name);
    const day = Math.floor(h0 / (24 * HOUR));
    if ((!d || d.day !== day) && hourOfDay >= startHour - 1) {
      d = this.desk(host, h0 + r.int(50 * MIN));
    }
    if (!d || d.day !== day) return;
    const u = d.user;
    // Application launches.
    const launches = r.poisson(3 * f);
    for (let i = 0; i < launches; i++) {
      const t = h0 + r.int(HOUR);
      const [imgT, cmdF] = r.weighted(APPS.map((a) => [a, a[2]] as const));
      const img = imgT.replace('%U', u.name);
      const cmd = cmdF(u, () => r.next()) || `"${img}"`;
      const p = wh.spawn(emit, t, d.explorer, img, cmd, { user: u, logonId: d.logonId });
      if (img.endsWith('cmd.exe') && r.chance(0.5)) wh.spawn(emit, t + 5_000 + r.int(60_000), p, 'C:\\Windows\\System32\\ipconfig.exe', 'ipconfig  /flushdns', { user: u, logonId: d.logonId });
      if (img.endsWith('WINWORD.EXE') || img.endsWith('EXCEL.EXE')) wh.fileCreate(emit, t + 30_000 + r.int(600_000), p, `C:\\Users\\${u.name}\\AppData\\Roaming\\Microsoft\\Office\\Recent\\${r.hex(8)}.LNK`);
    }
    // Browsing through the proxy.
    const visits = r.poisson(12 * f);
    const dests = w.org.file.destinations;
    for (let i = 0; i < visits; i++) {
      const t = h0 + r.int(HOUR);
      const dst = r.weighted(dests.map((x) => [x, x.weight] as const));
      const proc = dst.domain.includes('outlook') ? d.outlook : d.browser;
      const paths = ['/', '/api/v2/feed', '/search?q=' + r.hex(6), '/static/app.' + r.hex(8) + '.js', '/owa/service.svc?action=GetItem', '/favicon.ico'];
      w.web(t, host, proc, u, { domain: dst.domain, ip: dst.ip, path: r.pick(paths), mime: r.pick(['text/html', 'application/json', 'application/javascript', 'image/png']) });
    }
    // File server access.
    if (r.chance(0.5 * f)) {
      const fs = w.org.byRole('file_server')[0];
      w.smb(h0 + r.int(HOUR), host, fs, u, { out: 2_000 + r.int(40_000), in: 10_000 + r.int(3_000_000) });
    }
    // Downloads.
    if (r.chance(0.2 * f)) {
      const t = h0 + r.int(HOUR);
      wh.fileCreate(emit, t, d.browser, `C:\\Users\\${u.name}\\Downloads\\${r.pick(['invoice', 'manifest', 'rates', 'agenda', 'scan'])}_${r.hex(4)}.pdf`);
    }
    // Cloud sign-ins (token refresh, Teams, SharePoint).
    if (r.chance(0.6 * f)) {
      w.entra.signIn(emit, h0 + r.int(HOUR), u, { app: r.pick(w.org.file.identity.apps), where: this.office(), device: this.device(host), ua: BROWSER_UA, result: r.chance(0.02) ? '50126' : '0', interactive: r.chance(0.3) });
    }
    // Admin workstation: admin work with PowerShell and remote management.
    if (u.kind === 'admin' && r.chance(0.5 * f)) {
      const t = h0 + r.int(HOUR);
      const target = r.pick(w.org.servers.filter((s) => s.os === 'windows'));
      const ps = wh.spawn(emit, t, d.explorer, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -Command "Get-Service -ComputerName ${target.name} | Where-Object Status -eq 'Stopped'"`, { user: u, logonId: d.logonId });
      wh.scriptBlock(emit, t + 800, `Get-Service -ComputerName ${target.name} | Where-Object Status -eq 'Stopped'`, '');
      wh.netConn(emit, t + 900, ps, target.ip, 135, target.fqdn, w.net.ephemeral());
      w.net.conn(emit, t + 900, { src: host.ip, dst: target.ip, dport: 135, service: 'dce_rpc', duration: 0.2, origBytes: 1_400, respBytes: 2_800 });
      w.w(target.name).logon(emit, t + 950, u, 3, host.ip, host.name);
    }
  }

  private windowsServer(host: Host, h0: number, f: number): void {
    const w = this.world;
    const r = w.rng;
    const emit = w.emit;
    const wh = w.w(host.name);
    // Service accounts and machine logons, every hour.
    const svc = w.org.users.filter((u) => u.kind === 'service');
    const n = r.poisson(host.role === 'domain_controller' ? 4 + 20 * f : 2 + 6 * f);
    for (let i = 0; i < n; i++) {
      const t = h0 + r.int(HOUR);
      const client = r.chance(0.7) ? r.pick(w.org.workstations) : r.pick(w.org.servers);
      const user = client.role === 'workstation' ? (w.org.userByName.get(client.owner) ?? r.pick(svc)) : r.pick(svc);
      w.smb(t, client, host, user, { out: 1_000 + r.int(20_000), in: 2_000 + r.int(200_000) });
    }
    if (r.chance(0.5)) {
      const t = h0 + r.int(HOUR);
      wh.spawn(emit, t, wh.services, 'C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k wusvcs -p -s WaaSMedicSvc');
    }
    if (host.role === 'database' && r.chance(0.6)) {
      const t = h0 + r.int(HOUR);
      const sqlagent: Proc = { guid: wh.guid(h0 - HOUR * 30), pid: 2400, image: 'C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\SQLAGENT.EXE', cmd: '"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\SQLAGENT.EXE" -i MSSQLSERVER', user: `${w.org.netbios}\\svc_sql`, logonId: '0x3e7', integrity: 'High' };
      wh.spawn(emit, t, sqlagent, 'C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE', `SQLCMD.EXE -E -S localhost -Q "EXEC dbo.usp_RefreshShipmentStats"`, { user: w.org.userByName.get('svc_sql') ?? null });
    }
  }

  private linuxServer(host: Host, h0: number, f: number): void {
    const w = this.world;
    const r = w.rng;
    const emit = w.emit;
    const lh = w.l(host.name);
    // Hourly cron job.
    const t = h0 + 17 * MIN + r.int(2_000);
    lh.cron(emit, t, 'root');
    lh.exec(emit, t + 40, 'root', '/usr/bin/run-parts', ['run-parts', '--report', '/etc/cron.hourly'], '/root', 1);
    if (host.role === 'web_server') {
      // Internet-facing: SSH password guessing from the internet is constant noise.
      const tries = r.poisson(6);
      for (let i = 0; i < tries; i++) {
        const ip = `${r.pick([45, 61, 103, 141, 185, 193, 218])}.${r.int(255)}.${r.int(255)}.${1 + r.int(254)}`;
        lh.sshFailed(emit, h0 + r.int(HOUR), r.pick(['admin', 'root', 'ubuntu', 'test', 'oracle', 'user', 'git', 'postgres']), ip, r.chance(0.8));
      }
    }
    if (f >= 0.6 && r.chance(0.15)) {
      const admin = r.pick(w.org.users.filter((u) => u.kind === 'admin'));
      const ws = w.org.hostByName.get(admin.workstation ?? '') ?? w.org.workstations[0];
      const t2 = h0 + r.int(HOUR);
      const sshd = lh.sshAccepted(emit, t2, admin.name, ws.ip, 'publickey');
      w.net.conn(emit, t2 - 200, { src: ws.ip, dst: host.ip, dport: 22, service: 'ssh', duration: 300 + r.int(1500), origBytes: 20_000 + r.int(50_000), respBytes: 40_000 + r.int(400_000) });
      lh.sudo(emit, t2 + 30_000, admin.name, `/home/${admin.name}`, '/usr/bin/systemctl status nginx');
      lh.exec(emit, t2 + 30_100, 'root', '/usr/bin/systemctl', ['systemctl', 'status', 'nginx'], `/home/${admin.name}`, sshd);
    }
    if (host.role === 'scanner' && new Date(h0).getUTCHours() === 2) this.scan(host, h0);
  }

  /** Benign but noisy: the weekly authenticated vulnerability scan at 02:00 (daily in the simulation). */
  private scan(scanner: Host, h0: number): void {
    const w = this.world;
    const r = w.rng;
    const emit = w.emit;
    const svc = w.org.userByName.get('svc_scan');
    const lh = w.l(scanner.name);
    lh.exec(emit, h0 + 60_000, 'root', '/opt/nessus/sbin/nessusd', ['nessusd', '--scan', 'weekly-internal'], '/opt/nessus', 1);
    let t = h0 + 2 * MIN;
    for (const target of w.org.hosts) {
      if (target === scanner) continue;
      for (const port of [21, 22, 23, 25, 80, 135, 139, 443, 445, 1433, 3306, 3389, 5985, 8080]) {
        t += 30 + r.int(120);
        const open = (target.os === 'windows' && [135, 139, 445, 3389, 5985].includes(port)) || (target.os === 'linux' && [22, 80, 443].includes(port)) || (target.role === 'database' && port === 1433);
        w.net.conn(emit, t, { src: scanner.ip, dst: target.ip, dport: port, duration: 0.002, origBytes: 0, respBytes: 0, state: open ? 'SF' : 'REJ' });
      }
      if (svc && target.os === 'windows') w.w(target.name).logon(emit, t + 100, svc, 3, scanner.ip, scanner.name.toUpperCase(), { auth: 'NTLM' });
    }
  }

  private cloud(h0: number, f: number): void {
    const w = this.world;
    const r = w.rng;
    const emit = w.emit;
    const c = w.org.file.cloud;
    const ciIp = '35.178.' + (40 + (this.ciKey.accessKeyId.charCodeAt(5) % 20)) + '.17';
    // CI pipeline deploys during work hours.
    const deploys = r.poisson(2 * f);
    for (let i = 0; i < deploys; i++) {
      const t = h0 + r.int(HOUR);
      const ua = 'aws-cli/2.13.25 Python/3.11.6 Linux/5.15.0-1049-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp';
      w.ct.record(emit, t, this.ciKey, { source: 'sts.amazonaws.com', name: 'GetCallerIdentity', ip: ciIp, ua, readOnly: true });
      const key = `builds/${r.hex(7)}/app.zip`;
      w.ct.record(emit, t + 2_000, this.ciKey, { source: 's3.amazonaws.com', name: 'PutObject', ip: ciIp, ua, readOnly: false, data: true, request: { bucketName: c.buckets[2], Host: `${c.buckets[2]}.s3.${c.region}.amazonaws.com`, key }, resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${c.buckets[2]}/${key}` }] });
      w.ct.record(emit, t + 9_000, this.ciKey, { source: 'ec2.amazonaws.com', name: 'DescribeInstances', ip: ciIp, ua, readOnly: true, request: { instancesSet: {}, filterSet: { items: [{ name: 'tag:app', valueSet: { items: [{ value: 'tracking' }] } }] } } });
    }
    // Manifest sync reads shipping manifests around the clock.
    const reads = r.poisson(6);
    for (let i = 0; i < reads; i++) {
      const t = h0 + r.int(HOUR);
      const key = `manifests/${new Date(t).toISOString().slice(0, 10)}/${r.hex(10)}.json`;
      w.ct.record(emit, t, this.syncKey, { source: 's3.amazonaws.com', name: 'GetObject', ip: '10.10.1.12', ua: '[aws-sdk-java/1.12.565 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.8]', readOnly: true, data: true, request: { bucketName: c.buckets[0], Host: `${c.buckets[0]}.s3.${c.region}.amazonaws.com`, key }, resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${c.buckets[0]}/${key}` }] });
    }
    if (f >= 0.6 && r.chance(0.3)) {
      const admin = r.pick(w.org.users.filter((u) => u.kind === 'admin'));
      const id = { type: 'AssumedRole' as const, userName: admin.upn, accessKeyId: 'ASIA' + r.hex(16).toUpperCase(), principalId: 'AROA' + r.hex(17).toUpperCase(), role: c.roles[1] };
      const t = h0 + r.int(HOUR);
      w.ct.record(emit, t, id, { source: 'signin.amazonaws.com', name: 'ConsoleLogin', ip: w.org.file.network.egressIp, ua: BROWSER_UA, readOnly: false, response: { ConsoleLogin: 'Success' } });
      w.ct.record(emit, t + 20_000, id, { source: 'cloudtrail.amazonaws.com', name: 'LookupEvents', ip: w.org.file.network.egressIp, ua: BROWSER_UA, readOnly: true });
      w.ct.record(emit, t + 40_000, id, { source: 'iam.amazonaws.com', name: 'ListUsers', ip: w.org.file.network.egressIp, ua: BROWSER_UA, readOnly: true });
    }
  }

  /** Scheduled benign-but-suspicious work. */
  private special(h0: number): void {
    const w = this.world;
    const r = w.rng;
    const emit = w.emit;
    const hour = new Date(h0).getUTCHours();
    const weekday = isWeekday(h0);
    // 01:00 nightly backup: svc_backup reads the file server in bulk with robocopy.
    if (hour === 1) {
      const bkp = w.org.byRole('backup')[0];
      const fs = w.org.byRole('file_server')[0];
      const svc = w.org.userByName.get('svc_backup');
      if (bkp && fs && svc) {
        const t = h0 + 2 * MIN;
        const wh = w.w(bkp.name);
        const task = wh.spawn(emit, t, wh.svchost, 'C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\system32\\cmd.exe /c "C:\\BackupJobs\\nightly_fs01.cmd"', { user: svc, integrity: 'High' });
        wh.spawn(emit, t + 1_000, task, 'C:\\Windows\\System32\\Robocopy.exe', `robocopy \\\\${fs.name}\\Shares D:\\Backup\\${fs.name}\\Shares /MIR /B /R:1 /W:1 /NP /LOG:D:\\Backup\\logs\\fs01.log`, { user: svc, integrity: 'High' });
        w.smb(t + 1_500, bkp, fs, svc, { out: 3_000_000, in: 18_000_000_000 + r.int(2_000_000_000) });
        wh.spawn(emit, t + 40 * MIN, task, 'C:\\Windows\\System32\\wbadmin.exe', 'wbadmin start backup -backupTarget:E: -include:D:\\Backup -quiet', { user: svc, integrity: 'High' });
      }
    }
    // 10:00 on weekdays an admin uses PsExec to check a server: looks like lateral movement.
    if (weekday && hour === 10) {
      const admin = w.org.users.find((u) => u.kind === 'admin');
      const app = w.org.byRole('app_server')[0];
      const ws = admin?.workstation ? w.org.hostByName.get(admin.workstation) : undefined;
      if (admin && app && ws) {
        const t = h0 + 5 * MIN + r.int(20 * MIN);
        const wh = w.w(ws.name);
        const d = this.desks.get(ws.name);
        const parent = d?.explorer ?? wh.svchost;
        const cmd = wh.spawn(emit, t, parent, 'C:\\Windows\\System32\\cmd.exe', '"C:\\Windows\\system32\\cmd.exe" ', { user: admin });
        wh.spawn(emit, t + 20_000, cmd, 'C:\\Tools\\SysinternalsSuite\\PsExec.exe', `PsExec.exe \\\\${app.name} -accepteula ipconfig /all`, { user: admin });
        const srv = w.w(app.name);
        w.smb(t + 21_000, ws, app, admin, { out: 420_000, in: 30_000 });
        srv.serviceInstalled(emit, t + 22_000, 'PSEXESVC', '%SystemRoot%\\PSEXESVC.exe', 'LocalSystem');
        const svc = srv.spawn(emit, t + 22_500, srv.services, 'C:\\Windows\\PSEXESVC.exe', 'C:\\Windows\\PSEXESVC.exe');
        srv.spawn(emit, t + 23_000, svc, 'C:\\Windows\\System32\\ipconfig.exe', 'ipconfig  /all', { user: admin });
      }
    }
    // 14:00 on the first day: a software rollout through Configuration Manager.
    if (Math.floor(h0 / (24 * HOUR)) === this.rolloutDay && hour === 14) {
      for (const name of this.rolloutHosts) {
        const wh = w.w(name);
        const t = h0 + r.int(50 * MIN);
        const ccm: Proc = { guid: wh.guid(h0 - HOUR * 30), pid: 5200, image: 'C:\\Windows\\CCM\\CcmExec.exe', cmd: 'C:\\Windows\\CCM\\CcmExec.exe', user: 'NT AUTHORITY\\SYSTEM', logonId: '0x3e7', integrity: 'System' };
        const msi = wh.spawn(emit, t, ccm, 'C:\\Windows\\System32\\msiexec.exe', `msiexec.exe /i "C:\\Windows\\ccmcache\\${r.hex(2)}\\ShipTrackAgent-4.2.1.msi" /qn /norestart`);
        wh.fileCreate(emit, t + 8_000, msi, 'C:\\Program Files\\ShipTrack\\Agent\\shiptrack-agent.exe');
        wh.registrySet(emit, t + 9_000, msi, 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\ShipTrackTray', '"C:\\Program Files\\ShipTrack\\Agent\\shiptrack-tray.exe" /minimized');
        wh.serviceInstalled(emit, t + 10_000, 'ShipTrackAgent', '"C:\\Program Files\\ShipTrack\\Agent\\shiptrack-agent.exe" --service', 'LocalSystem');
        wh.spawn(emit, t + 12_000, msi, 'C:\\Windows\\System32\\schtasks.exe', 'schtasks.exe /Create /TN "ShipTrack\\AgentUpdate" /TR "\\"C:\\Program Files\\ShipTrack\\Agent\\shiptrack-update.exe\\"" /SC DAILY /ST 03:00 /RU SYSTEM /F');
      }
    }
    // 16:00 on weekdays: the second admin creates a maintenance task and runs an inventory script on the DC.
    if (weekday && hour === 16) {
      const admin = w.org.users.filter((u) => u.kind === 'admin')[1];
      const dc = w.org.byRole('domain_controller')[0];
      if (admin && dc) {
        const wh = w.w(dc.name);
        const t = h0 + r.int(30 * MIN);
        const logonId = wh.logon(emit, t, admin, 10, w.org.hostByName.get(admin.workstation ?? '')?.ip ?? '10.20.0.10', admin.workstation ?? '-');
        const ps = wh.spawn(emit, t + 60_000, wh.svchost, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -ExecutionPolicy Bypass -File C:\\Scripts\\Export-ADInventory.ps1', { user: admin, logonId });
        wh.scriptBlock(emit, t + 61_000, 'Get-ADComputer -Filter * -Properties OperatingSystem,LastLogonDate | Export-Csv -NoTypeInformation C:\\Reports\\inventory.csv', 'C:\\Scripts\\Export-ADInventory.ps1');
        wh.spawn(emit, t + 90_000, ps, 'C:\\Windows\\System32\\net.exe', 'net group "Domain Admins" /domain', { user: admin, logonId });
        wh.spawn(emit, t + 95_000, ps, 'C:\\Windows\\System32\\schtasks.exe', 'schtasks.exe /Create /TN "Maintenance\\LogCleanup" /TR "C:\\Scripts\\cleanup.cmd" /SC DAILY /ST 23:00 /RU SYSTEM /F', { user: admin, logonId });
        wh.taskCreated(emit, t + 95_500, admin, logonId, '\\Maintenance\\LogCleanup', 'C:\\Scripts\\cleanup.cmd', '');
      }
    }
  }
}
