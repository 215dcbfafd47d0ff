import { describe, expect, it } from 'vitest';
import { AckRegistry } from './ack.js';

const CH = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('HEC ack registry', () => {
  it('reports an ack false until completed, true once, then forgets it', () => {
    const r = new AckRegistry({ maxChannels: 10, maxAcksPerChannel: 10, channelIdleMs: 60_000 });
    const a = r.begin(CH);
    const b = r.begin(CH);
    expect([a, b]).toEqual([0, 1]);
    expect(r.query(CH, [0, 1])).toEqual({ 0: false, 1: false });
    r.complete(CH, a);
    expect(r.query(CH, [0, 1, 7])).toEqual({ 0: true, 1: false, 7: false });
    expect(r.query(CH, [0])).toEqual({ 0: false });
  });

  it('never turns a failed ack true', () => {
    const r = new AckRegistry({ maxChannels: 10, maxAcksPerChannel: 10, channelIdleMs: 60_000 });
    const a = r.begin(CH);
    r.fail(CH, a);
    r.complete(CH, a);
    expect(r.query(CH, [a])).toEqual({ [a]: false });
  });

  it('rejects non-GUID channels and bounds channels, acks and idle time', () => {
    expect(() => AckRegistry.check('not-a-guid')).toThrow(expect.objectContaining({ code: 'HEC_BAD_CHANNEL' }));
    let now = 0;
    const r = new AckRegistry({ maxChannels: 1, maxAcksPerChannel: 2, channelIdleMs: 1000, now: () => now });
    r.begin(CH);
    expect(() => r.begin('ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee')).toThrow(expect.objectContaining({ code: 'HEC_BAD_CHANNEL' }));
    for (let i = 0; i < 5; i++) r.begin(CH);
    expect(r.size.pending).toBe(2);
    now = 5000;
    r.begin('ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee'); // the idle channel was swept
    expect(r.size.channels).toBe(1);
  });
});
