import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the message bus (src/bus). */
export const BUS_CODES = {
  BUS_CLOSED: { status: 503, summary: 'The bus was used after close() (or while closing): no new publishes or subscriptions.' },
  BUS_UNAVAILABLE: { status: 503, summary: 'The message broker cannot be reached or did not acknowledge a publish; the message names the server and operation.' },
  BUS_NAME_INVALID: { status: 400, summary: 'A topic or consumer group name is not allowed (topics: dot-separated tokens of letters, digits and -; groups: letters, digits, _ and -).' },
  BUS_MESSAGE_INVALID: { status: 400, summary: 'A message handed to publish() is not JSON-serialisable, or its key is not a string of at most 256 characters; the location gives its index in the batch.' },
  BUS_MESSAGE_TOO_LARGE: { status: 413, summary: 'A serialised message exceeds the bus message size limit; the location gives its index and the details its size and the limit.' },
  BUS_BACKPRESSURE: { status: 503, summary: 'publish() waited longer than its timeout for consumers to make room (a group is too far behind); retry later.' },
  BUS_PAYLOAD_MALFORMED: { status: 422, summary: 'A message received from the bus is not valid JSON or was rejected by the subscriber\'s decoder; it is dead-lettered, never handed to the handler.' },
  BUS_HANDLER_FAILED: { status: 500, summary: 'A subscription handler threw or rejected; its batch is redelivered after a delay.' },
  BUS_DEAD_LETTER: { status: 500, summary: 'A message was given up after the maximum number of delivery attempts and recorded as a dead letter.' },
} as const satisfies Record<string, ErrorCodeSpec>;
