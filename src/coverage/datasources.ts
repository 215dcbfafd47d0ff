/**
 * The telemetry catalogue: which kinds of Garrison telemetry reveal which ATT&CK techniques
 * (modelled on ATT&CK's data components: Process Creation, Logon Session, Cloud Storage Access ...),
 * and how to turn each on. Coverage uses it to tell "data-without-detection" (the telemetry that
 * would show a technique is here but nothing looks at it) from "uncovered" (neither), and gap
 * analysis uses `enable` as the concrete next step when a technique's telemetry is missing.
 *
 * A data source matches a stored event by its envelope (event.source and event.class); each list
 * is an OR of lower-case values, keys are ANDed.
 */
import type { GarrisonEvent, OcsfClassName } from '../core/event.js';

export interface EnvelopeMatch {
  format?: string[];
  product?: string[];
  service?: string[];
  category?: string[];
  channel?: string[];
  eventCode?: string[];
  class?: OcsfClassName[];
}

export interface DataSourceDef {
  id: string;
  name: string;
  match: EnvelopeMatch;
  /** Techniques this telemetry is evidence for (a rule or model on it can detect them). */
  techniques: string[];
  /** How to switch it on (gap analysis prints this as the next step). */
  enable: string;
}

const SYSMON = 'microsoft-windows-sysmon/operational';

