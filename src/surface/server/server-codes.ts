import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the HTTP server's transport layer (bodies, encodings). */
export const SERVER_CODES = {
  BODY_BAD_GZIP: { status: 400, summary: 'A gzip request body is truncated or corrupt; the message says where decompression stopped.' },
  BODY_BAD_ENCODING: { status: 415, summary: 'The Content-Encoding is not supported (identity and gzip are).' },
  BODY_BAD_UTF8: { status: 400, summary: 'The body (or one record of it) is not valid UTF-8; the location gives the byte offset.' },
} as const satisfies Record<string, ErrorCodeSpec>;
