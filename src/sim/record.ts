/**
 * What the simulator produces: one native record per SimRecord, in time order, with its
 * ground truth when it belongs to an attack campaign.
 */

/** Every native output the simulator writes, with its file name and HEC sourcetype (= parser name). */
export const SOURCES = {
  windows: { file: 'windows.winlogbeat.ndjson', sourcetype: 'winlog', source: 'winlogbeat', text: false },
  'zeek.conn': { file: 'zeek.conn.ndjson', sourcetype: 'zeek', source: 'conn.log', text: false },
  'zeek.dns': { file: 'zeek.dns.ndjson', sourcetype: 'zeek', source: 'dns.log', text: false },
  'zeek.http': { file: 'zeek.http.ndjson', sourcetype: 'zeek', source: 'http.log', text: false },
  proxy: { file: 'proxy.access.log', sourcetype: 'proxy', source: 'squid:access.log', text: true },
  cloudtrail: { file: 'cloudtrail.json', sourcetype: 'cloudtrail', source: 'aws:cloudtrail', text: false },
  signin: { file: 'entra.signin.ndjson', sourcetype: 'signin', source: 'entra:signinlogs', text: false },
  'linux.auth': { file: 'linux.auth.log', sourcetype: 'syslog', source: '/var/log/auth.log', text: true },
  'linux.audit': { file: 'linux.audit.log', sourcetype: 'auditd', source: '/var/log/audit/audit.log', text: true },
} as const;

export type SourceKey = keyof typeof SOURCES;
export const SOURCE_KEYS = Object.keys(SOURCES) as SourceKey[];

export interface Truth {
  campaign: string;
  step: number;
  technique: string; // ATT&CK id, e.g. T1059.001
}

export interface SimRecord {
  /** Event time, ms since the epoch (UTC). */
  time: number;
  source: SourceKey;
  /** Host that produced the record (its name as the producer writes it). */
  host: string;
  /** The native record: a JSON object, or one text line for text formats. */
  event: Record<string, unknown> | string;
  truth?: Truth;
  /** Generation order, used as the tie-breaker when sorting by time (stable, deterministic). */
  seq: number;
}

export type Emit = (r: Omit<SimRecord, 'seq'>) => void;

/** Renders a record as one line of its output file (no trailing newline). */
export function renderLine(r: SimRecord): string {
  return typeof r.event === 'string' ? r.event : JSON.stringify(r.event);
}

export function isoMs(t: number): string {
  return new Date(t).toISOString();
}
