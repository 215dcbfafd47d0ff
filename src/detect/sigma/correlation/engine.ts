/**
 * The correlation engine: Sigma 2.1 correlation rules over a stream of rule matches.
 *
 * Time model (see docs/sigma-correlation.md):
 *  - observe() puts each match into a reorder buffer ordered by time, then a hash of
 *    (eventId, ruleId): arrival order never matters.
 *  - A match is applied once a match more than `lateness` ms newer has been seen, or when flush()
 *    passes it. Applied matches are therefore processed in time order whatever their arrival
 *    order, as long as a match arrives at most `lateness` ms after a newer one; older ones are
 *    dropped and counted (`late`).
 *  - Because the live engine and the retro-hunt share this path, both give the same hits.
 */
import { createHash } from 'node:crypto';
import { GarrisonError } from '../../../core/errors.js';
import type { Level } from '../../../core/signal.js';
import {
  Anchored,
  IdSink,
  OrderedChain,
  SlidingCount,
  SlidingDistinct,
  SlidingRules,
  SlidingSum,
  type AggState,
  type Evidence,
  type Limits,
} from './aggregates.js';
import { parseCorrelationOptions, type CorrelationOptions, type CorrelationOptionsInput } from './config.js';
import { conditionHolds, isUpwardClosed, toNumber } from './parse.js';
import { ReorderBuffer } from './reorder.js';
import type { CorrelationHit, CorrelationMatch, CorrelationRule, CorrelationStats, RuleResolver } from './types.js';

/** Anything with field access: a match, or a chained hit's group-by values. */
interface FieldSource {
  get(field: string): unknown;
}

/** One correlation rule, compiled. */
interface Compiled {
  rule: CorrelationRule;
  /** sliding: test on every contribution, restart after a hit; anchored: test when the window closes. */
  sliding: boolean;
  spanMs: number;
  /** Resolved id (or the literal reference) per position of rule.rules. */
  refIds: string[];
  groups: Map<string, Group>;
  /** Groups in update order (sliding) or creation order (anchored): oldest at head. */
  head: Group | undefined;
  tail: Group | undefined;
  /** Contributions seen (paces the expiry sweep). */
  tick: number;
  /** Correlations that reference this one (chains). */
  downstream: Target[];
  /** Whether hits become signals: not referenced, or referenced by a correlation with generate: true. */
  emit: boolean;
  makeAgg: () => AggState;
  disabled: boolean;
  /** Level of hits: the rule's, else the highest of the referenced rules', else medium. */
  level: Level;
}

/** How matches of one source (a rule, or an upstream correlation) feed one correlation. */
interface Target {
  corr: Compiled;
  positions: number[];
  /** Field read per group-by entry (alias resolved for this source). */
  groupFields: string[];
  /** Field(s) read for the aggregated value (value_* types), alias resolved. */
  valueFields: string[] | undefined;
  numeric: boolean;
}

interface Group {
  key: string;
  /** Group-by values for several fields; undefined for one field (the key is the value) or none. */
  values: (string | null)[] | undefined;
  agg: AggState;
  last: number;
  /** anchored windows: [start, end] inclusive. */
  start: number;
  end: number;
  prev: Group | undefined;
  next: Group | undefined;
}

/** A contribution prepared at observe() time, waiting in the reorder buffer (one per target). */
interface PendingItem {
  target: Target;
  key: string;
  /** Group-by values for display; omitted for a single field (the key is the value). */
  values: (string | null)[] | undefined;
  vkey: string | undefined;
  num: number | undefined;
}

interface WindowEntry {
  end: number;
  seq: number;
  corr: Compiled;
  group: Group;
}

