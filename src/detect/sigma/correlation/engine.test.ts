import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorrelationEngine, hitToSignal, parseCorrelationRule, retroHunt, retroHuntAsync, type CorrelationHit, type CorrelationMatch, type CorrelationRule } from './index.js';
import type { CorrelationOptionsInput } from './config.js';
import { loadDocs } from './fixtures/load.js';

// ---------------------------------------------------------------- helpers

function rule(doc: Record<string, unknown>, file = 'test.yml'): CorrelationRule {
  const { rule: r, problems } = parseCorrelationRule({ title: 'T', ...doc }, { file, line: 1 });
  expect(problems.map((p) => p.message)).toEqual([]);
  return r as CorrelationRule;
}

function corr(type: string, rules: string[], extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}): CorrelationRule {
  return rule({ title: `${type} test`, id: `${type}-${rules.join('-')}`, ...top, correlation: { type, rules, timespan: '10s', ...extra } });
}

let seq = 0;
/** A match of `ruleId` at second `sec` (ms precision allowed) with these fields. */
function m(ruleId: string, ms: number, fields: Record<string, unknown> = {}, eventId?: string): CorrelationMatch {
  const id = eventId ?? `ev${String(seq++).padStart(6, '0')}`;
  return { ruleId, time: ms, eventId: id, get: (f) => fields[f] };
}

/** Feeds matches in order and flushes: all hits. */
function run(rules: CorrelationRule[], matches: CorrelationMatch[], opts: CorrelationOptionsInput = {}, resolver?: Parameters<typeof retroHunt>[1]) {
  const engine = new CorrelationEngine(rules, resolver, { lateness: 0, ...opts });
  const hits: CorrelationHit[] = [];
  for (const x of matches) hits.push(...engine.observe(x));
  hits.push(...engine.flush(Infinity));
  return { hits, engine };
}

const S = 1000;

// ---------------------------------------------------------------- event_count

