/**
 * The Store contract: every implementation runs this suite (SQLite in the unit suite,
 * PostgreSQL in postgres.integration.test.ts). It pins down the behaviour callers rely on:
 * append/get, duplicates, search semantics, time ranges, paging, signals, state, retention, close.
 *
 * Usage (inside a *.test.ts file):
 *   runStoreContract('sqlite', async () => ({ store: openSqliteStore({ file }), cleanup }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventId, OCSF_CLASSES, type GarrisonEvent, type OcsfClassName } from '../core/event.js';
import { isGarrisonError } from '../core/errors.js';
import type { Signal } from '../core/signal.js';
import type { Store } from './port.js';

export interface StoreUnderTest {
  store: Store;
  /** Called after close(): remove files / drop schemas. */
  cleanup?: () => Promise<void>;
  /** Implementation hook run before searches (e.g. wait for a background indexer); optional. */
  settle?: () => Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

const T0 = Date.UTC(2024, 0, 1); // 2024-01-01T00:00:00Z
const MIN = 60_000;

export interface FixtureSpec {
  at: number; // minutes after T0
  host?: string;
  user?: string;
  cls?: OcsfClassName;
  tenant?: string;
  fields: Record<string, unknown>;
  entities?: GarrisonEvent['entities'];
  product?: string;
  service?: string;
  eventCode?: string;
  raw?: string;
}

export function makeEvent(s: FixtureSpec, n: number): GarrisonEvent {
  const raw = s.raw ?? JSON.stringify(s.fields);
  const time = T0 + s.at * MIN;
  const tenant = s.tenant ?? 'default';
  const cls = s.cls ?? 'process_activity';
  return {
    id: eventId(time, tenant, `contract:${n}`, raw),
    time,
    ingestTime: time + 1000,
    tenant,
    source: { format: 'winlog', product: s.product ?? 'windows', service: s.service ?? 'sysmon', eventCode: s.eventCode, input: 'contract' },
    class: { uid: OCSF_CLASSES[cls], name: cls },
    entities: { host: s.host, user: s.user, ...(s.entities ?? {}) },
    fields: s.fields,
    raw,
  };
}

