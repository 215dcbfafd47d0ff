/**
 * File format detection from the first bytes (after gzip decompression) and the file name.
 * Cheap: looks at most at the head the reader already has in memory.
 */
import path from 'node:path';

/** How a file is split into records (the container), independent of the record parser. */
export type FileContainer =
  | 'ndjson' // one JSON object per line
  | 'json-array' // one top-level array, streamed element by element
  | 'json-concat' // back-to-back (pretty-printed) JSON values
  | 'cloudtrail' // {"Records":[...]}: parsed whole, size-capped
  | 'json-records' // {"records":[...]} (Azure Monitor) / {"value":[...]} (Microsoft Graph): parsed whole, size-capped
  | 'zeek-tsv' // Zeek ASCII log with # header
  | 'lines' // text, one record per line (syslog, CEF)
  | 'evtx'; // Windows EVTX binary

export interface Detection {
  container: FileContainer;
  /** Parser for the records (a PARSERS key); 'json' dispatches on the object shape. */
  parser: string;
  /** Zeek log path from the file name or #path. */
  zeekPath?: string;
}

export const EVTX_MAGIC = 'ElfFile\0';

const ZEEK_LOGS = new Set([
  'conn', 'dns', 'http', 'ssl', 'x509', 'files', 'notice', 'weird', 'ssh', 'smtp', 'ftp', 'dhcp', 'kerberos', 'ntlm', 'rdp', 'smb_files', 'smb_mapping',
  'dce_rpc', 'sip', 'snmp', 'software', 'tunnel', 'pe', 'dpd', 'known_hosts', 'known_services', 'known_certs', 'capture_loss', 'stats', 'reporter',
  'intel', 'signatures', 'modbus', 'dnp3', 'radius', 'socks', 'irc', 'mysql', 'ocsp', 'quic', 'ldap', 'ldap_search',
]);

/** Zeek log path from a file name like `conn.log`, `dns.00:00:00-01:00:00.log.gz`, `http_20240101.log`. */
export function zeekPathFromName(file: string): string | undefined {
  const base = path.basename(file).toLowerCase();
  const m = /^([a-z0-9_]{2,20})[._]/.exec(base);
  return m && ZEEK_LOGS.has(m[1]) && base.includes('.log') ? m[1] : undefined;
}

/** Detects the container and record parser of a file from its decoded head. */
export function detectFile(file: string, head: string, headBytes?: Uint8Array): Detection | undefined {
  if (headBytes && headBytes.length >= 8 && Buffer.from(headBytes.subarray(0, 8)).toString('latin1') === EVTX_MAGIC) return { container: 'evtx', parser: 'evtx' };
  if (file.toLowerCase().endsWith('.evtx')) return { container: 'evtx', parser: 'evtx' };
  let i = 0;
  while (i < head.length && (head.charCodeAt(i) <= 32 || head.charCodeAt(i) === 0xfeff)) i++;
  if (i >= head.length) return undefined;
  const zeekPath = zeekPathFromName(file);
  if (head.startsWith('#separator', i) || head.startsWith('#fields', i)) return { container: 'zeek-tsv', parser: 'zeek', zeekPath };
  const c = head[i];
  if (c === '[') return { container: 'json-array', parser: 'json' };
  if (c === '{') {
    // CloudTrail: {"Records":[ ... as the first key (possibly pretty-printed).
    let j = i + 1;
    while (j < head.length && head.charCodeAt(j) <= 32) j++;
    if (head.startsWith('"Records"', j)) return { container: 'cloudtrail', parser: 'cloudtrail' };
    // Azure Monitor exports {"records":[...]}, Microsoft Graph pages {"value":[...]} (also with @odata keys first).
    if (head.startsWith('"records"', j) || head.startsWith('"value"', j) || (head.startsWith('"@odata.context"', j) && head.includes('"value"'))) {
      return { container: 'json-records', parser: 'json' };
    }
    const nl = head.indexOf('\n', i);
    const firstLine = head.slice(i, nl < 0 ? head.length : nl).trimEnd();
    let lineIsObject = false;
    if (nl >= 0 || head.length < 65536) {
      try {
        const v = JSON.parse(firstLine);
        lineIsObject = v !== null && typeof v === 'object' && !Array.isArray(v);
        if (lineIsObject && zeekPath === undefined && 'ts' in v && ('uid' in v || 'id.orig_h' in v || '_path' in v)) return { container: 'ndjson', parser: 'zeek' };
      } catch {
        lineIsObject = false;
      }
    }
    if (lineIsObject) return { container: 'ndjson', parser: zeekPath ? 'zeek' : 'json', zeekPath };
    // A first line that is not a whole object: pretty-printed / concatenated JSON.
    return { container: 'json-concat', parser: 'json' };
  }
  // Text lines: syslog (PRI or timestamp first), CEF; anything else as text lines with detection per line.
  return { container: 'lines', parser: head.startsWith('CEF:', i) ? 'cef' : 'auto' };
}
