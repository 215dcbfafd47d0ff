import type { ErrorCodeSpec } from '../core/errors.js';

export const STORE_CODES = {
  STORE_CLOSED: { status: 503, summary: 'The store was used after it was closed.' },
  STORE_IO: { status: 500, summary: 'The database failed (disk full, corrupt file, permission); the message names the file and operation.' },
  STORE_SCHEMA: { status: 500, summary: 'The database schema is newer than this build, or a migration failed; the message names the version.' },
  STORE_BAD_EVENT: { status: 400, summary: 'An event handed to the store lacks a valid id, time or tenant; the location gives its index in the batch.' },
  STORE_BAD_CURSOR: { status: 400, summary: 'A paging cursor is malformed or belongs to another store.' },
} as const satisfies Record<string, ErrorCodeSpec>;
