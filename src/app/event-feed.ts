/**
 * Stored events over the bus: how an `ingest` node hands committed events to `engine` workers
 * (docs/deployment.md).
 *
 *   ingest node:  pipeline ──▶ publishingStore(store, bus).appendEvents ── COMMIT ──▶ bus.publish(TOPICS.events)
 *                                                                                         │  resolves: the sender is acknowledged
 *   engine node:  consumeStoredEvents(bus, group, store, engine.process) ◀────────────────┘  ack after the stages ran
 *
 * - Publishing happens inside the acknowledgement path: `appendEvents` resolves only once the batch
 *   is committed AND accepted by the bus. When the bus refuses (down, back-pressure), the submit
 *   fails (HTTP 503 / HEC error) although the events are stored; the sender retries, the store
 *   counts them as duplicates, and they are published again. So every acknowledged event reaches
 *   the engine at least once; the engine workers drop ids they processed recently.
 * - A message carries up to `eventsPerMessage` events inline, staying under the bus's message size
 *   limit; an event too large to travel inline is sent as a reference (`refs`: its id) and the
 *   worker reads it back with `store.getEvents`. Messages are validated on arrival (hostile input).
 */
import { z } from 'zod';
import type { GarrisonEvent } from '../core/event.js';
import { GarrisonError } from '../core/errors.js';
import { TOPICS } from '../core/stages.js';
import { EventWireSchema } from '../bus/bridge.js';
import type { Bus, BusMessage, SubscribeOptions, Subscription } from '../bus/port.js';
import type { AppendResult, Store } from '../store/port.js';

/** One bus message of stored events. */
export interface StoredEventsMessage {
  v: 1;
  /** Events carried inline. */
  events: GarrisonEvent[];
  /** Ids of stored events too large to travel inline (read back with store.getEvents). */
  refs: string[];
}

export const StoredEventsWireSchema = z
  .object({
    v: z.literal(1),
    events: z.array(EventWireSchema).max(10_000),
    refs: z.array(z.string().min(1).max(512)).max(10_000),
  })
  .strict();

/** Room kept in a message for its envelope (`{"v":1,"events":[…],"refs":[…]}`) and separators. */
const ENVELOPE_BYTES = 1024;

/**
 * Splits committed events into bus messages: at most `eventsPerMessage` per message and at most
 * `maxMessageBytes` of JSON; an event larger than a message's room on its own goes as a ref.
 */
export function storedEventMessages(events: readonly GarrisonEvent[], opts: { eventsPerMessage: number; maxMessageBytes: number }): StoredEventsMessage[] {
  const room = Math.max(1, opts.maxMessageBytes - ENVELOPE_BYTES);
  const per = Math.max(1, opts.eventsPerMessage);
  const out: StoredEventsMessage[] = [];
  let cur: StoredEventsMessage = { v: 1, events: [], refs: [] };
  let bytes = 0;
  const flush = () => {
    if (cur.events.length || cur.refs.length) out.push(cur);
    cur = { v: 1, events: [], refs: [] };
    bytes = 0;
  };
  for (const e of events) {
    const size = Buffer.byteLength(JSON.stringify(e), 'utf8') + 1;
    const inline = size <= room;
    const add = inline ? size : Buffer.byteLength(JSON.stringify(e.id), 'utf8') + 1;
    if (cur.events.length + cur.refs.length >= per || bytes + add > room) flush();
    if (inline) cur.events.push(e);
    else cur.refs.push(e.id);
    bytes += add;
  }
  flush();
  return out;
}

export interface PublishingStoreOptions {
  eventsPerMessage?: number;
  topic?: string;
  /** Called after each publish (metrics). */
  onPublish?: (info: { events: number; messages: number; ms: number }) => void;
}

/**
 * The store as the ingest pipeline of an `ingest` node sees it: `appendEvents` commits, then
 * publishes the batch to the events topic, and resolves only when both are done (see the file
 * comment). Every other method is the store's own.
 */
