/**
 * Per-group aggregation state of the correlation engine.
 *
 * Two families:
 *  - sliding: the window is the last `timespan` ms before the newest event of the group; the
 *    condition is tested on every event and the group restarts after a hit. Used when the
 *    aggregate only grows with events and the condition only has lower bounds (gt/gte).
 *  - anchored (window-end): the window opens at the group's first event and spans `timespan`
 *    ms; the condition is tested once, when the window closes. Used for upper bounds
 *    (lt/lte/eq/neq) and for value_avg / value_percentile / value_median.
 *
 * `Evidence` is an event id (a base-rule match) or the event ids of an upstream correlation hit.
 */

export type Evidence = string | readonly string[];

interface Cons {
  ev: Evidence;
  prev: Cons | undefined;
}

/** Collects event ids from evidence, at most `max`, and the number of evidence entries. */
export class IdSink {
  readonly ids: string[] = [];
  constructor(readonly max: number) {}
  add(e: Evidence): void {
    if (this.ids.length >= this.max) return;
    if (typeof e === 'string') this.ids.push(e);
    else for (const x of e) {
      if (this.ids.length >= this.max) break;
      this.ids.push(x);
    }
  }
}

export interface Limits {
  maxEntries: number;
  maxEventIds: number;
  /** Called when an entry is dropped or merged because of maxEntries. */
  onTruncate(): void;
}

export interface AggState {
  /** Adds one contribution. `key` is the distinct-value key (value_count/share), `num` the number (sum/avg/percentile). */
  add(t: number, ev: Evidence, positions: readonly number[], key: string | undefined, num: number | undefined): void;
  /** Sliding only: forgets contributions older than `cutoff`. */
  evict(cutoff: number): void;
  /** The aggregated value (sliding: over the live window; anchored: over the window). */
  value(): number;
  /** Earliest contributing time still counted. */
  first(): number;
  /** Number of contributions counted. */
  count(): number;
  /** Rule positions (indexes in correlation.rules) that contributed. */
  positions(): number[];
  evidence(sink: IdSink): void;
  empty(): boolean;
}

/** Rule positions seen: a bit mask for the first 31, an array beyond (rare). */
abstract class Base {
  private pm = 0;
  private px: number[] | undefined;
  protected mark(positions: readonly number[]): void {
    for (const p of positions) {
      if (p < 31) this.pm |= 1 << p;
      else if (!this.px) this.px = [p];
      else if (!this.px.includes(p)) this.px.push(p);
    }
  }
  positions(): number[] {
    const out: number[] = [];
    for (let p = 0; p < 31; p++) if (this.pm & (1 << p)) out.push(p);
    if (this.px) out.push(...this.px);
    return out;
  }
}

// ---------------------------------------------------------------- sliding aggregates

/**
 * event_count, sliding: (time, evidence) per event. A group never holds more than the threshold
 * (it fires and restarts) unless the threshold exceeds maxEntries; then the two oldest entries are
 * merged into the newer one, which can only over-count (a window may fire slightly early),
 * never under-count.
 */
export class SlidingCount extends Base implements AggState {
  private times: number[] = [];
  private evs: Evidence[] = [];
  private counts: number[] | undefined;
  private head = 0;
  private total = 0;
  constructor(private readonly lim: Limits) {
    super();
  }
  add(t: number, ev: Evidence, positions: readonly number[]): void {
    this.times.push(t);
    this.evs.push(ev);
    if (this.counts) this.counts.push(1);
    this.total++;
    if (this.times.length - this.head > this.lim.maxEntries) {
      if (!this.counts) this.counts = new Array<number>(this.times.length).fill(1);
      this.counts[this.head + 1] += this.counts[this.head];
      this.head++;
      this.lim.onTruncate();
    }
    this.mark(positions);
    this.compact();
  }
  evict(cutoff: number): void {
    const c = this.counts;
    while (this.head < this.times.length && this.times[this.head] < cutoff) {
      this.total -= c ? c[this.head] : 1;
      this.head++;
    }
    this.compact();
  }
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.evs = this.evs.slice(this.head);
      if (this.counts) this.counts = this.counts.slice(this.head);
      this.head = 0;
    }
  }
  value(): number {
    return this.total;
  }
  first(): number {
    return this.head < this.times.length ? this.times[this.head] : NaN;
  }
  count(): number {
    return this.total;
  }
  /** The most recent maxEventIds events of the window. */
  evidence(sink: IdSink): void {
    for (let i = Math.max(this.head, this.evs.length - sink.max); i < this.evs.length; i++) sink.add(this.evs[i]);
  }
  empty(): boolean {
    return this.total === 0;
  }
}

