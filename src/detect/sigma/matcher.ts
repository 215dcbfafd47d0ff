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
import { compatible, compileRoute, loadPipelines, routedEvent, syntheticRoute, type Pipeline, type PipelineName, type Route, type RoutedEvent } from '../pipelines/index.js';
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
  /** The `contains` literals of `ac`, by pattern id (keyword indexes are merged per plan). */
  acLits?: string[];
  pre?: AnchoredTrie;
  suf?: AnchoredTrie;
  /** Per index kind: pattern id -> entries (CSR). */
  acStart?: Int32Array;
  acIds?: Int32Array;
  preStart?: Int32Array;
  preIds?: Int32Array;
  sufStart?: Int32Array;
  sufIds?: Int32Array;
  /**
   * Value cache: value -> the literals the index finds in it (encoded `patternId * 4 + kind`), so a
   * value seen before (an image path, a user, a company) is not scanned again. Bounded, and turned
   * off for a field whose values rarely repeat (command lines with ids, hashes).
   */
  cache?: ValueCache;
}

/** Found literals of one value: pattern id * 4 + index kind (0 prefix/exact, 1 suffix, 2 contains). */
type Found = readonly number[];
const NOTHING: Found = [];
const KIND_PRE = 0, KIND_SUF = 1, KIND_AC = 2;

/** Memory budget shared by all value caches of one matcher (in UTF-16 code units, entries counted as 32). */
interface CacheBudget {
  used: number;
  readonly max: number;
}
/** 8M units: at most ~16 MB of cached value text per matcher, whatever the input. */
const CACHE_BUDGET_UNITS = 8 * 1024 * 1024;
const ENTRY_UNITS = 32;

/** Per-field cache of scan results with an adaptive on/off switch (see FieldIndex.cache). */
class ValueCache {
  static readonly MAX_ENTRIES = 4096;
  static readonly MAX_VALUE_LENGTH = 2048;
  /** Look-ups per judgement window; below MIN_HIT_RATE in a window the cache is switched off. */
  static readonly WINDOW = 2048;
  static readonly MIN_HIT_RATE = 0.25;
  /** Scans to wait, once switched off, before trying again. */
  static readonly RETRY_AFTER = 65_536;
  readonly map = new Map<string, Found>();
  on = true;
  lookups = 0;
  hits = 0;
  offScans = 0;
  /** Budget units this cache holds. */
  private units = 0;

  constructor(private readonly budget: CacheBudget) {}

  /** Adds a value's findings: the cache starts over when full or when the matcher's budget is spent. */
  put(s: string, found: Found): void {
    const u = s.length + ENTRY_UNITS;
    if (this.map.size >= ValueCache.MAX_ENTRIES || this.budget.used + u > this.budget.max) this.empty();
    if (this.budget.used + u > this.budget.max) return;
    this.map.set(s, found);
    this.units += u;
    this.budget.used += u;
  }

  private empty(): void {
    this.map.clear();
    this.budget.used -= this.units;
    this.units = 0;
  }

  /** Back to the initial state (empty, on). */
  reset(): void {
    this.empty();
    this.on = true;
    this.lookups = 0;
    this.hits = 0;
    this.offScans = 0;
  }

  /** Records a look-up's outcome; switches the cache off when it does not pay. */
  judge(): void {
    if (this.lookups < ValueCache.WINDOW) return;
    if (this.hits < this.lookups * ValueCache.MIN_HIT_RATE) {
      this.on = false;
      this.empty();
      this.offScans = 0;
    }
    this.lookups = 0;
    this.hits = 0;
  }
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

