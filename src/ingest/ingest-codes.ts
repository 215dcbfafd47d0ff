import type { ErrorCodeSpec } from '../core/errors.js';

export const INGEST_CODES = {
  INGEST_BAD_JSON: { status: 400, summary: 'A JSON event could not be parsed; the location names the line or index.' },
} as const satisfies Record<string, ErrorCodeSpec>;
