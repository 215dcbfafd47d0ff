import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { HOUR, T0, conn, rng } from '../../fixtures/events.js';
import type { GarrisonEvent } from '../../../core/event.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    beaconing: { learningMs: 0, ...extra },
    rarity: { enabled: false }, peer: { enabled: false }, time: { enabled: false }, volume: { enabled: false }, dns: { enabled: false }, auth: { enabled: false },
  },
});

/** A connection every `period` ms ± `jitter` (fraction, uniform), `n` times. */
function periodic(host: string, dst: { ip?: string; domain?: string; port?: number }, period: number, jitter: number, n: number, seed: number, size = 512): GarrisonEvent[] {
  const r = rng(seed);
  const out: GarrisonEvent[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += period * (1 + jitter * (2 * r() - 1));
    out.push(conn(Math.round(t), host, dst, Math.round(size * (1 + 0.05 * (2 * r() - 1)))));
  }
  return out;
}

describe('beaconing model', () => {
  it('finds a 60 s beacon with ±10% jitter and reports interval, jitter, sizes and duration', () => {
    const s = new BaselineStage(only());
    const sig = s.observe(periodic('ws-7', { domain: 'cdn-update.example.org' }, 60_000, 0.1, 120, 1));
    expect(sig).toHaveLength(1); // cooldown: once per pair
    const seen = sig[0].details.seen as Record<string, number>;
    expect(seen.medianIntervalMs).toBeGreaterThan(55_000);
    expect(seen.medianIntervalMs).toBeLessThan(65_000);
    expect(seen.jitter).toBeLessThan(0.1);
    expect(seen.durationMs).toBeGreaterThanOrEqual(HOUR);
    expect(seen.sizeDispersion).toBeLessThan(0.1);
    expect(sig[0].attack.techniques).toContain('T1071.001');
    expect(sig[0].details.pattern).toBe('beaconing.periodic src=ws-7 dst=cdn-update.example.org');
  });

  it('finds a slow beacon (10 min ± 20%) only once it has lasted long enough', () => {
    const s = new BaselineStage(only());
    const evs = periodic('ws-8', { ip: '203.0.113.9', port: 8443 }, 600_000, 0.2, 30, 2);
    const sig = s.observe(evs);
    expect(sig).toHaveLength(1);
    expect(sig[0].time - evs[0].time).toBeGreaterThanOrEqual(HOUR);
    expect(sig[0].details.pattern).toBe('beaconing.periodic src=ws-8 dst=203.0.113.9:8443');
  });

  it('ignores irregular (Poisson) browsing to the same site', () => {
    const s = new BaselineStage(only());
    const r = rng(3);
    const evs: GarrisonEvent[] = [];
    let t = T0;
    for (let i = 0; i < 300; i++) {
      t += Math.round(-Math.log(1 - r()) * 90_000) + 2_000;
      evs.push(conn(t, 'ws-9', { domain: 'news.example.com' }, Math.round(2000 + r() * 50_000)));
    }
    expect(s.observe(evs)).toEqual([]);
  });

  it('is robust to benign periodic traffic: NTP, allow-listed update services, fleet-wide monitoring, internal hosts', () => {
    const s = new BaselineStage(only());
    const evs = [
      ...periodic('ws-1', { ip: '129.6.15.28', port: 123 }, 64_000, 0.01, 100, 4),
      ...periodic('ws-1', { domain: 'fe2.update.microsoft.com' }, 300_000, 0.02, 40, 5),
      ...periodic('ws-1', { ip: '10.1.2.3', port: 9100 }, 30_000, 0.01, 300, 6),
    ];
    for (let h = 1; h <= 6; h++) evs.push(...periodic(`ws-${h}`, { domain: 'monitor.saas-vendor.example' }, 60_000, 0.01, 150, 10 + h));
    evs.sort((a, b) => a.time - b.time);
    expect(s.observe(evs)).toEqual([]);
  });
});

describe('beaconing: sensor data', () => {
  it('keys Zeek connections by source address, not by the sensor that reported them', async () => {
    const { ev } = await import('../../fixtures/events.js');
    const s = new BaselineStage(only());
    const r = rng(21);
    const evs: GarrisonEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const t = T0 + i * 900_000 + Math.round((r() - 0.5) * 120_000);
      evs.push(ev('network_activity', t, { host: 'zeek-sensor-1', srcIp: '10.0.0.7', dstIp: '104.21.77.12', dstPort: 443, bytesOut: 200 }, { format: 'zeek', product: 'zeek' }));
    }
    // other hosts browse a site irregularly (Poisson) through the same sensor
    for (const h of [20, 21, 22]) {
      let t = T0;
      for (let i = 0; i < 60; i++) {
        t += Math.round(-Math.log(1 - r()) * 600_000) + 5_000;
        evs.push(ev('network_activity', t, { host: 'zeek-sensor-1', srcIp: `10.0.0.${h}`, dstIp: '151.101.1.69', dstPort: 443, bytesOut: 900 }, { format: 'zeek', product: 'zeek' }));
      }
    }
    evs.sort((a, b) => a.time - b.time);
    const sig = s.observe(evs);
    expect(sig.map((x) => x.details.pattern)).toEqual(['beaconing.periodic src=10.0.0.7 dst=104.21.77.12:443']);
  });
});
