/**
 * Sigma values and modifiers compiled into field matchers (Sigma 2.1 modifier appendix).
 *
 * A field item `Field|m1|m2: values` becomes a function of an EventView. Values are strings
 * (literal YAML text) or null. Wildcards `*` `?` are matched by a linear glob matcher (never a
 * backtracking RegExp), `|re` runs through re2js (linear time).
 */
import ipaddr from 'ipaddr.js';
import { RE2JS } from 're2js';
import { GarrisonError } from '../../core/errors.js';
import { AhoCorasick, AnchoredTrie } from './ahocorasick.js';
import type { EventView } from './view.js';

export const KNOWN_MODIFIERS = new Set([
  'contains', 'startswith', 'endswith', 'all', 'base64', 'base64offset', 'utf16le', 'utf16be', 'wide', 'utf16',
  'windash', 're', 'i', 'm', 's', 'cidr', 'exists', 'expand', 'fieldref', 'gt', 'gte', 'lt', 'lte', 'neq', 'cased',
  'minute', 'hour', 'day', 'week', 'month', 'year',
]);

export type FieldTest = (v: EventView) => boolean;

/** A literal the event must contain (lower-cased) in `field` for the item to match. */
export interface Witness {
  field: string;
  literal: string;
  /** Where the literal must be: anywhere, at the start, at the end, or the whole value. */
  kind: WitnessKind;
}
export type WitnessKind = 'contains' | 'prefix' | 'suffix' | 'exact';
/** Pseudo field of keyword (field-less) searches: any value of the event. */
export const ANY_FIELD = '\u0000any';

export interface CompiledItem {
  test: FieldTest;
  /** Alternatives: the item can only match if one of these literals occurs. null = no witness. */
  witness: Witness[] | null;
  /** Witness groups that must all be found (one per value under `|all`); [] = none. */
  groups: Witness[][];
  /** Mapped field names the item reads (for the `fields` of a detection). */
  fields: string[];
}

export interface ItemContext {
  /** Maps a rule field name to the event field name(s). */
  mapField(name: string): string[];
  placeholders?: Record<string, string[]>;
}

// ---------------------------------------------------------------- wildcards

type Tok = string | '*' | '?';
interface Glob {
  /** Segments between `*`; each segment is a list of chars where null = `?`. */
  segs: (string | null)[][];
  leadStar: boolean;
  trailStar: boolean;
  hasQ: boolean;
  plain: boolean;
}

/** Splits a Sigma string into literal text and wildcard tokens (`\*`, `\?`, `\\` are escapes). */
export function tokenize(value: string): Tok[] {
  const out: Tok[] = [];
  let lit = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const n = value[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += '\\';
    } else if (c === '*' || c === '?') {
      if (lit) out.push(lit);
      lit = '';
      out.push(c as '*' | '?');
    } else lit += c;
  }
  if (lit) out.push(lit);
  return out;
}

const WILD: unique symbol = Symbol('wild');
type GTok = { lit: string } | typeof WILD | '?';

function toGlob(toks: GTok[]): Glob {
  const segs: (string | null)[][] = [[]];
  let hasQ = false;
  for (const t of toks) {
    if (t === WILD) {
      if (segs[segs.length - 1].length > 0 || segs.length === 1) segs.push([]);
    } else if (t === '?') {
      segs[segs.length - 1].push(null);
      hasQ = true;
    } else for (const ch of t.lit) segs[segs.length - 1].push(ch);
  }
  const leadStar = toks[0] === WILD;
  const trailStar = toks.length > 0 && toks[toks.length - 1] === WILD;
  const nonEmpty = segs.filter((s) => s.length > 0);
  return { segs: nonEmpty, leadStar, trailStar, hasQ, plain: !toks.some((t) => t === WILD || t === '?') };
}

function segAt(s: string, pos: number, seg: (string | null)[]): boolean {
  if (pos + seg.length > s.length) return false;
  for (let j = 0; j < seg.length; j++) {
    const c = seg[j];
    if (c !== null && s[pos + j] !== c) return false;
  }
  return true;
}
function segFind(s: string, from: number, seg: (string | null)[], segStr: string | null): number {
  if (segStr !== null) return s.indexOf(segStr, from);
  for (let p = from; p + seg.length <= s.length; p++) if (segAt(s, p, seg)) return p;
  return -1;
}

