/**
 * Coverage that accounts for data. For every ATT&CK technique: which rules and baseline models
 * claim it, whether the telemetry each needs has actually arrived in the window and is healthy
 * (fresh, with the fields the rule reads), and whether the detection was validated (its tests pass,
 * it fired live, or a replayed campaign was caught by it). Each technique ends in one state:
 *
 *   covered                 an enabled rule or model has healthy data (validated or not: see `validated`)
 *   covered-but-blind       an enabled rule or model claims it, but none of its telemetry is usable
 *   data-without-detection  telemetry that reveals it arrived, but no enabled rule or model uses it
 *   uncovered               neither
 *
 * with the reason in words and the numbers behind it.
 */
import { MODEL_NAMES, type ModelName } from '../baseline/registry.js';
import type { GarrisonError } from '../core/errors.js';
import { GarrisonError as GE } from '../core/errors.js';
import type { Signal } from '../core/signal.js';
import { builtinRulesDir } from '../detect/engine.js';
import type { SigmaConfigInput } from '../detect/sigma/config.js';
import { runRuleTests, type RuleTestReport, type RuleTestStatus } from '../detect/rules-tooling/test-runner.js';
import type { Store } from '../store/port.js';
import { attackCatalogue } from './attack.js';
import { DATA_SOURCES, describeMatch, envelopeMatches, type EnvelopeMatch } from './datasources.js';
import { buildInventory, familyOf, type Inventory, type NeedStats } from './inventory.js';
import { MODEL_COVERAGE } from './models.js';
import { profileRules, type RuleProfile, type RuleSetProfile } from './requirements.js';
import { loadReplay, signalsInWindow, type ReplayResult } from './validation.js';

export type CoverageState = 'covered' | 'covered-but-blind' | 'data-without-detection' | 'uncovered';
export const COVERAGE_STATES: readonly CoverageState[] = ['covered', 'covered-but-blind', 'data-without-detection', 'uncovered'];

export type DataHealth = 'healthy' | 'degraded' | 'stale' | 'fields-missing' | 'no-data';
const HEALTH_RANK: Record<DataHealth, number> = { healthy: 4, degraded: 3, stale: 2, 'fields-missing': 1, 'no-data': 0 };

export interface DetectorCoverage {
  id: string;
  kind: 'sigma' | 'correlation' | 'model';
  title: string;
  file?: string;
  enabled: boolean;
  disabledReason?: string;
  health: DataHealth;
  /** The telemetry the detector runs on here (best alternative), or the ones it would need. */
  data: { need: string; label: string; events: number; hosts: number; lastSeen?: number; missingFields: string[]; probed?: string }[];
  validation: { tests?: RuleTestStatus; firings: number; replay: string[] };
  validated: boolean;
  reason: string;
}

export interface TechniqueCoverage {
  id: string;
  name: string;
  tactics: string[];
  state: CoverageState;
  /** Which kind of detector gives the coverage (covered only). */
  detectedBy?: 'rules' | 'baseline' | 'rules+baseline';
  validated: boolean;
  reason: string;
  detectors: DetectorCoverage[];
  /** Catalogue telemetry that reveals the technique and has arrived. */
  dataSources: { id: string; name: string; events: number; lastSeen: number }[];
  /** Catalogue telemetry that would reveal it but has not arrived (for the next step). */
  missingDataSources: { id: string; name: string; enable: string }[];
}

export interface CoverageOptions {
  /** Rule directories besides the built-in pack. */
  rulePaths?: string[];
  /** Include the built-in pack (default true). */
  builtin?: boolean;
  sigmaConfig?: SigmaConfigInput;
  /** Baseline models in operation (default all; [] = none). */
  models?: ModelName[];
  /** Window length in ms (default 7 days), ending at `until` (default now). */
  windowMs?: number;
  until?: number;
  /** Telemetry whose last event is older than this (before `until`) is stale (default 24 h). */
  staleAfterMs?: number;
  tenant?: string;
  /** Sources treated as switched off. */
  exclude?: EnvelopeMatch[];
  maxEvents?: number;
  /** Run the rules' own tests (default true). */
  runTests?: boolean;
  /** Precomputed rule profile / tests (the service caches them). */
  profile?: RuleSetProfile;
  tests?: RuleTestReport;
  now?: () => number;
}

