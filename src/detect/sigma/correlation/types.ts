/**
 * Public types of Sigma correlation rules (Sigma specification 2.1, "correlation rules").
 * See docs/sigma-correlation.md for the semantics the engine implements.
 */
import type { Level } from '../../../core/signal.js';

/** The seven correlation types of Sigma 2.1, plus pySigma's `value_median` (= percentile 50). */
export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const CONDITION_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/**
 * `condition:` of a correlation. All given operators must hold (AND), e.g. `{gt: 100, lte: 200}`.
 * For temporal types without a condition the parser sets `{gte: <number of rules>}`.
 */
export interface CorrelationCondition {
  ops: Partial<Record<ConditionOperator, number>>;
  /** value_* types: the field(s) aggregated. value_count accepts several (distinct tuples). */
  field?: string[];
  /**
   * value_percentile / value_median: which percentile (0..100) of the numeric field is compared
   * with the operators. When absent on value_percentile, the "share" reading applies: each distinct
   * value's share (in %) of the group's events is compared (see docs).
   */
  percentile?: number;
}

/** A validated correlation rule. */
export interface CorrelationRule {
  /** `id` of the document, else `name`, else a stable hash of file and title. Unique in an engine. */
  id: string;
  /** True when `id` was given in the document. */
  hasId: boolean;
  name?: string;
  title: string;
  description?: string;
  status?: string;
  /** `level`, or undefined (hits then use the highest level of the referenced rules, else `medium`). */
  level?: Level;
  tags: string[];
  type: CorrelationType;
  /** Referenced rules (Sigma rule or correlation), by id or name, in the order given. */
  rules: string[];
  /** Field names or alias names; empty = one group for everything. */
  groupBy: string[];
  /** alias name -> (rule reference as written in `rules` / by id or name -> field name). */
  aliases: Record<string, Record<string, string>>;
  /** Timespan in milliseconds, and as written. */
  timespanMs: number;
  timespanText: string;
  condition: CorrelationCondition;
  /** `generate` (top level or inside `correlation:`), default false. */
  generate: boolean;
  falsepositives: string[];
  /** Where the document came from. */
  source: { file: string; line?: number };
}

/** Location handed to the parser. `lineOf` lets a YAML loader report the line of a nested key. */
export interface CorrelationWhere {
  file: string;
  /** Line of the document start. */
  line?: number;
  /** Optional: line of a key path inside the document, e.g. ['correlation', 'timespan']. */
  lineOf?: (path: (string | number)[]) => number | undefined;
}

/** A match of a Sigma rule, as handed to the engine by the matcher (or read back from storage). */
export interface CorrelationMatch {
  /** Id of the Sigma rule that matched. */
  ruleId: string;
  /** `name` of that rule, if it has one (lets correlations reference it by name without a resolver). */
  ruleName?: string;
  /** Event time, ms since the epoch. */
  time: number;
  /** Stored event id (evidence). */
  eventId: string;
  /** Field access through the rule's field mapping (the processing pipeline); undefined when absent. */
  get(field: string): unknown;
}

/** What a reference in `correlation.rules` resolves to. */
export interface ResolvedRule {
  id: string;
  name?: string;
  level?: Level;
}

/**
 * Resolves a reference (rule id or rule name) to a loaded Sigma (detection) rule.
 * Correlation rules handed to the engine are resolved by the engine itself; the resolver is asked
 * only for the rest. Return undefined for unknown references.
 */
export type RuleResolver = (ref: string) => ResolvedRule | undefined;

/** A fired correlation: enough to build a `sigma_correlation` Signal (see hitToSignal). */
export interface CorrelationHit {
  /** Correlation rule id (`CorrelationRule.id`). */
  ruleId: string;
  name?: string;
  title: string;
  level: Level;
  tags: string[];
  type: CorrelationType;
  /** group-by field (or alias) -> value of the group; null when the field was missing (missingGroupBy: 'null'). */
  groupBy: Record<string, string | null>;
  /** Time span the contributing events cover (ms): first and last contributing event. */
  window: { start: number; end: number };
  /** Time the hit is stamped with: the last event (sliding hits) or the window end (window-end hits). */
  time: number;
  /** The aggregated value the condition was tested on (count, distinct count, sum, avg, percentile, share %, number of rules). */
  value: number;
  condition: CorrelationCondition;
  /**
   * Contributing event ids, at most `maxEventIds` (the most recent ones for sliding event_count, the
   * first ones otherwise; a chain passes on its inner hits' ids), and how many contributions there were.
   */
  eventIds: string[];
  eventCount: number;
  /** Ids of the Sigma rules (or correlations) whose matches contributed. */
  ruleIds: string[];
  /** Whether this hit should become a signal: false for an intermediate correlation of a chain whose parent has generate: false. */
  emit: boolean;
  /** value_percentile (share reading): the values whose share satisfied the condition, with their share in %. */
  values?: { value: string; share: number }[];
}

/** Engine counters (all cumulative except `groups` and `buffered`). */
export interface CorrelationStats {
  /** observe() calls. */
  observed: number;
  /** Matches released from the reorder buffer and applied. */
  processed: number;
  /** Matches older than the release point (beyond the lateness tolerance): dropped. */
  late: number;
  /** Matches with a non-finite time or no rule id / event id: dropped. */
  invalid: number;
  /** Matches for rules no correlation references. */
  unreferenced: number;
  /** (match, correlation) pairs skipped because a group-by field was missing (missingGroupBy: 'skip'). */
  missingGroupBy: number;
  /** (match, correlation) pairs skipped because the aggregated field was missing or not numeric. */
  missingValue: number;
  /** Group states alive now, over all correlations. */
  groups: number;
  /** Groups dropped by the per-correlation LRU cap (state lost: possible false negatives). */
  evictedLru: number;
  /** Groups dropped because their window expired (normal). */
  expired: number;
  /** Per-group entries dropped because a group exceeded `maxEntriesPerGroup`. */
  truncatedEntries: number;
  /** Open window-end windows (heap entries, including evicted ones not yet purged). */
  windows: number;
  /** Matches waiting in the reorder buffer now. */
  buffered: number;
  /** Matches released early because the buffer exceeded `maxBuffered`. */
  forcedReleases: number;
  /** Hits produced (emitted or not). */
  hits: number;
  /** Hits not emitted (intermediate correlations of a chain). */
  suppressedHits: number;
}