/** Binary min-heap. */
class Heap<T> {
  private a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size(): number {
    return this.a.length;
  }
  peek(): T | undefined {
    return this.a[0];
  }
  /** Keeps only the entries `keep` accepts (O(n) rebuild). */
  retain(keep: (v: T) => boolean): void {
    const old = this.a;
    this.a = [];
    for (const v of old) if (keep(v)) this.push(v);
  }
  push(v: T): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as T;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const windowLess = (x: WindowEntry, y: WindowEntry): boolean => x.end < y.end || (x.end === y.end && x.seq < y.seq);

const LEVEL_ORDER: Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** Key of the null group (missingGroupBy: 'null') for a single group-by field. */
const NULL_KEY = '\u0000\u0000null';

/**
 * Live correlation over rule matches, with bounded state.
 *
 * ```ts
 * const engine = new CorrelationEngine(correlationRules, resolver, { lateness: 5000 });
 * for (const p of engine.problems) report(p);          // unresolved references, cycles ...
 * const hits = engine.observe(match);                   // per rule match, any order within `lateness`
 * hits.push(...engine.flush(Date.now() - 5000));        // periodically: closes windows up to a time
 * if (!engine.isSuppressed(ruleId, ruleName)) emitSigmaSignal(...);  // `generate` semantics
 * ```
 */
export class CorrelationEngine {
  /** Problems found while building (a correlation with a problem is disabled; the others run). */
  readonly problems: GarrisonError[] = [];
  readonly options: CorrelationOptions;
  private readonly compiled: Compiled[] = [];
  private readonly byRuleId = new Map<string, Target[]>();
  private readonly byRuleName = new Map<string, Target[]>();
  private readonly suppressed = new Set<string>();
  /** Buffered matches: one PendingItem, or several when the match feeds several correlations. */
  private readonly buffer = new ReorderBuffer<PendingItem | PendingItem[]>();
  private readonly windows = new Heap<WindowEntry>(windowLess);
  private windowSeq = 0;
  private staleWindows = 0;
  private maxSeen = -Infinity;
  /** Time of the last applied match or closed window: nothing older can be applied any more. */
  private now = -Infinity;
  private out: CorrelationHit[] = [];
  private readonly limits: Limits;
  private readonly s: Omit<CorrelationStats, 'groups' | 'buffered' | 'windows'> = {
    observed: 0,
    processed: 0,
    late: 0,
    invalid: 0,
    unreferenced: 0,
    missingGroupBy: 0,
    missingValue: 0,
    evictedLru: 0,
    expired: 0,
    truncatedEntries: 0,
    forcedReleases: 0,
    hits: 0,
    suppressedHits: 0,
  };

  /**
   * @param rules validated correlation rules (from parseCorrelationRule)
   * @param resolver maps a reference (id or name) to a loaded Sigma rule; references to the given
   *   correlation rules are resolved first, by id then name. Without a resolver, references bind
   *   literally: a match feeds a correlation when its ruleId or ruleName equals the reference.
   * @param options bounds and time tolerance (CorrelationOptionsSchema); throws CORRELATION_OPTIONS_INVALID.
   */
  constructor(rules: readonly CorrelationRule[], resolver?: RuleResolver, options?: CorrelationOptionsInput) {
    this.options = parseCorrelationOptions(options);
    this.limits = {
      maxEntries: this.options.maxEntriesPerGroup,
      maxEventIds: this.options.maxEventIds,
      onTruncate: () => {
        this.s.truncatedEntries++;
      },
    };
    this.build(rules, resolver);
  }

  // ------------------------------------------------------------------ building

  private problem(code: 'CORRELATION_RULE_NOT_FOUND' | 'CORRELATION_CYCLE' | 'CORRELATION_DUPLICATE', rule: CorrelationRule, msg: string): void {
    this.problems.push(
      new GarrisonError(code, `correlation rule '${rule.title}' (${rule.id}): ${msg}`, {
        location: { file: rule.source.file, ...(rule.source.line !== undefined ? { line: rule.source.line } : {}) },
      }),
    );
  }

