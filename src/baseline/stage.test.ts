import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../core/errors.js';
import type { GarrisonEvent } from '../core/event.js';
import { SqliteStore } from '../store/sqlite/store.js';
import { BaselineStage } from './stage.js';
import { loadBaselineConfigFile } from './config.js';
import { exportFile, importFile, loadFromStore, saveToStore, train } from './persist.js';
import { DAY, HOUR, T0, conn, dnsq, logon, proc, rng } from './fixtures/events.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'garrison-baseline-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A small mixed stream: 4 days of background on 6 hosts, then some unusual activity. */
function stream(): GarrisonEvent[] {
  const r = rng(42);
  const out: GarrisonEvent[] = [];
  for (let d = 0; d < 4; d++)
    for (let i = 1; i <= 6; i++) {
      const h = `ws-${i}`;
      const u = `user${i}`;
      const base = T0 + d * DAY;
      // distinct times (host offset i × 10 ms): the order is total, whoever sorts the events
      out.push(logon(base + 9 * HOUR - 60_000 + i * 10, h, u, 'success', { logonType: 2 }));
      for (let k = 0; k < 10; k++) {
        out.push(proc(base + 9 * HOUR + k * 1800_000 + i * 10, h, 'c:\\windows\\explorer.exe', 'c:\\windows\\system32\\userinit.exe', undefined, u));
        out.push(dnsq(base + 9 * HOUR + k * 1800_000 + 100 + i * 10, h, ['www.google.com', 'github.com', 'outlook.office365.com'][k % 3]));
        out.push(conn(base + 9 * HOUR + k * 1800_000 + 200 + i * 10, h, { domain: 'github.com' }, Math.round(1e5 * (1 + r())), u));
      }
    }
  const t = T0 + 8 * DAY + 3 * HOUR;
  out.push(proc(t, 'ws-2', 'c:\\programdata\\svc\\agent.exe', 'c:\\windows\\explorer.exe', undefined, 'user2'));
  out.push(logon(t + 1000, 'ws-5', 'user2', 'success', { logonType: 10 }));
  for (let i = 0; i < 12; i++) out.push(logon(t + 2000 + i * 1000, 'dc-1', 'administrator', 'failure', { srcIp: '198.51.100.2' }));
  return out.sort((a, b) => a.time - b.time);
}

const cfg = { models: { rarity: { learningMs: 3 * DAY }, peer: { learningMs: 3 * DAY }, time: { learningMs: 3 * DAY }, dns: { learningMs: DAY } } };

