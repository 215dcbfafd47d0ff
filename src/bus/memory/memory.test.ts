import { describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { runBusContract, waitFor } from '../contract.js';
import { MemoryBus } from './bus.js';

runBusContract('memory', async () => {
  const bus = new MemoryBus({ drainTimeoutMs: 5000 });
  return {
    bus,
    injectRaw: async (topic, payload) => bus.injectRaw(topic, payload),
    reopen: async () => bus,
    strictKeyOrder: true,
    durable: false,
    abandonRedeliveryMs: 0,
  };
});

describe('memory bus specifics', () => {
  it('makes publishers wait while a group is maxPending behind, then fails with BUS_BACKPRESSURE', async () => {
    const bus = new MemoryBus({ maxPending: 10, publishTimeoutMs: 100 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    await bus.subscribe('t.bp', 'slow', async (b) => {
      await gate;
      handled += b.length;
    }, { batchSize: 10, maxWaitMs: 0 });
    await bus.publish('t.bp', Array.from({ length: 10 }, (_, i) => i));
    const e = await bus.publish('t.bp', [1]).catch((x: unknown) => x);
    expect(isGarrisonError(e, 'BUS_BACKPRESSURE')).toBe(true);
    // a waiting publisher goes through once the group catches up
    const p = bus.publish('t.bp', [2]);
    release();
    await p;
    await waitFor(() => handled === 11);
    await bus.close();
  });

  it('rejects an invalid configuration with CONFIG_INVALID', () => {
    expect(() => new MemoryBus({ maxPending: 0 })).toThrow(/maxPending/);
  });

  it('isolates publisher and consumers: consumers get copies', async () => {
    const bus = new MemoryBus();
    const got: { a: number[] }[] = [];
    await bus.subscribe<{ a: number[] }>('t.copy', 'g', async (b) => void got.push(...b.map((m) => m.data)), { maxWaitMs: 0 });
    const m = { a: [1] };
    await bus.publish('t.copy', [m]);
    m.a.push(2);
    await waitFor(() => got.length === 1);
    expect(got[0]).toEqual({ a: [1] });
    await bus.close();
  });
});
