/**
 * SigmaHQ regression tests, judged the way SigmaHQ's CI judges them: for every
 * `regression_data/**\/info.yml`, the rule whose id is `rule_metadata[0].id` must match the events
 * of the sample at least `match_count` times (1 when absent). Log sources are mapped by the
 * Windows processing pipeline (the same mapping as SigmaHQ's tests/thor.yml).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GarrisonError } from '../../core/errors.js';
import type { EventSource } from '../../core/event.js';
import { loadRulePaths } from './loader.js';
import { SigmaMatcher } from './matcher.js';
import { flattenWindowsJson, splitConcatenatedJson } from './winjson.js';

export const SIGMAHQ_RULE_DIRS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-compliance', 'rules-dfir'] as const;

export interface RegressFailure {
  rule_id: string;
  title?: string;
  sample: string;
  expected: number;
  got: number;
  reason?: string;
}
export interface RegressKindResult {
  total: number;
  passed: number;
  failed: RegressFailure[];
}
export interface RegressDisagreement {
  rule_id: string;
  title?: string;
  /** Matches of the rule on the JSON rendering and on the EVTX file of the same sample. */
  json: number;
  evtx: number;
}

export interface RegressResult {
  json: RegressKindResult;
  evtx?: RegressKindResult;
  /**
   * Samples on which the rule matched a different number of times on the JSON rendering and on
   * the EVTX file (only when EVTX ran). Both inputs are the same events, so they should agree.
   */
  disagreements?: RegressDisagreement[];
  /** Why EVTX was not run, when it was not. */
  evtxSkipped?: string;
}

/** Reads the flat Windows events of an EVTX file (supplied by the EVTX reader). */
export type EvtxFlatReader = (path: string) => AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>;

export interface RegressCase {
  info: string;
  ruleId: string;
  title?: string;
  evtx: string;
  json: string;
  matchCount: number;
}

function findInfos(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === 'info.yml') out.push(p);
    }
  };
  walk(join(root, 'regression_data'));
  return out;
}

/** Lists the regression cases of a SigmaHQ checkout. */
export function regressionCases(root: string): RegressCase[] {
  const cases: RegressCase[] = [];
  for (const info of findInfos(root)) {
    const y = parseYaml(readFileSync(info, 'utf8')) as Record<string, unknown>;
    const meta = Array.isArray(y?.rule_metadata) ? (y.rule_metadata as Record<string, unknown>[]) : [];
    const ruleId = String(meta[0]?.id ?? '');
    const tests = Array.isArray(y?.regression_tests_info) ? (y.regression_tests_info as Record<string, unknown>[]) : [];
    for (const t of tests) {
      if (t?.type !== 'evtx' || typeof t.path !== 'string') continue;
      const evtx = join(root, t.path);
      cases.push({
        info,
        ruleId,
        title: typeof meta[0]?.title === 'string' ? (meta[0].title as string) : undefined,
        evtx,
        json: evtx.replace(/\.evtx$/i, '.json'),
        matchCount: typeof t.match_count === 'number' ? t.match_count : 1,
      });
    }
  }
  return cases;
}

function windowsSource(f: Record<string, unknown>): EventSource {
  return {
    format: 'winlog',
    product: 'windows',
    channel: typeof f.Channel === 'string' ? f.Channel : undefined,
    eventCode: f.EventID !== undefined && f.EventID !== null ? String(f.EventID) : undefined,
    provider: typeof f.Provider_Name === 'string' ? f.Provider_Name : undefined,
  };
}

/** Reads a regression JSON sample (concatenated pretty-printed objects) as flat Windows events. */
export function readJsonSample(path: string): { events: Record<string, unknown>[]; problems: GarrisonError[] } {
  const events: Record<string, unknown>[] = [];
  const problems: GarrisonError[] = [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    problems.push(new GarrisonError('SIGMA_IO', `cannot read ${path}: ${(e as Error).message}`, { location: { file: path } }));
    return { events, problems };
  }
  let idx = 0;
  for (const item of splitConcatenatedJson(text, path)) {
    if ('error' in item) {
      problems.push(item.error);
      continue;
    }
    idx++;
    try {
      const obj = JSON.parse(item.text);
      const flat = obj && typeof obj === 'object' && !Array.isArray(obj) ? flattenWindowsJson(obj) : undefined;
      if (flat) events.push(flat);
      else problems.push(new GarrisonError('SIGMA_SAMPLE_INVALID', `${path}:${item.line}: record ${idx} is not a Windows event (no Event.System)`, { location: { file: path, line: item.line, record: idx } }));
    } catch (e) {
      problems.push(new GarrisonError('SIGMA_SAMPLE_INVALID', `${path}:${item.line}: record ${idx}: ${(e as Error).message}`, { location: { file: path, line: item.line, record: idx } }));
    }
  }
  return { events, problems };
}

/** Runs every regression case on the JSON samples, and on the EVTX samples when a reader is given. */
export async function runRegression(root: string, opts: { evtxReader?: EvtxFlatReader; evtxSkipped?: string } = {}): Promise<RegressResult> {
  if (!existsSync(join(root, 'regression_data'))) throw new GarrisonError('SIGMA_IO', `${root} has no regression_data/ folder (expected a SigmaHQ checkout)`, { location: { file: root } });
  const set = loadRulePaths(SIGMAHQ_RULE_DIRS.map((d) => join(root, d)).filter((d) => existsSync(d)));
  const matcher = new SigmaMatcher(set, { config: { skipStatus: [] }, pipelines: undefined });
  const known = new Set(matcher.rules.map((r) => r.id));
  const cases = regressionCases(root);
  const judge = (c: RegressCase, events: Iterable<Record<string, unknown>>): number => {
    let n = 0;
    for (const f of events) for (const d of matcher.match({ fields: f, source: windowsSource(f) })) if (d.rule.id === c.ruleId) n++;
    return n;
  };
  const json: RegressKindResult = { total: 0, passed: 0, failed: [] };
  const evtx: RegressKindResult | undefined = opts.evtxReader ? { total: 0, passed: 0, failed: [] } : undefined;
  const disagreements: RegressDisagreement[] = [];
  for (const c of cases) {
    const notLoaded = known.has(c.ruleId) ? undefined : 'rule not loaded (missing or rejected)';
    json.total++;
    const { events, problems } = readJsonSample(c.json);
    const got = notLoaded ? 0 : judge(c, events);
    if (!notLoaded && got >= c.matchCount) json.passed++;
    else json.failed.push({ rule_id: c.ruleId, title: c.title, sample: c.json, expected: c.matchCount, got, reason: notLoaded ?? (problems[0]?.message || undefined) });
    if (evtx && opts.evtxReader) {
      evtx.total++;
      let egot = 0;
      let reason = notLoaded;
      try {
        const evs: Record<string, unknown>[] = [];
        for await (const f of opts.evtxReader(c.evtx)) evs.push(f);
        if (!notLoaded) egot = judge(c, evs);
      } catch (e) {
        reason = `EVTX: ${(e as Error).message}`;
      }
      if (!reason && egot >= c.matchCount) evtx.passed++;
      else evtx.failed.push({ rule_id: c.ruleId, title: c.title, sample: c.evtx, expected: c.matchCount, got: egot, reason });
      if (!notLoaded && egot !== got) disagreements.push({ rule_id: c.ruleId, title: c.title, json: got, evtx: egot });
    }
  }
  return { json, ...(evtx ? { evtx, disagreements } : {}), ...(opts.evtxSkipped && !evtx ? { evtxSkipped: opts.evtxSkipped } : {}) };
}
