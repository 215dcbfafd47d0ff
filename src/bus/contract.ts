/**
 * The Bus contract: every implementation runs this suite (memory in the unit suite, NATS JetStream
 * in nats.integration.test.ts). It pins down what stages rely on: delivery, fan-out to groups,
 * competing consumers, per-key order, redelivery and dead letters, at-least-once across a consumer
 * restart, malformed payloads, size limits, back-pressure and draining close.
 *
 * Usage (inside a *.test.ts file):
 *   runBusContract('memory', async () => ({ bus, injectRaw, reopen, strictKeyOrder: true, durable: false }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGarrisonError, type GarrisonError } from '../core/errors.js';
import type { Bus, BusMessage, Subscription } from './port.js';

export interface BusUnderTest {
  bus: Bus;
  /** Puts payload text on a topic as it would arrive from the wire (no publish() checks). */
  injectRaw(topic: string, payload: string): Promise<void>;
  /**
   * Another handle on the same bus, as a restarted process would open it (NATS: a new
   * connection to the same stream; memory: the same bus, which does not outlive its process).
   */
  reopen(): Promise<Bus>;
  /** Messages of one key are never reordered, even across failures and competing members. */
  strictKeyOrder: boolean;
  /** Accepted messages outlive close(): a group resubscribing on a reopened bus gets what it had not acknowledged. */
  durable: boolean;
  /** How long an abandoned (stopped, never finished) batch takes to be redelivered. */
  abandonRedeliveryMs: number;
  cleanup?: () => Promise<void>;
}

export type BusFactory = () => Promise<BusUnderTest>;

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T = 'garrison.test.events';

interface Msg {
  n: number;
  k?: string;
  body?: string;
}

