import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { HOUR, T0, logon } from '../../fixtures/events.js';
import { haversineKm } from './model.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    auth: { ...extra },
    rarity: { enabled: false }, peer: { enabled: false }, time: { enabled: false }, volume: { enabled: false }, beaconing: { enabled: false }, dns: { enabled: false },
  },
});

describe('auth model', () => {
  it('a user mistyping a password (two failures, then success) raises nothing', () => {
    const s = new BaselineStage(only());
    expect(
      s.observe([
        logon(T0, 'dc-1', 'frank', 'failure', { srcIp: '10.0.0.8' }),
        logon(T0 + 5000, 'dc-1', 'frank', 'failure', { srcIp: '10.0.0.8' }),
        logon(T0 + 9000, 'dc-1', 'frank', 'success', { srcIp: '10.0.0.8' }),
      ]),
    ).toEqual([]);
  });

  it('brute force: 12 failures for one account from one source, then the success', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let i = 0; i < 12; i++) evs.push(logon(T0 + i * 3000, 'dc-1', 'admin', 'failure', { srcIp: '198.51.100.7' }));
    evs.push(logon(T0 + 40_000, 'dc-1', 'admin', 'success', { srcIp: '198.51.100.7' }));
    const sig = s.observe(evs);
    expect(sig.map((x) => x.details.kind)).toEqual(['brute_force', 'success_after_failures']);
    expect(sig[0].attack.techniques).toEqual(['T1110.001']);
    expect(sig[0].details.seen).toMatchObject({ failures: 10 });
    expect(sig[1].details.seen).toMatchObject({ failures: 12 });
    expect(sig[1].eventIds).toContain(evs[12].id);
  });

  it('spraying: one source, 15 accounts, one attempt each — and not a brute force', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let i = 0; i < 15; i++) evs.push(logon(T0 + i * 60_000, 'dc-1', `user${i}`, 'failure', { srcIp: '203.0.113.50' }));
    const sig = s.observe(evs);
    expect(sig.map((x) => x.details.kind)).toEqual(['password_spray']);
    expect(sig[0].attack.techniques).toEqual(['T1110.003']);
    expect(sig[0].details.seen).toMatchObject({ distinctUsers: 10, attemptsPerUser: 1 });
  });

  it('failures spread over more than the window are not a brute force', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let i = 0; i < 12; i++) evs.push(logon(T0 + i * 20 * 60_000, 'dc-1', 'gina', 'failure', { srcIp: '10.0.0.9' }));
    expect(s.observe(evs)).toEqual([]);
  });

  it('impossible travel: New York then London one hour later; New York then Boston three hours later is fine', () => {
    expect(Math.round(haversineKm(40.71, -74.0, 51.5, -0.12))).toBeGreaterThan(5500);
    const s = new BaselineStage(only());
    const loc = (lat: number, lon: number, city: string) => ({ location: { city, geoCoordinates: { latitude: lat, longitude: lon } } });
    const sig = s.observe([
      logon(T0, 'aad', 'hana', 'success', { fields: loc(40.71, -74.0, 'New York') }),
      logon(T0 + 3 * HOUR, 'aad', 'hana', 'success', { fields: loc(42.36, -71.06, 'Boston') }),
      logon(T0 + 4 * HOUR, 'aad', 'hana', 'success', { fields: loc(51.5, -0.12, 'London') }),
    ]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.kind).toBe('impossible_travel');
    expect(String(sig[0].details.why)).toMatch(/London \d+ km from the previous sign-in \(Boston\)/);
  });

  it('ignores hostile coordinates', () => {
    const s = new BaselineStage(only());
    expect(s.observe([logon(T0, 'aad', 'ivan', 'success', { fields: { latitude: '1e400', longitude: 'x' } }), logon(T0 + 1, 'aad', 'ivan', 'success', { fields: { latitude: 999, longitude: 5 } })])).toEqual([]);
  });
});

describe('auth: local logons', () => {
  it('does not pool failures from 127.0.0.1 on different hosts into one "source"', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let i = 0; i < 12; i++) evs.push(logon(T0 + i * 60_000, `ws-${i}`, `user${i}`, 'failure', { srcIp: '127.0.0.1' }));
    expect(s.observe(evs)).toEqual([]);
    const same = [];
    for (let i = 0; i < 12; i++) same.push(logon(T0 + HOUR + i * 60_000, 'ws-1', `user${i}`, 'failure', { srcIp: '127.0.0.1' }));
    expect(s.observe(same).map((x) => x.details.pattern)).toEqual(['auth.password_spray src=local@ws-1']);
  });
});
