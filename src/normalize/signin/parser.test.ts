import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRecord } from '../registry.js';
import type { RawRecord } from '../types.js';
import { ingestPaths } from '../../ingest/file/ingest.js';
import { createPipeline, type Pipeline } from '../../ingest/pipeline.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/store.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const rec = (data: RawRecord['data'], format?: string): RawRecord => ({ data, origin: 's:1', input: 'test', tenant: 't', receivedAt: 0, format });

describe('Okta System Log', () => {
  const lines = readFileSync(path.join(FIX, 'okta.ndjson'), 'utf8').trim().split('\n');
  it('failed session start → authentication failure, Sigma okta/okta', () => {
    const r = parseRecord(rec(lines[0]));
    expect(r.ok && r.event.source).toMatchObject({ format: 'signin', product: 'okta', service: 'okta', eventCode: 'user.session.start' });
    expect(r.ok && r.event.class.name).toBe('authentication');
    expect(r.ok && r.event.entities).toMatchObject({ user: 'alice@example.com', userDomain: 'example.com', srcIp: '198.51.100.20', outcome: 'failure' });
    expect(r.ok && r.event.time).toBe(Date.UTC(2024, 3, 1, 10));
  });
  it('group membership change names the target user', () => {
    const r = parseRecord(rec(lines[1], 'okta:im2'));
    expect(r.ok && r.event.class.name).toBe('group_management');
    expect(r.ok && r.event.entities.targetUser).toBe('bob@example.com');
  });
});

describe('Entra ID sign-ins', () => {
  let dir: string;
  let store: SqliteStore;
  let pipeline: Pipeline;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'garrison-signin-'));
    store = openSqliteStore({ file: path.join(dir, 'g.db'), fts: 'off' });
    await store.init();
    pipeline = createPipeline({ store });
  });
  afterAll(async () => {
    await pipeline.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  it('diagnostic {"records":[...]} files are split and normalized (Sigma azure/signinlogs)', async () => {
    const s = await ingestPaths([path.join(FIX, 'azure-diagnostic.json')], { sink: pipeline });
    expect(s.perFile[0].container).toBe('json-records');
    expect(s.stored).toBe(2);
    const evs = (await store.search('*', { limit: 10 })).events.sort((a, b) => a.time - b.time);
    expect(evs[0].source).toMatchObject({ product: 'azure', service: 'signinlogs', channel: 'SignInLogs', eventCode: '50126' });
    expect(evs[0].entities).toMatchObject({ user: 'carol@contoso.com', userDomain: 'contoso.com', srcIp: '203.0.113.44', outcome: 'failure', host: 'LAPTOP-9', action: 'Azure Portal' });
    expect(evs[1].entities.outcome).toBe('success');
  });
  it('Graph signIn objects and Log Analytics rows', () => {
    const g = parseRecord(rec({ createdDateTime: '2024-04-02T09:00:00Z', userPrincipalName: 'dan@contoso.com', ipAddress: '192.0.2.9', status: { errorCode: 0 } }));
    expect(g.ok && g.event.entities).toMatchObject({ user: 'dan@contoso.com', srcIp: '192.0.2.9', outcome: 'success' });
    const la = parseRecord(rec({ TimeGenerated: '2024-04-02T09:00:00Z', UserPrincipalName: 'eve@contoso.com', IPAddress: '192.0.2.10', ResultType: '50053', ResultDescription: 'Account is locked' }));
    expect(la.ok && la.event.source.service).toBe('signinlogs');
    expect(la.ok && la.event.entities).toMatchObject({ user: 'eve@contoso.com', outcome: 'failure' });
    const notSignin = parseRecord(rec('{"hello":1}', 'signin'));
    expect(!notSignin.ok && notSignin.error.code).toBe('PARSE_UNKNOWN_FORMAT');
  });
});