describe('BaselineStage', () => {
  it('is deterministic: same events, same order → identical signals (ids included)', () => {
    const evs = stream();
    const a = new BaselineStage(cfg).observe(evs);
    const b = new BaselineStage(cfg).observe(evs.map((e) => structuredClone(e)));
    expect(a.length).toBeGreaterThan(2);
    expect(b).toEqual(a);
    for (const s of a) {
      expect(s.kind).toBe('anomaly');
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(100);
      expect(s.eventIds.length).toBeGreaterThan(0);
      expect(s.details).toHaveProperty('why');
      expect(s.details).toHaveProperty('expected');
      expect(s.details).toHaveProperty('seen');
      expect(s.createdAt).toBe(s.time); // event time, never the wall clock
    }
  });

  it('snapshot → restore (through JSON) continues exactly like the original', () => {
    const evs = stream();
    const cut = evs.findIndex((e) => e.time >= T0 + 8 * DAY);
    const a = new BaselineStage(cfg);
    a.observe(evs.slice(0, cut));
    const b = new BaselineStage(cfg);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.observe(evs.slice(cut))).toEqual(a.observe(evs.slice(cut)));
  });

  it('analyst feedback lowers the future score of a pattern and is audited', () => {
    const s = new BaselineStage({ models: { rarity: { learningMs: 0, threshold: 30 }, auth: { enabled: false } } });
    const first = s.observe([proc(T0, 'ws-1', 'c:\\tools\\backup.exe', 'c:\\windows\\explorer.exe')]);
    expect(first[0].score).toBe(80);
    const entry = s.markBenign('rarity.first_seen_process * image=c:\\tools\\backup.exe', { by: 'analyst@corp', reason: 'IT backup agent' });
    expect(entry.factor).toBe(0.5);
    const again = s.observe([proc(T0 + 1000, 'ws-2', 'c:\\tools\\backup.exe', 'c:\\windows\\explorer.exe')]);
    expect(again[0].score).toBe(30); // 60 × 0.5
    expect(again[0].details.feedback).toMatchObject({ factor: 0.5 });
    // a second mark halves it again: below threshold → dropped
    s.markBenign(first[0], { by: 'analyst@corp', reason: 'seen again' });
    s.markBenign('rarity.first_seen_process *backup.exe', { by: 'lead@corp' });
    expect(s.observe([proc(T0 + 2000, 'ws-3', 'c:\\tools\\backup.exe', 'c:\\windows\\explorer.exe')])).toEqual([]);
    expect(s.audit().map((a) => [a.action, a.by])).toEqual([
      ['mark_benign', 'analyst@corp'],
      ['mark_benign', 'analyst@corp'],
      ['mark_benign', 'lead@corp'],
    ]);
    // the audit trail survives snapshot/restore
    const r = new BaselineStage({ models: { rarity: { learningMs: 0, threshold: 30 }, auth: { enabled: false } } });
    r.restore(s.snapshot());
    expect(r.audit()).toEqual(s.audit());
    expect(() => s.markBenign('', { by: 'x' })).toThrow(expect.objectContaining({ code: 'BASELINE_PATTERN_INVALID' }));
    expect(() => s.markBenign('*'.repeat(40), { by: 'x' })).toThrow(expect.objectContaining({ code: 'BASELINE_PATTERN_INVALID' }));
  });

  it('applies allow-lists, thresholds and cooldown from config', () => {
    const s = new BaselineStage({ allow: ['rarity.* image=c:\\program files\\*'], models: { rarity: { learningMs: 0, cooldownMs: HOUR } } });
    expect(s.observe([proc(T0, 'ws-1', 'c:\\program files\\new\\app.exe')])).toEqual([]);
    expect(s.stats.dropped.allowListed).toBe(1);
    const evs = [];
    for (let i = 0; i < 12; i++) evs.push(logon(T0 + i * 1000, 'dc-1', 'root', 'failure', { srcIp: '192.0.2.1' }));
    expect(s.observe(evs).map((x) => x.details.kind)).toEqual(['brute_force']); // once, not three times
    expect(s.stats.dropped.cooldown).toBe(2);
  });

  it('skips malformed events and survives hostile field values', () => {
    const s = new BaselineStage({ models: { rarity: { learningMs: 0 } } });
    const bad = [null, {}, { time: 'x', entities: {} }, { time: NaN, class: { uid: 1007 }, entities: {} }] as unknown as GarrisonEvent[];
    const huge = proc(T0, 'h'.repeat(10_000), 'c:\\' + 'a\\'.repeat(100_000) + 'x.exe', undefined, '"'.repeat(100_000));
    const weird = { ...proc(T0, 'ws-1', 'c:\\x.exe'), entities: { host: 42, user: { a: 1 }, process: { image: ['x'] } } } as unknown as GarrisonEvent;
    const sig = s.observe([...bad, huge, weird]);
    expect(s.stats.skipped).toBe(4);
    for (const x of sig) expect(String(x.details.pattern).length).toBeLessThan(1000);
  });

  it('rejects an invalid snapshot without changing state, listing every problem', () => {
    const s = new BaselineStage({ models: { rarity: { learningMs: 0 } } });
    s.observe([proc(T0, 'ws-1', 'c:\\x.exe')]);
    const good = s.snapshot();
    const broken = JSON.parse(JSON.stringify(good));
    broken.tenants.default.models.rarity.state.seen = 'nope';
    broken.tenants.default.models.volume.state.series = [[1, 2]];
    try {
      s.restore(broken, 'x.json');
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e, 'BASELINE_STATE_INVALID')).toBe(true);
      const problems = (e as { details: { problems: { location: { field: string } }[] } }).details.problems;
      expect(problems.map((p) => p.location.field)).toEqual(['tenants.default.models.rarity.seen', 'tenants.default.models.volume.series.0.0']);
    }
    expect(s.snapshot()).toEqual(good);
    expect(() => s.restore({ format: 'other' })).toThrow(expect.objectContaining({ code: 'BASELINE_STATE_VERSION' }));
    expect(() => s.restore({ ...good, version: 99 })).toThrow(expect.objectContaining({ code: 'BASELINE_STATE_VERSION' }));
  });

  it('accepts the example configuration of docs/baselines.md', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/baselines.md'), 'utf8');
    const m = /```yaml\n([\s\S]*?)```/.exec(doc);
    expect(m).not.toBeNull();
    const f = path.join(tmp(), 'example.yaml');
    writeFileSync(f, m![1]);
    const cfg = loadBaselineConfigFile(f);
    expect(cfg.models.auth.bruteForce.failures).toBe(20);
    expect(() => new BaselineStage(cfg)).not.toThrow();
  });

  it('reports every config problem with file:line, unknown keys included', () => {
    const dir = tmp();
    const f = path.join(dir, 'baseline.yaml');
    writeFileSync(f, ['models:', '  rarity:', '    threshold: 300', '    treshold: 10', '  beaconing:', '    maxJitter: -1', '  nosuch: {}', 'allow:', "  - ''", ''].join('\n'));
    try {
      loadBaselineConfigFile(f);
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e, 'BASELINE_CONFIG_INVALID')).toBe(true);
      const problems = (e as { details: { problems: { message: string; location: { line?: number; field: string; file?: string } }[] } }).details.problems;
      const byField = Object.fromEntries(problems.map((p) => [p.location.field, p.location.line]));
      expect(byField['models.rarity.threshold']).toBe(3);
      expect(byField['models.rarity']).toBe(3); // the unknown key "treshold": the rarity map starts on line 3
      expect(problems.find((p) => p.location.field === 'models.rarity')?.message).toContain('treshold');
      expect(byField['models.beaconing.maxJitter']).toBe(6);
      expect(byField['models']).toBe(2); // "nosuch"
      expect(problems.every((p) => p.location.file === f)).toBe(true);
    }
    // glob problems are reported once the schema is satisfied
    writeFileSync(f, ['allow:', '  - ok', "  - '" + '*'.repeat(20) + "'", ''].join('\n'));
    expect(() => loadBaselineConfigFile(f)).toThrow(expect.objectContaining({ code: 'BASELINE_CONFIG_INVALID', details: { problems: [expect.objectContaining({ location: expect.objectContaining({ line: 3, field: 'allow.1' }) })] } }));
  });
});

