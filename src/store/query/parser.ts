/**
 * Garrison's hunter search language: lexer and recursive-descent parser producing an AST.
 * The grammar is documented in docs/search.md. Parsing is linear in the query length; the
 * nesting depth and the number of terms are bounded so hostile queries cannot blow the stack.
 *
 *   query    := orExpr? EOF
 *   orExpr   := andExpr ( "OR" andExpr )*
 *   andExpr  := notExpr ( "AND"? notExpr )*          (juxtaposition = AND)
 *   notExpr  := "NOT" notExpr | primary
 *   primary  := "(" orExpr ")" | field OP value | term
 *   OP       := ":" | "=" | "!=" | ">" | ">=" | "<" | "<="
 *   value    := WORD | "quoted string"
 *   term     := WORD | "quoted phrase"                 (full-text over the raw event)
 */
import { GarrisonError } from '../../core/errors.js';

/** A value with wildcards: literal text interleaved with `*` (any run) and `?` (one char). */
export type PatternPart = { lit: string } | { any: true } | { one: true };
export interface Pattern {
  parts: PatternPart[];
  /** The value as the user wrote it after unescaping (wildcards kept as * and ?). */
  text: string;
  quoted: boolean;
}

export type CompareOp = '>' | '>=' | '<' | '<=';

export type QueryNode =
  | { type: 'all' }
  | { type: 'and'; children: QueryNode[] }
  | { type: 'or'; children: QueryNode[] }
  | { type: 'not'; child: QueryNode }
  | { type: 'field'; field: string; value: Pattern; pos: number }
  | { type: 'compare'; field: string; op: CompareOp; value: string; pos: number }
  | { type: 'text'; value: Pattern; pos: number };

export const QUERY_LIMITS = {
  maxLength: 8192,
  maxDepth: 64,
  maxTerms: 256,
  maxWildcardsPerValue: 16,
} as const;

type Tok =
  | { t: 'lparen'; pos: number }
  | { t: 'rparen'; pos: number }
  | { t: 'and' | 'or' | 'not'; pos: number }
  | { t: 'word'; pos: number; end: number; raw: string }
  | { t: 'quoted'; pos: number; end: number; raw: string };

function invalid(msg: string, pos: number, query: string): GarrisonError {
  return new GarrisonError('QUERY_INVALID', `${msg} at position ${pos + 1}`, {
    location: { column: pos + 1 },
    details: { position: pos + 1, query: query.length > 200 ? query.slice(0, 200) + '…' : query },
  });
}

const WS = /\s/;

function lex(q: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = q.length;
  while (i < n) {
    const c = q[i];
    if (WS.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      toks.push({ t: 'lparen', pos: i++ });
      continue;
    }
    if (c === ')') {
      toks.push({ t: 'rparen', pos: i++ });
      continue;
    }
    if (c === '"') {
      const start = i++;
      let closed = false;
      while (i < n) {
        if (q[i] === '\\' && i + 1 < n) {
          i += 2;
          continue;
        }
        if (q[i] === '"') {
          closed = true;
          i++;
          break;
        }
        i++;
      }
      if (!closed) throw invalid('unterminated quoted string opened', start, q);
      toks.push({ t: 'quoted', pos: start, end: i, raw: q.slice(start + 1, i - 1) });
      continue;
    }
    const start = i;
    while (i < n) {
      const d = q[i];
      if (d === '\\' && i + 1 < n) {
        i += 2;
        continue;
      }
      if (WS.test(d) || d === '(' || d === ')' || d === '"') break;
      i++;
    }
    const raw = q.slice(start, i);
    if (raw === 'AND') toks.push({ t: 'and', pos: start });
    else if (raw === 'OR') toks.push({ t: 'or', pos: start });
    else if (raw === 'NOT') toks.push({ t: 'not', pos: start });
    else toks.push({ t: 'word', pos: start, end: i, raw });
  }
  return toks;
}

/**
 * Unescapes a value into a pattern. `\*`, `\?`, `\"`, `\\` (and in bare words `\(`, `\)`,
 * `\:`, `\ `) are literal; a backslash before any other character is kept (Windows paths).
 */
function toPattern(raw: string, quoted: boolean, pos: number, query: string): Pattern {
  const parts: PatternPart[] = [];
  let lit = '';
  let text = '';
  let wild = 0;
  const escapable = quoted ? '*?"\\' : '*?"\\():= \t';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length && escapable.includes(raw[i + 1])) {
      lit += raw[i + 1];
      text += '\\' + raw[i + 1];
      i++;
      continue;
    }
    if (c === '*' || c === '?') {
      if (lit) parts.push({ lit });
      lit = '';
      const prev = parts[parts.length - 1];
      if (c === '*' && prev && 'any' in prev) continue; // collapse runs of *
      if (++wild > QUERY_LIMITS.maxWildcardsPerValue) {
        throw invalid(`too many wildcards in one value (max ${QUERY_LIMITS.maxWildcardsPerValue})`, pos, query);
      }
      parts.push(c === '*' ? { any: true } : { one: true });
      text += c;
      continue;
    }
    lit += c;
    text += c;
  }
  if (lit) parts.push({ lit });
  return { parts, text, quoted };
}

