/**
 * The embedded bus: in-process topics with consumer groups, for Garrison running as one process
 * (the default). Messages are kept as JSON text, so publisher and consumers never share objects
 * and the size limit means the same as on NATS. Nothing survives the process: "accepted" means
 * queued for every group of the topic.
 *
 * Per topic: a bounded log of recent messages (for groups that start at 'all') and, per group, the
 * queue of messages it has not acknowledged yet. Members of a group take batches from the queue;
 * a message whose key has an earlier message in flight or waiting for a retry is held back, which
 * gives strict per-key order.
 */
import { z } from 'zod';
import { GarrisonError, toGarrisonError } from '../../core/errors.js';
import { checkGroup, deadLetter, decodePayload, DEFAULT_MAX_MESSAGE_BYTES, encodeBatch, retryDelay, subOptions, type Encoded, type SubOptions } from '../common.js';
import type { Bus, BusHandler, BusMessage, DeadLetter, PublishOptions, SubscribeOptions, Subscription } from '../port.js';

export const MemoryBusConfigSchema = z
  .object({
    /** Limit on one serialised message in bytes. */
    maxMessageBytes: z.number().int().min(64).max(64 * 1024 * 1024).default(DEFAULT_MAX_MESSAGE_BYTES),
    /** Messages a group may have unacknowledged before publishers wait. */
    maxPending: z.number().int().min(1).max(10_000_000).default(100_000),
    /** How long publish() waits for room before BUS_BACKPRESSURE. */
    publishTimeoutMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Recent messages kept per topic for groups created with startAt 'all'. */
    retain: z.number().int().min(0).max(10_000_000).default(10_000),
    /** Dead letters kept (oldest dropped first). */
    maxDeadLetters: z.number().int().min(0).max(1_000_000).default(10_000),
    /** How long close() waits for active groups to handle what was published. */
    drainTimeoutMs: z.number().int().min(0).max(3_600_000).default(30_000),
  })
  .strict();
export type MemoryBusConfig = z.input<typeof MemoryBusConfigSchema>;

interface Rec extends Encoded {
  seq: number;
  publishedAt: number;
}

interface Pending {
  rec: Rec;
  /** Deliveries so far. */
  attempts: number;
  notBefore: number;
  inflight: boolean;
  done: boolean;
}

class Topic {
  seq = 0;
  /** Ring of recent messages (startAt 'all'). */
  readonly log: Rec[] = [];
  readonly groups = new Map<string, Group>();
  constructor(readonly name: string) {}
}

class Member<T = unknown> {
  busy = false;
  stopped = false;
  /** Generation of the running batch: an abandoned batch's outcome is ignored. */
  gen = 0;
  running?: Promise<void>;
  /** The batch being handled. */
  batch: Pending[] = [];
  constructor(
    readonly group: Group,
    readonly handler: BusHandler<T>,
    readonly opts: SubOptions<T>,
  ) {}
}

class Group {
  /** Unacknowledged messages in publish order (head index, compacted as the head is done). */
  queue: Pending[] = [];
  head = 0;
  pending = 0;
  readonly members: Member<never>[] = [];
  /** Keys with a message in flight. */
  readonly busyKeys = new Map<string, number>();
  private rr = 0;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private scheduled = false;
  /** Resolvers waiting for room (publishers) or for the queue to empty (close). */
  readonly waiters = new Set<() => void>();

  constructor(
    readonly bus: MemoryBus,
    readonly topic: Topic,
    readonly name: string,
  ) {}

  push(rec: Rec): void {
    this.queue.push({ rec, attempts: 0, notBefore: 0, inflight: false, done: false });
    this.pending++;
  }