describe('baseline persistence', () => {
  it('export/import through a file; a corrupt file is refused with its name', () => {
    const dir = tmp();
    const s = new BaselineStage(cfg);
    s.observe(stream());
    s.markBenign('rarity.*', { by: 'a', reason: 'r' });
    const f = path.join(dir, 'base.json');
    expect(exportFile(s, f)).toBeGreaterThan(100);
    const t = new BaselineStage(cfg);
    importFile(t, f);
    expect(t.snapshot()).toEqual(s.snapshot());
    writeFileSync(f, '{"format": "garrison-baseline", ');
    expect(() => importFile(t, f)).toThrow(expect.objectContaining({ code: 'BASELINE_STATE_INVALID', location: expect.objectContaining({ file: f }) }));
    expect(t.snapshot()).toEqual(s.snapshot());
  });

  it('saves to and restores from the SQLite store, and warms up from stored history', async () => {
    const dir = tmp();
    const store = new SqliteStore({ file: path.join(dir, 'garrison.db'), fts: 'off' });
    await store.init();
    try {
      const evs = stream();
      await store.appendEvents(evs);
      const s = new BaselineStage(cfg);
      const res = await train(store, s, { from: T0, to: T0 + 30 * DAY, pageSize: 100 });
      expect(res.events).toBe(evs.length);
      expect(res.pages).toBeGreaterThan(5);
      // same as feeding the events directly
      const direct = new BaselineStage(cfg);
      direct.observe(evs);
      direct.flushAll(T0 + 30 * DAY);
      expect(s.snapshot()).toEqual(direct.snapshot());
      await saveToStore(store, s);
      const r = new BaselineStage(cfg);
      expect(await loadFromStore(store, r)).toBe(true);
      expect(r.snapshot()).toEqual(s.snapshot());
      await expect(train(store, s, { from: T0 + DAY, to: T0 })).rejects.toMatchObject({ code: 'BASELINE_RANGE_INVALID' });
    } finally {
      await store.close();
    }
  });
});

