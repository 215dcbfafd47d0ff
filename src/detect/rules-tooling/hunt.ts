/**
 * Retroactive hunting: a Sigma rule (or rule file with correlations), or a search-language query,
 * run over events already in the store. Events are streamed from the store in pages (oldest first)
 * through the same detection stage as live operation (compiled matcher and correlation engine);
 * a prefilter query built from the rules' log sources (the pipelines' channels and event ids)
 * keeps the store from handing over events no rule can match. The queries that ran are returned.
 */
import type { GarrisonEvent } from '../../core/event.js';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import type { Signal } from '../../core/signal.js';
import type { Store } from '../../store/port.js';
import { needQuery } from '../../coverage/inventory.js';
import { profileRules } from '../../coverage/requirements.js';
import { SigmaStage, builtinRulesDir } from '../engine.js';
import type { SigmaConfigInput } from '../sigma/config.js';

export interface HuntOptions {
  /** Rule files or directories (rule mode). */
  rules?: string[];
  /** Search-language query (query mode). */
  query?: string;
  from?: number;
  to?: number;
  tenant?: string;
  /** Stop after this many matches (default 1,000). */
  limit?: number;
  pageSize?: number;
  /** Also load the built-in pack (correlations that reference its rules). */
  withBuiltin?: boolean;
  config?: SigmaConfigInput;
}

export interface HuntMatch {
  eventId: string;
  time: number;
  host?: string;
  user?: string;
  ruleId?: string;
  title?: string;
  kind: 'sigma' | 'sigma_correlation' | 'query';
  /** Matched fields (Sigma) or the event's native code (query). */
  fields: Record<string, unknown>;
  /** Correlation: the events it rests on. */
  eventIds?: string[];
}

export interface HuntResult {
  mode: 'rule' | 'query';
  rules: { id: string; title: string }[];
  /** The store queries that ran (the prefilter, or the hunt query) with their SQL. */
  queries: { text: string; sql: string }[];
  scanned: number;
  matches: HuntMatch[];
  truncated: boolean;
  durationMs: number;
}

async function* stream(store: Store, q: string, o: HuntOptions, onQuery: (text: string, sql: string) => void): AsyncGenerator<GarrisonEvent[]> {
  let cursor: string | undefined;
  let first = true;
  for (;;) {
    const page = await store.search(q, { from: o.from, to: o.to, tenant: o.tenant, limit: o.pageSize ?? 2000, cursor, order: 'asc' });
    if (first) onQuery(page.query.text, page.query.sql);
    first = false;
    yield page.events;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

export async function hunt(store: Store, o: HuntOptions): Promise<HuntResult> {
  const t0 = performance.now();
  if ((o.rules?.length ?? 0) === 0 === (o.query === undefined)) throw new GarrisonError('COVERAGE_OPTION_INVALID', 'hunt needs exactly one of a rule (--rule FILE) or a query (--query Q)');
  if (o.from !== undefined && o.to !== undefined && o.from >= o.to) throw new GarrisonError('COVERAGE_OPTION_INVALID', '--from must be before --to');
  const limit = o.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) throw new GarrisonError('COVERAGE_OPTION_INVALID', `limit must be a positive integer, got ${o.limit}`);
  const res: HuntResult = { mode: o.query !== undefined ? 'query' : 'rule', rules: [], queries: [], scanned: 0, matches: [], truncated: false, durationMs: 0 };
  const onQuery = (text: string, sql: string) => res.queries.push({ text, sql });

  if (o.query !== undefined) {
    outer: for await (const page of stream(store, o.query, o, onQuery)) {
      for (const ev of page) {
        res.scanned++;
        if (res.matches.length >= limit) {
          res.truncated = true;
          break outer;
        }
        res.matches.push({ eventId: ev.id, time: ev.time, host: ev.entities.host, user: ev.entities.user, kind: 'query', fields: { eventCode: ev.source.eventCode, class: ev.class.name } });
      }
    }
    res.durationMs = Math.round(performance.now() - t0);
    return res;
  }

  const paths = o.rules!;
  const stage = new SigmaStage({ builtin: o.withBuiltin === true, rulePaths: paths, config: { skipStatus: [], ...(o.config ?? {}) }, tenant: o.tenant });
  const own = new Set<string>();
  const profile = profileRules({ rulePaths: paths, config: { skipStatus: [], ...(o.config ?? {}) } });
  for (const r of profile.rules) own.add(r.id);
  if (stage.problems.length || profile.rules.length === 0) {
    const pl = new ProblemList();
    for (const p of stage.problems) pl.add(p);
    if (profile.rules.length === 0) pl.add(new GarrisonError('COVERAGE_RULE_INVALID', `no rule loaded from ${paths.join(', ')}`));
    if (profile.rules.length === 0 || stage.matcher.rules.length + stage.loaded.correlations.length === 0) throw new GarrisonError('COVERAGE_RULE_INVALID', pl.format(), { details: { problems: pl.problems.map((p) => p.toJSON()) } });
  }
  res.rules = profile.rules.map((r) => ({ id: r.id, title: r.title }));
  // Prefilter: any of the rules' telemetry alternatives (all events when one has none).
  const alts = new Set<string>();
  let everything = false;
  for (const r of profile.rules) {
    if (r.alternatives.length === 0) everything = true;
    for (const a of r.alternatives) {
      const q = needQuery(profile.needs.get(a.need)!);
      if (!q) everything = true;
      else alts.add(q);
    }
  }
  if (o.withBuiltin) everything = true;
  const prefilter = everything ? '' : [...alts].map((q) => `(${q})`).join(' OR ');
  const add = (sigs: Signal[]) => {
    for (const s of sigs) {
      if (!own.has(s.detector)) continue;
      if (res.matches.length >= limit) {
        res.truncated = true;
        return;
      }
      res.matches.push({
        eventId: s.eventIds[s.eventIds.length - 1] ?? '',
        time: s.time,
        host: s.entities?.host,
        user: s.entities?.user,
        ruleId: s.detector,
        title: s.title,
        kind: s.kind === 'sigma_correlation' ? 'sigma_correlation' : 'sigma',
        fields: (s.details?.fields as Record<string, unknown>) ?? (s.details ?? {}),
        eventIds: s.kind === 'sigma_correlation' ? s.eventIds : undefined,
      });
    }
  };
  outer: for await (const page of stream(store, prefilter, o, onQuery)) {
    for (const ev of page) {
      res.scanned++;
      add(stage.process([ev]));
      if (res.truncated) break outer;
    }
  }
  if (!res.truncated) add(stage.flush(Infinity));
  res.durationMs = Math.round(performance.now() - t0);
  return res;
}

export { builtinRulesDir };
