import type { ErrorCodeSpec } from '../core/errors.js';

export const STORE_CODES = {
  STORE_CLOSED: { status: 503, summary: 'The store was used after it was closed.' },
} as const satisfies Record<string, ErrorCodeSpec>;