  private build(rules: readonly CorrelationRule[], resolver?: RuleResolver): void {
    const byId = new Map<string, Compiled>();
    const byName = new Map<string, Compiled>();
    for (const rule of rules) {
      const c: Compiled = {
        rule,
        sliding: false,
        spanMs: rule.timespanMs,
        refIds: [],
        groups: new Map(),
        head: undefined,
        tail: undefined,
        tick: 0,
        downstream: [],
        emit: true,
        makeAgg: () => new SlidingCount(this.limits),
        disabled: false,
        level: rule.level ?? 'medium',
      };
      if (byId.has(rule.id)) {
        this.problem('CORRELATION_DUPLICATE', rule, `id '${rule.id}' is already used by '${byId.get(rule.id)?.rule.title}'`);
        continue;
      }
      if (rule.name !== undefined && byName.has(rule.name)) {
        this.problem('CORRELATION_DUPLICATE', rule, `name '${rule.name}' is already used by '${byName.get(rule.name)?.rule.title}'`);
        continue;
      }
      byId.set(rule.id, c);
      if (rule.name !== undefined) byName.set(rule.name, c);
      this.compiled.push(c);
      this.setMode(c);
    }

    // resolve references
    type Ref = { kind: 'corr'; corr: Compiled } | { kind: 'rule'; id: string; name?: string; level?: Level } | { kind: 'literal'; ref: string };
    const refs = new Map<Compiled, Ref[]>();
    for (const c of this.compiled) {
      const list: Ref[] = [];
      for (const ref of c.rule.rules) {
        const corr = byId.get(ref) ?? byName.get(ref);
        if (corr) list.push({ kind: 'corr', corr });
        else if (resolver) {
          const r = resolver(ref);
          if (r) list.push({ kind: 'rule', id: r.id, name: r.name, level: r.level });
          else {
            this.problem('CORRELATION_RULE_NOT_FOUND', c.rule, `references '${ref}', which is neither a loaded rule nor a correlation (by id or name)`);
            c.disabled = true;
            list.push({ kind: 'literal', ref });
          }
        } else list.push({ kind: 'literal', ref });
      }
      refs.set(c, list);
      c.refIds = list.map((r) => (r.kind === 'corr' ? r.corr.rule.id : r.kind === 'rule' ? r.id : r.ref));
    }
    // level of a correlation without one: the highest level among what it references (chains resolved depth-first)
    const levelOf = (c: Compiled, seen: Set<Compiled>): Level | undefined => {
      if (c.rule.level) return c.rule.level;
      if (seen.has(c)) return undefined;
      seen.add(c);
      let best = -1;
      for (const r of refs.get(c) ?? []) {
        const l = r.kind === 'corr' ? levelOf(r.corr, seen) : r.kind === 'rule' ? r.level : undefined;
        if (l) best = Math.max(best, LEVEL_ORDER.indexOf(l));
      }
      return best < 0 ? undefined : LEVEL_ORDER[best];
    };
    for (const c of this.compiled) c.level = levelOf(c, new Set()) ?? 'medium';

    // cycles (DFS over correlation references)
    const state = new Map<Compiled, 1 | 2>();
    const visit = (c: Compiled, stack: Compiled[]): void => {
      state.set(c, 1);
      stack.push(c);
      for (const r of refs.get(c) ?? []) {
        if (r.kind !== 'corr') continue;
        const st = state.get(r.corr);
        if (st === 1) {
          const cyc = stack.slice(stack.indexOf(r.corr));
          for (const m of cyc) {
            if (!m.disabled) this.problem('CORRELATION_CYCLE', m.rule, `is part of a reference cycle: ${[...cyc, r.corr].map((x) => x.rule.id).join(' -> ')}`);
            m.disabled = true;
          }
        } else if (st === undefined) visit(r.corr, stack);
      }
      stack.pop();
      state.set(c, 2);
    };
    for (const c of this.compiled) if (!state.has(c)) visit(c, []);
    // a correlation that needs a disabled one is disabled too
    for (let changed = true; changed; ) {
      changed = false;
      for (const c of this.compiled) {
        if (c.disabled) continue;
        const bad = (refs.get(c) ?? []).find((r) => r.kind === 'corr' && r.corr.disabled);
        if (bad && bad.kind === 'corr') {
          this.problem('CORRELATION_RULE_NOT_FOUND', c.rule, `references correlation '${bad.corr.rule.id}', which is disabled by a problem`);
          c.disabled = true;
          changed = true;
        }
      }
    }

    // routing and generate semantics
    const generateFor = new Map<string, boolean>(); // source key -> some referencing correlation has generate: true
    for (const c of this.compiled) {
      if (c.disabled) continue;
      const list = refs.get(c) ?? [];
      const bySource = new Map<string, { ref: Ref; positions: number[]; written: string }>();
      list.forEach((r, p) => {
        const k = r.kind === 'corr' ? 'c:' + r.corr.rule.id : r.kind === 'rule' ? 'r:' + r.id : 'l:' + r.ref;
        const e = bySource.get(k);
        if (e) e.positions.push(p);
        else bySource.set(k, { ref: r, positions: [p], written: c.rule.rules[p] });
      });
      for (const [k, { ref, positions, written }] of bySource) {
        const names = [written, ...(ref.kind === 'corr' ? [ref.corr.rule.id, ref.corr.rule.name] : ref.kind === 'rule' ? [ref.id, ref.name] : [ref.ref])].filter(
          (x): x is string => typeof x === 'string',
        );
        const aliasField = (f: string): string => {
          const m = Object.hasOwn(c.rule.aliases, f) ? c.rule.aliases[f] : undefined;
          if (!m) return f;
          for (const n of names) if (Object.hasOwn(m, n)) return m[n];
          return f;
        };
        const t: Target = {
          corr: c,
          positions,
          groupFields: c.rule.groupBy.map(aliasField),
          valueFields: c.rule.condition.field?.map(aliasField),
          numeric: c.rule.type === 'value_sum' || c.rule.type === 'value_avg' || ((c.rule.type === 'value_percentile' || c.rule.type === 'value_median') && c.rule.condition.percentile !== undefined),
        };
        if (ref.kind === 'corr') ref.corr.downstream.push(t);
        else if (ref.kind === 'rule') push(this.byRuleId, ref.id, t);
        else {
          push(this.byRuleId, ref.ref, t);
          push(this.byRuleName, ref.ref, t);
        }
        generateFor.set(k, (generateFor.get(k) ?? false) || c.rule.generate);
      }
    }
    for (const [k, gen] of generateFor) {
      if (k.startsWith('c:')) {
        const corr = byId.get(k.slice(2));
        if (corr) corr.emit = gen;
      } else if (!gen) this.suppressed.add(k.slice(2));
    }
  }