/** value_count, sliding: distinct value -> its newest occurrence, in a list kept in occurrence order. */
interface DNode {
  key: string;
  t: number;
  ev: Evidence;
  prev: DNode | undefined;
  next: DNode | undefined;
}
const SMALL = 16;
export class SlidingDistinct extends Base implements AggState {
  /** Index by key, created once the group holds more than SMALL values (small groups scan the list). */
  private index: Map<string, DNode> | undefined;
  private size = 0;
  private head: DNode | undefined;
  private tail: DNode | undefined;
  constructor(private readonly lim: Limits) {
    super();
  }
  private find(key: string): DNode | undefined {
    if (this.index) return this.index.get(key);
    for (let n = this.head; n; n = n.next) if (n.key === key) return n;
    return undefined;
  }
  private unlink(n: DNode): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = undefined;
  }
  private append(n: DNode): void {
    n.prev = this.tail;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }
  private drop(n: DNode): void {
    this.index?.delete(n.key);
    this.unlink(n);
    this.size--;
  }
  add(t: number, ev: Evidence, positions: readonly number[], key: string | undefined): void {
    if (key === undefined) return;
    const had = this.find(key);
    if (had) {
      had.t = t;
      had.ev = ev;
      if (this.tail !== had) {
        this.unlink(had);
        this.append(had);
      }
    } else {
      const n: DNode = { key, t, ev, prev: undefined, next: undefined };
      this.append(n);
      this.size++;
      if (this.index) this.index.set(key, n);
      else if (this.size > SMALL) {
        this.index = new Map();
        for (let x = this.head; x; x = x.next) this.index.set(x.key, x);
      }
      if (this.size > this.lim.maxEntries && this.head) {
        this.drop(this.head);
        this.lim.onTruncate();
      }
    }
    this.mark(positions);
  }
  evict(cutoff: number): void {
    while (this.head && this.head.t < cutoff) this.drop(this.head);
  }
  value(): number {
    return this.size;
  }
  first(): number {
    return this.head ? this.head.t : NaN;
  }
  count(): number {
    return this.size;
  }
  evidence(sink: IdSink): void {
    for (let n = this.head; n && sink.ids.length < sink.max; n = n.next) sink.add(n.ev);
  }
  empty(): boolean {
    return this.size === 0;
  }
}

/** value_sum, sliding: every (time, number) in the window, running sum. */
export class SlidingSum extends Base implements AggState {
  private times: number[] = [];
  private nums: number[] = [];
  private evs: Evidence[] = [];
  private head = 0;
  private sum = 0;
  constructor(private readonly lim: Limits) {
    super();
  }
  add(t: number, ev: Evidence, positions: readonly number[], _key: string | undefined, num: number | undefined): void {
    if (num === undefined) return;
    this.times.push(t);
    this.nums.push(num);
    this.evs.push(ev);
    this.sum += num;
    if (this.times.length - this.head > this.lim.maxEntries) {
      this.sum -= this.nums[this.head];
      this.head++;
      this.lim.onTruncate();
    }
    this.mark(positions);
    this.compact();
  }
  evict(cutoff: number): void {
    while (this.head < this.times.length && this.times[this.head] < cutoff) {
      this.sum -= this.nums[this.head];
      this.head++;
    }
    if (this.head === this.times.length) this.sum = 0; // no drift once empty
    this.compact();
  }
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.nums = this.nums.slice(this.head);
      this.evs = this.evs.slice(this.head);
      this.head = 0;
    }
  }
  value(): number {
    return this.sum;
  }
  first(): number {
    return this.head < this.times.length ? this.times[this.head] : NaN;
  }
  count(): number {
    return this.times.length - this.head;
  }
  evidence(sink: IdSink): void {
    for (let i = this.head; i < this.evs.length && sink.ids.length < sink.max; i++) sink.add(this.evs[i]);
  }
  empty(): boolean {
    return this.head === this.times.length;
  }
}