export interface CoverageReport {
  generatedAt: number;
  window: { from: number; to: number; staleAfterMs: number };
  attack: { version: string; source: string };
  summary: Record<CoverageState, number> & { techniques: number; validated: number; byTactic: Record<string, Record<CoverageState, number>> };
  techniques: TechniqueCoverage[];
  /** Technique ids used by rules/models that are not in the ATT&CK table. */
  unknownTechniques: { id: string; detectors: string[] }[];
  rules: { loaded: number; enabled: number; correlations: number; problems: { file?: string; line?: number; code: string; message: string }[]; dirs: string[] };
  models: string[];
  tests?: { rules: number; cases: number; passed: number; failures: number };
  replay?: { at: number; seed: number; hours: number; scenario: string };
  telemetry: {
    scanned: number;
    excluded: number;
    truncated: boolean;
    exclude: string[];
    sources: { key: string; family: string; format: string; product: string; service: string; category: string; channel: string; eventCode: string; class: string; events: number; hosts: number; first: number; last: number; stale: boolean }[];
    needs: { key: string; label: string; events: number; hosts: number; lastSeen?: number; fields: Record<string, number>; probed?: string }[];
    /** Hosts whose telemetry of one family stopped while the family still arrives from others. */
    staleHosts: { host: string; family: string; lastSeen: number }[];
    queries: string[];
  };
}

const DAY = 86_400_000;

function fmtTime(t: number | undefined): string {
  return t === undefined || !Number.isFinite(t) ? '-' : new Date(t).toISOString().replace('.000Z', 'Z');
}

function plural(n: number, w: string): string {
  return `${n.toLocaleString('en-US')} ${w}${n === 1 ? '' : 's'}`;
}

