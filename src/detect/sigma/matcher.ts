/**
 * The compiled Sigma matcher.
 *
 * Rules are compiled once per (rule, field mapping) to closures. Events are routed by log source
 * (processing pipeline entries) to buckets, so an event only meets rules that can apply to it.
 * In each bucket a candidate index holds every rule's required literals in one Aho-Corasick
 * automaton per field, run over the field's lower-cased value (computed once per event); only
 * rules whose literal occurs, plus the few rules without such a witness, are evaluated.
 */
import { GarrisonError } from '../../core/errors.js';
import { getField, type GarrisonEvent } from '../../core/event.js';
import { LEVELS } from '../../core/signal.js';
import { compatible, compileRoute, loadPipelines, routedEvent, syntheticRoute, type Pipeline, type PipelineName, type Route } from '../pipelines/index.js';
import { AhoCorasick, AnchoredTrie, SkipScanner } from './ahocorasick.js';
import { chooseGroups, compileDetection, compileRule, MAX_GROUPS, type Compiled, type WExpr } from './compile.js';
import { parseSigmaConfig, type SigmaConfig, type SigmaConfigInput } from './config.js';
import type { LoadedSet } from './loader.js';
import type { SigmaFilter, SigmaRule } from './types.js';
import { ANY_FIELD, type FieldTest, type ItemContext, type Witness } from './values.js';
import { EventView } from './view.js';
import type { YValue } from './yaml.js';

export interface SigmaDetection {
  rule: SigmaRule;
  /** Pipeline entry (log-source route) under which the rule matched. */
  route: string;
  /** Event fields the rule's (non-negated) searches read, with their values. */
  fields: Record<string, unknown>;
  /** Reads a field of the event through the route's field mapping (for correlation group-by). */
  get(field: string): unknown;
}

interface Entry {
  rule: SigmaRule;
  compiled: Compiled;
}

interface FieldIndex {
  field: string;
  /** Keyword literals (all long): skip scanning instead of the automaton. */
  skip?: SkipScanner;
  /** Shortest literal of this field's index (keyword scans skip shorter values). */
  minLen?: number;
  /** The field name holds a dot (may be a nested path). */
  dotted?: boolean;
  /** 10^(minLen-1): smaller non-negative integers cannot contain a literal. */
  numMin?: number;
  ac?: AhoCorasick;
  pre?: AnchoredTrie;
  suf?: AnchoredTrie;
  /** Per index kind: pattern id -> entries (CSR). */
  acStart?: Int32Array;
  acIds?: Int32Array;
  preStart?: Int32Array;
  preIds?: Int32Array;
  sufStart?: Int32Array;
  sufIds?: Int32Array;
}

class Bucket {
  readonly entries: Entry[] = [];
  private always = new Int32Array(0);
  private index: FieldIndex[] = [];
  private mark = new Uint32Array(0);
  /** Group bits found so far for each entry (valid when mark[entry] === stamp) and the bits needed. */
  private bits = new Uint8Array(0);
  private need = new Uint8Array(0);
  private stamp = 0;
  private cand: number[] = [];
  private curStart: Int32Array = new Int32Array(0);
  private curIds: Int32Array = new Int32Array(0);
  acBytes = 0;
  literals = 0;
  constructor(readonly route: Route) {}