  /** Schedules a delivery round (coalesced: a whole published batch lands before it runs). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private wakeAt(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - Date.now()));
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Hands batches to idle members. */
  pump(): void {
    const ms = this.members;
    if (ms.length === 0 || this.pending === 0) return;
    const now = Date.now();
    for (let n = 0; n < ms.length; n++) {
      const m = ms[(this.rr + n) % ms.length];
      if (m.busy || m.stopped) continue;
      const { batch, wakeAt } = this.collect(m.opts.batchSize, now);
      if (batch.length === 0) {
        if (wakeAt < Infinity) this.wakeAt(wakeAt);
        return;
      }
      // Let a partial batch fill for up to maxWaitMs after its oldest message was published.
      if (batch.length < m.opts.batchSize && m.opts.maxWaitMs > 0) {
        const due = batch[0].rec.publishedAt + m.opts.maxWaitMs;
        if (due > now && batch.every((p) => p.attempts === 0)) {
          this.wakeAt(due);
          return;
        }
      }
      this.rr = (this.rr + n + 1) % ms.length;
      this.deliver(m, batch);
    }
  }

  /** Next deliverable messages, in order, respecting per-key order. */
  private collect(max: number, now: number): { batch: Pending[]; wakeAt: number } {
    const batch: Pending[] = [];
    let blocked: Set<string> | undefined;
    let wakeAt = Infinity;
    const q = this.queue;
    for (let i = this.head; i < q.length && batch.length < max; i++) {
      const p = q[i];
      if (p.done) continue;
      const k = p.rec.key;
      if (p.inflight || p.notBefore > now) {
        if (!p.inflight) wakeAt = Math.min(wakeAt, p.notBefore);
        if (k !== undefined) (blocked ??= new Set()).add(k);
        continue;
      }
      if (k !== undefined && (this.busyKeys.has(k) || blocked?.has(k))) continue;
      batch.push(p);
    }
    return { batch, wakeAt };
  }

  private deliver(m: Member<never>, batch: Pending[]): void {
    const messages: BusMessage<never>[] = [];
    const malformed: { p: Pending; e: GarrisonError }[] = [];
    for (const p of batch) {
      p.attempts++;
      try {
        const data = decodePayload(p.rec.payload, m.opts.decode, `${this.topic.name} seq ${p.rec.seq}`);
        messages.push({ topic: this.topic.name, seq: p.rec.seq, key: p.rec.key, data, attempt: p.attempts, publishedAt: p.rec.publishedAt });
      } catch (e) {
        malformed.push({ p, e: toGarrisonError(e) });
      }
    }
    for (const { p, e } of malformed) {
      const dl = deadLetter(this.topic.name, this.name, p.rec.seq, p.rec.key, p.attempts, p.rec.payload, e);
      this.bus.recordDeadLetter(dl);
      this.finish(p);
      m.opts.onError(e, { topic: this.topic.name, group: this.name, deadLetters: [dl] });
    }
    const good = batch.filter((p) => !p.done);
    if (good.length === 0) {
      this.afterChange();
      return;
    }
    for (const p of good) {
      p.inflight = true;
      const k = p.rec.key;
      if (k !== undefined) this.busyKeys.set(k, (this.busyKeys.get(k) ?? 0) + 1);
    }
    m.busy = true;
    m.batch = good;
    const gen = ++m.gen;
    const run = (async () => {
      let err: unknown;
      let failed = false;
      try {
        await m.handler(messages);
      } catch (e) {
        failed = true;
        err = e;
      }
      if (m.gen !== gen) return; // abandoned by stop(): already given back
      this.settle(m, good, failed, err);
    })();
    m.running = run;
  }

  /** Outcome of a batch: acknowledge, or schedule redelivery / dead-letter. */
  private settle(m: Member<never>, batch: Pending[], failed: boolean, err: unknown): void {
    m.busy = false;
    m.running = undefined;
    m.batch = [];
    for (const p of batch) this.release(p);
    if (!failed) for (const p of batch) this.finish(p);
    else {
      const e = toGarrisonError(err);
      const fe = new GarrisonError('BUS_HANDLER_FAILED', `handler of group ${this.name} on ${this.topic.name} failed on a batch of ${batch.length}: ${e.message}`, { cause: err, details: { code: e.code } });
      m.opts.onError(fe, { topic: this.topic.name, group: this.name });
      const dead: DeadLetter[] = [];
      const now = Date.now();
      for (const p of batch) {
        if (p.attempts >= m.opts.maxAttempts) {
          const dl = deadLetter(this.topic.name, this.name, p.rec.seq, p.rec.key, p.attempts, p.rec.payload, new GarrisonError('BUS_DEAD_LETTER', `gave up after ${p.attempts} attempts: ${e.message}`));
          dead.push(dl);
          this.bus.recordDeadLetter(dl);
          this.finish(p);
        } else p.notBefore = now + retryDelay(m.opts.retryDelayMs, p.attempts);
      }
      if (dead.length) m.opts.onError(new GarrisonError('BUS_DEAD_LETTER', `${dead.length} message(s) of ${this.topic.name} dead-lettered for group ${this.name} after ${m.opts.maxAttempts} attempts`), { topic: this.topic.name, group: this.name, deadLetters: dead });
    }
    this.afterChange();
  }