/** Computes the whole coverage report. */
export async function computeCoverage(store: Store, opts: CoverageOptions = {}): Promise<CoverageReport> {
  const now = (opts.now ?? Date.now)();
  const to = opts.until ?? now;
  const windowMs = opts.windowMs ?? 7 * DAY;
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new GE('COVERAGE_OPTION_INVALID', `window must be a positive duration, got ${windowMs} ms`);
  const from = to - windowMs;
  const staleAfterMs = opts.staleAfterMs ?? DAY;
  const dirs = [...(opts.builtin === false ? [] : [builtinRulesDir()]), ...(opts.rulePaths ?? [])];
  const profile = opts.profile ?? profileRules({ rulePaths: dirs, config: opts.sigmaConfig });
  const tests = opts.tests ?? (opts.runTests === false ? undefined : runRuleTests(profile.dirs, { config: opts.sigmaConfig, requireTests: false }));
  const models = opts.models ?? MODEL_NAMES;
  const cat = attackCatalogue();

  const inv = await buildInventory(store, profile.needs.values(), { from, to, tenant: opts.tenant, exclude: opts.exclude, maxEvents: opts.maxEvents });
  const signals = await signalsInWindow(store, from, to, opts.tenant);
  const replay = await loadReplay(store).catch(() => undefined);

  const firings = new Map<string, number>();
  const modelFirings = new Map<string, Map<string, number>>(); // model -> technique -> n
  for (const s of signals) {
    firings.set(s.detector, (firings.get(s.detector) ?? 0) + 1);
    if (s.kind === 'anomaly') {
      const m = s.detector.replace(/^baseline\./, '');
      let mm = modelFirings.get(m);
      if (!mm) modelFirings.set(m, (mm = new Map()));
      for (const t of s.attack?.techniques ?? []) mm.set(t, (mm.get(t) ?? 0) + 1);
    }
  }
  const replayBy = replayIndex(replay);
  const testBy = new Map((tests?.perRule ?? []).map((r) => [r.id, r.status]));

  // Rule detectors by technique.
  const ruleDetectors = new Map<string, DetectorCoverage[]>();
  const unknown = new Map<string, Set<string>>();
  for (const r of profile.rules) {
    const d = ruleDetector(r, inv, to, staleAfterMs, profile, testBy.get(r.id), firings.get(r.id) ?? 0, replayBy);
    for (const t of r.techniques) {
      if (!cat.byId.has(t)) {
        if (!unknown.has(t)) unknown.set(t, new Set());
        unknown.get(t)!.add(r.id);
        continue;
      }
      if (!ruleDetectors.has(t)) ruleDetectors.set(t, []);
      ruleDetectors.get(t)!.push(d);
    }
  }
  // Model detectors by technique.
  const modelDetectors = new Map<string, DetectorCoverage[]>();
  for (const name of MODEL_NAMES) {
    const mc = MODEL_COVERAGE[name];
    const enabled = models.includes(name);
    const perTech = new Map<string, { label: string; match: EnvelopeMatch }[]>();
    for (const e of mc.entries) for (const t of e.techniques) perTech.set(t, [...(perTech.get(t) ?? []), ...e.needs]);
    for (const [t, needs] of perTech) {
      const data = needs.map((n) => {
        const srcs = inv.sources.filter((s) => envelopeMatches(n.match, s.envelope));
        const events = srcs.reduce((a, s) => a + s.count, 0);
        const last = srcs.length ? Math.max(...srcs.map((s) => s.last)) : undefined;
        return { need: describeMatch(n.match), label: n.label, events, hosts: srcs.reduce((a, s) => Math.max(a, s.hosts), 0), lastSeen: last, missingFields: [] as string[] };
      });
      const best = data.reduce<(typeof data)[number] | undefined>((b, x) => (!b || (x.lastSeen ?? -Infinity) > (b.lastSeen ?? -Infinity) ? x : b), undefined)!;
      const health: DataHealth = best.events === 0 ? 'no-data' : (best.lastSeen ?? 0) < to - staleAfterMs ? 'stale' : 'healthy';
      const fired = modelFirings.get(name)?.get(t) ?? 0;
      const rp = replayBy.get(`baseline.${name}\u0000${t}`) ?? [];
      const validated = fired > 0 || rp.length > 0;
      const det: DetectorCoverage = {
        id: `baseline.${name}`,
        kind: 'model',
        title: `baseline model '${name}' (${mc.description})`,
        enabled,
        disabledReason: enabled ? undefined : 'model not enabled',
        health,
        data: health === 'no-data' ? data : [best],
        validation: { firings: fired, replay: rp },
        validated,
        reason: '',
      };
      det.reason = !enabled
        ? `baseline model '${name}' is not enabled`
        : health === 'healthy'
          ? `baseline model '${name}' reads ${best.label}: ${plural(best.events, 'event')}, last ${fmtTime(best.lastSeen)}${fired ? `; it signalled this technique ${plural(fired, 'time')} in the window` : ''}`
          : health === 'stale'
            ? `baseline model '${name}' needs ${best.label}: last event ${fmtTime(best.lastSeen)}, older than ${Math.round(staleAfterMs / 3_600_000)} h`
            : `baseline model '${name}' needs ${needs.map((n) => n.label).join(' or ')}: none arrived in the window`;
      if (!modelDetectors.has(t)) modelDetectors.set(t, []);
      modelDetectors.get(t)!.push(det);
    }
  }

  // Catalogue telemetry by technique.
  const dsArrived = DATA_SOURCES.map((ds) => {
    const srcs = inv.sources.filter((s) => envelopeMatches(ds.match, s.envelope));
    return { ds, events: srcs.reduce((a, s) => a + s.count, 0), last: srcs.length ? Math.max(...srcs.map((s) => s.last)) : -Infinity };
  });

  const techniques: TechniqueCoverage[] = [];
  for (const tech of cat.techniques) {
    const dets = [...(ruleDetectors.get(tech.id) ?? []), ...(modelDetectors.get(tech.id) ?? [])];
    const dsFor = dsArrived.filter((x) => x.ds.techniques.includes(tech.id));
    const arrived = dsFor.filter((x) => x.events > 0 && x.last >= to - staleAfterMs);
    const tc: TechniqueCoverage = {
      id: tech.id,
      name: tech.name,
      tactics: tech.tactics,
      state: 'uncovered',
      validated: false,
      reason: '',
      detectors: dets,
      dataSources: arrived.map((x) => ({ id: x.ds.id, name: x.ds.name, events: x.events, lastSeen: x.last })),
      missingDataSources: dsFor.filter((x) => !arrived.includes(x)).map((x) => ({ id: x.ds.id, name: x.ds.name, enable: x.ds.enable })),
    };
    decide(tc);
    techniques.push(tc);
  }

  const summary = { covered: 0, 'covered-but-blind': 0, 'data-without-detection': 0, uncovered: 0, techniques: techniques.length, validated: 0, byTactic: {} as Record<string, Record<CoverageState, number>> };
  for (const t of techniques) {
    summary[t.state]++;
    if (t.state === 'covered' && t.validated) summary.validated++;
    for (const ta of t.tactics) {
      const row = (summary.byTactic[ta] ??= { covered: 0, 'covered-but-blind': 0, 'data-without-detection': 0, uncovered: 0 });
      row[t.state]++;
    }
  }

  const families = new Map<string, number>();
  for (const s of inv.sources) families.set(familyOf(s.envelope), Math.max(families.get(familyOf(s.envelope)) ?? -Infinity, s.last));
  const staleHosts = inv.hostFamilies
    .filter((h) => h.last < to - staleAfterMs && (families.get(h.family) ?? -Infinity) >= to - staleAfterMs)
    .map((h) => ({ host: h.host, family: h.family, lastSeen: h.last }))
    .sort((a, b) => a.lastSeen - b.lastSeen)
    .slice(0, 1000);

  return {
    generatedAt: now,
    window: { from, to, staleAfterMs },
    attack: { version: cat.version, source: cat.source },
    summary,
    techniques,
    unknownTechniques: [...unknown].map(([id, s]) => ({ id, detectors: [...s] })),
    rules: {
      loaded: profile.rules.length,
      enabled: profile.rules.filter((r) => r.enabled).length,
      correlations: profile.rules.filter((r) => r.kind === 'correlation').length,
      problems: profile.problems.map((p: GarrisonError) => ({ file: p.location?.file, line: p.location?.line, code: p.code, message: p.message })),
      dirs: profile.dirs,
    },
    models: [...models],
    tests: tests ? { rules: tests.rules, cases: tests.cases, passed: tests.passed, failures: tests.failures.length } : undefined,
    replay: replay ? { at: replay.at, seed: replay.seed, hours: replay.hours, scenario: replay.scenario } : undefined,
    telemetry: {
      scanned: inv.scanned,
      excluded: inv.excluded,
      truncated: inv.truncated,
      exclude: (opts.exclude ?? []).map(describeMatch),
      sources: inv.sources.map((s) => ({ key: s.key, family: familyOf(s.envelope), ...s.envelope, events: s.count, hosts: s.hosts, first: s.first, last: s.last, stale: s.last < to - staleAfterMs })),
      needs: [...profile.needs.values()].map((n) => {
        const st = inv.needs.get(n.key);
        return { key: n.key, label: n.label, events: st?.count ?? 0, hosts: st?.hosts ?? 0, lastSeen: st?.last, fields: st?.fieldSeen ?? {}, probed: st?.probed?.query };
      }),
      staleHosts,
      queries: inv.queries,
    },
  };
}

