/**
 * Investigation plans are data: YAML files validated with zod. Every problem (YAML syntax, schema,
 * unknown step type, bad params, duplicate ids) is collected with file:line and reported at once
 * as INVESTIGATE_PLAN_INVALID. The first file is the base plan; later files append steps (and may
 * not redefine ids), so a detection engineer adds steps without touching the engine.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../core/errors.js';
import type { EntityKind, Incident } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { STEP_TYPES } from './steps/registry.js';
import { globMatch } from './verdict/glob.js';
import { yamlLineOf as lineOf } from '../core/yaml.js';

const ENTITY_KINDS = ['host', 'user', 'ip', 'domain', 'url', 'process', 'file', 'hash', 'registry', 'cloud_identity'] as const;

export const WhenSchema = z
  .object({
    entities: z.array(z.enum(ENTITY_KINDS)).max(16).optional(),
    tactics: z.array(z.string().min(1).max(32)).max(64).optional(),
    /** Globs over detector ids (`*` only). */
    detectors: z.array(z.string().min(1).max(256)).max(256).optional(),
    kinds: z.array(z.enum(['sigma', 'sigma_correlation', 'anomaly', 'intel'])).max(4).optional(),
  })
  .strict();

export const LimitsSchema = z
  .object({
    stepTimeoutMs: z.number().int().min(10).max(600_000).default(15_000),
    maxQueriesPerStep: z.number().int().min(1).max(10_000).default(60),
    maxEventsPerQuery: z.number().int().min(1).max(10_000).default(2000),
    windowBeforeMs: z.number().int().min(0).max(30 * 86_400_000).default(3_600_000),
    windowAfterMs: z.number().int().min(0).max(30 * 86_400_000).default(3_600_000),
    lookbackMs: z.number().int().min(0).max(365 * 86_400_000).default(14 * 86_400_000),
  })
  .strict();

export const StepSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ and -'),
    type: z.string().min(1).max(64),
    title: z.string().min(1).max(200).optional(),
    when: WhenSchema.optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    /** Override of the plan's step timeout. */
    timeoutMs: z.number().int().min(10).max(600_000).optional(),
  })
  .strict();

export const PlanFileSchema = z
  .object({
    name: z.string().min(1).max(100),
    version: z.number().int().min(1).default(1),
    limits: LimitsSchema.prefault({}),
    steps: z.array(StepSchema).max(200),
  })
  .strict();

export type PlanStep = z.output<typeof StepSchema>;
export type Plan = z.output<typeof PlanFileSchema>;
export type PlanLimits = z.output<typeof LimitsSchema>;

export const DEFAULT_PLAN_FILE = fileURLToPath(new URL('./plans/default.yaml', import.meta.url));


/** Parses one plan file's text; adds problems (with file:line) and returns the plan when valid. */
export function parsePlanText(text: string, file: string, problems: ProblemList): Plan | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const add = (msg: string, path: (string | number)[], line?: number) =>
    problems.add(new GarrisonError('INVESTIGATE_PLAN_INVALID', msg, { location: { file, line: line ?? lineOf(doc, lc, path), field: path.join('.') || undefined } }));
  for (const err of doc.errors) add(`YAML: ${err.message.split('\n')[0]}`, [], lc.linePos(err.pos[0]).line);
  if (doc.errors.length) return undefined;
  const raw = doc.toJS() as { steps?: unknown } | null;
  const res = PlanFileSchema.safeParse(raw);
  if (!res.success) {
    for (const i of res.error.issues) {
      const p = i.path.filter((x): x is string | number => typeof x !== 'symbol');
      add(`${p.join('.') || '(root)'}: ${i.message}`, p);
    }
  }
  // step types and params are checked on the raw steps too, so every problem is listed at once
  let ok = res.success;
  const rawSteps = Array.isArray(raw?.steps) ? (raw!.steps as unknown[]) : [];
  rawSteps.forEach((st, i) => {
    if (!st || typeof st !== 'object') return;
    const s = st as { type?: unknown; params?: unknown };
    if (typeof s.type !== 'string') return;
    const mod = STEP_TYPES[s.type];
    if (!mod) {
      add(`steps.${i}.type: unknown step type '${s.type}' (known: ${Object.keys(STEP_TYPES).join(', ')})`, ['steps', i, 'type']);
      ok = false;
      return;
    }
    const pr = mod.params.safeParse(s.params ?? {});
    if (!pr.success) {
      ok = false;
      for (const iss of pr.error.issues) {
        const p = ['steps', i, 'params', ...iss.path.filter((x): x is string | number => typeof x !== 'symbol')];
        add(`${p.join('.')}: ${iss.message}`, p);
      }
    } else if (res.success) res.data.steps[i].params = pr.data as Record<string, unknown>;
  });
  if (!ok || !res.success) return undefined;
  const plan = res.data;
  return plan;
}

/** Loads and merges plan files (base first); throws INVESTIGATE_PLAN_INVALID listing every problem. */
export function loadPlan(files: readonly string[] = [DEFAULT_PLAN_FILE]): Plan {
  const problems = new ProblemList();
  let base: Plan | undefined;
  const ids = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.add(new GarrisonError('INVESTIGATE_PLAN_INVALID', `cannot read: ${(e as Error).message}`, { location: { file } }));
      continue;
    }
    const p = parsePlanText(text, file, problems);
    if (!p) continue;
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc });
    p.steps.forEach((s, i) => {
      const prev = ids.get(s.id);
      if (prev) problems.add(new GarrisonError('INVESTIGATE_PLAN_INVALID', `steps.${i}.id: step id '${s.id}' is already defined in ${prev}`, { location: { file, line: lineOf(doc, lc, ['steps', i, 'id']), field: `steps.${i}.id` } }));
      else ids.set(s.id, file);
    });
    if (!base) base = p;
    else base = { ...base, steps: [...base.steps, ...p.steps] };
  }
  if (!problems.ok || !base) {
    throw new GarrisonError('INVESTIGATE_PLAN_INVALID', `investigation plan: ${problems.problems.length} problem(s):\n${problems.format()}`, {
      location: problems.problems[0]?.location,
      details: { problems: problems.problems.map((p) => p.toJSON()) },
    });
  }
  return base;
}

/** Whether a step applies to an incident (entity kinds, tactics, detectors, signal kinds). */
export function stepApplies(step: PlanStep, incident: Incident, signals: Signal[]): boolean {
  const w = step.when;
  if (!w) return true;
  if (w.entities) {
    const kinds = new Set<EntityKind>((incident.entities ?? []).map((e) => e.kind));
    for (const s of signals) {
      if (s.entities.host) kinds.add('host');
      if (s.entities.user || s.entities.targetUser) kinds.add('user');
      if (s.entities.process) kinds.add('process');
      if (s.entities.srcIp || s.entities.dstIp) kinds.add('ip');
      if (s.entities.domain) kinds.add('domain');
      if (s.entities.url) kinds.add('url');
      if (s.entities.file) kinds.add('file');
      if (s.entities.registry) kinds.add('registry');
    }
    if (!w.entities.some((k) => kinds.has(k))) return false;
  }
  if (w.tactics) {
    const t = new Set([...(incident.attack?.tactics ?? []), ...signals.flatMap((s) => s.attack.tactics)]);
    if (!w.tactics.some((x) => t.has(x))) return false;
  }
  if (w.detectors && !signals.some((s) => w.detectors!.some((g) => globMatch(g, s.detector)))) return false;
  if (w.kinds && !signals.some((s) => w.kinds!.includes(s.kind))) return false;
  return true;
}
