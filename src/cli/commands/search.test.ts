import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtureEvents } from '../../store/contract.js';
import { defaultStorePath, openSqliteStore } from '../../store/index.js';
import { formatTable, register, terminalSafe } from './search.js';
import { isGarrisonError } from '../../core/errors.js';

describe('garrison search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'garrison-search-cli-'));
  beforeAll(async () => {
    const s = openSqliteStore({ file: defaultStorePath(dir) });
    await s.appendEvents(fixtureEvents());
    await s.close(); // the index is left behind on purpose: search must still be exact
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<{ out: string; err: string }> {
    const program = new Command().exitOverride();
    register(program);
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
    try {
      await program.parseAsync(['node', 'garrison', 'search', ...args]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    return { out, err };
  }

  it('prints JSON lines with --json and the compiled SQL with --explain on stderr', async () => {
    const { out, err } = await run(['mimikatz', '--data', dir, '--json', '--explain']);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; raw: string });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => /mimikatz/i.test(l.raw))).toBe(true);
    expect(err).toContain('SELECT');
    expect(err).toContain('events_fts MATCH'); // the read-only CLI uses the FTS index
    expect(err).toContain('mimikatz');
  });

  it('prints a table and honours --from/--to/--limit', async () => {
    const { out } = await run(['user:bob', '--data', dir, '--from', '2024-01-01T00:03:00Z', '--to', '2024-01-01T00:10:00Z', '--limit', '1']);
    expect(out).toMatch(/^TIME\s+HOST/);
    expect(out).toContain('2024-01-01T00:04:00.000Z');
    expect(out).toContain('1 event (more');
  });

  it('fails clearly on a bad query, a bad time and a missing store', async () => {
    for (const [args, code] of [
      [['user:(', '--data', dir], 'QUERY_INVALID'],
      [['x', '--data', dir, '--from', 'yesterday'], 'BAD_REQUEST'],
      [['x', '--data', join(dir, 'nope')], 'NOT_FOUND'],
    ] as const) {
      const e = await run([...args]).catch((x: unknown) => x);
      expect(isGarrisonError(e, code), String(args)).toBe(true);
    }
  });

  it('never lets event data drive the terminal', () => {
    expect(terminalSafe('a\u001b[31mred\u0007\u202eevil\nx')).toBe('a\uFFFD[31mred\uFFFD\uFFFDevil x');
    const ev = { ...fixtureEvents()[0], raw: '\u001b]0;pwned\u0007' };
    expect(formatTable([ev], 200)).not.toMatch(/[\u001b\u0007]/);
  });
});