  private setMode(c: Compiled): void {
    const { type, condition } = c.rule;
    const up = isUpwardClosed(condition);
    const n = c.rule.rules.length;
    switch (type) {
      case 'event_count':
        c.sliding = up;
        c.makeAgg = up ? () => new SlidingCount(this.limits) : () => new Anchored('count', this.limits, undefined);
        break;
      case 'value_count': {
        c.sliding = up;
        // a distinct count can only reach its threshold if that many values are kept: raise the
        // per-group cap for this rule up to the threshold (at most 1e6)
        const need = Math.ceil(Math.max(condition.ops.gte ?? 0, (condition.ops.gt ?? -1) + 1, condition.ops.lte ?? 0, (condition.ops.lt ?? 0), (condition.ops.eq ?? 0)) + 1);
        const lim: Limits = need > this.limits.maxEntries ? { ...this.limits, maxEntries: Math.min(need, 1_000_000) } : this.limits;
        c.makeAgg = up ? () => new SlidingDistinct(lim) : () => new Anchored('distinct', lim, undefined);
        break;
      }
      case 'value_sum':
        c.sliding = up;
        c.makeAgg = up ? () => new SlidingSum(this.limits) : () => new Anchored('sum', this.limits, undefined);
        break;
      case 'value_avg':
        c.makeAgg = () => new Anchored('avg', this.limits, undefined);
        break;
      case 'value_percentile':
      case 'value_median': {
        const p = condition.percentile;
        c.makeAgg = p === undefined ? () => new Anchored('share', this.limits, undefined) : () => new Anchored('percentile', this.limits, p);
        break;
      }
      case 'temporal':
        c.sliding = up;
        c.makeAgg = () => new SlidingRules(n);
        break;
      case 'temporal_ordered':
        c.sliding = up;
        c.makeAgg = () => new OrderedChain(n);
        break;
    }
  }

  // ------------------------------------------------------------------ public API

  /** The correlation rules this engine runs (disabled ones excluded). */
  get rules(): CorrelationRule[] {
    return this.compiled.filter((c) => !c.disabled).map((c) => c.rule);
  }

  /**
   * `generate` semantics: true when matches of this Sigma rule should NOT become stand-alone
   * signals, because every correlation referencing it has `generate: false` (the default).
   * A rule referenced by at least one correlation with `generate: true` is emitted.
   */
  isSuppressed(ruleId: string, ruleName?: string): boolean {
    return this.suppressed.has(ruleId) || (ruleName !== undefined && this.suppressed.has(ruleName));
  }

  /** The rule ids (or literal references, without a resolver) whose stand-alone output is suppressed. */
  get suppressedRules(): ReadonlySet<string> {
    return this.suppressed;
  }

