/**
 * The weights gap analysis ranks by: technique prevalence in the simulator's campaigns (what the
 * scenarios exercise), threat-intel weights loaded from a file, and asset criticality.
 *
 * File format (YAML or JSON):
 *
 *   techniques:                 # e.g. from threat-intel reports
 *     - { id: T1530, weight: 3, source: "report: cloud data theft 2026" }
 *   assets:                     # host name globs (* and ?) with criticality 1..5
 *     - { match: "db*", criticality: 5 }
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../core/errors.js';
import { CAMPAIGNS } from '../sim/campaigns.js';
import { normalizeTechniqueId } from './attack.js';

export const WeightsFileSchema = z
  .object({
    techniques: z
      .array(
        z
          .object({
            id: z.string().refine((s) => normalizeTechniqueId(s) !== undefined, 'not an ATT&CK technique id (T1234 or T1234.001)'),
            weight: z.number().min(0).max(100).default(1),
            source: z.string().max(500).optional(),
          })
          .strict(),
      )
      .max(10_000)
      .default([]),
    assets: z
      .array(
        z
          .object({
            match: z.string().min(1).max(256).refine((s) => (s.match(/[*?]/g) ?? []).length <= 16, 'at most 16 wildcards'),
            criticality: z.number().int().min(1).max(5),
          })
          .strict(),
      )
      .max(10_000)
      .default([]),
  })
  .strict();
export type WeightsFile = z.infer<typeof WeightsFileSchema>;

export interface Weights {
  /** Technique -> intel weight (sum over entries), with sources. */
  intel: Map<string, { weight: number; sources: string[] }>;
  assets: { match: string; criticality: number }[];
}

/**
 * Glob match (`*` any run, `?` one character), case-insensitive, O(len(s) x len(p)) worst case:
 * the classic two-pointer algorithm that backtracks only to the last star (no regex engine).
 */
export function globMatch(pattern: string, s: string): boolean {
  const p = pattern.toLowerCase();
  const t = s.toLowerCase();
  let i = 0, j = 0, star = -1, mark = 0;
  while (i < t.length) {
    if (j < p.length && (p[j] === '?' || p[j] === t[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === '*') {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (j < p.length && p[j] === '*') j++;
  return j === p.length;
}

export function emptyWeights(): Weights {
  return { intel: new Map(), assets: [] };
}

/** Validates a parsed weights document; `lineOf` maps a path to a line for messages. */
export function parseWeights(input: unknown, file = '(weights)', lineOf?: (path: (string | number)[]) => number | undefined): Weights {
  const r = WeightsFileSchema.safeParse(input ?? {});
  if (!r.success) {
    const pl = new ProblemList();
    for (const i of r.error.issues) {
      const path = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
      pl.add(new GarrisonError('COVERAGE_WEIGHTS_INVALID', `${path.join('.') || '(file)'}: ${i.message}`, { location: { file, line: lineOf?.(path) } }));
    }
    throw new GarrisonError('COVERAGE_WEIGHTS_INVALID', pl.format(), { location: { file }, details: { problems: pl.problems.map((p) => ({ line: p.location?.line, message: p.message })) } });
  }
  const w = emptyWeights();
  for (const t of r.data.techniques) {
    const id = normalizeTechniqueId(t.id)!;
    const cur = w.intel.get(id) ?? { weight: 0, sources: [] };
    cur.weight += t.weight;
    if (t.source) cur.sources.push(t.source);
    w.intel.set(id, cur);
  }
  w.assets = r.data.assets.map((a) => ({ ...a }));
  return w;
}

/** Reads a weights file (YAML or JSON); every problem is reported with file:line. */
export function loadWeightsFile(file: string): Weights {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GarrisonError('COVERAGE_WEIGHTS_INVALID', `cannot read ${file}: ${(e as Error).message}`, { location: { file } });
  }
  if (text.length > 8 * 1024 * 1024) throw new GarrisonError('COVERAGE_WEIGHTS_INVALID', `${file} is larger than 8 MiB`, { location: { file } });
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const pl = new ProblemList();
    for (const e of doc.errors) pl.add(new GarrisonError('COVERAGE_WEIGHTS_INVALID', e.message.split('\n')[0], { location: { file, line: e.linePos?.[0]?.line } }));
    throw new GarrisonError('COVERAGE_WEIGHTS_INVALID', pl.format(), { location: { file } });
  }
  const lineOf = (path: (string | number)[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return parseWeights(doc.toJS({ maxAliasCount: 100 }), file, lineOf);
}

/** Technique -> number of simulator campaigns that use it (the scenarios' prevalence). */
export function campaignPrevalence(): Map<string, { campaigns: string[] }> {
  const m = new Map<string, { campaigns: string[] }>();
  for (const c of Object.values(CAMPAIGNS)) {
    for (const t of new Set(c.steps.map((s) => s.technique))) {
      const cur = m.get(t) ?? { campaigns: [] };
      cur.campaigns.push(c.id);
      m.set(t, cur);
    }
  }
  return m;
}

/** Highest criticality of the given hosts under the asset globs (1 when none matches). */
export function criticalityOf(w: Weights, hosts: Iterable<string>): { criticality: number; host?: string } {
  let best = { criticality: 1 } as { criticality: number; host?: string };
  for (const h of hosts) {
    const k = h.toLowerCase();
    for (const a of w.assets) if (a.criticality > best.criticality && globMatch(a.match, k)) best = { criticality: a.criticality, host: h };
  }
  return best;
}