/** Linear-time (per segment) glob matcher: greedy leftmost placement between stars is exact. */
function globTest(g: Glob): (s: string) => boolean {
  const segStrs = g.segs.map((seg) => (seg.every((c) => c !== null) ? seg.join('') : null));
  const n = g.segs.length;
  if (n === 0) return g.leadStar || g.trailStar ? () => true : (s) => s.length === 0;
  if (!g.hasQ) {
    const lits = segStrs as string[];
    if (n === 1) {
      const L = lits[0];
      if (g.leadStar && g.trailStar) return (s) => s.includes(L);
      if (g.leadStar) return (s) => s.endsWith(L);
      if (g.trailStar) return (s) => s.startsWith(L);
      return (s) => s === L;
    }
  }
  return (s) => {
    let pos = 0;
    let i = 0;
    let end = s.length;
    if (!g.leadStar) {
      if (!segAt(s, 0, g.segs[0])) return false;
      pos = g.segs[0].length;
      i = 1;
      if (n === 1 && !g.trailStar) return pos === s.length;
    }
    let last = n;
    if (!g.trailStar && i < n) {
      const seg = g.segs[n - 1];
      const st = s.length - seg.length;
      if (st < pos || !segAt(s, st, seg)) return false;
      end = st;
      last = n - 1;
    }
    for (; i < last; i++) {
      const p = segFind(s, pos, g.segs[i], segStrs[i]);
      if (p < 0 || p + g.segs[i].length > end) return false;
      pos = p + g.segs[i].length;
    }
    return pos <= end;
  };
}

/** The best literal a match of the glob must contain, and where. */
function globWitness(g: Glob): { literal: string; kind: WitnessKind } {
  if (g.segs.length === 1 && !g.leadStar && !g.trailStar && !g.hasQ) return { literal: g.segs[0].join(''), kind: 'exact' };
  const lead = (seg: (string | null)[]) => { let t = ''; for (const c of seg) { if (c === null) break; t += c; } return t; };
  const prefix = !g.leadStar && g.segs.length > 0 ? lead(g.segs[0]) : '';
  const suffix = !g.trailStar && g.segs.length > 0 ? lead([...g.segs[g.segs.length - 1]].reverse()).split('').reverse().join('') : '';
  const anchored = suffix.length >= prefix.length ? { literal: suffix, kind: 'suffix' as const } : { literal: prefix, kind: 'prefix' as const };
  if (anchored.literal.length >= 3) return anchored;
  const c = globLiteral(g);
  return c.length > anchored.literal.length ? { literal: c, kind: 'contains' } : anchored;
}

/** Longest literal run of a glob (a substring every match contains). */
function globLiteral(g: Glob): string {
  let best = '';
  for (const seg of g.segs) {
    let cur = '';
    for (const c of seg) {
      if (c === null) {
        if (cur.length > best.length) best = cur;
        cur = '';
      } else cur += c;
    }
    if (cur.length > best.length) best = cur;
  }
  return best;
}

// ---------------------------------------------------------------- encodings

/** A value in the middle of the modifier chain: Sigma string tokens or raw bytes after an encoding. */
type MidValue = { kind: 'str'; toks: Tok[] } | { kind: 'bytes'; b: Buffer };

function toBytes(v: MidValue): Buffer {
  if (v.kind === 'bytes') return v.b;
  return Buffer.from(v.toks.join(''), 'utf8');
}
function plainText(v: MidValue): string {
  return v.kind === 'bytes' ? v.b.toString('latin1') : v.toks.join('');
}
function utf16le(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}
function utf16be(s: string): Buffer {
  const b = Buffer.from(s, 'utf16le');
  b.swap16();
  return b;
}

/** base64offset variants (as pySigma): the value at byte offsets 0, 1 and 2 of a base64 stream. */
export function base64OffsetVariants(b: Buffer): string[] {
  const start = [0, 2, 3];
  const end = [undefined, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), b]).toString('base64');
    const e = end[(b.length + i) % 3];
    out.push(enc.slice(start[i], e));
  }
  return out;
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** windash: every combination of the five dash characters at each flag position (`\B[-/]\b`). */
export function windashVariants(toks: Tok[]): Tok[][] {
  const positions: [number, number][] = [];
  const isWord = (c: string | undefined) => c !== undefined && /\w/.test(c);
  toks.forEach((t, ti) => {
    if (t === '*' || t === '?') return;
    for (let i = 0; i < t.length; i++) {
      const c = t[i];
      if (c !== '-' && c !== '/') continue;
      const prev = i > 0 ? t[i - 1] : ti > 0 && toks[ti - 1] !== '*' && toks[ti - 1] !== '?' ? (toks[ti - 1] as string).slice(-1) : undefined;
      const next = t[i + 1];
      if (!isWord(prev) && isWord(next)) positions.push([ti, i]);
    }
  });
  if (positions.length === 0) return [toks];
  const n = Math.min(positions.length, 4);
  const out: Tok[][] = [];
  const total = DASHES.length ** n;
  for (let k = 0; k < total; k++) {
    const copy = toks.map((t) => (t === '*' || t === '?' ? t : t.split('')));
    let kk = k;
    positions.forEach(([ti, i], idx) => {
      const d = idx < n ? DASHES[kk % DASHES.length] : DASHES[0];
      if (idx < n) kk = Math.floor(kk / DASHES.length);
      (copy[ti] as string[])[i] = d;
    });
    out.push(copy.map((t) => (Array.isArray(t) ? t.join('') : t)) as Tok[]);
  }
  return out;
}

