/**
 * The ONE Windows normalization used by every path (EVTX, Windows XML, Winlogbeat / NXLog /
 * OTRF / evtx_dump JSON): canonical flat form → GarrisonEvent with Sigma log source, OCSF class
 * and entities. See docs/windows.md.
 */
import { isIP } from 'node:net';
import { eventId, OCSF_CLASSES, type EventEntities, type GarrisonEvent, type Hashes, type OcsfClassName, type SourceFormat } from '../../core/event.js';
import { canonicalTime, type WindowsFlat } from './flat.js';

export { windowsTreeToFlat, canonicalValue, canonicalTime, type WindowsFlat, type WinXmlElement } from './flat.js';
export { detectWindowsJson, windowsJsonToFlat, windowsJsonToEvent, splitConcatenatedJson, type WindowsJsonKind } from './json.js';
export { windowsXmlToFlat, windowsXmlToEvent, parseWindowsXml } from './xml.js';

export interface WindowsEventInfo {
  tenant: string;
  /** Where the record was read, for the stable id (`file:/x.evtx:42`, `hec:ch:7`). */
  origin: string;
  /** EventSource.input (`file:/x.evtx`, `hec`). */
  input: string;
  receivedAt: number;
  /** Original text (EVTX: the XML rendering). */
  raw: string;
  /** Source format (default `winlog`). */
  format?: SourceFormat;
  /** Fallback event time (ms) when the flat form has no usable TimeCreated. */
  time?: number;
}

/** Channel (lower-case) → Sigma service (SigmaHQ tests/thor.yml). */
const CHANNEL_SERVICE: Record<string, string> = {
  application: 'application',
  security: 'security',
  system: 'system',
  'microsoft-windows-ntlm/operational': 'ntlm',
  'microsoft-windows-sysmon/operational': 'sysmon',
  'microsoft-windows-powershell/operational': 'powershell',
  'powershellcore/operational': 'powershell',
  'windows powershell': 'powershell-classic',
  'microsoft-windows-taskscheduler/operational': 'taskscheduler',
  'microsoft-windows-wmi-activity/operational': 'wmi',
  'microsoft-windows-dhcp-server/operational': 'dhcp',
  'microsoft-windows-printservice/admin': 'printservice-admin',
  'microsoft-windows-smbclient/security': 'smbclient-security',
  'microsoft-windows-smbclient/connectivity': 'smbclient-connectivity',
  'microsoft-windows-smbserver/connectivity': 'smbserver-connectivity',
  'microsoft-windows-printservice/operational': 'printservice-operational',
  'microsoft-windows-terminalservices-localsessionmanager/operational': 'terminalservices-localsessionmanager',
  'microsoft-windows-terminalservices-remoteconnectionmanager/operational': 'terminalservices-remoteconnectionmanager',
  'dns server': 'dns-server',
  'microsoft-windows-dns-server/audit': 'dns-server-audit',
  'microsoft-windows-driverframeworks-usermode/operational': 'driver-framework',
  'microsoft-windows-codeintegrity/operational': 'codeintegrity-operational',
  'microsoft-windows-applocker/msi and script': 'applocker',
  'microsoft-windows-applocker/exe and dll': 'applocker',
  'microsoft-windows-applocker/packaged app-deployment': 'applocker',
  'microsoft-windows-applocker/packaged app-execution': 'applocker',
  'msexchange management': 'msexchange-management',
  'microsoft-windows-windows defender/operational': 'windefend',
  'microsoft-windows-windows firewall with advanced security/firewall': 'firewall-as',
  'microsoft-windows-bits-client/operational': 'bits-client',
  'microsoft-windows-security-mitigations/kernel mode': 'security-mitigations',
  'microsoft-windows-security-mitigations/user mode': 'security-mitigations',
  'microsoft-windows-diagnosis-scripted/operational': 'diagnosis-scripted',
  'microsoft-windows-shell-core/operational': 'shell-core',
  'openssh/operational': 'openssh',
  'microsoft-windows-ldap-client/debug': 'ldap',
  'microsoft-windows-bitlocker/bitlocker management': 'bitlocker',
  'microsoft-windows-vhdmp/operational': 'vhdmp',
  'microsoft-windows-appxdeploymentserver/operational': 'appxdeployment-server',
  'microsoft-windows-lsa/operational': 'lsa-server',
  'microsoft-windows-appxpackaging/operational': 'appxpackaging-om',
  'microsoft-windows-dns client events/operational': 'dns-client',
  'microsoft-windows-appmodel-runtime/admin': 'appmodel-runtime',
  'microsoft-windows-capi2/operational': 'capi2',
  'microsoft-windows-certificateservicesclient-lifecycle-system/operational': 'certificateservicesclient-lifecycle-system',
  'microsoft-windows-kernel-shimengine/operational': 'kernel-shimengine',
  'microsoft-windows-kernel-shimengine/diagnostic': 'kernel-shimengine',
  'microsoft-windows-application-experience/program-telemetry': 'application-experience',
  'microsoft-windows-application-experience/program-compatibility-assistant': 'application-experience',
  'microsoft-windows-ntfs/operational': 'ntfs',
  'microsoft-windows-hyper-v-worker': 'hyper-v-worker',
  'microsoft-windows-kernel-eventtracing': 'kernel-event-tracing',
  'microsoft-windows-sense/operational': 'sense',
  'microsoft-servicebus-client/admin': 'servicebus-client',
  'microsoft-servicebus-client/operational': 'servicebus-client',
  'microsoft-iis-configuration/operational': 'iis-configuration',
};