  build(acCache: Map<string, AhoCorasick>): void {
    type Lits = Map<string, Set<number>>;
    const byField = new Map<string, { contains: Lits; prefix: Lits; suffix: Lits; exact: Lits }>();
    const always: number[] = [];
    this.need = new Uint8Array(this.entries.length);
    // How many rules of the bucket use each literal: a literal many rules share ('true', '4624',
    // 'negotiate') is likely common in events too, so groups of rare literals are preferred.
    const uses = new Map<string, number>();
    const keyOf = (w: Witness) => `${w.field}\u0000${w.kind}\u0000${w.literal}`;
    const collect = (x: WExpr | null, acc: Set<string>) => {
      if (!x) return;
      if (x.t === 'lit') for (const w of x.w) acc.add(keyOf(w));
      else for (const y of x.items) collect(y, acc);
    };
    for (const e of this.entries) {
      const acc = new Set<string>();
      collect(e.compiled.wexpr, acc);
      for (const k of acc) uses.set(k, (uses.get(k) ?? 0) + 1);
    }
    const cost = (w: Witness) => (uses.get(keyOf(w)) ?? 1) + 8 / Math.max(1, w.literal.length) + (w.field === ANY_FIELD ? 1000 : 0);
    this.entries.forEach((e, i) => {
      const groups = (e.compiled.wexpr ? chooseGroups(e.compiled.wexpr, cost) : e.compiled.groups).filter((g) => g.length > 0).slice(0, MAX_GROUPS);
      if (groups.length === 0) {
        always.push(i);
        return;
      }
      this.need[i] = (1 << groups.length) - 1;
      groups.forEach((g, gi) => {
        for (const { field, literal, kind } of g) {
          let m = byField.get(field);
          if (!m) byField.set(field, (m = { contains: new Map(), prefix: new Map(), suffix: new Map(), exact: new Map() }));
          const k = m[kind];
          let set = k.get(literal);
          if (!set) k.set(literal, (set = new Set()));
          set.add(i * 4 + gi);
        }
      });
    });
    this.always = Int32Array.from(always);
    const csr = (keys: string[], get: (k: string) => Set<number>): [Int32Array, Int32Array] => {
      const start = new Int32Array(keys.length + 1);
      const ids: number[] = [];
      keys.forEach((l, k) => {
        start[k] = ids.length;
        ids.push(...get(l));
      });
      start[keys.length] = ids.length;
      return [start, Int32Array.from(ids)];
    };
    this.index = [];
    for (const [field, m] of byField) {
      const fi: FieldIndex = { field, dotted: field.includes('.') };
      fi.minLen = Math.min(...[...m.contains.keys(), ...m.prefix.keys(), ...m.suffix.keys(), ...m.exact.keys()].map((l) => l.length));
      fi.numMin = 10 ** Math.max(0, fi.minLen - 1);
      if (m.contains.size) {
        const lits = [...m.contains.keys()].sort();
        const cacheKey = lits.join('\u0000');
        let ac = acCache.get(cacheKey);
        const shared = ac !== undefined;
        if (!ac) acCache.set(cacheKey, (ac = new AhoCorasick(lits)));
        fi.ac = ac;
        [fi.acStart, fi.acIds] = csr(lits, (l) => m.contains.get(l)!);
        if (field === ANY_FIELD && Math.min(...lits.map((l) => l.length)) >= 4) fi.skip = new SkipScanner(lits);
        this.acBytes += (shared ? 0 : ac.bytes()) + fi.acStart.byteLength + fi.acIds.byteLength;
        this.literals += lits.length;
      }
      if (m.prefix.size || m.exact.size) {
        const pats = [...[...m.prefix.keys()].map((text) => ({ text, exact: false, set: m.prefix.get(text)! })), ...[...m.exact.keys()].map((text) => ({ text, exact: true, set: m.exact.get(text)! }))];
        fi.pre = new AnchoredTrie(pats, false);
        const start = new Int32Array(pats.length + 1);
        const ids: number[] = [];
        pats.forEach((p, k) => {
          start[k] = ids.length;
          ids.push(...p.set);
        });
        start[pats.length] = ids.length;
        fi.preStart = start;
        fi.preIds = Int32Array.from(ids);
        this.acBytes += fi.pre.bytes() + start.byteLength + ids.length * 4;
        this.literals += pats.length;
      }
      if (m.suffix.size) {
        const lits = [...m.suffix.keys()];
        fi.suf = new AnchoredTrie(lits.map((text) => ({ text, exact: false })), true);
        [fi.sufStart, fi.sufIds] = csr(lits, (l) => m.suffix.get(l)!);
        this.acBytes += fi.suf.bytes() + fi.sufStart.byteLength + fi.sufIds.byteLength;
        this.literals += lits.length;
      }
      this.index.push(fi);
    }
    this.mark = new Uint32Array(this.entries.length);
    this.bits = new Uint8Array(this.entries.length);
  }

