import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStoreContract, fixtureEvents, makeEvent } from '../contract.js';
import { openSqliteStore } from './store.js';
import { isGarrisonError } from '../../core/errors.js';

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
});
