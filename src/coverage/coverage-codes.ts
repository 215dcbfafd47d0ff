import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the coverage, gap-analysis and detection-engineering area (src/coverage, src/detect/rules-tooling). */
export const COVERAGE_CODES = {
  COVERAGE_OPTION_INVALID: { status: 400, summary: 'A coverage, hunt or rule-statistics option is malformed (window, time range, source filter, limit).' },
  COVERAGE_WEIGHTS_INVALID: { status: 400, summary: 'A technique-weights / asset-criticality file failed validation; every problem is listed with file and line.' },
  COVERAGE_LAYER_INVALID: { status: 500, summary: 'A generated ATT&CK Navigator layer failed validation against the layer format 4.5 schema.' },
  COVERAGE_RULE_INVALID: { status: 400, summary: 'A rule given to hunt or to the rule tester does not load; every problem is listed with file:line.' },
} as const satisfies Record<string, ErrorCodeSpec>;
