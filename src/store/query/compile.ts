/**
 * Compiles a parsed query into a parameterised SQL predicate over the events table (alias `e`).
 * Values never enter the SQL text: every value, pattern, JSON path and FTS expression is a bound
 * parameter. The backend-specific parts live in a Dialect (pySigma-style split): SQLite and
 * PostgreSQL below; the compiler itself decides semantics (wildcards, classes, times, full text).
 */
import { OCSF_CLASSES } from '../../core/event.js';
import { GarrisonError } from '../../core/errors.js';
import { resolveField, type FieldRef } from './fields.js';
import { fts5Phrase, ftsTokens } from './fts.js';
import { parseQuery, type CompareOp, type Pattern, type QueryNode } from './parser.js';

export class Params {
  readonly values: unknown[] = [];
  constructor(private readonly style: 'qmark' | 'dollar') {}
  add(v: unknown): string {
    this.values.push(v);
    return this.style === 'qmark' ? '?' : `$${this.values.length}`;
  }
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  newParams(): Params;
  /** Case-insensitive LIKE of a field against a LIKE pattern (escape char `\`). */
  like(ref: Exclude<FieldRef, { kind: 'class' } | { kind: 'time' }>, likePattern: string, p: Params): string;
  exists(ref: Exclude<FieldRef, { kind: 'class' } | { kind: 'time' }>, p: Params): string;
  /** Event class is one of `uids` (non-empty). */
  classIn(uids: number[], p: Params): string;
  /** Numeric comparison; non-numeric values never match. */
  compare(ref: Extract<FieldRef, { kind: 'env' } | { kind: 'fields' }>, op: CompareOp, n: number, p: Params): string;
  /** Full-text phrase over the raw event (tokens as cut by ftsTokens). */
  fullText(tokens: string[], prefix: boolean, p: Params): string;
  /** `NOT` with missing values counting as "not matching" (SQL three-valued logic made two-valued). */
  not(sql: string): string;
  readonly truth: string;
  readonly falsity: string;
}

