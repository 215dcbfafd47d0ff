/**
 * The telemetry inventory: what has actually arrived in the store in a window, read back from the
 * store through its port (paged search, newest first, bounded), aggregated three ways:
 *  - per source envelope (format/product/service/category/channel/event code/OCSF class);
 *  - per telemetry need of the rules (events routed exactly as the Sigma matcher routes them,
 *    with the fields the rules read counted as present or not);
 *  - per host and source family (last seen: stale agents, hosts missing a telemetry).
 * When the scan stops at its bound, needs it has not seen are probed with one targeted query each
 * (the query is kept, so the report can cite it).
 */
import { getField, hostKey, type GarrisonEvent } from '../core/event.js';
import { GarrisonError } from '../core/errors.js';
import { routedEvent } from '../detect/pipelines/index.js';
import type { Store } from '../store/port.js';
import { envelopeKey, envelopeMatches, envelopeOf, parseEnvelopeKey, type Envelope, type EnvelopeMatch } from './datasources.js';
import type { TelemetryNeed } from './requirements.js';

export interface InventoryOptions {
  /** Inclusive start, ms epoch. */
  from: number;
  /** Exclusive end, ms epoch. */
  to: number;
  tenant?: string;
  /** Most events read by the scan (newest first); default 250,000. */
  maxEvents?: number;
  pageSize?: number;
  /** Sources treated as switched off: events matching any of these are ignored. */
  exclude?: EnvelopeMatch[];
  /** Targeted queries for needs the bounded scan did not see (default true). */
  probe?: boolean;
}

export interface SourceStats {
  key: string;
  envelope: Envelope;
  count: number;
  first: number;
  last: number;
  hosts: number;
}

export interface NeedStats {
  key: string;
  count: number;
  first?: number;
  last?: number;
  hosts: number;
  /** Rule field -> events (of this need) in which it was present. */
  fieldSeen: Record<string, number>;
  /** Found by a targeted query after a truncated scan (counts are then a sample). */
  probed?: { query: string; found: number };
}

export interface HostFamily {
  host: string;
  /** `product/service` (or format when no product). */
  family: string;
  count: number;
  last: number;
}

export interface Inventory {
  from: number;
  to: number;
  scanned: number;
  excluded: number;
  truncated: boolean;
  sources: SourceStats[];
  needs: Map<string, NeedStats>;
  hostFamilies: HostFamily[];
  /** Queries run against the store (the scan and any probes). */
  queries: string[];
}

const MAX_HOSTS_PER_KEY = 10_000;
const MAX_HOST_FAMILIES = 200_000;

export function familyOf(e: Envelope): string {
  return e.product ? `${e.product}/${e.service || e.category || e.format}` : e.format || 'unknown';
}

