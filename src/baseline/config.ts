/**
 * Baseline configuration: one section per model (each model's own zod schema) plus stage-wide
 * settings. `loadBaselineConfigFile` reads YAML and reports every problem with file:line.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../core/errors.js';
import { MODELS } from './registry.js';
import { checkGlob } from './util.js';

export const baselineConfigSchema = z.object({
  models: z
    .object({
      rarity: MODELS.rarity.schema.strict().prefault({}),
      peer: MODELS.peer.schema.strict().prefault({}),
      time: MODELS.time.schema.strict().prefault({}),
      volume: MODELS.volume.schema.strict().prefault({}),
      beaconing: MODELS.beaconing.schema.strict().prefault({}),
      dns: MODELS.dns.schema.strict().prefault({}),
      auth: MODELS.auth.schema.strict().prefault({}),
    })
    .strict()
    .prefault({}),
  /** Glob patterns over anomaly patterns dropped for every model. */
  allow: z.array(z.string().min(1).max(512)).max(10_000).default([]),
  /** Default score multiplier of one analyst "benign" mark. */
  feedbackFactor: z.number().min(0).max(1).default(0.5),
  /** Most patterns remembered for cooldown de-duplication. */
  maxCooldownKeys: z.number().int().positive().default(200_000),
  /** Most analyst feedback entries kept; beyond it the oldest is dropped (audited). Each is checked per candidate anomaly. */
  maxFeedback: z.number().int().positive().max(100_000).default(5_000),
  /** Most audit records kept in the snapshot (the store's hash-chained audit log keeps them all). */
  maxAuditRecords: z.number().int().positive().max(1_000_000).default(10_000),
}).strict();

export type BaselineConfig = z.output<typeof baselineConfigSchema>;
export type BaselineConfigInput = z.input<typeof baselineConfigSchema>;

function globProblems(cfg: BaselineConfig, problems: ProblemList, lineOf: (path: (string | number)[]) => number | undefined, file?: string): void {
  const check = (list: string[], path: (string | number)[]) =>
    list.forEach((g, i) => {
      const e = checkGlob(g, [...path, i].join('.'));
      if (e) problems.add(new GarrisonError(e.code, e.message, { location: { file, line: lineOf([...path, i]), field: [...path, i].join('.') } }));
    });
  check(cfg.allow, ['allow']);
  for (const [name, m] of Object.entries(cfg.models)) check((m as { allow: string[] }).allow, ['models', name, 'allow']);
}

function fail(problems: ProblemList, file?: string): never {
  throw new GarrisonError('BASELINE_CONFIG_INVALID', `baseline configuration is invalid:\n${problems.format()}`, {
    location: file ? { file } : undefined,
    details: { problems: problems.problems.map((p) => p.toJSON()) },
  });
}

/** Validates a config object; all problems are collected into one BASELINE_CONFIG_INVALID. */
export function parseBaselineConfig(input: unknown, file?: string, lineOf: (path: (string | number)[]) => number | undefined = () => undefined): BaselineConfig {
  const r = baselineConfigSchema.safeParse(input ?? {});
  const problems = new ProblemList();
  if (!r.success) {
    for (const i of r.error.issues) {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      problems.add(
        new GarrisonError('BASELINE_CONFIG_INVALID', `${path.join('.') || '(root)'}: ${i.message}`, {
          location: { file, line: lineOf(path), field: path.join('.') },
        }),
      );
    }
    fail(problems, file);
  }
  globProblems(r.data, problems, lineOf, file);
  if (!problems.ok) fail(problems, file);
  return r.data;
}

/** Reads a YAML (or JSON) baseline config file; problems carry file:line. */
export function loadBaselineConfigFile(file: string): BaselineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GarrisonError('CONFIG_NOT_FOUND', `baseline config ${file} cannot be read: ${(e as Error).message}`, { location: { file } });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const problems = new ProblemList();
    for (const e of doc.errors)
      problems.add(new GarrisonError('BASELINE_CONFIG_INVALID', e.message.split('\n')[0], { location: { file, line: e.linePos?.[0]?.line } }));
    fail(problems, file);
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return parseBaselineConfig(doc.toJS() ?? {}, file, lineOf);
}
