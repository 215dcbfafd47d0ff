/** Public surface of the threat-intelligence area (docs/intel.md). */
export type { Indicator, IndicatorType, IntelMatch, FeedLoad, FeedProblem, FeedLimits } from './types.js';
export { INDICATOR_TYPES, DEFAULT_FEED_LIMITS } from './types.js';
export { IntelIndex, type LookupOptions } from './intel-index.js';
export { parseStixPattern, loadStixBundle } from './stix.js';
export { loadMispEvents, type MispOptions } from './misp.js';
export { loadCsvIndicators, parseCsv } from './csv.js';
export { makeIndicator, normalizeIndicatorValue, normalizeIp, normalizeCidr, normalizeDomain, normalizeUrl, normalizeHash } from './values.js';
export { createIntelDetector, intelSignal, intelLevel, type IntelDetector, type IntelDetectorOptions } from './detector.js';
export { TaxiiClient, TAXII_MEDIA, type TaxiiClientOptions, type TaxiiCollection, type TaxiiPull } from './taxii.js';
export { parseFeed, loadFeedFile, saveFeed, listFeeds, loadIntelIndex, feedRecordId, type FeedDoc } from './feeds.js';