  build(acCache: Map<string, AhoCorasick>, valueCache: boolean, budget: CacheBudget): void {
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
        fi.acLits = lits;
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
      if (valueCache) fi.cache = new ValueCache(budget);
      this.index.push(fi);
    }
    this.mark = new Uint32Array(this.entries.length);
    this.bits = new Uint8Array(this.entries.length);
  }

  /** The bucket's field indexes (the plan dispatches event fields to them). */
  get fieldIndexes(): readonly FieldIndex[] {
    return this.index;
  }

  clearCaches(): void {
    for (const ix of this.index) if (ix.cache) ix.cache.reset();
  }

  /** Starts an event: forgets the previous event's findings. */
  begin(): void {
    if (++this.stamp === 0xffffffff) {
      this.mark.fill(0);
      this.stamp = 1;
    }
    // (bits are reset lazily when an entry is first touched under the new stamp)
    this.cand.length = 0;
  }

  /** Scans the value of an indexed field that the plan found in the event under its own name. */
  scanDirect(ix: FieldIndex, direct: unknown, v: EventView): void {
    if (typeof direct === 'string') this.scan(ix, direct);
    else if (typeof direct === 'number') this.scan(ix, String(direct));
    else this.scanSlow(ix, v);
  }

  /** Scans a field through the view: dotted paths, arrays, booleans, null. */
  scanSlow(ix: FieldIndex, v: EventView): void {
    const s = v.str(ix.field);
    if (typeof s === 'string') this.scan(ix, s);
    else if (s === undefined) {
      const raw = v.get(ix.field);
      if (Array.isArray(raw)) for (const x of raw) if (x !== null && typeof x !== 'object') this.scan(ix, String(x));
    }
  }

  /** A keyword literal of the bucket's keyword index was found (merged keyword scan of a plan). */
  keywordHit(ix: FieldIndex, p: number): void {
    this.curStart = ix.acStart!;
    this.curIds = ix.acIds!;
    this.onHit(p);
  }

  /** Keyword index scan of every value of the event (used when the plan cannot merge it). */
  scanKeywords(ix: FieldIndex, v: EventView): void {
    this.scanAll(ix, v.fields, 0);
  }

  /** Evaluates the candidates and the rules without witness; calls `hit` for each match. */
  finish(v: EventView, hit: (e: Entry, route: Route) => void, stats: MatcherStats): void {
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
    if (this.recording) this.rec.push(p * 4 + this.curKind);
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

  /** Scans one value of a field (through the field's value cache when it is on). */
  private scan(ix: FieldIndex, s: string): void {
    const c = ix.cache;
    if (c === undefined || s.length > ValueCache.MAX_VALUE_LENGTH) {
      this.scanRaw(ix, s);
      return;
    }
    if (!c.on) {
      if (++c.offScans >= ValueCache.RETRY_AFTER) c.on = true;
      this.scanRaw(ix, s);
      return;
    }
    c.lookups++;
    const found = c.map.get(s);
    if (found !== undefined) {
      c.hits++;
      if (found.length !== 0) this.replay(ix, found);
      if (c.lookups >= ValueCache.WINDOW) c.judge();
      return;
    }
    this.rec.length = 0;
    this.recording = true;
    this.scanRaw(ix, s);
    this.recording = false;
    const rec = this.rec;
    c.put(s, rec.length === 0 ? NOTHING : rec.slice());
    if (c.lookups >= ValueCache.WINDOW) c.judge();
  }

  /** Replays the literals found in a cached value. */
  private replay(ix: FieldIndex, found: Found): void {
    for (let i = 0; i < found.length; i++) {
      const x = found[i];
      const kind = x & 3;
      if (kind === KIND_PRE) {
        this.curStart = ix.preStart!;
        this.curIds = ix.preIds!;
      } else if (kind === KIND_SUF) {
        this.curStart = ix.sufStart!;
        this.curIds = ix.sufIds!;
      } else {
        this.curStart = ix.acStart!;
        this.curIds = ix.acIds!;
      }
      this.onHit(x >> 2);
    }
  }

  private recording = false;
  private curKind = 0;
  private readonly rec: number[] = [];

  private scanRaw(ix: FieldIndex, s: string): void {
    if (ix.pre) {
      this.curStart = ix.preStart!;
      this.curIds = ix.preIds!;
      this.curKind = KIND_PRE;
      ix.pre.walk(s, this.onHit);
    }
    if (ix.suf) {
      this.curStart = ix.sufStart!;
      this.curIds = ix.sufIds!;
      this.curKind = KIND_SUF;
      ix.suf.walk(s, this.onHit);
    }
    if (ix.ac) {
      this.curStart = ix.acStart!;
      this.curIds = ix.acIds!;
      this.curKind = KIND_AC;
      if (ix.skip) ix.skip.search(s, this.onHit);
      else ix.ac.search(s, this.onHit);
    }
  }

  get withoutWitness(): number {
    return this.always.length;
  }
}

/** An indexed field of one bucket, reached from the event key of the same name. */
interface Slot {
  b: Bucket;
  ix: FieldIndex;
}

/**
 * What one kind of event meets: the buckets whose log-source conditions it satisfies, with their
 * field indexes merged so that each field of the event is looked up once (not once per bucket
 * and indexed field), and their keyword (field-less) literals merged into one automaton so each
 * value of the event is scanned once for all of them.
 */