// ---------------------------------------------------------------- field items

const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte']);
const TIME_PARTS = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);

function modErr(msg: string, field: string): GarrisonError {
  return new GarrisonError('SIGMA_MODIFIER_INVALID', msg, { location: { field } });
}

function anyValue(v: EventView, names: string[], pred: (raw: unknown) => boolean): boolean {
  for (const n of names) {
    const raw = v.get(n);
    if (Array.isArray(raw)) {
      for (const x of raw) if (pred(x)) return true;
    } else if (pred(raw)) return true;
  }
  return false;
}

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y0 = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  return Math.ceil(((t.getTime() - y0.getTime()) / 86_400_000 + 1) / 7);
}
function timePart(raw: unknown, part: string): number | undefined {
  const d = typeof raw === 'number' ? new Date(raw) : typeof raw === 'string' ? new Date(raw.includes(' ') && !raw.includes('T') ? raw.replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? '' : 'Z') : raw) : undefined;
  if (!d || Number.isNaN(d.getTime())) return undefined;
  switch (part) {
    case 'minute': return d.getUTCMinutes();
    case 'hour': return d.getUTCHours();
    case 'day': return d.getUTCDate();
    case 'week': return isoWeek(d);
    case 'month': return d.getUTCMonth() + 1;
    default: return d.getUTCFullYear();
  }
}
function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = /^0x[0-9a-f]+$/i.test(raw.trim()) ? parseInt(raw.trim(), 16) : Number(raw);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return undefined;
}

/** Most values one `|expand` value may expand to (the product of its placeholders' lists). */
export const MAX_EXPANSION = 10_000;
/** The placeholder map key whose values stand for any placeholder the map does not define. */
export const DEFAULT_PLACEHOLDER = '*';

/**
 * Expands the placeholders of one `|expand` value (Sigma 2.1, "Placeholders"): every `%name%` is
 * replaced by each value of `placeholders[name]` (values are Sigma strings: their wildcards work),
 * several placeholders in one value give every combination, `\%` is a literal `%`, and a `%` with
 * no closing `%` is literal. A name the map does not define takes the values of the `*` entry when
 * there is one (`['*']` = pySigma's wildcard placeholders, `[]` = matches nothing); otherwise the
 * rule is rejected (SIGMA_PLACEHOLDER_UNKNOWN), as the specification requires of a tool that cannot
 * resolve a placeholder.
 */
export function expandPlaceholders(val: string, placeholders: Record<string, string[]>, where = '(value)'): string[] {
  // Split into literal parts and placeholder names.
  const parts: ({ lit: string } | { name: string })[] = [];
  let lit = '';
  for (let i = 0; i < val.length; i++) {
    const c = val[i];
    if (c === '\\' && val[i + 1] === '%') {
      lit += '%';
      i++;
    } else if (c === '\\' && val[i + 1] === '\\') {
      lit += '\\\\'; // an escaped backslash stays escaped for the wildcard tokenizer
      i++;
    } else if (c === '%') {
      const end = val.indexOf('%', i + 1);
      if (end < 0 || end === i + 1) {
        lit += '%';
        continue;
      }
      if (lit) parts.push({ lit });
      lit = '';
      parts.push({ name: val.slice(i + 1, end) });
      i = end;
    } else lit += c;
  }
  if (lit) parts.push({ lit });
  let out: string[] = [''];
  for (const p of parts) {
    if ('lit' in p) {
      out = out.map((o) => o + p.lit);
      continue;
    }
    const own = Object.prototype.hasOwnProperty.call(placeholders, p.name) ? placeholders[p.name] : undefined;
    const list = own ?? (Object.prototype.hasOwnProperty.call(placeholders, DEFAULT_PLACEHOLDER) ? placeholders[DEFAULT_PLACEHOLDER] : undefined);
    if (!list) throw new GarrisonError('SIGMA_PLACEHOLDER_UNKNOWN', `placeholder %${p.name}% on '${where}' is not defined (define it under placeholders, or give a '*' entry for undefined ones)`, { location: { field: where } });
    if (out.length * list.length > MAX_EXPANSION) throw modErr(`'${where}': placeholders expand to more than ${MAX_EXPANSION} values`, where);
    const next: string[] = [];
    for (const o of out) for (const v of list) next.push(o + v);
    out = next;
  }
  return out;
}

