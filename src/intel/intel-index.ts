/**
 * IntelIndex: indicators by value for O(1) exact look-ups (IPs, domains, URLs, hashes), parent
 * domains in O(labels), and CIDR ranges in O(distinct prefix lengths) (≤ 33 for IPv4, ≤ 129 for
 * IPv6) through one hash map per prefix length. Expiry (validFrom / validUntil) is checked at
 * look-up time against the time given (the event's time on the stream; the incident's in an
 * investigation), never the wall clock, so results are reproducible.
 */
import type { GarrisonEvent } from '../core/event.js';
import type { Indicator, IndicatorType, IntelMatch } from './types.js';
import { maskBytes, normalizeCidr, normalizeDomain, normalizeHash, normalizeIp, normalizeUrl, parseV4, urlHost } from './values.js';

export interface LookupOptions {
  /** Only indicators valid at this time (ms epoch). Absent: ignore validity. */
  at?: number;
  /** Minimum confidence (0..100). */
  minConfidence?: number;
}

function valid(ind: Indicator, o: LookupOptions): boolean {
  if (o.minConfidence !== undefined && ind.confidence < o.minConfidence) return false;
  if (o.at === undefined) return true;
  if (ind.validFrom !== undefined && o.at < ind.validFrom) return false;
  if (ind.validUntil !== undefined && o.at >= ind.validUntil) return false;
  return true;
}

export class IntelIndex {
  private readonly exact = new Map<string, Indicator[]>(); // `${type}\0${value}`
  private readonly cidr4 = new Map<number, Map<number, Indicator[]>>();
  private readonly cidr6 = new Map<number, Map<string, Indicator[]>>();
  private prefixes4: number[] = [];
  private prefixes6: number[] = [];
  private readonly ids = new Set<string>();
  private readonly bySource = new Map<string, number>();

  constructor(indicators: Iterable<Indicator> = []) {
    this.add(indicators);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Indicator counts per feed. */
  sources(): { source: string; indicators: number }[] {
    return [...this.bySource].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([source, indicators]) => ({ source, indicators }));
  }

  add(indicators: Iterable<Indicator>): number {
    let n = 0;
    for (const ind of indicators) {
      if (this.ids.has(ind.id)) continue;
      this.ids.add(ind.id);
      this.bySource.set(ind.source, (this.bySource.get(ind.source) ?? 0) + 1);
      n++;
      if (ind.type === 'cidr') {
        const c = normalizeCidr(ind.value);
        if (!c) continue;
        if (c.kind === 'ipv4') {
          let m = this.cidr4.get(c.prefix);
          if (!m) {
            m = new Map();
            this.cidr4.set(c.prefix, m);
            this.prefixes4 = [...this.cidr4.keys()].sort((a, b) => b - a);
          }
          const net = ((c.bytes[0] << 24) | (c.bytes[1] << 16) | (c.bytes[2] << 8) | c.bytes[3]) >>> 0;
          const key = c.prefix === 0 ? 0 : net >>> (32 - c.prefix);
          const list = m.get(key);
          if (list) list.push(ind);
          else m.set(key, [ind]);
          continue;
        }
        let m = this.cidr6.get(c.prefix);
        if (!m) {
          m = new Map();
          this.cidr6.set(c.prefix, m);
          this.prefixes6 = [...this.cidr6.keys()].sort((a, b) => b - a);
        }
        const key = Buffer.from(c.bytes).toString('hex');
        const list = m.get(key);
        if (list) list.push(ind);
        else m.set(key, [ind]);
      } else {
        const key = `${ind.type}\0${ind.value}`;
        const list = this.exact.get(key);
        if (list) list.push(ind);
        else this.exact.set(key, [ind]);
      }
    }
    return n;
  }

  private get(type: IndicatorType, value: string, o: LookupOptions): Indicator[] {
    const l = this.exact.get(`${type}\0${value}`);
    return l ? l.filter((i) => valid(i, o)) : [];
  }