describe('BaselineStage on arbitrary input (property)', () => {
  it('never throws and keeps scores in 0..100, whatever the entities hold', async () => {
    const fc = await import('fast-check');
    const { OCSF_CLASSES } = await import('../core/event.js');
    const uids = Object.values(OCSF_CLASSES);
    const realistic = fc.constantFrom('c:\\windows\\system32\\rundll32.exe', 'powershell.exe', 'ws-1', 'ws-2', '10.0.0.1', '8.8.8.8', 'xjwqpzkvbmq.com', 'a.b.example.co.uk', 'admin', 443, 123, 1e300, Infinity, -1, 'TXT');
    const anyVal = fc.oneof(realistic, realistic, fc.string({ maxLength: 300 }), fc.integer(), fc.double(), fc.constant(null), fc.constant(undefined), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 20 })));
    const entities = fc.record(
      {
        host: anyVal, user: anyVal, targetUser: anyVal, srcIp: anyVal, dstIp: anyVal, dstPort: anyVal, domain: anyVal, bytesOut: anyVal, logonType: anyVal,
        outcome: fc.constantFrom('success', 'failure', 'unknown', 'x'), action: anyVal,
        process: fc.record({ image: anyVal, commandLine: anyVal, parent: fc.record({ image: anyVal }, { requiredKeys: [] }) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const event = fc.record({
      id: fc.string({ minLength: 1, maxLength: 40 }),
      time: fc.oneof(fc.integer({ min: T0, max: T0 + 30 * DAY }), fc.double()),
      tenant: fc.constantFrom('default', 't2'),
      uid: fc.constantFrom(...uids),
      entities,
      fields: fc.dictionary(fc.constantFrom('qtype_name', 'TaskName', 'ServiceName', 'ImagePath', 'MemberName', 'TargetUserName', 'latitude', 'longitude', 'department'), anyVal),
      eventCode: fc.constantFrom('1', '4624', '4625', '7045', '4698', '4732', undefined),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (raw) => {
        const s = new BaselineStage({ models: Object.fromEntries(['rarity', 'peer', 'time', 'volume', 'beaconing', 'dns', 'auth'].map((m) => [m, { learningMs: 0, threshold: 0 }])) });
        const evs = raw.map((r) => ({ id: r.id, time: r.time, ingestTime: 0, tenant: r.tenant, source: { format: 'json', eventCode: r.eventCode }, class: { uid: r.uid, name: 'base_event' }, entities: r.entities, fields: r.fields, raw: '' }) as unknown as GarrisonEvent);
        const sig = [...s.observe(evs), ...s.flushAll(T0 + 40 * DAY)];
        for (const x of sig) {
          expect(x.score).toBeGreaterThanOrEqual(0);
          expect(x.score).toBeLessThanOrEqual(100);
        }
        // and the state always survives a JSON round trip
        new BaselineStage({ models: Object.fromEntries(['rarity', 'peer', 'time', 'volume', 'beaconing', 'dns', 'auth'].map((m) => [m, { learningMs: 0, threshold: 0 }])) }).restore(JSON.parse(JSON.stringify(s.snapshot())));
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('BaselineStage isolation', () => {
  it('a failing model is counted and reported; the other models and the batch go on', () => {
    const s = new BaselineStage({ models: { rarity: { learningMs: 0 }, auth: { learningMs: 0 } } });
    s.observe([proc(T0, 'ws-1', 'c:\\x.exe')]); // creates the tenant's models
    const slots = (s as unknown as { tenants: Map<string, { name: string; model: { observe: () => void } }[]> }).tenants.get('default')!;
    slots.find((x) => x.name === 'rarity')!.model.observe = () => {
      throw new Error('boom');
    };
    const evs = [];
    for (let i = 0; i < 12; i++) evs.push(logon(T0 + 1000 + i * 1000, 'dc-1', 'root', 'failure', { srcIp: '192.0.2.9' }));
    const sig = s.observe(evs);
    expect(sig.map((x) => x.details.kind)).toEqual(['brute_force']);
    expect(s.stats.errors).toBe(12);
    expect(s.lastError).toMatchObject({ code: 'INTERNAL', location: { field: 'rarity' } });
  });
});