/** Provider (lower-case) → service, used when the channel is missing or unknown. */
const PROVIDER_SERVICE: Record<string, string> = {
  'microsoft-windows-sysmon': 'sysmon',
  'microsoft-windows-security-auditing': 'security',
  'microsoft-windows-eventlog': 'security',
  'microsoft-windows-powershell': 'powershell',
  powershell: 'powershell-classic',
  'microsoft-windows-windows defender': 'windefend',
  'microsoft-windows-taskscheduler': 'taskscheduler',
  'microsoft-windows-wmi-activity': 'wmi',
  'microsoft-windows-terminalservices-localsessionmanager': 'terminalservices-localsessionmanager',
  'microsoft-windows-terminalservices-remoteconnectionmanager': 'terminalservices-remoteconnectionmanager',
  'service control manager': 'system',
};

/** Sysmon event id → [Sigma category, OCSF class]. */
const SYSMON: Record<number, [string, OcsfClassName]> = {
  1: ['process_creation', 'process_activity'],
  2: ['file_change', 'file_activity'],
  3: ['network_connection', 'network_activity'],
  4: ['sysmon_status', 'base_event'],
  5: ['process_termination', 'process_activity'],
  6: ['driver_load', 'kernel_extension_activity'],
  7: ['image_load', 'module_activity'],
  8: ['create_remote_thread', 'process_activity'],
  9: ['raw_access_thread', 'file_activity'],
  10: ['process_access', 'process_activity'],
  11: ['file_event', 'file_activity'],
  12: ['registry_event', 'registry_key_activity'],
  13: ['registry_set', 'registry_value_activity'],
  14: ['registry_rename', 'registry_key_activity'],
  15: ['create_stream_hash', 'file_activity'],
  16: ['sysmon_status', 'base_event'],
  17: ['pipe_created', 'file_activity'],
  18: ['pipe_created', 'file_activity'],
  19: ['wmi_event', 'base_event'],
  20: ['wmi_event', 'base_event'],
  21: ['wmi_event', 'base_event'],
  22: ['dns_query', 'dns_activity'],
  23: ['file_delete', 'file_activity'],
  24: ['clipboard_change', 'base_event'],
  25: ['process_tampering', 'process_activity'],
  26: ['file_delete_detected', 'file_activity'],
  27: ['file_block_executable', 'file_activity'],
  28: ['file_block_shredding', 'file_activity'],
  29: ['file_executable_detected', 'file_activity'],
  255: ['sysmon_error', 'base_event'],
};

