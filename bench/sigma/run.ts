/**
 * Sigma matching benchmark: every loaded SigmaHQ Windows rule against a realistic mixed
 * Sysmon/Security/PowerShell stream in which most events match nothing.
 *
 *   node --expose-gc --import tsx bench/sigma/run.ts [--events N] [--seconds S] [--sigmahq DIR] [--only-match] [--no-value-cache] [--cpu-prof FILE]
 *
 * The matcher's per-value scan caches are emptied at the start of every timed pass over the
 * stream, so a value is found in the cache only when it repeats within the stream (as field values
 * do in real telemetry), never because the same sample is replayed. --no-value-cache turns the
 * caches off altogether.
 *
 * --cpu-prof FILE writes a V8 CPU profile of the matching phase only (not of rule loading) to FILE
 * (open it in Chrome DevTools or summarise it with bench/sigma/profile-summary.ts).
 *
 * Prints events/s for matching alone (events already parsed), the rate of a bare JSON.parse of
 * the same events measured in the same run, their ratio, the detections seen, and peak RSS.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventSource } from '../../src/core/event.js';
import { loadRulePaths } from '../../src/detect/sigma/loader.js';
import { SigmaMatcher } from '../../src/detect/sigma/matcher.js';
import { SIGMAHQ_RULE_DIRS } from '../../src/detect/sigma/regress.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sigmahq = path.resolve(arg('sigmahq', path.resolve(repoRoot, '../shared/corpora/sigmahq')));
const N = Number(arg('events', '20000'));
const SECONDS = Number(arg('seconds', '5'));
if (!existsSync(sigmahq)) {
  console.error(`SigmaHQ corpus not found at ${sigmahq} (pass --sigmahq DIR)`);
  process.exit(2);
}

// Deterministic PRNG so runs are comparable.
let seed = 42;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x100000000);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('').toUpperCase();
const guid = () => `{${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}}`;
const users = ['CORP\\alice', 'CORP\\bob', 'CORP\\svc_backup', 'NT AUTHORITY\\SYSTEM', 'CORP\\carol', 'CORP\\dave'];
const hosts = ['WS-0142.corp.example.com', 'WS-0077.corp.example.com', 'SRV-FILE01.corp.example.com', 'SRV-SQL02.corp.example.com', 'DC01.corp.example.com'];
const procs: [string, string][] = [
  ['C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --field-trial-handle=1832,i,{n} --lang=en-US --renderer-client-id={n} /prefetch:1'],
  ['C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule'],
  ['C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" /recycle'],
  ['C:\\Windows\\System32\\conhost.exe', '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1'],
  ['C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE'],
  ['C:\\Program Files\\Microsoft VS Code\\Code.exe', '"C:\\Program Files\\Microsoft VS Code\\Code.exe" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none'],
  ['C:\\Windows\\System32\\backgroundTaskHost.exe', '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider'],
  ['C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe', '"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe" /c'],
  ['C:\\Windows\\System32\\taskhostw.exe', 'taskhostw.exe {n}'],
  ['C:\\Program Files\\Git\\cmd\\git.exe', 'git status --porcelain=v2 --branch --untracked-files=all'],
  ['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\system32\\cmd.exe /c "C:\\ProgramData\\build\\step{n}.bat"'],
  ['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -NoProfile -Command Get-Date'],
  ['C:\\Windows\\System32\\whoami.exe', 'whoami /all'],
  ['C:\\Users\\Public\\Downloads\\update.exe', 'C:\\Users\\Public\\Downloads\\update.exe -k {n}'],
];
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const num = () => String(Math.floor(rnd() * 100000));
function makeEvent(): Record<string, unknown> {
  const host = pick(hosts);
  const base = { Computer: host, TimeCreated: new Date(1_790_000_000_000 + Math.floor(rnd() * 86_400_000)).toISOString(), EventRecordID: Math.floor(rnd() * 1e7) };
  const [img, cmd] = pick(procs);
  const r = rnd();
  if (r < 0.25) {
    const [pimg, pcmd] = pick(procs);
    return { ...base, Channel: SYSMON, EventID: 1, Provider_Name: 'Microsoft-Windows-Sysmon', UtcTime: base.TimeCreated, ProcessGuid: guid(), ProcessId: Math.floor(rnd() * 20000), Image: img, FileVersion: '10.0.19041.1', Description: 'Application', Product: 'Microsoft® Windows® Operating System', Company: 'Microsoft Corporation', OriginalFileName: path.win32.basename(img), CommandLine: cmd.replace(/\{n\}/g, num()), CurrentDirectory: 'C:\\Users\\alice\\', User: pick(users), LogonGuid: guid(), LogonId: '0x' + hex(6), TerminalSessionId: 1, IntegrityLevel: pick(['Medium', 'High', 'System']), Hashes: `SHA1=${hex(40)},MD5=${hex(32)},SHA256=${hex(64)},IMPHASH=${hex(32)}`, ParentProcessGuid: guid(), ParentProcessId: Math.floor(rnd() * 20000), ParentImage: pimg, ParentCommandLine: pcmd.replace(/\{n\}/g, num()), ParentUser: pick(users) };
  }
  if (r < 0.45) return { ...base, Channel: SYSMON, EventID: 3, Provider_Name: 'Microsoft-Windows-Sysmon', ProcessGuid: guid(), ProcessId: Math.floor(rnd() * 20000), Image: img, User: pick(users), Protocol: 'tcp', Initiated: 'true', SourceIsIpv6: 'false', SourceIp: `10.1.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`, SourceHostname: host, SourcePort: Math.floor(rnd() * 60000), DestinationIsIpv6: 'false', DestinationIp: `${Math.floor(rnd() * 223)}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`, DestinationHostname: pick(['www.google.com', 'outlook.office365.com', 'github.com', '-']), DestinationPort: pick([443, 80, 53, 445, 8080]), DestinationPortName: 'https' };
  if (r < 0.55) return { ...base, Channel: SYSMON, EventID: 11, Provider_Name: 'Microsoft-Windows-Sysmon', ProcessGuid: guid(), ProcessId: Math.floor(rnd() * 20000), Image: img, TargetFilename: `C:\\Users\\alice\\AppData\\Local\\Temp\\${hex(8)}.tmp`, CreationUtcTime: base.TimeCreated, User: pick(users) };
  if (r < 0.65) return { ...base, Channel: SYSMON, EventID: 13, Provider_Name: 'Microsoft-Windows-Sysmon', EventType: 'SetValue', ProcessGuid: guid(), ProcessId: Math.floor(rnd() * 20000), Image: img, TargetObject: `HKU\\S-1-5-21-${num()}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\${hex(4)}`, Details: 'Binary Data', User: pick(users) };
  if (r < 0.72) return { ...base, Channel: SYSMON, EventID: 7, Provider_Name: 'Microsoft-Windows-Sysmon', ProcessGuid: guid(), ProcessId: Math.floor(rnd() * 20000), Image: img, ImageLoaded: pick(['C:\\Windows\\System32\\kernelbase.dll', 'C:\\Windows\\System32\\ntdll.dll', 'C:\\Windows\\System32\\combase.dll']), Signed: 'true', Signature: 'Microsoft Windows', SignatureStatus: 'Valid', User: pick(users) };
  if (r < 0.85) return { ...base, Channel: 'Security', EventID: 4624, Provider_Name: 'Microsoft-Windows-Security-Auditing', SubjectUserSid: 'S-1-5-18', SubjectUserName: host.split('.')[0] + '$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', TargetUserSid: `S-1-5-21-${num()}`, TargetUserName: pick(users).split('\\')[1], TargetDomainName: 'CORP', TargetLogonId: '0x' + hex(6), LogonType: pick([2, 3, 5, 7, 10]), LogonProcessName: 'User32', AuthenticationPackageName: 'Negotiate', WorkstationName: host.split('.')[0], LogonGuid: guid(), ProcessName: 'C:\\Windows\\System32\\svchost.exe', IpAddress: `10.1.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`, IpPort: '0' };
  if (r < 0.88) return { ...base, Channel: 'Security', EventID: 4625, Provider_Name: 'Microsoft-Windows-Security-Auditing', TargetUserName: pick(users).split('\\')[1], TargetDomainName: 'CORP', Status: '0xc000006d', SubStatus: '0xc000006a', LogonType: 3, IpAddress: `10.1.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`, WorkstationName: 'WS-' + num() };
  if (r < 0.95) {
    const [pimg] = pick(procs);
    return { ...base, Channel: 'Security', EventID: 4688, Provider_Name: 'Microsoft-Windows-Security-Auditing', SubjectUserSid: 'S-1-5-18', SubjectUserName: pick(users).split('\\')[1], SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', NewProcessId: '0x' + hex(4), NewProcessName: img, TokenElevationType: '%%1936', ProcessId: '0x' + hex(4), CommandLine: cmd.replace(/\{n\}/g, num()), ParentProcessName: pimg, MandatoryLabel: 'S-1-16-8192' };
  }
  return { ...base, Channel: 'Microsoft-Windows-PowerShell/Operational', EventID: 4104, Provider_Name: 'Microsoft-Windows-PowerShell', MessageNumber: 1, MessageTotal: 1, ScriptBlockText: pick(['Get-ChildItem -Path C:\\Users -Recurse | Where-Object { $_.Length -gt 1MB }', 'Import-Module ActiveDirectory; Get-ADUser -Filter * -Properties LastLogonDate', '$x = Get-Service | Where-Object Status -eq Running; $x.Count', 'Set-Location C:\\Repos\\app; dotnet build -c Release']), ScriptBlockId: guid().slice(1, -1), Path: '' };
}

const t0 = Date.now();
const set = loadRulePaths(SIGMAHQ_RULE_DIRS.map((d) => path.join(sigmahq, d)));
set.rules = set.rules.filter((r) => r.logsource.product === 'windows');
const valueCache = !args.includes('--no-value-cache');
const matcher = new SigmaMatcher(set, { config: { skipStatus: [] }, pipelines: undefined, valueCache });
const loadMs = Date.now() - t0;
const desc = matcher.describe();
// Heap held once loading garbage is collected (run with --expose-gc for this figure).
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapAfterLoad = process.memoryUsage().heapUsed / 1e6;

const lines = Array.from({ length: N }, () => JSON.stringify(makeEvent()));
const bytes = lines.reduce((s, l) => s + l.length, 0);
if (args.includes('--dump-events')) (await import('node:fs')).writeFileSync(arg('dump-events', '/tmp/bench-events.json'), '[' + lines.join(',\n') + ']');
const events = lines.map((l) => {
  const f = JSON.parse(l) as Record<string, unknown>;
  const source: EventSource = { format: 'winlog', product: 'windows', channel: f.Channel as string, eventCode: String(f.EventID) };
  return { fields: f, source };
});

/**
 * Warm-up pass, then as many passes as fit in SECONDS of CPU time. Rates are per CPU second of
 * this process (user + system, so GC threads count), which keeps them comparable when other
 * processes share the cores; the wall-clock rate is reported too.
 */
