import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { busFromUrl, defaultConfig, loadConfig, storeFromUrl } from '../core/config.js';
import type { GarrisonError } from '../core/errors.js';
import { openConfiguredStore, describeStore } from '../surface/server/server.js';

const dir = mkdtempSync(join(tmpdir(), 'garrison-ccfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
type Problem = { message: string; location?: { file?: string; line?: number; field?: string } };
const problems = (f: () => unknown): Problem[] => {
  try {
    f();
  } catch (e) {
    const g = e as GarrisonError;
    expect(g.code).toBe('CONFIG_INVALID');
    return g.details!.problems as Problem[];
  }
  throw new Error('expected CONFIG_INVALID');
};

describe('store, bus and cluster configuration', () => {
  it('defaults are the embedded deployment: SQLite in dataDir, memory bus, role all', () => {
    const { config } = loadConfig({ env: {}, cwd: dir });
    expect(config.store).toEqual({ kind: 'sqlite' });
    expect(config.bus).toMatchObject({ kind: 'memory' });
    expect(config.cluster).toMatchObject({ role: 'all', engineWorkers: 'single', engineGroup: 'engine', liveFromBus: true });
    expect(describeStore(config)).toBe(join(dir, 'data', 'garrison.db'));
  });

  it('keeps SQLite sections written before `kind` existed working, file resolved against cwd', () => {
    const f = file('old.yaml', 'store:\n  file: rel/g.db\n  synchronous: FULL\n  fts: off\n');
    const { config } = loadConfig({ file: f, env: {}, cwd: dir });
    expect(config.store).toEqual({ kind: 'sqlite', file: join(dir, 'rel/g.db'), synchronous: 'FULL', fts: 'off' });
    expect(defaultConfig({ store: { fts: 'off' } }).store).toEqual({ kind: 'sqlite', fts: 'off' });
  });

  it('reads a PostgreSQL store and a NATS bus from YAML with their defaults', () => {
    const f = file('pg.yaml', 'store:\n  kind: postgres\n  url: postgres://g@db:5432/garrison\n  schema: prod\nbus:\n  kind: nats\n  servers: [nats://n1:4222, nats://n2:4222]\n  stream: PROD\ncluster:\n  role: engine\n  node: worker-1\n');
    const { config } = loadConfig({ file: f, env: {}, cwd: dir });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://g@db:5432/garrison', schema: 'prod', poolSize: 4, insertChunk: 2000, statementTimeoutMs: 60000 });
    expect(config.bus).toMatchObject({ kind: 'nats', servers: ['nats://n1:4222', 'nats://n2:4222'], stream: 'PROD', ackWaitMs: 30000 });
    expect(config.cluster).toMatchObject({ role: 'engine', node: 'worker-1' });
    expect(openConfiguredStore(config).constructor.name).toBe('PostgresStore');
  });

  it('GARRISON_STORE_URL / GARRISON_BUS_URL / GARRISON_ROLE override the file; flags override the environment', () => {
    const f = file('sqlite.yaml', 'store:\n  file: x.db\n  cacheMb: 32\nbus:\n  kind: memory\n  maxPending: 10\n');
    const env = { GARRISON_STORE_URL: 'postgres://a:pw@db1/g', GARRISON_STORE_SCHEMA: 'tenant_a', GARRISON_BUS_URL: 'nats://n1:4222,nats://n2:4222', GARRISON_BUS_STREAM: 'S1', GARRISON_ROLE: 'ingest', GARRISON_NODE: 'in-7' };
    const a = loadConfig({ file: f, env, cwd: dir }).config;
    // Another kind replaces the section (the SQLite settings would not apply to PostgreSQL).
    expect(a.store).toMatchObject({ kind: 'postgres', url: 'postgres://a:pw@db1/g', schema: 'tenant_a' });
    expect(a.bus).toMatchObject({ kind: 'nats', servers: ['nats://n1:4222', 'nats://n2:4222'], stream: 'S1' });
    expect(a.cluster).toMatchObject({ role: 'ingest', node: 'in-7' });
    expect(describeStore(a)).toBe('postgres postgres://a:***@db1/g schema tenant_a');
    const b = loadConfig({ file: f, env, cwd: dir, overrides: { storeUrl: 'postgres://b@db2/g', busUrl: 'nats://n3:4222', role: 'engine', node: 'w-1' } }).config;
    expect(b.store).toMatchObject({ kind: 'postgres', url: 'postgres://b@db2/g', schema: 'tenant_a' });
    expect(b.bus).toMatchObject({ kind: 'nats', servers: ['nats://n3:4222'] });
    expect(b.cluster).toMatchObject({ role: 'engine', node: 'w-1' });
    // Same kind: the other settings of the section stay.
    const c = loadConfig({ file: f, env: { GARRISON_STORE_URL: 'sqlite:other.db' }, cwd: dir }).config;
    expect(c.store).toEqual({ kind: 'sqlite', file: join(dir, 'other.db'), cacheMb: 32 });
    expect(loadConfig({ file: f, env: { GARRISON_BUS_URL: 'memory' }, cwd: dir }).config.bus).toMatchObject({ kind: 'memory', maxPending: 10 });
    // The schema and stream apply to the section the URL selected, wherever the URL came from.
    const d = loadConfig({ env: { GARRISON_STORE_SCHEMA: 's2', GARRISON_BUS_STREAM: 'S2' }, cwd: dir, overrides: { storeUrl: 'postgres://u@h/d', busUrl: 'nats://n:4222' } }).config;
    expect(d.store).toMatchObject({ kind: 'postgres', schema: 's2' });
    expect(d.bus).toMatchObject({ kind: 'nats', stream: 'S2' });
  });

  it('lists every problem of the new sections with where it came from, never echoing a password', () => {
    const f = file('bad.yaml', ['store:', '  kind: postgres', '  schema: Bad-Name', '  file: x.db', 'bus:', '  kind: nats', '  ackWaitMs: 5', 'cluster:', '  role: worker', '  engineWorkers: many', ''].join('\n'));
    const p = problems(() => loadConfig({ file: f, env: { GARRISON_BUS_URL: 'http://pw:secret@x' }, cwd: dir }));
    const at = (field: string) => p.find((x) => x.location?.field === field);
    expect(at('store.url')?.location).toMatchObject({ file: f, line: 1 });
    expect(at('store.schema')?.location).toMatchObject({ file: f, line: 3 });
    expect(p.some((x) => x.location?.field === 'store' && /file/.test(x.message))).toBe(true);
    expect(at('cluster.role')?.location).toMatchObject({ file: f, line: 9 });
    expect(at('cluster.engineWorkers')?.location).toMatchObject({ file: f, line: 10 });
    const bus = at('bus');
    expect(bus?.location?.file).toBe('env GARRISON_BUS_URL');
    expect(JSON.stringify(p)).not.toContain('secret');
    const q = problems(() => loadConfig({ env: { GARRISON_STORE_URL: 'mysql://root:hunter2@db/x', GARRISON_ROLE: 'boss' }, cwd: dir }));
    expect(q.map((x) => x.location?.file).sort()).toEqual(['env GARRISON_ROLE', 'env GARRISON_STORE_URL']);
    expect(JSON.stringify(q)).not.toContain('hunter2');
    const r = problems(() => loadConfig({ env: {}, cwd: dir, overrides: { role: 'x', storeUrl: 'postgres://' } }));
    expect(r.map((x) => x.location?.file).sort()).toEqual(['--role', '--store-url']);
  });

  it('URL parsing', () => {
    expect(storeFromUrl('postgresql://u@h:5432/d')).toEqual({ kind: 'postgres', url: 'postgresql://u@h:5432/d' });
    expect(storeFromUrl('sqlite:///var/lib/g.db')).toEqual({ kind: 'sqlite', file: '/var/lib/g.db' });
    expect(storeFromUrl('/var/lib/g.db')).toHaveProperty('problem');
    expect(busFromUrl('nats://a:4222, tls://b:4443')).toEqual({ kind: 'nats', servers: ['nats://a:4222', 'tls://b:4443'] });
    expect(busFromUrl('memory:')).toEqual({ kind: 'memory' });
    expect(busFromUrl('nats://a b')).toHaveProperty('problem');
    expect(busFromUrl('')).toHaveProperty('problem');
  });
});
