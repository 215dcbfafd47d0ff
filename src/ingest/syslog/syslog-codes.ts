import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the syslog listeners (UDP, TCP, TLS). */
export const SYSLOG_CODES = {
  SYSLOG_FRAME_TOO_LARGE: { status: 413, summary: 'A syslog frame exceeds maxMessageBytes; it is discarded without buffering it.' },
  SYSLOG_FRAME_INVALID: { status: 400, summary: 'An octet-counted frame has a bad length prefix; the connection is closed.' },
  SYSLOG_LISTEN_FAILED: { status: 500, summary: 'A syslog listener could not bind its port or load its TLS certificate.' },
  SYSLOG_DROPPED: { status: 503, summary: 'UDP datagrams were dropped because the ingest queue was full.' },
} as const satisfies Record<string, ErrorCodeSpec>;
