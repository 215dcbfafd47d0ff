/**
 * Configuration of the Sigma engine (zod): which rules run, exceptions, placeholders, pipelines.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../../core/errors.js';
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
    /**
     * Values for `|expand` placeholders: name (without %) -> values (Sigma strings: wildcards work).
     * The key `*` gives the values of every placeholder not defined here (`['*']`: any value, as
     * pySigma's wildcard placeholders; `[]`: matches nothing). Without it, a rule naming an
     * undefined placeholder is rejected (SIGMA_PLACEHOLDER_UNKNOWN), as the Sigma specification asks.
     */
    placeholders: z.record(z.string(), z.array(z.string().max(4096)).max(10_000)).default({}),
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

/**
 * Reads a Sigma engine configuration file (YAML or JSON; the object itself, or a Garrison config
 * holding it under `sigma.rules`). Every problem is reported with file:line in one
 * SIGMA_CONFIG_INVALID.
 */
export function loadSigmaConfigFile(file: string): SigmaConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GarrisonError('SIGMA_CONFIG_INVALID', `cannot read Sigma configuration ${file}: ${(e as Error).message}`, { location: { file } });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  const pl = new ProblemList();
  for (const e of doc.errors) pl.add(new GarrisonError('SIGMA_CONFIG_INVALID', `YAML: ${e.message.split('\n')[0]}`, { location: { file, line: e.linePos?.[0]?.line } }));
  if (!pl.ok) throw new GarrisonError('SIGMA_CONFIG_INVALID', pl.format(), { location: { file }, details: { problems: pl.problems.map((p) => p.toJSON()) } });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new GarrisonError('SIGMA_CONFIG_INVALID', `${file}: ${(e as Error).message}`, { location: { file } });
  }
  const nested = value && typeof value === 'object' && 'sigma' in value ? (value as { sigma?: { rules?: unknown } }).sigma?.rules : undefined;
  const prefix = nested !== undefined ? ['sigma', 'rules'] : [];
  const r = SigmaConfigSchema.safeParse((nested ?? value) ?? {});
  if (r.success) return r.data;
  const found: GarrisonError[] = [];
  for (const i of r.error.issues) {
    const path = [...prefix, ...i.path.map((x) => (typeof x === 'number' ? x : String(x)))];
    let line: number | undefined;
    for (let n = path.length; n > 0 && line === undefined; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) line = lc.linePos(node.range[0]).line;
    }
    found.push(new GarrisonError('SIGMA_CONFIG_INVALID', `${path.join('.') || '(config)'}: ${i.message}`, { location: { file, line } }));
  }
  for (const g of found.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0))) pl.add(g);
  throw new GarrisonError('SIGMA_CONFIG_INVALID', pl.format(), { location: { file }, details: { problems: pl.problems.map((p) => p.toJSON()) } });
}