class Plan {
  private readonly byField = new Map<string, Slot[]>();
  private readonly dotted: Slot[] = [];
  /** Keyword indexes that could not be merged (anchored keyword literals): scanned per bucket. */
  private readonly kwSeparate: Slot[] = [];
  private kwScanner?: AhoCorasick | SkipScanner;
  private kwSkip = false;
  private kwMin = 1;
  private kwNumMin = 0;
  /** Merged keyword pattern -> (slot index in kwSlots, bucket pattern id), CSR. */
  private kwStart = new Int32Array(0);
  private kwSlot = new Int32Array(0);
  private kwPat = new Int32Array(0);
  private readonly kwSlots: Slot[] = [];
  private readonly kwCache: ValueCache;
  private readonly kwRec: number[] = [];
  private kwRecording = false;

  constructor(readonly buckets: readonly Bucket[], valueCache: boolean, budget: CacheBudget) {
    this.kwCache = new ValueCache(budget);
    const lits = new Map<string, number[]>();
    for (const b of buckets) {
      if (b.entries.length === 0) continue;
      for (const ix of b.fieldIndexes) {
        const slot: Slot = { b, ix };
        if (ix.field === ANY_FIELD) {
          if (ix.pre || ix.suf || !ix.ac || !ix.acLits) {
            this.kwSeparate.push(slot);
            continue;
          }
          const si = this.kwSlots.push(slot) - 1;
          ix.acLits.forEach((l, p) => {
            let t = lits.get(l);
            if (!t) lits.set(l, (t = []));
            t.push(si, p);
          });
        } else if (ix.dotted) this.dotted.push(slot);
        else {
          const l = this.byField.get(ix.field);
          if (l) l.push(slot);
          else this.byField.set(ix.field, [slot]);
        }
      }
    }
    if (lits.size) {
      const keys = [...lits.keys()].sort();
      this.kwStart = new Int32Array(keys.length + 1);
      const slotIds: number[] = [];
      const patIds: number[] = [];
      keys.forEach((k, i) => {
        this.kwStart[i] = slotIds.length;
        const t = lits.get(k)!;
        for (let j = 0; j < t.length; j += 2) {
          slotIds.push(t[j]);
          patIds.push(t[j + 1]);
        }
      });
      this.kwStart[keys.length] = slotIds.length;
      this.kwSlot = Int32Array.from(slotIds);
      this.kwPat = Int32Array.from(patIds);
      this.kwMin = Math.min(...keys.map((k) => k.length));
      this.kwNumMin = 10 ** Math.max(0, this.kwMin - 1);
      // A skip scan over long literals looks at few characters of a value: cheaper than a cache look-up.
      this.kwSkip = this.kwMin >= 4;
      this.kwScanner = this.kwSkip ? new SkipScanner(keys) : new AhoCorasick(keys);
    }
    if (!valueCache) this.kwCache.on = false;
  }

  clearCaches(): void {
    this.kwCache.reset();
  }

