/**
 * The signal contract of issue 6 ("score, the entity, what was expected (the baseline), what was
 * seen, why it is unusual in words and numbers, and an ATT&CK mapping where one fits"), checked
 * on a real anomaly of every model of the registry: the test fails if a model is added without a
 * scenario here, or if any of its signals lacks part of the explanation.
 */
import { describe, expect, it } from 'vitest';
import type { GarrisonEvent } from '../core/event.js';
import type { Signal } from '../core/signal.js';
import { DAY, HOUR, T0, conn, dnsq, ev, logon, proc, rng } from './fixtures/events.js';
import { MODEL_NAMES, type ModelName } from './registry.js';
import { BaselineStage } from './stage.js';

const MB = 1024 * 1024;

/** Per model: its extra config and a hand-built sequence that ends in an anomaly. */
const SCENARIOS: Record<ModelName, { cfg?: Record<string, unknown>; events: () => GarrisonEvent[] }> = {
  rarity: {
    cfg: { learningMs: DAY },
    events: () => {
      const out = [];
      for (let d = 0; d < 2; d++) for (let h = 1; h <= 4; h++) out.push(proc(T0 + d * DAY + h, `ws-${h}`, 'c:\\windows\\explorer.exe', 'c:\\windows\\system32\\userinit.exe'));
      out.push(proc(T0 + 2 * DAY + HOUR, 'ws-2', 'c:\\users\\bob\\appdata\\local\\temp\\upd.exe', 'c:\\windows\\explorer.exe'));
      // Word starting PowerShell: a parent→child pair never seen, with an ATT&CK mapping
      out.push(proc(T0 + 2 * DAY + 2 * HOUR, 'ws-3', 'c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe', 'c:\\program files\\microsoft office\\root\\office16\\winword.exe'));
      return out;
    },
  },
  peer: {
    cfg: { learningMs: 2 * DAY, userGroups: [{ match: 's?', group: 'sales' }, { match: 'f?', group: 'finance' }] },
    events: () => {
      const out = [];
      for (let d = 0; d < 3; d++) {
        for (let i = 1; i <= 8; i++) out.push(proc(T0 + d * DAY + 9 * HOUR + i, `ws-${i}`, 'c:\\windows\\explorer.exe'));
        for (const u of ['s1', 's2', 's3', 's4', 's5', 's6']) out.push(logon(T0 + d * DAY + 10 * HOUR, 'srv-crm-01', u, 'success'));
        for (const u of ['f1', 'f2', 'f3', 'f4', 'f5']) out.push(logon(T0 + d * DAY + 10 * HOUR, 'srv-fin-01', u, 'success'));
      }
      out.push(proc(T0 + 3 * DAY, 'ws-4', 'c:\\tools\\adfind.exe'));
      out.push(logon(T0 + 3 * DAY + HOUR, 'srv-fin-01', 's3', 'success')); // a sales user on the finance server
      return out;
    },
  },
  time: {
    cfg: { learningMs: 7 * DAY },
    events: () => {
      const r = rng(7);
      const out = [];
      for (let d = 0; d < 21; d++) {
        const dow = (d + 1) % 7;
        if (dow === 0 || dow === 6) continue;
        for (let h = 9; h < 17; h++) for (let k = 0; k < 3; k++) out.push(proc(T0 + d * DAY + h * HOUR + Math.floor(r() * HOUR), 'ws-1', 'c:\\x.exe', undefined, undefined, 'dave'));
      }
      out.sort((a, b) => a.time - b.time);
      out.push(logon(T0 + 22 * DAY + 3 * HOUR, 'ws-1', 'dave', 'success', { logonType: 2 }));
      return out;
    },
  },
  volume: {
    cfg: { learningMs: 7 * DAY, cooldownMs: 0, metrics: { userBytesOut: false, pairBytesOut: false } },
    events: () => {
      const r = rng(12);
      const out = [];
      for (let h = 0; h < 14 * 24; h++) {
        const total = 30 * MB * Math.pow(1 - r(), -1 / 1.5);
        for (let k = 0; k < 4; k++) out.push(conn(T0 + h * HOUR + k * 600_000, 'ws-1', { domain: 'files.example.com' }, total / 4));
      }
      const t = T0 + 14 * DAY + 3 * HOUR;
      out.push(conn(t, 'ws-1', { domain: 'mega.example.net' }, 6 * 1024 * MB), conn(t + 2 * HOUR, 'ws-1', { domain: 'files.example.com' }, MB));
      return out;
    },
  },
  beaconing: {
    cfg: { learningMs: 0 },
    events: () => {
      const r = rng(1);
      const out = [];
      let t = T0;
      for (let i = 0; i < 120; i++) {
        t += 60_000 * (1 + 0.1 * (2 * r() - 1));
        out.push(conn(Math.round(t), 'ws-7', { domain: 'cdn-update.example.org' }, 512));
      }
      return out;
    },
  },
  dns: {
    cfg: { learningMs: DAY },
    events: () => {
      const out = [];
      for (let i = 0; i < 50; i++) for (const n of ['www.google.com', 'github.com', 'news.bbc.co.uk']) out.push(dnsq(T0 + i * 60_000, `ws-${i % 5}`, n));
      const r = rng(9);
      const a = 'abcdefghijklmnopqrstuvwxyz';
      for (let i = 0; i < 6; i++) out.push(dnsq(T0 + 2 * DAY + i * 1000, 'ws-3', `${Array.from({ length: 12 }, () => a[Math.floor(r() * 26)]).join('')}.net`));
      return out;
    },
  },
  auth: {
    events: () => Array.from({ length: 12 }, (_, i) => logon(T0 + i * 1000, 'dc-1', 'administrator', 'failure', { srcIp: '198.51.100.2' })),
  },
};