describe('event_count', () => {
  const r = corr('event_count', ['failed'], { 'group-by': ['User'], condition: { gte: 3 } });

  it('fires when the count is reached within the timespan, exactly at the edge included', () => {
    const { hits } = run([r], [m('failed', 0, { User: 'a' }, 'e1'), m('failed', 5 * S, { User: 'a' }, 'e2'), m('failed', 10 * S, { User: 'a' }, 'e3')]);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ ruleId: r.id, type: 'event_count', value: 3, groupBy: { User: 'a' }, window: { start: 0, end: 10 * S }, time: 10 * S, eventIds: ['e1', 'e2', 'e3'], eventCount: 3, ruleIds: ['failed'], emit: true, level: 'medium' });
  });

  it('does not fire just over the timespan, and slides on', () => {
    const ms = [m('failed', 0, { User: 'a' }), m('failed', 5 * S, { User: 'a' }), m('failed', 10 * S + 1, { User: 'a' })];
    expect(run([r], ms).hits).toHaveLength(0);
    const { hits } = run([r], [...ms, m('failed', 12 * S, { User: 'a' })]);
    expect(hits).toHaveLength(1);
    expect(hits[0].window).toEqual({ start: 5 * S, end: 12 * S });
  });

  it('counts each group separately and restarts a group after a hit', () => {
    const ms: CorrelationMatch[] = [];
    for (let i = 0; i < 7; i++) ms.push(m('failed', i * 100, { User: 'a' }), m('failed', i * 100 + 1, { User: 'b' }));
    ms.push(m('failed', 800, { User: 'c' }));
    const { hits } = run([r], ms);
    // a: 7 events -> hits at the 3rd and 6th; b the same; c nothing
    expect(hits.map((h) => `${h.groupBy.User}@${h.time}`)).toEqual(['a@200', 'b@201', 'a@500', 'b@501']);
  });

  it('evaluates upper bounds when the window closes (lt, eq, ranges)', () => {
    const lt = corr('event_count', ['failed'], { 'group-by': ['User'], condition: { lt: 3 } });
    const eq = corr('event_count', ['failedx'], { 'group-by': ['User'], condition: { eq: 3 } });
    const range = corr('event_count', ['failedy'], { 'group-by': ['User'], condition: { gt: 1, lte: 2 } });
    const feed = (rid: string) => [
      m(rid, 0, { User: 'few' }),
      m(rid, 10 * S, { User: 'few' }), // exactly at the window end: inside
      m(rid, 1, { User: 'many' }),
      m(rid, 2, { User: 'many' }),
      m(rid, 3, { User: 'many' }),
      m(rid, 10 * S + 1, { User: 'few' }), // opens the next window of 'few'
    ];
    const sorted = (ms: CorrelationMatch[]) => ms.sort((a, b) => a.time - b.time);
    const ltHits = run([lt], sorted(feed('failed'))).hits;
    expect(ltHits.map((h) => [h.groupBy.User, h.value, h.window.start, h.time])).toEqual([
      ['few', 2, 0, 10 * S],
      ['few', 1, 10 * S + 1, 20 * S + 1],
    ]);
    expect(run([eq], sorted(feed('failedx'))).hits.map((h) => [h.groupBy.User, h.value])).toEqual([['many', 3]]);
    expect(run([range], sorted(feed('failedy'))).hits.map((h) => [h.groupBy.User, h.value])).toEqual([['few', 2]]);
  });

  it('closes windows only when the watermark passes them (flush with a time)', () => {
    const lt = corr('event_count', ['failed'], { 'group-by': ['User'], condition: { lt: 5 } });
    const engine = new CorrelationEngine([lt], undefined, { lateness: 0 });
    expect(engine.observe(m('failed', 0, { User: 'a' }))).toEqual([]);
    expect(engine.flush(5 * S)).toEqual([]);
    expect(engine.flush(10 * S)).toEqual([]); // a match at exactly 10 s would still count
    expect(engine.flush(10 * S + 1)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- value_count

describe('value_count', () => {
  const r = corr('value_count', ['failed'], { 'group-by': ['IpAddress'], condition: { field: 'TargetUserName', gte: 3 } });
  it('counts distinct values, each by its newest occurrence', () => {
    const ip = '10.1.1.1';
    const base = [m('failed', 0, { IpAddress: ip, TargetUserName: 'a' }), m('failed', 1 * S, { IpAddress: ip, TargetUserName: 'b' }), m('failed', 2 * S, { IpAddress: ip, TargetUserName: 'b' })];
    // 'a' at 0 leaves the window before 'c' at 10.5 s: only 2 distinct
    expect(run([r], [...base, m('failed', 10_500, { IpAddress: ip, TargetUserName: 'c' })]).hits).toHaveLength(0);
    // 'a' seen again at 9 s: still inside
    const { hits } = run([r], [...base, m('failed', 9 * S, { IpAddress: ip, TargetUserName: 'a' }), m('failed', 10_500, { IpAddress: ip, TargetUserName: 'c' })]);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ value: 3, groupBy: { IpAddress: ip }, window: { start: 2 * S, end: 10_500 } });
  });
  it('counts distinct tuples when field is a list, and skips matches without the field', () => {
    const r2 = corr('value_count', ['x1'], { condition: { field: ['User', 'Host'], gte: 2 } });
    const { hits, engine } = run([r2], [m('x1', 0, { User: 'a', Host: 'h' }), m('x1', 1, { User: 'a' }), m('x1', 2, { User: 'a', Host: 'h' }), m('x1', 3, { User: 'a', Host: 'h2' })]);
    expect(hits.map((h) => h.value)).toEqual([2]);
    expect(engine.stats().missingValue).toBe(1);
  });
  it('keeps as many distinct values as its threshold needs, above maxEntriesPerGroup', () => {
    const r4 = corr('value_count', ['x3'], { condition: { field: 'User', gte: 50 } });
    const ms = Array.from({ length: 50 }, (_, i) => m('x3', i, { User: `u${i}` }));
    const { hits, engine } = run([r4], ms, { maxEntriesPerGroup: 10 });
    expect(hits.map((h) => h.value)).toEqual([50]);
    expect(engine.stats().truncatedEntries).toBe(0);
  });
  it('supports lte (rare values) at window end', () => {
    const r3 = corr('value_count', ['x2'], { 'group-by': ['Host'], condition: { field: 'User', lte: 1 } });
    const ms = [m('x2', 0, { Host: 'h1', User: 'a' }), m('x2', 1, { Host: 'h1', User: 'a' }), m('x2', 2, { Host: 'h2', User: 'a' }), m('x2', 3, { Host: 'h2', User: 'b' })];
    expect(run([r3], ms).hits.map((h) => [h.groupBy.Host, h.value])).toEqual([['h1', 1]]);
  });
});

// ---------------------------------------------------------------- value_sum / avg / percentile

describe('value aggregations', () => {
  it('value_sum fires as soon as the sum in the window passes the threshold', () => {
    const r = corr('value_sum', ['web'], { 'group-by': ['User'], condition: { field: 'bytes', gt: 1000 } });
    const { hits, engine } = run([r], [m('web', 0, { User: 'u', bytes: 400 }), m('web', 1 * S, { User: 'u', bytes: '500' }), m('web', 2 * S, { User: 'u', bytes: 'lots' }), m('web', 11 * S, { User: 'u', bytes: 200 }), m('web', 12 * S, { User: 'u', bytes: 900 })]);
    // 400+500 = 900 (no); at 11 s the 0 s entry left: 500+200 = 700; at 12 s: 200+900 = 1100 (the 1 s entry left too)
    expect(hits.map((h) => [h.value, h.window.start, h.time])).toEqual([[1100, 11 * S, 12 * S]]);
    expect(engine.stats().missingValue).toBe(1);
  });
  it('value_avg is evaluated over the whole window at its end', () => {
    const r = corr('value_avg', ['net'], { 'group-by': ['SourceIP'], condition: { field: 'BytesOut', gt: 500 } });
    const ms = [m('net', 0, { SourceIP: 'a', BytesOut: 2000 }), m('net', 1, { SourceIP: 'a', BytesOut: 100 }), m('net', 2, { SourceIP: 'b', BytesOut: 100 }), m('net', 3, { SourceIP: 'a', BytesOut: 0 })];
    const { hits } = run([r], ms);
    expect(hits.map((h) => [h.groupBy.SourceIP, h.value, h.time])).toEqual([['a', 700, 10 * S]]);
  });
  it('value_percentile with a percentile compares the interpolated percentile', () => {
    const r = corr('value_percentile', ['dur'], { condition: { field: 'd', percentile: 95, gt: 100 } });
    const ms = [...Array.from({ length: 10 }, (_, i) => m('dur', i, { d: i + 1 })), m('dur', 20, { d: 1000 })];
    const { hits } = run([r], ms);
    expect(hits.map((h) => h.value)).toEqual([505]);
    const r90 = corr('value_percentile', ['dur'], { condition: { field: 'd', percentile: 90, gt: 100 } });
    expect(run([r90], ms.map((x) => ({ ...x }))).hits).toEqual([]);
  });
  it('value_median is percentile 50', () => {
    const r = corr('value_median', ['dur'], { condition: { field: 'd', gte: 3 } });
    expect(run([r], [1, 2, 3, 4, 100].map((d, i) => m('dur', i, { d }))).hits.map((h) => h.value)).toEqual([3]);
  });
  it('value_percentile without a percentile reports values whose share is within the condition', () => {
    const r = corr('value_percentile', ['proc'], { 'group-by': ['ComputerName'], condition: { field: 'Image', lte: 5 } });
    const ms = Array.from({ length: 20 }, (_, i) => m('proc', i, { ComputerName: 'pc1', Image: i === 7 ? 'C:\\evil.exe' : 'C:\\svchost.exe' }));
    ms.push(...Array.from({ length: 4 }, (_, i) => m('proc', 100 + i, { ComputerName: 'pc2', Image: 'C:\\svchost.exe' })));
    const { hits } = run([r], ms);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ groupBy: { ComputerName: 'pc1' }, value: 5, values: [{ value: 'C:\\evil.exe', share: 5 }] });
  });
});