export function publishingStore(store: Store, bus: Bus, opts: PublishingStoreOptions = {}): Store {
  const topic = opts.topic ?? TOPICS.events;
  const eventsPerMessage = opts.eventsPerMessage ?? 500;
  const appendEvents = async (events: GarrisonEvent[]): Promise<AppendResult> => {
    const res = await store.appendEvents(events);
    if (events.length === 0) return res;
    const t0 = performance.now();
    const messages = storedEventMessages(events, { eventsPerMessage, maxMessageBytes: bus.maxMessageBytes });
    try {
      await bus.publish(topic, messages, { key: (m) => keyOf(m as StoredEventsMessage) });
    } catch (e) {
      const g = e instanceof GarrisonError ? e : undefined;
      throw new GarrisonError(
        g?.code === 'BUS_BACKPRESSURE' ? 'BUSY' : (g?.code ?? 'BUS_UNAVAILABLE'),
        `${events.length} events were stored but could not be handed to detection (${g?.message ?? String(e)}); send them again (duplicates are ignored by the store and published again)`,
        { cause: e, details: { retryAfterSeconds: 1 } },
      );
    }
    opts.onPublish?.({ events: events.length, messages: messages.length, ms: performance.now() - t0 });
    return res;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'appendEvents') return appendEvents;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Ordering key of a message: tenant/host of its first event (informational: one message mixes hosts). */
function keyOf(m: StoredEventsMessage): string | undefined {
  const e = m.events[0];
  if (!e) return undefined;
  return `${e.tenant}/${e.entities?.host ?? ''}`.slice(0, 256);
}

/** A bounded set of recently processed event ids (insertion order; the oldest are forgotten). */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    if (this.max <= 0) return;
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const drop = this.ids.size - this.max;
      let i = 0;
      for (const k of this.ids) {
        if (i++ >= drop) break;
        this.ids.delete(k);
      }
    }
  }
  get size(): number {
    return this.ids.size;
  }
}

export interface ConsumeStoredEventsOptions extends Omit<SubscribeOptions<StoredEventsMessage>, 'decode' | 'batchSize'> {
  topic?: string;
  /** Messages per handler call (default 4). */
  batchMessages?: number;
  /** Event ids remembered to drop redeliveries and re-sent batches (default 200,000; 0 = off). */
  dedupIds?: number;
  /** Told how many events of a batch were dropped as already processed (metrics). */
  onDuplicates?: (n: number) => void;
}

/**
 * Feeds `handle` (the engine's process()) from the events topic as a member of `group`: inline
 * events plus refs read back from the store, in message order, ids seen recently dropped. The
 * batch is acknowledged once `handle` resolves; a throw makes the bus redeliver it.
 */
export async function consumeStoredEvents(
  bus: Bus,
  group: string,
  store: Store,
  handle: (events: GarrisonEvent[]) => Promise<void>,
  opts: ConsumeStoredEventsOptions = {},
): Promise<Subscription> {
  const { topic = TOPICS.events, batchMessages = 4, dedupIds = 200_000, onDuplicates, ...sub } = opts;
  const recent = new RecentIds(dedupIds);
  return bus.subscribe<StoredEventsMessage>(
    topic,
    group,
    async (batch: BusMessage<StoredEventsMessage>[]) => {
      const events: GarrisonEvent[] = [];
      for (const m of batch) {
        // Refs are read back in message order with the inline events around them.
        const refs = m.data.refs.length ? await store.getEvents(m.data.refs) : [];
        for (const e of [...m.data.events, ...refs]) events.push(e);
      }
      const fresh: GarrisonEvent[] = [];
      const inBatch = new Set<string>();
      for (const e of events) {
        if (recent.has(e.id) || inBatch.has(e.id)) continue;
        inBatch.add(e.id);
        fresh.push(e);
      }
      if (fresh.length < events.length) onDuplicates?.(events.length - fresh.length);
      if (fresh.length) await handle(fresh);
      for (const e of fresh) recent.add(e.id);
    },
    {
      ...sub,
      batchSize: batchMessages,
      decode: (d) => {
        const r = StoredEventsWireSchema.safeParse(d);
        if (!r.success) {
          const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
          throw new Error(`not a stored-events message: ${first.join('; ')}`);
        }
        return r.data as unknown as StoredEventsMessage;
      },
    },
  );
}
