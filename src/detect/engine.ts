/**
 * The detection stage: events in, Signals out. Loads Sigma rules (the built-in pack and any
 * directories), compiles them into a SigmaMatcher, feeds every base-rule match to the correlation
 * engine, and turns detections and correlation hits into Signals.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { GarrisonError } from '../core/errors.js';
import type { GarrisonEvent } from '../core/event.js';
import type { Level, Signal } from '../core/signal.js';
import { attackFromTags } from './attack/index.js';
import { packageRoot } from './pipelines/index.js';
import { CorrelationEngine, hitToSignal, parseCorrelationRule, type CorrelationOptionsInput, type CorrelationRule } from './sigma/correlation/index.js';
import type { SigmaConfigInput } from './sigma/config.js';
import { loadRulePaths, type LoadedSet } from './sigma/loader.js';
import { SigmaMatcher, type SigmaDetection } from './sigma/matcher.js';

export const LEVEL_SCORE: Record<Level, number> = { informational: 10, low: 30, medium: 50, high: 75, critical: 95 };

/** The repository's built-in rule pack (`rules/` at the package root; works from dist/ too). */
export function builtinRulesDir(): string {
  return join(packageRoot(), 'rules');
}

export interface SigmaStageOptions {
  /** Rule files/directories besides the built-in pack. */
  rulePaths?: string[];
  /** Load the built-in pack (default true). */
  builtin?: boolean;
  config?: SigmaConfigInput;
  correlation?: CorrelationOptionsInput;
  tenant?: string;
}

/** Turns one detection on one event into a `sigma` Signal. */
export function detectionToSignal(d: SigmaDetection, ev: GarrisonEvent, now = Date.now()): Signal {
  const r = d.rule;
  return {
    id: createHash('sha1').update(r.id).update('\0').update(ev.id).digest('hex').slice(0, 32),
    tenant: ev.tenant,
    kind: 'sigma',
    detector: r.id,
    title: r.title,
    level: r.level,
    score: LEVEL_SCORE[r.level],
    time: ev.time,
    createdAt: now,
    attack: attackFromTags(r.tags),
    eventIds: [ev.id],
    entities: ev.entities,
    details: {
      fields: d.fields,
      route: d.route,
      tags: r.tags,
      status: r.status,
      ruleFile: r.source.file,
      falsepositives: r.falsepositives,
      references: r.references,
    },
  };
}

export class SigmaStage {
  readonly matcher: SigmaMatcher;
  readonly correlation: CorrelationEngine;
  readonly problems: GarrisonError[] = [];
  readonly loaded: LoadedSet;
  private readonly tenant: string;

  constructor(opts: SigmaStageOptions = {}) {
    const paths = [...(opts.builtin === false ? [] : [builtinRulesDir()]), ...(opts.rulePaths ?? [])];
    this.loaded = loadRulePaths(paths);
    this.problems.push(...this.loaded.problems);
    this.matcher = new SigmaMatcher(this.loaded, { config: opts.config });
    this.problems.push(...this.matcher.problems);
    this.tenant = opts.tenant ?? 'default';
    const corr: CorrelationRule[] = [];
    for (const c of this.loaded.correlations) {
      const { rule, problems } = parseCorrelationRule(c.doc.value as Record<string, unknown>, { file: c.file, line: c.doc.line, lineOf: c.doc.lineOf });
      this.problems.push(...problems);
      if (rule) corr.push(rule);
    }
    const byRef = new Map<string, { id: string; name?: string; level?: Level }>();
    for (const r of this.matcher.rules) {
      const x = { id: r.id, name: r.name, level: r.level };
      byRef.set(r.id, x);
      if (r.name) byRef.set(r.name, x);
    }
    this.correlation = new CorrelationEngine(corr, (ref) => byRef.get(ref), opts.correlation);
    this.problems.push(...this.correlation.problems);
  }

  /** Matches a batch of events; returns the signals raised (base rules and correlations). */
  process(events: readonly GarrisonEvent[]): Signal[] {
    const out: Signal[] = [];
    const now = Date.now();
    for (const ev of events) {
      for (const d of this.matcher.match(ev)) {
        const hits = this.correlation.observe({ ruleId: d.rule.id, ruleName: d.rule.name, time: ev.time, eventId: ev.id, get: d.get });
        for (const h of hits) if (h.emit) out.push(hitToSignal(h, { tenant: ev.tenant ?? this.tenant, now, attack: attackFromTags }));
        if (!this.correlation.isSuppressed(d.rule.id, d.rule.name)) out.push(detectionToSignal(d, ev, now));
      }
    }
    return out;
  }

  /** Closes correlation windows up to `until` (Infinity at the end of a finite input). */
  flush(until = Infinity): Signal[] {
    const now = Date.now();
    return this.correlation.flush(until).filter((h) => h.emit).map((h) => hitToSignal(h, { tenant: this.tenant, now, attack: attackFromTags }));
  }
}
