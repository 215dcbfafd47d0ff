import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the composition root (src/app: engine, eval, demo). */
export const APP_CODES = {
  DEMO_DATA_DIR_IN_USE: { status: 400, summary: 'The demo data directory holds data that is not from a previous demo; it is never wiped. Choose another --data.' },
} as const satisfies Record<string, ErrorCodeSpec>;
