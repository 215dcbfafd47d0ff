import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../store/sqlite/store.js';
import { MemoryConnector } from './connectors/memory/memory.js';
import { connectorSet } from './connectors/port.js';
import { createResponder } from './executor.js';
import { loadPolicyFile } from './policy/load.js';
import { clock, entity, incident, tempStore, verdict, type TempStore } from './testing/fixtures.js';

describe('audit trail of actions', () => {
  let ts: TempStore;
  afterEach(async () => ts?.cleanup());

  it('records every step hash-chained; editing a row in a copy of the database (triggers bypassed) is detected', async () => {
    ts = await tempStore();
    const c = clock();
    const r = createResponder({ store: ts.store, policy: loadPolicyFile(), connectors: connectorSet([new MemoryConnector('mem')]), now: c.now, retry: { sleep: async () => undefined } });
    const [a] = await r.respond(incident('inc-a', [entity('host', 'NW-WS-01', { context: { criticality: 'low', ip: '10.20.0.1' } })]), verdict('malicious', 0.95));
    await r.rollback(a!.id, 'user:alice', 'false positive');
    await r.close();
    const entries = await ts.store.listAudit();
    expect(entries.map((e) => e.action)).toEqual(['respond.verdict', 'action.propose', 'action.preview', 'action.execute', 'action.rollback']);
    expect(entries.find((e) => e.action === 'action.rollback')).toMatchObject({ actor: 'user:alice', target: a!.id, doc: { reason: 'false positive' } });
    expect(await ts.store.verifyAudit()).toEqual({ ok: true, entries: 5 });
    await ts.store.close();

    // The live database refuses edits (append-only triggers).
    const live = new Database(ts.file);
    expect(() => live.prepare('UPDATE audit SET actor = ? WHERE seq = 4').run('user:mallory')).toThrow(/append-only/);
    live.close();

    // A copy with the triggers dropped can be edited, but the chain shows where.
    const copy = join(ts.dir, 'tampered.db');
    copyFileSync(ts.file, copy);
    const db = new Database(copy);
    db.exec('DROP TRIGGER audit_no_update');
    const row = db.prepare('SELECT doc FROM audit WHERE seq = 4').get() as { doc: string };
    db.prepare('UPDATE audit SET doc = ? WHERE seq = 4').run(row.doc.replace('policy:isolate-ordinary-hosts', 'user:alice'));
    db.prepare('UPDATE audit SET actor = ? WHERE seq = 4').run('user:alice');
    db.close();
    const tampered = openSqliteStore({ file: copy, fts: 'off' });
    await tampered.init();
    expect(await tampered.verifyAudit()).toMatchObject({ ok: false, brokenAt: 4 });
    await tampered.close();
  });
});