// ---------------------------------------------------------------- temporal

describe('temporal', () => {
  const r = corr('temporal', ['recon_a', 'recon_b', 'recon_c'], { 'group-by': ['ComputerName', 'User'], timespan: '5m' });
  const f = { ComputerName: 'pc', User: 'u' };
  it('fires when all rules occur within the timespan, in any order', () => {
    const { hits } = run([r], [m('recon_c', 0, f), m('recon_a', 60 * S, f), m('recon_a', 70 * S, f), m('recon_b', 300 * S, f)]);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ value: 3, window: { start: 0, end: 300 * S }, groupBy: f });
    expect(hits[0].ruleIds.sort()).toEqual(['recon_a', 'recon_b', 'recon_c']);
  });
  it('does not fire just over the timespan or across groups', () => {
    expect(run([r], [m('recon_c', 0, f), m('recon_a', 60 * S, f), m('recon_b', 300 * S + 1, f)]).hits).toHaveLength(0);
    expect(run([r], [m('recon_c', 0, f), m('recon_a', 1, f), m('recon_b', 2, { ...f, User: 'other' })]).hits).toHaveLength(0);
  });
  it('repeats of one rule do not count as several rules', () => {
    expect(run([r], [m('recon_a', 0, f), m('recon_a', 1, f), m('recon_a', 2, f)]).hits).toHaveLength(0);
  });
  it('a condition can ask for fewer rules', () => {
    const r2 = corr('temporal', ['ra', 'rb', 'rc'], { condition: { gte: 2 } });
    expect(run([r2], [m('ra', 0), m('rc', 1)]).hits.map((h) => h.value)).toEqual([2]);
  });
});

describe('temporal_ordered', () => {
  const r = corr('temporal_ordered', ['step_a', 'step_b', 'step_c'], { 'group-by': ['User'] });
  const f = { User: 'u' };
  it('fires for the rules in order', () => {
    const { hits } = run([r], [m('step_a', 0, f, 'a'), m('step_b', 1 * S, f, 'b'), m('step_c', 2 * S, f, 'c')]);
    expect(hits.map((h) => [h.value, h.eventIds])).toEqual([[3, ['a', 'b', 'c']]]);
  });
  it('does not fire when the order is violated', () => {
    expect(run([r], [m('step_c', 0, f), m('step_b', 1, f), m('step_a', 2, f)]).hits).toHaveLength(0);
    expect(run([r], [m('step_b', 0, f), m('step_a', 1, f), m('step_c', 2, f)]).hits).toHaveLength(0);
    expect(run([r], [m('step_a', 0, f), m('step_c', 1, f), m('step_b', 2, f)]).hits).toHaveLength(0);
  });
  it('skips unrelated events in between and uses the latest start', () => {
    const { hits } = run([r], [m('step_a', 0, f, 'a0'), m('step_c', 1 * S, f), m('step_a', 2 * S, f, 'a2'), m('step_b', 11 * S, f, 'b'), m('step_c', 12 * S, f, 'c')]);
    // a0 is too old for c at 12 s (timespan 10 s), a2 at 2 s is exactly in range
    expect(hits.map((h) => h.eventIds)).toEqual([['a2', 'b', 'c']]);
  });
  it('does not fire just over the timespan', () => {
    expect(run([r], [m('step_a', 0, f), m('step_b', 1, f), m('step_c', 10 * S + 1, f)]).hits).toHaveLength(0);
    expect(run([r], [m('step_a', 0, f), m('step_b', 1, f), m('step_c', 10 * S, f)]).hits).toHaveLength(1);
  });
  it('one event matching two steps does not complete two steps', () => {
    const r2 = corr('temporal_ordered', ['s1', 's2'], {});
    const engine = new CorrelationEngine([r2], undefined, { lateness: 0 });
    // the same event matched by both rules, then nothing else
    engine.observe({ ruleId: 's1', time: 5, eventId: 'same', get: () => undefined });
    engine.observe({ ruleId: 's2', time: 5, eventId: 'same', get: () => undefined });
    expect(engine.flush(Infinity).length).toBeLessThanOrEqual(1);
  });
});

