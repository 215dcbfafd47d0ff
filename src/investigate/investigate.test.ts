/** Plans and weights as data (all problems with file:line), feedback learning, intel evidence, the API routes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GarrisonEvent } from '../core/event.js';
import type { Incident } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { IntelIndex } from '../intel/intel-index.js';
import { makeIndicator } from '../intel/values.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/store.js';
import { startTestServer, type TestServer } from '../surface/server/test-helpers.js';
import { createInvestigator, loadPlan, parseVerdictConfigText, recordFeedback } from './index.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0);
function ev(id: number, t: number, entities: GarrisonEvent['entities'], cls: GarrisonEvent['class'] = { uid: 1007, name: 'process_activity' }): GarrisonEvent {
  const hex = t.toString(16).padStart(12, '0') + id.toString(16).padStart(20, '0');
  return { id: hex, time: t, ingestTime: t, tenant: 'default', source: { format: 'json', eventCode: '1' }, class: cls, entities, fields: { CommandLine: entities.process?.commandLine }, raw: JSON.stringify(entities) };
}

describe('plans and weights are data', () => {
  it('reports every plan problem with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    const f = join(dir, 'extra.yaml');
    writeFileSync(f, ['name: extra', 'steps:', '  - id: x1', '    type: no_such_step', '  - id: Bad Id', '    type: spread', '  - id: x2', '    type: spread', '    params: { maxValues: -3, nope: 1 }', '  - id: detections', '    type: spread'].join('\n'));
    try {
      loadPlan([join(import.meta.dirname, 'plans/default.yaml'), f]);
      expect.unreachable();
    } catch (e) {
      const probs = (e as { details: { problems: { message: string; location: { file: string; line: number } }[] } }).details.problems;
      expect(probs.map((p) => `${p.location.line}`).sort()).toEqual(['4', '5', '9', '9']);
      expect(probs.find((p) => p.location.line === 4)!.message).toMatch(/unknown step type 'no_such_step'/);
      expect(probs.every((p) => p.location.file === f)).toBe(true);
    }
    writeFileSync(f, ['name: extra', 'steps:', '  - id: detections', '    type: spread'].join('\n'));
    expect(() => loadPlan([join(import.meta.dirname, 'plans/default.yaml'), f])).toThrow(/extra.yaml:3: INVESTIGATE_PLAN_INVALID steps.0.id: step id 'detections' is already defined/);
    rmSync(dir, { recursive: true });
  });
  it('reports every weights problem with file:line', () => {
    expect(() => parseVerdictConfigText('thresholds:\n  malicious: 1\n  benign: 2\nweights:\n  spread: lots\n  bogus: 1\n', 'w.yaml')).toThrow(/w.yaml:3: .*benign: must be below[\s\S]*w.yaml:5: .*spread[\s\S]*w.yaml:4: .*bogus|w.yaml:5[\s\S]*w.yaml:/);
  });
});

describe('investigation on a small store', () => {
  let dir: string;
  let store: SqliteStore;
  let srv: TestServer;
  const host = 'ws-1.corp.example';
  const mkIncident = (id: string, sigs: Signal[]): Incident => ({
    id,
    tenant: 'default',
    title: id,
    summary: id,
    status: 'new',
    severity: 'medium',
    score: 50,
    confidence: 0.5,
    createdAt: T0,
    updatedAt: T0,
    firstSeen: Math.min(...sigs.map((s) => s.time)),
    lastSeen: Math.max(...sigs.map((s) => s.time)),
    signalIds: sigs.map((s) => s.id),
    attack: { tactics: [], techniques: [] },
    stages: [],
    entities: [{ kind: 'host', value: host, firstSeen: T0, lastSeen: T0, signalIds: sigs.map((s) => s.id) }],
    scoring: [],
    mergedFrom: [],
    revision: 0,
  });
  const sig = (id: string, e: GarrisonEvent): Signal => ({ id, tenant: 'default', kind: 'sigma', detector: 'rule-x', title: 'Tool X ran', level: 'medium', score: 50, time: e.time, createdAt: e.time, attack: { tactics: ['TA0002'], techniques: [] }, eventIds: [e.id], entities: e.entities, details: {} });
  const events = [
    ev(1, T0, { host, user: 'bob', process: { guid: '{P1}', image: 'C:\\Windows\\explorer.exe', commandLine: 'explorer.exe' } }),
    ev(2, T0 + 1000, { host, user: 'bob', process: { guid: '{P2}', image: 'C:\\Tools\\x.exe', commandLine: 'x.exe --run 1', parent: { guid: '{P1}', image: 'C:\\Windows\\explorer.exe' } } }),
    ev(3, T0 + 2000, { host, user: 'bob', dstIp: '203.0.113.50', domain: 'bad.example', process: { guid: '{P2}', image: 'C:\\Tools\\x.exe' } }, { uid: 4001, name: 'network_activity' }),
    ev(4, T0 + 86_400_000, { host, user: 'bob', process: { guid: '{P3}', image: 'C:\\Tools\\x.exe', commandLine: 'x.exe --run 2', parent: { guid: '{P1}', image: 'C:\\Windows\\explorer.exe' } } }),
  ];
  const s1 = sig('s1', events[1]);
  const s2 = sig('s2', events[3]);
  beforeAll(async () => {
    srv = await startTestServer();
    dir = srv.dir;
    store = srv.ctx.store as SqliteStore;
    await store.appendEvents(events);
    await store.appendSignals([s1, s2]);
    await store.putRecords('incidents', [mkIncident('inc-a', [s1]), mkIncident('inc-b', [s2])].map((i) => ({ id: i.id, tenant: 'default', status: 'new', ref: '', createdAt: T0, updatedAt: T0, doc: i })));
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('walks the lineage and looks indicators up', async () => {
    const intel = new IntelIndex([makeIndicator({ type: 'domain', value: 'bad.example', source: 'feed', confidence: 90 })!]);
    const r = await createInvestigator({ store, intel, config: { updateIncidents: false } }).investigate('inc-a');
    const tree = r.investigation.ledger.steps.find((s) => s.id === 'process_tree')!.evidence[0];
    expect(tree.facts.chain).toMatchObject([{ image: 'C:\\Tools\\x.exe' }, { image: 'C:\\Windows\\explorer.exe' }]);
    expect(tree.eventIds).toEqual([events[1].id, events[0].id]);
    const intelIt = r.investigation.ledger.steps.find((s) => s.id === 'intel')!.evidence;
    expect(intelIt[0].facts).toMatchObject({ kind: 'intel', value: 'bad.example' });
    expect(intelIt[0].eventIds).toEqual([events[2].id]);
    expect(r.verdict.factors.map((f) => f.factor)).toContain('intel_hit');
    expect(r.verdict.verdict).not.toBe('benign');
  });

  it('learns from analyst feedback: a same-shaped incident gets the benign pattern as counter-evidence', async () => {
    const before = await createInvestigator({ store }).investigate('inc-b');
    expect(before.verdict.factors.map((f) => f.factor)).not.toContain('analyst_benign_pattern');
    const { feedback, incident } = await recordFeedback(store, 'inc-a', { verdict: 'benign', label: 'false_positive', note: 'sanctioned tool' }, { by: 'user:ana', now: () => T0 + 5 });
    expect(incident.analystVerdict?.verdict).toBe('benign');
    expect(incident.status).toBe('closed');
    expect(feedback.patterns[0]).toBe(`rule-x|${host}|bob|x.exe --run #`);
    expect(feedback.proposedException?.yaml).toMatch(/rule: rule-x[\s\S]*CommandLine: "x.exe --run 1"/);
    const audit = await store.listAudit({ target: 'inc-a' });
    expect(audit.map((a) => a.action)).toContain('incident.feedback');
    const after = await createInvestigator({ store }).investigate('inc-b');
    const f = after.verdict.factors.find((x) => x.factor === 'analyst_benign_pattern')!;
    expect(f.weight).toBeLessThan(0);
    expect(after.verdict.score).toBeLessThan(before.verdict.score);
    await expect(recordFeedback(store, 'inc-a', { verdict: 'nope', label: '' }, { by: 'x' })).rejects.toMatchObject({ code: 'INVESTIGATE_FEEDBACK_INVALID' });
  });

  it('as an IncidentConsumer: coalesces updates and skips unchanged signal sets', async () => {
    const inc = mkIncident('inc-c', [s2]);
    await store.putRecords('incidents', [{ id: inc.id, tenant: 'default', status: 'new', ref: '', createdAt: T0, updatedAt: T0, doc: inc }]);
    const inv = createInvestigator({ store });
    await Promise.all([inv.onIncident({ kind: 'created', incident: inc }), inv.onIncident({ kind: 'updated', incident: inc }), inv.onIncident({ kind: 'updated', incident: inc })]);
    expect(await store.listRecords('investigations', { ref: 'inc-c' })).toHaveLength(1);
    const rec = (await store.getRecord<Incident>('incidents', 'inc-c'))!.doc;
    expect(rec.revision).toBe(1);
    await inv.onIncident({ kind: 'updated', incident: rec });
    expect((await store.getRecord<Incident>('incidents', 'inc-c'))!.doc.revision).toBe(1);
    await inv.close();
    await expect(inv.onIncident({ kind: 'updated', incident: rec })).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });

  it('serves the ledger, re-runs, takes feedback and returns the events behind evidence over the API', async () => {
    const run = await srv.api('POST', '/api/v1/incidents/inc-b/investigate');
    expect(run.status).toBe(200);
    const got = await srv.api('GET', '/api/v1/incidents/inc-b/investigation');
    expect(got.status).toBe(200);
    expect(got.json.investigation.id).toBe(run.json.investigation.id);
    const item = got.json.investigation.ledger.steps.flatMap((s: any) => s.evidence).find((e: any) => e.eventIds.length > 0);
    const evs = await srv.api('GET', `/api/v1/evidence/inc-b/${item.id}/events`);
    expect(evs.status).toBe(200);
    expect(evs.json.events.map((e: any) => e.id)).toEqual(item.eventIds);
    expect(evs.json.missing).toEqual([]);
    expect((await srv.api('GET', '/api/v1/incidents/nope/investigation')).status).toBe(404);
    expect((await srv.api('GET', `/api/v1/evidence/inc-b/ev-nope/events`)).status).toBe(404);
    const fb = await srv.api('POST', '/api/v1/incidents/inc-b/feedback', JSON.stringify({ verdict: 'malicious', label: 'true_positive', note: 'confirmed' }), { 'content-type': 'application/json' });
    expect(fb.status).toBe(200);
    expect(fb.json.incident.analystVerdict.verdict).toBe('malicious');
    const bad = await srv.api('POST', '/api/v1/incidents/inc-b/feedback', JSON.stringify({ verdict: 'maybe' }), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    const load = await srv.api('POST', '/api/v1/intel/feeds', JSON.stringify({ source: 'api-feed', content: 'value,confidence\n203.0.113.50,80\n' }), { 'content-type': 'application/json' });
    expect(load.json).toMatchObject({ indicators: 1 });
    const look = await srv.api('GET', '/api/v1/intel/lookup?value=203.0.113.50');
    expect(look.json.matches[0].indicator.source).toBe('api-feed');
  });
});