  /** Evaluates the bucket's rules on an event; calls `hit` for each matching entry. */
  run(v: EventView, hit: (e: Entry, route: Route) => void, stats: MatcherStats): void {
    if (this.entries.length === 0) return;
    if (++this.stamp === 0xffffffff) {
      this.mark.fill(0);
      this.stamp = 1;
    }
    // (bits are reset lazily when an entry is first touched under the new stamp)
    this.cand.length = 0;
    for (const ix of this.index) {
      if (ix.field === ANY_FIELD) {
        this.scanAll(ix, v.fields, 0);
        continue;
      }
      const direct = v.fields[ix.field];
      if (typeof direct === 'string') {
        this.scan(ix, direct);
        continue;
      }
      if (typeof direct === 'number') {
        this.scan(ix, String(direct));
        continue;
      }
      if (direct === undefined && !ix.dotted) continue;
      const s = v.str(ix.field);
      if (typeof s === 'string') this.scan(ix, s);
      else if (s === undefined) {
        const raw = v.get(ix.field);
        if (Array.isArray(raw)) for (const x of raw) if (x !== null && typeof x !== 'object') this.scan(ix, String(x));
      }
    }
    const entries = this.entries;
    const cand = this.cand;
    for (let k = 0; k < cand.length; k++) {
      const e = entries[cand[k]];
      stats.evaluated++;
      if (e.compiled.test(v)) hit(e, this.route);
    }
    const always = this.always;
    for (let k = 0; k < always.length; k++) {
      const e = entries[always[k]];
      stats.evaluated++;
      if (e.compiled.test(v)) hit(e, this.route);
    }
  }

  /** A literal was found: set its group bit on each rule; a rule whose groups are all found is a candidate. */
  private readonly onHit = (p: number): void => {
    const start = this.curStart, ids = this.curIds, mark = this.mark, bits = this.bits, need = this.need, stamp = this.stamp;
    for (let k = start[p], e = start[p + 1]; k < e; k++) {
      const x = ids[k];
      const r = x >> 2;
      const b = 1 << (x & 3);
      if (mark[r] !== stamp) {
        mark[r] = stamp;
        bits[r] = 0;
      }
      const cur = bits[r];
      if ((cur & b) !== 0) continue;
      const nb = cur | b;
      bits[r] = nb;
      if (nb === need[r]) this.cand.push(r);
    }
  };

  /** Keyword literals: every value of the event (no copies; values shorter than the shortest literal skipped). */
  private scanAll(ix: FieldIndex, o: Record<string, unknown> | unknown[], depth: number): void {
    const min = ix.minLen ?? 1;
    for (const k in o) {
      const x = (o as Record<string, unknown>)[k];
      if (typeof x === 'string') {
        if (x.length >= min) this.scan(ix, x);
      } else if (typeof x === 'number') {
        // a non-negative integer below 10^(min-1) has fewer digits than the shortest literal
        if (x >= 0 && x < (ix.numMin ?? 0) && Number.isInteger(x)) continue;
        const t = String(x);
        if (t.length >= min) this.scan(ix, t);
      } else if (typeof x === 'boolean' || typeof x === 'bigint') {
        const t = String(x);
        if (t.length >= min) this.scan(ix, t);
      } else if (x !== null && typeof x === 'object' && depth < 16) this.scanAll(ix, x as Record<string, unknown>, depth + 1);
    }
  }

  private scan(ix: FieldIndex, s: string): void {
    if (ix.pre) {
      this.curStart = ix.preStart!;
      this.curIds = ix.preIds!;
      ix.pre.walk(s, this.onHit);
    }
    if (ix.suf) {
      this.curStart = ix.sufStart!;
      this.curIds = ix.sufIds!;
      ix.suf.walk(s, this.onHit);
    }
    if (ix.ac) {
      this.curStart = ix.acStart!;
      this.curIds = ix.acIds!;
      if (ix.skip) ix.skip.search(s, this.onHit);
      else ix.ac.search(s, this.onHit);
    }
  }

  get withoutWitness(): number {
    return this.always.length;
  }
}