/**
 * Compiles one field item. `field` is the rule's field name ('' for keyword searches),
 * `mods` the modifiers in order, `values` the YAML values (a single value is a 1-list).
 */
export function compileItem(field: string, mods: string[], values: (string | null)[], ctx: ItemContext): CompiledItem {
  const where = field || '(keywords)';
  for (const m of mods) if (!KNOWN_MODIFIERS.has(m)) throw new GarrisonError('SIGMA_MODIFIER_UNKNOWN', `unknown modifier '${m}' on '${where}'`, { location: { field: where } });
  const has = (m: string) => mods.includes(m);
  const names = field ? ctx.mapField(field) : [];
  const all = has('all');
  const neq = has('neq');
  const cased = has('cased');

  if (values.length === 0) throw new GarrisonError('SIGMA_DETECTION_INVALID', `'${where}' has an empty value list`, { location: { field: where } });

  // exists
  if (has('exists')) {
    if (!field) throw modErr('exists needs a field', where);
    if (values.length !== 1 || (values[0] !== 'true' && values[0] !== 'false' && values[0] !== 'yes' && values[0] !== 'no')) throw modErr(`exists on '${field}' takes true or false`, where);
    const want = values[0] === 'true' || values[0] === 'yes';
    return { test: (v) => names.some((n) => v.get(n) !== undefined) === want, witness: null, groups: [], fields: names };
  }

  // expand placeholders
  let vals = values;
  if (has('expand')) {
    const out: (string | null)[] = [];
    for (const val of values) {
      if (val === null) out.push(null);
      else out.push(...expandPlaceholders(val, ctx.placeholders ?? {}, where));
    }
    if (out.length === 0) {
      // Every placeholder stood for an empty list (`'*': []`): the item has no value to match.
      // With neq the field only has to exist.
      return neq
        ? { test: (v) => names.some((n) => v.get(n) !== undefined && v.get(n) !== null), witness: null, groups: [], fields: names }
        : { test: () => false, witness: null, groups: [], fields: names };
    }
    vals = out;
  }

  const tests: FieldTest[] = [];
  const lits: (Witness[] | null)[] = [];

  for (const val of vals) {
    if (val === null) {
      if (!field) throw new GarrisonError('SIGMA_DETECTION_INVALID', 'a keyword search cannot be null', { location: { field: where } });
      tests.push((v) => names.every((n) => { const r = v.get(n); return r === undefined || r === null; }));
      lits.push(null);
      continue;
    }
    // numeric comparison
    const numOp = mods.find((m) => NUMERIC_OPS.has(m));
    const tPart = mods.find((m) => TIME_PARTS.has(m));
    if (numOp || tPart) {
      const want = Number(val);
      if (!Number.isFinite(want)) throw modErr(`'${numOp ?? tPart}' on '${where}' needs a number, got '${val}'`, where);
      const cmp: (x: number) => boolean =
        numOp === 'gt' ? (x) => x > want : numOp === 'gte' ? (x) => x >= want : numOp === 'lt' ? (x) => x < want : numOp === 'lte' ? (x) => x <= want : (x) => x === want;
      const get = tPart ? (raw: unknown) => timePart(raw, tPart) : toNumber;
      const pred = (raw: unknown) => { const x = get(raw); return x !== undefined && cmp(x); };
      tests.push((v) => anyValue(v, names, pred));
      lits.push(null);
      continue;
    }
    if (has('cidr')) {
      tests.push(cidrTest(val, names, where));
      lits.push(null);
      continue;
    }
    if (has('re')) {
      let flags = 0;
      if (has('i')) flags |= RE2JS.CASE_INSENSITIVE;
      if (has('m')) flags |= RE2JS.MULTILINE;
      if (has('s')) flags |= RE2JS.DOTALL;
      let re: RE2JS;
      try {
        re = RE2JS.compile(val, flags);
      } catch (e) {
        throw new GarrisonError('SIGMA_REGEX_INVALID', `regular expression on '${where}' does not compile: ${(e as Error).message}`, { location: { field: where } });
      }
      // Values shorter than any possible match are rejected without running the engine.
      const minLen = regexMinLength(val);
      const t = minLen > 0 ? (s: string) => s.length >= minLen && re.test(s) : (s: string) => re.test(s);
      if (!field) tests.push((v) => keywordAny(v, t));
      else tests.push((v) => anyValue(v, names, (raw) => raw !== undefined && raw !== null && typeof raw !== 'object' && t(String(raw))));
      const rl = field ? regexLiterals(val) : null;
      lits.push(rl ? names.flatMap((n) => rl.map((literal) => ({ field: n, literal, kind: 'contains' as const }))) : null);
      continue;
    }
    if (has('fieldref')) {
      if (!field) throw modErr('fieldref needs a field', where);
      const refNames = ctx.mapField(val);
      const mode = has('contains') ? 'c' : has('startswith') ? 's' : has('endswith') ? 'e' : 'x';
      tests.push((v) => {
        let ref: string | undefined;
        for (const n of refNames) { const s = cased ? v.str(n) : v.lower(n); if (typeof s === 'string') { ref = s; break; } }
        if (ref === undefined) return false;
        const r = ref;
        return names.some((n) => {
          const s = cased ? v.str(n) : v.lower(n);
          if (typeof s !== 'string') return false;
          return mode === 'c' ? s.includes(r) : mode === 's' ? s.startsWith(r) : mode === 'e' ? s.endsWith(r) : s === r;
        });
      });
      lits.push(null);
      continue;
    }

    // string pipeline: windash -> encodings -> wildcard shape
    let mids: MidValue[] = [{ kind: 'str', toks: tokenize(val) }];
    for (const m of mods) {
      switch (m) {
        case 'windash':
          mids = mids.flatMap((x): MidValue[] => (x.kind === 'str' ? windashVariants(x.toks).map((toks): MidValue => ({ kind: 'str', toks })) : [x]));
          break;
        case 'utf16le':
        case 'wide':
          mids = mids.map((x) => ({ kind: 'bytes', b: utf16le(plainText(x)) }));
          break;
        case 'utf16be':
          mids = mids.map((x) => ({ kind: 'bytes', b: utf16be(plainText(x)) }));
          break;
        case 'utf16':
          mids = mids.map((x) => ({ kind: 'bytes', b: Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(plainText(x))]) }));
          break;
        case 'base64':
          mids = mids.map((x) => ({ kind: 'str', toks: [toBytes(x).toString('base64')] }));
          break;
        case 'base64offset':
          mids = mids.flatMap((x) => base64OffsetVariants(toBytes(x)).map((s) => ({ kind: 'str' as const, toks: [s] as Tok[] })));
          break;
        default:
          break;
      }
    }
    // Keyword (field-less) values are searched anywhere in a value, as full-text backends do.
    const contains = has('contains') || has('base64offset') || (!field && !has('startswith') && !has('endswith'));
    const starts = has('startswith');
    const ends = has('endswith');
    const vtests: ((s: string) => boolean)[] = [];
    const vlits: { literal: string; kind: WitnessKind }[] = [];
    const shapes: (Shape | null)[] = [];
    let noLit = false;
    for (const mid of mids) {
      const base: GTok[] = mid.kind === 'bytes'
        ? [{ lit: mid.b.toString('latin1') }]
        : mid.toks.map((t): GTok => (t === '*' ? WILD : t === '?' ? '?' : { lit: t }));
      const toks: GTok[] = [];
      if (contains || ends) toks.push(WILD);
      toks.push(...base);
      if (contains || starts) toks.push(WILD);
      const low: GTok[] = cased ? toks : toks.map((t): GTok => (typeof t === 'object' ? { lit: t.lit.toLowerCase() } : t));
      const g = toGlob(low);
      vtests.push(globTest(g));
      shapes.push(globShape(g));
      const w = globWitness(g);
      const lit = w.literal.toLowerCase();
      if (lit.length === 0) noLit = true;
      vlits.push({ literal: lit, kind: w.kind });
    }
    const one = vtests.length === 1 ? vtests[0] : groupTests(vtests, shapes, cased);
    if (!field) {
      tests.push((v) => keywordAny(v, one, !cased));
      lits.push(noLit ? null : vlits.map((w) => ({ field: ANY_FIELD, literal: w.literal, kind: 'contains' as const })));
      continue;
    }
    if (names.length === 1) {
      const n0 = names[0];
      tests.push(cased
        ? (v) => { const s = v.str(n0); if (typeof s === 'string') return one(s); const raw = v.get(n0); return Array.isArray(raw) && raw.some((x) => typeof x !== 'object' && x !== null && one(String(x))); }
        : (v) => { const s = v.lower(n0); if (typeof s === 'string') return one(s); const raw = v.get(n0); return Array.isArray(raw) && raw.some((x) => typeof x !== 'object' && x !== null && one(String(x).toLowerCase())); });
    } else {
      tests.push((v) => names.some((n) => { const s = cased ? v.str(n) : v.lower(n); return typeof s === 'string' && one(s); }));
    }
    lits.push(noLit ? null : names.flatMap((n) => vlits.map((w) => ({ field: n, literal: w.literal, kind: w.kind }))));
  }

  // combine values
  let test: FieldTest;
  let witness: Witness[] | null;
  let groups: Witness[][] = [];
  if (all && tests.length > 1) {
    test = (v) => { for (const t of tests) if (!t(v)) return false; return true; };
    witness = null;
    for (const w of lits) if (w && (!witness || score(w) > score(witness))) witness = w;
    groups = lits.filter((w): w is Witness[] => w !== null && w.length > 0);
  } else {
    test = tests.length === 1 ? tests[0] : (v) => { for (const t of tests) if (t(v)) return true; return false; };
    witness = lits.some((w) => w === null) ? null : lits.flat() as Witness[];
  }
  if (neq) {
    const inner = test;
    // neq: the field exists and none of the values match (NOT IN).
    test = (v) => names.some((n) => v.get(n) !== undefined && v.get(n) !== null) && !inner(v);
    witness = null;
    groups = [];
  }
  if (!(all && tests.length > 1) && witness && witness.length > 0) groups = [witness];
  if (groups.length === 0 && witness && witness.length > 0 && !neq) groups = [witness];
  return { test, witness, groups, fields: names };
}

