import type { ErrorCodeSpec } from '../../core/errors.js';

export const EVTX_CODES = {
  EVTX_BAD_FILE_HEADER: { status: 400, summary: 'The file does not start with a valid EVTX file header.' },
} as const satisfies Record<string, ErrorCodeSpec>;
