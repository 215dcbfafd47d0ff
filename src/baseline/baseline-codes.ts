import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the behavioural-baseline area (src/baseline). */
export const BASELINE_CODES = {
  BASELINE_CONFIG_INVALID: { status: 400, summary: 'The baseline configuration failed validation; every problem is listed with its path.' },
  BASELINE_STATE_INVALID: { status: 400, summary: 'A baseline state snapshot (store or export file) is malformed; the location names the model and field.' },
  BASELINE_STATE_VERSION: { status: 400, summary: 'A baseline state snapshot has an unknown format or version.' },
  BASELINE_PATTERN_INVALID: { status: 400, summary: 'A feedback or allow-list pattern is empty, too long or has too many wildcards.' },
  BASELINE_RANGE_INVALID: { status: 400, summary: 'A training time range is malformed or empty (--from must be before --to).' },
} as const satisfies Record<string, ErrorCodeSpec>;