// ---------------------------------------------------------------- group-by, aliases

describe('group-by and aliases', () => {
  it('groups by several fields without collisions between crafted values', () => {
    const r = corr('event_count', ['xx'], { 'group-by': ['A', 'B'], condition: { gte: 2 } });
    const { hits } = run([r], [m('xx', 0, { A: 'a:b', B: 'c' }), m('xx', 1, { A: 'a', B: 'b:c' }), m('xx', 2, { A: '1:a', B: '3:b:c' }), m('xx', 3, { A: 'a', B: 'b:c' })]);
    expect(hits.map((h) => h.groupBy)).toEqual([{ A: 'a', B: 'b:c' }]);
  });
  it('skips matches lacking a group-by field by default, or groups them under null', () => {
    const r = corr('event_count', ['xx'], { 'group-by': ['User'], condition: { gte: 2 } });
    const ms = () => [m('xx', 0, {}), m('xx', 1, { User: null }), m('xx', 2, { User: 'u' })];
    const skip = run([r], ms());
    expect(skip.hits).toEqual([]);
    expect(skip.engine.stats().missingGroupBy).toBe(2);
    const nul = run([r], ms(), { missingGroupBy: 'null' });
    expect(nul.hits.map((h) => h.groupBy)).toEqual([{ User: null }]);
  });
  it('groups numbers and text of the same value together, objects by their JSON', () => {
    const r = corr('event_count', ['xx'], { 'group-by': ['Port'], condition: { gte: 2 } });
    expect(run([r], [m('xx', 0, { Port: 445 }), m('xx', 1, { Port: '445' })]).hits.map((h) => h.groupBy)).toEqual([{ Port: '445' }]);
  });
  it('applies aliases per referenced rule', () => {
    const [{ doc }] = loadDocs('aliases_temporal.yml');
    const r = rule(doc);
    const scan = (src: string, dst: string, t: number) => m('inbound_scan', t, { 'source.ip': src, 'destination.ip': dst });
    const conn = (src: string, dst: string, t: number) => m('outbound_connection', t, { 'source.ip': src, 'destination.ip': dst });
    const { hits } = run([r], [scan('203.0.113.9', '10.0.0.5', 0), conn('10.0.0.5', '198.51.100.1', 1 * S), conn('10.0.0.5', '203.0.113.9', 2 * S)]);
    expect(hits).toHaveLength(1);
    expect(hits[0].groupBy).toEqual({ internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' });
    // reversed roles do not match
    expect(run([r], [scan('10.0.0.5', '203.0.113.9', 0), conn('10.0.0.5', '203.0.113.9', 1)]).hits).toHaveLength(0);
  });
  it('aliases resolve through the resolver (rule referenced by name, matches carry ids)', () => {
    const [{ doc }] = loadDocs('aliases_temporal.yml');
    const r = rule(doc);
    const ids: Record<string, string> = { inbound_scan: 'id-scan', outbound_connection: 'id-conn' };
    const resolver = (ref: string) => (ids[ref] ? { id: ids[ref], name: ref } : undefined);
    const { hits, engine } = run([r], [m('id-scan', 0, { 'source.ip': 'R', 'destination.ip': 'I' }), m('id-conn', 1, { 'source.ip': 'I', 'destination.ip': 'R' })], {}, resolver);
    expect(engine.problems).toEqual([]);
    expect(hits.map((h) => [h.groupBy, h.ruleIds.sort()])).toEqual([[{ internal_ip: 'I', remote_ip: 'R' }, ['id-conn', 'id-scan']]]);
  });
});

// ---------------------------------------------------------------- chains, generate, references

describe('chained correlations and generate', () => {
  const docs = () => loadDocs('brute_force_chain.yml', true);
  const setup = () => {
    const d = docs();
    const rules = d.filter((x) => 'correlation' in x.doc).map((x) => rule(x.doc, 'brute_force_chain.yml'));
    const base = d.filter((x) => !('correlation' in x.doc)).map((x) => ({ id: String(x.doc.id), name: String(x.doc.name) }));
    const resolver = (ref: string) => base.find((b) => b.id === ref || b.name === ref);
    return { rules, base, resolver };
  };
  const FAIL = '9d2e7a61-4c3b-4e8f-b1a0-7f6c5d4e3b21';
  const OK = '2c7b9e14-8f3a-4d6c-a5b2-1e0d9c8b7a63';
  const fail = (t: number, user = 'alice') => m(FAIL, t, { TargetUserName: user });
  const ok = (t: number, user = 'alice') => m(OK, t, { TargetUserName: user }, `ok-${t}`);

  it('fires the outer correlation for a burst followed by a success; the inner one is not emitted', () => {
    const { rules, resolver } = setup();
    const ms = [0, 10, 20, 30, 40].map((s) => fail(s * S)).concat([ok(100 * S)]);
    const { hits, engine } = run(rules, ms, {}, resolver);
    expect(engine.problems).toEqual([]);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ ruleId: '6a1f0c3e-2b8d-4f57-9e2a-0d4c1b7e9a10', level: 'high', groupBy: { TargetUserName: 'alice' }, emit: true, window: { start: 40 * S, end: 100 * S } });
    expect(hits[0].eventIds).toHaveLength(6);
    expect(hits[0].eventIds.at(-1)).toBe('ok-100000');
    expect(hits[0].ruleIds).toEqual(['0f3b8c55-6e2a-4d1b-8a7c-3e9f2d6b1c44', OK]);
    // generate: false (default): the base rules are not stand-alone signals
    expect(engine.isSuppressed(FAIL)).toBe(true);
    expect(engine.isSuppressed(OK)).toBe(true);
    expect(engine.isSuppressed('some-other-rule')).toBe(false);
    expect(engine.isReferenced(FAIL)).toBe(true);
    const all = run(rules, ms.map((x) => ({ ...x })), { includeSuppressed: true }, resolver).hits;
    expect(all.map((h) => [h.name ?? h.ruleId, h.emit])).toEqual([
      ['logon_failure_burst', false],
      ['6a1f0c3e-2b8d-4f57-9e2a-0d4c1b7e9a10', true],
    ]);
  });

  it('does not fire when the success comes first, for another user, or too late', () => {
    const { rules, resolver } = setup();
    const burst = (u = 'alice') => [0, 10, 20, 30, 40].map((s) => fail(1000 * S + s * S, u));
    expect(run(rules, [ok(999 * S), ...burst()], {}, resolver).hits).toHaveLength(0);
    expect(run(rules, [...burst(), ok(1100 * S, 'bob')], {}, resolver).hits).toHaveLength(0);
    expect(run(rules, [...burst(), ok(1040 * S + 600 * S + 1)], {}, resolver).hits).toHaveLength(0);
    expect(run(rules, [...burst(), ok(1040 * S + 600 * S)], {}, resolver).hits).toHaveLength(1);
    // four failures only: no inner hit, no outer hit
    expect(run(rules, [...burst().slice(1), ok(1100 * S)], {}, resolver).hits).toHaveLength(0);
  });

  it('generate: true keeps base rules and inner correlations as outputs', () => {
    const { rules, resolver } = setup();
    const gen = rules.map((r) => ({ ...r, generate: true }));
    const ms = [0, 1, 2, 3, 4].map((s) => fail(s * S)).concat([ok(5 * S)]);
    const { hits, engine } = run(gen, ms, {}, resolver);
    expect(engine.isSuppressed(FAIL)).toBe(false);
    expect(hits.map((h) => h.name ?? h.ruleId)).toEqual(['logon_failure_burst', '6a1f0c3e-2b8d-4f57-9e2a-0d4c1b7e9a10']);
  });

  it('a correlation without a level takes the highest level of what it references', () => {
    const inner = rule({ id: 'inner', name: 'inner_c', correlation: { type: 'event_count', rules: ['low_rule', 'high_rule'], timespan: '1m', condition: { gte: 1 } } });
    const outer = rule({ id: 'outer', correlation: { type: 'temporal', rules: ['inner_c', 'low_rule'], timespan: '1m' } });
    const leveled = rule({ id: 'leveled', level: 'low', correlation: { type: 'event_count', rules: ['high_rule'], timespan: '1m', condition: { gte: 1 } } });
    const resolver = (ref: string) => (ref === 'low_rule' ? { id: 'low_rule', level: 'low' as const } : ref === 'high_rule' ? { id: 'high_rule', level: 'high' as const } : undefined);
    const { hits } = run([inner, outer, leveled], [m('low_rule', 0), m('high_rule', 1)], { includeSuppressed: true }, resolver);
    const byId = Object.fromEntries(hits.map((h) => [h.ruleId, h.level]));
    expect(byId).toEqual({ inner: 'high', outer: 'high', leveled: 'low' });
    const unleveled = corr('event_count', ['xx'], { condition: { gte: 1 } });
    expect(run([unleveled], [m('xx', 0)]).hits[0].level).toBe('medium');
  });

  it('reports unresolved references, cycles and duplicates, and keeps the rest running', () => {
    const good = corr('event_count', ['known'], { condition: { gte: 1 } });
    const missing = corr('event_count', ['unknown_rule'], { condition: { gte: 1 } });
    const a = rule({ id: 'cyc-a', name: 'cyc_a', correlation: { type: 'temporal', rules: ['cyc_b', 'known'], timespan: '1m' } });
    const b = rule({ id: 'cyc-b', name: 'cyc_b', correlation: { type: 'temporal', rules: ['cyc_a', 'known'], timespan: '1m' } });
    const dependsOnMissing = rule({ id: 'dep', correlation: { type: 'temporal', rules: [missing.id, 'known'], timespan: '1m' } });
    const dup = { ...good, title: 'duplicate' };
    const resolver = (ref: string) => (ref === 'known' ? { id: 'known' } : undefined);
    const engine = new CorrelationEngine([good, missing, a, b, dependsOnMissing, dup], resolver, { lateness: 0 });
    expect(engine.problems.map((p) => p.code).sort()).toEqual(['CORRELATION_CYCLE', 'CORRELATION_CYCLE', 'CORRELATION_DUPLICATE', 'CORRELATION_RULE_NOT_FOUND', 'CORRELATION_RULE_NOT_FOUND']);
    expect(engine.problems.every((p) => p.location?.file === 'test.yml')).toBe(true);
    expect(engine.rules.map((r) => r.id)).toEqual([good.id]);
    engine.observe(m('known', 0));
    expect(engine.flush(Infinity).map((h) => h.ruleId)).toEqual([good.id]);
  });
});

