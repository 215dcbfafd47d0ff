/**
 * Analyst feedback on incidents → baseline marks, end to end through a real SQLite store:
 * an anomaly signal is stored, an incident groups it, the analyst's benign verdict (the record
 * src/investigate/feedback.ts writes) is synced into the stage, the pattern's future score drops,
 * the store's hash-chained audit log records it, a later malicious verdict takes it back, and
 * everything survives a snapshot through the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Feedback, Incident } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { SqliteStore } from '../store/sqlite/store.js';
import { syncAnalystFeedback } from './feedback.js';
import { loadFromStore, saveToStore } from './persist.js';
import { BaselineStage } from './stage.js';
import { ev, proc, T0 } from './fixtures/events.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(): Promise<SqliteStore> {
  const d = mkdtempSync(path.join(tmpdir(), 'garrison-bl-fb-'));
  dirs.push(d);
  const s = new SqliteStore({ file: path.join(d, 'g.db'), fts: 'off' });
  await s.init();
  return s;
}
const cfg = { models: { rarity: { learningMs: 0, threshold: 30 }, auth: { enabled: false } } };
const backup = (t: number, host: string, tenant = 'default') =>
  tenant === 'default' ? proc(t, host, 'c:\\tools\\backup.exe', 'c:\\windows\\explorer.exe') : ev('process_activity', t, { host, user: 'alice', process: { image: 'c:\\tools\\backup.exe', parent: { image: 'c:\\windows\\explorer.exe' } } }, { tenant });

async function incidentWith(store: SqliteStore, id: string, signals: Signal[]): Promise<void> {
  await store.appendSignals(signals);
  const doc = { id, tenant: signals[0]!.tenant, signalIds: signals.map((s) => s.id), firstSeen: signals[0]!.time, lastSeen: signals.at(-1)!.time, status: 'open', revision: 1 } as unknown as Incident;
  await store.putRecords('incidents', [{ id, tenant: doc.tenant, status: 'open', ref: '', createdAt: T0, updatedAt: T0, doc }]);
}
async function feedback(store: SqliteStore, id: string, incidentId: string, verdict: Feedback['verdict'], at: number, by = 'ana'): Promise<void> {
  const doc: Feedback = { id, incidentId, by, at, verdict, label: verdict === 'benign' ? 'false_positive' : 'true_positive', note: 'IT backup agent', detectors: ['baseline.rarity'] };
  await store.putRecords('feedback', [{ id, tenant: 'default', status: verdict, ref: incidentId, createdAt: at, updatedAt: at, doc }]);
}

describe('syncAnalystFeedback', () => {
  it('a benign verdict on an incident lowers the future score of its anomaly patterns, audited in the store', async () => {
    const store = await openStore();
    const stage = new BaselineStage(cfg);
    const [sig] = stage.observe([backup(T0, 'ws-1')]);
    expect(sig!.score).toBe(80);
    await incidentWith(store, 'inc-1', [sig!]);
    await feedback(store, 'fb-1', 'inc-1', 'benign', T0 + 1000);

    const r = await syncAnalystFeedback(store, stage);
    expect(r.read).toBe(1);
    expect(r.marked).toEqual([{ pattern: sig!.details.pattern, incidentId: 'inc-1', feedbackId: 'fb-1', by: 'user:ana' }]);
    expect(r.cursor).toBe(T0 + 1000);
    const again = stage.observe([backup(T0 + 2000, 'ws-1')]);
    expect(again).toEqual([]); // the same pattern, 80 × 0.5 = 40 — but cooldown; use another host below
    const other = stage.observe([backup(T0 + 3000, 'ws-2')]);
    expect(other[0]?.score).toBe(60); // a different pattern (host ws-2) is not affected: 60 = seen on 1 other host

    // the store's audit log holds the mark, hash-chained
    const audit = await store.listAudit();
    expect(audit.map((a) => [a.action, a.actor, a.target])).toEqual([['baseline.mark_benign', 'user:ana', sig!.details.pattern]]);
    expect(audit[0]!.doc).toMatchObject({ incident: 'inc-1', feedback: 'fb-1', factor: 0.5, model: 'baseline.rarity' });
    expect((await store.verifyAudit()).ok).toBe(true);
    // the stage's own trail too, with the source
    expect(stage.feedbackEntries()).toEqual([expect.objectContaining({ pattern: sig!.details.pattern, by: 'user:ana', source: 'incident:inc-1 feedback:fb-1', tenant: 'default' })]);

    // syncing again changes nothing (idempotent)
    const r2 = await syncAnalystFeedback(store, stage);
    expect(r2.marked).toEqual([]);
    expect(stage.feedbackEntries()).toHaveLength(1);
    expect(await store.listAudit()).toHaveLength(1);
    await store.close();
  });

  it('the mark changes the score: the same pattern after the cooldown scores half', async () => {
    const store = await openStore();
    const stage = new BaselineStage({ models: { rarity: { learningMs: 0, threshold: 10, cooldownMs: 0, forgetAfterMs: 1 }, auth: { enabled: false } } });
    const [sig] = stage.observe([backup(T0, 'ws-1')]);
    await incidentWith(store, 'inc-2', [sig!]);
    await feedback(store, 'fb-2', 'inc-2', 'benign', T0 + 10);
    const before = stage.observe([backup(T0 + 3_600_000, 'ws-1')]); // forgotten → first seen again
    expect(before[0]?.details.pattern).toBe(sig!.details.pattern);
    const rawScore = before[0]!.score;
    await syncAnalystFeedback(store, stage);
    const after = stage.observe([backup(T0 + 7_200_000, 'ws-1')]);
    expect(after[0]?.score).toBe(Math.round(rawScore * 0.5));
    expect(after[0]?.details.feedback).toMatchObject({ factor: 0.5 });
    await store.close();
  });

  it('a later non-benign verdict on the same incident takes the marks back (audited)', async () => {
    const store = await openStore();
    const stage = new BaselineStage(cfg);
    const sigs = stage.observe([backup(T0, 'ws-1'), proc(T0 + 5, 'ws-1', 'c:\\x\\rare.exe', 'c:\\windows\\explorer.exe')]);
    expect(sigs).toHaveLength(2);
    await incidentWith(store, 'inc-3', sigs);
    await feedback(store, 'fb-3a', 'inc-3', 'benign', T0 + 100);
    expect((await syncAnalystFeedback(store, stage)).marked).toHaveLength(2);
    await feedback(store, 'fb-3b', 'inc-3', 'malicious', T0 + 200, 'lead');
    const r = await syncAnalystFeedback(store, stage, { since: T0 + 150 });
    expect(r.unmarked.map((u) => [u.pattern, u.by])).toEqual(sigs.map((s) => [s.details.pattern, 'user:lead']));
    expect(stage.feedbackEntries()).toEqual([]);
    expect((await store.listAudit()).map((a) => a.action)).toEqual(['baseline.mark_benign', 'baseline.mark_benign', 'baseline.unmark_benign', 'baseline.unmark_benign']);
    expect(stage.audit().map((a) => a.action)).toEqual(['mark_benign', 'mark_benign', 'unmark_benign', 'unmark_benign']);
    await store.close();
  });

  it('marks are per tenant, and survive saving the state in the store and restoring it', async () => {
    const store = await openStore();
    const stage = new BaselineStage(cfg);
    const [a] = stage.observe([backup(T0, 'ws-1', 'acme')]);
    await incidentWith(store, 'inc-4', [a!]);
    await store.putRecords('feedback', [{ id: 'fb-4', tenant: 'acme', status: 'benign', ref: 'inc-4', createdAt: T0 + 1, updatedAt: T0 + 1, doc: { id: 'fb-4', incidentId: 'inc-4', by: 'ana', at: T0 + 1, verdict: 'benign', label: 'fp', note: '', detectors: [] } satisfies Feedback }]);
    await syncAnalystFeedback(store, stage);
    expect(stage.feedbackEntries()[0]).toMatchObject({ tenant: 'acme' });
    // the same pattern text in another tenant is not lowered
    const [b] = stage.observe([backup(T0 + 10, 'ws-1', 'globex')]);
    expect(b?.score).toBe(80);
    expect(b?.details.feedback).toBeUndefined();
    await saveToStore(store, stage);
    const restored = new BaselineStage(cfg);
    expect(await loadFromStore(store, restored)).toBe(true);
    expect(restored.feedbackEntries()).toEqual(stage.feedbackEntries());
    expect((await syncAnalystFeedback(store, restored)).marked).toEqual([]); // already applied: the source is kept
    await store.close();
  });

  it('feedback and the stage audit trail stay bounded', () => {
    const stage = new BaselineStage({ maxFeedback: 3, maxAuditRecords: 5 });
    for (let i = 0; i < 10; i++) stage.markBenign(`rarity.first_seen_process host=ws-${i} *`, { by: 'ana' });
    expect(stage.feedbackEntries().map((f) => f.pattern)).toEqual([7, 8, 9].map((i) => `rarity.first_seen_process host=ws-${i} *`));
    expect(stage.audit()).toHaveLength(5);
    expect(stage.audit().at(-1)).toMatchObject({ action: 'mark_benign', pattern: 'rarity.first_seen_process host=ws-9 *' });
    expect(stage.audit().some((a) => a.action === 'unmark_benign' && a.by === 'system' && /maxFeedback/.test(a.reason))).toBe(true);
  });
});