/** A search-language query selecting the events of a need (for probes and hunts). */
export function needQuery(n: Pick<TelemetryNeed, 'when' | 'eventIds'>): string {
  const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const any = (field: string, vals: string[]) => (vals.length === 1 ? `${field}:${q(vals[0])}` : `(${vals.map((v) => `${field}:${q(v)}`).join(' OR ')})`);
  const parts: string[] = [];
  const w = n.when;
  if (w.format) parts.push(any('format', w.format));
  if (w.product) parts.push(any('product', w.product));
  if (w.service) parts.push(any('service', w.service));
  if (w.category) parts.push(any('category', w.category));
  if (w.channel) parts.push(any('channel', w.channel));
  const ids = n.eventIds.length ? n.eventIds : w.eventId ?? [];
  if (ids.length) parts.push(any('event_code', ids));
  if (w.fields) for (const [k, v] of Object.entries(w.fields)) if (/^[A-Za-z_@#][\w.@#-]*$/.test(k)) parts.push(any(`fields.${k}`, v));
  return parts.join(' AND ');
}

class NeedTally {
  count = 0;
  first = Infinity;
  last = -Infinity;
  hosts = new Set<string>();
  fieldSeen: Record<string, number> = Object.create(null) as Record<string, number>;
  constructor(readonly need: TelemetryNeed) {
    for (const f of need.fields.keys()) this.fieldSeen[f] = 0;
  }
  add(ev: GarrisonEvent): void {
    this.count++;
    if (ev.time < this.first) this.first = ev.time;
    if (ev.time > this.last) this.last = ev.time;
    const h = hostKey(ev.entities.host);
    if (h && this.hosts.size < MAX_HOSTS_PER_KEY) this.hosts.add(h);
    for (const [f, names] of this.need.fields) if (names.some((n) => getField(ev.fields, n) !== undefined)) this.fieldSeen[f]++;
  }
  stats(): NeedStats {
    return { key: this.need.key, count: this.count, first: this.count ? this.first : undefined, last: this.count ? this.last : undefined, hosts: this.hosts.size, fieldSeen: { ...this.fieldSeen } };
  }
}

/** Whether an event belongs to a need: the matcher's own routing, then the EventIDs. */
function needMatcher(needs: TelemetryNeed[]) {
  const cache = new Map<string, number[]>();
  return (ev: GarrisonEvent): number[] => {
    const re = routedEvent(ev);
    let idx = cache.get(re.key);
    if (!idx) {
      idx = [];
      needs.forEach((n, i) => {
        if (!n.compiled.staticMatch(re)) return;
        if (n.eventIds.length && (re.eventId === undefined || !n.eventIds.includes(String(Number(re.eventId))))) return;
        idx!.push(i);
      });
      if (cache.size > 10_000) cache.clear();
      cache.set(re.key, idx);
    }
    if (idx.length === 0) return idx;
    return idx.filter((i) => !needs[i].compiled.hasFieldConditions || needs[i].compiled.fieldMatch(re));
  };
}

/** Scans the store and builds the inventory. */
export async function buildInventory(store: Store, needsIn: Iterable<TelemetryNeed>, opts: InventoryOptions): Promise<Inventory> {
  if (!Number.isFinite(opts.from) || !Number.isFinite(opts.to) || opts.from >= opts.to) {
    throw new GarrisonError('COVERAGE_OPTION_INVALID', `the inventory window is empty or invalid (from ${opts.from}, to ${opts.to})`);
  }
  const needs = [...needsIn];
  const maxEvents = opts.maxEvents ?? 250_000;
  const pageSize = Math.min(10_000, Math.max(100, opts.pageSize ?? 5000));
  const exclude = opts.exclude ?? [];
  const tallies = needs.map((n) => new NeedTally(n));
  const matchNeeds = needMatcher(needs);
  const sources = new Map<string, { envelope: Envelope; count: number; first: number; last: number; hosts: Set<string> }>();
  const families = new Map<string, HostFamily>();
  const excludedKeys = new Map<string, boolean>();
  let scanned = 0;
  let excluded = 0;
  let cursor: string | undefined;
  let truncated = false;
  const queries: string[] = [];
  const isExcluded = (env: Envelope, key: string): boolean => {
    if (exclude.length === 0) return false;
    let x = excludedKeys.get(key);
    if (x === undefined) excludedKeys.set(key, (x = exclude.some((m) => envelopeMatches(m, env))));
    return x;
  };
  queries.push(`* (all events, newest first, from ${new Date(opts.from).toISOString()} to ${new Date(opts.to).toISOString()})`);
  for (;;) {
    const page = await store.search('', { from: opts.from, to: opts.to, tenant: opts.tenant, limit: Math.min(pageSize, maxEvents - scanned), cursor, order: 'desc' });
    for (const ev of page.events) {
      scanned++;
      const env = envelopeOf(ev);
      const key = envelopeKey(env);
      if (isExcluded(env, key)) {
        excluded++;
        continue;
      }
      let s = sources.get(key);
      if (!s) sources.set(key, (s = { envelope: env, count: 0, first: Infinity, last: -Infinity, hosts: new Set() }));
      s.count++;
      if (ev.time < s.first) s.first = ev.time;
      if (ev.time > s.last) s.last = ev.time;
      const h = hostKey(ev.entities.host);
      if (h) {
        if (s.hosts.size < MAX_HOSTS_PER_KEY) s.hosts.add(h);
        const fam = familyOf(env);
        const fk = `${h}\u0000${fam}`;
        let f = families.get(fk);
        if (!f && families.size < MAX_HOST_FAMILIES) families.set(fk, (f = { host: h, family: fam, count: 0, last: -Infinity }));
        if (f) {
          f.count++;
          if (ev.time > f.last) f.last = ev.time;
        }
      }
      for (const i of matchNeeds(ev)) tallies[i].add(ev);
    }
    cursor = page.nextCursor;
    if (!cursor) break;
    if (scanned >= maxEvents) {
      truncated = true;
      break;
    }
  }
  const needStats = new Map<string, NeedStats>();
  tallies.forEach((t) => needStats.set(t.need.key, t.stats()));
  if (truncated && opts.probe !== false) {
    for (const n of needs) {
      const st = needStats.get(n.key)!;
      if (st.count > 0) continue;
      const q = needQuery(n);
      if (!q) continue;
      queries.push(q);
      let r;
      try {
        r = await store.search(q, { from: opts.from, to: opts.to, tenant: opts.tenant, limit: 200, order: 'desc' });
      } catch {
        continue;
      }
      const t = new NeedTally(n);
      const match = needMatcher([n]);
      for (const ev of r.events) if (!isExcluded(envelopeOf(ev), envelopeKey(envelopeOf(ev))) && match(ev).length) t.add(ev);
      needStats.set(n.key, { ...t.stats(), probed: { query: q, found: t.count } });
    }
  }
  return {
    from: opts.from,
    to: opts.to,
    scanned,
    excluded,
    truncated,
    sources: [...sources.entries()].map(([key, s]) => ({ key, envelope: s.envelope, count: s.count, first: s.first, last: s.last, hosts: s.hosts.size })).sort((a, b) => b.count - a.count),
    needs: needStats,
    hostFamilies: [...families.values()],
    queries,
  };
}

/** Parses `product=windows,service=sysmon` (or `format=cloudtrail`) into an envelope filter. */
export function parseSourceFilter(s: string): EnvelopeMatch {
  const m: EnvelopeMatch = {};
  const allowed = new Set(['format', 'product', 'service', 'category', 'channel', 'eventCode', 'event_code', 'class']);
  for (const part of s.split(',')) {
    const t = part.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    const k = eq > 0 ? t.slice(0, eq).trim() : '';
    const v = eq > 0 ? t.slice(eq + 1).trim() : '';
    if (!allowed.has(k) || !v) throw new GarrisonError('COVERAGE_OPTION_INVALID', `source filter '${s}': each part must be key=value with key one of format, product, service, category, channel, eventCode, class`);
    const key = (k === 'event_code' ? 'eventCode' : k) as keyof EnvelopeMatch;
    (m as Record<string, string[]>)[key] = v.split('|').map((x) => x.toLowerCase());
  }
  if (Object.keys(m).length === 0) throw new GarrisonError('COVERAGE_OPTION_INVALID', `source filter '${s}' is empty`);
  return m;
}

export { parseEnvelopeKey };