/** temporal, sliding: newest occurrence of each referenced rule; value = rules present. */
export class SlidingRules implements AggState {
  private readonly lastT: number[];
  private readonly lastE: (Evidence | undefined)[];
  constructor(nRules: number) {
    this.lastT = new Array<number>(nRules).fill(-Infinity);
    this.lastE = new Array<Evidence | undefined>(nRules).fill(undefined);
  }
  add(t: number, ev: Evidence, positions: readonly number[]): void {
    for (const p of positions) {
      this.lastT[p] = t;
      this.lastE[p] = ev;
    }
  }
  evict(cutoff: number): void {
    for (let i = 0; i < this.lastT.length; i++) {
      if (this.lastT[i] < cutoff) {
        this.lastT[i] = -Infinity;
        this.lastE[i] = undefined;
      }
    }
  }
  value(): number {
    let n = 0;
    for (const t of this.lastT) if (t !== -Infinity) n++;
    return n;
  }
  first(): number {
    let m = Infinity;
    for (const t of this.lastT) if (t !== -Infinity && t < m) m = t;
    return m === Infinity ? NaN : m;
  }
  count(): number {
    return this.value();
  }
  positions(): number[] {
    const out: number[] = [];
    this.lastT.forEach((t, i) => {
      if (t !== -Infinity) out.push(i);
    });
    return out;
  }
  evidence(sink: IdSink): void {
    const order = this.positions().sort((a, b) => this.lastT[a] - this.lastT[b]);
    for (const p of order) sink.add(this.lastE[p] as Evidence);
  }
  empty(): boolean {
    return this.value() === 0;
  }
}

/**
 * temporal_ordered: the longest in-order prefix of `rules` whose first and last events lie within
 * the timespan. For each prefix length k it keeps the chain with the latest start (the best one
 * for completing it). Sliding: chains whose start is older than the cutoff are dropped.
 */
export class OrderedChain implements AggState {
  private readonly start: number[];
  /** Chain of evidence per prefix length, as a cons list from the last step back (shared tails, no copying). */
  private readonly chains: (Cons | undefined)[];
  constructor(private readonly nRules: number) {
    this.start = new Array<number>(nRules + 1).fill(NaN);
    this.chains = new Array<Cons | undefined>(nRules + 1).fill(undefined);
  }
  add(t: number, ev: Evidence, positions: readonly number[]): void {
    // highest position first so that one event never fills two steps of the same chain
    const ps = positions.length > 1 ? [...positions].sort((a, b) => b - a) : positions;
    for (const p of ps) {
      if (p === 0) {
        this.start[1] = t;
        this.chains[1] = { ev, prev: undefined };
      } else if (!Number.isNaN(this.start[p])) {
        const s = this.start[p];
        if (Number.isNaN(this.start[p + 1]) || s >= this.start[p + 1]) {
          this.start[p + 1] = s;
          this.chains[p + 1] = { ev, prev: this.chains[p] };
        }
      }
    }
  }
  evict(cutoff: number): void {
    for (let k = 1; k <= this.nRules; k++) {
      if (this.start[k] < cutoff) {
        this.start[k] = NaN;
        this.chains[k] = undefined;
      }
    }
  }
  private best(): number {
    for (let k = this.nRules; k >= 1; k--) if (!Number.isNaN(this.start[k])) return k;
    return 0;
  }
  value(): number {
    return this.best();
  }
  first(): number {
    const k = this.best();
    return k === 0 ? NaN : this.start[k];
  }
  count(): number {
    return this.best();
  }
  positions(): number[] {
    return Array.from({ length: this.best() }, (_, i) => i);
  }
  evidence(sink: IdSink): void {
    const list: Evidence[] = [];
    for (let c = this.chains[this.best()]; c; c = c.prev) list.push(c.ev);
    for (let i = list.length - 1; i >= 0; i--) sink.add(list[i]);
  }
  empty(): boolean {
    return this.best() === 0;
  }
}