function checkContract(s: Signal): void {
  const d = s.details as Record<string, unknown>;
  expect(s.kind).toBe('anomaly');
  expect(s.detector).toBe(`baseline.${d.model}`);
  expect(s.score).toBeGreaterThan(0);
  expect(s.score).toBeLessThanOrEqual(100);
  expect(['informational', 'low', 'medium', 'high', 'critical']).toContain(s.level);
  // the entity the baseline belongs to
  expect(d.entity).toEqual({ type: expect.any(String), id: expect.any(String) });
  expect((d.entity as { id: string }).id.length).toBeGreaterThan(0);
  // what was expected (the baseline) and what was seen: non-empty, with numbers in them
  for (const k of ['expected', 'seen'] as const) {
    expect(typeof d[k], k).toBe('object');
    expect(Object.keys(d[k] as object).length, k).toBeGreaterThan(0);
  }
  expect(JSON.stringify(d.expected) + JSON.stringify(d.seen)).toMatch(/\d/);
  // why, in words and numbers
  expect(typeof d.why).toBe('string');
  expect((d.why as string).length).toBeGreaterThan(20);
  expect(d.why as string).toMatch(/\d/);
  expect(d.why as string).toMatch(/[a-z]{3,} [a-z]{2,}/i);
  // a stable pattern, and evidence
  expect(d.pattern).toMatch(new RegExp(`^${String(d.model)}\\.[A-Za-z_]+ `));
  expect(s.eventIds.length).toBeGreaterThan(0);
  // ATT&CK, well-formed where present
  for (const t of s.attack.techniques) expect(t).toMatch(/^T\d{4}(\.\d{3})?$/);
  for (const t of s.attack.tactics) expect(t).toMatch(/^TA\d{4}$/);
}

describe('every model explains its anomalies', () => {
  it('has a scenario for every model of the registry', () => {
    expect([...MODEL_NAMES].sort()).toEqual(Object.keys(SCENARIOS).sort());
  });
  for (const name of MODEL_NAMES) {
    it(`${name}: score, entity, expected, seen, why (words and numbers), ATT&CK`, () => {
      const sc = SCENARIOS[name];
      const models = Object.fromEntries(MODEL_NAMES.map((m) => [m, m === name ? { ...(sc.cfg ?? {}) } : { enabled: false }]));
      const stage = new BaselineStage({ models });
      const evs = sc.events();
      const signals: Signal[] = [];
      for (let i = 0; i < evs.length; i += 500) signals.push(...stage.observe(evs.slice(i, i + 500)));
      signals.push(...stage.flushAll(evs.at(-1)!.time + DAY));
      expect(signals.length, `${name} raised nothing`).toBeGreaterThan(0);
      for (const s of signals) checkContract(s);
      // at least one of the model's anomalies maps to ATT&CK (each model has a mapping where one fits)
      expect(signals.some((s) => s.attack.techniques.length > 0)).toBe(true);
    });
  }
  it('the explanation survives JSON (signals are stored and shown as JSON)', () => {
    const stage = new BaselineStage({ models: { rarity: { learningMs: 0 }, auth: { enabled: false } } });
    const [s] = stage.observe([ev('process_activity', T0, { host: 'h', process: { image: 'c:\\a\\b.exe' } })]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
