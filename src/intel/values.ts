/**
 * Normalizing and classifying indicator values. Everything here is attacker-reachable (feeds and
 * events), so it is linear-time, length-capped and never builds a regular expression from input.
 */
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { Indicator, IndicatorType } from './types.js';

const HEX = /^[0-9a-f]+$/;
const V4_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const V6_SHAPE = /^[0-9a-fA-F:.]+(?:%[0-9A-Za-z._-]{1,32})?$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
export const MAX_VALUE_LENGTH = 4096;

/**
 * Strict dotted-quad IPv4 (no leading zeros, each part 0..255) as an unsigned 32-bit number, or -1.
 * The fast path for look-ups on the stream: no allocation, no exception.
 */
export function parseV4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let out = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || parts === 4) return -1;
      out = out * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  return parts === 4 ? out >>> 0 : -1;
}

/** Canonical IP text (IPv4 dotted quad, IPv6 RFC 5952 lower-case; IPv4-mapped IPv6 becomes IPv4), or undefined. */
export function normalizeIp(s: string): { kind: 'ipv4' | 'ipv6'; value: string; addr: ipaddr.IPv4 | ipaddr.IPv6 } | undefined {
  if (typeof s !== 'string' || s.length > 64) return undefined;
  const t = s.trim().replace(/^\[|\]$/g, '');
  // cheap shape checks first: ipaddr.js validates by throwing, which is slow on non-addresses
  if (!V4_SHAPE.test(t) && !(t.includes(':') && V6_SHAPE.test(t))) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) {
    const a = ipaddr.IPv4.parse(t);
    return { kind: 'ipv4', value: a.toString(), addr: a };
  }
  const noZone = t.split('%')[0];
  if (noZone.includes(':') && ipaddr.IPv6.isValid(noZone)) {
    const a = ipaddr.IPv6.parse(noZone);
    if (a.isIPv4MappedAddress()) {
      const v4 = a.toIPv4Address();
      return { kind: 'ipv4', value: v4.toString(), addr: v4 };
    }
    return { kind: 'ipv6', value: a.toString(), addr: a };
  }
  return undefined;
}

/** Canonical CIDR (`network/prefix`, host bits cleared), or undefined for a malformed one. */
export function normalizeCidr(s: string): { value: string; kind: 'ipv4' | 'ipv6'; bytes: number[]; prefix: number } | undefined {
  if (typeof s !== 'string' || s.length > 64) return undefined;
  const t = s.trim();
  const slash = t.indexOf('/');
  if (slash < 0 || t.indexOf('/', slash + 1) >= 0) return undefined;
  const ip = normalizeIp(t.slice(0, slash));
  const pStr = t.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(pStr)) return undefined;
  let prefix = Number(pStr);
  const v4mapped = ip.kind === 'ipv4' && t.slice(0, slash).includes(':');
  if (v4mapped) prefix -= 96;
  const max = ip.kind === 'ipv4' ? 32 : 128;
  if (prefix < 0 || prefix > max) return undefined;
  const bytes = maskBytes(ip.addr.toByteArray(), prefix);
  const net = ip.kind === 'ipv4' ? new ipaddr.IPv4(bytes) : new ipaddr.IPv6(bytesToParts(bytes));
  return { value: `${net.toString()}/${prefix}`, kind: ip.kind, bytes, prefix };
}

export function maskBytes(bytes: number[], prefix: number): number[] {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i] & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function bytesToParts(b: number[]): number[] {
  const parts: number[] = [];
  for (let i = 0; i < 16; i += 2) parts.push((b[i] << 8) | b[i + 1]);
  return parts;
}

/** Lower-case domain without trailing dot; undefined unless it is a plausible DNS name with a dot. */
export function normalizeDomain(s: string): string | undefined {
  if (typeof s !== 'string' || s.length > 253 + 1) return undefined;
  let t = s.trim().toLowerCase();
  if (t.endsWith('.')) t = t.slice(0, -1);
  if (t.startsWith('*.')) t = t.slice(2);
  if (t.length === 0 || t.length > 253 || !t.includes('.')) return undefined;
  if (normalizeIp(t)) return undefined;
  const labels = t.split('.');
  for (const l of labels) if (!DOMAIN_LABEL.test(l)) return undefined;
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined;
  return t;
}