  /** True when some correlation consumes matches of this rule (the matcher may skip others). */
  isReferenced(ruleId: string, ruleName?: string): boolean {
    return this.byRuleId.has(ruleId) || (ruleName !== undefined && this.byRuleName.has(ruleName));
  }

  /**
   * Feeds one rule match. Returns the hits that became final because of it (possibly from earlier
   * matches: with lateness > 0 a hit appears once the reorder buffer releases its last match).
   * Never throws on bad input: invalid matches are counted in stats().invalid.
   */
  observe(match: CorrelationMatch): CorrelationHit[] {
    this.s.observed++;
    if (match === null || typeof match !== 'object') {
      this.s.invalid++;
      return [];
    }
    const time = match.time;
    if (typeof time !== 'number' || !Number.isFinite(time) || typeof match.ruleId !== 'string' || typeof match.eventId !== 'string') {
      this.s.invalid++;
      return [];
    }
    const a = this.byRuleId.get(match.ruleId);
    const b = match.ruleName !== undefined ? this.byRuleName.get(match.ruleName) : undefined;
    const targets = a && b ? [...new Set([...a, ...b])] : (a ?? b);
    if (!targets) {
      this.s.unreferenced++;
      return [];
    }
    if (time < this.now) {
      this.s.late++;
      return [];
    }
    if (targets.length === 1) {
      const it = this.prepare(targets[0], match);
      if (it) this.buffer.push(time, match.eventId, match.ruleId, it);
    } else {
      const items: PendingItem[] = [];
      for (const t of targets) {
        const it = this.prepare(t, match);
        if (it) items.push(it);
      }
      if (items.length > 0) this.buffer.push(time, match.eventId, match.ruleId, items);
    }
    if (time > this.maxSeen) this.maxSeen = time;
    this.release(this.maxSeen - this.options.lateness);
    while (this.buffer.size > this.options.maxBuffered) {
      this.s.forcedReleases++;
      this.applyNext();
    }
    // groups of correlations that see no new matches are swept here, amortized
    if ((this.s.observed & 1023) === 0 && this.now > -Infinity) this.sweepAll(this.now);
    return this.take();
  }

  /**
   * Applies every buffered match with time <= untilTime, closes windows ending before
   * untilTime and drops expired groups. Call periodically with a wall-clock watermark
   * (e.g. now - lateness) so that quiet groups still produce their window-end hits, and with
   * Infinity at the end of a finite input.
   */
  flush(untilTime: number = Infinity): CorrelationHit[] {
    if (Number.isNaN(untilTime)) return [];
    while (this.buffer.size > 0 && this.buffer.peekTime() <= untilTime) this.applyNext();
    this.closeWindows(untilTime);
    if (untilTime > this.now && untilTime !== Infinity) this.now = untilTime;
    this.sweepAll(untilTime);
    return this.take();
  }

  /** Counters and current sizes. */
  stats(): CorrelationStats {
    let groups = 0;
    for (const c of this.compiled) groups += c.groups.size;
    return { ...this.s, groups, buffered: this.buffer.size, windows: this.windows.size };
  }

  // ------------------------------------------------------------------ internals

  private take(): CorrelationHit[] {
    if (this.out.length === 0) return [];
    const o = this.out;
    this.out = [];
    return o;
  }

  /** Reads group-by and value fields of a source for one target; undefined if it must be skipped. */
  private prepare(t: Target, src: FieldSource): PendingItem | undefined {
    const max = this.options.maxValueLength;
    const nf = t.groupFields.length;
    const values: (string | null)[] | undefined = nf > 1 ? [] : undefined;
    let key = '';
    for (let i = 0; i < nf; i++) {
      const v = valueText(safeGet(src, t.groupFields[i]), max);
      if (v === undefined) {
        if (this.options.missingGroupBy === 'skip') {
          this.s.missingGroupBy++;
          return undefined;
        }
        values?.push(null);
        key += nf === 1 ? NULL_KEY : '-';
      } else {
        values?.push(v);
        // one field: the value itself is the key (no copy); several: length-prefixed, collision-free
        key = nf === 1 ? v : key + v.length + ':' + v;
      }
    }
    let vkey: string | undefined;
    let num: number | undefined;
    if (t.valueFields) {
      if (t.numeric) {
        const raw = safeGet(src, t.valueFields[0]);
        num = typeof raw === 'number' ? raw : typeof raw === 'string' ? toNumber(raw) : typeof raw === 'bigint' ? Number(raw) : undefined;
        if (num !== undefined && !Number.isFinite(num)) num = undefined;
        if (num === undefined) {
          this.s.missingValue++;
          return undefined;
        }
      } else {
        let k = '';
        for (const f of t.valueFields) {
          const v = valueText(safeGet(src, f), max);
          if (v === undefined) {
            this.s.missingValue++;
            return undefined;
          }
          k += t.valueFields.length === 1 ? v : v.length + ':' + v;
        }
        vkey = k;
      }
    }
    return { target: t, key, values, vkey, num };
  }

