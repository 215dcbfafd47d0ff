/** Small building blocks of the correlation area: a bounded LRU map, hashing, safe text. */
import { createHash } from 'node:crypto';

/**
 * A bounded map with approximately least-recently-used eviction ("hashlru"): entries live in a
 * young and an old generation of plain Maps; when the young one reaches half the cap it becomes
 * the old one and the previous old generation is dropped whole (`onEvict` sees each entry). A
 * hit in the old generation promotes the entry. At most `cap` entries are held; every operation
 * is one or two Map look-ups (no delete-and-reinsert churn per access).
 */
export class Lru<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  evictions = 0;
  constructor(
    public readonly cap: number,
    private readonly onEvict?: (k: K, v: V) => void,
  ) {
    this.half = Math.max(1, Math.ceil(cap / 2));
  }
  get size(): number {
    return this.young.size + this.old.size;
  }
  /** Reads without changing recency. */
  peek(k: K): V | undefined {
    const v = this.young.get(k);
    return v !== undefined ? v : this.old.get(k);
  }
  /** Reads and marks as recently used. */
  get(k: K): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) {
      this.old.delete(k);
      this.put(k, o);
    }
    return o;
  }
  has(k: K): boolean {
    return this.young.has(k) || this.old.has(k);
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
      const dropped = this.old;
      this.old = this.young;
      this.young = new Map();
      this.evictions += dropped.size;
      if (this.onEvict) for (const [dk, dv] of dropped) this.onEvict(dk, dv);
    }
  }
  delete(k: K): boolean {
    const a = this.young.delete(k);
    const b = this.old.delete(k);
    return a || b;
  }
  clear(): void {
    this.young.clear();
    this.old.clear();
  }
  *keys(): IterableIterator<K> {
    yield* this.old.keys();
    yield* this.young.keys();
  }
  *entries(): IterableIterator<[K, V]> {
    yield* this.old.entries();
    yield* this.young.entries();
  }
}

export function sha1hex(...parts: string[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** Longest value kept from attacker-written text (entity values, titles). */
export const MAX_VALUE = 256;

/**
 * Makes attacker-written text safe to keep and show: control and bidi-override characters become
 * U+FFFD, length is capped. Never rendered as HTML by Garrison; this keeps terminals and logs sane.
 */
export function clean(v: unknown, max = MAX_VALUE): string {
  let s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  if (s.length > max * 4) s = s.slice(0, max * 4);
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '\uFFFD').trim();
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** True for private, loopback, link-local and CGNAT IPv4/IPv6 addresses (no regex on input). */
export function isPrivateIp(ip: string): boolean {
  const p = ip.split('.');
  if (p.length === 4) {
    const a = Number(p[0]);
    const b = Number(p[1]);
    if (a === 10 || a === 127) return true;
    if (a === 172 && b >= 16 && b <= 31) return true;
    if (a === 192 && b === 168) return true;
    if (a === 169 && b === 254) return true;
    if (a === 100 && b >= 64 && b <= 127) return true;
    return false;
  }
  const l = ip.toLowerCase();
  return l === '::1' || l.startsWith('fe80:') || l.startsWith('fc') || l.startsWith('fd');
}

/** A plausible IP literal (v4 dotted quad or v6 with colons), bounded length. */
export function looksLikeIp(v: string): boolean {
  if (v.length < 3 || v.length > 45) return false;
  const p = v.split('.');
  if (p.length === 4) return p.every((x) => x.length > 0 && x.length <= 3 && /^\d+$/.test(x) && Number(x) <= 255);
  return v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v);
}

/** Canonical host key for correlation: lower-case, no trailing dot, short name (first DNS label). */
export function shortHost(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const s = name.trim().replace(/\.$/, '').toLowerCase();
  if (!s || s.length > MAX_VALUE) return s ? s.slice(0, MAX_VALUE) : undefined;
  if (looksLikeIp(s)) return s;
  const dot = s.indexOf('.');
  return dot > 0 ? s.slice(0, dot) : s;
}