export interface MatcherStats {
  events: number;
  evaluated: number;
  detections: number;
}

export interface MatcherOptions {
  config?: SigmaConfigInput;
  /** Pipelines to use (objects); default: the shipped ones named in config.pipelines (or all). */
  pipelines?: Pipeline[];
}

function toYValue(v: unknown): YValue {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(toYValue);
  if (typeof v === 'object') {
    const o: Record<string, YValue> = Object.create(null);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = toYValue(x);
    return o;
  }
  return String(v);
}

export class SigmaMatcher {
  readonly rules: SigmaRule[] = [];
  readonly problems: GarrisonError[] = [];
  readonly config: SigmaConfig;
  readonly stats: MatcherStats = { events: 0, evaluated: 0, detections: 0 };
  private readonly routes: Route[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly byChannel = new Map<string, Bucket[]>();
  private readonly other: Bucket[] = [];
  /** Envelope key -> buckets whose static log-source conditions hold (bounded). */
  private readonly routeCache = new Map<string, Bucket[]>();
  private readonly skipped: { rule: SigmaRule; reason: string }[] = [];

  constructor(set: Pick<LoadedSet, 'rules' | 'filters'>, opts: MatcherOptions = {}) {
    this.config = parseSigmaConfig(opts.config ?? {});
    const cfg = this.config;
    const pipelines = opts.pipelines ?? loadPipelines(cfg.pipelines as PipelineName[] | undefined);
    const channelOf = new Map<string, string[] | undefined>();
    for (const p of pipelines)
      for (const e of p.entries) {
        const r = compileRoute(e);
        this.routes.push(r);
        channelOf.set(r.key, e.when.channel);
      }
    const synthetic = new Map<string, Route>();

    const enabled = cfg.enabled ? new Set(cfg.enabled) : undefined;
    const disabled = new Set(cfg.disabled);
    const minLevel = cfg.minLevel ? LEVELS.indexOf(cfg.minLevel as (typeof LEVELS)[number]) : 0;
    const filtersFor = (rule: SigmaRule): SigmaFilter[] => set.filters.filter((f) => f.rules.includes(rule.id) || (rule.name !== undefined && f.rules.includes(rule.name)));
    const exceptionsFor = (rule: SigmaRule) => cfg.exceptions.filter((x) => x.rules.includes('*') || x.rules.includes(rule.id) || (rule.name !== undefined && x.rules.includes(rule.name)));

    for (const rule of set.rules) {
      const keys = [rule.id, rule.name].filter((x): x is string => !!x);
      if (enabled && !keys.some((k) => enabled.has(k))) { this.skipped.push({ rule, reason: 'not enabled' }); continue; }
      if (keys.some((k) => disabled.has(k))) { this.skipped.push({ rule, reason: 'disabled' }); continue; }
      if (LEVELS.indexOf(rule.level) < minLevel) { this.skipped.push({ rule, reason: 'below minLevel' }); continue; }
      if (rule.status && cfg.skipStatus.includes(rule.status)) { this.skipped.push({ rule, reason: `status ${rule.status}` }); continue; }
      let routes = this.routes.filter((r) => compatible(rule.logsource, r.logsource));
      if (routes.length === 0) {
        const k = `${rule.logsource.product ?? ''}/${rule.logsource.service ?? ''}/${rule.logsource.category ?? ''}`;
        let r = synthetic.get(k);
        if (!r) synthetic.set(k, (r = syntheticRoute(rule.logsource)));
        routes = [r];
      }
      const byMapping = new Map<string, Compiled>();
      const placed: [Route, Compiled][] = [];
      try {
        const filters = filtersFor(rule);
        const excs = exceptionsFor(rule);
        for (const r of routes) {
          let c = byMapping.get(r.mappingKey);
          if (!c) {
            const ctx: ItemContext = { mapField: r.mapField, placeholders: cfg.placeholders };
            c = compileRule(rule, ctx);
            for (const f of filters) {
              const fc = compileDetection(f.searches, [f.condition], ctx, { file: f.source.file, base: ['filter'] });
              const a: FieldTest = c.test, b: FieldTest = fc.test;
              c = { ...c, test: (v) => a(v) && b(v) };
            }
            for (const x of excs) {
              const searches = toYValue(x.detection) as Record<string, YValue>;
              const xc = compileDetection(searches, [x.condition], ctx, { file: '(config exceptions)', base: [] });
              const a: FieldTest = c.test, b: FieldTest = xc.test;
              c = { ...c, test: (v) => a(v) && !b(v) };
            }
            byMapping.set(r.mappingKey, c);
          }
          placed.push([r, c]);
        }
      } catch (e) {
        const err = e instanceof GarrisonError ? e : new GarrisonError('INTERNAL', (e as Error).message);
        this.problems.push(err.location?.file ? err : new GarrisonError(err.code, err.message, { location: { file: rule.source.file, line: rule.source.line } }));
        continue;
      }
      this.rules.push(rule);
      for (const [r, c] of placed) {
        let b = this.buckets.get(r.key);
        if (!b) {
          b = new Bucket(r);
          this.buckets.set(r.key, b);
          const chans = channelOf.get(r.key);
          if (chans) for (const ch of chans) {
            const k = ch.toLowerCase();
            const l = this.byChannel.get(k) ?? [];
            l.push(b);
            this.byChannel.set(k, l);
          }
          else this.other.push(b);
        }
        b.entries.push({ rule, compiled: c });
      }
    }
    const acCache = new Map<string, AhoCorasick>();
    for (const b of this.buckets.values()) b.build(acCache);
  }

  /** Rules not loaded into the matcher because of the configuration, with the reason. */
  get skippedRules(): readonly { rule: SigmaRule; reason: string }[] {
    return this.skipped;
  }

  /** Matches one event against every applicable rule. */
  match(ev: Pick<GarrisonEvent, 'fields' | 'source'>): SigmaDetection[] {
    this.stats.events++;
    const re = routedEvent(ev);
    const view = this.view;
    view.reset(ev.fields);
    const out: SigmaDetection[] = [];
    this.out = out;
    const hit = this.hit;
    let bs = this.routeCache.get(re.key);
    if (!bs) {
      const list: Bucket[] = [];
      if (re.channel !== undefined) for (const b of this.byChannel.get(re.channel) ?? []) if (b.route.staticMatch(re)) list.push(b);
      for (const b of this.other) if (b.route.staticMatch(re)) list.push(b);
      if (this.routeCache.size >= 10_000) this.routeCache.clear();
      this.routeCache.set(re.key, (bs = list));
    }
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i];
      if (!b.route.hasFieldConditions || b.route.fieldMatch(re)) b.run(view, hit, this.stats);
    }
    this.stats.detections += out.length;
    this.out = [];
    return out;
  }

  private view = new EventView({});
  private out: SigmaDetection[] = [];
  private readonly hit = (e: Entry, route: Route): void => {
    const out = this.out;
    for (let i = 0; i < out.length; i++) if (out[i].rule === e.rule) return;
    const fieldsOf = this.view.fields;
    const fields: Record<string, unknown> = {};
    for (const f of e.compiled.fields) {
      const val = getField(fieldsOf, f);
      if (val !== undefined) fields[f] = val;
    }
    out.push({
      rule: e.rule,
      route: route.key,
      fields,
      get: (name) => {
        for (const n of route.mapField(name)) {
          const x = getField(fieldsOf, n);
          if (x !== undefined) return x;
        }
        return undefined;
      },
    });
  };

  /** Size figures of the compiled index. */
  describe(): { rules: number; buckets: number; literals: number; withoutWitness: number; indexBytes: number; perBucket: { route: string; rules: number; withoutWitness: number }[] } {
    let literals = 0, ww = 0, bytes = 0;
    const perBucket = [];
    for (const b of this.buckets.values()) {
      literals += b.literals;
      ww += b.withoutWitness;
      bytes += b.acBytes;
      perBucket.push({ route: b.route.key, rules: b.entries.length, withoutWitness: b.withoutWitness });
    }
    return { rules: this.rules.length, buckets: this.buckets.size, literals, withoutWitness: ww, indexBytes: bytes, perBucket };
  }
}