// ---------------------------------------------------------------- time model

describe('ordering and lateness', () => {
  const r = corr('temporal_ordered', ['oa', 'ob'], { 'group-by': ['User'] });
  it('reorders matches that arrive up to `lateness` late', () => {
    const engine = new CorrelationEngine([r], undefined, { lateness: 2 * S });
    const hits = [...engine.observe(m('ob', 1500, { User: 'u' })), ...engine.observe(m('oa', 1000, { User: 'u' }))];
    expect(hits).toEqual([]); // still buffered
    hits.push(...engine.observe(m('oa', 4 * S, { User: 'x' }))); // watermark 2 s: both released in order
    expect(hits.map((h) => h.window)).toEqual([{ start: 1000, end: 1500 }]);
  });
  it('drops matches older than what was applied, and counts them', () => {
    const engine = new CorrelationEngine([r], undefined, { lateness: 0 });
    engine.observe(m('oa', 5 * S, { User: 'u' }));
    engine.observe(m('ob', 6 * S, { User: 'u' }));
    engine.observe(m('oa', 1 * S, { User: 'u' }));
    expect(engine.stats().late).toBe(1);
  });
  it('rejects malformed matches without throwing', () => {
    const engine = new CorrelationEngine([r], undefined, { lateness: 0 });
    const bad = [null, {}, { ruleId: 'oa', time: NaN, eventId: 'x', get: () => 1 }, { ruleId: 'oa', time: Infinity, eventId: 'x', get: () => 1 }, { ruleId: 7, time: 1, eventId: 'x', get: () => 1 }];
    for (const b of bad) expect(engine.observe(b as unknown as CorrelationMatch)).toEqual([]);
    expect(engine.stats().invalid).toBe(bad.length);
    // a throwing field accessor counts as a missing field
    engine.observe({ ruleId: 'oa', time: 1, eventId: 'y', get: () => { throw new Error('boom'); } });
    expect(engine.stats().missingGroupBy).toBe(1);
  });
  it('never throws on hostile field values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('ra', 'rb', 'rc'), fc.anything(), fc.anything(), fc.integer({ min: -5, max: 50 })), { maxLength: 60 }), (xs) => {
        const engine = new CorrelationEngine(ALL_RULES(), undefined, { lateness: 3 });
        xs.forEach(([rid, a, b, dt], i) => {
          const hostile = { User: a, Host: b, n: a, get toJSON() { throw new Error('x'); } };
          engine.observe({ ruleId: rid, time: 1000 + i * 2 + dt, eventId: `e${i}`, ruleName: a as string, get: (f) => (f === 'n' ? b : (hostile as Record<string, unknown>)[f]) });
        });
        engine.flush(Infinity);
        const st = engine.stats();
        expect(st.observed).toBe(xs.length);
      }),
      { numRuns: 200 },
    );
  });
  it('keys over-long values by prefix and hash', () => {
    const r2 = corr('event_count', ['big'], { 'group-by': ['CommandLine'], condition: { gte: 2 } });
    const long = 'A'.repeat(100_000);
    const { hits } = run([r2], [m('big', 0, { CommandLine: long }), m('big', 1, { CommandLine: long + 'B' }), m('big', 2, { CommandLine: long })], { maxValueLength: 1024 });
    expect(hits).toHaveLength(1);
    expect(String(hits[0].groupBy.CommandLine).length).toBeLessThan(200);
  });
  it('rejects invalid options', () => {
    expect(() => new CorrelationEngine([], undefined, { lateness: -1 })).toThrow(expect.objectContaining({ code: 'CORRELATION_OPTIONS_INVALID' }));
    expect(() => new CorrelationEngine([], undefined, { nope: 1 } as unknown as CorrelationOptionsInput)).toThrow(expect.objectContaining({ code: 'CORRELATION_OPTIONS_INVALID' }));
  });
});

