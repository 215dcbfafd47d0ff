import type { ErrorCodeSpec } from '../../../core/errors.js';

/** Error codes of Sigma correlation rules (parsing, reference resolution, engine input). */
export const CORRELATION_CODES = {
  CORRELATION_INVALID: { status: 400, summary: 'A correlation rule document is malformed (missing title, wrong type of a key); the message names the key.' },
  CORRELATION_TYPE_UNKNOWN: { status: 400, summary: 'correlation.type is missing or not one of the Sigma 2.1 correlation types.' },
  CORRELATION_RULES_INVALID: { status: 400, summary: 'correlation.rules is missing, empty, not a list of names/ids, or repeats an entry.' },
  CORRELATION_TIMESPAN_INVALID: { status: 400, summary: 'correlation.timespan is missing or not a positive number followed by s, m, h, d or w.' },
  CORRELATION_CONDITION_INVALID: { status: 400, summary: 'correlation.condition is missing where required, has an unknown operator, a non-numeric threshold, an impossible range or lacks `field`.' },
  CORRELATION_GROUPBY_INVALID: { status: 400, summary: 'correlation.group-by is not a field name or a list of distinct field names.' },
  CORRELATION_ALIAS_INVALID: { status: 400, summary: 'correlation.aliases is not a map of alias -> {rule name/id: field}, or names a rule the correlation does not reference.' },
  CORRELATION_RULE_NOT_FOUND: { status: 400, summary: 'A correlation references a rule (by id or name) that is not loaded.' },
  CORRELATION_CYCLE: { status: 400, summary: 'Correlation rules reference each other in a cycle.' },
  CORRELATION_DUPLICATE: { status: 400, summary: 'Two correlation rules share an id or a name.' },
  CORRELATION_OPTIONS_INVALID: { status: 500, summary: 'The correlation engine options failed validation.' },
} as const satisfies Record<string, ErrorCodeSpec>;