/** LIKE pattern of a query pattern: `*`→`%`, `?`→`_`, with `\`, `%`, `_` escaped. */
export function toLike(p: Pattern, anchored = true): string {
  const parts = p.parts;
  let s = !anchored && !(parts.length > 0 && 'any' in parts[0]) ? '%' : '';
  for (const part of parts) {
    if ('lit' in part) s += part.lit.replace(/[\\%_]/g, (c) => '\\' + c);
    else if ('any' in part) s += '%';
    else s += '_';
  }
  if (!anchored && !(parts.length > 0 && 'any' in parts[parts.length - 1])) s += '%';
  return s;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const REL_RE = /^-(\d{1,9})(ms|s|m|h|d|w)$/;
const REL_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a time value: ms epoch, ISO 8601 (UTC unless a zone is given) or relative `-15m`/`-24h`/`-7d`. */
export function parseTimeValue(v: string, now = Date.now()): number | undefined {
  const s = v.trim();
  if (/^\d{1,15}$/.test(s)) return Number(s);
  const rel = REL_RE.exec(s);
  if (rel) return now - Number(rel[1]) * REL_UNIT[rel[2]];
  const m = ISO_RE.exec(s);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ? m[7].slice(0, 4) : ''}${m[8] ?? 'Z'}`;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

const NUM_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

export interface CompiledQuery {
  /** The query text as given. */
  text: string;
  /** SQL boolean expression over alias `e`. */
  where: string;
  params: unknown[];
  /** Did the query use full text (bare terms)? */
  usesFullText: boolean;
}

export interface CompileOptions {
  /** Reference time for relative times (`time>=-24h`). */
  now?: number;
  /** Continue numbering in an existing parameter list (the store adds its own conditions after). */
  params?: Params;
}

function err(msg: string, pos: number, text: string): GarrisonError {
  return new GarrisonError('QUERY_INVALID', `${msg} at position ${pos + 1}`, {
    location: { column: pos + 1 },
    details: { position: pos + 1, query: text.length > 200 ? text.slice(0, 200) + '…' : text },
  });
}

const CLASS_ENTRIES = Object.entries(OCSF_CLASSES) as [string, number][];

export function compileQuery(text: string, dialect: Dialect, opts: CompileOptions = {}): CompiledQuery {
  const ast = parseQuery(text);
  const p = opts.params ?? dialect.newParams();
  let usesFullText = false;
  const now = opts.now ?? Date.now();

  function leafField(node: Extract<QueryNode, { type: 'field' }>): string {
    const refs = resolveField(node.field);
    const parts = refs.map((ref) => fieldPredicate(ref, node));
    return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  }

  function fieldPredicate(ref: FieldRef, node: Extract<QueryNode, { type: 'field' }>): string {
    const pat = node.value;
    const onlyAny = pat.parts.length === 1 && 'any' in pat.parts[0];
    if (ref.kind === 'time') {
      throw err(`'${node.field}' is a time: use ${node.field}>=… and ${node.field}<… for ranges`, node.pos, text);
    }
    if (ref.kind === 'class') {
      if (onlyAny) return dialect.truth;
      const uids = new Set<number>();
      const re = likeToRegExp(pat);
      for (const [name, uid] of CLASS_ENTRIES) if (re.test(name) || re.test(String(uid))) uids.add(uid);
      if (uids.size === 0) return dialect.falsity;
      return dialect.classIn([...uids], p);
    }
    if (onlyAny) return dialect.exists(ref, p);
    let value = pat;
    if (ref.kind === 'interned' && ref.name === 'host') value = lowerPattern(pat);
    return dialect.like(ref, toLike(value), p);
  }

  function leafCompare(node: Extract<QueryNode, { type: 'compare' }>): string {
    const refs = resolveField(node.field);
    const parts = refs.map((ref) => {
      if (ref.kind === 'time') {
        const t = parseTimeValue(node.value, now);
        if (t === undefined) throw err(`'${node.value}' is not a time (ISO 8601, ms epoch, or -15m/-24h/-7d)`, node.pos, text);
        return `e.${ref.column} ${node.op} ${p.add(t)}`;
      }
      if (!NUM_RE.test(node.value)) throw err(`'${node.value}' is not a number`, node.pos, text);
      const n = Number(node.value);
      if (ref.kind === 'class') return `e.class_uid ${node.op} ${p.add(n)}`;
      if (ref.kind === 'env' || ref.kind === 'fields') return dialect.compare(ref, node.op, n, p);
      throw err(`'${node.field}' cannot be compared with ${node.op}`, node.pos, text);
    });
    return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  }

  function leafText(node: Extract<QueryNode, { type: 'text' }>): string {
    const parts = node.value.parts;
    const lits = parts.filter((x): x is { lit: string } => 'lit' in x);
    const pureLiteral = lits.length === parts.length;
    const trailingStar =
      parts.length === 2 && 'lit' in parts[0] && 'any' in parts[1] && /[\p{L}\p{N}\p{Co}]$/u.test(parts[0].lit);
    if (pureLiteral || trailingStar) {
      const tokens = ftsTokens(lits.map((l) => l.lit).join(''));
      if (tokens.length > 0) {
        usesFullText = true;
        return dialect.fullText(tokens, trailingStar, p);
      }
    }
    // Leading or inner wildcards, or no word characters at all: a substring scan of the raw text.
    return dialect.like({ kind: 'raw' }, toLike(node.value, false), p);
  }

  function walk(n: QueryNode): string {
    switch (n.type) {
      case 'all':
        return dialect.truth;
      case 'and':
        return `(${n.children.map(walk).join(' AND ')})`;
      case 'or':
        return `(${n.children.map(walk).join(' OR ')})`;
      case 'not':
        return dialect.not(walk(n.child));
      case 'field':
        return leafField(n);
      case 'compare':
        return leafCompare(n);
      case 'text':
        return leafText(n);
    }
  }

  const where = walk(ast);
  return { text, where, params: [...p.values], usesFullText };
}

function lowerPattern(p: Pattern): Pattern {
  return { ...p, parts: p.parts.map((x) => ('lit' in x ? { lit: x.lit.toLowerCase() } : x)) };
}

/** Case-insensitive anchored matcher for a pattern (used for the fixed OCSF class names only). */
function likeToRegExp(p: Pattern): RegExp {
  let s = '^';
  for (const part of p.parts) {
    if ('lit' in part) s += part.lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if ('any' in part) s += '.*';
    else s += '.';
  }
  return new RegExp(s + '$', 'i');
}

// ---------------------------------------------------------------------------------------------
// Dialects

/** JSON path for SQLite json_extract: `$."a"."b"` (names never contain `"`: the lexer forbids it). */
function sqlitePath(parts: string[]): string {
  return '$' + parts.map((x) => `."${x}"`).join('');
}

export interface SqliteDialectOptions {
  /** Is the FTS database attached as `fts`? */
  fts: boolean;
  /** Highest events rowid the FTS index is known to contain; rows above are scanned. */
  watermark: number;
  /**
   * The background key index `fts.ix_keys (kind, key, time, seq)` for host, user and class
   * terms: rows up to `watermark` are looked up there (within [from, to) when given, the
   * search's own time range), rows above are matched on the events row itself.
   */
  keys?: { watermark: number; from?: number; to?: number };
}

const KEY_KIND: Record<string, number> = { host: 0, user: 1, class: 2 };

export function sqliteDialect(o: SqliteDialectOptions = { fts: false, watermark: 0 }): Dialect {
  const valueExpr = (ref: FieldRef, p: Params): string => {
    switch (ref.kind) {
      case 'env':
        return `json_extract(e.env, ${p.add(sqlitePath(ref.path))})`;
      case 'fields':
        // fields is NULL when the raw text is the fields' JSON, '' when the fields are the raw
        // object with numbers as strings (see sqlite/store.ts): either way, read the raw text.
        if (!ref.name.includes('.')) return `json_extract(COALESCE(NULLIF(e.fields, ''), e.raw), ${p.add(sqlitePath([ref.name]))})`;
        return `COALESCE(json_extract(COALESCE(NULLIF(e.fields, ''), e.raw), ${p.add(sqlitePath([ref.name]))}), json_extract(COALESCE(NULLIF(e.fields, ''), e.raw), ${p.add(sqlitePath(ref.name.split('.')))}))`;
      case 'raw':
        return 'e.raw';
      case 'id':
        return 'e.id';
      default:
        throw new Error(`no value expression for ${ref.kind}`);
    }
  };
  /**
   * `e.<column> IN (<keys>)` through ix_keys: rows up to the keys watermark via the index,
   * rows above it on the column. `keysSql` adds its parameters when called, so it is called
   * once per textual occurrence (positional `?` parameters are bound in text order).
   */
  const viaKeys = (kind: string, column: string, keysSql: () => string, p: Params): string => {
    const k = o.keys;
    if (!k || KEY_KIND[kind] === undefined) return `e.${column} IN (${keysSql()})`;
    let sub = `SELECT x.seq FROM fts.ix_keys x WHERE x.kind = ${p.add(KEY_KIND[kind])} AND x.key IN (${keysSql()})`;
    if (k.from !== undefined) sub += ` AND x.time >= ${p.add(Math.trunc(k.from))}`;
    if (k.to !== undefined) sub += ` AND x.time < ${p.add(Math.trunc(k.to))}`;
    const wm = p.add(k.watermark);
    return `(e.rowid IN (${sub}) OR (e.rowid > ${wm} AND e.${column} IN (${keysSql()})))`;
  };
  return {
    name: 'sqlite',
    newParams: () => new Params('qmark'),
    like(ref, pat, p) {
      if (ref.kind === 'interned') {
        const dictIds = () => `SELECT d.id FROM dict d WHERE d.kind = ${p.add(ref.name)} AND d.value LIKE ${p.add(pat)} ESCAPE '\\'`;
        return viaKeys(ref.name, `${ref.name}_id`, dictIds, p);
      }
      return `${valueExpr(ref, p)} LIKE ${p.add(pat)} ESCAPE '\\'`;
    },
    exists(ref, p) {
      if (ref.kind === 'interned') return `e.${ref.name}_id IS NOT NULL`;
      return `${valueExpr(ref, p)} IS NOT NULL`;
    },
    compare(ref, op, n, p) {
      return `garrison_num(${valueExpr(ref, p)}) ${op} ${p.add(n)}`;
    },
    classIn(uids, p) {
      return viaKeys('class', 'class_uid', () => uids.map((u) => p.add(u)).join(', '), p);
    },
    fullText(tokens, prefix, p) {
      // Parameters are added in the order their placeholders appear in the text (positional `?`).
      const scan = (): string => `garrison_fts(e.raw, ${p.add(JSON.stringify(tokens))}, ${p.add(prefix ? 1 : 0)})`;
      if (!o.fts) return scan();
      const match = p.add(fts5Phrase(tokens, prefix));
      const wm = p.add(o.watermark);
      return `(e.rowid IN (SELECT rowid FROM fts.events_fts WHERE events_fts MATCH ${match}) OR (e.rowid > ${wm} AND ${scan()}))`;
    },
    not: (sql) => `NOT COALESCE(${sql}, 0)`,
    truth: '1',
    falsity: '0',
  };
}

export function postgresDialect(): Dialect {
  const valueExpr = (ref: FieldRef, p: Params): string => {
    switch (ref.kind) {
      case 'env':
        return `(e.env #>> ${p.add(ref.path)}::text[])`;
      case 'fields':
        if (!ref.name.includes('.')) return `(e.fields ->> ${p.add(ref.name)}::text)`;
        return `COALESCE(e.fields ->> ${p.add(ref.name)}::text, e.fields #>> ${p.add(ref.name.split('.'))}::text[])`;
      case 'raw':
        return 'e.raw';
      case 'id':
        return 'e.id';
      case 'interned':
        return ref.name === 'user' ? 'e.user_name' : `e.${ref.name}`;
      default:
        throw new Error(`no value expression for ${ref.kind}`);
    }
  };
  return {
    name: 'postgres',
    newParams: () => new Params('dollar'),
    like(ref, pat, p) {
      return `${valueExpr(ref, p)} ILIKE ${p.add(pat)}::text ESCAPE '\\'`;
    },
    exists(ref, p) {
      return `${valueExpr(ref, p)} IS NOT NULL`;
    },
    compare(ref, op, n, p) {
      return `garrison_num(${valueExpr(ref, p)}) ${op} ${p.add(n)}::double precision`;
    },
    classIn(uids, p) {
      return `e.class_uid IN (${uids.map((u) => p.add(u)).join(', ')})`;
    },
    fullText(tokens, prefix, p) {
      // Lexemes are alphanumeric runs (ftsTokens), quoted for to_tsquery all the same.
      const q = tokens.map((t, i) => `'${t.replace(/'/g, "''")}'${prefix && i === tokens.length - 1 ? ':*' : ''}`).join(' <-> ');
      return `e.tsv @@ to_tsquery('simple', ${p.add(q)}::text)`;
    },
    not: (sql) => `NOT COALESCE(${sql}, false)`,
    truth: 'true',
    falsity: 'false',
  };
}