  /** Applies buffered matches older than the watermark, then closes windows that ended before it. */
  private release(watermark: number): void {
    while (this.buffer.size > 0 && this.buffer.peekTime() < watermark) this.applyNext();
    this.closeWindows(watermark);
  }

  /** Applies the earliest buffered match. */
  private applyNext(): void {
    const b = this.buffer;
    b.pop();
    const time = b.outTime;
    const id = b.outId;
    const v = b.outVal as PendingItem | PendingItem[];
    b.outVal = undefined;
    this.closeWindows(time);
    if (time > this.now) this.now = time;
    this.s.processed++;
    if (Array.isArray(v)) for (const it of v) this.contribute(it, time, id);
    else this.contribute(v, time, id);
  }

  /** Closes anchored windows whose end is before `t` (a match at exactly `end` still belongs to the window), in end order. */
  private closeWindows(t: number): void {
    for (;;) {
      const w = this.windows.peek();
      if (!w || w.end >= t) break;
      this.windows.pop();
      if (w.corr.groups.get(w.group.key) !== w.group) {
        this.staleWindows = Math.max(0, this.staleWindows - 1);
        continue; // evicted meanwhile
      }
      this.removeGroup(w.corr, w.group);
      if (w.end > this.now) this.now = w.end;
      this.evaluateWindow(w.corr, w.group);
    }
  }

  private contribute(it: PendingItem, time: number, ev: Evidence): void {
    const c = it.target.corr;
    // expired groups are dropped every 64 contributions (a stale group that is touched again
    // forgets its old entries in evict() anyway); touching the list head each time costs a cache miss
    if (c.sliding && (++c.tick & 63) === 0) this.sweep(c, time);
    let g = c.groups.get(it.key);
    if (c.sliding) {
      if (g) {
        g.agg.evict(time - c.spanMs);
        // move to the tail: the list stays in update order (LRU)
        if (c.tail !== g) {
          unlink(c, g);
          linkTail(c, g);
        }
      } else g = this.newGroup(c, it, time);
      g.agg.add(time, ev, it.target.positions, it.vkey, it.num);
      g.last = time;
      const v = g.agg.value();
      if (conditionHolds(c.rule.condition.ops, v)) {
        this.hit(c, g, v, time, g.agg.first(), time);
        return; // the group restarts after a hit
      }
      if (g.agg.empty()) this.removeGroup(c, g);
    } else {
      if (!g) {
        g = this.newGroup(c, it, time);
        g.start = time;
        g.end = time + c.spanMs;
        this.windows.push({ end: g.end, seq: this.windowSeq++, corr: c, group: g });
      }
      g.agg.add(time, ev, it.target.positions, it.vkey, it.num);
      g.last = time;
    }
  }

  private newGroup(c: Compiled, it: PendingItem, time: number): Group {
    if (c.groups.size >= this.options.maxGroups && c.head) {
      this.removeGroup(c, c.head);
      this.s.evictedLru++;
      if (!c.sliding && ++this.staleWindows > 1024 && this.staleWindows * 2 > this.windows.size) {
        // drop heap entries of evicted windows so the heap stays proportional to live groups
        this.windows.retain((w) => w.corr.groups.get(w.group.key) === w.group);
        this.staleWindows = 0;
      }
    }
    const g: Group = { key: it.key, values: it.values, agg: c.makeAgg(), last: time, start: time, end: time, prev: undefined, next: undefined };
    c.groups.set(it.key, g);
    linkTail(c, g);
    return g;
  }

  private removeGroup(c: Compiled, g: Group): void {
    if (c.groups.get(g.key) !== g) return;
    c.groups.delete(g.key);
    unlink(c, g);
  }

