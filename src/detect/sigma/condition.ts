/**
 * Sigma condition expressions: `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`,
 * `any of them`, `N of x*`. Parsed into a small AST; the compiler turns it into closures.
 */
import { GarrisonError } from '../../core/errors.js';

export type CondNode =
  | { t: 'id'; name: string }
  | { t: 'and'; items: CondNode[] }
  | { t: 'or'; items: CondNode[] }
  | { t: 'not'; item: CondNode }
  | { t: 'of'; quant: 'all' | number; pattern: string };

interface Tok {
  v: string;
  pos: number;
}

const MAX_LEN = 10_000;
const MAX_DEPTH = 100;

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(\(|\)|\||[^\s()|]+)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < src.length) {
    re.lastIndex = pos;
    m = re.exec(src);
    if (!m) break;
    if (m[1] === undefined) break;
    out.push({ v: m[1], pos: m.index + m[0].length - m[1].length });
    pos = re.lastIndex;
    if (/^\s*$/.test(src.slice(pos))) break;
  }
  return out;
}

/** Parses a condition string. Throws SIGMA_CONDITION_INVALID / _UNSUPPORTED with the position. */
export function parseCondition(src: string): CondNode {
  if (src.length > MAX_LEN) throw new GarrisonError('SIGMA_CONDITION_INVALID', `condition is longer than ${MAX_LEN} characters`);
  const toks = lex(src);
  let i = 0;
  let depth = 0;
  const fail = (msg: string, at?: Tok): never => {
    throw new GarrisonError('SIGMA_CONDITION_INVALID', `condition: ${msg} at column ${(at?.pos ?? src.length) + 1} in '${src}'`);
  };
  const peek = () => toks[i];
  const kw = (t: Tok | undefined, w: string) => t !== undefined && t.v.toLowerCase() === w;
  const bar = toks.find((t) => t.v === '|');
  if (bar) throw new GarrisonError('SIGMA_CONDITION_UNSUPPORTED', `condition: Sigma 1 aggregation ('| ...' at column ${bar.pos + 1}) is not supported; use a correlation rule`);

  const parseOr = (): CondNode => {
    const items = [parseAnd()];
    while (kw(peek(), 'or')) {
      i++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0] : { t: 'or', items };
  };
  const parseAnd = (): CondNode => {
    const items = [parseNot()];
    while (kw(peek(), 'and')) {
      i++;
      items.push(parseNot());
    }
    return items.length === 1 ? items[0] : { t: 'and', items };
  };
  const parseNot = (): CondNode => {
    if (kw(peek(), 'not')) {
      i++;
      if (++depth > MAX_DEPTH) fail('nesting too deep', peek());
      const item = parseNot();
      depth--;
      return { t: 'not', item };
    }
    return parsePrimary();
  };
  const parsePrimary = (): CondNode => {
    const t = peek();
    if (!t) return fail('unexpected end');
    if (t.v === '(') {
      i++;
      if (++depth > MAX_DEPTH) fail('nesting too deep', t);
      const e = parseOr();
      depth--;
      if (peek()?.v !== ')') fail("expected ')'", peek());
      i++;
      return e;
    }
    if (t.v === ')') return fail("unexpected ')'", t);
    const low = t.v.toLowerCase();
    if (low === 'and' || low === 'or' || low === 'of') return fail(`unexpected '${t.v}'`, t);
    if (kw(toks[i + 1], 'of')) {
      let quant: 'all' | number;
      if (low === 'all') quant = 'all';
      else if (low === 'any') quant = 1;
      else if (/^[0-9]+$/.test(low) && Number(low) >= 1) quant = Number(low);
      else return fail(`'${t.v} of' needs 1, a number, any or all`, t);
      const target = toks[i + 2];
      if (!target || target.v === '(' || target.v === ')') return fail("expected a pattern or 'them' after 'of'", target);
      i += 3;
      return { t: 'of', quant, pattern: target.v };
    }
    if (!/^[A-Za-z0-9_.\-*]+$/.test(t.v)) fail(`'${t.v}' is not a search identifier`, t);
    i++;
    return { t: 'id', name: t.v };
  };
  if (toks.length === 0) fail('empty condition');
  const ast = parseOr();
  if (i < toks.length) fail(`unexpected '${toks[i].v}'`, toks[i]);
  return ast;
}

/** Search identifiers selected by an `of` pattern (`them` = all not starting with `_`). */
export function expandPattern(pattern: string, ids: string[]): string[] {
  if (pattern === 'them') return ids.filter((x) => !x.startsWith('_'));
  if (!pattern.includes('*')) return ids.filter((x) => x === pattern);
  const parts = pattern.split('*');
  return ids.filter((id) => {
    if (!id.startsWith(parts[0]) || !id.endsWith(parts[parts.length - 1])) return false;
    let pos = parts[0].length;
    for (let k = 1; k < parts.length - 1; k++) {
      const p = id.indexOf(parts[k], pos);
      if (p < 0) return false;
      pos = p + parts[k].length;
    }
    return pos <= id.length - parts[parts.length - 1].length;
  });
}