  private release(p: Pending): void {
    p.inflight = false;
    const k = p.rec.key;
    if (k !== undefined) {
      const n = (this.busyKeys.get(k) ?? 1) - 1;
      if (n <= 0) this.busyKeys.delete(k);
      else this.busyKeys.set(k, n);
    }
  }

  private finish(p: Pending): void {
    if (p.done) return;
    p.done = true;
    this.pending--;
  }

  /** After acknowledgements: compact, wake waiters, deliver more. */
  afterChange(): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head].done) this.head++;
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    if (this.waiters.size) for (const w of [...this.waiters]) w();
    this.schedule();
  }

  /** stop() of a member: wait for its batch (bounded), else give the batch back. */
  async removeMember(m: Member<never>): Promise<void> {
    m.stopped = true;
    if (m.running) {
      const running = m.running;
      let t: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([running.then(() => false), new Promise<boolean>((r) => (t = setTimeout(() => r(true), m.opts.stopTimeoutMs)))]);
      if (t) clearTimeout(t);
      if (timedOut && m.busy) {
        // Abandon: the batch goes back to the queue as it is (its attempt counted).
        m.gen++;
        m.busy = false;
        m.running = undefined;
        for (const p of m.batch) if (p.inflight) this.release(p);
        m.batch = [];
      }
    }
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    if (this.members.length === 0) this.clearTimer();
    this.afterChange();
  }

  /** Whether nothing is left to deliver to this group (for close()). */
  get drained(): boolean {
    return this.pending === 0;
  }
}

