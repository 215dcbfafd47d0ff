/**
 * Shared by the bus implementations: name rules, batch serialisation and validation, option
 * defaults, retry delays, payload decoding.
 */
import { GarrisonError } from '../core/errors.js';
import type { BusMessage, DeadLetter, PublishOptions, SubscribeOptions } from './port.js';

/** Topics: dot-separated tokens (NATS subject tokens without wildcards or `_`). */
const TOPIC_RE = /^[A-Za-z0-9-]{1,64}(\.[A-Za-z0-9-]{1,64}){0,15}$/;
/** Groups: one token usable as a NATS durable consumer name. */
const GROUP_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const MAX_KEY_LENGTH = 256;
export const MAX_BATCH_SIZE = 10_000;
const MAX_RETRY_DELAY_MS = 30_000;
const DEAD_PAYLOAD_MAX = 64 * 1024;

export function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_RE.test(topic)) throw new GarrisonError('BUS_NAME_INVALID', `invalid topic ${JSON.stringify(topic)}: use dot-separated tokens of letters, digits and -`);
}

export function checkGroup(group: string): void {
  if (typeof group !== 'string' || !GROUP_RE.test(group)) throw new GarrisonError('BUS_NAME_INVALID', `invalid consumer group ${JSON.stringify(group)}: use 1-64 letters, digits, _ and -`);
}

export interface Encoded {
  payload: string;
  bytes: number;
  key?: string;
}

/** Serialises and checks a whole batch before any of it is sent (all or nothing). */
export function encodeBatch(topic: string, messages: readonly unknown[], opts: PublishOptions | undefined, maxBytes: number): Encoded[] {
  checkTopic(topic);
  if (!Array.isArray(messages)) throw new GarrisonError('BUS_MESSAGE_INVALID', 'publish() takes an array of messages');
  const out: Encoded[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    let payload: string | undefined;
    try {
      payload = JSON.stringify(m);
    } catch (e) {
      throw new GarrisonError('BUS_MESSAGE_INVALID', `message ${i} of the batch for ${topic} is not JSON-serialisable: ${(e as Error).message}`, { location: { index: i }, cause: e });
    }
    if (payload === undefined) throw new GarrisonError('BUS_MESSAGE_INVALID', `message ${i} of the batch for ${topic} is not JSON-serialisable (${typeof m})`, { location: { index: i } });
    const bytes = Buffer.byteLength(payload, 'utf8');
    if (bytes > maxBytes)
      throw new GarrisonError('BUS_MESSAGE_TOO_LARGE', `message ${i} of the batch for ${topic} is ${bytes} bytes; the bus limit is ${maxBytes}`, { location: { index: i }, details: { bytes, limit: maxBytes } });
    let key: string | undefined;
    if (opts?.key) {
      let k: unknown;
      try {
        k = opts.key(m);
      } catch (e) {
        throw new GarrisonError('BUS_MESSAGE_INVALID', `the key function failed on message ${i} of the batch for ${topic}: ${(e as Error).message}`, { location: { index: i }, cause: e });
      }
      if (k !== undefined) {
        if (typeof k !== 'string' || k.length > MAX_KEY_LENGTH) throw new GarrisonError('BUS_MESSAGE_INVALID', `the key of message ${i} of the batch for ${topic} is not a string of at most ${MAX_KEY_LENGTH} characters`, { location: { index: i } });
        key = k;
      }
    }
    out[i] = { payload, bytes, key };
  }
  return out;
}

export interface SubOptions<T> {
  batchSize: number;
  maxWaitMs: number;
  startAt: 'new' | 'all';
  maxAttempts: number;
  retryDelayMs: number;
  decode?: (data: unknown) => T;
  onError: NonNullable<SubscribeOptions<T>['onError']>;
  stopTimeoutMs: number;
}

const int = (v: unknown, name: string, min: number, max: number, def: number): number => {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new GarrisonError('BAD_REQUEST', `subscribe option ${name} must be an integer from ${min} to ${max}`);
  return v;
};

export function subOptions<T>(o: SubscribeOptions<T> = {}): SubOptions<T> {
  if (o.startAt !== undefined && o.startAt !== 'new' && o.startAt !== 'all') throw new GarrisonError('BAD_REQUEST', "subscribe option startAt must be 'new' or 'all'");
  const onError = o.onError;
  return {
    batchSize: int(o.batchSize, 'batchSize', 1, MAX_BATCH_SIZE, 100),
    maxWaitMs: int(o.maxWaitMs, 'maxWaitMs', 0, 600_000, 20),
    startAt: o.startAt ?? 'new',
    maxAttempts: int(o.maxAttempts, 'maxAttempts', 1, 1000, 5),
    retryDelayMs: int(o.retryDelayMs, 'retryDelayMs', 0, MAX_RETRY_DELAY_MS, 500),
    decode: o.decode,
    // a throwing error callback must not break the delivery loop
    onError: (e, ctx) => {
      try {
        onError?.(e, ctx);
      } catch {
        /* ignored */
      }
    },
    stopTimeoutMs: int(o.stopTimeoutMs, 'stopTimeoutMs', 0, 3_600_000, 30_000),
  };
}

/** Delay before redelivery after the given (failed) attempt. */
export function retryDelay(base: number, attempt: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, base * 2 ** Math.min(20, Math.max(0, attempt - 1)));
}

export function truncatePayload(s: string): string {
  return s.length > DEAD_PAYLOAD_MAX ? `${s.slice(0, DEAD_PAYLOAD_MAX)}…` : s;
}

/** Decodes a payload: JSON, then the subscriber's decoder. Throws BUS_PAYLOAD_MALFORMED. */
export function decodePayload<T>(text: string, decode: ((d: unknown) => T) | undefined, where: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new GarrisonError('BUS_PAYLOAD_MALFORMED', `${where}: payload is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!decode) return data as T;
  try {
    return decode(data);
  } catch (e) {
    throw new GarrisonError('BUS_PAYLOAD_MALFORMED', `${where}: payload rejected by the subscriber's decoder: ${(e as Error).message}`, { cause: e });
  }
}

export function deadLetter(topic: string, group: string, seq: number, key: string | undefined, attempts: number, payload: string, error: GarrisonError): DeadLetter {
  return { topic, group, seq, key, attempts, payload: truncatePayload(payload), error: { code: error.code, message: error.message }, at: Date.now() };
}

export type { BusMessage };