function replayIndex(r: ReplayResult | undefined): Map<string, string[]> {
  const m = new Map<string, string[]>();
  if (!r) return m;
  for (const t of r.techniques) for (const d of t.detectors) {
    const k = `${d}\u0000${t.technique}`;
    m.set(k, [...(m.get(k) ?? []), t.campaign]);
  }
  return m;
}

function ruleDetector(
  r: RuleProfile,
  inv: Inventory,
  to: number,
  staleAfterMs: number,
  profile: RuleSetProfile,
  tests: RuleTestStatus | undefined,
  fired: number,
  replayBy: Map<string, string[]>,
): DetectorCoverage {
  type Alt = DetectorCoverage['data'][number] & { health: DataHealth };
  const alts: Alt[] = r.alternatives.map((a) => {
    const need = profile.needs.get(a.need)!;
    const st: NeedStats | undefined = inv.needs.get(a.need);
    const events = st?.count ?? 0;
    const missingFields = events ? a.fields.filter((f) => (st?.fieldSeen[f] ?? 0) === 0) : [];
    let health: DataHealth = 'no-data';
    if (events > 0) {
      if ((st?.last ?? 0) < to - staleAfterMs) health = 'stale';
      else if (a.fields.length > 0 && missingFields.length === a.fields.length) health = 'fields-missing';
      else health = missingFields.length ? 'degraded' : 'healthy';
    }
    return { need: a.need, label: need.label, events, hosts: st?.hosts ?? 0, lastSeen: st?.last, missingFields, probed: st?.probed?.query, health };
  });
  const best = alts.reduce<Alt | undefined>((b, x) => (!b || HEALTH_RANK[x.health] > HEALTH_RANK[b.health] || (HEALTH_RANK[x.health] === HEALTH_RANK[b.health] && x.events > b.events) ? x : b), undefined);
  const health: DataHealth = best?.health ?? 'no-data';
  const replay = r.techniques.flatMap((t) => replayBy.get(`${r.id}\u0000${t}`) ?? []);
  const validated = tests === 'passed' || fired > 0 || replay.length > 0;
  const what = r.kind === 'correlation' ? 'correlation rule' : 'rule';
  const vtext = [tests ? `tests ${tests}` : 'no tests run', fired ? `fired ${plural(fired, 'time')} in the window` : '', replay.length ? `caught replayed campaign ${[...new Set(replay)].join(', ')}` : ''].filter(Boolean).join('; ');
  let reason: string;
  if (!r.enabled) reason = `${what} '${r.title}' is not enabled (${r.disabledReason ?? 'disabled'})`;
  else if (!best) reason = `${what} '${r.title}' has no telemetry route (log source ${JSON.stringify(r.logsource ?? {})} maps to nothing Garrison collects)`;
  else if (health === 'healthy' || health === 'degraded')
    reason = `${what} '${r.title}' runs on ${best.label}: ${plural(best.events, 'event')} from ${plural(best.hosts, 'host')}, last ${fmtTime(best.lastSeen)}${health === 'degraded' ? `; field(s) ${best.missingFields.join(', ')} never present` : ''}; ${vtext}`;
  else if (health === 'stale') reason = `${what} '${r.title}' needs ${best.label}: the last event arrived ${fmtTime(best.lastSeen)}, more than ${Math.round(staleAfterMs / 3_600_000)} h before the end of the window`;
  else if (health === 'fields-missing') reason = `${what} '${r.title}' needs ${best.label}: ${plural(best.events, 'event')} arrived but none carries the field(s) it reads (${best.missingFields.join(', ')})`;
  else reason = `${what} '${r.title}' needs ${alts.map((a) => a.label).join(' or ')}: no such events in the window`;
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    file: r.file,
    enabled: r.enabled,
    disabledReason: r.disabledReason,
    health,
    data: health === 'no-data' ? alts.map(({ health: _h, ...a }) => a) : best ? [(({ health: _h, ...a }) => a)(best)] : [],
    validation: { tests, firings: fired, replay },
    validated,
    reason,
  };
}

