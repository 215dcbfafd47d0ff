import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the correlation area (src/correlate). */
export const CORRELATE_CODES = {
  CORRELATE_CONFIG_INVALID: { status: 400, summary: 'The correlation configuration failed validation; every problem is listed with its path.' },
  CORRELATE_CONTEXT_INVALID: { status: 400, summary: 'An asset-inventory or identity-directory file is malformed; every problem is listed with file:line.' },
  INCIDENT_NOT_FOUND: { status: 404, summary: 'No incident with this id (in this tenant).' },
  INCIDENT_OPERATION_INVALID: { status: 400, summary: 'A split or merge request names no signals, signals outside the incident, or incidents that cannot be merged.' },
} as const satisfies Record<string, ErrorCodeSpec>;