const FIELD_RE = /^([A-Za-z_@#][A-Za-z0-9_.@#-]*)(>=|<=|!=|:|=|>|<)/;

export function parseQuery(query: string): QueryNode {
  if (typeof query !== 'string') throw new GarrisonError('QUERY_INVALID', 'query must be a string', { location: { column: 1 } });
  if (query.length > QUERY_LIMITS.maxLength) {
    throw invalid(`query longer than ${QUERY_LIMITS.maxLength} characters`, QUERY_LIMITS.maxLength, query);
  }
  const toks = lex(query);
  let p = 0;
  let terms = 0;

  const peek = (): Tok | undefined => toks[p];
  const countTerm = (pos: number): void => {
    if (++terms > QUERY_LIMITS.maxTerms) throw invalid(`too many terms (max ${QUERY_LIMITS.maxTerms})`, pos, query);
  };

  function orExpr(depth: number): QueryNode {
    if (depth > QUERY_LIMITS.maxDepth) throw invalid(`nesting deeper than ${QUERY_LIMITS.maxDepth}`, peek()?.pos ?? query.length, query);
    const kids = [andExpr(depth)];
    while (peek()?.t === 'or') {
      const orTok = toks[p++];
      if (!startsPrimary(peek())) throw invalid("expected a term after 'OR'", peek()?.pos ?? query.length, query);
      void orTok;
      kids.push(andExpr(depth));
    }
    return kids.length === 1 ? kids[0] : { type: 'or', children: kids };
  }

  function startsPrimary(t: Tok | undefined): boolean {
    return !!t && (t.t === 'lparen' || t.t === 'not' || t.t === 'word' || t.t === 'quoted');
  }

  function andExpr(depth: number): QueryNode {
    const kids = [notExpr(depth)];
    for (;;) {
      const t = peek();
      if (t?.t === 'and') {
        p++;
        if (!startsPrimary(peek())) throw invalid("expected a term after 'AND'", peek()?.pos ?? query.length, query);
        kids.push(notExpr(depth));
      } else if (startsPrimary(t)) {
        kids.push(notExpr(depth));
      } else break;
    }
    return kids.length === 1 ? kids[0] : { type: 'and', children: kids };
  }

  function notExpr(depth: number): QueryNode {
    const t = peek();
    if (t?.t === 'not') {
      p++;
      if (depth > QUERY_LIMITS.maxDepth) throw invalid(`nesting deeper than ${QUERY_LIMITS.maxDepth}`, t.pos, query);
      if (!startsPrimary(peek())) throw invalid("expected a term after 'NOT'", peek()?.pos ?? query.length, query);
      return { type: 'not', child: notExpr(depth + 1) };
    }
    return primary(depth);
  }

  function primary(depth: number): QueryNode {
    const t = peek();
    if (!t) throw invalid('unexpected end of query', query.length, query);
    if (t.t === 'lparen') {
      p++;
      if (peek()?.t === 'rparen') throw invalid("empty parentheses '()'", t.pos, query);
      const inner = orExpr(depth + 1);
      const close = peek();
      if (close?.t !== 'rparen') throw invalid(`expected ')' (to close the '(' at column ${t.pos + 1})`, close?.pos ?? query.length, query);
      p++;
      return inner;
    }
    if (t.t === 'quoted') {
      p++;
      countTerm(t.pos);
      return { type: 'text', value: toPattern(t.raw, true, t.pos, query), pos: t.pos };
    }
    if (t.t === 'word') {
      p++;
      countTerm(t.pos);
      const m = FIELD_RE.exec(t.raw);
      if (!m) return { type: 'text', value: toPattern(t.raw, false, t.pos, query), pos: t.pos };
      const field = m[1];
      const op = m[2];
      let valueRaw = t.raw.slice(m[0].length);
      let quoted = false;
      if (valueRaw === '') {
        const nx = peek();
        if (nx?.t === 'quoted' && nx.pos === t.end) {
          p++;
          valueRaw = nx.raw;
          quoted = true;
        } else {
          throw invalid(`missing value after '${field}${op}'`, t.pos + m[0].length, query);
        }
      }
      if (field.endsWith('.') || field.includes('..')) throw invalid(`invalid field name '${field}'`, t.pos, query);
      if (op === ':' || op === '=' || op === '!=') {
        const node: QueryNode = { type: 'field', field, value: toPattern(valueRaw, quoted, t.pos, query), pos: t.pos };
        return op === '!=' ? { type: 'not', child: node } : node;
      }
      const value = toPattern(valueRaw, quoted, t.pos, query);
      if (value.parts.some((x) => !('lit' in x))) throw invalid(`wildcards are not allowed in a comparison`, t.pos + m[0].length, query);
      return { type: 'compare', field, op: op as CompareOp, value: value.parts.map((x) => ('lit' in x ? x.lit : '')).join(''), pos: t.pos + m[0].length };
    }
    if (t.t === 'rparen') throw invalid("unexpected ')'", t.pos, query);
    throw invalid(`unexpected '${t.t.toUpperCase()}'`, t.pos, query);
  }

  if (toks.length === 0) return { type: 'all' };
  const ast = orExpr(0);
  const rest = peek();
  if (rest) throw invalid(rest.t === 'rparen' ? "unmatched ')'" : 'unexpected input', rest.pos, query);
  return simplify(ast);
}

/** A lone `*` (any text) matches everything. */
function simplify(n: QueryNode): QueryNode {
  if (n.type === 'text' && n.value.parts.length === 1 && 'any' in n.value.parts[0]) return { type: 'all' };
  return n;
}
