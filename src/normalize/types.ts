/**
 * Parsers turn one raw record into a GarrisonEvent. Each format lives in its own folder under
 * normalize/ and is registered in normalize/registry.ts (an explicit typed map).
 */
import type { GarrisonEvent } from '../core/event.js';
import type { GarrisonError } from '../core/errors.js';

/** What a source hands to normalization. */
export interface RawRecord {
  /** The record's text (a JSON object, a syslog line ...) or an already-parsed object. */
  data: string | Record<string, unknown>;
  /** Where it came from, for stable ids and error locations (`file:/x.json:12`, `hec:ch:7`). */
  origin: string;
  /** Source name for EventSource.input (`hec`, `syslog:tcp`, `file:/x`). */
  input: string;
  tenant: string;
  receivedAt: number;
  /** Format hint from the source (HEC sourcetype, file detection); undefined = detect. */
  format?: string;
  /**
   * Transport metadata, e.g. HEC host/source/sourcetype/time, syslog peer address. Keys the
   * normalizers read: `time` (ms; the event time when the body has none), `timeAuthoritative`
   * (true: `time` wins over the body's timestamp — HEC /event), `fallbackTime` (file mtime),
   * `host`, `zeek`/`zeekPath`.
   */
  meta?: Record<string, unknown>;
}

export type ParseResult = { ok: true; event: GarrisonEvent } | { ok: false; error: GarrisonError };

export interface Parser {
  readonly name: string;
  parse(rec: RawRecord): ParseResult;
}
