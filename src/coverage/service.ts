/**
 * The coverage service: what the API routes and the CLI call. Holds the rule profile and the rule
 * tests (they change only when rules change) and computes coverage, the Navigator layer, gaps,
 * rule statistics, noisy rules and the SOC metrics against a Store.
 */
import { MODEL_NAMES, type ModelName } from '../baseline/registry.js';
import { GarrisonError } from '../core/errors.js';
import { builtinRulesDir } from '../detect/engine.js';
import type { SigmaConfigInput } from '../detect/sigma/config.js';
import { noisyRules, type NoisyRule } from '../detect/rules-tooling/noisy.js';
import { computeRuleStats, type RuleStatsReport } from '../detect/rules-tooling/stats.js';
import { runRuleTests, type RuleTestReport } from '../detect/rules-tooling/test-runner.js';
import type { Store } from '../store/port.js';
import { parseTimeValue } from '../store/query/compile.js';
import { computeCoverage, type CoverageOptions, type CoverageReport } from './coverage.js';
import type { EnvelopeMatch } from './datasources.js';
import { analyzeGaps, type Gap } from './gaps.js';
import { parseSourceFilter } from './inventory.js';
import { socMetrics, saveSnapshot, type SocMetrics, type CoverageSnapshot } from './metrics.js';
import { toNavigatorLayer, type NavigatorLayer } from './navigator.js';
import { profileRules, type RuleSetProfile } from './requirements.js';
import { signalsInWindow } from './validation.js';
import { emptyWeights, type Weights } from './weights.js';

/** `7d`, `24h`, `30m`, `90s`, `2w` or milliseconds -> ms. */
export function parseDuration(s: string, what = 'duration'): number {
  const m = /^(\d{1,9})(ms|s|m|h|d|w)?$/.exec(s.trim());
  if (!m) throw new GarrisonError('COVERAGE_OPTION_INVALID', `${what} '${s}' is not a duration (e.g. 7d, 24h, 30m)`, { location: { field: what } });
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] ?? 'ms']!;
  const v = Number(m[1]) * mult;
  if (v <= 0) throw new GarrisonError('COVERAGE_OPTION_INVALID', `${what} must be positive`, { location: { field: what } });
  return v;
}

export function parseTime(s: string, what: string): number {
  const t = parseTimeValue(s);
  if (t === undefined) throw new GarrisonError('COVERAGE_OPTION_INVALID', `${what} '${s}' is not a time (ISO 8601, ms epoch, or -24h)`, { location: { field: what } });
  return t;
}

export function parseModels(s: string): ModelName[] {
  if (s.trim() === '' || s.trim() === 'none') return [];
  const out: ModelName[] = [];
  for (const x of s.split(',').map((y) => y.trim()).filter(Boolean)) {
    if (!(MODEL_NAMES as string[]).includes(x)) throw new GarrisonError('COVERAGE_OPTION_INVALID', `unknown baseline model '${x}' (known: ${MODEL_NAMES.join(', ')})`, { location: { field: 'models' } });
    out.push(x as ModelName);
  }
  return out;
}

/** Query-style options shared by the API and the CLI. */
export interface CoverageQuery {
  window?: string;
  until?: string;
  staleAfter?: string;
  /** Source filters separated by `;` (each `key=value,key=value`). */
  exclude?: string;
  models?: string;
  tenant?: string;
}

export interface CoverageServiceOptions {
  rulePaths?: string[];
  builtin?: boolean;
  sigmaConfig?: SigmaConfigInput;
  weights?: Weights;
  now?: () => number;
}

export class CoverageService {
  private profile?: RuleSetProfile;
  private tests?: RuleTestReport;
  constructor(
    readonly store: Store,
    readonly opts: CoverageServiceOptions = {},
  ) {}

  get dirs(): string[] {
    return [...(this.opts.builtin === false ? [] : [builtinRulesDir()]), ...(this.opts.rulePaths ?? [])];
  }

  /** The rule profile and test results (computed once; `reload()` after rules change). */
  rules(): { profile: RuleSetProfile; tests: RuleTestReport } {
    this.profile ??= profileRules({ rulePaths: this.dirs, config: this.opts.sigmaConfig });
    this.tests ??= runRuleTests(this.dirs, { config: this.opts.sigmaConfig, requireTests: false });
    return { profile: this.profile, tests: this.tests };
  }

