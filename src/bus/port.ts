/**
 * The Bus port: how pipeline stages hand work to each other when they run in separate processes.
 *
 * Two implementations pass one contract suite (src/bus/contract.ts): the embedded in-process bus
 * (src/bus/memory, the default) and NATS JetStream (src/bus/nats). Topics are the hand-offs of
 * src/core/stages.ts (TOPICS). Guarantees, for both unless stated:
 *
 * - publish() resolves once every message of the batch is accepted (memory: queued for every
 *   group of the topic; NATS: stored by JetStream, PubAck received). It validates the whole batch
 *   first (JSON-serialisable, size limit, key): a bad message rejects the batch and none is sent.
 * - Every consumer group receives every message published after it was created (startAt 'all':
 *   also those still retained); within a group each message goes to one member at a time
 *   (competing consumers).
 * - At least once: a message is acknowledged only after the handler's promise resolves. If the
 *   handler throws, the whole batch is redelivered after a delay (retryDelayMs, doubling per
 *   attempt, at most 30 s); after maxAttempts deliveries a message becomes a dead letter
 *   (deadLetters(), onError with BUS_DEAD_LETTER). Handlers must be idempotent.
 * - Payloads that are not JSON, or that the subscriber's `decode` rejects, are dead-lettered at
 *   once (BUS_PAYLOAD_MALFORMED) and never reach the handler; the subscription goes on.
 * - Per-key order: memory delivers messages with the same key in publish order to a group, never
 *   two of them concurrently, and holds later ones back while an earlier one waits for a retry
 *   (strict per-key order, also with competing members and failures). NATS delivers in stream
 *   order and a batch is in stream order, so one member sees each key in order while nothing
 *   fails; competing members, redeliveries after a failure or a crash, may reorder a key.
 * - Back-pressure: a member handles one batch at a time (at most batchSize messages in flight per
 *   member); memory publishers wait (up to publishTimeoutMs, then BUS_BACKPRESSURE) while a group
 *   has maxPending unacknowledged messages; NATS bounds unacknowledged messages per group by
 *   maxAckPending and the stream by its limits.
 * - close() drains: no new publishes; memory waits (bounded) until active groups have handled
 *   what was published; both wait for running handlers and send their acknowledgements.
 */
import type { ErrorCode, GarrisonError } from '../core/errors.js';

/** One message as a handler receives it. */
export interface BusMessage<T = unknown> {
  readonly topic: string;
  /** Position of the message in its log (memory: per topic; NATS: the stream sequence). */
  readonly seq: number;
  /** Ordering key given at publish time. */
  readonly key?: string;
  readonly data: T;
  /** Delivery attempt to this group, from 1. */
  readonly attempt: number;
  /** When it was published (ms epoch). */
  readonly publishedAt: number;
}

export interface PublishOptions {
  /** Ordering key of each message (a string of at most 256 characters, or undefined: no key). */
  key?: (message: unknown) => string | undefined;
}

export interface SubscribeOptions<T = unknown> {
  /** Most messages per handler call (default 100, at most 10,000). */
  batchSize?: number;
  /** Longest a message waits for its batch to fill before a smaller batch is handed over (default 20 ms; 0: at once). */
  maxWaitMs?: number;
  /** Where a group that does not exist yet starts: 'new' (default) or 'all' retained messages. */
  startAt?: 'new' | 'all';
  /** Deliveries of a message before it becomes a dead letter (default 5). */
  maxAttempts?: number;
  /** Delay before the first redelivery after a failure (default 500 ms), doubling per attempt, at most 30 s. */
  retryDelayMs?: number;
  /** Validates / converts each payload; a throw dead-letters the message as BUS_PAYLOAD_MALFORMED. */
  decode?: (data: unknown) => T;
  /** Told about handler failures, malformed payloads and dead letters (never throws into the bus). */
  onError?: (error: GarrisonError, context: { topic: string; group: string; deadLetters?: DeadLetter[] }) => void;
  /** stop() waits this long for a running handler (default 30 s); after that its batch is given back unacknowledged. */
  stopTimeoutMs?: number;
}

/** A message the bus gave up on. */
export interface DeadLetter {
  topic: string;
  group: string;
  seq: number;
  key?: string;
  /** Deliveries made, including the last one (a payload that cannot be decoded counts 1). */
  attempts: number;
  /** The payload text (truncated to 64 KiB). */
  payload: string;
  error: { code: ErrorCode; message: string };
  /** When it was dead-lettered (ms epoch). */
  at: number;
}

export interface Subscription {
  readonly topic: string;
  readonly group: string;
  /**
   * Stops receiving. Waits for the running handler (up to stopTimeoutMs) and sends its
   * acknowledgements; messages received but not yet handed to the handler are given back for
   * redelivery to other members (or to a later subscription of the group).
   */
  stop(): Promise<void>;
}

export type BusHandler<T = unknown> = (batch: BusMessage<T>[]) => Promise<void>;

export interface Bus {
  readonly kind: 'memory' | 'nats';
  /** Limit on one serialised message (UTF-8 bytes of its JSON). */
  readonly maxMessageBytes: number;
  publish(topic: string, messages: readonly unknown[], opts?: PublishOptions): Promise<void>;
  subscribe<T = unknown>(topic: string, group: string, handler: BusHandler<T>, opts?: SubscribeOptions<T>): Promise<Subscription>;
  /** Dead letters of a topic, oldest first (optionally of one group; at most `limit`, default 1,000). */
  deadLetters(topic: string, opts?: { group?: string; limit?: number }): Promise<DeadLetter[]>;
  /** Drains (see above) and releases the connection. Idempotent. */
  close(): Promise<void>;
}