// ---------------------------------------------------------------- properties: memory bounds, live = retro

const ALL_RULES = (): CorrelationRule[] => [
  corr('event_count', ['ra'], { 'group-by': ['User'], condition: { gte: 3 } }),
  corr('event_count', ['rb'], { 'group-by': ['User'], condition: { lt: 2 } }),
  corr('value_count', ['ra', 'rb'], { 'group-by': ['Host'], condition: { field: 'User', gte: 2 } }),
  corr('value_sum', ['rc'], { 'group-by': ['User'], condition: { field: 'n', gte: 10 } }),
  corr('value_avg', ['rc'], { 'group-by': ['Host'], condition: { field: 'n', gt: 4 } }),
  corr('value_percentile', ['rc'], { condition: { field: 'n', percentile: 90, gte: 8 } }),
  corr('value_percentile', ['ra'], { 'group-by': ['Host'], condition: { field: 'User', lt: 30 } }),
  corr('temporal', ['ra', 'rb', 'rc'], { 'group-by': ['Host'] }),
  corr('temporal_ordered', ['ra', 'rb'], { 'group-by': ['User'] }),
  rule({ id: 'chain', correlation: { type: 'event_count', rules: ['event_count-ra'], 'group-by': ['User'], timespan: '30s', condition: { gte: 2 } } }),
];