const DEFENDER_AV = new Set([1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116]);

function securityClass(id: number): OcsfClassName {
  if ([4624, 4625, 4634, 4647, 4648, 4672, 4768, 4769, 4770, 4771, 4776, 4778, 4779, 4964].includes(id)) return 'authentication';
  if (id === 4688 || id === 4689) return 'process_activity';
  if ([4720, 4722, 4723, 4724, 4725, 4726, 4738, 4740, 4741, 4742, 4743, 4765, 4766, 4767, 4780, 4781, 4794, 5376, 5377].includes(id)) return 'account_change';
  if ((id >= 4727 && id <= 4737) || (id >= 4744 && id <= 4764) || id === 4798 || id === 4799) return 'group_management';
  if (id === 4697) return 'windows_service_activity';
  if (id >= 4698 && id <= 4702) return 'scheduled_job_activity';
  if ([4656, 4658, 4660, 4663, 4664, 4670, 4985, 5140, 5142, 5143, 5144, 5145].includes(id)) return 'file_activity';
  if (id === 4657) return 'registry_value_activity';
  if (id >= 5150 && id <= 5159) return 'network_activity';
  if (id === 4703 || id === 4704 || id === 4705 || id === 4717 || id === 4718) return 'user_access_management';
  if (id === 5136 || id === 5137 || id === 5138 || id === 5139 || id === 5141 || id === 4662) return 'entity_management';
  return 'base_event';
}

/** Sigma log source + OCSF class for a flat Windows event. */
export function windowsLogSource(flat: WindowsFlat): { service?: string; category?: string; ocsf: OcsfClassName } {
  const channel = typeof flat.Channel === 'string' ? flat.Channel : '';
  const provider = typeof flat.Provider_Name === 'string' ? flat.Provider_Name : '';
  const service = CHANNEL_SERVICE[channel.toLowerCase()] ?? PROVIDER_SERVICE[provider.toLowerCase()];
  const id = typeof flat.EventID === 'number' ? flat.EventID : Number(flat.EventID);
  let category: string | undefined;
  let ocsf: OcsfClassName = 'base_event';
  switch (service) {
    case 'sysmon': {
      const m = SYSMON[id];
      if (m) {
        [category, ocsf] = m;
        if (id === 12) {
          const et = String(flat.EventType ?? '');
          category = /Delete/i.test(et) ? 'registry_delete' : 'registry_add';
        }
      }
      break;
    }
    case 'security':
      ocsf = securityClass(id);
      if (id === 4688) category = 'process_creation';
      break;
    case 'system':
      if (id === 7045 || id === 7034 || id === 7036 || id === 7040) ocsf = 'windows_service_activity';
      break;
    case 'powershell':
      if (id === 4103) category = 'ps_module';
      else if (id === 4104) category = 'ps_script';
      if (id === 4103 || id === 4104) ocsf = 'script_activity';
      break;
    case 'powershell-classic':
      if (id === 400) category = 'ps_classic_start';
      else if (id === 600) category = 'ps_classic_provider_start';
      else if (id === 800) category = 'ps_classic_script';
      if (id === 400 || id === 800) ocsf = 'script_activity';
      break;
    case 'windefend':
      if (DEFENDER_AV.has(id)) category = 'antivirus';
      break;
    case 'taskscheduler':
      ocsf = 'scheduled_job_activity';
      break;
    case 'dns-client':
      ocsf = 'dns_activity';
      break;
    case 'terminalservices-localsessionmanager':
      ocsf = 'authentication';
      break;
    case 'terminalservices-remoteconnectionmanager':
      if (id === 1149) ocsf = 'authentication';
      break;
    case 'dns-server':
    case 'dns-server-audit':
      ocsf = 'dns_activity';
      break;
  }
  return { service, category, ocsf };
}

function s(flat: WindowsFlat, a: string, b?: string, c?: string, d?: string): string | undefined {
  // Positional keys, not a rest array: ~50 calls per event, no allocation.
  return s1(flat[a]) ?? (b === undefined ? undefined : s1(flat[b]) ?? (c === undefined ? undefined : s1(flat[c]) ?? (d === undefined ? undefined : s1(flat[d]))));
}

