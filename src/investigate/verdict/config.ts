/** The verdict model's weights and thresholds: YAML validated with zod, every problem with file:line. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import { yamlLineOf as lineOf } from '../../core/yaml.js';

const w = (d: number) => z.number().min(-100).max(100).default(d);

export const WeightsSchema = z
  .object({
    level: z.object({ informational: w(0), low: w(0.5), medium: w(1), high: w(2.5), critical: w(4) }).strict().prefault({}),
    extra_detector: w(0.5),
    extra_detector_cap: w(2),
    tactic_progression: w(0.75),
    tactic_progression_cap: w(3),
    high_impact_tactic: w(1.5),
    intel_hit: w(4),
    office_spawns_shell: w(1.5),
    user_writable_execution: w(1),
    persistence_user_writable: w(1),
    writable_executables_written: w(0.5),
    rare_external: w(1),
    new_program: w(0.5),
    spread: w(1.5),
    other_detections_high: w(2),
    other_detections: w(0.25),
    unusual_host_for_user: w(0.75),
    unusual_hour: w(0.75),
    crown_jewel: w(0.5),
    analyst_malicious_pattern: w(3),
    detector_high_precision: w(1),
    privileged_admin: w(-1.5),
    service_account: w(-1),
    known_admin_tool: w(-1.5),
    single_detection: w(-0.75),
    anomaly_only: w(-1),
    no_followup: w(-0.75),
    common_in_fleet: w(-0.75),
    known_user_host: w(-0.5),
    own_egress_source: w(-1.5),
    known_source: w(-1),
    own_host: w(-1),
    analyst_benign_pattern: w(-3),
    analyst_benign_similar: w(-1.5),
    detector_low_precision: w(-1.5),
  })
  .strict();

export const VerdictConfigSchema = z
  .object({
    thresholds: z.object({ malicious: z.number().default(4), benign: z.number().default(-1) }).strict().prefault({}),
    autoClose: z
      .object({
        maxLevel: z.enum(['informational', 'low', 'medium', 'high', 'critical']).default('medium'),
        maxTactics: z.number().int().min(1).max(20).default(2),
      })
      .strict()
      .prefault({}),
    weights: WeightsSchema.prefault({}),
    params: z
      .object({
        fleetCommonHosts: z.number().int().min(1).default(5),
        fleetCommonUsers: z.number().int().min(1).default(5),
        spreadMaxHosts: z.number().int().min(1).default(4),
        highPrecision: z.number().min(0).max(1).default(0.8),
        lowPrecision: z.number().min(0).max(1).default(0.3),
        confidenceScale: z.number().positive().default(2),
      })
      .strict()
      .prefault({}),
    adminTools: z.array(z.string().min(1).max(256)).max(1000).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.thresholds.benign >= c.thresholds.malicious) ctx.addIssue({ code: 'custom', path: ['thresholds', 'benign'], message: 'must be below thresholds.malicious' });
  });

export type VerdictConfig = z.output<typeof VerdictConfigSchema>;
export type VerdictConfigInput = z.input<typeof VerdictConfigSchema>;
export type WeightName = keyof z.output<typeof WeightsSchema>;

export const DEFAULT_WEIGHTS_FILE = fileURLToPath(new URL('./weights.yaml', import.meta.url));


export function parseVerdictConfigText(text: string, file: string): VerdictConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems = new ProblemList();
  for (const err of doc.errors) problems.add(new GarrisonError('INVESTIGATE_CONFIG_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line: lc.linePos(err.pos[0]).line } }));
  if (problems.ok) {
    const r = VerdictConfigSchema.safeParse(doc.toJS() ?? {});
    if (r.success) return r.data;
    for (const i of r.error.issues) {
      const p = i.path.filter((x): x is string | number => typeof x !== 'symbol');
      problems.add(new GarrisonError('INVESTIGATE_CONFIG_INVALID', `${p.join('.') || '(root)'}: ${i.message}`, { location: { file, line: lineOf(doc, lc, p), field: p.join('.') } }));
    }
  }
  throw new GarrisonError('INVESTIGATE_CONFIG_INVALID', `verdict configuration: ${problems.problems.length} problem(s):\n${problems.format()}`, {
    location: problems.problems[0]?.location,
    details: { problems: problems.problems.map((p) => p.toJSON()) },
  });
}

export function loadVerdictConfig(file: string = DEFAULT_WEIGHTS_FILE): VerdictConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GarrisonError('INVESTIGATE_CONFIG_INVALID', `cannot read ${file}: ${(e as Error).message}`, { location: { file } });
  }
  return parseVerdictConfigText(text, file);
}

export function verdictConfig(input?: VerdictConfigInput | VerdictConfig): VerdictConfig {
  if (input === undefined) return loadVerdictConfig();
  const r = VerdictConfigSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new GarrisonError('INVESTIGATE_CONFIG_INVALID', `verdict configuration:\n${lines.join('\n')}`, { details: { problems: lines } });
  }
  return r.data;
}
