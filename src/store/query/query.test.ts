import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { compileQuery, parseTimeValue, postgresDialect, sqliteDialect, toLike } from './compile.js';
import { ftsTokens, fts5Phrase, phraseMatches } from './fts.js';
import { parseQuery, QUERY_LIMITS } from './parser.js';

describe('parser', () => {
  it('builds the documented precedence: NOT > AND (implicit) > OR', () => {
    const ast = parseQuery('a:1 b:2 OR NOT c:3');
    expect(ast.type).toBe('or');
    if (ast.type !== 'or') return;
    expect(ast.children[0].type).toBe('and');
    expect(ast.children[1].type).toBe('not');
  });

  it('reads field operators, quoted values and escapes', () => {
    expect(parseQuery('x>=5')).toMatchObject({ type: 'compare', field: 'x', op: '>=', value: '5' });
    expect(parseQuery('x!=5')).toMatchObject({ type: 'not', child: { type: 'field', field: 'x' } });
    expect(parseQuery('CommandLine:"a b \\" c"')).toMatchObject({ type: 'field', value: { parts: [{ lit: 'a b " c' }], quoted: true } });
    expect(parseQuery('f:a\\*b')).toMatchObject({ type: 'field', value: { parts: [{ lit: 'a*b' }] } });
    // Windows paths keep their backslashes inside quotes.
    expect(parseQuery('Image:"C:\\Windows\\cmd.exe"')).toMatchObject({ value: { parts: [{ lit: 'C:\\Windows\\cmd.exe' }] } });
    expect(parseQuery('f:a**b')).toMatchObject({ value: { parts: [{ lit: 'a' }, { any: true }, { lit: 'b' }] } });
    expect(parseQuery('')).toEqual({ type: 'all' });
    expect(parseQuery('   *  ')).toEqual({ type: 'all' });
    expect(parseQuery('and or not')).toMatchObject({ type: 'and' }); // lower-case words are terms
  });

  it.each([
    ['a:1 AND', 8, 'expected a term'],
    ['(a:1', 5, "expected ')'"],
    ['a:1)', 4, "unmatched ')'"],
    ['()', 1, 'empty parentheses'],
    ['a:', 3, 'missing value'],
    ['"abc', 1, 'unterminated'],
    ['x>a*', 3, 'wildcards are not allowed'],
    ['NOT', 4, "after 'NOT'"],
    ['OR a', 1, "unexpected 'OR'"],
  ])('rejects %j with QUERY_INVALID at position %i', (q, pos, msg) => {
    let err: unknown;
    try {
      parseQuery(q);
    } catch (e) {
      err = e;
    }
    expect(isGarrisonError(err, 'QUERY_INVALID')).toBe(true);
    expect((err as { location: { column: number } }).location.column).toBe(pos);
    expect((err as Error).message).toContain(msg);
  });

  it('bounds depth, length, terms and wildcards', () => {
    expect(() => parseQuery('('.repeat(200) + 'a' + ')'.repeat(200))).toThrow(/nesting deeper/);
    expect(() => parseQuery('NOT '.repeat(200) + 'a')).toThrow(/nesting deeper/);
    expect(() => parseQuery('a '.repeat(QUERY_LIMITS.maxTerms + 1))).toThrow(/too many terms/);
    expect(() => parseQuery('x'.repeat(QUERY_LIMITS.maxLength + 1))).toThrow(/longer than/);
    expect(() => parseQuery('f:' + 'a*'.repeat(QUERY_LIMITS.maxWildcardsPerValue + 1))).toThrow(/too many wildcards/);
  });
});

