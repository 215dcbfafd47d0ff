import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the threat-intelligence area (src/intel). */
export const INTEL_CODES = {
  INTEL_FEED_INVALID: { status: 400, summary: 'An indicator feed (STIX bundle, MISP event, CSV) is malformed; every problem is listed with its location.' },
  INTEL_PATTERN_UNSUPPORTED: { status: 400, summary: 'A STIX pattern is valid-looking but outside the supported subset (AND, FOLLOWEDBY, qualifiers, unknown object types).' },
  INTEL_VALUE_INVALID: { status: 400, summary: 'An indicator value is not a valid IP, CIDR, domain, URL or hash for its type.' },
  INTEL_TAXII_ERROR: { status: 502, summary: 'A TAXII server answered with an error, an unexpected media type or a malformed envelope.' },
  INTEL_TAXII_TIMEOUT: { status: 504, summary: 'A TAXII request did not complete within its timeout.' },
  INTEL_TOO_LARGE: { status: 413, summary: 'A feed or TAXII response exceeds the configured size or count limit.' },
} as const satisfies Record<string, ErrorCodeSpec>;
