/**
 * End to end on a simulated day: Simulation → parsers → SQLite store → SigmaStage signals →
 * incidents (first suite: grouped by ground truth so the admin's PsExec is its own incident; second
 * suite: the product correlator) → investigator.
 * Checks the "what it must show": attack incidents never closed as benign, background
 * incidents closed as benign with the right reasons, every evidence item cites stored events,
 * and re-running gives the same ledger and verdict.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/store.js';
import { createInvestigator, type InvestigationResult, type Investigator } from './index.js';
import type { InvestigationDoc } from './types.js';
import { campaignsOf, runSimHarness, type SimHarness } from './testing/sim-harness.js';

describe('investigation of a simulated day (seed 1)', () => {
  let dir: string;
  let store: SqliteStore;
  let h: SimHarness;
  let inv: Investigator;
  const results = new Map<string, InvestigationResult>();
  const handed: { incident: Incident; verdict: IncidentVerdict }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'garrison-inv-e2e-'));
    store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: 'off' });
    h = await runSimHarness(store, { seed: 1, hours: 24, trainDays: 0, baselines: false, grouping: 'truth' });
    inv = createInvestigator({ store, context: h.context, next: { onVerdict: async (incident, verdict) => void handed.push({ incident, verdict }) }, now: () => 1_800_000_000_000 });
    for (const i of h.incidents) results.set(i.id, await inv.investigate(i.id));
  }, 240_000);
  afterAll(async () => {
    await inv?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('judges every attack campaign with signals malicious or suspicious, none benign', () => {
    const attack = h.incidents.filter((i) => campaignsOf(h, i).length > 0);
    const camps = new Set(attack.flatMap((i) => campaignsOf(h, i)));
    expect([...camps].sort()).toEqual(['a', 'b', 'c', 'd', 'e']); // f raises no rule (by design)
    for (const i of attack) {
      const r = results.get(i.id)!;
      expect(['malicious', 'suspicious'], `${i.title}: ${r.verdict.summary}`).toContain(r.verdict.verdict);
      expect(r.incident.status).toBe('needs_review');
    }
    // malicious ones went to the next stage
    const mal = attack.filter((i) => results.get(i.id)!.verdict.verdict === 'malicious');
    expect(mal.length).toBeGreaterThan(0);
    expect(handed.map((x) => x.incident.id).sort()).toEqual(mal.map((i) => i.id).sort());
  });

  it('closes at least 80% of background incidents as benign, with the right reasons', async () => {
    const bg = h.incidents.filter((i) => campaignsOf(h, i).length === 0);
    expect(bg.length).toBeGreaterThan(0);
    const closed = bg.filter((i) => results.get(i.id)!.verdict.verdict === 'benign');
    expect(closed.length / bg.length).toBeGreaterThanOrEqual(0.8);
    for (const i of closed) {
      const rec = await store.getRecord<Incident>('incidents', i.id);
      expect(rec!.doc.status).toBe('closed');
      expect(rec!.doc.closeReason).toMatch(/^benign/);
      expect(rec!.doc.revision).toBeGreaterThan(i.revision);
      const neg = results.get(i.id)!.verdict.factors.filter((f) => f.weight < 0).map((f) => f.factor);
      // the admin's PsExec: an admin tool, run by an administrator who had just logged on
      if (/psexec/i.test(i.title)) {
        expect(neg).toContain('known_admin_tool');
        expect(neg).toContain('privileged_admin');
        expect(rec!.doc.closeReason).toMatch(/adm\.(jensen|okafor)/);
      }
      // every reason cites evidence that is in the ledger
      const evIds = new Set(results.get(i.id)!.investigation.ledger.steps.flatMap((s) => s.evidence.map((e) => e.id)));
      for (const f of results.get(i.id)!.verdict.factors) expect(f.cites!.some((c) => evIds.has(c)), f.factor).toBe(true);
    }
  });

  it('every evidence item of every investigation cites events that exist in the store', async () => {
    const recs = await store.listRecords<InvestigationDoc>('investigations', { limit: 10_000 });
    expect(recs.length).toBe(h.incidents.length);
    let items = 0;
    let cited = 0;
    for (const r of recs) {
      for (const step of r.doc.ledger.steps) {
        for (const e of step.evidence) {
          items++;
          expect(e.step).toBe(step.id);
          if ('sql' in e.query) {
            expect(e.query.sql).toMatch(/^SELECT /);
            expect(e.query.params.length).toBeGreaterThan(0);
          } else expect(e.query.lookup).toBeTruthy();
          if (e.eventIds.length === 0) continue;
          const got = await store.getEvents(e.eventIds);
          cited += e.eventIds.length;
          expect(got.map((x) => x.id).sort(), `${e.id} ${e.title}`).toEqual([...e.eventIds].sort());
        }
      }
    }
    expect(items).toBeGreaterThan(50);
    // every step type of the default plan ran against the store and produced evidence somewhere
    const produced = new Set(recs.flatMap((r) => r.doc.ledger.steps.filter((s) => s.evidence.length > 0).map((s) => s.type)));
    for (const t of ['incident_signals', 'process_tree', 'host_activity', 'user_auth', 'spread', 'prevalence', 'asset_identity']) expect(produced, t).toContain(t);
    expect(cited).toBeGreaterThan(200);
  });

  it('is deterministic: re-running on the same store gives the same ledger and verdict', async () => {
    const again = createInvestigator({ store, context: h.context, now: () => 1_900_000_000_000 });
    for (const i of h.incidents) {
      const a = results.get(i.id)!;
      const b = await again.investigate(i.id);
      expect(b.investigation.ledger).toEqual(a.investigation.ledger);
      expect(b.verdict).toEqual(a.verdict);
      expect(b.investigation.id).toBe(a.investigation.id);
    }
    await again.close();
  });

  it('explains each verdict: stated weights summing to the score, and what would change it', () => {
    for (const [, r] of results) {
      const sum = Math.round(r.verdict.factors.reduce((s, f) => s + f.weight, 0) * 100) / 100;
      expect(sum).toBeCloseTo(r.verdict.score, 5);
      for (const f of r.verdict.factors) expect(f.detail.length).toBeGreaterThan(10);
      expect(r.verdict.confidence).toBeGreaterThan(0);
      expect(r.verdict.confidence).toBeLessThanOrEqual(1);
      expect(r.investigation.narrative.claims.length).toBeGreaterThan(0);
    }
    expect([...results.values()].some((r) => r.verdict.wouldChange.length > 0)).toBe(true);
  });
});

describe('investigation of incidents built by the product correlator (seed 2, Sigma only)', () => {
  let dir: string;
  let store: SqliteStore;
  let h: SimHarness;
  const results = new Map<string, InvestigationResult>();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'garrison-inv-e2e2-'));
    store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: 'off' });
    h = await runSimHarness(store, { seed: 2, hours: 24, trainDays: 0, baselines: false, grouping: 'correlator' });
    const inv = createInvestigator({ store, context: h.context, now: () => 0 });
    for (const i of h.incidents) results.set(i.id, await inv.investigate(i.id));
    await inv.close();
  }, 240_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never closes an attack incident as benign, and every cited event exists', async () => {
    const attack = h.incidents.filter((i) => campaignsOf(h, i).length > 0);
    expect(new Set(attack.flatMap((i) => campaignsOf(h, i))).size).toBeGreaterThanOrEqual(4);
    for (const i of attack) expect(results.get(i.id)!.verdict.verdict, i.title).not.toBe('benign');
    for (const [, r] of results) {
      const ids = [...new Set(r.investigation.ledger.steps.flatMap((s) => s.evidence.flatMap((e) => e.eventIds)))];
      for (let k = 0; k < ids.length; k += 5000) expect((await store.getEvents(ids.slice(k, k + 5000))).length).toBe(ids.slice(k, k + 5000).length);
    }
  });
});
