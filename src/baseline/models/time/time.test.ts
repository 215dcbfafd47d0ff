import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { DAY, HOUR, T0, logon, proc, rng } from '../../fixtures/events.js';
import { TimeModel, timeConfig } from './model.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    time: { learningMs: 7 * DAY, ...extra },
    rarity: { enabled: false }, peer: { enabled: false }, volume: { enabled: false }, beaconing: { enabled: false }, dns: { enabled: false }, auth: { enabled: false },
  },
});

/** Three weeks of a 9-to-5 worker: weekdays only, a few activities per hour. */
function officeHours(user: string, weeks = 3) {
  const r = rng(7);
  const out = [];
  for (let d = 0; d < weeks * 7; d++) {
    const dow = (d + 1) % 7; // T0 is a Monday
    if (dow === 0 || dow === 6) continue;
    for (let h = 9; h < 17; h++) for (let k = 0; k < 3; k++) out.push(proc(T0 + d * DAY + h * HOUR + Math.floor(r() * HOUR), 'ws-1', 'c:\\x.exe', undefined, undefined, user));
  }
  return out.sort((a, b) => a.time - b.time);
}

describe('time model', () => {
  it('computes weekday/weekend hour bins from event time (UTC offset applied)', () => {
    const m = new TimeModel(timeConfig.parse({ utcOffsetMinutes: 120 }));
    expect(m.bin(T0 + 23 * HOUR)).toBe(1); // Monday 23:00 UTC = Tuesday 01:00 local: weekday
    expect(m.bin(T0 + 4 * DAY + 23 * HOUR)).toBe(25); // Friday 23:00 UTC = Saturday 01:00 local: weekend
    expect(m.bin(T0 + 6 * DAY + 23 * HOUR)).toBe(1); // Sunday 23:00 UTC = Monday 01:00 local
  });

  it('flags a 03:00 logon of an office-hours user and not a 10:00 one', () => {
    const s = new BaselineStage(only());
    expect(s.observe(officeHours('dave'))).toEqual([]);
    const day = T0 + 22 * DAY; // a Tuesday
    expect(s.observe([logon(day + 10 * HOUR, 'ws-1', 'dave', 'success', { logonType: 2 })])).toEqual([]);
    const sig = s.observe([logon(day + 3 * HOUR, 'ws-1', 'dave', 'success', { logonType: 2 })]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.seen).toMatchObject({ hour: 3, dayType: 'weekday' });
    expect(sig[0].details.expected).toMatchObject({ usualHours: '09:00–17:00' });
    expect(String(sig[0].details.why)).toMatch(/03:00 on a weekday/);
  });

  it('flags weekend activity of a weekday-only user; ignores service accounts and network logons', () => {
    const s = new BaselineStage(only());
    s.observe(officeHours('dave'));
    const sat = T0 + 26 * DAY; // Saturday
    const sig = s.observe([
      logon(sat + 11 * HOUR, 'ws-1', 'SYSTEM', 'success', { logonType: 5 }),
      logon(sat + 11 * HOUR, 'ws-1', 'dave', 'success', { logonType: 3 }),
      logon(sat + 11 * HOUR, 'ws-1', 'dave', 'success', { logonType: 10 }),
    ]);
    expect(sig).toHaveLength(1);
    expect(sig[0].details.seen).toMatchObject({ dayType: 'weekend', hour: 11 });
  });

  it('does not score users with little history', () => {
    const s = new BaselineStage(only({ learningMs: 0 }));
    expect(s.observe([logon(T0 + 3 * HOUR, 'ws-1', 'erin', 'success', { logonType: 2 }), logon(T0 + 4 * DAY + 2 * HOUR, 'ws-1', 'erin', 'success', { logonType: 2 })])).toEqual([]);
  });
});

describe('time model: entities without a rhythm', () => {
  it('does not flag a round-the-clock account at 03:00', () => {
    const s = new BaselineStage(only());
    const evs = [];
    for (let h = 0; h < 21 * 24; h++) evs.push(logon(T0 + h * HOUR + 60_000, 'ws-1', 'operator', 'success', { logonType: 2 }));
    s.observe(evs);
    expect(s.observe([logon(T0 + 22 * DAY + 3 * HOUR + 30 * 60_000, 'ws-1', 'operator', 'success', { logonType: 2 })])).toEqual([]);
  });
});
