/**
 * What telemetry each detection needs, derived from the rules themselves: a Sigma rule's log source
 * is resolved through the same processing pipelines the matcher routes with (every compatible
 * pipeline entry is one alternative: Sysmon 1 *or* Security 4688 for process_creation ...), the
 * Windows EventIDs its detection names narrow each alternative, and the fields its searches read
 * (outside a `not`, mapped per alternative) are what must be present in those events. A
 * correlation rule needs what its referenced rules need.
 */
import type { GarrisonError } from '../core/errors.js';
import type { Level } from '../core/signal.js';
import { attackFromTags } from '../detect/attack/index.js';
import { compatible, compileRoute, loadPipelines, syntheticRoute, type PipelineEntry, type PipelineName, type Route } from '../detect/pipelines/index.js';
import { parseSigmaConfig, type SigmaConfigInput } from '../detect/sigma/config.js';
import { compileRule } from '../detect/sigma/compile.js';
import { parseCorrelationRule } from '../detect/sigma/correlation/index.js';
import { loadRulePaths, type LoadedSet } from '../detect/sigma/loader.js';
import { SigmaMatcher } from '../detect/sigma/matcher.js';
import type { LogSource, SigmaRule } from '../detect/sigma/types.js';
import { isYMap, type YValue } from '../detect/sigma/yaml.js';

/** The envelope conditions of a pipeline entry (what to look for in the store). */
export type WhenSpec = PipelineEntry['when'];

/** One kind of telemetry a rule can run on: a pipeline entry, narrowed to the EventIDs the rule names. */
export interface TelemetryNeed {
  /** `<entry id>` or `<entry id>#<event ids>`. */
  key: string;
  /** Pipeline entry id (or `logsource:product/service/category` when no pipeline entry covers it). */
  route: string;
  logsource: LogSource;
  when: WhenSpec;
  /** EventIDs required (empty = any event of the entry). */
  eventIds: string[];
  label: string;
  compiled: Route;
  /** Union of the fields rules read through this need: rule field -> event field names (any). */
  fields: Map<string, string[]>;
}

export interface RuleAlternative {
  need: string;
  /** Rule field names read outside `not` (mapped names are in the need's `fields`). */
  fields: string[];
}

export interface RuleProfile {
  id: string;
  name?: string;
  title: string;
  level: Level;
  status?: string;
  file: string;
  line: number;
  kind: 'sigma' | 'correlation';
  /** Loaded into the matcher (false: disabled by configuration, with the reason). */
  enabled: boolean;
  disabledReason?: string;
  techniques: string[];
  tactics: string[];
  logsource?: LogSource;
  /** Windows EventIDs the detection names. */
  eventIds: string[];
  /** Any one of these alternatives gives the rule its data. */
  alternatives: RuleAlternative[];
  /** Correlation rules: the rules (ids or names) they count. */
  references: string[];
}

export interface RuleSetProfile {
  rules: RuleProfile[];
  needs: Map<string, TelemetryNeed>;
  problems: GarrisonError[];
  /** The loaded set (for the tools that need the rules themselves). */
  loaded: LoadedSet;
  dirs: string[];
}

const EVENT_ID_FIELDS = new Set(['eventid', 'eventcode', 'event_id', 'event.code']);

/** Field names a search reads (keys before `|`) and the EventID values it names. */
function scanSearch(v: YValue, fields: Set<string>, ids: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object') scanSearch(x, fields, ids);
    return;
  }
  if (!isYMap(v)) return;
  for (const key of Object.keys(v)) {
    const [field, ...mods] = key.split('|');
    if (!field) continue;
    fields.add(field);
    if (EVENT_ID_FIELDS.has(field.toLowerCase()) && mods.length === 0) {
      const vals = Array.isArray(v[key]) ? (v[key] as YValue[]) : [v[key]];
      for (const x of vals) if (typeof x === 'string' && /^\d{1,6}$/.test(x.trim())) ids.add(String(Number(x.trim())));
    }
  }
}