/** A present, non-empty, non-'-' value, trimmed. */
function s1(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const t = typeof v === 'string' ? v.trim() : String(v).trim();
  return t !== '' && t !== '-' ? t : undefined;
}

/** Decimal or 0x-hex integer text → number. */
function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v.slice(2), 16) : /^-?\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Logon id as 0x-hex lower-case without padding (libevtx pads, Windows does not). */
function logonId(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (/^0x[0-9a-f]+$/i.test(v)) return '0x' + (BigInt(v) as bigint).toString(16);
  if (/^\d+$/.test(v)) return '0x' + BigInt(v).toString(16);
  return v.toLowerCase();
}

/** Parses Sysmon's `Hashes` (`SHA1=..,MD5=..,SHA256=..,IMPHASH=..`) into lower-case hex digests. */
export function parseSysmonHashes(v: string | undefined): Hashes | undefined {
  if (!v) return undefined;
  const h: Hashes = {};
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim().toUpperCase();
    const d = part.slice(eq + 1).trim().toLowerCase();
    if (!/^[0-9a-f]+$/.test(d)) continue;
    if (k === 'MD5') h.md5 = d;
    else if (k === 'SHA1') h.sha1 = d;
    else if (k === 'SHA256') h.sha256 = d;
    else if (k === 'IMPHASH') h.imphash = d;
  }
  return Object.keys(h).length ? h : undefined;
}

function splitUser(v: string | undefined): { user?: string; domain?: string } {
  if (!v) return {};
  const i = v.indexOf('\\');
  return i < 0 ? { user: v } : { domain: v.slice(0, i), user: v.slice(i + 1) };
}

function port(v: string | undefined): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
}

/** An IPv4/IPv6 literal (RDP's Address can be `LOCAL`), else undefined. */
function ipOnly(v: string | undefined): string | undefined {
  const x = ip(v);
  return x !== undefined && isIP(x) !== 0 ? x : undefined;
}

function ip(v: string | undefined): string | undefined {
  if (!v || v === '-' || v === '::' || v === '0.0.0.0') return undefined;
  return v.replace(/^::ffff:/i, '');
}

