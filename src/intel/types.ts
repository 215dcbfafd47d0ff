/**
 * Threat-intelligence indicators: what a feed says is bad, with where it came from, how sure the
 * feed is and how long it stays valid. Loaded from STIX 2.1 bundles, MISP JSON events and CSV
 * (see docs/intel.md); kept in the store (collection `intel`, one record per feed).
 */

export type IndicatorType = 'ipv4' | 'ipv6' | 'cidr' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256';
export const INDICATOR_TYPES: readonly IndicatorType[] = ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256'];

export interface Indicator {
  /** Stable id from content (type, value, source). */
  id: string;
  type: IndicatorType;
  /** Canonical value: normalized IP / CIDR, lower-case domain without trailing dot, URL as given (trimmed), lower-case hex hash. */
  value: string;
  /** Feed name (file name, TAXII collection, MISP org ...). */
  source: string;
  /** 0..100. */
  confidence: number;
  /** ms epoch; absent = valid since always. */
  validFrom?: number;
  /** ms epoch, exclusive; absent = no expiry. */
  validUntil?: number;
  tags: string[];
  /** Short description from the feed (indicator name, MISP event info, CSV comment). */
  description?: string;
  /** Id of the object in the feed (STIX indicator id, MISP attribute uuid, CSV line). */
  ref?: string;
}

/** A problem met while loading a feed: the rest of the feed still loads. */
export interface FeedProblem {
  /** file:line, JSON path or STIX id. */
  where: string;
  code: 'INTEL_FEED_INVALID' | 'INTEL_PATTERN_UNSUPPORTED' | 'INTEL_VALUE_INVALID' | 'INTEL_TOO_LARGE';
  message: string;
}

export interface FeedLoad {
  source: string;
  format: 'stix' | 'misp' | 'csv';
  indicators: Indicator[];
  problems: FeedProblem[];
  /** Objects / attributes / rows skipped on purpose (not an indicator, to_ids false, revoked). */
  skipped: number;
}

/** A hit of a value on an indicator. */
export interface IntelMatch {
  /** The value that was looked up (as given). */
  value: string;
  /** How it matched: exact value, CIDR containment, parent domain, URL. */
  how: 'exact' | 'cidr' | 'parent_domain';
  indicator: Indicator;
}

/** Limits that keep a hostile feed from exhausting memory or time. */
export interface FeedLimits {
  /** Largest input accepted, bytes (default 256 MiB). */
  maxBytes: number;
  /** Most indicators per feed (default 2,000,000). */
  maxIndicators: number;
  /** Longest STIX pattern accepted, characters (default 8,192). */
  maxPatternLength: number;
  /** Most problems recorded (the count of the rest is kept). */
  maxProblems: number;
}

export const DEFAULT_FEED_LIMITS: FeedLimits = { maxBytes: 256 * 1024 * 1024, maxIndicators: 2_000_000, maxPatternLength: 8192, maxProblems: 1000 };