export const DATA_SOURCES: readonly DataSourceDef[] = [
  {
    id: 'windows.process_creation',
    name: 'Windows process creation (Sysmon 1 / Security 4688)',
    match: { product: ['windows'], category: ['process_creation'] },
    techniques: ['T1059', 'T1059.001', 'T1059.003', 'T1059.005', 'T1047', 'T1218', 'T1218.005', 'T1218.010', 'T1218.011', 'T1053.005', 'T1087', 'T1087.001', 'T1087.002', 'T1069', 'T1069.001', 'T1069.002', 'T1482', 'T1082', 'T1033', 'T1016', 'T1018', 'T1135', 'T1057', 'T1007', 'T1049', 'T1012', 'T1490', 'T1569.002', 'T1105', 'T1560.001', 'T1136.001', 'T1003.001', 'T1003.003', 'T1070.001', 'T1140', 'T1197', 'T1548.002', 'T1027', 'T1112', 'T1543.003', 'T1036', 'T1204.002', 'T1566.001', 'T1567.002', 'T1048', 'T1039', 'T1021.006', 'T1489', 'T1562.001'],
    enable: 'deploy Sysmon with Event ID 1 (process creation), or enable Windows "Audit Process Creation" (Security 4688) with command-line logging, and forward the channel',
  },
  {
    id: 'windows.process_access',
    name: 'Windows process access (Sysmon 10)',
    match: { product: ['windows'], category: ['process_access'] },
    techniques: ['T1003.001', 'T1055'],
    enable: 'enable Sysmon Event ID 10 (ProcessAccess) at least for lsass.exe as the target image',
  },
  {
    id: 'windows.file_event',
    name: 'Windows file creation (Sysmon 11)',
    match: { product: ['windows'], category: ['file_event'] },
    techniques: ['T1105', 'T1486', 'T1560.001', 'T1566.001', 'T1074.001', 'T1003.001', 'T1036', 'T1547.001'],
    enable: 'enable Sysmon Event ID 11 (FileCreate) for user-writable paths, startup folders and document types',
  },
  {
    id: 'windows.registry',
    name: 'Windows registry changes (Sysmon 12-14)',
    match: { product: ['windows'], category: ['registry_set', 'registry_event', 'registry_add', 'registry_delete', 'registry_rename'] },
    techniques: ['T1547.001', 'T1112', 'T1546', 'T1562.001', 'T1543.003'],
    enable: 'enable Sysmon Event IDs 12-14 (registry) for Run keys, services and security settings',
  },
  {
    id: 'windows.network_connection',
    name: 'Windows network connections (Sysmon 3)',
    match: { product: ['windows'], category: ['network_connection'] },
    techniques: ['T1071', 'T1071.001', 'T1105', 'T1571', 'T1219', 'T1021.001', 'T1048', 'T1567.002'],
    enable: 'enable Sysmon Event ID 3 (NetworkConnect) for script interpreters, LOLBins and unusual ports',
  },
  {
    id: 'windows.dns_query',
    name: 'Windows DNS queries (Sysmon 22)',
    match: { product: ['windows'], category: ['dns_query'] },
    techniques: ['T1071.004', 'T1568', 'T1568.002', 'T1567.002', 'T1071.001'],
    enable: 'enable Sysmon Event ID 22 (DNSEvent)',
  },
  {
    id: 'windows.image_load',
    name: 'Windows image loads (Sysmon 7)',
    match: { product: ['windows'], category: ['image_load'] },
    techniques: ['T1574.002', 'T1218.011', 'T1055', 'T1129'],
    enable: 'enable Sysmon Event ID 7 (ImageLoad) for unsigned or user-writable DLLs',
  },
  {
    id: 'windows.powershell',
    name: 'PowerShell script block logging (4104)',
    match: { product: ['windows'], category: ['ps_script'] },
    techniques: ['T1059.001', 'T1027', 'T1105', 'T1140'],
    enable: 'enable PowerShell Script Block Logging (Microsoft-Windows-PowerShell/Operational 4104) by group policy',
  },
  {
    id: 'windows.logon',
    name: 'Windows logons (Security 4624/4625/4648/4672)',
    match: { product: ['windows'], service: ['security'], eventCode: ['4624', '4625', '4648', '4672', '4776'] },
    techniques: ['T1078', 'T1078.002', 'T1078.003', 'T1110', 'T1110.001', 'T1110.003', 'T1021', 'T1021.001', 'T1021.002', 'T1550.002'],
    enable: 'enable "Audit Logon" and "Audit Special Logon" (Security 4624, 4625, 4648, 4672) on servers and workstations',
  },
  {
    id: 'windows.account_management',
    name: 'Windows account and group changes (Security 4720/4732/4728 ...)',
    match: { product: ['windows'], service: ['security'], eventCode: ['4720', '4722', '4724', '4728', '4732', '4738', '4756'] },
    techniques: ['T1136.001', 'T1136.002', 'T1098', 'T1078.003', 'T1531'],
    enable: 'enable "Audit User Account Management" and "Audit Security Group Management"',
  },
  {
    id: 'windows.scheduled_task',
    name: 'Windows scheduled tasks (Security 4698)',
    match: { product: ['windows'], service: ['security'], eventCode: ['4698', '4702'] },
    techniques: ['T1053.005'],
    enable: 'enable "Audit Other Object Access Events" (Security 4698 scheduled task created)',
  },
  {
    id: 'windows.service_install',
    name: 'Windows service installation (System 7045 / Security 4697)',
    match: { product: ['windows'], eventCode: ['7045', '4697'] },
    techniques: ['T1543.003', 'T1569.002', 'T1021.002'],
    enable: 'forward the System channel (Service Control Manager 7045) or enable "Audit Security System Extension" (4697)',
  },
  {
    id: 'windows.kerberos',
    name: 'Windows Kerberos ticket requests (Security 4768/4769)',
    match: { product: ['windows'], service: ['security'], eventCode: ['4768', '4769', '4771'] },
    techniques: ['T1558', 'T1558.003', 'T1558.004'],
    enable: 'enable "Audit Kerberos Authentication Service" and "Audit Kerberos Service Ticket Operations" on domain controllers',
  },
  {
    id: 'windows.log_cleared',
    name: 'Windows event log cleared (Security 1102 / System 104)',
    match: { product: ['windows'], eventCode: ['1102', '104'] },
    techniques: ['T1070.001'],
    enable: 'forward Security 1102 and System 104 from every Windows host',
  },
  {
    id: 'aws.cloudtrail.management',
    name: 'AWS CloudTrail management events',
    match: { product: ['aws'], service: ['cloudtrail'] },
    techniques: ['T1078.004', 'T1098.001', 'T1098.003', 'T1136.003', 'T1562.008', 'T1580', 'T1526', 'T1538', 'T1087.004', 'T1535', 'T1578.002', 'T1069.003'],
    enable: 'create an organization CloudTrail trail (management events, all regions) and ingest it (garrison ingest --format cloudtrail)',
  },
  {
    id: 'aws.cloudtrail.s3_data',
    name: 'AWS CloudTrail S3 data events',
    match: { product: ['aws'], service: ['cloudtrail'], channel: ['s3.amazonaws.com'] },
    techniques: ['T1530', 'T1619', 'T1537', 'T1485', 'T1567.002'],
    enable: 'enable S3 data events (GetObject, ListObjects, PutObject) on the CloudTrail trail for sensitive buckets',
  },
  {
    id: 'identity.signin',
    name: 'Identity-provider sign-ins (Entra ID / Okta)',
    match: { format: ['signin'] },
    techniques: ['T1078.004', 'T1110', 'T1110.001', 'T1110.003', 'T1110.004', 'T1621', 'T1556.006', 'T1114.002', 'T1213.002'],
    enable: 'export Entra ID sign-in logs (interactive and non-interactive) or Okta System Log to Garrison',
  },
  {
    id: 'network.conn',
    name: 'Network flows (Zeek conn / firewall)',
    match: { class: ['network_activity'], format: ['zeek', 'cef', 'syslog'] },
    techniques: ['T1071', 'T1071.001', 'T1048', 'T1048.002', 'T1041', 'T1571', 'T1021.001', 'T1021.002', 'T1046', 'T1095', 'T1039', 'T1567.002'],
    enable: 'deploy a Zeek sensor (conn.log) at the egress and between server and user segments, or forward firewall logs',
  },
  {
    id: 'network.dns',
    name: 'Network DNS (Zeek dns)',
    match: { class: ['dns_activity'], format: ['zeek', 'syslog', 'cef'] },
    techniques: ['T1071.004', 'T1568.002', 'T1048.003', 'T1567.002'],
    enable: 'forward Zeek dns.log or the resolver query log',
  },
  {
    id: 'network.http',
    name: 'Web traffic (Zeek http / proxy)',
    match: { class: ['http_activity'] },
    techniques: ['T1071.001', 'T1105', 'T1567.002', 'T1102', 'T1190', 'T1048.002'],
    enable: 'forward Zeek http.log or the web proxy access log',
  },
  {
    id: 'linux.auth',
    name: 'Linux authentication (auth.log / sshd)',
    match: { product: ['linux'], service: ['auth', 'sshd'] },
    techniques: ['T1110.001', 'T1110.003', 'T1078.003', 'T1021.004', 'T1098.004'],
    enable: 'forward /var/log/auth.log (or journald sshd/sudo) over syslog',
  },
  {
    id: 'linux.auditd',
    name: 'Linux auditd process execution',
    match: { product: ['linux'], service: ['auditd'] },
    techniques: ['T1059.004', 'T1053.003', 'T1105', 'T1222.002', 'T1548.001', 'T1070.004'],
    enable: 'enable auditd execve rules (-a always,exit -F arch=b64 -S execve) and forward audit.log',
  },
];

