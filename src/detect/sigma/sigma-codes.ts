import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the Sigma engine (loading, compiling, pipelines, regression, scan). */
export const SIGMA_CODES = {
  SIGMA_YAML_INVALID: { status: 400, summary: 'A rule file is not valid YAML.' },
  SIGMA_IO: { status: 400, summary: 'A rule, sample or log file could not be read (missing, not a file, unreadable).' },
  SIGMA_RULE_INVALID: { status: 400, summary: 'A rule document is malformed: a required key (title, logsource, detection, condition) is missing or of the wrong type; the message names it.' },
  SIGMA_DETECTION_INVALID: { status: 400, summary: 'A detection item is malformed (wrong value type, empty selection, bad list); the message names the search identifier.' },
  SIGMA_MODIFIER_UNKNOWN: { status: 400, summary: 'A field uses a modifier that is not in the Sigma 2.1 modifier appendix.' },
  SIGMA_MODIFIER_INVALID: { status: 400, summary: 'A modifier is applied to a value it cannot take (cidr that is not a network, gt on a non-number, exists with a non-boolean, conflicting modifiers).' },
  SIGMA_REGEX_INVALID: { status: 400, summary: 'A |re value does not compile under RE2 semantics (re2js).' },
  SIGMA_CONDITION_INVALID: { status: 400, summary: 'The condition cannot be parsed or names an unknown search identifier; the message gives the position.' },
  SIGMA_CONDITION_UNSUPPORTED: { status: 400, summary: 'The condition uses a deprecated Sigma 1 aggregation (`| count()` ...), which Sigma 2 replaced by correlation rules.' },
  SIGMA_COLLECTION_INVALID: { status: 400, summary: 'A multi-document rule collection (action: global/reset/repeat) is malformed.' },
  SIGMA_FILTER_INVALID: { status: 400, summary: 'A Sigma filter (meta filter) document is malformed or references no rule.' },
  SIGMA_DUPLICATE_ID: { status: 400, summary: 'Two loaded rules share the same id; the later one is rejected.' },
  SIGMA_PLACEHOLDER_UNKNOWN: { status: 400, summary: 'An |expand value names a placeholder that the placeholder map does not define.' },
  SIGMA_PIPELINE_INVALID: { status: 500, summary: 'A processing pipeline (log-source and field mapping data) failed validation; every problem is listed.' },
  SIGMA_CONFIG_INVALID: { status: 500, summary: 'The Sigma engine configuration (enabled/disabled rules, exceptions, placeholders) failed validation.' },
  SIGMA_SAMPLE_INVALID: { status: 400, summary: 'A regression sample or scanned file holds a record that cannot be read as an event; the message gives the record position.' },
} as const satisfies Record<string, ErrorCodeSpec>;