/** The embedded bus. */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly maxMessageBytes: number;
  private readonly cfg: z.output<typeof MemoryBusConfigSchema>;
  private readonly topics = new Map<string, Topic>();
  private readonly dead: DeadLetter[] = [];
  private readonly subs = new Set<{ group: Group; member: Member<never> }>();
  private closing = false;
  private closed?: Promise<void>;

  constructor(config: MemoryBusConfig = {}) {
    const parsed = MemoryBusConfigSchema.safeParse(config);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `bus.${i.path.join('.')}: ${i.message}`);
      throw new GarrisonError('CONFIG_INVALID', `invalid memory bus configuration:\n${lines.join('\n')}`, { details: { problems: lines } });
    }
    this.cfg = parsed.data;
    this.maxMessageBytes = this.cfg.maxMessageBytes;
  }

  private topic(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = new Topic(name)));
    return t;
  }

  async publish(topic: string, messages: readonly unknown[], opts?: PublishOptions): Promise<void> {
    if (this.closing) throw new GarrisonError('BUS_CLOSED', `publish to ${topic} after the bus was closed`);
    const enc = encodeBatch(topic, messages, opts, this.maxMessageBytes);
    if (enc.length === 0) return;
    const t = this.topic(topic);
    await this.waitForRoom(t, enc.length);
    if (this.closing) throw new GarrisonError('BUS_CLOSED', `publish to ${topic} after the bus was closed`);
    this.append(t, enc);
  }

  /**
   * Test hook: appends payload text as it would arrive from the wire, without publish()'s checks
   * (the contract suite uses it for malformed payloads).
   */
  injectRaw(topic: string, payload: string, key?: string): void {
    this.append(this.topic(topic), [{ payload, bytes: Buffer.byteLength(payload), key }]);
  }

  private append(t: Topic, enc: Encoded[]): void {
    const now = Date.now();
    for (const e of enc) {
      const rec: Rec = { ...e, seq: ++t.seq, publishedAt: now };
      if (this.cfg.retain > 0) {
        t.log.push(rec);
        if (t.log.length > this.cfg.retain * 2) t.log.splice(0, t.log.length - this.cfg.retain);
      }
      for (const g of t.groups.values()) g.push(rec);
    }
    for (const g of t.groups.values()) g.schedule();
  }

  private async waitForRoom(t: Topic, n: number): Promise<void> {
    const limit = this.cfg.maxPending;
    const full = () => [...t.groups.values()].find((g) => g.pending > 0 && g.pending + n > limit);
    let g = full();
    if (!g) return;
    const deadline = Date.now() + this.cfg.publishTimeoutMs;
    while (g) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closing)
        throw new GarrisonError('BUS_BACKPRESSURE', `publish to ${t.name}: group ${g.name} has ${g.pending} unacknowledged messages (limit ${limit}); waited ${this.cfg.publishTimeoutMs} ms`, { details: { group: g.name, pending: g.pending, limit } });
      const grp = g;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          grp.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        grp.waiters.add(done);
      });
      g = full();
    }
  }

  async subscribe<T = unknown>(topic: string, group: string, handler: BusHandler<T>, opts?: SubscribeOptions<T>): Promise<Subscription> {
    if (this.closing) throw new GarrisonError('BUS_CLOSED', `subscribe to ${topic} after the bus was closed`);
    encodeBatch(topic, [], undefined, this.maxMessageBytes); // topic check
    checkGroup(group);
    if (typeof handler !== 'function') throw new GarrisonError('BAD_REQUEST', 'subscribe() needs a handler function');
    const o = subOptions(opts);
    const t = this.topic(topic);
    let g = t.groups.get(group);
    if (!g) {
      g = new Group(this, t, group);
      t.groups.set(group, g);
      if (o.startAt === 'all') {
        const from = Math.max(0, t.log.length - this.cfg.retain);
        for (let i = from; i < t.log.length; i++) g.push(t.log[i]);
      }
    }
    const member = new Member(g, handler, o) as unknown as Member<never>;
    g.members.push(member);
    const entry = { group: g, member };
    this.subs.add(entry);
    g.schedule();
    let stopping: Promise<void> | undefined;
    const grp = g;
    return {
      topic,
      group,
      stop: () => {
        stopping ??= (async () => {
          await grp.removeMember(member);
          this.subs.delete(entry);
        })();
        return stopping;
      },
    };
  }

  /** @internal */
  recordDeadLetter(dl: DeadLetter): void {
    if (this.cfg.maxDeadLetters === 0) return;
    this.dead.push(dl);
    if (this.dead.length > this.cfg.maxDeadLetters) this.dead.splice(0, this.dead.length - this.cfg.maxDeadLetters);
  }

  async deadLetters(topic: string, opts: { group?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = opts.limit ?? 1000;
    return this.dead.filter((d) => d.topic === topic && (opts.group === undefined || d.group === opts.group)).slice(0, limit);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      // Wake blocked publishers (they fail with BUS_CLOSED / BUS_BACKPRESSURE).
      for (const t of this.topics.values()) for (const g of t.groups.values()) for (const w of [...g.waiters]) w();
      // Drain: active groups handle what was accepted (bounded).
      const deadline = Date.now() + this.cfg.drainTimeoutMs;
      const active = () => [...this.topics.values()].flatMap((t) => [...t.groups.values()]).filter((g) => g.members.some((m) => !m.stopped) && !g.drained);
      for (let left = active(); left.length && Date.now() < deadline; left = active()) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            for (const g of left) g.waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.min(100, Math.max(1, deadline - Date.now())));
          for (const g of left) g.waiters.add(done);
        });
      }
      await Promise.all([...this.subs].map(({ group, member }) => group.removeMember(member)));
      this.subs.clear();
      for (const t of this.topics.values()) for (const g of t.groups.values()) g.clearTimer();
    })();
    return this.closed;
  }
}

export function openMemoryBus(config: MemoryBusConfig = {}): MemoryBus {
  return new MemoryBus(config);
}
