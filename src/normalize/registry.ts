/**
 * The parser registry: an explicit map from format name to parser, plus format detection.
 * (Owner: ingest/parsers. Extend the map; keep detection cheap: it runs per record.)
 */
import { eventId, OCSF_CLASSES, type GarrisonEvent } from '../core/event.js';
import { GarrisonError } from '../core/errors.js';
import type { Parser, ParseResult, RawRecord } from './types.js';

const jsonParser: Parser = {
  name: 'json',
  parse(rec: RawRecord): ParseResult {
    let obj: Record<string, unknown>;
    let raw: string;
    if (typeof rec.data === 'string') {
      raw = rec.data;
      try {
        const v = JSON.parse(raw);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) {
          return { ok: false, error: new GarrisonError('INGEST_BAD_JSON', 'expected a JSON object', { location: { field: rec.origin } }) };
        }
        obj = v;
      } catch (e) {
        return { ok: false, error: new GarrisonError('INGEST_BAD_JSON', (e as Error).message, { location: { field: rec.origin } }) };
      }
    } else {
      obj = rec.data;
      raw = JSON.stringify(obj);
    }
    const t = rec.receivedAt;
    const ev: GarrisonEvent = {
      id: eventId(t, rec.tenant, rec.origin, raw),
      time: t,
      ingestTime: rec.receivedAt,
      tenant: rec.tenant,
      source: { format: 'json', input: rec.input },
      class: { uid: OCSF_CLASSES.base_event, name: 'base_event' },
      entities: {},
      fields: obj,
      raw,
    };
    return { ok: true, event: ev };
  },
};

export const PARSERS = {
  json: jsonParser,
} satisfies Record<string, Parser>;

export type ParserName = keyof typeof PARSERS;

/** Parses one record, choosing the parser from rec.format or by detection. */
export function parseRecord(rec: RawRecord): ParseResult {
  const p = (rec.format && (PARSERS as Record<string, Parser>)[rec.format]) || PARSERS.json;
  return p.parse(rec);
}