/** The lower-cased envelope values a data source or model requirement is matched against. */
export interface Envelope {
  format: string;
  product: string;
  service: string;
  category: string;
  channel: string;
  eventCode: string;
  class: string;
}

export function envelopeOf(ev: Pick<GarrisonEvent, 'source' | 'class'>): Envelope {
  const l = (s: string | undefined) => (s ?? '').toLowerCase();
  const s = ev.source;
  return { format: l(s.format), product: l(s.product), service: l(s.service), category: l(s.category), channel: l(s.channel), eventCode: l(s.eventCode), class: ev.class.name };
}

export function envelopeKey(e: Envelope): string {
  return [e.format, e.product, e.service, e.category, e.channel, e.eventCode, e.class].join('|');
}

export function parseEnvelopeKey(k: string): Envelope {
  const [format = '', product = '', service = '', category = '', channel = '', eventCode = '', cls = ''] = k.split('|');
  return { format, product, service, category, channel, eventCode, class: cls };
}

export function envelopeMatches(m: EnvelopeMatch, e: Envelope): boolean {
  const has = (xs: readonly string[] | undefined, v: string) => xs === undefined || xs.some((x) => x.toLowerCase() === v);
  return has(m.format, e.format) && has(m.product, e.product) && has(m.service, e.service) && has(m.category, e.category) && has(m.channel, e.channel) && has(m.eventCode, e.eventCode) && has(m.class, e.class);
}

/** Human label of an envelope match: `product=aws service=cloudtrail channel=s3.amazonaws.com`. */
export function describeMatch(m: EnvelopeMatch): string {
  return Object.entries(m)
    .filter(([, v]) => Array.isArray(v) && v.length > 0)
    .map(([k, v]) => `${k}=${(v as string[]).join('|')}`)
    .join(' ');
}
