import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { TOPICS } from '../../core/stages.js';
import { consumeSignals, publishingSignalConsumer } from '../bridge.js';
import { runBusContract, waitFor } from '../contract.js';
import { NatsBus, openNatsBus, type NatsBusConfig } from './bus.js';

const SERVERS = process.env.GARRISON_NATS ?? '127.0.0.1:4222';
const uniq = () => `GT_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
const opened: NatsBus[] = [];

async function open(stream: string, extra: Partial<NatsBusConfig> = {}): Promise<NatsBus> {
  const b = await openNatsBus({ servers: SERVERS, stream, storage: 'memory', ackWaitMs: 1500, maxMessageBytes: 64 * 1024, ...extra });
  opened.push(b);
  return b;
}

runBusContract('nats', async () => {
  const stream = uniq();
  const bus = await open(stream);
  return {
    bus,
    injectRaw: (topic, payload) => bus.injectRaw(topic, payload),
    reopen: () => open(stream),
    strictKeyOrder: false,
    durable: true,
    abandonRedeliveryMs: 1500,
    cleanup: async () => {
      const admin = await open(stream);
      await admin.destroy();
      await admin.close();
    },
  };
});

describe('NATS bus specifics', () => {
  afterAll(async () => {
    for (const b of opened) await b.close().catch(() => undefined);
  });

  it('keeps each topic in its own subject and each group in its own durable consumer', async () => {
    const stream = uniq();
    const bus = await open(stream);
    const a: number[] = [];
    const b: number[] = [];
    const s1 = await bus.subscribe<number>('t.one', 'g', async (x) => void a.push(...x.map((m) => m.data)), { maxWaitMs: 5 });
    const s2 = await bus.subscribe<number>('t.two', 'g', async (x) => void b.push(...x.map((m) => m.data)), { maxWaitMs: 5 });
    await bus.publish('t.one', [1, 2]);
    await bus.publish('t.two', [3]);
    await waitFor(() => a.length === 2 && b.length === 1);
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([3]);
    await s1.stop();
    await s2.stop();
    await bus.destroy();
    await bus.close();
  });

  it('a group resumes where it stopped after the process (connection) goes away', async () => {
    const stream = uniq();
    const p1 = await open(stream);
    const got: number[] = [];
    const s = await p1.subscribe<number>('t.resume', 'g', async (x) => void got.push(...x.map((m) => m.data)), { maxWaitMs: 5, startAt: 'all' });
    await p1.publish('t.resume', [1, 2, 3]);
    await waitFor(() => got.length === 3);
    await s.stop();
    await p1.close();
    const p2 = await open(stream);
    await p2.publish('t.resume', [4, 5]);
    await p2.subscribe<number>('t.resume', 'g', async (x) => void got.push(...x.map((m) => m.data)), { maxWaitMs: 5, startAt: 'all' });
    await waitFor(() => got.length === 5);
    expect(got).toEqual([1, 2, 3, 4, 5]);
    await p2.destroy();
  });

  it('carries signals between stages (bridge) and dead-letters a payload that is not a Signal', async () => {
    const stream = uniq();
    const bus = await open(stream);
    const got: string[] = [];
    await consumeSignals(bus, 'correlate', { onSignals: async (s) => void got.push(...s.map((x) => x.id)) }, { maxWaitMs: 5 });
    await bus.injectRaw(TOPICS.signals, JSON.stringify({ id: 'not-a-signal' }));
    await publishingSignalConsumer(bus).onSignals([{ id: 's1', tenant: 'default', kind: 'sigma', detector: 'r', title: 't', level: 'low', score: 10, time: 1, createdAt: 2, attack: { tactics: [], techniques: [] }, eventIds: [], entities: { host: 'h' }, details: {} }]);
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['s1']);
    const dead = await bus.deadLetters(TOPICS.signals, { group: 'correlate' });
    expect(dead.map((d) => d.error.code)).toEqual(['BUS_PAYLOAD_MALFORMED']);
    await bus.destroy();
  });

  it('reports an unreachable server as BUS_UNAVAILABLE', async () => {
    const e = await openNatsBus({ servers: '127.0.0.1:1', stream: uniq(), connectTimeoutMs: 500 }).catch((x: unknown) => x);
    expect(isGarrisonError(e, 'BUS_UNAVAILABLE')).toBe(true);
  });
});