/** A URL indicator: trimmed, scheme and host lower-cased; undefined unless http(s)/ftp with a host. */
export function normalizeUrl(s: string): string | undefined {
  if (typeof s !== 'string' || s.length > MAX_VALUE_LENGTH) return undefined;
  const t = s.trim();
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    return undefined;
  }
  if (!['http:', 'https:', 'ftp:'].includes(u.protocol) || !u.hostname) return undefined;
  return u.toString();
}

/** Host part of a URL (lower-case), or undefined. */
export function urlHost(s: string): string | undefined {
  if (typeof s !== 'string' || s.length > MAX_VALUE_LENGTH) return undefined;
  try {
    const h = new URL(s.trim()).hostname.toLowerCase();
    return h.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

export function normalizeHash(s: string, type?: 'md5' | 'sha1' | 'sha256'): { type: 'md5' | 'sha1' | 'sha256'; value: string } | undefined {
  if (typeof s !== 'string' || s.length > 128) return undefined;
  const t = s.trim().toLowerCase();
  if (!HEX.test(t)) return undefined;
  const byLen = t.length === 32 ? 'md5' : t.length === 40 ? 'sha1' : t.length === 64 ? 'sha256' : undefined;
  if (!byLen || (type && type !== byLen)) return undefined;
  return { type: byLen, value: t };
}

/** Normalizes a value for a declared type (or guesses the type when none is given). */
export function normalizeIndicatorValue(value: string, type?: IndicatorType): { type: IndicatorType; value: string } | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH) return undefined;
  const v = value.trim();
  const want = type;
  if (!want || want === 'ipv4' || want === 'ipv6' || want === 'cidr') {
    if (v.includes('/') && (!want || want === 'cidr' || want === 'ipv4' || want === 'ipv6')) {
      const c = normalizeCidr(v);
      if (c) {
        // a /32 or /128 is a single address
        if ((c.kind === 'ipv4' && c.prefix === 32) || (c.kind === 'ipv6' && c.prefix === 128)) return { type: c.kind, value: c.value.split('/')[0] };
        return { type: 'cidr', value: c.value };
      }
      if (want) return undefined;
    } else {
      const ip = normalizeIp(v);
      if (ip && (!want || want === ip.kind || want === 'cidr')) return { type: ip.kind, value: ip.value };
      if (want) return undefined;
    }
  }
  if (!want || want === 'md5' || want === 'sha1' || want === 'sha256') {
    const h = normalizeHash(v, want as 'md5' | 'sha1' | 'sha256' | undefined);
    if (h) return h;
    if (want) return undefined;
  }
  if (!want || want === 'url') {
    if (want === 'url' || /^[a-z][a-z0-9+.-]{0,15}:\/\//i.test(v)) {
      const u = normalizeUrl(v);
      if (u) return { type: 'url', value: u };
      if (want) return undefined;
    }
  }
  if (!want || want === 'domain') {
    const d = normalizeDomain(v);
    if (d) return { type: 'domain', value: d };
  }
  return undefined;
}

export function indicatorId(type: IndicatorType, value: string, source: string): string {
  return createHash('sha256').update(type).update('\0').update(value).update('\0').update(source).digest('hex').slice(0, 32);
}

/** Builds an indicator with defaults and clamps; returns undefined when the value is invalid. */
export function makeIndicator(input: {
  type?: IndicatorType;
  value: string;
  source: string;
  confidence?: number;
  validFrom?: number;
  validUntil?: number;
  tags?: string[];
  description?: string;
  ref?: string;
}): Indicator | undefined {
  const n = normalizeIndicatorValue(input.value, input.type);
  if (!n) return undefined;
  const conf = Number.isFinite(input.confidence) ? Math.max(0, Math.min(100, Math.round(input.confidence!))) : 50;
  const ind: Indicator = {
    id: indicatorId(n.type, n.value, input.source),
    type: n.type,
    value: n.value,
    source: input.source.slice(0, 200),
    confidence: conf,
    tags: [...new Set((input.tags ?? []).filter((t) => typeof t === 'string' && t.length > 0).map((t) => t.slice(0, 100)))].slice(0, 32),
  };
  if (Number.isFinite(input.validFrom)) ind.validFrom = Math.trunc(input.validFrom!);
  if (Number.isFinite(input.validUntil)) ind.validUntil = Math.trunc(input.validUntil!);
  if (input.description) ind.description = input.description.slice(0, 500);
  if (input.ref) ind.ref = input.ref.slice(0, 200);
  return ind;
}

/** Parses an ISO 8601 timestamp or epoch seconds/ms; undefined when absent or invalid. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return undefined;
  if (/^\d{9,13}$/.test(v)) return parseTime(Number(v));
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}
