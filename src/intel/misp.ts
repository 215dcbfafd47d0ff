/**
 * MISP JSON events: `{"Event": {...}}`, `{"response": [{"Event": ...}]}`, or an array of either.
 * Attributes (top level and inside `Object`s) of types ip-src, ip-dst, domain, hostname, url,
 * md5, sha1, sha256 and the composites `ip-src|port`, `ip-dst|port`, `domain|ip`,
 * `filename|md5|sha1|sha256` become indicators. Only attributes with `to_ids: true` are loaded
 * unless `includeNonIds` is set (MISP's own rule for what may alert). Deleted attributes are
 * skipped. Validity: `first_seen`/`last_seen` of the attribute when present, else the attribute
 * `timestamp` plus `ttlDays` when given (no expiry otherwise).
 */
import { GarrisonError } from '../core/errors.js';
import { DEFAULT_FEED_LIMITS, type FeedLimits, type FeedLoad, type FeedProblem, type Indicator, type IndicatorType } from './types.js';
import { makeIndicator, parseTime } from './values.js';

export interface MispOptions {
  includeNonIds?: boolean;
  /** Expiry after the attribute's timestamp (days) when it has no last_seen. */
  ttlDays?: number;
  /** Confidence for every attribute (MISP has no per-attribute confidence); default 70. */
  confidence?: number;
  limits?: Partial<FeedLimits>;
}

const SIMPLE: Record<string, IndicatorType | undefined> = {
  'ip-src': undefined,
  'ip-dst': undefined,
  domain: 'domain',
  hostname: 'domain',
  url: 'url',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
};

function tagNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((t) => (t && typeof t === 'object' ? (t as { name?: unknown }).name : undefined)).filter((x): x is string => typeof x === 'string');
}

export function loadMispEvents(input: unknown, source: string, opts: MispOptions = {}): FeedLoad {
  const lim = { ...DEFAULT_FEED_LIMITS, ...(opts.limits ?? {}) };
  let doc = input;
  if (typeof input === 'string') {
    if (input.length > lim.maxBytes) throw new GarrisonError('INTEL_TOO_LARGE', `${source}: larger than ${lim.maxBytes} bytes`, { location: { file: source } });
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new GarrisonError('INTEL_FEED_INVALID', `${source}: not JSON (${(e as Error).message})`, { location: { file: source } });
    }
  }
  const events: { ev: Record<string, unknown>; where: string }[] = [];
  const collect = (x: unknown, where: string) => {
    if (!x || typeof x !== 'object') return;
    if (Array.isArray(x)) x.forEach((y, i) => collect(y, `${where}[${i}]`));
    else if ('Event' in x && (x as { Event: unknown }).Event && typeof (x as { Event: unknown }).Event === 'object') events.push({ ev: (x as { Event: Record<string, unknown> }).Event, where: `${where}.Event` });
    else if ('response' in x) collect((x as { response: unknown }).response, `${where}.response`);
  };
  collect(doc, '$');
  if (events.length === 0) throw new GarrisonError('INTEL_FEED_INVALID', `${source}: no MISP event found (expected {"Event": {...}} or {"response": [...]})`, { location: { file: source } });
  const problems: FeedProblem[] = [];
  const indicators: Indicator[] = [];
  let skipped = 0;
  const conf = opts.confidence ?? 70;
  for (const { ev, where } of events) {
    const evTags = tagNames(ev.Tag);
    const info = typeof ev.info === 'string' ? ev.info : undefined;
    const attrs: { a: Record<string, unknown>; where: string }[] = [];
    if (Array.isArray(ev.Attribute)) ev.Attribute.forEach((a, i) => attrs.push({ a: a as Record<string, unknown>, where: `${where}.Attribute[${i}]` }));
    if (Array.isArray(ev.Object)) {
      ev.Object.forEach((o, j) => {
        const oa = o && typeof o === 'object' ? (o as { Attribute?: unknown }).Attribute : undefined;
        if (Array.isArray(oa)) oa.forEach((a, i) => attrs.push({ a: a as Record<string, unknown>, where: `${where}.Object[${j}].Attribute[${i}]` }));
      });
    }
    for (const { a, where: w } of attrs) {
      if (!a || typeof a !== 'object') {
        if (problems.length < lim.maxProblems) problems.push({ where: `${source}: ${w}`, code: 'INTEL_FEED_INVALID', message: 'attribute is not an object' });
        continue;
      }
      const type = typeof a.type === 'string' ? a.type : '';
      const value = typeof a.value === 'string' ? a.value : '';
      const toIds = a.to_ids === true || a.to_ids === 1 || a.to_ids === '1';
      if (a.deleted === true || (!toIds && !opts.includeNonIds)) {
        skipped++;
        continue;
      }
      // composites: take the parts that are indicators
      const parts: { type: IndicatorType | undefined; value: string }[] = [];
      if (type in SIMPLE) parts.push({ type: SIMPLE[type], value });
      else if (type === 'ip-src|port' || type === 'ip-dst|port') parts.push({ type: undefined, value: value.split('|')[0] });
      else if (type === 'domain|ip') {
        const [d, ip] = value.split('|');
        parts.push({ type: 'domain', value: d ?? '' }, { type: undefined, value: ip ?? '' });
      } else if (type === 'filename|md5' || type === 'filename|sha1' || type === 'filename|sha256') parts.push({ type: type.split('|')[1] as IndicatorType, value: value.split('|')[1] ?? '' });
      else {
        skipped++;
        continue;
      }
      const ts = parseTime(a.timestamp);
      const lastSeen = parseTime(a.last_seen);
      const validUntil = lastSeen ?? (ts !== undefined && opts.ttlDays ? ts + opts.ttlDays * 86_400_000 : undefined);
      for (const p of parts) {
        if (indicators.length >= lim.maxIndicators) throw new GarrisonError('INTEL_TOO_LARGE', `${source}: more than ${lim.maxIndicators} indicators`, { location: { file: source } });
        const ind = makeIndicator({
          type: p.type,
          value: p.value,
          source,
          confidence: conf,
          validFrom: parseTime(a.first_seen),
          validUntil,
          tags: [...evTags, ...tagNames(a.Tag), ...(typeof a.category === 'string' ? [a.category] : [])],
          description: (typeof a.comment === 'string' && a.comment) || info,
          ref: typeof a.uuid === 'string' ? a.uuid : undefined,
        });
        if (ind) indicators.push(ind);
        else if (problems.length < lim.maxProblems) problems.push({ where: `${source}: ${w}`, code: 'INTEL_VALUE_INVALID', message: `${type} value ${JSON.stringify(p.value.slice(0, 100))} is not valid` });
      }
    }
  }
  return { source, format: 'misp', indicators, problems, skipped };
}