  run(v: EventView, hit: (e: Entry, route: Route) => void, stats: MatcherStats): void {
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) buckets[i].begin();
    const f = v.fields;
    const byField = this.byField;
    const kw = this.kwScanner !== undefined;
    for (const key in f) {
      const x = f[key];
      const slots = byField.get(key);
      if (slots !== undefined) for (let i = 0; i < slots.length; i++) slots[i].b.scanDirect(slots[i].ix, x, v);
      if (kw) {
        if (typeof x !== 'string') this.keywordValue(x, 0);
        else if (x.length >= this.kwMin) {
          if (this.kwSkip) this.kwScanner!.search(x, this.onKeyword);
          else this.keywordScan(x);
        }
      }
    }
    const dotted = this.dotted;
    for (let i = 0; i < dotted.length; i++) {
      const { b, ix } = dotted[i];
      const direct = f[ix.field];
      if (direct !== undefined) b.scanDirect(ix, direct, v);
      else b.scanSlow(ix, v);
    }
    const sep = this.kwSeparate;
    for (let i = 0; i < sep.length; i++) sep[i].b.scanKeywords(sep[i].ix, v);
    for (let i = 0; i < buckets.length; i++) buckets[i].finish(v, hit, stats);
  }

  /** One value of the event for the keyword literals (nested objects and arrays walked, bounded). */
  private keywordValue(x: unknown, depth: number): void {
    if (typeof x === 'string') {
      if (x.length >= this.kwMin) this.keywordScan(x);
    } else if (typeof x === 'number') {
      // a non-negative integer below 10^(min-1) has fewer digits than the shortest literal
      if (x >= 0 && x < this.kwNumMin && Number.isInteger(x)) return;
      const t = String(x);
      if (t.length >= this.kwMin) this.keywordScan(t);
    } else if (typeof x === 'boolean' || typeof x === 'bigint') {
      const t = String(x);
      if (t.length >= this.kwMin) this.keywordScan(t);
    } else if (x !== null && typeof x === 'object' && depth < 15) {
      for (const k in x as Record<string, unknown>) this.keywordValue((x as Record<string, unknown>)[k], depth + 1);
    }
  }

  private keywordScan(s: string): void {
    const c = this.kwCache;
    if (!c.on || s.length > ValueCache.MAX_VALUE_LENGTH || this.kwSkip) {
      if (!c.on && ++c.offScans >= ValueCache.RETRY_AFTER) c.on = true;
      this.kwScanner!.search(s, this.onKeyword);
      return;
    }
    c.lookups++;
    const found = c.map.get(s);
    if (found !== undefined) {
      c.hits++;
      for (let i = 0; i < found.length; i++) this.onKeyword(found[i]);
    } else {
      this.kwRec.length = 0;
      this.kwRecording = true;
      this.kwScanner!.search(s, this.onKeyword);
      this.kwRecording = false;
      c.put(s, this.kwRec.length === 0 ? NOTHING : this.kwRec.slice());
    }
    if (c.lookups >= ValueCache.WINDOW) c.judge();
  }

  private readonly onKeyword = (p: number): void => {
    if (this.kwRecording) this.kwRec.push(p);
    const slots = this.kwSlots, slot = this.kwSlot, pat = this.kwPat;
    for (let k = this.kwStart[p], e = this.kwStart[p + 1]; k < e; k++) {
      const sl = slots[slot[k]];
      sl.b.keywordHit(sl.ix, pat[k]);
    }
  };
}

/** Route cache entry: the raw envelope values it stands for and what events with them meet. */
interface RouteEntry {
  format: string | undefined;
  product: string | undefined;
  service: string | undefined;
  category: string | undefined;
  /** Whether the event had an EventID field (it decides the product when the source names none). */
  hasEventId: boolean;
  /** Routed form of the envelope (fields swapped in per event for the field conditions). */
  re: RoutedEvent;
  /** Buckets whose static conditions hold; those with field conditions are decided per event. */
  fixed: Bucket[];
  conditional: Bucket[];
  /** By bit mask of the conditional buckets whose field conditions hold. */
  plans: (Plan | undefined)[];
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
  /**
   * Cache the candidate index's findings per field value (default true). Results are identical
   * either way; the cache skips re-scanning values that repeat (image paths, users, companies)
   * and switches itself off per field when values rarely repeat.
   */
  valueCache?: boolean;
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
  /** Raw channel -> raw event id -> envelopes seen (bounded): see planFor. */
  private readonly routeCache = new Map<string | undefined, Map<string | number | bigint | boolean | undefined, RouteEntry[]>>();
  private routeCacheSize = 0;
  private readonly plans = new Map<string, Plan>();
  private readonly valueCache: boolean;
  private readonly cacheBudget: CacheBudget = { used: 0, max: CACHE_BUDGET_UNITS };
  private readonly skipped: { rule: SigmaRule; reason: string }[] = [];

  constructor(set: Pick<LoadedSet, 'rules' | 'filters'>, opts: MatcherOptions = {}) {
    this.config = parseSigmaConfig(opts.config ?? {});
    this.valueCache = opts.valueCache !== false;
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
    const skippedFilters = new Set<string>();
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
              // A filter that cannot compile under this mapping/placeholder config is reported with its
              // own file:line and skipped: the rule keeps detecting (a broken exception must never
              // silence a rule).
              let fc: Compiled;
              try {
                fc = compileDetection(f.searches, [f.condition], ctx, { file: f.source.file, lineOf: f.lineOf, base: ['filter'] });
              } catch (e) {
                const err = e instanceof GarrisonError ? e : new GarrisonError('INTERNAL', (e as Error).message);
                const key = `${f.id}\0${rule.id}`;
                if (!skippedFilters.has(key)) {
                  skippedFilters.add(key);
                  this.problems.push(
                    new GarrisonError(err.code, `filter ${f.id} (for rule ${rule.id}) skipped: ${err.message}`, {
                      location: { file: f.source.file, line: err.location?.line ?? f.source.line },
                    }),
                  );
                }
                continue;
              }
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
    for (const b of this.buckets.values()) b.build(acCache, this.valueCache, this.cacheBudget);
  }