/** Entities named by a flat Windows event (Sysmon, Security, System, PowerShell ...). */
export function windowsEntities(flat: WindowsFlat, service: string | undefined): EventEntities {
  const e: EventEntities = {};
  const id = typeof flat.EventID === 'number' ? flat.EventID : Number(flat.EventID);
  e.host = s(flat, 'Computer');
  // user
  // RDP: RemoteConnectionManager 1149 carries user, domain and source address as Param1..3.
  const rdpAuth = service === 'terminalservices-remoteconnectionmanager' && id === 1149;
  const su = rdpAuth ? { user: s(flat, 'Param1'), domain: s(flat, 'Param2') } : splitUser(s(flat, 'User'));
  e.user = s(flat, 'SubjectUserName') ?? su.user ?? s(flat, 'UserName', 'AccountName');
  e.userDomain = s(flat, 'SubjectDomainName') ?? su.domain ?? s(flat, 'Domain', 'DomainName');
  e.userSid = s(flat, 'SubjectUserSid', 'UserSid', 'UserID');
  // target account (authentication / account change)
  e.targetUser = s(flat, 'TargetUserName');
  e.targetDomain = s(flat, 'TargetDomainName');
  e.targetSid = s(flat, 'TargetUserSid', 'TargetSid');
  e.logonId = logonId(service === 'security' && [4624, 4625, 4634, 4647, 4672].includes(id) ? s(flat, 'TargetLogonId', 'SubjectLogonId') : s(flat, 'LogonId', 'SubjectLogonId', 'TargetLogonId'));
  e.logonType = num(s(flat, 'LogonType'));
  // process
  const proc: NonNullable<EventEntities['process']> = {};
  if (service === 'sysmon' && (id === 8 || id === 10)) {
    proc.guid = s(flat, 'SourceProcessGuid', 'SourceProcessGUID');
    proc.pid = num(s(flat, 'SourceProcessId'));
    proc.image = s(flat, 'SourceImage');
    e.user ??= splitUser(s(flat, 'SourceUser')).user;
  } else if (service === 'security' && id === 4688) {
    proc.pid = num(s(flat, 'NewProcessId'));
    proc.image = s(flat, 'NewProcessName');
    proc.commandLine = s(flat, 'CommandLine');
    proc.integrityLevel = s(flat, 'MandatoryLabel');
    const parent = { pid: num(s(flat, 'ProcessId')), image: s(flat, 'ParentProcessName') };
    if (parent.pid !== undefined || parent.image) proc.parent = parent;
  } else {
    proc.guid = s(flat, 'ProcessGuid');
    proc.pid = num(s(flat, 'ProcessId', 'NewProcessId', 'ProcessID_'));
    proc.image = s(flat, 'Image', 'NewProcessName', 'ProcessName', 'Application');
    proc.commandLine = s(flat, 'CommandLine');
    proc.integrityLevel = s(flat, 'IntegrityLevel');
    if (service === 'sysmon' && (id === 1 || id === 7 || id === 6)) {
      const h = parseSysmonHashes(s(flat, 'Hashes'));
      if (h && id === 1) proc.hashes = h;
    }
    const parent = { guid: s(flat, 'ParentProcessGuid'), pid: num(s(flat, 'ParentProcessId')), image: s(flat, 'ParentImage'), commandLine: s(flat, 'ParentCommandLine') };
    if (parent.guid || parent.pid !== undefined || parent.image || parent.commandLine) proc.parent = parent;
    if (service === 'sysmon' && su.user) proc.user = s(flat, 'User');
  }
  const p = defined(proc);
  if (Object.keys(p).length) e.process = p;
  // network
  e.srcIp = ip(s(flat, 'SourceIp', 'SourceAddress', 'IpAddress', 'ClientAddress'));
  if (!e.srcIp && service === 'terminalservices-localsessionmanager') e.srcIp = ipOnly(s(flat, 'Address'));
  if (!e.srcIp && rdpAuth) e.srcIp = ipOnly(s(flat, 'Param3'));
  e.srcPort = port(s(flat, 'SourcePort', 'IpPort'));
  e.dstIp = ip(s(flat, 'DestinationIp', 'DestAddress'));
  e.dstPort = port(s(flat, 'DestinationPort', 'DestPort'));
  e.protocol = s(flat, 'Protocol')?.toLowerCase();
  e.domain = s(flat, 'QueryName', 'DestinationHostname');
  // registry
  const key = s(flat, 'TargetObject') ?? (service === 'security' && id === 4657 ? s(flat, 'ObjectName') : undefined);
  if (key) {
    e.registry = { key };
    const value = id === 4657 ? s(flat, 'ObjectValueName') : undefined;
    const data = s(flat, 'Details', 'NewValue');
    if (value) e.registry.value = value;
    if (data) e.registry.data = data;
  }
  // files
  const fpath = s(flat, 'TargetFilename', 'ImageLoaded') ?? (service === 'security' && [4656, 4660, 4663, 5145].includes(id) ? s(flat, 'ObjectName', 'RelativeTargetName') : undefined);
  if (fpath) {
    e.file = { path: fpath };
    if (service === 'sysmon' && id !== 1) {
      const h = parseSysmonHashes(s(flat, 'Hashes', 'Hash'));
      if (h) e.file.hashes = h;
    }
  }
  // outcome
  if (rdpAuth) e.outcome = 'success'; // "Remote Desktop Services: User authentication succeeded"
  if (service === 'security') {
    if ([4625, 4771, 4776].includes(id)) e.outcome = id === 4776 && s(flat, 'Status') === '0x0' ? 'success' : 'failure';
    else if (id === 4624) e.outcome = 'success';
    else {
      const kw = s(flat, 'Keywords');
      if (kw === '0x8020000000000000') e.outcome = 'success';
      else if (kw === '0x8010000000000000') e.outcome = 'failure';
    }
  }
  return defined(e);
}

