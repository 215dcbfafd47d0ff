import type { ErrorCodeSpec } from '../../core/errors.js';

export const SIGMA_CODES = {
  SIGMA_YAML_INVALID: { status: 400, summary: 'A rule file is not valid YAML.' },
} as const satisfies Record<string, ErrorCodeSpec>;
