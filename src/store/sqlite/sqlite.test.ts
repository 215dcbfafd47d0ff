import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStoreContract, fixtureEvents, makeEvent } from '../contract.js';
import Database from 'better-sqlite3';
import { envJson, openSqliteStore } from './store.js';
import { isGarrisonError } from '../../core/errors.js';
import { FIELDS_FROM_RAW_SCALARS } from '../../core/event.js';
import { parseRecord } from '../../normalize/registry.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'garrison-store-'));
}

// With the background FTS indexer, searched immediately (rows above the watermark are scanned).
runStoreContract('sqlite (background FTS, unsettled)', async () => {
  const dir = tmp();
  const store = openSqliteStore({ file: join(dir, 'garrison.db') });
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

// The same after the indexer caught up: results must not depend on indexing progress.
runStoreContract('sqlite (background FTS, settled)', async () => {
  const dir = tmp();
  const store = openSqliteStore({ file: join(dir, 'garrison.db') });
  return { store, settle: () => store.flushIndex(), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

runStoreContract('sqlite (FTS off)', async () => {
  const dir = tmp();
  const store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: 'off', synchronous: 'FULL' });
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('sqlite store specifics', () => {
  it('full-text search uses the FTS index once caught up and finds unindexed rows meanwhile', async () => {
    const dir = tmp();
    const store = openSqliteStore({ file: join(dir, 'g.db') });
    try {
      const evs = fixtureEvents();
      await store.appendEvents(evs.slice(0, 5));
      await store.flushIndex();
      const st = await store.stats();
      expect(st.ftsWatermark).toBe(st.maxSeq);
      await store.appendEvents(evs.slice(5));
      const r = await store.search('mimikatz');
      expect(r.query.sql).toContain('events_fts MATCH');
      expect(r.events.map((e) => e.id).sort()).toEqual([evs[1].id, evs[7].id].sort());
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('host, user and class terms use the background key index and stay exact for rows it has not reached', async () => {
    const dir = tmp();
    const file = join(dir, 'g.db');
    const evs = fixtureEvents();
    const a = openSqliteStore({ file });
    await a.appendEvents(evs);
    await a.flushIndex();
    const st = await a.stats();
    expect(st.keysWatermark).toBe(st.maxSeq);
    const want = async (s: typeof a, q: string) => (await s.search(q, { limit: 100 })).events.map((e) => e.id).sort();
    const expected = {
      host: evs.filter((e) => e.entities.host?.toLowerCase() === 'ws01.corp.local').map((e) => e.id).sort(),
      user: evs.filter((e) => e.entities.user === 'bob').map((e) => e.id).sort(),
      cls: evs.filter((e) => e.class.name === 'process_activity').map((e) => e.id).sort(),
    };
    expect(expected.host.length).toBeGreaterThan(1);
    expect(expected.user.length).toBeGreaterThan(0);
    expect(await want(a, 'host:WS01.CORP.LOCAL')).toEqual(expected.host);
    const r = await a.search('user:bob', { from: evs[0].time, to: evs[9].time + 1 });
    expect(r.query.sql).toContain('fts.ix_keys');
    expect(r.events.map((e) => e.id).sort()).toEqual(expected.user);
    const plan = new Database(file, { readonly: true });
    plan.prepare('ATTACH DATABASE ? AS fts').run(file + '.fts');
    const steps = (plan.prepare('EXPLAIN QUERY PLAN ' + r.query.sql).all(...r.query.params) as { detail: string }[]).map((x) => x.detail).join('\n');
    plan.close();
    // ix_keys (alias x) is searched by its primary key within the time range, never walked.
    expect(steps).toMatch(/SEARCH x USING PRIMARY KEY \(kind=\? AND key=\? AND time>\? AND time<\?\)/);
    expect(steps).not.toMatch(/SCAN x/);
    await a.close();

    // Simulate an indexer that is behind: drop the entries above seq 3 and lower the watermark.
    const raw = new Database(file + '.fts');
    raw.prepare('DELETE FROM ix_keys WHERE seq > 3').run();
    raw.prepare("UPDATE fts_state SET v = 3 WHERE k = 'keys_watermark'").run();
    raw.close();
    const b = openSqliteStore({ file, readonly: true }); // read-only: no indexer to catch up
    try {
      expect((await b.stats()).keysWatermark).toBe(3);
      expect(await want(b, 'host:ws01.corp.local')).toEqual(expected.host);
      expect(await want(b, 'user:bob')).toEqual(expected.user);
      expect(await want(b, 'class:process_activity')).toEqual(expected.cls);
      expect(await want(b, 'NOT host:ws01.corp.local')).toEqual(evs.map((e) => e.id).filter((id) => !expected.host.includes(id)).sort());
    } finally {
      await b.close();
    }

    // A writable store catches up, and retention removes the key entries of purged rows.
    const c = openSqliteStore({ file });
    try {
      await c.flushIndex();
      expect((await c.stats()).keysWatermark).toBe(st.maxSeq);
      expect(await want(c, 'host:ws01.corp.local')).toEqual(expected.host);
      await c.applyRetention({ maxAgeMs: 0 });
      await c.close();
      const ix = new Database(file + '.fts', { readonly: true });
      expect(ix.prepare('SELECT count(*) FROM ix_keys').pluck().get()).toBe(0);
      ix.close();
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps only the raw text of flattened Windows events whose fields are the raw object, and reads and searches them the same', async () => {
    const dir = tmp();
    const store = openSqliteStore({ file: join(dir, 'g.db') });
    try {
      const line = JSON.stringify({
        EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Provider_Name: 'Microsoft-Windows-Sysmon', Computer: 'WS-1.corp.example.com',
        UtcTime: '2024-01-01 00:00:01.000', ProcessGuid: '{0b1a59dc-72d7-42d7-5588-97b5a31b5686}', ProcessId: 31784, Image: 'C:\\Windows\\System32\\cmd.exe',
        CommandLine: 'cmd.exe /c whoami', User: 'CORP\\alice',
      });
      const renamed = JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: 'WS-2', ProcessId: 42, Image: 'C:\\x.exe' });
      const rec = (data: string, n: number) => ({ data, origin: `test:${n}`, input: 'test', tenant: 'default', receivedAt: 1_700_000_000_000, format: 'json' as const });
      const a = parseRecord(rec(line, 1));
      const b = parseRecord(rec(renamed, 2));
      if (!a.ok || !b.ok) throw new Error('parse failed');
      expect(FIELDS_FROM_RAW_SCALARS.has(a.event)).toBe(true);
      expect(FIELDS_FROM_RAW_SCALARS.has(b.event)).toBe(false); // Hostname is renamed Computer: fields stored
      await store.appendEvents([a.event, b.event]);
      const raw = new Database(join(dir, 'g.db'), { readonly: true });
      const cols = raw.prepare('SELECT id, fields FROM events ORDER BY seq').all() as { id: string; fields: string | null }[];
      raw.close();
      expect(cols[0].fields).toBe('');
      expect(JSON.parse(cols[1].fields!)).toEqual({ ...b.event.fields });
      const [back] = await store.getEvents([a.event.id]);
      expect({ ...back.fields }).toEqual({ ...a.event.fields });
      expect(back.fields.ProcessId).toBe('31784');
      expect(back.fields.ProcessGuid).toBe('{0B1A59DC-72D7-42D7-5588-97B5A31B5686}'); // canonical, from lower-case raw
      expect(back.fields.EventID).toBe(1);
      const ids = async (q: string) => (await store.search(q)).events.map((e) => e.id);
      expect(await ids('ProcessId:31784')).toEqual([a.event.id]);
      expect(await ids('ProcessGuid:"{0B1A59DC-72D7-42D7-5588-97B5A31B5686}"')).toEqual([a.event.id]);
      expect(await ids('ProcessId:317*')).toEqual([a.event.id]);
      expect(await ids('ProcessId>30000')).toEqual([a.event.id]);
      expect(await ids('CommandLine:*whoami*')).toEqual([a.event.id]);
      expect(await ids('Computer:WS-2')).toEqual([b.event.id]);
      expect((await ids('ProcessId:*')).sort()).toEqual([a.event.id, b.event.id].sort());
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serialises the envelope exactly as JSON.stringify, shared frozen parts once', () => {
    const shared = Object.freeze({ format: 'winlog', product: 'windows', input: 'x', eventCode: '1' });
    const cls = Object.freeze({ uid: 1007, name: 'process_activity' });
    const cases: [unknown, unknown, unknown][] = [
      [shared, cls, { host: 'h', process: { pid: 1, image: 'a"b\\c' }, missing: undefined }],
      [{ format: 'json', product: 'p' }, { uid: 0, name: 'base_event' }, {}],
      [undefined, cls, {}],
      [shared, null, { host: 'x' }],
    ];
    for (const [source, c, entities] of cases) {
      const env = envJson(source as never, c as never, entities as never);
      expect(env).toBe(JSON.stringify({ source, class: c, entities }));
    }
    // A second use of the same frozen objects gives the same text.
    expect(envJson(shared as never, cls as never, {})).toBe(JSON.stringify({ source: shared, class: cls, entities: {} }));
  });

  it('a writer thread that dies fails only the batches it held; later batches are written inline', async () => {
    const dir = tmp();
    const store = openSqliteStore({ file: join(dir, 'g.db') });
    try {
      const evs = fixtureEvents();
      expect(await store.appendEvents(evs.slice(0, 3))).toEqual({ stored: 3, duplicates: 0 });
      expect((await store.stats()).writer).toBe('thread');
      const writer = (store as unknown as { writer?: import('node:worker_threads').Worker }).writer;
      expect(writer).toBeDefined();
      // Terminate it with a batch in flight: that batch must be refused, never acknowledged.
      const inFlight = store.appendEvents(evs.slice(3, 6));
      await writer!.terminate();
      const outcome = await inFlight.then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      if (outcome.ok) expect(outcome.r.stored + outcome.r.duplicates).toBe(3); // it may have committed first
      else expect(isGarrisonError(outcome.e, 'STORE_IO')).toBe(true);
      // Later batches go inline; a retried batch is exact (duplicates are recognised).
      expect((await store.stats()).writer).toMatch(/^inline \(writer thread stopped: /);
      const again = await store.appendEvents(evs.slice(3));
      expect(again.stored + again.duplicates).toBe(7);
      expect(await store.countEvents()).toBe(10);
      expect((await store.search('mimikatz')).events).toHaveLength(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('persists across reopen and can be opened read-only by a second process-like reader', async () => {
    const dir = tmp();
    const file = join(dir, 'g.db');
    const a = openSqliteStore({ file });
    await a.appendEvents(fixtureEvents());
    await a.flushIndex();
    await a.close();
    const b = openSqliteStore({ file, readonly: true });
    try {
      expect(await b.countEvents()).toBe(10);
      expect((await b.search('mimikatz')).events).toHaveLength(2);
      const e = await b.appendEvents([makeEvent({ at: 50, fields: { a: 1 } }, 999)]).catch((x: unknown) => x);
      expect(isGarrisonError(e, 'STORE_IO')).toBe(true);
    } finally {
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an invalid configuration listing every problem', () => {
    let err: unknown;
    try {
      openSqliteStore({ file: '', synchronous: 'OFF' as 'FULL', cacheMb: -1 });
    } catch (e) {
      err = e;
    }
    expect(isGarrisonError(err, 'CONFIG_INVALID')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('store.file');
    expect(msg).toContain('store.synchronous');
    expect(msg).toContain('store.cacheMb');
  });

  it('reports an unopenable file as STORE_IO naming the file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const store = openSqliteStore({ file: join(dir, 'not-a-dir', 'g.db') });
    const e = await store.countEvents().catch((x: unknown) => x);
    expect(isGarrisonError(e, 'STORE_IO')).toBe(true);
    expect((e as Error).message).toContain(join(dir, 'not-a-dir'));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('audit is append-only', async () => {
    const dir = tmp();
    const store = openSqliteStore({ file: join(dir, 'g.db'), fts: 'off' });
    await store.init();
    // Reach the connection the way later stages will (through SQL), to prove the trigger.
    const Database = (await import('better-sqlite3')).default;
    await store.close();
    const db = new Database(join(dir, 'g.db'));
    try {
      db.prepare("INSERT INTO audit (time, actor, action, doc) VALUES (1, 'a', 'b', '{}')").run();
      expect(() => db.prepare("UPDATE audit SET actor = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('multi-row inserts: exact stored, duplicate and byte counts when duplicates fall inside a 32-row statement', async () => {
    const dir = tmp();
    const store = openSqliteStore({ file: join(dir, 'g.db'), fts: 'off' });
    try {
      const all = Array.from({ length: 100 }, (_, i) => makeEvent({ at: i, host: `H${i % 7}`, user: i % 3 ? `u${i % 5}` : undefined, fields: { n: i, pad: 'x'.repeat(i) } }, i));
      const r1 = await store.appendEvents(all.slice(0, 70));
      expect(r1).toEqual({ stored: 70, duplicates: 0 });
      const s1 = await store.stats();
      // Second batch: 10 already stored (inside the first 32-row chunk), 30 new, plus an in-batch repeat.
      const r2 = await store.appendEvents([...all.slice(60, 100), all[99]]);
      expect(r2).toEqual({ stored: 30, duplicates: 11 });
      const s2 = await store.stats();
      expect(s2.events).toBe(100);
      expect(s2.duplicates).toBe(11);
      // Bytes grew by exactly the 30 new rows.
      const db = new Database(join(dir, 'g.db'), { readonly: true });
      const sum = db.prepare('SELECT total(bytes) FROM events WHERE seq > ?').pluck().get(s1.maxSeq) as number;
      const total = db.prepare('SELECT total(bytes) FROM events').pluck().get() as number;
      db.close();
      expect(s2.eventBytes - s1.eventBytes).toBe(sum);
      expect(s2.eventBytes).toBe(total);
      // Hosts and users interned once each, events read back as given.
      const got = await store.getEvents(all.map((e) => e.id));
      expect(got.length).toBe(100);
      expect(got.find((e) => e.id === all[42].id)).toEqual(all[42]);
      expect((await store.search('host:h3', { limit: 100 })).events.length).toBe(all.filter((e) => e.entities.host === 'H3').length);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkpoints the WAL in the worker thread, also with FTS off (the writer never does below the safety threshold)', async () => {
    const dir = tmp();
    const file = join(dir, 'g.db');
    const store = openSqliteStore({ file, fts: 'off', checkpointMs: 20 });
    try {
      await store.init();
      const before = statSync(file).size;
      const evs = Array.from({ length: 2000 }, (_, i) => makeEvent({ at: i, host: 'H', fields: { n: i, pad: 'y'.repeat(400) } }, i));
      await store.appendEvents(evs);
      // The rows reach the main database file only through a checkpoint.
      let size = statSync(file).size;
      for (let i = 0; i < 200 && size < before + 500_000; i++) {
        await new Promise((r) => setTimeout(r, 20));
        size = statSync(file).size;
      }
      expect(size).toBeGreaterThan(before + 500_000);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with checkpoint 'inline' and a small batch, nothing is checkpointed by a worker", async () => {
    const dir = tmp();
    const file = join(dir, 'g.db');
    const store = openSqliteStore({ file, fts: 'off', checkpoint: 'inline' });
    try {
      await store.init();
      const before = statSync(file).size;
      await store.appendEvents(Array.from({ length: 300 }, (_, i) => makeEvent({ at: i, host: 'H', fields: { n: i, pad: 'z'.repeat(400) } }, i)));
      await new Promise((r) => setTimeout(r, 300));
      expect(statSync(file).size).toBe(before);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
