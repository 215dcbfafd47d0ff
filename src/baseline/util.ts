/** Small building blocks shared by the baseline models: bounded maps, globs, robust statistics. */
import { GarrisonError } from '../core/errors.js';
import type { AttackRef } from '../core/signal.js';

export { LruMap } from '../core/lru.js';

export const GLOB_LIMITS = { maxLength: 512, maxWildcards: 16 } as const;

/** Validates a glob pattern (config allow-lists, analyst feedback). */
export function checkGlob(pattern: string, where: string): GarrisonError | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0)
    return new GarrisonError('BASELINE_PATTERN_INVALID', `${where}: empty pattern`, { location: { field: where } });
  if (pattern.length > GLOB_LIMITS.maxLength)
    return new GarrisonError('BASELINE_PATTERN_INVALID', `${where}: pattern longer than ${GLOB_LIMITS.maxLength} characters`, {
      location: { field: where },
    });
  let n = 0;
  for (const c of pattern) if (c === '*' || c === '?') n++;
  if (n > GLOB_LIMITS.maxWildcards)
    return new GarrisonError('BASELINE_PATTERN_INVALID', `${where}: more than ${GLOB_LIMITS.maxWildcards} wildcards`, {
      location: { field: where },
    });
  return undefined;
}

/**
 * Case-insensitive glob match (`*` any run, `?` one character) without regular expressions:
 * the classic two-pointer algorithm with single backtrack point, O(len(text) × len(pattern)) worst.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Median of a numeric array-like (copies; does not reorder the input). */
export function median(xs: ArrayLike<number>, n = xs.length): number {
  if (n === 0) return NaN;
  const a = Float64Array.from({ length: n }, (_, i) => xs[i]).sort();
  const m = n >> 1;
  return n % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Median absolute deviation around `med`. */
export function mad(xs: ArrayLike<number>, med: number, n = xs.length): number {
  if (n === 0) return NaN;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.abs(xs[i] - med);
  d.sort();
  const m = n >> 1;
  return n % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}

/** Weighted quantile of a histogram whose bin i covers [i, i+1) (linear inside the bin). */
export function histQuantile(bins: ArrayLike<number>, offset: number, nbins: number, q: number): number {
  let total = 0;
  for (let i = 0; i < nbins; i++) total += bins[offset + i];
  if (total <= 0) return NaN;
  const target = q * total;
  let acc = 0;
  for (let i = 0; i < nbins; i++) {
    const w = bins[offset + i];
    if (w > 0 && acc + w >= target) return i + (target - acc) / w;
    acc += w;
  }
  return nbins;
}

export function clampScore(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.max(0, Math.min(100, Math.round(x * 10) / 10));
}

export function attack(tactics: string[], techniques: string[]): AttackRef {
  return { tactics, techniques };
}

/** Last path component of a Windows or POSIX path. */
export function basename(p: string): string {
  let i = p.length - 1;
  while (i >= 0 && p[i] !== '\\' && p[i] !== '/') i--;
  return p.slice(i + 1);
}

/** Human bytes: 1.5 MB. */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < u.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x < 10 && i > 0 ? x.toFixed(1) : Math.round(x)} ${u[i]}`;
}

export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 7200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3600_000).toFixed(1)} h`;
}

/** Values from attacker-controlled fields are cut to this length before they go into patterns. */
export function cap(s: string, n = 200): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

/** Accounts that are not people: machine accounts, built-in service identities. */
export function isServiceAccount(u: string): boolean {
  if (!u) return true;
  if (u.endsWith('$')) return true;
  switch (u) {
    case 'system':
    case 'local service':
    case 'network service':
    case 'anonymous logon':
    case 'localsystem':
    case '-':
      return true;
  }
  return u.startsWith('dwm-') || u.startsWith('umfd-');
}

/** State validation error helper. */
export function stateError(model: string, msg: string, field?: string): GarrisonError {
  return new GarrisonError('BASELINE_STATE_INVALID', `baseline state of model ${model}: ${msg}`, {
    location: { field: field ? `${model}.${field}` : model },
  });
}

/** Hour of day (0..23) and day of week (0 = Sunday) of an epoch-ms time shifted by an offset. */
export function hourAndDay(t: number, offsetMinutes: number): { hour: number; dow: number } {
  const local = t + offsetMinutes * 60_000;
  const day = Math.floor(local / 86_400_000);
  const hour = Math.floor((local - day * 86_400_000) / 3_600_000);
  const dow = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return { hour, dow };
}

/**
 * Fixed-width Uint16 slots in one growable buffer: many small histograms without one typed-array
 * object (and its ~100 bytes of overhead) each. Slots are reused after release().
 */
export class Uint16Slab {
  data: Uint16Array;
  private free: number[] = [];
  private next = 0;
  constructor(
    readonly width: number,
    initialSlots = 1024,
  ) {
    this.data = new Uint16Array(width * initialSlots);
  }
  /** Returns the base offset of a zeroed slot. */
  alloc(): number {
    const slot = this.free.length ? (this.free.pop() as number) : this.next++;
    const base = slot * this.width;
    if (base + this.width > this.data.length) {
      const grown = new Uint16Array(Math.max(this.data.length * 2, base + this.width));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.fill(0, base, base + this.width);
    return base;
  }
  release(base: number): void {
    this.free.push(base / this.width);
  }
  clear(): void {
    this.free = [];
    this.next = 0;
  }
}
