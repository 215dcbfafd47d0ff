import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GarrisonError } from './errors.js';
import { loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'garrison-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const problems = (f: () => unknown): { message: string; location?: { file?: string; line?: number; field?: string } }[] => {
  try {
    f();
  } catch (e) {
    const g = e as GarrisonError;
    expect(g.code).toBe('CONFIG_INVALID');
    return (g.details!.problems as never[]) ?? [];
  }
  throw new Error('expected CONFIG_INVALID');
};

describe('configuration', () => {
  it('has working defaults: port 8080, ./data, loopback', () => {
    const { config } = loadConfig({ env: {}, cwd: dir });
    expect(config.server.port).toBe(8080);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.hec.ack.enabled).toBe(true);
  });

  it('reads YAML, then env, then flags, in increasing precedence', () => {
    const f = file('ok.yaml', 'server:\n  port: 9000\n  host: 0.0.0.0\ndataDir: /var/lib/g\nhec:\n  maxEventBytes: 4096\n');
    const { config } = loadConfig({ file: f, env: { GARRISON_PORT: '9100', GARRISON_LOG_LEVEL: 'debug' }, overrides: { host: '::1' }, cwd: dir });
    expect(config.server.port).toBe(9100);
    expect(config.server.host).toBe('::1');
    expect(config.dataDir).toBe('/var/lib/g');
    expect(config.hec.maxEventBytes).toBe(4096);
    expect(config.logging.level).toBe('debug');
    expect(loadConfig({ file: f, env: { GARRISON_PORT: '9100' }, overrides: { port: '0' }, cwd: dir }).config.server.port).toBe(0);
  });

  it('adds GARRISON_API_TOKEN and GARRISON_HEC_TOKEN as tokens named env', () => {
    const { config } = loadConfig({ env: { GARRISON_API_TOKEN: 'a'.repeat(20), GARRISON_HEC_TOKEN: 'b'.repeat(20) }, cwd: dir });
    expect(config.auth.apiTokens).toEqual([{ name: 'env', token: 'a'.repeat(20) }]);
    expect(config.auth.hecTokens[0]).toMatchObject({ name: 'env', token: 'b'.repeat(20), disabled: false });
  });

  it('lists every problem with its path and file:line, not just the first', () => {
    const f = file(
      'bad.yaml',
      ['server:', '  port: 99999', '  hots: x', 'hec:', '  maxEventBytes: "big"', 'auth:', '  apiTokens:', '    - name: a', '      token: short', 'logging:', '  level: loud', ''].join('\n'),
    );
    const p = problems(() => loadConfig({ file: f, env: {}, cwd: dir }));
    const byField = Object.fromEntries(p.map((x) => [x.location?.field, x]));
    expect(p.length).toBeGreaterThanOrEqual(5);
    expect(byField['server.port'].location).toMatchObject({ file: f, line: 2 });
    expect(byField['server'].message).toMatch(/hots/);
    expect(byField['server'].location?.line).toBe(3);
    expect(byField['hec.maxEventBytes'].location?.line).toBe(5);
    expect(byField['auth.apiTokens.0.token'].location?.line).toBe(9);
    expect(byField['logging.level'].location?.line).toBe(11);
  });

  it('names the environment variable or flag behind a bad value', () => {
    const p = problems(() => loadConfig({ env: { GARRISON_PORT: 'eighty', GARRISON_API_TOKEN: 'short' }, overrides: { host: '' }, cwd: dir }));
    const files = p.map((x) => x.location?.file).sort();
    expect(files).toEqual(['--host', 'env GARRISON_API_TOKEN', 'env GARRISON_PORT']);
  });

  it('reports YAML syntax errors with their line, and a missing file', () => {
    const f = file('syntax.yaml', 'server:\n  port: 1\n  port: 2\nhec: [\n');
    const p = problems(() => loadConfig({ file: f, env: {}, cwd: dir }));
    expect(p.length).toBeGreaterThanOrEqual(1);
    expect(p.every((x) => x.location?.file === f && typeof x.location?.line === 'number')).toBe(true);
    expect(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_NOT_FOUND' }));
  });

  it('rejects a token given both in clear and as a hash, and duplicate names', () => {
    const f = file('tok.yaml', `auth:\n  hecTokens:\n    - name: a\n      token: ${'x'.repeat(20)}\n      sha256: '${'0'.repeat(64)}'\n    - name: b\n      token: ${'y'.repeat(20)}\n    - name: b\n      token: ${'z'.repeat(20)}\n`);
    const p = problems(() => loadConfig({ file: f, env: {}, cwd: dir }));
    expect(p[0].message).toMatch(/exactly one of token or sha256/);
    const f2 = file('dup.yaml', `auth:\n  hecTokens:\n    - name: b\n      token: ${'y'.repeat(20)}\n    - name: b\n      token: ${'z'.repeat(20)}\n`);
    const p2 = problems(() => loadConfig({ file: f2, env: {}, cwd: dir }));
    expect(p2[0].message).toMatch(/duplicate token name "b"/);
    expect(p2[0].location?.line).toBe(5);
  });
});

describe('config/garrison.example.yaml', () => {
  it('is valid and documents every top-level section of the schema', async () => {
    const { fileURLToPath } = await import('node:url');
    const { readFileSync } = await import('node:fs');
    const { ConfigSchema } = await import('./config.js');
    const example = join(fileURLToPath(new URL('../..', import.meta.url)), 'config/garrison.example.yaml');
    const { config } = loadConfig({ file: example, env: {}, cwd: dir });
    expect(config.auth.hecTokens.map((t) => t.name)).toEqual(['winlogbeat', 'retired']);
    const text = readFileSync(example, 'utf8');
    for (const key of Object.keys(ConfigSchema.shape)) expect(text).toMatch(new RegExp(`^${key}:`, 'm'));
  });
});

describe('sources section', () => {
  it('validates each source with its kind schema and locates problems by line', () => {
    const f = file('src.yaml', ['sources:', '  - kind: syslog', '    protocol: udp', '    port: 5514', '  - kind: syslog', '    protocol: carrier-pigeon', '  - kind: nope', ''].join('\n'));
    const p = problems(() => loadConfig({ file: f, env: {}, cwd: dir }));
    const byField = Object.fromEntries(p.map((x) => [x.location?.field, x]));
    expect(byField['sources.1.protocol'].location?.line).toBe(6);
    expect(byField['sources.2.kind'].message).toMatch(/unknown source kind "nope"/);
    expect(byField['sources.2.kind'].location?.line).toBe(7);
  });
});
