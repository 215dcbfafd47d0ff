import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { DAY, HOUR, T0, conn, fileop, rng } from '../../fixtures/events.js';
import type { GarrisonEvent } from '../../../core/event.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    volume: { learningMs: 7 * DAY, metrics: { userBytesOut: false, pairBytesOut: false }, ...extra },
    rarity: { enabled: false }, peer: { enabled: false }, time: { enabled: false }, beaconing: { enabled: false }, dns: { enabled: false }, auth: { enabled: false },
  },
});

const MB = 1024 * 1024;

/** Pareto-distributed hourly traffic (alpha 1.5: infinite variance), a few connections per hour. */
function heavyTailed(host: string, days: number, seed: number, scaleMb = 30): GarrisonEvent[] {
  const r = rng(seed);
  const out: GarrisonEvent[] = [];
  for (let h = 0; h < days * 24; h++) {
    const total = scaleMb * MB * Math.pow(1 - r(), -1 / 1.5);
    for (let k = 0; k < 4; k++) out.push(conn(T0 + h * HOUR + k * 600_000, host, { domain: 'files.example.com' }, total / 4));
  }
  return out;
}

function run(s: BaselineStage, evs: GarrisonEvent[]) {
  const out = [];
  for (let i = 0; i < evs.length; i += 500) out.push(...s.observe(evs.slice(i, i + 500)));
  return out;
}

describe('volume model', () => {
  it('stays quiet on heavy-tailed normal traffic (robust statistics, not mean/stddev)', () => {
    const s = new BaselineStage(only());
    const sig = run(s, heavyTailed('ws-1', 28, 11));
    // 21 scored days × 24 buckets = 504 buckets: at most a handful of extreme Pareto draws
    expect(sig.length).toBeLessThanOrEqual(3);
  });

  it('flags a 6 GB hour against a ~50 MB median, with expected vs seen in numbers', () => {
    const s = new BaselineStage(only({ cooldownMs: 0 }));
    const evs = heavyTailed('ws-1', 14, 12);
    const t = T0 + 14 * DAY + 3 * HOUR;
    evs.push(conn(t, 'ws-1', { domain: 'mega.example.net' }, 6 * 1024 * MB));
    evs.push(conn(t + 2 * HOUR, 'ws-1', { domain: 'files.example.com' }, MB)); // time moves on: the bucket closes
    const sig = run(s, evs).filter((x) => x.time === t);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('bytes_out_host');
    expect(sig[0].attack.techniques).toContain('T1041');
    expect(sig[0].details.seen).toMatchObject({ total: 6 * 1024 * MB });
    expect(String(sig[0].details.why)).toMatch(/6\.0 GB sent in 1 h by host ws-1; median for weekday off-hours/);
    expect(sig[0].eventIds).toHaveLength(1);
  });

  it('uses seasons: a host busy only in working hours is compared per season', () => {
    const s = new BaselineStage(only({ minBytes: MB }));
    const evs: GarrisonEvent[] = [];
    for (let d = 0; d < 21; d++)
      for (let h = 0; h < 24; h++) {
        const work = h >= 8 && h < 18 && (d % 7) < 5;
        evs.push(conn(T0 + d * DAY + h * HOUR, 'srv-1', { ip: '8.8.4.4' }, work ? 400 * MB : 2 * MB));
      }
    expect(run(s, evs)).toEqual([]);
    // 400 MB at night is ordinary in working hours but not at night
    const night = T0 + 22 * DAY + 2 * HOUR;
    const sig = run(s, [conn(night, 'srv-1', { ip: '8.8.4.4' }, 400 * MB), conn(night + 2 * HOUR, 'srv-1', { ip: '8.8.4.4' }, 1 * MB)]);
    expect(sig.map((x) => x.details.expected)).toMatchObject([{ season: 'weekday off-hours' }]);
  });

  it('counts file operations per process', () => {
    const s = new BaselineStage(only({ learningMs: 2 * DAY }));
    const evs: GarrisonEvent[] = [];
    for (let h = 0; h < 72; h++) for (let k = 0; k < 20; k++) evs.push(fileop(T0 + h * HOUR + k * 1000, 'fs-1', 'c:\\windows\\explorer.exe'));
    const t = T0 + 72 * HOUR;
    for (let k = 0; k < 3000; k++) evs.push(fileop(t + k * 100, 'fs-1', 'c:\\windows\\explorer.exe'));
    evs.push(fileop(t + 2 * HOUR, 'fs-1', 'c:\\windows\\explorer.exe'));
    const sig = run(s, evs);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('file_ops_spike');
    expect(sig[0].details.seen).toMatchObject({ total: 3000 });
  });
});

describe('volume: API calls per identity', () => {
  it('flags 180 object reads in an hour by a key that makes ~3 calls an hour', async () => {
    const { ev } = await import('../../fixtures/events.js');
    const s = new BaselineStage(only({ learningMs: 3 * DAY }));
    const evs = [];
    for (let h = 0; h < 96; h++) for (let k = 0; k < 3; k++) evs.push(ev('api_activity', T0 + h * HOUR + k * 60_000, { user: 'ci-deployer', action: 'PutObject' }));
    const t = T0 + 98 * HOUR;
    for (let i = 0; i < 180; i++) evs.push(ev('api_activity', t + i * 7_000, { user: 'ci-deployer', action: 'GetObject' }));
    evs.push(ev('api_activity', t + 3 * HOUR, { user: 'ci-deployer', action: 'PutObject' }));
    const sig = run(s, evs);
    expect(sig.map((x) => x.details.kind)).toEqual(['api_calls_spike']);
    expect(sig[0].details.seen).toMatchObject({ total: 180 });
    expect(String(sig[0].details.why)).toMatch(/^180 API calls in 1 h by user ci-deployer; median/);
  });
});