/**
 * A copy without the undefined properties. (Deleting them instead would turn the object into a
 * slow dictionary-mode object, and entities are read by every later stage and serialised once.)
 */
function defined<T extends object>(o: T): T {
  const out = {} as Record<string, unknown>;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/** Event time (ms) from the flat form's TimeCreated, else `fallback`. */
export function windowsTime(flat: WindowsFlat, fallback: number): number {
  // TimeCreated (System); else Sysmon's own UtcTime ("2024-01-01 10:00:00.123", UTC), which
  // flattened shippers often carry without the System time.
  const a = timeOf(flat.TimeCreated);
  if (a !== undefined) return a;
  const b = timeOf(flat.UtcTime);
  return b !== undefined ? b : fallback;
}

function timeOf(t: unknown): number | undefined {
  if (typeof t !== 'string') return undefined;
  const c = canonicalTime(t);
  const ms = Date.parse(c.length > 24 ? c.slice(0, 23) + 'Z' : c);
  return Number.isFinite(ms) ? ms : undefined;
}

type SourceEntry = { source: GarrisonEvent['source']; cls: GarrisonEvent['class']; service: string | undefined };
/**
 * Source and class by (format, input, channel, provider, event id[, registry event type]): a
 * few hundred combinations in practice, so events share one frozen source object and one class
 * object per combination (the store serialises each shared object once). Bounded: cleared when
 * it reaches SOURCE_CACHE_MAX entries.
 */
const sourceCache = new Map<string, SourceEntry>();
const SOURCE_CACHE_MAX = 4096;
const SOURCE_KEY_MAX = 512;

function sourceOf(flat: WindowsFlat, info: WindowsEventInfo): SourceEntry {
  const format = info.format ?? 'winlog';
  const channel = typeof flat.Channel === 'string' ? flat.Channel : undefined;
  const provider = typeof flat.Provider_Name === 'string' ? flat.Provider_Name : undefined;
  const code = flat.EventID !== undefined ? String(flat.EventID) : undefined;
  // Sysmon 12's category depends on EventType; include it for that event id only.
  const extra = code === '12' ? String(flat.EventType ?? '') : '';
  const key = `${format}\u0000${info.input}\u0000${channel ?? '\u0001'}\u0000${provider ?? '\u0001'}\u0000${code ?? '\u0001'}\u0000${extra}`;
  // Attackers choose these values: only short keys are cached (4,096 × 512 characters at most).
  const cacheable = key.length <= SOURCE_KEY_MAX;
  let hit = cacheable ? sourceCache.get(key) : undefined;
  if (hit) return hit;
  const ls = windowsLogSource(flat);
  const source: GarrisonEvent['source'] = { format, product: 'windows', input: info.input };
  if (ls.service) source.service = ls.service;
  if (ls.category) source.category = ls.category;
  if (channel !== undefined) source.channel = channel;
  if (provider !== undefined) source.provider = provider;
  if (code !== undefined) source.eventCode = code;
  hit = { source: Object.freeze(source), cls: Object.freeze({ uid: OCSF_CLASSES[ls.ocsf], name: ls.ocsf }), service: ls.service };
  if (!cacheable) return hit;
  if (sourceCache.size >= SOURCE_CACHE_MAX) sourceCache.clear();
  sourceCache.set(key, hit);
  return hit;
}

/**
 * A flat Windows event → GarrisonEvent: source (product windows, service by channel, category
 * by event id), OCSF class, entities; `fields` = the flat form, `raw` = the original text.
 */
export function windowsToEvent(flat: WindowsFlat, info: WindowsEventInfo): GarrisonEvent {
  const { source, cls, service } = sourceOf(flat, info);
  const time = windowsTime(flat, info.time ?? info.receivedAt);
  return {
    id: eventId(time, info.tenant, info.origin, info.raw),
    time,
    ingestTime: info.receivedAt,
    tenant: info.tenant,
    source,
    class: cls,
    entities: windowsEntities(flat, service),
    fields: flat,
    raw: info.raw,
  };
}