function timeIt(fn: () => number): { rate: number; wallRate: number; n: number } {
  fn();
  let n = 0;
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  let cpu = 0;
  while (cpu < SECONDS * 1e6) {
    n += fn();
    const c = process.cpuUsage(c0);
    cpu = c.user + c.system;
  }
  const wall = Number(process.hrtime.bigint() - w0) / 1e9;
  return { rate: n / (cpu / 1e6), wallRate: n / wall, n };
}

let sink = 0;
const onlyMatch = args.includes('--only-match');
const parse = onlyMatch ? { rate: 1, wallRate: 1, n: 0 } : timeIt(() => {
  for (const l of lines) sink += (JSON.parse(l) as { EventID: number }).EventID;
  return lines.length;
});
const profFile = args.includes('--cpu-prof') ? arg('cpu-prof', 'sigma-match.cpuprofile') : undefined;
let session: import('node:inspector').Session | undefined;
if (profFile) {
  const { Session } = await import('node:inspector');
  session = new Session();
  session.connect();
  const post = (m: string, p?: object) => new Promise<unknown>((res, rej) => session!.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
}
let detections = 0;
const ruleHits = new Map<string, number>();
const evalBefore = matcher.stats.evaluated;
const eventsBefore = matcher.stats.events;
const match = timeIt(() => {
  matcher.clearCaches();
  for (const e of events) {
    const d = matcher.match(e);
    if (d.length) {
      detections += d.length;
      for (const x of d) ruleHits.set(x.rule.title, (ruleHits.get(x.rule.title) ?? 0) + 1);
    }
  }
  return events.length;
});
if (session && profFile) {
  const s = session;
  const { profile } = await new Promise<{ profile: unknown }>((res, rej) => s.post('Profiler.stop', (e, r) => (e ? rej(e) : res(r as { profile: unknown }))));
  (await import('node:fs')).writeFileSync(profFile, JSON.stringify(profile));
  s.disconnect();
  console.error(`CPU profile of the matching phase written to ${profFile}`);
}
const perEvent = (matcher.stats.evaluated - evalBefore) / (matcher.stats.events - eventsBefore);
const matchedEvents = events.filter((e) => matcher.match(e).length > 0).length;
const rss = process.resourceUsage().maxRSS / 1024;

console.log(`rules: ${desc.rules} SigmaHQ Windows rules compiled in ${loadMs} ms (${desc.buckets} log-source buckets, ${desc.literals} index literals, ${desc.withoutWitness} rule placements without a witness, index ${(desc.indexBytes / 1e6).toFixed(1)} MB)`);
console.log(`stream: ${N} events, ${(bytes / N).toFixed(0)} bytes avg; ${((matchedEvents / N) * 100).toFixed(2)}% of events match at least one rule`);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`JSON.parse (reference): ${fmt(parse.rate)} events/s per CPU second (wall clock ${fmt(parse.wallRate)}/s)`);
console.log(`Sigma matching:         ${fmt(match.rate)} events/s per CPU second (wall clock ${fmt(match.wallRate)}/s; ${perEvent.toFixed(1)} rules evaluated per event; value cache ${valueCache ? 'on, emptied every pass' : 'off'})`);
console.log(`ratio matching / JSON.parse: ${(match.rate / parse.rate).toFixed(3)}`);
console.log(`peak RSS: ${rss.toFixed(0)} MB${gc ? `; heap after loading rules (GC'd): ${heapAfterLoad.toFixed(0)} MB` : ' (run with --expose-gc for the heap held by the loaded rules)'}`);
console.log(`detections: ${detections} over ${match.n} matched events; top rules: ${[...ruleHits.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([t, c]) => `${t} (${c})`).join('; ')}`);
if (sink === -1) console.log('');
