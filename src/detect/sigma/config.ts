/**
 * Configuration of the Sigma engine (zod): which rules run, exceptions, placeholders, pipelines.
 */
import { z } from 'zod';
import { GarrisonError } from '../../core/errors.js';
import { LEVELS } from '../../core/signal.js';
import { PIPELINES } from '../pipelines/index.js';

const yamlish: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(yamlish), z.record(z.string(), yamlish)]),
);

export const SigmaExceptionSchema = z
  .object({
    /** Rule ids or names the exception applies to; `*` = every rule. */
    rules: z.array(z.string().min(1)).min(1),
    /** Sigma search identifiers (as under `detection:`). */
    detection: z.record(z.string(), yamlish),
    /** Sigma condition over those identifiers; events it matches are suppressed for the rules. */
    condition: z.string().min(1),
    reason: z.string().optional(),
  })
  .strict();

export const SigmaConfigSchema = z
  .object({
    /** When given, only these rule ids/names run. */
    enabled: z.array(z.string()).optional(),
    /** Rule ids/names that never run. */
    disabled: z.array(z.string()).default([]),
    /** Rules below this level are not loaded into the matcher. */
    minLevel: z.enum(LEVELS as unknown as [string, ...string[]]).optional(),
    /** Rule statuses that are skipped (e.g. deprecated, unsupported). */
    skipStatus: z.array(z.string()).default(['deprecated', 'unsupported']),
    exceptions: z.array(SigmaExceptionSchema).default([]),
    /** Values for `|expand` placeholders: name (without %) -> values. */
    placeholders: z.record(z.string(), z.array(z.string())).default({}),
    /** Processing pipelines, by name (all shipped ones by default). */
    pipelines: z.array(z.enum(Object.keys(PIPELINES) as [string, ...string[]])).optional(),
  })
  .strict();

export type SigmaConfig = z.infer<typeof SigmaConfigSchema>;
export type SigmaConfigInput = z.input<typeof SigmaConfigSchema>;
export type SigmaException = z.infer<typeof SigmaExceptionSchema>;

export function parseSigmaConfig(input: unknown): SigmaConfig {
  const r = SigmaConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
  throw new GarrisonError('SIGMA_CONFIG_INVALID', `invalid Sigma configuration: ${msg}`, {
    details: { issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  });
}
