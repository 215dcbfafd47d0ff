import { describe, expect, it } from 'vitest';
import { createPipeline } from './pipeline.js';
import type { GarrisonEvent } from '../core/event.js';
import type { Store, AppendResult } from '../store/port.js';
import type { RawRecord } from '../normalize/types.js';
import { isGarrisonError } from '../core/errors.js';

/** A store double whose commits the test releases by hand, to observe queue and ack ordering. */
function gatedStore() {
  const ids = new Set<string>();
  const gates: Array<() => void> = [];
  let failNext = false;
  const store = {
    async appendEvents(evs: GarrisonEvent[]): Promise<AppendResult> {
      await new Promise<void>((r) => gates.push(r));
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      let stored = 0;
      for (const e of evs) if (!ids.has(e.id)) (ids.add(e.id), stored++);
      return { stored, duplicates: evs.length - stored };
    },
  } as unknown as Store;
  return {
    store,
    ids,
    release: () => gates.shift()?.(),
    pending: () => gates.length,
    failNext: () => (failNext = true),
  };
}

const rec = (i: number, data?: string): RawRecord => ({
  data: data ?? JSON.stringify({ n: i, msg: 'hello' }),
  origin: `test:${i}`,
  input: 'test',
  tenant: 'default',
  receivedAt: 1_700_000_000_000,
});

const tick = () => new Promise((r) => setImmediate(r));

describe('ingest pipeline', () => {
  it('resolves a submit only after its events are committed, with exact counts', async () => {
    const g = gatedStore();
    const p = createPipeline({ store: g.store });
    let done = false;
    const sub = p.submit([rec(1), rec(2), rec(1)]).then((o) => ((done = true), o));
    await tick();
    expect(done).toBe(false);
    expect(p.stats().queuedEvents).toBe(3);
    g.release();
    const o = await sub;
    expect(o).toEqual({ stored: 2, duplicates: 1, rejected: [] });
    expect(p.stats().queuedEvents).toBe(0);
  });

  it('rejects bad records with their origin and keeps the good ones', async () => {
    const g = gatedStore();
    const p = createPipeline({ store: g.store, maxEventBytes: 100 });
    const sub = p.submit([rec(1), rec(2, '{"broken": '), rec(3, JSON.stringify({ x: 'y'.repeat(200) })), rec(4)]);
    await tick();
    g.release();
    const o = await sub;
    expect(o.stored).toBe(2);
    expect(o.rejected.map((r) => [r.origin, r.error.code])).toEqual([
      ['test:2', 'INGEST_BAD_JSON'],
      ['test:3', 'PAYLOAD_TOO_LARGE'],
    ]);
    expect(p.stats().rejectedByCode).toEqual({ INGEST_BAD_JSON: 1, PAYLOAD_TOO_LARGE: 1 });
  });

  it('answers BUSY instead of buffering past its bound, and accepts again once drained', async () => {
    const g = gatedStore();
    const p = createPipeline({ store: g.store, maxQueuedEvents: 3 });
    const first = p.submit([rec(1), rec(2)]);
    await expect(p.submit([rec(3), rec(4)])).rejects.toSatisfy((e) => isGarrisonError(e, 'BUSY'));
    expect(p.stats().busy).toBe(1);
    await tick();
    g.release();
    await first;
    const again = p.submit([rec(3), rec(4)]);
    await tick();
    g.release();
    expect((await again).stored).toBe(2);
  });

  it('a failed write rejects that submit only', async () => {
    const g = gatedStore();
    const p = createPipeline({ store: g.store });
    g.failNext();
    const a = p.submit([rec(1)]);
    const b = p.submit([rec(2)]);
    await tick();
    g.release();
    await expect(a).rejects.toSatisfy((e) => isGarrisonError(e, 'INTERNAL'));
    await tick();
    g.release();
    expect((await b).stored).toBe(1);
    expect(p.stats().writeErrors).toBe(1);
  });

  it('close() flushes what was accepted and refuses new work', async () => {
    const g = gatedStore();
    const p = createPipeline({ store: g.store });
    const seen: string[] = [];
    p.onStored((evs) => seen.push(...evs.map((e) => e.fields.n as unknown as string)));
    const a = p.submit([rec(1)]);
    const b = p.submit([rec(2)]);
    const closed = p.close();
    await expect(p.submit([rec(3)])).rejects.toSatisfy((e) => isGarrisonError(e, 'SHUTTING_DOWN'));
    const releaser = setInterval(() => g.release(), 1);
    await closed;
    clearInterval(releaser);
    await Promise.all([a, b]);
    expect(seen).toEqual([1, 2]);
  });
});