// ---------------------------------------------------------------- anchored (window-end) aggregates

export type AnchoredKind = 'count' | 'distinct' | 'sum' | 'avg' | 'percentile' | 'share';

/** Everything a window-end evaluation may need; fields are filled according to the kind. */
export class Anchored extends Base implements AggState {
  private n = 0;
  private sum = 0;
  private firstT = NaN;
  private distinct: Map<string, number> | undefined;
  private nums: number[] | undefined;
  private ev0: Evidence | undefined;
  private ids: Evidence[] | undefined;
  constructor(
    readonly kind: AnchoredKind,
    private readonly lim: Limits,
    private readonly percentile: number | undefined,
  ) {
    super();
    if (kind === 'distinct' || kind === 'share') this.distinct = new Map();
    if (kind === 'percentile') this.nums = [];
  }
  add(t: number, ev: Evidence, positions: readonly number[], key: string | undefined, num: number | undefined): void {
    if ((this.kind === 'distinct' || this.kind === 'share') && key === undefined) return;
    if ((this.kind === 'sum' || this.kind === 'avg' || this.kind === 'percentile') && num === undefined) return;
    if (Number.isNaN(this.firstT)) this.firstT = t;
    this.n++;
    if (num !== undefined) this.sum += num;
    if (this.distinct && key !== undefined) {
      const c = this.distinct.get(key);
      if (c !== undefined) this.distinct.set(key, c + 1);
      else if (this.distinct.size < this.lim.maxEntries) this.distinct.set(key, 1);
      else this.lim.onTruncate();
    }
    if (this.nums && num !== undefined) {
      if (this.nums.length < this.lim.maxEntries) this.nums.push(num);
      else this.lim.onTruncate();
    }
    // the first evidence inline, an array only from the second on (most windows hold few matches)
    if (this.ev0 === undefined) this.ev0 = ev;
    else if (!this.ids) {
      if (this.lim.maxEventIds > 1) this.ids = [ev];
    }
    else if (this.ids.length + 1 < this.lim.maxEventIds) this.ids.push(ev);
    this.mark(positions);
  }
  evict(): void {
    /* anchored windows are closed as a whole */
  }
  value(): number {
    switch (this.kind) {
      case 'count':
        return this.n;
      case 'distinct':
        return (this.distinct as Map<string, number>).size;
      case 'sum':
        return this.sum;
      case 'avg':
        return this.n === 0 ? NaN : this.sum / this.n;
      case 'percentile':
        return percentileOf(this.nums as number[], this.percentile ?? 50);
      case 'share':
        return NaN; // evaluated per value: see shares()
    }
  }
  /** share mode: each distinct value with its share (%) of the window's contributions. */
  shares(): { value: string; share: number }[] {
    const out: { value: string; share: number }[] = [];
    if (!this.distinct || this.n === 0) return out;
    for (const [k, c] of this.distinct) out.push({ value: k, share: (100 * c) / this.n });
    return out;
  }
  first(): number {
    return this.firstT;
  }
  count(): number {
    return this.n;
  }
  evidence(sink: IdSink): void {
    if (this.ev0 !== undefined) sink.add(this.ev0);
    if (this.ids) for (const e of this.ids) sink.add(e);
  }
  empty(): boolean {
    return this.n === 0;
  }
}

/** Percentile with linear interpolation between closest ranks (numpy's default). NaN when empty. */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const a = [...values].sort((x, y) => x - y);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (a.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return a[lo] + (a[hi] - a[lo]) * (rank - lo);
}
