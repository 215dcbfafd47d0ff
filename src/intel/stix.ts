/**
 * STIX 2.1 bundles: `indicator` objects whose `pattern_type` is `stix` and whose pattern is in the
 * supported subset of STIX patterning — one or more observation expressions joined by OR, each a
 * set of comparisons joined by OR, on these object paths:
 *
 *   ipv4-addr:value, ipv6-addr:value   (an address or a CIDR)
 *   domain-name:value, url:value
 *   file:hashes.MD5, file:hashes.'SHA-1', file:hashes.'SHA-256' (also SHA1 / SHA256 / 'MD5')
 *
 * with the operators `=`, `IN ('a', 'b')` and `ISSUBSET` (CIDR). Everything else (AND, FOLLOWEDBY,
 * NOT, LIKE, MATCHES, qualifiers such as WITHIN or REPEATS, other object types) is reported as
 * unsupported for that indicator and the rest of the bundle still loads. The parser is a
 * hand-written tokenizer and recursive descent with length, token and depth limits: no eval, no
 * regular expression built from input.
 */
import { GarrisonError } from '../core/errors.js';
import { DEFAULT_FEED_LIMITS, type FeedLimits, type FeedLoad, type FeedProblem, type Indicator, type IndicatorType } from './types.js';
import { makeIndicator, parseTime } from './values.js';

type Tok = { t: '[' | ']' | '(' | ')' | ',' | 'op' | 'str' | 'word'; v: string; pos: number };

const MAX_TOKENS = 4096;
const MAX_DEPTH = 32;

function perr(msg: string, pos: number, code: 'INTEL_FEED_INVALID' | 'INTEL_PATTERN_UNSUPPORTED' = 'INTEL_FEED_INVALID'): GarrisonError {
  return new GarrisonError(code, `${msg} at position ${pos + 1}`, { location: { column: pos + 1 }, details: { position: pos + 1 } });
}

function tokenize(p: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (out.length >= MAX_TOKENS) throw perr(`more than ${MAX_TOKENS} tokens`, i);
    if (c === '[' || c === ']' || c === '(' || c === ')' || c === ',') {
      out.push({ t: c, v: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= p.length) throw perr('unterminated string', i);
        const d = p[j];
        if (d === '\\') {
          const n = p[j + 1];
          if (n !== "'" && n !== '\\') throw perr(`invalid escape \\${n ?? ''} in string`, j);
          s += n;
          j += 2;
          continue;
        }
        if (d === "'") break;
        s += d;
        j++;
      }
      out.push({ t: 'str', v: s, pos: i });
      i = j + 1;
      continue;
    }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = p.slice(i, i + 2);
      const op = two === '!=' || two === '<=' || two === '>=' ? two : c === '!' ? '' : c;
      if (!op) throw perr("unexpected '!'", i);
      out.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    if (/[A-Za-z0-9_\-:.]/.test(c)) {
      let j = i;
      while (j < p.length && /[A-Za-z0-9_\-:.]/.test(p[j])) j++;
      out.push({ t: 'word', v: p.slice(i, j), pos: i });
      i = j;
      continue;
    }
    throw perr(`unexpected character ${JSON.stringify(c)}`, i);
  }
  return out;
}

interface Comparison {
  path: string;
  values: string[];
  op: '=' | 'IN' | 'ISSUBSET';
}

