import type { ErrorCodeSpec } from './errors.js';

export const CORE_CODES = {
  INTERNAL: { status: 500, summary: 'An unexpected internal error (a bug): the message says what failed.' },
  CONFIG_INVALID: { status: 500, summary: 'The configuration file or environment failed validation; every problem is listed.' },
  CONFIG_NOT_FOUND: { status: 500, summary: 'A configuration file named on the command line does not exist.' },
  AUTH_MISSING: { status: 401, summary: 'No credentials were presented to an authenticated endpoint.' },
  AUTH_INVALID: { status: 401, summary: 'The presented token or session is not valid.' },
  AUTH_FORBIDDEN: { status: 403, summary: 'The caller is authenticated but its role does not allow this.' },
  FORBIDDEN: { status: 403, summary: 'Authenticated, but the role does not allow this operation.' },
  NOT_FOUND: { status: 404, summary: 'The requested object does not exist.' },
  BAD_REQUEST: { status: 400, summary: 'The request is malformed; the message names the part.' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'A request body or a field exceeds its configured size limit.' },
  BUSY: { status: 503, summary: 'A bounded queue is full; retry after the indicated delay.' },
  SHUTTING_DOWN: { status: 503, summary: 'The server is shutting down and accepts no new work.' },
  QUERY_INVALID: { status: 400, summary: 'A search query could not be parsed; the message gives the position.' },
} as const satisfies Record<string, ErrorCodeSpec>;
