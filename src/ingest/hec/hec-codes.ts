import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the Splunk-compatible HTTP Event Collector (each maps to a HEC response code). */
export const HEC_CODES = {
  HEC_TOKEN_DISABLED: { status: 403, summary: 'The HEC token exists but is disabled (HEC code 1).' },
  HEC_NO_DATA: { status: 400, summary: 'The request carried no events (HEC code 5).' },
  HEC_BAD_FORMAT: { status: 400, summary: 'An event object is not valid JSON or not an object; the location gives its number (HEC code 6).' },
  HEC_BAD_INDEX: { status: 400, summary: 'The event names an index the token may not write to (HEC code 7).' },
  HEC_CHANNEL_MISSING: { status: 400, summary: 'A data channel is required and none was given (HEC code 10).' },
  HEC_BAD_CHANNEL: { status: 400, summary: 'The data channel is not a GUID, or too many channels are open (HEC code 11).' },
  HEC_EVENT_REQUIRED: { status: 400, summary: 'An event object has no "event" field (HEC code 12).' },
  HEC_EVENT_BLANK: { status: 400, summary: 'An event object has an empty "event" field (HEC code 13).' },
  HEC_ACK_DISABLED: { status: 400, summary: 'Indexer acknowledgement was requested but is disabled (HEC code 14).' },
  HEC_BAD_FIELDS: { status: 400, summary: 'The "fields" member is not a flat object of strings/numbers (HEC code 15).' },
  HEC_BAD_METADATA: { status: 400, summary: 'time/host/source/sourcetype/index has the wrong type or size (HEC code 6).' },
} as const satisfies Record<string, ErrorCodeSpec>;