function describeWhen(w: WhenSpec, ids: string[]): string {
  const parts: string[] = [];
  if (w.format) parts.push(`format ${w.format.join('|')}`);
  if (w.product) parts.push(`product ${w.product.join('|')}`);
  if (w.service) parts.push(`service ${w.service.join('|')}`);
  if (w.category) parts.push(`category ${w.category.join('|')}`);
  if (w.channel) parts.push(`channel ${w.channel.join('|')}`);
  const eids = ids.length ? ids : w.eventId ?? [];
  if (eids.length) parts.push(`EventID ${eids.join('|')}`);
  if (w.fields) for (const [k, v] of Object.entries(w.fields)) parts.push(`${k}=${v.join('|')}`);
  return parts.join(', ');
}

function lsText(ls: LogSource): string {
  return [ls.product, ls.service, ls.category].filter(Boolean).join('/');
}

export interface ProfileOptions {
  /** Rule files/directories (the built-in pack is one of them when wanted). */
  rulePaths: string[];
  config?: SigmaConfigInput;
}

/** Loads rules and derives every rule's telemetry needs. */
export function profileRules(opts: ProfileOptions): RuleSetProfile {
  const loaded = loadRulePaths(opts.rulePaths);
  const cfg = parseSigmaConfig(opts.config ?? {});
  const matcher = new SigmaMatcher(loaded, { config: opts.config });
  const problems: GarrisonError[] = [...loaded.problems, ...matcher.problems];
  const pipelines = loadPipelines(cfg.pipelines as PipelineName[] | undefined);
  const entries = pipelines.flatMap((p) => p.entries);
  const routes = entries.map((e) => ({ entry: e, route: compileRoute(e) }));
  const needs = new Map<string, TelemetryNeed>();
  const enabledIds = new Set(matcher.rules.map((r) => r.id));
  const skipped = new Map(matcher.skippedRules.map((s) => [s.rule.id, s.reason]));
  const rejected = new Set<string>();
  for (const p of matcher.problems) if (p.location?.file) rejected.add(`${p.location.file}:${p.location.line ?? ''}`);
  const out: RuleProfile[] = [];

  const profileSigma = (rule: SigmaRule): RuleProfile | undefined => {
    const enabled = enabledIds.has(rule.id);
    if (!enabled && !skipped.has(rule.id)) return undefined; // failed to compile: reported in problems
    const attack = attackFromTags(rule.tags);
    const fieldNames = new Set<string>();
    const ids = new Set<string>();
    for (const v of Object.values(rule.searches)) scanSearch(v, fieldNames, ids);
    const eventIds = [...ids].sort((a, b) => Number(a) - Number(b));
    let cands = routes.filter((r) => compatible(rule.logsource, r.route.logsource)).map((r) => ({ id: r.entry.id, when: r.entry.when, route: r.route, ls: r.route.logsource }));
    if (cands.length === 0) {
      const route = syntheticRoute(rule.logsource);
      const when: WhenSpec = {};
      if (rule.logsource.product) when.product = [rule.logsource.product];
      if (rule.logsource.service) when.service = [rule.logsource.service];
      if (rule.logsource.category) when.category = [rule.logsource.category];
      cands = [{ id: route.key, when, route, ls: rule.logsource }];
    }
    const alternatives: RuleAlternative[] = [];
    for (const c of cands) {
      let eff = eventIds;
      if (c.when.eventId && eventIds.length) {
        const allowed = new Set(c.when.eventId.map((x) => String(Number(x))));
        eff = eventIds.filter((x) => allowed.has(x));
        if (eff.length === 0) continue; // the rule's EventIDs never occur under this entry
      }
      let readFields: string[] = [];
      try {
        const compiled = compileRule(rule, { mapField: c.route.mapField, placeholders: cfg.placeholders });
        const read = new Set(compiled.fields);
        readFields = [...fieldNames].filter((f) => c.route.mapField(f).some((n) => read.has(n)));
      } catch {
        readFields = [...fieldNames];
      }
      const key = eff.length && !(c.when.eventId && c.when.eventId.length === eff.length) ? `${c.id}#${eff.join(',')}` : c.id;
      let need = needs.get(key);
      if (!need) {
        need = {
          key,
          route: c.id,
          logsource: c.ls,
          when: c.when,
          eventIds: eff.length && !(c.when.eventId && c.when.eventId.length === eff.length) ? eff : [],
          label: `${lsText(c.ls)} (${describeWhen(c.when, eff)})`,
          compiled: c.route,
          fields: new Map(),
        };
        needs.set(key, need);
      }
      for (const f of readFields) if (!need.fields.has(f)) need.fields.set(f, c.route.mapField(f));
      alternatives.push({ need: key, fields: readFields });
    }
    return {
      id: rule.id,
      name: rule.name,
      title: rule.title,
      level: rule.level,
      status: rule.status,
      file: rule.source.file,
      line: rule.source.line,
      kind: 'sigma',
      enabled,
      disabledReason: enabled ? undefined : skipped.get(rule.id),
      techniques: attack.techniques,
      tactics: attack.tactics,
      logsource: rule.logsource,
      eventIds,
      alternatives,
      references: [],
    };
  };

  for (const rule of loaded.rules) {
    const p = profileSigma(rule);
    if (p) out.push(p);
  }
  const byRef = new Map<string, RuleProfile>();
  for (const r of out) {
    byRef.set(r.id, r);
    if (r.name) byRef.set(r.name, r);
  }
  const disabled = new Set(cfg.disabled);
  const corrs: RuleProfile[] = [];
  for (const c of loaded.correlations) {
    const { rule, problems: ps } = parseCorrelationRule(c.doc.value as Record<string, unknown>, { file: c.file, line: c.doc.line, lineOf: c.doc.lineOf });
    problems.push(...ps);
    if (!rule) continue;
    const attack = attackFromTags(rule.tags);
    const p: RuleProfile = {
      id: rule.id,
      name: rule.name,
      title: rule.title,
      level: rule.level ?? 'medium',
      status: rule.status,
      file: c.file,
      line: c.doc.line,
      kind: 'correlation',
      enabled: !disabled.has(rule.id) && !(rule.name && disabled.has(rule.name)),
      techniques: attack.techniques,
      tactics: attack.tactics,
      eventIds: [],
      alternatives: [],
      references: rule.rules,
    };
    if (!p.enabled) p.disabledReason = 'disabled';
    corrs.push(p);
    byRef.set(p.id, p);
    if (p.name) byRef.set(p.name, p);
  }
  // A correlation needs what its referenced rules need (resolved after all are known; nested
  // correlations resolve through their own references, depth-limited).
  const resolve = (p: RuleProfile, depth: number): RuleAlternative[] => {
    if (p.kind === 'sigma' || depth > 8) return p.alternatives;
    const alts: RuleAlternative[] = [];
    for (const ref of p.references) {
      const r = byRef.get(ref);
      if (!r) continue;
      if (!r.enabled) {
        if (p.enabled) {
          p.enabled = false;
          p.disabledReason = `referenced rule ${ref} is not enabled (${r.disabledReason ?? 'disabled'})`;
        }
      }
      alts.push(...resolve(r, depth + 1));
    }
    return alts;
  };
  for (const p of corrs) {
    p.alternatives = resolve(p, 0);
    const missing = p.references.filter((r) => !byRef.has(r));
    if (missing.length && p.enabled) {
      p.enabled = false;
      p.disabledReason = `references unknown rule(s) ${missing.join(', ')}`;
    }
  }
  out.push(...corrs);
  return { rules: out, needs, problems, loaded, dirs: opts.rulePaths };
}
