import type { ErrorCodeSpec } from '../core/errors.js';

export const SIM_CODES = {
  SIM_ORG_INVALID: { status: 400, summary: 'The organization model file failed validation.' },
  SIM_SCENARIO_UNKNOWN: { status: 400, summary: 'The named simulation scenario does not exist.' },
  SIM_OPTION_INVALID: { status: 400, summary: 'A simulation option (seed, hours, start, speed, host count) is out of range.' },
  SIM_STREAM_FAILED: { status: 502, summary: 'Streaming simulated events to a HEC endpoint failed (connection, rejection or auth).' },
} as const satisfies Record<string, ErrorCodeSpec>;
