import type { ErrorCodeSpec } from '../core/errors.js';

export const SIM_CODES = {
  SIM_ORG_INVALID: { status: 400, summary: 'The organization model file failed validation.' },
} as const satisfies Record<string, ErrorCodeSpec>;