const usable = (d: DetectorCoverage) => d.enabled && (d.health === 'healthy' || d.health === 'degraded');

function decide(t: TechniqueCoverage): void {
  const enabled = t.detectors.filter((d) => d.enabled);
  const live = enabled.filter(usable);
  const disabled = t.detectors.filter((d) => !d.enabled);
  if (live.length) {
    t.state = 'covered';
    const rules = live.some((d) => d.kind !== 'model');
    const models = live.some((d) => d.kind === 'model');
    t.detectedBy = rules && models ? 'rules+baseline' : rules ? 'rules' : 'baseline';
    t.validated = live.some((d) => d.validated);
    const lead = live.filter((d) => d.kind !== 'model').concat(live.filter((d) => d.kind === 'model'));
    t.reason = `${t.detectedBy === 'baseline' ? 'covered by baseline only: ' : ''}${lead.slice(0, 3).map((d) => d.reason).join(' | ')}${lead.length > 3 ? ` | and ${lead.length - 3} more` : ''}${t.validated ? '' : ' (not validated: no passing test, live firing or replayed campaign)'}`;
    return;
  }
  if (enabled.length) {
    t.state = 'covered-but-blind';
    t.reason = enabled.slice(0, 3).map((d) => d.reason).join(' | ') + (enabled.length > 3 ? ` | and ${enabled.length - 3} more` : '');
    return;
  }
  const disabledNote = disabled.length ? `; ${disabled.map((d) => d.reason).join('; ')}` : '';
  if (t.dataSources.length) {
    t.state = 'data-without-detection';
    t.reason = `${t.dataSources.map((d) => `${d.name} arrived (${plural(d.events, 'event')}, last ${fmtTime(d.lastSeen)})`).join('; ')}, but no enabled rule or model detects ${t.id}${disabledNote}`;
    return;
  }
  t.state = 'uncovered';
  t.reason = `no enabled rule or model detects ${t.id}${t.missingDataSources.length ? `, and the telemetry that would reveal it (${t.missingDataSources.map((d) => d.name).join('; ')}) has not arrived` : ', and Garrison knows no telemetry it collects that reveals it'}${disabledNote}`;
}

export type { Signal };