export function runBusContract(name: string, factory: BusFactory): void {
  describe(`Bus contract: ${name}`, () => {
    let u: BusUnderTest;
    let bus: Bus;
    const extra: Bus[] = [];
    const subs: Subscription[] = [];
    beforeEach(async () => {
      u = await factory();
      bus = u.bus;
    });
    afterEach(async () => {
      for (const s of subs.splice(0)) await s.stop();
      for (const b of extra.splice(0)) if (b !== bus) await b.close();
      await bus.close();
      await u.cleanup?.();
    });
    const sub = async <D = unknown>(b: Bus, topic: string, group: string, handler: (batch: BusMessage<D>[]) => Promise<void>, opts: Parameters<Bus['subscribe']>[3] = {}) => {
      const s = await b.subscribe<D>(topic, group, handler, { maxWaitMs: 5, ...(opts as object) });
      subs.push(s);
      return s;
    };
    const msgs = (from: number, n: number, k?: (i: number) => string): Msg[] => Array.from({ length: n }, (_, i) => ({ n: from + i, k: k?.(from + i) }));

    it('delivers published messages with topic, sequence, key, attempt and time', async () => {
      const got: BusMessage<Msg>[] = [];
      await sub<Msg>(bus, T, 'g1', async (b) => void got.push(...b), { startAt: 'all' });
      const before = Date.now();
      await bus.publish(T, msgs(0, 3, (i) => `host-${i}`), { key: (m) => (m as Msg).k });
      await waitFor(() => got.length === 3, 10_000, '3 messages');
      expect(got.map((m) => m.data)).toEqual(msgs(0, 3, (i) => `host-${i}`));
      expect(got.map((m) => m.key)).toEqual(['host-0', 'host-1', 'host-2']);
      expect(got.every((m) => m.topic === T && m.attempt === 1 && m.publishedAt >= before - 5000)).toBe(true);
      expect(got[0].seq).toBeLessThan(got[1].seq);
      expect(got[1].seq).toBeLessThan(got[2].seq);
    });

    it('keeps the order of each key', async () => {
      const seen = new Map<string, number[]>();
      await sub<Msg>(bus, T, 'order', async (b) => {
        for (const m of b) {
          const l = seen.get(m.data.k!) ?? [];
          l.push(m.data.n);
          seen.set(m.data.k!, l);
        }
      }, { batchSize: 7, startAt: 'all' });
      for (let r = 0; r < 5; r++) await bus.publish(T, msgs(r * 40, 40, (i) => `k${i % 10}`), { key: (m) => (m as Msg).k });
      await waitFor(() => [...seen.values()].reduce((s, l) => s + l.length, 0) >= 200, 15_000, '200 messages');
      for (const [, l] of seen) expect(l).toEqual([...l].sort((a, b) => a - b));
      expect(seen.size).toBe(10);
    });

    it('gives every group every message (fan-out)', async () => {
      const a: number[] = [];
      const b: number[] = [];
      await sub<Msg>(bus, T, 'fan-a', async (x) => void a.push(...x.map((m) => m.data.n)));
      await sub<Msg>(bus, T, 'fan-b', async (x) => void b.push(...x.map((m) => m.data.n)));
      await bus.publish(T, msgs(0, 50));
      await waitFor(() => a.length >= 50 && b.length >= 50, 10_000, 'both groups');
      expect([...a].sort((x, y) => x - y)).toEqual(msgs(0, 50).map((m) => m.n));
      expect([...b].sort((x, y) => x - y)).toEqual(msgs(0, 50).map((m) => m.n));
    });

    it('shares a group between competing members (each message to one member)', async () => {
      const by = [new Set<number>(), new Set<number>(), new Set<number>()];
      for (let i = 0; i < 3; i++)
        await sub<Msg>(bus, T, 'workers', async (x) => {
          await sleep(15);
          for (const m of x) by[i].add(m.data.n);
        }, { batchSize: 5 });
      for (let r = 0; r < 6; r++) await bus.publish(T, msgs(r * 10, 10));
      await waitFor(() => by.reduce((s, x) => s + x.size, 0) >= 60, 15_000, '60 messages');
      const all = by.flatMap((x) => [...x]);
      expect(new Set(all).size).toBe(60);
      expect(all.length).toBe(60); // none handled by two members
      expect(by.filter((x) => x.size > 0).length).toBeGreaterThan(1);
    });

    it('bounds in-flight work: one batch at a time per member, at most batchSize', async () => {
      let active = 0;
      let maxActive = 0;
      let maxBatch = 0;
      let total = 0;
      await sub<Msg>(bus, T, 'bounded', async (x) => {
        active++;
        maxActive = Math.max(maxActive, active);
        maxBatch = Math.max(maxBatch, x.length);
        await sleep(5);
        total += x.length;
        active--;
      }, { batchSize: 8 });
      await bus.publish(T, msgs(0, 100));
      await waitFor(() => total >= 100, 15_000, '100 messages');
      expect(maxActive).toBe(1);
      expect(maxBatch).toBeLessThanOrEqual(8);
    });

    it('redelivers a batch whose handler threw, and reports the failure', async () => {
      const attempts = new Map<number, number[]>();
      const errors: GarrisonError[] = [];
      await sub<Msg>(bus, T, 'retry', async (x) => {
        for (const m of x) attempts.set(m.data.n, [...(attempts.get(m.data.n) ?? []), m.attempt]);
        if (x.some((m) => m.attempt === 1)) throw new Error('transient failure');
      }, { retryDelayMs: 30, onError: (e) => errors.push(e) });
      await bus.publish(T, msgs(0, 10));
      await waitFor(() => [...attempts.values()].filter((a) => a.includes(2)).length === 10, 15_000, 'second attempts');
      for (const [, a] of attempts) expect(a.slice(0, 2)).toEqual([1, 2]);
      expect(errors.some((e) => e.code === 'BUS_HANDLER_FAILED')).toBe(true);
    });

    it('dead-letters a message after maxAttempts and keeps going', async () => {
      const calls: number[] = [];
      const ok: number[] = [];
      const errors: GarrisonError[] = [];
      await sub<Msg>(bus, T, 'poison', async (x) => {
        for (const m of x) calls.push(m.attempt);
        if (x.some((m) => m.data.n === 666)) throw new Error('cannot handle 666');
        ok.push(...x.map((m) => m.data.n));
      }, { retryDelayMs: 20, maxAttempts: 3, batchSize: 1, onError: (e) => errors.push(e) });
      await bus.publish(T, [{ n: 666 }, { n: 1 }]);
      await waitFor(() => errors.some((e) => e.code === 'BUS_DEAD_LETTER') && ok.includes(1), 15_000, 'dead letter');
      const dead = await bus.deadLetters(T, { group: 'poison' });
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ topic: T, group: 'poison', attempts: 3, error: { code: 'BUS_DEAD_LETTER' } });
      expect(JSON.parse(dead[0].payload)).toEqual({ n: 666 });
      await sleep(100);
      expect(calls.filter((a) => a >= 1).length).toBeGreaterThanOrEqual(3);
      expect(await bus.deadLetters(T, { group: 'other-group' })).toHaveLength(0);
    });

    it('loses nothing when a member stops mid-batch and the group resubscribes', async () => {
      const acked = new Set<number>();
      let release!: (ok: boolean) => void;
      const gate = new Promise<boolean>((r) => (release = r));
      let started = false;
      const a = await bus.subscribe<Msg>(T, 'restart', async (x) => {
        started = true;
        if (!(await gate)) throw new Error('process going down');
        for (const m of x) acked.add(m.data.n);
      }, { batchSize: 10, retryDelayMs: 20, maxWaitMs: 5, startAt: 'all' });
      await bus.publish(T, msgs(0, 40));
      await waitFor(() => started, 10_000, 'first batch');
      const stopping = a.stop();
      release(false); // the in-flight batch fails while stopping
      await stopping;
      const b2 = await u.reopen();
      extra.push(b2);
      await sub<Msg>(b2, T, 'restart', async (x) => void x.forEach((m) => acked.add(m.data.n)), { retryDelayMs: 20 });
      await bus.publish(T, msgs(40, 10));
      await waitFor(() => acked.size === 50, 20_000, 'all 50 acknowledged');
    });

    it('redelivers the batch of a member that stopped without finishing it', async () => {
      const acked = new Set<number>();
      let started = false;
      const a = await bus.subscribe<Msg>(T, 'abandon', async () => {
        started = true;
        await new Promise(() => undefined); // hangs forever
      }, { batchSize: 5, stopTimeoutMs: 50, maxWaitMs: 5, startAt: 'all' });
      await bus.publish(T, msgs(0, 5));
      await waitFor(() => started, 10_000, 'first batch');
      await a.stop();
      await sub<Msg>(bus, T, 'abandon', async (x) => void x.forEach((m) => acked.add(m.data.n)));
      await waitFor(() => acked.size === 5, u.abandonRedeliveryMs + 10_000, 'redelivery of the abandoned batch');
    });

    it('reports malformed payloads from the wire without handing them over or stopping', async () => {
      const got: Msg[] = [];
      const errors: GarrisonError[] = [];
      await sub<Msg>(bus, T, 'wire', async (x) => void got.push(...x.map((m) => m.data)), {
        startAt: 'all',
        decode: (d) => {
          if (typeof d !== 'object' || d === null || typeof (d as Msg).n !== 'number') throw new Error('not a Msg');
          return d as Msg;
        },
        onError: (e) => errors.push(e),
      });
      await bus.publish(T, [{ n: 1 }]);
      await u.injectRaw(T, '{"n": 2, broken');
      await u.injectRaw(T, '\u0000\u00ff binary');
      await bus.publish(T, [{ wrong: true }, { n: 3 }]);
      await waitFor(() => got.length === 2 && errors.length >= 3, 10_000, 'good messages and errors');
      expect(got).toEqual([{ n: 1 }, { n: 3 }]);
      expect(errors.filter((e) => e.code === 'BUS_PAYLOAD_MALFORMED')).toHaveLength(3);
      const dead = await bus.deadLetters(T);
      expect(dead.map((d) => d.error.code)).toEqual(['BUS_PAYLOAD_MALFORMED', 'BUS_PAYLOAD_MALFORMED', 'BUS_PAYLOAD_MALFORMED']);
      expect(dead[0].payload).toBe('{"n": 2, broken');
    });

    it('rejects oversized, non-serialisable and misnamed publishes, all or nothing', async () => {
      const got: unknown[] = [];
      await sub(bus, T, 'limits', async (x) => void got.push(...x.map((m) => m.data)), { startAt: 'all' });
      const big = { body: 'x'.repeat(bus.maxMessageBytes) };
      const e1 = await bus.publish(T, [{ n: 1 }, big]).catch((e: unknown) => e);
      expect(isGarrisonError(e1, 'BUS_MESSAGE_TOO_LARGE')).toBe(true);
      expect((e1 as GarrisonError).location?.index).toBe(1);
      const e2 = await bus.publish(T, [{ n: 2 }, { n: 10n }]).catch((e: unknown) => e);
      expect(isGarrisonError(e2, 'BUS_MESSAGE_INVALID')).toBe(true);
      const e3 = await bus.publish('bad topic!', [{ n: 3 }]).catch((e: unknown) => e);
      expect(isGarrisonError(e3, 'BUS_NAME_INVALID')).toBe(true);
      const e4 = await bus.subscribe(T, 'bad.group', async () => undefined).catch((e: unknown) => e);
      expect(isGarrisonError(e4, 'BUS_NAME_INVALID')).toBe(true);
      const e5 = await bus.publish(T, [{ n: 4 }], { key: () => 'k'.repeat(300) }).catch((e: unknown) => e);
      expect(isGarrisonError(e5, 'BUS_MESSAGE_INVALID')).toBe(true);
      await bus.publish(T, [{ n: 5 }]);
      await waitFor(() => got.length >= 1, 10_000, 'the good publish');
      await sleep(100);
      expect(got).toEqual([{ n: 5 }]);
    });

    it("starts a new group at 'new' or 'all' retained messages", async () => {
      await bus.publish(T, msgs(0, 5));
      const fresh: number[] = [];
      const all: number[] = [];
      await sub<Msg>(bus, T, 'late-new', async (x) => void fresh.push(...x.map((m) => m.data.n)), { startAt: 'new' });
      await sub<Msg>(bus, T, 'late-all', async (x) => void all.push(...x.map((m) => m.data.n)), { startAt: 'all' });
      await bus.publish(T, msgs(5, 5));
      await waitFor(() => fresh.length >= 5 && all.length >= 10, 10_000, 'both groups');
      expect(fresh.sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
      expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('drains on close(): running handlers finish and acknowledge, then publishing fails', async () => {
      const handled = new Set<number>();
      let active = 0;
      await sub<Msg>(bus, T, 'drain', async (x) => {
        active++;
        await sleep(20);
        for (const m of x) handled.add(m.data.n);
        active--;
      }, { batchSize: 5, startAt: 'all' });
      await bus.publish(T, msgs(0, 30));
      await waitFor(() => handled.size > 0 || active > 0, 10_000, 'work started');
      await bus.close();
      expect(active).toBe(0);
      const e = await bus.publish(T, [{ n: 99 }]).catch((x: unknown) => x);
      expect(isGarrisonError(e, 'BUS_CLOSED')).toBe(true);
      if (!u.durable) {
        expect(handled.size).toBe(30);
        return;
      }
      const b2 = await u.reopen();
      extra.push(b2);
      await sub<Msg>(b2, T, 'drain', async (x) => void x.forEach((m) => handled.add(m.data.n)));
      await waitFor(() => handled.size === 30, 15_000, 'the rest after reopening');
    });

    it('keeps per-key order across failures and competing members (where guaranteed)', async () => {
      if (!u.strictKeyOrder) return;
      const seen = new Map<string, number[]>();
      const failed = new Set<number>();
      for (let i = 0; i < 3; i++)
        await sub<Msg>(bus, T, 'strict', async (x) => {
          await sleep(2);
          const first = x.find((m) => m.data.n % 7 === 0 && !failed.has(m.data.n));
          if (first) {
            failed.add(first.data.n);
            throw new Error('fail once');
          }
          for (const m of x) seen.set(m.data.k!, [...(seen.get(m.data.k!) ?? []), m.data.n]);
        }, { batchSize: 4, retryDelayMs: 10 });
      for (let r = 0; r < 4; r++) await bus.publish(T, msgs(r * 30, 30, (i) => `k${i % 5}`), { key: (m) => (m as Msg).k });
      await waitFor(() => [...seen.values()].reduce((s, l) => s + l.length, 0) >= 120, 20_000, '120 messages');
      for (const [, l] of seen) expect(l).toEqual([...l].sort((a, b) => a - b));
    });
  });
}