/** Quality of a witness: fewer, longer literals are better. */
export function score(w: Witness[]): number {
  if (w.length === 0) return -1;
  let min = Infinity;
  let any = false;
  for (const x of w) {
    min = Math.min(min, x.literal.length);
    if (x.field === ANY_FIELD) any = true;
  }
  // Anchored literals are cheap to look up and selective; keyword literals need a pass over
  // every value of the event, so any field witness is preferred to them.
  const anchored = w.every((x) => x.kind !== 'contains') ? 8 : 0;
  return min * 4 - w.length + anchored - (any ? 1000 : 0);
}

function keywordAny(v: EventView, t: (s: string) => boolean, lower = false): boolean {
  if (lower) {
    for (const s of v.allValuesLower()) if (t(s)) return true;
    return false;
  }
  const walk = (x: unknown, d: number): boolean => {
    if (d > 16 || x === null || x === undefined) return false;
    if (typeof x === 'object') {
      for (const y of Array.isArray(x) ? x : Object.values(x as Record<string, unknown>)) if (walk(y, d + 1)) return true;
      return false;
    }
    return t(String(x));
  };
  return walk(v.fields, 0);
}

const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'A', 'z', 'Z', 'p', 'P', 'Q', 'E', 'x', 'u', 'n', 'r', 't', 'f', 'v', 'a', 'e', 'c', 'k', 'h', 'H', 'R', 'G', 'K', 'X', 'C', 'N', 'o', 'g', 'l', 'L', 'U']);