  /**
   * Forgets the per-value scan caches (results never depend on them). Benchmarks call it so that
   * values repeated across passes over the same sample are not found in the cache.
   */
  clearCaches(): void {
    for (const b of this.buckets.values()) b.clearCaches();
    for (const p of this.plans.values()) p.clearCaches();
  }

  /** Rules not loaded into the matcher because of the configuration, with the reason. */
  get skippedRules(): readonly { rule: SigmaRule; reason: string }[] {
    return this.skipped;
  }

  /** Matches one event against every applicable rule. */
  match(ev: Pick<GarrisonEvent, 'fields' | 'source'>): SigmaDetection[] {
    this.stats.events++;
    const plan = this.planFor(ev);
    const out: SigmaDetection[] = [];
    if (plan === undefined) return out;
    const view = this.view;
    view.reset(ev.fields);
    this.out = out;
    plan.run(view, this.hit, this.stats);
    this.stats.detections += out.length;
    this.out = [];
    return out;
  }

  /**
   * The plan for an event's envelope. Cached by the raw envelope values (channel and event id
   * first), so the common case is two Map look-ups and a few comparisons, with no lower-casing
   * or key building per event.
   */
  private planFor(ev: Pick<GarrisonEvent, 'fields' | 'source'>): Plan | undefined {
    // The cache key is every input routedEvent() reads from the envelope (source format, product,
    // service, category, channel, event code; the Channel and EventID fields): keep them in step.
    // Field conditions of pipeline entries (EDR JSON) are evaluated per event below.
    const src = ev.source;
    const f = ev.fields;
    const ch = src.channel ?? (typeof f.Channel === 'string' ? f.Channel : undefined);
    const fid = f.EventID;
    const id = src.eventCode ?? (fid !== undefined && fid !== null && typeof fid !== 'object' ? fid : undefined);
    const hasEventId = fid !== undefined;
    let byId = this.routeCache.get(ch);
    if (byId === undefined) {
      if (this.routeCacheSize >= 10_000) this.clearRouteCache();
      this.routeCache.set(ch, (byId = new Map()));
    }
    let list = byId.get(id as string | number | bigint | boolean | undefined);
    if (list === undefined) {
      if (this.routeCacheSize >= 10_000) this.clearRouteCache();
      byId.set(id as string | number | bigint | boolean | undefined, (list = []));
    }
    let entry: RouteEntry | undefined;
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      if (x.format === src.format && x.product === src.product && x.service === src.service && x.category === src.category && x.hasEventId === hasEventId) {
        entry = x;
        break;
      }
    }
    if (entry === undefined) {
      const re = routedEvent(ev);
      const fixed: Bucket[] = [];
      const conditional: Bucket[] = [];
      const add = (b: Bucket) => {
        if (b.entries.length === 0 || !b.route.staticMatch(re)) return;
        (b.route.hasFieldConditions ? conditional : fixed).push(b);
      };
      if (re.channel !== undefined) for (const b of this.byChannel.get(re.channel) ?? []) add(b);
      for (const b of this.other) add(b);
      if (conditional.length > 16) throw new GarrisonError('INTERNAL', `too many log-source buckets with field conditions for one event kind (${conditional.length})`);
      re.fields = {};
      entry = { format: src.format, product: src.product, service: src.service, category: src.category, hasEventId, re, fixed, conditional, plans: [] };
      list.push(entry);
      this.routeCacheSize++;
    }
    let mask = 0;
    const cond = entry.conditional;
    if (cond.length !== 0) {
      const re = entry.re;
      re.fields = f;
      for (let i = 0; i < cond.length; i++) if (cond[i].route.fieldMatch(re)) mask |= 1 << i;
      re.fields = {};
    }
    let plan = entry.plans[mask];
    if (plan === undefined) {
      const buckets = [...entry.fixed, ...cond.filter((_, i) => (mask & (1 << i)) !== 0)];
      // Plans are shared by every envelope that reaches the same buckets.
      const key = buckets.map((b) => b.route.key).join('\u0000');
      plan = this.plans.get(key);
      if (plan === undefined) this.plans.set(key, (plan = new Plan(buckets, this.valueCache, this.cacheBudget)));
      entry.plans[mask] = plan;
    }
    return plan;
  }

  private clearRouteCache(): void {
    this.routeCache.clear();
    this.routeCacheSize = 0;
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