const matchArb = fc.record({
  rule: fc.constantFrom('ra', 'rb', 'rc'),
  gap: fc.integer({ min: 0, max: 3000 }),
  user: fc.constantFrom('u1', 'u2', 'u3', undefined),
  host: fc.constantFrom('h1', 'h2'),
  n: fc.integer({ min: -2, max: 9 }),
  delay: fc.integer({ min: 0, max: 4000 }),
});

function materialize(xs: { rule: string; gap: number; user?: string; host: string; n: number; delay: number }[]) {
  let t = 1_000_000;
  return xs.map((x, i) => {
    t += x.gap;
    const fields = { User: x.user, Host: x.host, n: x.n };
    return { match: { ruleId: x.rule, time: t, eventId: `e${String(i).padStart(5, '0')}`, get: (f: string) => (fields as Record<string, unknown>)[f] }, arrival: t + x.delay };
  });
}

const canon = (hs: CorrelationHit[]) => hs.map((h) => JSON.stringify(h)).sort();

describe('properties', () => {
  it('live with reordering gives the same hits as the retro-hunt over sorted matches', () => {
    fc.assert(
      fc.property(fc.array(matchArb, { minLength: 1, maxLength: 150 }), (xs) => {
        const rules = ALL_RULES();
        const items = materialize(xs);
        const retro = retroHunt(rules, undefined, items.map((i) => i.match), { includeSuppressed: true });
        const live = new CorrelationEngine(rules, undefined, { lateness: 4000, includeSuppressed: true });
        const got: CorrelationHit[] = [];
        for (const it of [...items].sort((a, b) => a.arrival - b.arrival)) got.push(...live.observe(it.match));
        got.push(...live.flush(Infinity));
        expect(live.stats().late).toBe(0);
        expect(canon(got)).toEqual(canon(retro.hits));
      }),
      { numRuns: 150 },
    );
  });

  it('sliding event_count, temporal and temporal_ordered agree with brute-force oracles', () => {
    fc.assert(
      fc.property(
        // distinct timestamps: equal ones are ordered by a hash (documented), not by array order
        fc.array(fc.record({ rule: fc.constantFrom('oa', 'ob', 'oc'), gap: fc.integer({ min: 1, max: 4000 }), user: fc.constantFrom('u1', 'u2') }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('3s', '5s', '10s'),
        (xs, k, span) => {
          const spanMs = Number(span.slice(0, -1)) * 1000;
          let t = 0;
          const evs = xs.map((x, i) => ({ ...x, t: (t += x.gap), id: `e${String(i).padStart(4, '0')}` }));
          const rules = [
            rule({ id: 'count', correlation: { type: 'event_count', rules: ['oa', 'ob'], 'group-by': ['User'], timespan: span, condition: { gte: k } } }),
            rule({ id: 'temporal', correlation: { type: 'temporal', rules: ['oa', 'ob', 'oc'], 'group-by': ['User'], timespan: span } }),
            rule({ id: 'ordered', correlation: { type: 'temporal_ordered', rules: ['oa', 'ob', 'oc'], 'group-by': ['User'], timespan: span } }),
          ];
          const { hits } = run(rules, evs.map((e) => ({ ruleId: e.rule, time: e.t, eventId: e.id, get: (f: string) => (f === 'User' ? e.user : undefined) })));
          const got = hits.map((h) => `${h.ruleId}:${h.groupBy.User}@${h.time}`).sort();
          // oracles, straight from the documented semantics
          const want: string[] = [];
          for (const user of ['u1', 'u2']) {
            const mine = evs.filter((e) => e.user === user);
            let cnt: number[] = [];
            let last: Record<string, number> = {};
            let seqList: typeof mine = [];
            for (const e of mine) {
              if (e.rule !== 'oc') {
                cnt = [...cnt.filter((x) => x >= e.t - spanMs), e.t];
                if (cnt.length >= k) {
                  want.push(`count:${user}@${e.t}`);
                  cnt = [];
                }
              }
              last[e.rule] = e.t;
              if (['oa', 'ob', 'oc'].every((r) => last[r] !== undefined && last[r] >= e.t - spanMs)) {
                want.push(`temporal:${user}@${e.t}`);
                last = {};
              }
              seqList = [...seqList.filter((x) => x.t >= e.t - spanMs), e];
              let idx = 0;
              const order = ['oa', 'ob', 'oc'];
              for (const x of seqList) if (idx < 3 && x.rule === order[idx]) idx++;
              if (idx === 3) {
                want.push(`ordered:${user}@${e.t}`);
                seqList = [];
              }
            }
          }
          expect(got).toEqual(want.sort());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the async retro-hunt over a cursor gives the same hits', async () => {
    const rules = ALL_RULES();
    const items = materialize(Array.from({ length: 300 }, (_, i) => ({ rule: ['ra', 'rb', 'rc'][i % 3], gap: (i * 37) % 900, user: ['u1', 'u2', undefined][i % 3], host: i % 2 ? 'h1' : 'h2', n: i % 9, delay: 0 })));
    async function* cursor() {
      for (const it of items) yield it.match;
    }
    const a = retroHunt(rules, undefined, items.map((i) => i.match));
    const b = await retroHuntAsync(rules, undefined, cursor());
    expect(a.hits.length).toBeGreaterThan(0);
    expect(canon(b.hits)).toEqual(canon(a.hits));
    expect(b.stats.processed).toBe(a.stats.processed);
  });

  it('state stays bounded under a flood of distinct groups', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 200, max: 3000 }), (maxGroups, n) => {
        const rules = ALL_RULES();
        const engine = new CorrelationEngine(rules, undefined, { lateness: 0, maxGroups, maxEntriesPerGroup: 8 });
        for (let i = 0; i < n; i++) {
          engine.observe({ ruleId: ['ra', 'rb', 'rc'][i % 3], time: i, eventId: `e${i}`, get: (f) => (f === 'n' ? i % 10 : `${f}-${i}`) });
          if (i % 97 === 0) {
            const s = engine.stats();
            expect(s.groups).toBeLessThanOrEqual(maxGroups * rules.length);
            expect(s.windows).toBeLessThanOrEqual(maxGroups * rules.length * 2 + 1100);
          }
        }
        const s = engine.stats();
        expect(s.evictedLru).toBeGreaterThan(0);
        expect(s.groups).toBeLessThanOrEqual(maxGroups * rules.length);
      }),
      { numRuns: 30 },
    );
  });

  it('expired groups are dropped as time passes', () => {
    const r = corr('event_count', ['ra'], { 'group-by': ['User'], condition: { gte: 100 } });
    const engine = new CorrelationEngine([r], undefined, { lateness: 0 });
    for (let i = 0; i < 1000; i++) engine.observe(m('ra', i, { User: `u${i}` }));
    engine.flush(999);
    expect(engine.stats().groups).toBe(1000);
    engine.observe(m('ra', 1000 + 10 * S + 1, { User: 'late' }));
    engine.flush(1000 + 10 * S + 1);
    expect(engine.stats().groups).toBeLessThanOrEqual(1);
    expect(engine.stats().expired).toBeGreaterThanOrEqual(999);
  });

  it('a group of an event_count with a huge threshold keeps at most maxEntriesPerGroup buckets and never under-counts', () => {
    const r = corr('event_count', ['ra'], { condition: { gte: 5000 } });
    const engine = new CorrelationEngine([r], undefined, { lateness: 0, maxEntriesPerGroup: 16 });
    const hits: CorrelationHit[] = [];
    for (let i = 0; i < 5000; i++) hits.push(...engine.observe(m('ra', i)));
    hits.push(...engine.flush(Infinity));
    expect(hits.map((h) => h.value)).toEqual([5000]);
    expect(engine.stats().truncatedEntries).toBeGreaterThan(0);
    expect(hits[0].eventIds.length).toBe(16); // the entries the group still holds
  });
});