describe('compiler', () => {
  it('turns wildcards into LIKE with escaping of %, _ and \\', () => {
    const p = (q: string) => (parseQuery(q) as { value: Parameters<typeof toLike>[0] }).value;
    expect(toLike(p('f:a*b?c'))).toBe('a%b_c');
    expect(toLike(p('f:100%_x'))).toBe('100\\%\\_x');
    expect(toLike(p('f:*x*'), false)).toBe('%x%');
    expect(toLike(p('f:x'), false)).toBe('%x%');
  });

  it('parses times: ISO (UTC unless zoned), ms epoch, relative', () => {
    expect(parseTimeValue('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    expect(parseTimeValue('2024-01-01T10:00:00')).toBe(Date.UTC(2024, 0, 1, 10));
    expect(parseTimeValue('2024-01-01T10:00:00+02:00')).toBe(Date.UTC(2024, 0, 1, 8));
    expect(parseTimeValue('1700000000000')).toBe(1700000000000);
    expect(parseTimeValue('-15m', 1_000_000)).toBe(100_000);
    expect(parseTimeValue('yesterday')).toBeUndefined();
    expect(parseTimeValue('2024-13-45')).toBeUndefined();
  });

  it('emits placeholders only (qmark for SQLite, $n for PostgreSQL)', () => {
    const q = 'user:"bob\' --" AND CommandLine:*x* AND "hello world" AND EventID>=4 AND time>=-1h';
    const s = compileQuery(q, sqliteDialect({ fts: true, watermark: 7 }));
    expect(s.where).not.toMatch(/bob|hello|4624/);
    expect((s.where.match(/\?/g) ?? []).length).toBe(s.params.length);
    expect(s.params).toContain('"hello world"');
    const pgc = compileQuery(q, postgresDialect());
    expect(pgc.where).not.toMatch(/bob|hello/);
    const nums = [...pgc.where.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...nums)).toBe(pgc.params.length);
    expect(new Set(nums).size).toBe(pgc.params.length);
  });

  it('quotes FTS5 phrases so query syntax in terms is inert', () => {
    expect(fts5Phrase(['a', 'b'], false)).toBe('"a b"');
    expect(fts5Phrase(['a'], true)).toBe('"a" *');
    expect(ftsTokens('Invoke-Mimikatz "NEAR(x)" OR c:\\cmd.exe')).toEqual(['invoke', 'mimikatz', 'near', 'x', 'or', 'c', 'cmd', 'exe']);
    expect(phraseMatches('run Invoke-Mimikatz now', ['invoke', 'mimi'], true)).toBe(true);
    expect(phraseMatches('run Invoke-Mimikatz now', ['mimikatz', 'invoke'], false)).toBe(false);
  });
});

describe('fuzzing against a real SQLite schema', () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE dict (id INTEGER PRIMARY KEY, kind TEXT, value TEXT);
    CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, time INTEGER, ingest_time INTEGER, tenant_id INTEGER, host_id INTEGER, user_id INTEGER, class_uid INTEGER, env TEXT, fields TEXT, raw TEXT);
    CREATE VIRTUAL TABLE events_fts USING fts5(raw, content='', contentless_delete=1);`);
  db.exec(`ATTACH ':memory:' AS fts; CREATE VIRTUAL TABLE fts.events_fts USING fts5(raw, content='', contentless_delete=1);`);
  db.function('garrison_num', (v: unknown) => (typeof v === 'number' ? v : null));
  db.function('garrison_fts', (_r: unknown, _t: unknown, _p: unknown) => 0);
  db.prepare("INSERT INTO events (id, time, ingest_time, tenant_id, class_uid, env, fields, raw) VALUES ('a', 1, 1, 1, 0, '{}', NULL, '{\"x\":1}')").run();
  afterAll(() => db.close());

  const alphabet = fc.constantFrom(...'ab:*?"\\()=<>!- ANDORNOT\'%_;\n\u0000é'.split(''), 'AND', 'OR', 'NOT', 'host:', 'fields.x:', 'time>=', '"');
  const queries = fc.oneof(fc.string({ maxLength: 60 }), fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')));

  it('random input either compiles to SQL that SQLite prepares and runs, or fails with QUERY_INVALID', () => {
    fc.assert(
      fc.property(queries, (q) => {
        let c;
        try {
          c = compileQuery(q, sqliteDialect({ fts: true, watermark: 0 }));
        } catch (e) {
          expect(isGarrisonError(e, 'QUERY_INVALID')).toBe(true);
          return;
        }
        expect((c.where.match(/\?/g) ?? []).length).toBe(c.params.length);
        db.prepare(`SELECT count(*) FROM events e WHERE ${c.where}`).get(...(c.params as unknown[]));
      }),
      { numRuns: 1500 },
    );
  });

  it('no value ever reaches the SQL text: the SQL depends only on the query shape', () => {
    const value = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/["\\*?]/.test(s));
    fc.assert(
      fc.property(value, value, (v1, v2) => {
        const a = compileQuery(`CommandLine:"${v1}" OR user:"${v1}"`, sqliteDialect());
        const b = compileQuery(`CommandLine:"${v2}" OR user:"${v2}"`, sqliteDialect());
        expect(a.where).toBe(b.where);
      }),
      { numRuns: 500 },
    );
  });
});
