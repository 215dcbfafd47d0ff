/**
 * The reorder buffer: a 4-ary min-heap over (time, tie) kept in typed arrays. The four children
 * of a node sit next to each other, so one cache line serves a level, and the depth is half that
 * of a binary heap: with hundreds of thousands of buffered matches the heap was cache-miss bound
 * (object pointers chased at every comparison) before this layout.
 *
 * `tie` is a 32-bit hash of (eventId, ruleId): equal timestamps are ordered by it, then by the
 * texts themselves, so the order never depends on arrival order (live = retro-hunt).
 */

/** FNV-1a over the event id and the rule id. */
export function tieHash(eventId: string, ruleId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) h = Math.imul(h ^ eventId.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0, 0x01000193);
  for (let i = 0; i < ruleId.length; i++) h = Math.imul(h ^ ruleId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class ReorderBuffer<T> {
  // heap, by position
  private times = new Float64Array(1024);
  private ties = new Float64Array(1024);
  private slots = new Int32Array(1024);
  private n = 0;
  // payload, by slot
  private ids: string[] = [];
  private rules: string[] = [];
  private vals: (T | undefined)[] = [];
  private free: number[] = [];
  /** Filled by pop(). */
  outTime = 0;
  outId = '';
  outVal: T | undefined;

  get size(): number {
    return this.n;
  }

  /** Time of the earliest entry (Infinity when empty). */
  peekTime(): number {
    return this.n > 0 ? this.times[0] : Infinity;
  }

  /** Whether heap entry a sorts before heap entry b. */
  private before(a: number, b: number): boolean {
    const ta = this.times[a];
    const tb = this.times[b];
    if (ta !== tb) return ta < tb;
    const ka = this.ties[a];
    const kb = this.ties[b];
    if (ka !== kb) return ka < kb;
    const sa = this.slots[a];
    const sb = this.slots[b];
    const ia = this.ids[sa];
    const ib = this.ids[sb];
    if (ia !== ib) return ia < ib;
    return this.rules[sa] < this.rules[sb];
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    this.times = t;
    const k = new Float64Array(cap);
    k.set(this.ties);
    this.ties = k;
    const s = new Int32Array(cap);
    s.set(this.slots);
    this.slots = s;
  }

  private swap(a: number, b: number): void {
    const t = this.times[a];
    this.times[a] = this.times[b];
    this.times[b] = t;
    const k = this.ties[a];
    this.ties[a] = this.ties[b];
    this.ties[b] = k;
    const s = this.slots[a];
    this.slots[a] = this.slots[b];
    this.slots[b] = s;
  }

  push(time: number, eventId: string, ruleId: string, val: T): void {
    if (this.n === this.times.length) this.grow();
    let slot: number;
    if (this.free.length > 0) slot = this.free.pop() as number;
    else {
      slot = this.ids.length;
      this.ids.push('');
      this.rules.push('');
      this.vals.push(undefined);
    }
    this.ids[slot] = eventId;
    this.rules[slot] = ruleId;
    this.vals[slot] = val;
    let i = this.n++;
    this.times[i] = time;
    this.ties[i] = tieHash(eventId, ruleId);
    this.slots[i] = slot;
    while (i > 0) {
      const p = (i - 1) >> 2;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the earliest entry into outTime / outId / outVal. Call only when size > 0. */
  pop(): void {
    const slot = this.slots[0];
    this.outTime = this.times[0];
    this.outId = this.ids[slot];
    this.outVal = this.vals[slot];
    this.ids[slot] = '';
    this.rules[slot] = '';
    this.vals[slot] = undefined;
    this.free.push(slot);
    const n = --this.n;
    if (n === 0) return;
    this.times[0] = this.times[n];
    this.ties[0] = this.ties[n];
    this.slots[0] = this.slots[n];
    let i = 0;
    for (;;) {
      const c = 4 * i + 1;
      if (c >= n) break;
      let m = c;
      const end = Math.min(c + 4, n);
      for (let j = c + 1; j < end; j++) if (this.before(j, m)) m = j;
      if (!this.before(m, i)) break;
      this.swap(i, m);
      i = m;
    }
    // give memory back after a burst
    if (this.free.length > 4096 && this.free.length > 2 * this.n) this.compactSlots();
  }

  /** Renumbers the live slots densely (after a burst left many free slots). */
  private compactSlots(): void {
    const ids: string[] = [];
    const rules: string[] = [];
    const vals: (T | undefined)[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.slots[i];
      ids.push(this.ids[s]);
      rules.push(this.rules[s]);
      vals.push(this.vals[s]);
      this.slots[i] = i;
    }
    this.ids = ids;
    this.rules = rules;
    this.vals = vals;
    this.free = [];
    if (this.times.length > 4096 && this.n * 4 < this.times.length) {
      const cap = Math.max(1024, this.n * 2);
      this.times = this.times.slice(0, cap);
      this.ties = this.ties.slice(0, cap);
      this.slots = this.slots.slice(0, cap);
    }
  }
}