// ---------------------------------------------------------------- signals

describe('hitToSignal', () => {
  it('builds a sigma_correlation signal with ATT&CK refs and entities', () => {
    const r = corr('event_count', ['ra'], { 'group-by': ['ComputerName', 'TargetUserName', 'IpAddress'], condition: { gte: 1 } }, { level: 'high', tags: ['attack.stealth', 'attack.credential-access', 'attack.t1110.003', 'attack.defense-impairment', 'car.2013-01-002'] });
    const { hits } = run([r], [m('ra', 1234, { ComputerName: 'WS1', TargetUserName: 'admin', IpAddress: '192.0.2.4' }, 'evt-1')]);
    const sig = hitToSignal(hits[0], { tenant: 't1', now: 99 });
    expect(sig).toMatchObject({
      tenant: 't1',
      kind: 'sigma_correlation',
      detector: r.id,
      level: 'high',
      score: 75,
      time: 1234,
      createdAt: 99,
      eventIds: ['evt-1'],
      attack: { tactics: ['TA0005', 'TA0006'], techniques: ['T1110.003'] },
      entities: { host: 'WS1', targetUser: 'admin', srcIp: '192.0.2.4' },
    });
    expect(sig.details).toMatchObject({ correlationType: 'event_count', tags: r.tags, eventCount: 1, groupBy: { ComputerName: 'WS1' } });
    expect(sig.id).toMatch(/^[0-9a-f]{32}$/);
    expect(hitToSignal(hits[0], { tenant: 't1' }).id).toBe(sig.id);
  });
});