  lookupIp(value: string, o: LookupOptions = {}): IntelMatch[] {
    const v4 = typeof value === 'string' ? parseV4(value) : -1;
    if (v4 >= 0) {
      // fast path: canonical dotted quad, integer CIDR keys
      const out: IntelMatch[] = this.get('ipv4', value, o).map((indicator) => ({ value, how: 'exact' as const, indicator }));
      for (const p of this.prefixes4) {
        const list = this.cidr4.get(p)!.get(p === 0 ? 0 : v4 >>> (32 - p));
        if (list) for (const indicator of list) if (valid(indicator, o)) out.push({ value, how: 'cidr', indicator });
      }
      return out;
    }
    const ip = normalizeIp(value);
    if (!ip) return [];
    if (ip.kind === 'ipv4') return this.lookupIp(ip.value, o).map((m) => ({ ...m, value }));
    const out: IntelMatch[] = this.get('ipv6', ip.value, o).map((indicator) => ({ value, how: 'exact' as const, indicator }));
    const bytes = ip.addr.toByteArray();
    for (const p of this.prefixes6) {
      const list = this.cidr6.get(p)?.get(Buffer.from(maskBytes(bytes, p)).toString('hex'));
      if (list) for (const indicator of list) if (valid(indicator, o)) out.push({ value, how: 'cidr', indicator });
    }
    return out;
  }

  lookupDomain(value: string, o: LookupOptions = {}): IntelMatch[] {
    const d = normalizeDomain(value);
    if (!d) return [];
    const out: IntelMatch[] = this.get('domain', d, o).map((indicator) => ({ value, how: 'exact' as const, indicator }));
    // parent domains: an indicator on evil.example matches a.b.evil.example (not the public suffix alone)
    let i = d.indexOf('.');
    let guard = 0;
    while (i >= 0 && guard++ < 127) {
      const parent = d.slice(i + 1);
      if (!parent.includes('.')) break;
      for (const indicator of this.get('domain', parent, o)) out.push({ value, how: 'parent_domain', indicator });
      i = d.indexOf('.', i + 1);
    }
    return out;
  }

  lookupUrl(value: string, o: LookupOptions = {}): IntelMatch[] {
    const u = normalizeUrl(value);
    const out: IntelMatch[] = u ? this.get('url', u, o).map((indicator) => ({ value, how: 'exact' as const, indicator })) : [];
    const host = urlHost(value);
    if (host) out.push(...(normalizeIp(host) ? this.lookupIp(host, o) : this.lookupDomain(host, o)).map((m) => ({ ...m, value })));
    return out;
  }

  lookupHash(value: string, o: LookupOptions = {}): IntelMatch[] {
    const h = normalizeHash(value);
    if (!h) return [];
    return this.get(h.type, h.value, o).map((indicator) => ({ value, how: 'exact' as const, indicator }));
  }

  /** Looks a value of unknown kind up (IP, CIDR member, domain, URL or hash). */
  lookup(value: string, o: LookupOptions = {}): IntelMatch[] {
    if (typeof value !== 'string' || value.length === 0 || value.length > 4096) return [];
    const v = value.trim();
    if (parseV4(v) >= 0 || normalizeIp(v)) return this.lookupIp(v, o);
    if (normalizeHash(v)) return this.lookupHash(v, o);
    if (/^[a-z][a-z0-9+.-]{0,15}:\/\//i.test(v)) return this.lookupUrl(v, o);
    return this.lookupDomain(v, o);
  }

  /** Every indicator match for the values an event names (IPs, domain, URL, hashes, indicators). */
  matchEvent(ev: GarrisonEvent, o: LookupOptions = {}): IntelMatch[] {
    const e = ev.entities ?? {};
    const out: IntelMatch[] = [];
    const seen = new Set<string>();
    const add = (ms: IntelMatch[]) => {
      for (const m of ms) {
        const k = `${m.indicator.id}\0${m.value}`;
        if (!seen.has(k)) {
          seen.add(k);
          out.push(m);
        }
      }
    };
    for (const ip of [e.srcIp, e.dstIp]) if (typeof ip === 'string') add(this.lookupIp(ip, o));
    if (typeof e.domain === 'string') add(this.lookupDomain(e.domain, o));
    if (typeof e.url === 'string') add(this.lookupUrl(e.url, o));
    for (const hs of [e.process?.hashes, e.file?.hashes]) {
      if (!hs) continue;
      for (const h of [hs.md5, hs.sha1, hs.sha256]) if (typeof h === 'string') add(this.lookupHash(h, o));
    }
    if (Array.isArray(e.indicators)) for (const x of e.indicators.slice(0, 64)) if (typeof x === 'string') add(this.lookup(x, o));
    return out;
  }

  /** All indicators (for listing / export), in a stable order. */
  all(): Indicator[] {
    const out: Indicator[] = [];
    for (const l of this.exact.values()) out.push(...l);
    for (const maps of [this.cidr4, this.cidr6]) for (const m of maps.values()) for (const l of m.values()) out.push(...l);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