/** A small, varied data set: Sysmon process creations, logons, DNS, a syslog line with non-JSON raw. */
export function fixtureEvents(): GarrisonEvent[] {
  const specs: FixtureSpec[] = [
    { at: 0, host: 'WS01.corp.local', user: 'alice', eventCode: '1', fields: { EventID: 1, Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd.exe /c whoami', User: 'CORP\\alice' },
      entities: { process: { image: 'C:\\Windows\\System32\\cmd.exe', commandLine: 'cmd.exe /c whoami', pid: 4242 } } },
    { at: 1, host: 'WS01.corp.local', user: 'alice', eventCode: '1', fields: { EventID: 1, Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell -nop -enc SQBFAFgA Invoke-Mimikatz', User: 'CORP\\alice' },
      entities: { process: { image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', commandLine: 'powershell -nop -enc SQBFAFgA Invoke-Mimikatz', pid: 4343, parent: { image: 'C:\\Windows\\System32\\cmd.exe' } } } },
    { at: 2, host: 'WS02.corp.local', user: 'bob', eventCode: '1', fields: { EventID: 1, Image: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe', CommandLine: '"firefox.exe" https://example.org/a_b%20c', User: 'CORP\\bob' },
      entities: { process: { image: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe', pid: 100 } } },
    { at: 3, host: 'DC01.corp.local', user: 'bob', cls: 'authentication', service: 'security', eventCode: '4625', fields: { EventID: 4625, TargetUserName: 'bob', LogonType: 3, IpAddress: '10.0.0.66', Status: '0xc000006d' },
      entities: { srcIp: '10.0.0.66', logonType: 3, outcome: 'failure' } },
    { at: 4, host: 'DC01.corp.local', user: 'bob', cls: 'authentication', service: 'security', eventCode: '4624', fields: { EventID: 4624, TargetUserName: 'bob', LogonType: 10, IpAddress: '10.0.0.66' },
      entities: { srcIp: '10.0.0.66', logonType: 10, outcome: 'success' } },
    { at: 5, host: 'WS02.corp.local', user: 'carol', cls: 'dns_activity', eventCode: '22', fields: { EventID: 22, QueryName: 'evil-c2.example.net', Nested: { Deep: { Value: 'needle-in-nest' } }, 'Dotted.Key': 'literal-dotted' },
      entities: { domain: 'evil-c2.example.net' } },
    { at: 6, host: 'web-1', user: undefined, cls: 'base_event', product: 'linux', service: 'sshd', fields: { app: 'sshd', msg: 'Failed password for root from 203.0.113.9 port 2222 ssh2' },
      raw: '<38>Jan  1 00:06:00 web-1 sshd[811]: Failed password for root from 203.0.113.9 port 2222 ssh2', entities: { srcIp: '203.0.113.9', srcPort: 2222 } },
    { at: 7, host: 'WS03.corp.local', user: 'mallory', tenant: 'other', eventCode: '1', fields: { EventID: 1, CommandLine: 'mimikatz.exe privilege::debug', User: 'mallory' } },
    { at: 8, host: 'WS01.corp.local', user: 'alice', eventCode: '3', cls: 'network_activity', fields: { EventID: 3, DestinationIp: '198.51.100.7', DestinationPort: 443, Note: "O'Brien said \"hi\"; DROP TABLE events; --" },
      entities: { dstIp: '198.51.100.7', dstPort: 443 } },
    { at: 9, host: 'WS01.corp.local', user: 'Alice', eventCode: '1', fields: { EventID: 1, CommandLine: 'rundll32.exe C:\\Users\\Public\\x.dll,Start 100% done_ok', Count: '17' } },
  ];
  return specs.map((s, i) => makeEvent(s, i));
}

function signal(id: string, detector: string, at: number, tenant = 'default'): Signal {
  return {
    id,
    tenant,
    kind: 'sigma',
    detector,
    title: `signal ${id}`,
    level: 'high',
    score: 70,
    time: T0 + at * MIN,
    createdAt: T0 + at * MIN + 5,
    attack: { tactics: ['TA0002'], techniques: ['T1059.001'] },
    eventIds: ['e1'],
    entities: { host: 'WS01' },
    details: { matched: { CommandLine: 'x' } },
  };
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: Store;
    const events = fixtureEvents();
    const ids = (evs: GarrisonEvent[]): string[] => evs.map((e) => e.id).sort();
    const idsAt = (...ats: number[]): string[] => ats.map((a) => events.find((e) => e.time === T0 + a * MIN)!.id).sort();

    beforeEach(async () => {
      sut = await factory();
      store = sut.store;
      await store.init();
    });
    afterEach(async () => {
      await store.close();
      await sut.cleanup?.();
    });

    async function loaded(): Promise<void> {
      const r = await store.appendEvents(events);
      expect(r).toEqual({ stored: events.length, duplicates: 0 });
      await sut.settle?.();
    }
    async function hits(q: string, opts: Parameters<Store['search']>[1] = {}): Promise<string[]> {
      const r = await store.search(q, { limit: 1000, ...opts });
      return ids(r.events);
    }

    it('init is idempotent', async () => {
      await store.init();
      await store.init();
      expect(await store.countEvents()).toBe(0);
    });

    it('stores a batch and returns events exactly as given', async () => {
      await loaded();
      const got = await store.getEvents([events[6].id, events[0].id, 'nope']);
      expect(got.map((e) => e.id)).toEqual([events[6].id, events[0].id]);
      expect(got[0]).toEqual(JSON.parse(JSON.stringify(events[6])));
      expect(got[1]).toEqual(JSON.parse(JSON.stringify(events[0])));
      expect(got[0].raw).toBe(events[6].raw);
      expect(await store.countEvents()).toBe(events.length);
    });

    it('ignores and counts duplicate ids, within and across batches', async () => {
      const r1 = await store.appendEvents([events[0], events[1], events[0]]);
      expect(r1).toEqual({ stored: 2, duplicates: 1 });
      const r2 = await store.appendEvents([events[1], events[2]]);
      expect(r2).toEqual({ stored: 1, duplicates: 1 });
      expect(await store.countEvents()).toBe(3);
      expect(await store.appendEvents([])).toEqual({ stored: 0, duplicates: 0 });
    });

    it('rejects a malformed event with STORE_BAD_EVENT naming its index, storing nothing of that batch', async () => {
      const bad = { ...events[1], time: Number.NaN };
      const err = await store.appendEvents([events[0], bad]).catch((e: unknown) => e);
      expect(isGarrisonError(err, 'STORE_BAD_EVENT')).toBe(true);
      expect((err as { location?: { index?: number } }).location?.index).toBe(1);
      expect(await store.countEvents()).toBe(0);
    });

    it('keeps tenants apart in get, count and search', async () => {
      await loaded();
      expect(await store.countEvents({ tenant: 'other' })).toBe(1);
      expect(await store.getEvents([events[7].id], 'default')).toEqual([]);
      expect(await hits('mimikatz', { tenant: 'default' })).toEqual(idsAt(1));
      expect(await hits('mimikatz')).toEqual(idsAt(1, 7));
    });

    it('counts by time range (from inclusive, to exclusive)', async () => {
      await loaded();
      expect(await store.countEvents({ from: T0 + 2 * MIN, to: T0 + 5 * MIN })).toBe(3);
      expect(await store.countEvents({ from: T0 + 9 * MIN })).toBe(1);
    });

    describe('search language', () => {
      beforeEach(loaded);

      it('field:value on envelope fields is case-insensitive; host uses the host key', async () => {
        expect(await hits('user:bob')).toEqual(idsAt(2, 3, 4));
        expect(await hits('user:ALICE')).toEqual(idsAt(0, 1, 8, 9));
        expect(await hits('host:ws01.corp.local')).toEqual(idsAt(0, 1, 8, 9));
        expect(await hits('host:WS0?.corp.local')).toEqual(idsAt(0, 1, 2, 5, 7, 8, 9));
        expect(await hits('event_code:4625')).toEqual(idsAt(3));
        expect(await hits('service:sshd')).toEqual(idsAt(6));
        expect(await hits('src_ip:10.0.0.66')).toEqual(idsAt(3, 4));
        expect(await hits('ip:203.0.113.9')).toEqual(idsAt(6));
        expect(await hits('domain:*.example.net')).toEqual(idsAt(5));
        expect(await hits('process.image:*\\\\powershell.exe')).toEqual(idsAt(1));
        expect(await hits('parent.image:*cmd.exe')).toEqual(idsAt(1));
      });

      it('class by OCSF name, wildcard or uid', async () => {
        expect(await hits('class:authentication')).toEqual(idsAt(3, 4));
        expect(await hits('class:dns*')).toEqual(idsAt(5));
        expect(await hits('class:4001')).toEqual(idsAt(8));
        expect(await hits('class:no_such_class')).toEqual([]);
      });

      it('original fields: fields.X, bare unknown names, nested paths and literal dotted keys', async () => {
        expect(await hits('fields.EventID:4625')).toEqual(idsAt(3));
        expect(await hits('EventID:1')).toEqual(idsAt(0, 1, 2, 7, 9));
        expect(await hits('TargetUserName:BOB')).toEqual(idsAt(3, 4));
        expect(await hits('fields.Nested.Deep.Value:needle*')).toEqual(idsAt(5));
        expect(await hits('fields.Dotted.Key:literal-dotted')).toEqual(idsAt(5));
        expect(await hits('app:sshd')).toEqual(idsAt(6));
      });

      it('wildcards * and ?; LIKE metacharacters % and _ are literal', async () => {
        expect(await hits('CommandLine:*whoami')).toEqual(idsAt(0));
        expect(await hits('CommandLine:cmd.exe*')).toEqual(idsAt(0));
        expect(await hits('CommandLine:*100%*')).toEqual(idsAt(9));
        expect(await hits('CommandLine:*done_ok')).toEqual(idsAt(9));
        expect(await hits('CommandLine:*done?ok')).toEqual(idsAt(9));
        expect(await hits('CommandLine:*a_b%20c')).toEqual(idsAt(2));
        expect(await hits('CommandLine:*x_b*')).toEqual([]);
        expect(await hits('QueryName:*')).toEqual(idsAt(5));
      });

      it('quoted values and phrases', async () => {
        expect(await hits('CommandLine:"cmd.exe /c whoami"')).toEqual(idsAt(0));
        expect(await hits('"Failed password for root"')).toEqual(idsAt(6));
        expect(await hits('"password root"')).toEqual([]);
        expect(await hits('Image:"C:\\Program Files\\Mozilla Firefox\\firefox.exe"')).toEqual(idsAt(2));
      });

      it('bare terms are full-text words over the raw event; trailing * is a prefix; leading * a substring', async () => {
        expect(await hits('mimikatz')).toEqual(idsAt(1, 7));
        expect(await hits('MIMIKATZ')).toEqual(idsAt(1, 7));
        expect(await hits('mimi')).toEqual([]);
        expect(await hits('mimi*')).toEqual(idsAt(1, 7));
        expect(await hits('*katz')).toEqual(idsAt(1, 7));
        expect(await hits('sshd')).toEqual(idsAt(6)); // word in the raw syslog line
        expect(await hits('whoami')).toEqual(idsAt(0));
        expect(await hits('powershell.exe')).toEqual(idsAt(1));
      });

      it('AND, OR, NOT, implicit AND and parentheses; NOT includes events without the field', async () => {
        expect(await hits('user:alice AND EventID:1')).toEqual(idsAt(0, 1, 9));
        expect(await hits('user:alice EventID:1')).toEqual(idsAt(0, 1, 9));
        expect(await hits('user:alice OR user:carol')).toEqual(idsAt(0, 1, 5, 8, 9));
        expect(await hits('host:DC01* AND NOT EventID:4625')).toEqual(idsAt(4));
        expect(await hits('NOT user:*')).toEqual(idsAt(6));
        expect(await hits('(user:bob OR user:carol) AND (EventID:22 OR EventID:4624)')).toEqual(idsAt(4, 5));
        expect(await hits('user:bob OR user:carol AND EventID:22')).toEqual(idsAt(2, 3, 4, 5));
        expect(await hits('user!=alice AND tenant:default')).toEqual(idsAt(2, 3, 4, 5, 6));
      });

      it('numeric comparisons on original and envelope fields; non-numbers never match', async () => {
        expect(await hits('EventID>=4624')).toEqual(idsAt(3, 4));
        expect(await hits('EventID<3')).toEqual(idsAt(0, 1, 2, 7, 9));
        expect(await hits('LogonType>3')).toEqual(idsAt(4));
        expect(await hits('dst_port<=443')).toEqual(idsAt(8));
        expect(await hits('Count>10')).toEqual(idsAt(9)); // "17" as a string still compares as a number
        expect(await hits('Status>0')).toEqual([]); // "0xc000006d" is not a number
      });

      it('time ranges in the query and in the options', async () => {
        expect(await hits('time>=2024-01-01T00:03:00Z AND time<2024-01-01T00:05:00Z')).toEqual(idsAt(3, 4));
        expect(await hits(`time>=${T0 + 8 * MIN}`)).toEqual(idsAt(8, 9));
        expect(await hits('', { from: T0 + 2 * MIN, to: T0 + 4 * MIN })).toEqual(idsAt(2, 3));
        expect(await hits('user:bob', { from: T0 + 3 * MIN })).toEqual(idsAt(3, 4));
        expect(await hits('*')).toHaveLength(events.length);
      });

      it('returns the parameterised SQL and parameters; values never appear in the SQL text', async () => {
        const r = await store.search('CommandLine:"evil\' OR 1=1 --" OR mimikatz');
        expect(r.query.text).toBe('CommandLine:"evil\' OR 1=1 --" OR mimikatz');
        expect(r.query.sql).not.toContain('evil');
        expect(r.query.sql).not.toContain('mimikatz');
        expect(r.query.params.some((p) => typeof p === 'string' && p.includes("evil' OR 1=1 --"))).toBe(true);
        expect(ids(r.events)).toEqual(idsAt(1, 7));
      });

      it('injection attempts are inert', async () => {
        for (const q of [
          `Note:"O'Brien said \\"hi\\"; DROP TABLE events; --"`,
          `user:"x' OR '1'='1"`,
          `"'; DELETE FROM events; --"`,
          `fields.a')) OR 1=1 --:x`,
          `host:"\\"); DROP TABLE events; --"`,
        ]) {
          await store.search(q).catch((e: unknown) => {
            expect(isGarrisonError(e, 'QUERY_INVALID')).toBe(true);
          });
        }
        expect(await hits(`Note:"O'Brien said \\"hi\\"; DROP TABLE events; --"`)).toEqual(idsAt(8));
        expect(await hits(`user:"x' OR '1'='1"`)).toEqual([]);
        expect(await store.countEvents()).toBe(events.length);
      });

      it('rejects malformed queries with QUERY_INVALID and a position', async () => {
        for (const [q, pos] of [['user:alice AND', 15], ['(user:alice', 12], ['user:', 6], ['"unterminated', 1], ['EventID>abc', 9], ['time>=yesterday', 7]] as const) {
          const e = await store.search(q).catch((x: unknown) => x);
          expect(isGarrisonError(e, 'QUERY_INVALID'), q).toBe(true);
          expect((e as { location?: { column?: number } }).location?.column, q).toBe(pos);
        }
      });

      it('pages with an opaque cursor, newest first by default, each event exactly once', async () => {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const r = await store.search('tenant:*', { limit: 3, cursor });
          seen.push(...r.events.map((e) => e.id));
          const times = r.events.map((e) => e.time);
          expect(times).toEqual([...times].sort((a, b) => b - a));
          cursor = r.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        expect(pages).toBe(4);
        expect(seen.sort()).toEqual(ids(events));
        const asc = await store.search('', { order: 'asc', limit: 2 });
        expect(asc.events.map((e) => e.time)).toEqual([T0, T0 + MIN]);
        const next = await store.search('', { order: 'asc', limit: 2, cursor: asc.nextCursor });
        expect(next.events.map((e) => e.time)).toEqual([T0 + 2 * MIN, T0 + 3 * MIN]);
        const bad = await store.search('', { cursor: 'bm90IGEgY3Vyc29y' }).catch((e: unknown) => e);
        expect(isGarrisonError(bad, 'STORE_BAD_CURSOR')).toBe(true);
      });
    });

    it('stores and queries signals by tenant, detector and time, newest first; same id replaces', async () => {
      await store.appendSignals([signal('s1', 'rule-a', 1), signal('s2', 'rule-b', 2), signal('s3', 'rule-a', 3), signal('s4', 'rule-a', 4, 'other')]);
      expect((await store.querySignals({ tenant: 'default' })).map((s) => s.id)).toEqual(['s3', 's2', 's1']);
      expect((await store.querySignals({ detector: 'rule-a', tenant: 'default' })).map((s) => s.id)).toEqual(['s3', 's1']);
      expect((await store.querySignals({ from: T0 + 2 * MIN, to: T0 + 4 * MIN })).map((s) => s.id)).toEqual(['s3', 's2']);
      expect((await store.querySignals({ limit: 1 })).map((s) => s.id)).toEqual(['s4']);
      const full = (await store.querySignals({ detector: 'rule-b' }))[0];
      expect(full).toEqual(signal('s2', 'rule-b', 2));
      await store.appendSignals([{ ...signal('s2', 'rule-b', 2), score: 99 }]);
      expect((await store.querySignals({ detector: 'rule-b' }))[0].score).toBe(99);
      expect((await store.getSignals(['s3', 'nope', 's1', 's3'])).map((s) => s.id)).toEqual(['s3', 's1']);
      expect((await store.getSignals(['s4', 's1'], 'other')).map((s) => s.id)).toEqual(['s4']);
      expect(await store.getSignals([])).toEqual([]);
      expect((await store.getSignals(['s2']))[0].score).toBe(99);
    });

    it('stores records per collection: replace by id, filter by tenant/status/ref/updatedSince, newest-updated first', async () => {
      const rec = (id: string, status: string, updatedAt: number, ref = '', tenant = 'default') => ({
        id,
        tenant,
        status,
        ref,
        createdAt: 1,
        updatedAt,
        doc: { id, title: `incident ${id} <script>`, nested: { list: [1, 'two', null] } },
      });
      await store.putRecords('incidents', [rec('i1', 'open', 10), rec('i2', 'closed', 20), rec('i3', 'open', 30, '', 'other')]);
      await store.putRecords('actions', [rec('a1', 'pending', 5, 'i1'), rec('a2', 'done', 6, 'i1'), rec('i1', 'done', 7, 'i2')]);
      expect(await store.getRecord('incidents', 'i1')).toEqual(rec('i1', 'open', 10));
      expect(await store.getRecord('incidents', 'nope')).toBeUndefined();
      expect((await store.listRecords('incidents')).map((r) => r.id)).toEqual(['i3', 'i2', 'i1']);
      expect((await store.listRecords('incidents', { tenant: 'default' })).map((r) => r.id)).toEqual(['i2', 'i1']);
      expect((await store.listRecords('incidents', { status: ['open'] })).map((r) => r.id)).toEqual(['i3', 'i1']);
      expect((await store.listRecords('incidents', { status: [] })).map((r) => r.id)).toEqual([]);
      expect((await store.listRecords('incidents', { updatedSince: 20 })).map((r) => r.id)).toEqual(['i3', 'i2']);
      expect((await store.listRecords('actions', { ref: 'i1' })).map((r) => r.id)).toEqual(['a2', 'a1']);
      expect((await store.getRecord('actions', 'i1'))?.ref).toBe('i2');
      await store.putRecords('incidents', [{ ...rec('i1', 'closed', 40), doc: { id: 'i1', title: 'merged' } }]);
      expect(await store.getRecord('incidents', 'i1')).toMatchObject({ status: 'closed', updatedAt: 40, doc: { title: 'merged' } });
      const bad = await store.putRecords('incidents', [{ id: '', tenant: 'x' } as never]).catch((e: unknown) => e);
      expect(isGarrisonError(bad, 'BAD_REQUEST')).toBe(true);
      const badColl = await store.listRecords('nope' as never).catch((e: unknown) => e);
      expect(isGarrisonError(badColl, 'BAD_REQUEST')).toBe(true);
    });

    it('keeps a hash-chained append-only audit log that verifies', async () => {
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 0 });
      const a = await store.appendAudit({ time: T0, actor: 'policy:auto', action: 'action.execute', target: 'act-1', doc: { b: 2, a: [1, { z: 'ü', y: null }] } });
      const b = await store.appendAudit({ time: T0 + 1, actor: 'user:alice', action: 'action.approve', doc: { reason: 'confirmed' } });
      await Promise.all([1, 2, 3].map((i) => store.appendAudit({ actor: 'system', action: 'x', target: `t${i}`, doc: { i } })));
      expect(a.seq).toBe(1);
      expect(b.prevHash).toBe(a.hash);
      expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
      const all = await store.listAudit();
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all[0]).toEqual(a);
      expect((await store.listAudit({ afterSeq: 3 })).map((e) => e.seq)).toEqual([4, 5]);
      expect((await store.listAudit({ target: 'act-1' })).map((e) => e.seq)).toEqual([1]);
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 5 });
      const bad = await store.appendAudit({ actor: '', action: 'x', doc: {} }).catch((e: unknown) => e);
      expect(isGarrisonError(bad, 'BAD_REQUEST')).toBe(true);
    });

    it('keeps key/value state', async () => {
      expect(await store.getState('cursor:x')).toBeUndefined();
      await store.setState('cursor:x', '1');
      await store.setState('cursor:x', '2');
      await store.setState('other', 'ünïcode ✓');
      expect(await store.getState('cursor:x')).toBe('2');
      expect(await store.getState('other')).toBe('ünïcode ✓');
    });

    it('applies retention by age', async () => {
      const now = Date.now();
      const old = makeEvent({ at: 0, fields: { k: 'old' } }, 100);
      const recent = { ...makeEvent({ at: 0, fields: { k: 'recent' } }, 101) };
      recent.time = now - 1000;
      recent.id = eventId(recent.time, 'default', 'contract:101', recent.raw);
      await store.appendEvents([old, recent]);
      const r = await store.applyRetention({ maxAgeMs: 24 * 3600 * 1000 });
      expect(r.deleted).toBe(1);
      expect((await store.getEvents([old.id, recent.id])).map((e) => e.id)).toEqual([recent.id]);
      await sut.settle?.();
      expect(await hits('old')).toEqual([]);
    });

    it('applies retention by size, deleting the oldest first', async () => {
      const many = Array.from({ length: 50 }, (_, i) => makeEvent({ at: i, fields: { i, pad: 'x'.repeat(200) } }, 200 + i));
      await store.appendEvents(many);
      expect((await store.applyRetention({ maxBytes: Number.MAX_SAFE_INTEGER })).deleted).toBe(0);
      const r = await store.applyRetention({ maxBytes: 1 });
      expect(r.deleted).toBe(50);
      await store.appendEvents(many);
      // Each event is well over 200 bytes: keeping under 5,000 bytes keeps at most the newest 25.
      const r2 = await store.applyRetention({ maxBytes: 5_000 });
      expect(r2.deleted).toBeGreaterThanOrEqual(25);
      expect(r2.deleted).toBeGreaterThan(0);
      const left = await store.search('', { order: 'asc', limit: 100 });
      expect(left.events.length).toBe(50 - r2.deleted);
      expect(left.events[left.events.length - 1].id).toBe(many[49].id);
      expect(left.events[0].time).toBeGreaterThan(many[0].time);
    });

    it('refuses use after close with STORE_CLOSED; close is idempotent', async () => {
      await store.close();
      await store.close();
      for (const call of [() => store.appendEvents(events), () => store.search('x'), () => store.getState('k'), () => store.countEvents()]) {
        const e = await call().catch((x: unknown) => x);
        expect(isGarrisonError(e, 'STORE_CLOSED')).toBe(true);
      }
    });
  });
}