/** Parses a pattern into the comparisons it ORs together; throws INTEL_FEED_INVALID / INTEL_PATTERN_UNSUPPORTED. */
export function parseStixPattern(pattern: string, maxLength = DEFAULT_FEED_LIMITS.maxPatternLength): { type: IndicatorType | undefined; path: string; value: string }[] {
  if (typeof pattern !== 'string') throw new GarrisonError('INTEL_FEED_INVALID', 'pattern is not a string');
  if (pattern.length > maxLength) throw new GarrisonError('INTEL_TOO_LARGE', `pattern longer than ${maxLength} characters`);
  const toks = tokenize(pattern);
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const isKw = (t: Tok | undefined, kw: string) => t?.t === 'word' && t.v.toUpperCase() === kw;
  const comps: Comparison[] = [];

  const observationOr = (depth: number): void => {
    observation(depth);
    for (;;) {
      const t = peek();
      if (isKw(t, 'OR')) {
        next();
        observation(depth);
      } else if (isKw(t, 'AND') || isKw(t, 'FOLLOWEDBY')) {
        throw perr(`${t!.v.toUpperCase()} between observations is not supported`, t!.pos, 'INTEL_PATTERN_UNSUPPORTED');
      } else return;
    }
  };
  const observation = (depth: number): void => {
    if (depth > MAX_DEPTH) throw perr('nesting too deep', peek()?.pos ?? pattern.length);
    const t = next();
    if (!t) throw perr('expected an observation expression', pattern.length);
    if (t.t === '(') {
      observationOr(depth + 1);
      const c = next();
      if (c?.t !== ')') throw perr("expected ')'", c?.pos ?? pattern.length);
    } else if (t.t === '[') {
      comparisonOr(depth + 1);
      const c = next();
      if (c?.t !== ']') throw perr("expected ']'", c?.pos ?? pattern.length);
    } else throw perr(`expected '[' or '(', got ${JSON.stringify(t.v)}`, t.pos);
    const q = peek();
    if (isKw(q, 'WITHIN') || isKw(q, 'START') || isKw(q, 'REPEATS')) throw perr(`qualifier ${q!.v.toUpperCase()} is not supported`, q!.pos, 'INTEL_PATTERN_UNSUPPORTED');
  };
  const comparisonOr = (depth: number): void => {
    comparison(depth);
    for (;;) {
      const t = peek();
      if (isKw(t, 'OR')) {
        next();
        comparison(depth);
      } else if (isKw(t, 'AND')) throw perr('AND between comparisons is not supported', t!.pos, 'INTEL_PATTERN_UNSUPPORTED');
      else return;
    }
  };
  const comparison = (depth: number): void => {
    if (depth > MAX_DEPTH) throw perr('nesting too deep', peek()?.pos ?? pattern.length);
    const t = next();
    if (!t) throw perr('expected a comparison', pattern.length);
    if (t.t === '(') {
      comparisonOr(depth + 1);
      const c = next();
      if (c?.t !== ')') throw perr("expected ')'", c?.pos ?? pattern.length);
      return;
    }
    if (t.t !== 'word' || !t.v.includes(':')) throw perr(`expected an object path like ipv4-addr:value, got ${JSON.stringify(t.v)}`, t.pos);
    if (t.v.toUpperCase() === 'NOT') throw perr('NOT is not supported', t.pos, 'INTEL_PATTERN_UNSUPPORTED');
    let path = t.v;
    // quoted path component: file:hashes.'SHA-256'
    while (peek()?.t === 'str' && path.endsWith('.')) path += next()!.v;
    const op = next();
    if (!op) throw perr('expected an operator', pattern.length);
    if (op.t === 'op') {
      if (op.v !== '=') throw perr(`operator ${op.v} is not supported`, op.pos, 'INTEL_PATTERN_UNSUPPORTED');
      const v = next();
      if (v?.t !== 'str') throw perr('expected a quoted string value', v?.pos ?? pattern.length);
      comps.push({ path, op: '=', values: [v.v] });
      return;
    }
    if (isKw(op, 'NOT')) throw perr('NOT is not supported', op.pos, 'INTEL_PATTERN_UNSUPPORTED');
    if (isKw(op, 'ISSUBSET')) {
      const v = next();
      if (v?.t !== 'str') throw perr('expected a quoted CIDR after ISSUBSET', v?.pos ?? pattern.length);
      comps.push({ path, op: 'ISSUBSET', values: [v.v] });
      return;
    }
    if (isKw(op, 'IN')) {
      const o = next();
      if (o?.t !== '(') throw perr("expected '(' after IN", o?.pos ?? pattern.length);
      const values: string[] = [];
      for (;;) {
        const v = next();
        if (v?.t !== 'str') throw perr('expected a quoted string in the IN list', v?.pos ?? pattern.length);
        values.push(v.v);
        const s = next();
        if (s?.t === ')') break;
        if (s?.t !== ',') throw perr("expected ',' or ')' in the IN list", s?.pos ?? pattern.length);
      }
      comps.push({ path, op: 'IN', values });
      return;
    }
    if (op.t === 'word') throw perr(`operator ${op.v.toUpperCase()} is not supported`, op.pos, 'INTEL_PATTERN_UNSUPPORTED');
    throw perr(`expected an operator, got ${JSON.stringify(op.v)}`, op.pos);
  };

  observationOr(0);
  if (i < toks.length) throw perr(`unexpected ${JSON.stringify(toks[i].v)} after the pattern`, toks[i].pos);
  const out: { type: IndicatorType | undefined; path: string; value: string }[] = [];
  for (const c of comps) {
    const type = pathType(c.path);
    if (type === null) throw new GarrisonError('INTEL_PATTERN_UNSUPPORTED', `object path ${c.path} is not supported (ipv4-addr, ipv6-addr, domain-name, url, file hashes)`);
    for (const v of c.values) out.push({ type: c.op === 'ISSUBSET' ? 'cidr' : type, path: c.path, value: v });
  }
  return out;
}