function skipBalanced(p: string, i: number): number {
  // p[i] === '(' : returns the index after the matching ')'
  let depth = 0;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[') i = skipClass(p, i) - 1;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return p.length;
}
function skipClass(p: string, i: number): number {
  // p[i] === '[' : returns the index after the closing ']'
  i++;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  for (; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === ']') return i + 1;
  }
  return p.length;
}

/**
 * Literals a regular expression requires, for the candidate index: one per top-level alternative
 * (each the longest literal run that every match of that alternative contains), lower-cased.
 * null when some alternative has no literal of at least 3 characters.
 */
export function regexLiterals(pattern: string): string[] | null {
  const p = pattern.replace(/^\(\?[imsU]+\)/, '');
  const alts: string[] = [];
  let start = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[') i = skipClass(p, i) - 1;
    else if (c === '(') i = skipBalanced(p, i) - 1;
    else if (c === '|') {
      alts.push(p.slice(start, i));
      start = i + 1;
    }
  }
  alts.push(p.slice(start));
  const out: string[] = [];
  for (const a of alts) {
    let best = '';
    let run = '';
    const flush = () => {
      if (run.length > best.length) best = run;
      run = '';
    };
    let i = 0;
    while (i < a.length) {
      const c = a[i];
      let atom: string | null = null;
      let next = i + 1;
      if (c === '\\') {
        const e = a[i + 1];
        if (e === undefined || CLASS_ESCAPES.has(e) || /[0-9]/.test(e)) atom = null;
        else atom = e;
        next = i + 2;
      } else if (c === '(') next = skipBalanced(a, i);
      else if (c === '[') next = skipClass(a, i);
      else if (c === '.' || c === '^' || c === '$') atom = null;
      else if (c === '*' || c === '+' || c === '?' || c === '{' || c === '}' || c === ')' || c === '|') {
        // stray quantifier (already consumed after an atom) or unbalanced: no literal here
        atom = null;
      } else atom = c;
      // quantifier after the atom
      const q = a[next];
      let optional = false;
      let repeated = false;
      if (q === '*' || q === '?') {
        optional = true;
        next++;
      } else if (q === '+') {
        repeated = true;
        next++;
      } else if (q === '{') {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(a.slice(next));
        if (m) {
          if (m[1] === '' || Number(m[1]) === 0) optional = true;
          else repeated = true;
          next += m[0].length;
        }
      }
      if (next < a.length && a[next] === '?') next++; // lazy modifier
      if (atom === null || optional) flush();
      else {
        run += atom;
        if (repeated) flush();
      }
      i = next;
    }
    flush();
    // One-character literals are kept only when rare in log values (a backtick, a caret ...):
    // a common one would make the rule a candidate for nearly every event anyway.
    if (best.length === 0 || (best.length === 1 && /[\w\s\\./:\-"',;=()]/.test(best))) return null;
    out.push(best.toLowerCase());
  }
  return out;
}

/** Parses an IPv4 dotted quad to an unsigned 32-bit number (undefined when it is not one). */
export function ipv4ToInt(s: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return (n * 256 + part) >>> 0;
}

function cidrTest(val: string, names: string[], where: string): FieldTest {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  const text = val.trim();
  try {
    range = ipaddr.parseCIDR(text);
  } catch {
    try {
      const a = ipaddr.parse(text);
      range = [a, a.kind() === 'ipv4' ? 32 : 128];
    } catch {
      throw modErr(`cidr value '${val}' on '${where}' is not an IPv4 or IPv6 network`, where);
    }
  }
  const kind = range[0].kind();
  if (kind === 'ipv4') {
    const bits = range[1];
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const net = ((ipv4ToInt(range[0].toString()) ?? 0) & mask) >>> 0;
    const pred4 = (raw: unknown) => {
      if (typeof raw !== 'string') return false;
      let n = ipv4ToInt(raw);
      if (n === undefined) {
        // IPv4-mapped IPv6 (::ffff:a.b.c.d)
        const s = raw.trim().toLowerCase();
        if (s.startsWith('::ffff:')) n = ipv4ToInt(s.slice(7));
        if (n === undefined) return false;
      }
      return ((n & mask) >>> 0) === net;
    };
    return (v) => anyValue(v, names, pred4);
  }
  const pred6 = (raw: unknown) => {
    if (typeof raw !== 'string' || !raw.includes(':')) return false;
    let s = raw.trim();
    if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
    const pct = s.indexOf('%');
    if (pct > 0) s = s.slice(0, pct);
    if (!ipaddr.IPv6.isValid(s)) return false;
    return ipaddr.IPv6.parse(s).match(range as [ipaddr.IPv6, number]);
  };
  return (v) => anyValue(v, names, pred6);
}

type Shape = { kind: 'exact' | 'prefix' | 'suffix' | 'contains'; text: string };

/** The simple shape of a glob (one literal, anchored or not), or null. */
function globShape(g: Glob): Shape | null {
  if (g.hasQ || g.segs.length !== 1) return null;
  const text = g.segs[0].join('');
  if (!g.leadStar && !g.trailStar) return { kind: 'exact', text };
  if (g.leadStar && g.trailStar) return { kind: 'contains', text };
  return g.leadStar ? { kind: 'suffix', text } : { kind: 'prefix', text };
}

const GROUP_MIN = 6;

/**
 * OR of many values: simple shapes are grouped (a Set for exact values, anchored tries for
 * prefixes and suffixes, one Aho-Corasick automaton for contains), so a list of hundreds of values
 * costs one pass over the field; the rest are tested one by one.
 */
function groupTests(tests: ((s: string) => boolean)[], shapes: (Shape | null)[], cased: boolean): (s: string) => boolean {
  if (tests.length < GROUP_MIN || cased) return (s) => { for (const t of tests) if (t(s)) return true; return false; };
  const exact = new Set<string>();
  const pre: { text: string; exact: boolean }[] = [];
  const suf: { text: string; exact: boolean }[] = [];
  const con: string[] = [];
  const rest: ((s: string) => boolean)[] = [];
  shapes.forEach((sh, i) => {
    if (!sh) rest.push(tests[i]);
    else if (sh.kind === 'exact') exact.add(sh.text);
    else if (sh.kind === 'prefix') pre.push({ text: sh.text, exact: false });
    else if (sh.kind === 'suffix') suf.push({ text: sh.text, exact: false });
    else con.push(sh.text);
  });
  const parts: ((s: string) => boolean)[] = [];
  if (exact.size) parts.push((s) => exact.has(s));
  if (pre.length) {
    const t = new AnchoredTrie(pre, false);
    parts.push((s) => t.any(s));
  }
  if (suf.length) {
    const t = new AnchoredTrie(suf, true);
    parts.push((s) => t.any(s));
  }
  if (con.length) {
    const ac = new AhoCorasick(con);
    parts.push((s) => ac.contains(s));
  }
  parts.push(...rest);
  return parts.length === 1 ? parts[0] : (s) => { for (const t of parts) if (t(s)) return true; return false; };
}

/**
 * A lower bound on the length of any match of a regular expression (RE2 syntax), used to skip
 * evaluating it on shorter values. Conservative: unknown constructs count as length 0.
 */
export function regexMinLength(pattern: string): number {
  let i = 0;
  const p = pattern;
  const parseAlt = (): number => {
    let best = parseSeq();
    while (p[i] === '|') {
      i++;
      best = Math.min(best, parseSeq());
    }
    return best;
  };
  const parseSeq = (): number => {
    let total = 0;
    while (i < p.length && p[i] !== '|' && p[i] !== ')') {
      let atom = 0;
      const c = p[i];
      if (c === '(') {
        i++;
        let lookaround = false;
        if (p[i] === '?') {
          // (?:...), (?i), (?P<name>...), (?<name>...), (?=...) ...
          i++;
          if (p[i] === '=' || p[i] === '!' || (p[i] === '<' && (p[i + 1] === '=' || p[i + 1] === '!'))) lookaround = true;
          else if (p[i] === 'P' && p[i + 1] === '<') i = p.indexOf('>', i) + 1;
          else if (p[i] === '<') i = p.indexOf('>', i) + 1;
          else {
            while (i < p.length && p[i] !== ':' && p[i] !== ')') i++;
            if (p[i] === ')') {
              i++;
              continue; // flag group, matches nothing
            }
            i++;
          }
          if (i <= 0) return 0;
        }
        const inner = parseAlt();
        if (p[i] === ')') i++;
        atom = lookaround ? 0 : inner;
      } else if (c === '[') {
        i = skipClass(p, i);
        atom = 1;
      } else if (c === '\\') {
        const e = p[i + 1];
        i += 2;
        if (e === 'b' || e === 'B' || e === 'A' || e === 'z' || e === 'Z' || e === 'G') atom = 0;
        else if (e === 'Q') {
          const end = p.indexOf('\\E', i);
          const lit = end < 0 ? p.slice(i) : p.slice(i, end);
          i = end < 0 ? p.length : end + 2;
          atom = lit.length;
        } else if (e === 'p' || e === 'P') {
          if (p[i] === '{') i = p.indexOf('}', i) + 1;
          else i++;
          atom = 1;
        } else if (e === 'x' && p[i] === '{') {
          i = p.indexOf('}', i) + 1;
          atom = 1;
        } else if (e === 'x') {
          i += 2;
          atom = 1;
        } else atom = 1;
        if (i <= 0) return 0;
      } else if (c === '^' || c === '$') {
        i++;
        atom = 0;
      } else {
        i++;
        atom = 1;
      }
      // quantifier
      const q = p[i];
      if (q === '*' || q === '?') {
        atom = 0;
        i++;
      } else if (q === '+') i++;
      else if (q === '{') {
        const m = /^\{(\d*)(?:,(\d*))?\}/.exec(p.slice(i));
        if (m) {
          atom *= m[1] === '' ? 0 : Number(m[1]);
          i += m[0].length;
        }
      }
      if (p[i] === '?' || p[i] === '+') i++; // lazy / possessive marker
      total += atom;
    }
    return total;
  };
  try {
    const n = parseAlt();
    return Number.isFinite(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
