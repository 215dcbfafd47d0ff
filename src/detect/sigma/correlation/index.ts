/**
 * Sigma correlation rules (Sigma specification 2.1): parsing, the live engine, the retro-hunt and
 * the conversion of hits into `sigma_correlation` signals. Semantics: docs/sigma-correlation.md.
 *
 * Typical use by the Sigma loader/matcher:
 * ```ts
 * import { parseCorrelationRule, CorrelationEngine, hitToSignal } from './correlation/index.js';
 * // loader: for every YAML document that has a `correlation:` key
 * const { rule, problems } = parseCorrelationRule(doc, { file, line });
 * // after loading: references by id or name; correlations may reference correlations
 * const engine = new CorrelationEngine(correlationRules, (ref) => rulesByIdOrName.get(ref), { lateness: 5000 });
 * problems.push(...engine.problems);
 * // matcher, per match of a Sigma rule (get() goes through the rule's field mapping)
 * for (const hit of engine.observe({ ruleId, ruleName, time, eventId, get })) signals.push(hitToSignal(hit, { tenant }));
 * if (!engine.isSuppressed(ruleId, ruleName)) signals.push(sigmaSignal); // `generate` semantics
 * // periodically, and with Infinity at the end of a finite input:
 * engine.flush(watermark);
 * ```
 */
import type { GarrisonError } from '../../../core/errors.js';
import { CorrelationEngine } from './engine.js';
import type { CorrelationOptionsInput } from './config.js';
import type { CorrelationHit, CorrelationMatch, CorrelationRule, CorrelationStats, RuleResolver } from './types.js';

export * from './types.js';
export { CORRELATION_CODES } from './correlation-codes.js';
export { CorrelationOptionsSchema, parseCorrelationOptions, type CorrelationOptions, type CorrelationOptionsInput } from './config.js';
export { parseCorrelationRule, parseTimespan, conditionHolds, isUpwardClosed, MAX_TIMESPAN_MS } from './parse.js';
export { CorrelationEngine } from './engine.js';
export { hitToSignal, type HitToSignalOptions } from './signal.js';

/** Result of a retro-hunt. */
export interface RetroHuntResult {
  hits: CorrelationHit[];
  stats: CorrelationStats;
  problems: GarrisonError[];
}

/**
 * Runs correlation rules over stored matches (a retro-hunt). `matches` should be sorted by time
 * (as a store returns them); disorder up to `options.lateness` ms (default 0 here) is reordered,
 * anything older is counted in `stats.late`. Gives exactly the hits the live engine gives on the
 * same matches, because both go through the same reorder-and-apply path; the input is consumed
 * lazily, so a store cursor can be passed.
 */
export function retroHunt(
  rules: readonly CorrelationRule[],
  resolver: RuleResolver | undefined,
  matches: Iterable<CorrelationMatch>,
  options: CorrelationOptionsInput = {},
): RetroHuntResult {
  const engine = new CorrelationEngine(rules, resolver, { lateness: 0, ...options });
  const hits: CorrelationHit[] = [];
  for (const m of matches) {
    const h = engine.observe(m);
    if (h.length > 0) hits.push(...h);
  }
  hits.push(...engine.flush(Infinity));
  return { hits, stats: engine.stats(), problems: engine.problems };
}

/** Async variant of retroHunt for store cursors that yield batches asynchronously. */
export async function retroHuntAsync(
  rules: readonly CorrelationRule[],
  resolver: RuleResolver | undefined,
  matches: AsyncIterable<CorrelationMatch> | Iterable<CorrelationMatch>,
  options: CorrelationOptionsInput = {},
): Promise<RetroHuntResult> {
  const engine = new CorrelationEngine(rules, resolver, { lateness: 0, ...options });
  const hits: CorrelationHit[] = [];
  for await (const m of matches) {
    const h = engine.observe(m);
    if (h.length > 0) hits.push(...h);
  }
  hits.push(...engine.flush(Infinity));
  return { hits, stats: engine.stats(), problems: engine.problems };
}
