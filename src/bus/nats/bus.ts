/**
 * The scaled-out bus: NATS JetStream.
 *
 * One stream per Garrison deployment (`stream`, subjects `<prefix>.>`): a topic T is the subject
 * `<prefix>.T`, dead letters go to `<prefix>._dead.<group>.T` in the same stream. Each (group,
 * topic) is a durable pull consumer (explicit acks, filter subject `<prefix>.T`); the members of a
 * group are the processes that consume from that durable. A failed batch is nak'ed with a delay
 * (retryDelayMs doubling per attempt); the bus counts deliveries (JetStream's delivery count) and
 * dead-letters a message at maxAttempts (the server's max_deliver is left unlimited so that the bus,
 * not the server, decides and records it). A message redelivered more than maxAttempts times because
 * consumers crashed on it is dead-lettered without calling the handler again.
 */
import { z } from 'zod';
import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { GarrisonError, toGarrisonError } from '../../core/errors.js';
import { checkGroup, checkTopic, deadLetter, decodePayload, DEFAULT_MAX_MESSAGE_BYTES, encodeBatch, retryDelay, subOptions, type SubOptions } from '../common.js';
import type { Bus, BusHandler, BusMessage, DeadLetter, PublishOptions, SubscribeOptions, Subscription } from '../port.js';

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const NatsBusConfigSchema = z
  .object({
    /** NATS server URLs (`nats://127.0.0.1:4222` or `127.0.0.1:4222`). */
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('127.0.0.1:4222'),
    /** JetStream stream holding every topic of this deployment. */
    stream: z.string().regex(NAME_RE, 'letters, digits, _ and -').default('GARRISON'),
    /** Subject prefix of the topics (default: the stream name lower-cased). */
    subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    /** Limit on one serialised message in bytes (the server's max_payload must allow it, 1 MiB by default). */
    maxMessageBytes: z.number().int().min(64).max(64 * 1024 * 1024).default(DEFAULT_MAX_MESSAGE_BYTES),
    storage: z.enum(['file', 'memory']).default('file'),
    replicas: z.number().int().min(1).max(5).default(1),
    /** How long messages are kept in the stream (default 7 days; 0 = no age limit). */
    maxAgeMs: z.number().int().min(0).default(7 * 24 * 3600 * 1000),
    /** Stream size limit in bytes (-1 = none); the oldest messages are discarded beyond it. */
    maxBytes: z.number().int().min(-1).default(-1),
    /** Time the server waits for an acknowledgement before redelivering (a running handler extends it). */
    ackWaitMs: z.number().int().min(500).max(3_600_000).default(30_000),
    /** Unacknowledged messages per group (server-side bound of the work in flight). */
    maxAckPending: z.number().int().min(1).max(1_000_000).default(2_000),
    /** Publishes awaiting their acknowledgement at once (per publish call). */
    publishWindow: z.number().int().min(1).max(100_000).default(512),
    /** Connection name shown by the server. */
    name: z.string().max(200).default('garrison'),
    user: z.string().optional(),
    pass: z.string().optional(),
    token: z.string().optional(),
    connectTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
    /** Timeout of each JetStream API call and publish acknowledgement. */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();
export type NatsBusConfig = z.input<typeof NatsBusConfigSchema>;
type Cfg = z.output<typeof NatsBusConfigSchema>;

const KEY_HEADER = 'Garrison-Key';
const ERR_CODE_HEADER = 'Garrison-Error-Code';
const ERR_MSG_HEADER = 'Garrison-Error';
const ATTEMPTS_HEADER = 'Garrison-Attempts';
const SEQ_HEADER = 'Garrison-Seq';
const TOPIC_HEADER = 'Garrison-Topic';
const dec = new TextDecoder('utf-8');
const enc = new TextEncoder();

function unavailable(what: string, e: unknown): GarrisonError {
  if (e instanceof GarrisonError) return e;
  return new GarrisonError('BUS_UNAVAILABLE', `NATS: ${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/** Consumer (durable) name of a group on a topic: topics have no `_`, so this is one-to-one. */
export function durableName(group: string, topic: string): string {
  return `${group}__${topic.replaceAll('.', '_')}`;
}

class NatsSubscription<T> implements Subscription {
  private messages?: ConsumerMessages;
  private buffer: JsMsg[] = [];
  private firstAt = 0;
  private processing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private stopping?: Promise<void>;
  /** Set when stop() gave up waiting: the running batch's outcome is no longer acted on. */
  private abandoned = false;
  /** Keeps the running batch's ack deadline from expiring. */
  private beat?: NodeJS.Timeout;

  constructor(
    private readonly bus: NatsBus,
    readonly topic: string,
    readonly group: string,
    private readonly durable: string,
    private readonly handler: BusHandler<T>,
    private readonly o: SubOptions<T>,
  ) {}

  async start(js: JetStreamClient, stream: string): Promise<void> {
    const consumer = await js.consumers.get(stream, this.durable);
    // Pull up to two batches ahead; the server bounds unacknowledged messages by max_ack_pending.
    this.messages = await consumer.consume({ max_messages: Math.max(2 * this.o.batchSize, 16), expires: 30_000 });
    const msgs = this.messages;
    void (async () => {
      try {
        for await (const m of msgs) {
          if (this.stopped) {
            m.nak();
            continue;
          }
          if (this.buffer.length === 0) this.firstAt = Date.now();
          this.buffer.push(m);
          this.kick();
        }
      } catch (e) {
        if (!this.stopped) this.o.onError(unavailable(`consuming ${this.topic} for group ${this.group}`, e), { topic: this.topic, group: this.group });
      }
    })();
  }

  /** Starts handling when a batch is full or its oldest message has waited maxWaitMs. */
  private kick(): void {
    if (this.processing || this.stopped || this.buffer.length === 0) return;
    const due = this.firstAt + this.o.maxWaitMs;
    if (this.buffer.length >= this.o.batchSize || Date.now() >= due) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.processing = this.loop().finally(() => {
        this.processing = undefined;
        this.kick();
      });
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, Math.max(0, due - Date.now()));
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.buffer.length > 0 && (this.buffer.length >= this.o.batchSize || Date.now() >= this.firstAt + this.o.maxWaitMs)) {
      const batch = this.buffer.splice(0, this.o.batchSize);
      if (this.buffer.length > 0) this.firstAt = Date.now();
      await this.handle(batch);
    }
  }

  private async handle(raw: JsMsg[]): Promise<void> {
    const good: JsMsg[] = [];
    const messages: BusMessage<T>[] = [];
    const dead: { m: JsMsg; dl: DeadLetter }[] = [];
    for (const m of raw) {
      const attempt = m.info.deliveryCount;
      const key = m.headers?.get(KEY_HEADER) || undefined;
      let text: string;
      try {
        text = dec.decode(m.data);
      } catch {
        text = '';
      }
      if (attempt > this.o.maxAttempts) {
        // redelivered past the limit without a recorded failure (consumers died on it)
        const e = new GarrisonError('BUS_DEAD_LETTER', `gave up after ${attempt - 1} deliveries without an acknowledgement`);
        dead.push({ m, dl: deadLetter(this.topic, this.group, m.seq, key, attempt - 1, text, e) });
        continue;
      }
      try {
        const data = decodePayload(text, this.o.decode, `${this.topic} seq ${m.seq}`);
        messages.push({ topic: this.topic, seq: m.seq, key, data, attempt, publishedAt: Math.floor(Number(m.info.timestampNanos) / 1e6) });
        good.push(m);
      } catch (e) {
        const ge = toGarrisonError(e);
        const dl = deadLetter(this.topic, this.group, m.seq, key, attempt, text, ge);
        await this.bus.recordDeadLetter(dl).catch((x) => this.o.onError(unavailable('recording a dead letter', x), { topic: this.topic, group: this.group }));
        m.term();
        this.o.onError(ge, { topic: this.topic, group: this.group, deadLetters: [dl] });
      }
    }
    if (dead.length) {
      for (const { m, dl } of dead) {
        await this.bus.recordDeadLetter(dl).catch((x) => this.o.onError(unavailable('recording a dead letter', x), { topic: this.topic, group: this.group }));
        m.term();
      }
      this.o.onError(new GarrisonError('BUS_DEAD_LETTER', `${dead.length} message(s) of ${this.topic} dead-lettered for group ${this.group}`), { topic: this.topic, group: this.group, deadLetters: dead.map((d) => d.dl) });
    }
    if (good.length === 0) return;
    // Keep the server from redelivering while the handler runs.
    const beat = setInterval(() => {
      for (const m of good) m.working();
    }, Math.max(250, Math.floor(this.bus.ackWaitMs / 2)));
    this.beat = beat;
    let failed = false;
    let err: unknown;
    try {
      await this.handler(messages);
    } catch (e) {
      failed = true;
      err = e;
    } finally {
      clearInterval(beat);
      this.beat = undefined;
    }
    if (this.abandoned) return; // stop() gave up on this batch: the server redelivers it after ack_wait
    if (!failed) {
      for (const m of good) m.ack();
      return;
    }
    const e = toGarrisonError(err);
    this.o.onError(new GarrisonError('BUS_HANDLER_FAILED', `handler of group ${this.group} on ${this.topic} failed on a batch of ${good.length}: ${e.message}`, { cause: err, details: { code: e.code } }), { topic: this.topic, group: this.group });
    const gaveUp: DeadLetter[] = [];
    for (let i = 0; i < good.length; i++) {
      const m = good[i];
      const attempt = messages[i].attempt;
      if (attempt >= this.o.maxAttempts) {
        const dl = deadLetter(this.topic, this.group, m.seq, messages[i].key, attempt, dec.decode(m.data), new GarrisonError('BUS_DEAD_LETTER', `gave up after ${attempt} attempts: ${e.message}`));
        await this.bus.recordDeadLetter(dl).catch((x) => this.o.onError(unavailable('recording a dead letter', x), { topic: this.topic, group: this.group }));
        m.term();
        gaveUp.push(dl);
      } else m.nak(retryDelay(this.o.retryDelayMs, attempt));
    }
    if (gaveUp.length) this.o.onError(new GarrisonError('BUS_DEAD_LETTER', `${gaveUp.length} message(s) of ${this.topic} dead-lettered for group ${this.group} after ${this.o.maxAttempts} attempts`), { topic: this.topic, group: this.group, deadLetters: gaveUp });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      // Messages received but not handed over go back at once.
      for (const m of this.buffer.splice(0)) m.nak();
      try {
        await this.messages?.close();
      } catch {
        /* connection already gone */
      }
      if (this.processing) {
        let t: NodeJS.Timeout | undefined;
        const done = await Promise.race([this.processing.then(() => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), this.o.stopTimeoutMs)))]);
        if (t) clearTimeout(t);
        if (!done) {
          // Give up on the running batch: stop extending its ack deadline so the server
          // redelivers it (to another member) after ack_wait.
          this.abandoned = true;
          if (this.beat) clearInterval(this.beat);
        }
      }
      this.bus.forget(this as unknown as NatsSubscription<never>);
    })();
    return this.stopping;
  }
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  readonly maxMessageBytes: number;
  readonly ackWaitMs: number;
  readonly stream: string;
  readonly prefix: string;
  private readonly subs = new Set<NatsSubscription<never>>();
  private closing = false;
  private closed?: Promise<void>;

  private constructor(
    private readonly cfg: Cfg,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    this.maxMessageBytes = cfg.maxMessageBytes;
    this.ackWaitMs = cfg.ackWaitMs;
    this.stream = cfg.stream;
    this.prefix = cfg.subjectPrefix ?? cfg.stream.toLowerCase();
  }

  /** Connects and makes sure the stream exists with this deployment's subjects. */
  static async open(config: NatsBusConfig): Promise<NatsBus> {
    const parsed = NatsBusConfigSchema.safeParse(config);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `bus.${i.path.join('.')}: ${i.message}`);
      throw new GarrisonError('CONFIG_INVALID', `invalid NATS bus configuration:\n${lines.join('\n')}`, { details: { problems: lines } });
    }
    const cfg = parsed.data;
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: cfg.servers, name: cfg.name, user: cfg.user, pass: cfg.pass, token: cfg.token, timeout: cfg.connectTimeoutMs });
    } catch (e) {
      throw unavailable(`cannot connect to ${JSON.stringify(cfg.servers)}`, e);
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: cfg.requestTimeoutMs });
      const js = jetstream(nc, { timeout: cfg.requestTimeoutMs });
      const bus = new NatsBus(cfg, nc, js, jsm);
      await bus.ensureStream();
      return bus;
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw unavailable(`setting up stream ${cfg.stream}`, e);
    }
  }

  private async ensureStream(): Promise<void> {
    const subject = `${this.prefix}.>`;
    let info;
    try {
      info = await this.jsm.streams.info(this.stream);
    } catch {
      info = undefined;
    }
    if (!info) {
      await this.jsm.streams.add({
        name: this.stream,
        subjects: [subject],
        retention: RetentionPolicy.Limits,
        storage: this.cfg.storage === 'memory' ? StorageType.Memory : StorageType.File,
        num_replicas: this.cfg.replicas,
        max_age: nanos(this.cfg.maxAgeMs),
        max_bytes: this.cfg.maxBytes,
        max_msg_size: this.cfg.maxMessageBytes + 4096,
        discard: DiscardPolicy.Old,
      });
      return;
    }
    if (!info.config.subjects?.includes(subject)) {
      await this.jsm.streams.update(this.stream, { subjects: [...(info.config.subjects ?? []), subject] });
    }
  }

  subject(topic: string): string {
    return `${this.prefix}.${topic}`;
  }

  async publish(topic: string, messages: readonly unknown[], opts?: PublishOptions): Promise<void> {
    if (this.closing) throw new GarrisonError('BUS_CLOSED', `publish to ${topic} after the bus was closed`);
    const batch = encodeBatch(topic, messages, opts, this.maxMessageBytes);
    const subject = this.subject(topic);
    const window = this.cfg.publishWindow;
    let failure: unknown;
    // Publish in order with a window of unacknowledged publishes; resolve when all are stored.
    const inflight = new Set<Promise<void>>();
    for (const e of batch) {
      if (failure) break;
      let h;
      if (e.key !== undefined) {
        h = headers();
        h.set(KEY_HEADER, e.key);
      }
      const p: Promise<void> = this.js
        .publish(subject, enc.encode(e.payload), { headers: h, timeout: this.cfg.requestTimeoutMs })
        .then(
          () => undefined,
          (x: unknown) => {
            failure ??= x;
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (failure) throw unavailable(`publish to ${subject} not acknowledged`, failure);
  }

  /** Test hook: publishes payload bytes as they are (no checks), like a foreign or broken producer. */
  async injectRaw(topic: string, payload: string | Uint8Array): Promise<void> {
    checkTopic(topic);
    await this.js.publish(this.subject(topic), typeof payload === 'string' ? enc.encode(payload) : payload);
  }

  async subscribe<T = unknown>(topic: string, group: string, handler: BusHandler<T>, opts?: SubscribeOptions<T>): Promise<Subscription> {
    if (this.closing) throw new GarrisonError('BUS_CLOSED', `subscribe to ${topic} after the bus was closed`);
    checkTopic(topic);
    checkGroup(group);
    if (typeof handler !== 'function') throw new GarrisonError('BAD_REQUEST', 'subscribe() needs a handler function');
    const o = subOptions(opts);
    const durable = durableName(group, topic);
    try {
      let exists = true;
      try {
        await this.jsm.consumers.info(this.stream, durable);
      } catch {
        exists = false;
      }
      if (!exists)
        await this.jsm.consumers.add(this.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: o.startAt === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
          filter_subject: this.subject(topic),
          ack_wait: nanos(this.cfg.ackWaitMs),
          max_deliver: -1,
          max_ack_pending: this.cfg.maxAckPending,
        });
      const s = new NatsSubscription<T>(this, topic, group, durable, handler, o);
      await s.start(this.js, this.stream);
      this.subs.add(s as unknown as NatsSubscription<never>);
      return s;
    } catch (e) {
      throw unavailable(`subscribing group ${group} to ${topic}`, e);
    }
  }

  /** @internal */
  forget(s: NatsSubscription<never> | NatsSubscription<unknown>): void {
    this.subs.delete(s as NatsSubscription<never>);
  }

  /** @internal Stores a dead letter in the stream (subject `<prefix>._dead.<group>.<topic>`). */
  async recordDeadLetter(dl: DeadLetter): Promise<void> {
    const h = headers();
    h.set(ERR_CODE_HEADER, dl.error.code);
    h.set(ERR_MSG_HEADER, dl.error.message.replace(/[\r\n]+/g, ' ').slice(0, 2000));
    h.set(ATTEMPTS_HEADER, String(dl.attempts));
    h.set(SEQ_HEADER, String(dl.seq));
    h.set(TOPIC_HEADER, dl.topic);
    if (dl.key !== undefined) h.set(KEY_HEADER, dl.key);
    await this.js.publish(`${this.prefix}._dead.${dl.group}.${dl.topic}`, enc.encode(dl.payload), { headers: h });
  }

  async deadLetters(topic: string, opts: { group?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    checkTopic(topic);
    if (opts.group !== undefined) checkGroup(opts.group);
    const limit = opts.limit ?? 1000;
    const filter = `${this.prefix}._dead.${opts.group ?? '*'}.${topic}`;
    try {
      const c = await this.js.consumers.get(this.stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
      const pending = (await c.info()).num_pending;
      const out: DeadLetter[] = [];
      if (pending === 0) {
        await c.delete().catch(() => undefined);
        return out;
      }
      const it = await c.fetch({ max_messages: Math.min(pending, limit), expires: 5_000 });
      for await (const m of it) {
        const h = m.headers;
        const group = m.subject.slice(`${this.prefix}._dead.`.length, m.subject.length - topic.length - 1);
        out.push({
          topic,
          group,
          seq: Number(h?.get(SEQ_HEADER) ?? 0),
          key: h?.get(KEY_HEADER) || undefined,
          attempts: Number(h?.get(ATTEMPTS_HEADER) ?? 0),
          payload: dec.decode(m.data),
          error: { code: (h?.get(ERR_CODE_HEADER) || 'BUS_DEAD_LETTER') as DeadLetter['error']['code'], message: h?.get(ERR_MSG_HEADER) ?? '' },
          at: Math.floor(Number(m.info.timestampNanos) / 1e6),
        });
        if (out.length >= limit) break;
      }
      await c.delete().catch(() => undefined);
      return out;
    } catch (e) {
      throw unavailable(`reading dead letters of ${topic}`, e);
    }
  }

  /** Deletes the whole stream (tests and `garrison` tooling that resets a deployment). */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.stream).catch(() => undefined);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      await Promise.all([...this.subs].map((s) => s.stop()));
      try {
        await this.nc.drain();
      } catch {
        await this.nc.close().catch(() => undefined);
      }
    })();
    return this.closed;
  }
}

export function openNatsBus(config: NatsBusConfig): Promise<NatsBus> {
  return NatsBus.open(config);
}

export type { SubOptions };