/** Indicator type of an object path; undefined = an address (IP or CIDR by value); null = unsupported. */
function pathType(path: string): IndicatorType | undefined | null {
  const p = path.toLowerCase().replace(/'/g, '');
  switch (p) {
    case 'ipv4-addr:value':
    case 'ipv6-addr:value':
      return undefined;
    case 'domain-name:value':
      return 'domain';
    case 'url:value':
      return 'url';
    case 'file:hashes.md5':
      return 'md5';
    case 'file:hashes.sha-1':
    case 'file:hashes.sha1':
      return 'sha1';
    case 'file:hashes.sha-256':
    case 'file:hashes.sha256':
      return 'sha256';
    default:
      return null;
  }
}

function str(v: unknown, max = 1000): string | undefined {
  return typeof v === 'string' && v.length <= max ? v : undefined;
}

/** Loads the indicators of a STIX 2.1 bundle (already parsed JSON, or a JSON string). */
export function loadStixBundle(input: unknown, source: string, limits: Partial<FeedLimits> = {}): FeedLoad {
  const lim = { ...DEFAULT_FEED_LIMITS, ...limits };
  const problems: FeedProblem[] = [];
  let extra = 0;
  const problem = (p: FeedProblem) => (problems.length < lim.maxProblems ? problems.push(p) : extra++);
  let doc = input;
  if (typeof input === 'string') {
    if (input.length > lim.maxBytes) throw new GarrisonError('INTEL_TOO_LARGE', `${source}: larger than ${lim.maxBytes} bytes`, { location: { file: source } });
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new GarrisonError('INTEL_FEED_INVALID', `${source}: not JSON (${(e as Error).message})`, { location: { file: source } });
    }
  }
  const objects = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { objects?: unknown }).objects) ? (doc as { objects: unknown[] }).objects : undefined;
  if (!objects) throw new GarrisonError('INTEL_FEED_INVALID', `${source}: not a STIX bundle (expected {"type":"bundle","objects":[...]})`, { location: { file: source } });
  const indicators: Indicator[] = [];
  let skipped = 0;
  for (let k = 0; k < objects.length; k++) {
    const o = objects[k] as Record<string, unknown>;
    const where = `${source}: objects[${k}]${typeof o?.id === 'string' ? ` (${String(o.id).slice(0, 80)})` : ''}`;
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      problem({ where, code: 'INTEL_FEED_INVALID', message: 'not an object' });
      continue;
    }
    if (o.type !== 'indicator') {
      skipped++;
      continue;
    }
    if (o.revoked === true) {
      skipped++;
      continue;
    }
    if (o.pattern_type !== undefined && o.pattern_type !== 'stix') {
      problem({ where, code: 'INTEL_PATTERN_UNSUPPORTED', message: `pattern_type ${String(o.pattern_type).slice(0, 40)} is not supported (only stix)` });
      continue;
    }
    const pattern = str(o.pattern, lim.maxPatternLength);
    if (pattern === undefined) {
      problem({ where, code: typeof o.pattern === 'string' ? 'INTEL_TOO_LARGE' : 'INTEL_FEED_INVALID', message: typeof o.pattern === 'string' ? `pattern longer than ${lim.maxPatternLength}` : 'indicator without a pattern' });
      continue;
    }
    let comps: ReturnType<typeof parseStixPattern>;
    try {
      comps = parseStixPattern(pattern, lim.maxPatternLength);
    } catch (e) {
      const ge = e as GarrisonError;
      problem({ where, code: ge.code === 'INTEL_PATTERN_UNSUPPORTED' ? 'INTEL_PATTERN_UNSUPPORTED' : 'INTEL_FEED_INVALID', message: `pattern: ${ge.message}` });
      continue;
    }
    const labels = [...(Array.isArray(o.labels) ? o.labels : []), ...(Array.isArray(o.indicator_types) ? o.indicator_types : [])].filter((x): x is string => typeof x === 'string');
    const conf = typeof o.confidence === 'number' ? o.confidence : undefined;
    for (const c of comps) {
      if (indicators.length >= lim.maxIndicators) {
        throw new GarrisonError('INTEL_TOO_LARGE', `${source}: more than ${lim.maxIndicators} indicators`, { location: { file: source } });
      }
      const ind = makeIndicator({
        type: c.type,
        value: c.value,
        source,
        confidence: conf,
        validFrom: parseTime(o.valid_from),
        validUntil: parseTime(o.valid_until),
        tags: labels,
        description: str(o.name, 500) ?? str(o.description, 500),
        ref: str(o.id, 200),
      });
      if (!ind) problem({ where, code: 'INTEL_VALUE_INVALID', message: `${c.path} value ${JSON.stringify(c.value.slice(0, 100))} is not a valid ${c.type ?? 'address'}` });
      else indicators.push(ind);
    }
  }
  if (extra) problems.push({ where: source, code: 'INTEL_FEED_INVALID', message: `${extra} more problems not listed` });
  return { source, format: 'stix', indicators, problems, skipped };
}
