import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the format parsers (normalize/json, syslog, cef, zeek, cloudtrail) and the registry. */
export const PARSE_CODES = {
  PARSE_SYSLOG_INVALID: { status: 400, summary: 'A syslog message is malformed (bad PRI, header or structured data); the message names the part and the column.' },
  PARSE_CEF_INVALID: { status: 400, summary: 'A CEF payload is malformed (missing header fields, bad version); the message names the part.' },
  PARSE_ZEEK_INVALID: { status: 400, summary: 'A Zeek log record is malformed (wrong number of columns, bad typed value, missing #fields header).' },
  PARSE_CLOUDTRAIL_INVALID: { status: 400, summary: 'An AWS CloudTrail record is malformed (not an object, no eventTime/eventName).' },
  PARSE_AUDITD_INVALID: { status: 400, summary: 'A Linux audit record is malformed (no type= or msg=audit(TIME:SERIAL) header).' },
  PARSE_PROXY_INVALID: { status: 400, summary: 'A web-proxy access-log line (Squid native, common or combined) is malformed; the message names the part and the column.' },
  PARSE_UNKNOWN_FORMAT: { status: 400, summary: 'The record format was named explicitly but no parser exists for it, or the record matched no format.' },
  PARSE_EMPTY: { status: 400, summary: 'The record is empty or only whitespace.' },
} as const satisfies Record<string, ErrorCodeSpec>;