  /** Drops sliding groups whose newest contribution is older than the window (the list is in update order). */
  private sweep(c: Compiled, time: number): void {
    if (!c.sliding) return;
    const cutoff = time - c.spanMs;
    while (c.head && c.head.last < cutoff) {
      this.removeGroup(c, c.head);
      this.s.expired++;
    }
  }

  private sweepAll(time: number): void {
    for (const c of this.compiled) {
      if (!c.sliding) continue;
      if (time === Infinity) {
        this.s.expired += c.groups.size;
        c.groups.clear();
        c.head = c.tail = undefined;
      } else this.sweep(c, time);
    }
  }

  private evaluateWindow(c: Compiled, g: Group): void {
    const agg = g.agg;
    if (agg.empty()) return;
    if (agg instanceof Anchored && agg.kind === 'share') {
      const sat = agg
        .shares()
        .filter((s) => conditionHolds(c.rule.condition.ops, s.share))
        .sort((a, b) => a.share - b.share || (a.value < b.value ? -1 : 1));
      if (sat.length > 0) this.hit(c, g, sat[0].share, g.end, agg.first(), g.end, sat.slice(0, 20));
      return;
    }
    const v = agg.value();
    if (!Number.isNaN(v) && conditionHolds(c.rule.condition.ops, v)) this.hit(c, g, v, g.end, agg.first(), g.last);
  }

  private hit(c: Compiled, g: Group, value: number, time: number, start: number, end: number, values?: { value: string; share: number }[]): void {
    const sink = new IdSink(this.options.maxEventIds);
    g.agg.evidence(sink);
    const groupBy: Record<string, string | null> = {};
    c.rule.groupBy.forEach((f, i) => {
      groupBy[f] = g.values ? (g.values[i] ?? null) : g.key === NULL_KEY ? null : g.key;
    });
    const hit: CorrelationHit = {
      ruleId: c.rule.id,
      ...(c.rule.name !== undefined ? { name: c.rule.name } : {}),
      title: c.rule.title,
      level: c.level,
      tags: c.rule.tags,
      type: c.rule.type,
      groupBy,
      window: { start: Number.isNaN(start) ? time : start, end },
      time,
      value,
      condition: c.rule.condition,
      eventIds: sink.ids,
      eventCount: g.agg.count(),
      ruleIds: [...new Set(g.agg.positions().map((p) => c.refIds[p]))],
      emit: c.emit,
      ...(values ? { values } : {}),
    };
    this.s.hits++;
    if (!c.emit) this.s.suppressedHits++;
    if (c.emit || this.options.includeSuppressed) this.out.push(hit);
    if (c.sliding) this.removeGroup(c, g);
    // chains: the hit is a match of this correlation for the correlations referencing it
    if (c.downstream.length > 0) {
      const src: FieldSource = { get: (f) => (Object.prototype.hasOwnProperty.call(groupBy, f) ? (groupBy[f] ?? undefined) : undefined) };
      for (const t of c.downstream) {
        const it = this.prepare(t, src);
        if (it) this.contribute(it, time, sink.ids);
      }
    }
  }
}

function linkTail(c: Compiled, g: Group): void {
  g.prev = c.tail;
  g.next = undefined;
  if (c.tail) c.tail.next = g;
  else c.head = g;
  c.tail = g;
}

function unlink(c: Compiled, g: Group): void {
  if (g.prev) g.prev.next = g.next;
  else if (c.head === g) c.head = g.next;
  if (g.next) g.next.prev = g.prev;
  else if (c.tail === g) c.tail = g.prev;
  g.prev = g.next = undefined;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function safeGet(m: FieldSource, f: string): unknown {
  try {
    return m.get(f);
  } catch {
    return undefined;
  }
}

/** Text of a group-by / value field; undefined when absent. Over-long texts become prefix + SHA-1. */
export function valueText(v: unknown, max: number): string | undefined {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else if (v === null || v === undefined) return undefined;
  else if (typeof v === 'object') {
    try {
      s = JSON.stringify(v) ?? '';
    } catch {
      return undefined;
    }
  } else return undefined;
  if (s.length > max) s = s.slice(0, Math.min(64, max)) + '…sha1:' + createHash('sha1').update(s).digest('hex');
  return s;
}
