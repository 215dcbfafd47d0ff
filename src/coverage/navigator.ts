/**
 * ATT&CK Navigator layer (layer format 4.5) from a coverage report, and a zod schema of that format
 * used to validate every layer Garrison writes. Colours: covered and validated (green), covered but
 * not validated (light green), covered by baseline only (teal), covered-but-blind (orange),
 * data-without-detection (yellow), uncovered (no colour, score 0).
 */
import { z } from 'zod';
import { GarrisonError } from '../core/errors.js';
import type { CoverageReport, TechniqueCoverage } from './coverage.js';

const hex = z.string().regex(/^#[0-9a-fA-F]{6}$/);
const metadataItem = z.union([z.object({ name: z.string(), value: z.string() }).strict(), z.object({ divider: z.boolean() }).strict()]);
const link = z.union([z.object({ label: z.string(), url: z.string() }).strict(), z.object({ divider: z.boolean() }).strict()]);

/** The Navigator layer format 4.5 (mitre-attack/attack-navigator layers/LAYERFORMATv4_5.md). */
export const NavigatorLayerSchema = z
  .object({
    name: z.string().min(1),
    versions: z.object({ attack: z.string().regex(/^\d+(\.\d+)?$/), navigator: z.string().regex(/^\d+\.\d+(\.\d+)?$/), layer: z.literal('4.5') }).strict(),
    domain: z.enum(['enterprise-attack', 'mobile-attack', 'ics-attack']),
    description: z.string().optional(),
    filters: z.object({ platforms: z.array(z.string()).optional() }).strict().optional(),
    sorting: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
    layout: z
      .object({
        layout: z.enum(['side', 'flat', 'mini']).optional(),
        aggregateFunction: z.enum(['average', 'min', 'max', 'sum']).optional(),
        showID: z.boolean().optional(),
        showName: z.boolean().optional(),
        showAggregateScores: z.boolean().optional(),
        countUnscored: z.boolean().optional(),
        expandedSubtechniques: z.enum(['all', 'annotated', 'none']).optional(),
      })
      .strict()
      .optional(),
    hideDisabled: z.boolean().optional(),
    techniques: z.array(
      z
        .object({
          techniqueID: z.string().regex(/^T\d{4}(\.\d{3})?$/),
          tactic: z.string().regex(/^[a-z-]+$/).optional(),
          score: z.number().optional(),
          color: z.union([hex, z.literal('')]).optional(),
          comment: z.string().optional(),
          enabled: z.boolean().optional(),
          metadata: z.array(metadataItem).optional(),
          links: z.array(link).optional(),
          showSubtechniques: z.boolean().optional(),
        })
        .strict(),
    ),
    gradient: z.object({ colors: z.array(hex).min(2), minValue: z.number(), maxValue: z.number() }).strict().optional(),
    legendItems: z.array(z.object({ label: z.string(), color: hex }).strict()).optional(),
    showTacticRowBackground: z.boolean().optional(),
    tacticRowBackground: hex.optional(),
    selectTechniquesAcrossTactics: z.boolean().optional(),
    selectSubtechniquesWithParent: z.boolean().optional(),
    selectVisibleTechniques: z.boolean().optional(),
    metadata: z.array(metadataItem).optional(),
    links: z.array(link).optional(),
  })
  .strict();
export type NavigatorLayer = z.infer<typeof NavigatorLayerSchema>;

export const NAVIGATOR_VERSION = '5.1.0';

export const STATE_STYLE = {
  validated: { score: 100, color: '#1a9850', label: 'covered, validated (tests, live firing or replayed campaign)' },
  unvalidated: { score: 80, color: '#91cf60', label: 'covered, not validated' },
  baseline: { score: 60, color: '#41b6c4', label: 'covered by a baseline model only' },
  blind: { score: 30, color: '#fc8d59', label: 'covered-but-blind: the rule has no usable telemetry' },
  dataOnly: { score: 15, color: '#fee08b', label: 'data-without-detection: telemetry arrives, nothing detects' },
} as const;

export function styleOf(t: TechniqueCoverage): { score: number; color: string; label: string } | undefined {
  if (t.state === 'covered') return t.detectedBy === 'baseline' ? STATE_STYLE.baseline : t.validated ? STATE_STYLE.validated : STATE_STYLE.unvalidated;
  if (t.state === 'covered-but-blind') return STATE_STYLE.blind;
  if (t.state === 'data-without-detection') return STATE_STYLE.dataOnly;
  return undefined;
}

const MAX_COMMENT = 2000;

/** Builds the layer; throws COVERAGE_LAYER_INVALID if it does not validate (a bug, never input). */
export function toNavigatorLayer(r: CoverageReport, opts: { name?: string } = {}): NavigatorLayer {
  const techniques: NavigatorLayer['techniques'] = [];
  for (const t of r.techniques) {
    const st = styleOf(t);
    const meta: { name: string; value: string }[] = [{ name: 'state', value: t.state }];
    if (t.detectedBy) meta.push({ name: 'detected by', value: t.detectedBy });
    if (t.state === 'covered') meta.push({ name: 'validated', value: t.validated ? 'yes' : 'no' });
    for (const d of t.detectors.slice(0, 12)) meta.push({ name: d.kind === 'model' ? 'model' : 'rule', value: `${d.title} [${d.enabled ? d.health : 'disabled'}]` });
    techniques.push({
      techniqueID: t.id,
      score: st?.score ?? 0,
      color: st?.color ?? '',
      comment: t.reason.length > MAX_COMMENT ? t.reason.slice(0, MAX_COMMENT - 1) + '…' : t.reason,
      enabled: true,
      metadata: meta,
      showSubtechniques: false,
    });
  }
  const s = r.summary;
  const layer = {
    name: opts.name ?? 'Garrison detection coverage',
    versions: { attack: r.attack.version.split('.')[0], navigator: NAVIGATOR_VERSION, layer: '4.5' as const },
    domain: 'enterprise-attack' as const,
    description: `Coverage that accounts for data, ${new Date(r.window.from).toISOString()} to ${new Date(r.window.to).toISOString()}: ${s.covered} covered (${s.validated} validated), ${s['covered-but-blind']} covered-but-blind, ${s['data-without-detection']} data-without-detection, ${s.uncovered} uncovered. ${r.attack.source}`,
    sorting: 3 as const,
    layout: { layout: 'side' as const, aggregateFunction: 'max' as const, showID: true, showName: true, showAggregateScores: true, countUnscored: false, expandedSubtechniques: 'annotated' as const },
    hideDisabled: false,
    techniques,
    gradient: { colors: ['#ffffff', '#fee08b', '#1a9850'], minValue: 0, maxValue: 100 },
    legendItems: Object.values(STATE_STYLE).map((x) => ({ label: x.label, color: x.color })),
    showTacticRowBackground: false,
    tacticRowBackground: '#dddddd',
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
    metadata: [
      { name: 'generated by', value: 'Garrison' },
      { name: 'generated at', value: new Date(r.generatedAt).toISOString() },
      { name: 'ATT&CK', value: r.attack.source },
    ],
  };
  const v = NavigatorLayerSchema.safeParse(layer);
  if (!v.success) throw new GarrisonError('COVERAGE_LAYER_INVALID', `generated Navigator layer is invalid: ${v.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return v.data;
}
