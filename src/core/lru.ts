/**
 * One bounded map for every stage that keeps per-entity state (baselines, the correlator's identity
 * graph ...), so memory stays bounded whatever attackers send.
 */

/**
 * A bounded map with approximately least-recently-used eviction, built from two generations of
 * plain Maps (the "hashlru" scheme): new and recently used entries live in `young`; when `young`
 * reaches half the cap it becomes `old` and the previous `old` generation is dropped whole. A hit
 * in `old` through `touch` promotes the entry. Every operation is one or two Map look-ups — no
 * delete-and-reinsert per access — and at most `cap` entries are held.
 */
export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  evictions = 0;
  /** `onEvict` is called for each entry dropped by the cap (not for delete/clear). */
  constructor(
    public readonly cap: number,
    private readonly onEvict?: (k: K, v: V) => void,
  ) {
    this.half = Math.max(1, Math.ceil(cap / 2));
  }
  /** Entries held (a key is never in both generations). */
  get size(): number {
    return this.young.size + this.old.size;
  }
  /** Reads without promoting (same as `get`). */
  peek(k: K): V | undefined {
    return this.get(k);
  }
  /** Reads without promoting. */
  get(k: K): V | undefined {
    const v = this.young.get(k);
    return v !== undefined ? v : this.old.get(k);
  }
  has(k: K): boolean {
    return this.young.has(k) || this.old.has(k);
  }
  /** Reads and marks as recently used. */
  touch(k: K): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) {
      this.old.delete(k);
      this.put(k, o);
    }
    return o;
  }
  /**
   * Replaces the value of a key that the caller has just `touch`ed and found (one look-up instead
   * of set()'s two). After a touch the key is in `young`, or in `old` if the promotion rotated
   * the generations (then `young` is empty).
   */
  setTouched(k: K, v: V): void {
    if (this.young.size === 0) this.old.set(k, v);
    else this.young.set(k, v);
  }
  set(k: K, v: V): void {
    if (this.young.has(k)) this.young.set(k, v);
    else {
      this.old.delete(k);
      this.put(k, v);
    }
  }
  private put(k: K, v: V): void {
    this.young.set(k, v);
    if (this.young.size >= this.half) {
      this.evictions += this.old.size;
      if (this.onEvict) for (const [ok, ov] of this.old) this.onEvict(ok, ov);
      this.old = this.young;
      this.young = new Map();
    }
  }
  delete(k: K): boolean {
    const a = this.young.delete(k);
    const b = this.old.delete(k);
    return a || b;
  }
  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }
  /** All entries, least recently used generation first. */
  *entries(): IterableIterator<[K, V]> {
    yield* this.old;
    yield* this.young;
  }
  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
}
