/**
 * Configuration of the correlation engine (zod schema). Every bound on memory lives here.
 */
import { z } from 'zod';
import { GarrisonError } from '../../../core/errors.js';

export const CorrelationOptionsSchema = z
  .object({
    /**
     * Out-of-order tolerance in ms. A match is held in a reorder buffer until a match at least
     * `lateness` ms newer has been seen (or flush() passes it), then applied in time order. A match
     * older than what has already been applied is dropped and counted in `stats().late`.
     * 0 = apply as soon as a strictly newer match arrives (equal timestamps are still ordered).
     */
    lateness: z.number().int().min(0).max(86_400_000).default(5_000),
    /** Reorder buffer cap: beyond it the oldest matches are applied early (`forcedReleases`). */
    maxBuffered: z.number().int().min(1).max(10_000_000).default(200_000),
    /** Live groups per correlation rule; the least recently updated group is evicted beyond it. */
    maxGroups: z.number().int().min(1).max(10_000_000).default(200_000),
    /** Entries (events, distinct values, numbers) kept per group. */
    maxEntriesPerGroup: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Event ids carried in a hit. */
    maxEventIds: z.number().int().min(1).max(100_000).default(100),
    /** Longest group-by / value text kept verbatim; longer ones are keyed by prefix + SHA-1. */
    maxValueLength: z.number().int().min(16).max(1_000_000).default(1_024),
    /** A match lacking a group-by field is skipped ('skip', the SIEM `stats ... by` behaviour) or grouped under null. */
    missingGroupBy: z.enum(['skip', 'null']).default('skip'),
    /** Also return hits of intermediate correlations (emit: false) from observe()/flush(). */
    includeSuppressed: z.boolean().default(false),
  })
  .strict();

export type CorrelationOptions = z.infer<typeof CorrelationOptionsSchema>;
export type CorrelationOptionsInput = z.input<typeof CorrelationOptionsSchema>;

/** Validates engine options; throws CORRELATION_OPTIONS_INVALID listing every problem. */
export function parseCorrelationOptions(input: unknown): CorrelationOptions {
  const r = CorrelationOptionsSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
  throw new GarrisonError('CORRELATION_OPTIONS_INVALID', `invalid correlation options: ${msg}`, {
    details: { issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  });
}
