/** Small building blocks of the correlation area: a bounded LRU map, hashing, safe text. */
import { createHash } from 'node:crypto';
import { LruMap } from '../core/lru.js';

/**
 * The shared bounded LRU map (src/core/lru.ts) with the correlator's names: `get` reads and
 * promotes, `peek` reads without promoting.
 */
export class Lru<K, V> extends LruMap<K, V> {
  override get(k: K): V | undefined {
    return this.touch(k);
  }
  override peek(k: K): V | undefined {
    return super.get(k);
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