  reload(): void {
    this.profile = undefined;
    this.tests = undefined;
  }

  options(q: CoverageQuery): CoverageOptions {
    const { profile, tests } = this.rules();
    const exclude: EnvelopeMatch[] = q.exclude ? q.exclude.split(';').filter((x) => x.trim()).map(parseSourceFilter) : [];
    return {
      rulePaths: this.opts.rulePaths,
      builtin: this.opts.builtin,
      sigmaConfig: this.opts.sigmaConfig,
      windowMs: q.window ? parseDuration(q.window, 'window') : undefined,
      until: q.until ? parseTime(q.until, 'until') : undefined,
      staleAfterMs: q.staleAfter ? parseDuration(q.staleAfter, 'staleAfter') : undefined,
      exclude,
      models: q.models !== undefined ? parseModels(q.models) : undefined,
      tenant: q.tenant,
      profile,
      tests,
      now: this.opts.now,
    };
  }

  coverage(q: CoverageQuery = {}): Promise<CoverageReport> {
    return computeCoverage(this.store, this.options(q));
  }

  async navigator(q: CoverageQuery = {}): Promise<NavigatorLayer> {
    return toNavigatorLayer(await this.coverage(q));
  }

  async snapshot(q: CoverageQuery = {}): Promise<CoverageSnapshot> {
    return saveSnapshot(this.store, await this.coverage(q));
  }

  async gaps(q: CoverageQuery & { limit?: number; all?: boolean } = {}, report?: CoverageReport): Promise<{ report: CoverageReport; gaps: Gap[] }> {
    const r = report ?? (await this.coverage(q));
    const signals = await signalsInWindow(this.store, r.window.from, r.window.to, q.tenant);
    const stats = await this.ruleStats(q, signals, r, 0);
    const gaps = analyzeGaps(r, { weights: this.opts.weights ?? emptyWeights(), signals, ruleStats: stats.rules, includeUnweighted: q.all, limit: q.limit });
    return { report: r, gaps };
  }

  private window(q: CoverageQuery): { from: number; to: number } {
    const to = q.until ? parseTime(q.until, 'until') : (this.opts.now ?? Date.now)();
    return { from: to - (q.window ? parseDuration(q.window, 'window') : 7 * 86_400_000), to };
  }

  async ruleStats(q: CoverageQuery & { sample?: number } = {}, signalsIn?: Awaited<ReturnType<typeof signalsInWindow>>, report?: CoverageReport, sample?: number): Promise<RuleStatsReport> {
    const { from, to } = report ? report.window : this.window(q);
    const signals = signalsIn ?? (await signalsInWindow(this.store, from, to, q.tenant));
    const { profile } = this.rules();
    return computeRuleStats({
      store: this.store,
      from,
      to,
      tenant: q.tenant,
      signals,
      rules: profile.rules.map((r) => ({ id: r.id, title: r.title, level: r.level, kind: r.kind })),
      loaded: profile.loaded,
      config: this.opts.sigmaConfig,
      sampleSize: sample ?? q.sample,
    });
  }

  async noisy(q: CoverageQuery & { minFirings?: number; minBenignShare?: number } = {}): Promise<{ stats: RuleStatsReport; noisy: NoisyRule[] }> {
    const { from, to } = this.window(q);
    const signals = await signalsInWindow(this.store, from, to, q.tenant);
    const stats = await this.ruleStats(q, signals, undefined, 0);
    const { profile } = this.rules();
    const noisy = await noisyRules(this.store, stats.rules, signals, profile.loaded, { from, tenant: q.tenant, minFirings: q.minFirings, minBenignShare: q.minBenignShare, config: this.opts.sigmaConfig });
    return { stats, noisy };
  }

  async soc(q: CoverageQuery & { minutesPerIncident?: number; withCoverage?: boolean } = {}): Promise<SocMetrics> {
    const { from, to } = this.window(q);
    const cov = q.withCoverage ? await this.coverage(q) : undefined;
    return socMetrics(this.store, { from, to, tenant: q.tenant, minutesPerIncident: q.minutesPerIncident, coverage: cov });
  }
}
