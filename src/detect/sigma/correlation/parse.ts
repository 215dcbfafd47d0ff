/**
 * Validation of one correlation rule document (a YAML document with a `correlation:` key).
 * Collects every problem; never throws on bad input.
 */
import { createHash } from 'node:crypto';
import { GarrisonError, type ErrorCode } from '../../../core/errors.js';
import { LEVELS, type Level } from '../../../core/signal.js';
import {
  CONDITION_OPERATORS,
  CORRELATION_TYPES,
  type ConditionOperator,
  type CorrelationCondition,
  type CorrelationRule,
  type CorrelationType,
  type CorrelationWhere,
} from './types.js';

/** Names that would reach Object.prototype when used as keys of the hit's group-by record. */
const RESERVED: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Longest accepted timespan (a year): the engine keeps state for this long. */
export const MAX_TIMESPAN_MS = 366 * 86_400_000;
const TIMESPAN_RE = /^([0-9]{1,9})([smhdw])$/;
const NUMBER_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

const VALUE_TYPES: ReadonlySet<CorrelationType> = new Set(['value_count', 'value_sum', 'value_avg', 'value_percentile', 'value_median']);
const TEMPORAL_TYPES: ReadonlySet<CorrelationType> = new Set(['temporal', 'temporal_ordered']);

/** Parses a timespan (`90m`, `1h`, `2d`, `1w`) to ms; undefined if invalid. */
export function parseTimespan(text: unknown): number | undefined {
  if (typeof text === 'number') return undefined; // a bare number has no unit
  if (typeof text !== 'string') return undefined;
  const m = TIMESPAN_RE.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms > 0 && ms <= MAX_TIMESPAN_MS ? ms : undefined;
}

/** Numbers may arrive as YAML numbers or as literal text (the loader keeps scalars as strings). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.length <= 64 && NUMBER_RE.test(v.trim())) {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === 'yes') return true;
    if (t === 'false' || t === 'no') return false;
  }
  return undefined;
}

/** Safe short rendering of any (hostile) value for a message. */
function show(v: unknown, max: number): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : (JSON.stringify(v) ?? typeof v);
  } catch {
    s = typeof v;
  }
  return s.length > max ? s.slice(0, max) + '…' : s;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function strList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
  return undefined;
}

/** True when a condition can only become true by adding events (only gt/gte). */
export function isUpwardClosed(c: CorrelationCondition): boolean {
  const keys = Object.keys(c.ops);
  return keys.length > 0 && keys.every((k) => k === 'gt' || k === 'gte');
}

/** Tests an aggregated value against every operator of the condition (AND). */
export function conditionHolds(ops: CorrelationCondition['ops'], v: number): boolean {
  if (ops.gt !== undefined && !(v > ops.gt)) return false;
  if (ops.gte !== undefined && !(v >= ops.gte)) return false;
  if (ops.lt !== undefined && !(v < ops.lt)) return false;
  if (ops.lte !== undefined && !(v <= ops.lte)) return false;
  if (ops.eq !== undefined && !(v === ops.eq)) return false;
  if (ops.neq !== undefined && !(v !== ops.neq)) return false;
  return true;
}

/** Whether some real value satisfies all operators (rejects e.g. `gt: 200, lt: 100`). */
function satisfiable(ops: CorrelationCondition['ops']): boolean {
  let lo = -Infinity;
  let loIncl = false;
  let hi = Infinity;
  let hiIncl = false;
  const raiseLo = (v: number, incl: boolean): void => {
    if (v > lo || (v === lo && !incl)) {
      lo = v;
      loIncl = incl;
    }
  };
  const lowerHi = (v: number, incl: boolean): void => {
    if (v < hi || (v === hi && !incl)) {
      hi = v;
      hiIncl = incl;
    }
  };
  if (ops.gt !== undefined) raiseLo(ops.gt, false);
  if (ops.gte !== undefined) raiseLo(ops.gte, true);
  if (ops.lt !== undefined) lowerHi(ops.lt, false);
  if (ops.lte !== undefined) lowerHi(ops.lte, true);
  if (ops.eq !== undefined) {
    if (!conditionHolds({ ...ops, neq: undefined, eq: undefined }, ops.eq)) return false;
    return ops.neq === undefined || ops.neq !== ops.eq;
  }
  if (lo > hi) return false;
  if (lo === hi) return loIncl && hiIncl && ops.neq !== lo;
  return true;
}

/**
 * Validates one YAML document that has a `correlation:` key (Sigma 2.1 correlation rule).
 *
 * Accepts the loader's literal scalars: numbers and booleans may be strings (`"100"`, `"true"`).
 * Returns the rule when it is usable, plus every problem found (each a GarrisonError with a
 * CORRELATION_* code and `{file, line}`); a rule is returned only when there is no problem.
 */
export function parseCorrelationRule(
  doc: Record<string, unknown>,
  where: CorrelationWhere,
): { rule?: CorrelationRule; problems: GarrisonError[] } {
  const problems: GarrisonError[] = [];
  const ruleLabel = typeof doc?.title === 'string' ? doc.title.slice(0, 120) : '(untitled)';
  const fail = (code: ErrorCode, path: (string | number)[], message: string): void => {
    const line = where.lineOf?.(path) ?? where.line;
    problems.push(
      new GarrisonError(code, `correlation rule '${ruleLabel}': ${path.length ? path.join('.') + ': ' : ''}${message}`, {
        location: { file: where.file, ...(line !== undefined ? { line } : {}), ...(path.length ? { field: path.join('.') } : {}) },
      }),
    );
  };

  if (!isMap(doc)) {
    fail('CORRELATION_INVALID', [], 'the document is not a map');
    return { problems };
  }
  const title = doc.title;
  if (typeof title !== 'string' || title.trim() === '') fail('CORRELATION_INVALID', ['title'], 'a title (text) is required');
  else if (title.length > 256) fail('CORRELATION_INVALID', ['title'], `title is ${title.length} characters, at most 256 allowed`);

  let id: string | undefined;
  if (doc.id !== undefined && doc.id !== null) {
    if (typeof doc.id !== 'string' || doc.id.trim() === '' || doc.id.length > 256) fail('CORRELATION_INVALID', ['id'], 'id must be a non-empty text of at most 256 characters');
    else id = doc.id.trim();
  }
  let name: string | undefined;
  if (doc.name !== undefined && doc.name !== null) {
    if (typeof doc.name !== 'string' || doc.name.trim() === '' || doc.name.length > 256) fail('CORRELATION_INVALID', ['name'], 'name must be a non-empty text of at most 256 characters');
    else name = doc.name.trim();
  }
  let level: Level | undefined;
  if (doc.level !== undefined && doc.level !== null) {
    if (typeof doc.level === 'string' && (LEVELS as readonly string[]).includes(doc.level.trim().toLowerCase())) level = doc.level.trim().toLowerCase() as Level;
    else fail('CORRELATION_INVALID', ['level'], `level must be one of ${LEVELS.join(', ')}`);
  }
  let tags: string[] = [];
  if (doc.tags !== undefined && doc.tags !== null) {
    const t = strList(doc.tags);
    if (!t) fail('CORRELATION_INVALID', ['tags'], 'tags must be a list of texts');
    else tags = t;
  }
  let falsepositives: string[] = [];
  if (doc.falsepositives !== undefined && doc.falsepositives !== null) {
    const t = strList(doc.falsepositives);
    if (!t) fail('CORRELATION_INVALID', ['falsepositives'], 'falsepositives must be a text or a list of texts');
    else falsepositives = t;
  }

  const corr = doc.correlation;
  if (!isMap(corr)) {
    fail('CORRELATION_INVALID', ['correlation'], 'correlation must be a map');
    return { problems };
  }

  // type
  let type: CorrelationType | undefined;
  if (corr.type === undefined || corr.type === null) fail('CORRELATION_TYPE_UNKNOWN', ['correlation', 'type'], 'type is required');
  else if (typeof corr.type === 'string' && (CORRELATION_TYPES as readonly string[]).includes(corr.type.trim())) type = corr.type.trim() as CorrelationType;
  else fail('CORRELATION_TYPE_UNKNOWN', ['correlation', 'type'], `'${show(corr.type, 64)}' is not one of ${CORRELATION_TYPES.join(', ')}`);

  // rules
  let rules: string[] = [];
  const rulesRaw = corr.rules;
  if (rulesRaw === undefined || rulesRaw === null) fail('CORRELATION_RULES_INVALID', ['correlation', 'rules'], 'rules (a list of rule ids or names) is required');
  else {
    const list = strList(rulesRaw);
    if (!list) fail('CORRELATION_RULES_INVALID', ['correlation', 'rules'], 'rules must be a rule id/name or a list of them');
    else {
      const seen = new Set<string>();
      list.forEach((r, i) => {
        const t = r.trim();
        if (t.length < 2 || t.length > 256) fail('CORRELATION_RULES_INVALID', ['correlation', 'rules', i], `'${t.slice(0, 64)}' is not a rule id or name (2..256 characters)`);
        else if (seen.has(t)) fail('CORRELATION_RULES_INVALID', ['correlation', 'rules', i], `'${t}' is listed twice`);
        seen.add(t);
      });
      rules = list.map((r) => r.trim());
      if (rules.length === 0) fail('CORRELATION_RULES_INVALID', ['correlation', 'rules'], 'rules is empty');
    }
  }

  // group-by
  let groupBy: string[] = [];
  const gb = corr['group-by'];
  if (gb !== undefined && gb !== null) {
    const list = strList(gb);
    if (!list) fail('CORRELATION_GROUPBY_INVALID', ['correlation', 'group-by'], 'group-by must be a field name or a list of field names');
    else {
      const seen = new Set<string>();
      list.forEach((f, i) => {
        if (f.trim() === '' || f.length > 256) fail('CORRELATION_GROUPBY_INVALID', ['correlation', 'group-by', i], 'empty or over-long field name');
        else if (RESERVED.has(f)) fail('CORRELATION_GROUPBY_INVALID', ['correlation', 'group-by', i], `'${f}' is a reserved name`);
        else if (seen.has(f)) fail('CORRELATION_GROUPBY_INVALID', ['correlation', 'group-by', i], `'${f}' is listed twice`);
        seen.add(f);
      });
      groupBy = list;
    }
  }

  // timespan
  let timespanMs = 0;
  let timespanText = '';
  if (corr.timespan === undefined || corr.timespan === null) fail('CORRELATION_TIMESPAN_INVALID', ['correlation', 'timespan'], 'timespan is required (e.g. 5m, 1h, 1d)');
  else {
    const ms = parseTimespan(corr.timespan);
    if (ms === undefined) fail('CORRELATION_TIMESPAN_INVALID', ['correlation', 'timespan'], `'${show(corr.timespan, 32)}' is not a positive number followed by s, m, h, d or w (at most 366 days)`);
    else {
      timespanMs = ms;
      timespanText = String(corr.timespan).trim();
    }
  }

  // aliases
  const aliases: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
  if (corr.aliases !== undefined && corr.aliases !== null) {
    if (!isMap(corr.aliases)) fail('CORRELATION_ALIAS_INVALID', ['correlation', 'aliases'], 'aliases must be a map of alias -> {rule name: field}');
    else {
      for (const [alias, mapping] of Object.entries(corr.aliases)) {
        if (RESERVED.has(alias)) {
          fail('CORRELATION_ALIAS_INVALID', ['correlation', 'aliases', alias], `'${alias}' is a reserved name`);
          continue;
        }
        if (!isMap(mapping)) {
          fail('CORRELATION_ALIAS_INVALID', ['correlation', 'aliases', alias], 'must map rule names to field names');
          continue;
        }
        const m: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const [ref, field] of Object.entries(mapping)) {
          if (RESERVED.has(ref)) fail('CORRELATION_ALIAS_INVALID', ['correlation', 'aliases', alias, ref], `'${ref}' is a reserved name`);
          else if (typeof field !== 'string' || field.trim() === '') fail('CORRELATION_ALIAS_INVALID', ['correlation', 'aliases', alias, ref], 'the field name must be a non-empty text');
          else if (rules.length > 0 && !rules.includes(ref)) fail('CORRELATION_ALIAS_INVALID', ['correlation', 'aliases', alias, ref], `'${ref}' is not one of the rules this correlation references`);
          else m[ref] = field;
        }
        aliases[alias] = m;
      }
    }
  }

  // condition
  const condition: CorrelationCondition = { ops: {} };
  const condRaw = corr.condition;
  if (condRaw === undefined || condRaw === null) {
    if (type && TEMPORAL_TYPES.has(type)) condition.ops.gte = rules.length;
    else if (type) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition'], `a condition is required for ${type}`);
  } else if (typeof condRaw === 'string') {
    fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition'], 'extended (text) conditions are not part of Sigma 2.1; use a map such as {gte: 10}');
  } else if (!isMap(condRaw)) {
    fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition'], 'condition must be a map such as {gte: 10}');
  } else {
    let sawOp = false;
    for (const [k, v] of Object.entries(condRaw)) {
      if ((CONDITION_OPERATORS as readonly string[]).includes(k)) {
        sawOp = true;
        const n = toNumber(v);
        if (n === undefined) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', k], `'${show(v, 32)}' is not a number`);
        else condition.ops[k as ConditionOperator] = n;
      } else if (k === 'field') {
        const f = strList(v);
        if (!f || f.length === 0 || f.some((x) => x.trim() === '' || x.length > 256 || RESERVED.has(x))) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', 'field'], 'field must be a field name or a list of field names');
        else condition.field = f;
      } else if (k === 'percentile') {
        const n = toNumber(v);
        if (n === undefined || n < 0 || n > 100) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', 'percentile'], 'percentile must be a number from 0 to 100');
        else condition.percentile = n;
      } else {
        fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', k], `unknown condition key '${k.slice(0, 32)}' (allowed: ${CONDITION_OPERATORS.join(', ')}, field, percentile)`);
      }
    }
    if (Object.keys(condition.ops).length === 0) {
      if (!sawOp) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition'], `the condition needs at least one of ${CONDITION_OPERATORS.join(', ')}`);
    } else if (!satisfiable(condition.ops)) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition'], 'no value can satisfy every operator of this condition');
  }
  if (type && VALUE_TYPES.has(type)) {
    if (!condition.field && isMap(condRaw) && !Object.hasOwn(condRaw, 'field')) fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', 'field'], `${type} requires condition.field`);
    if (condition.field && condition.field.length > 1 && type !== 'value_count') fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', 'field'], `${type} aggregates one field only`);
    if (type === 'value_median') condition.percentile = 50;
  } else if (type && condition.field) {
    fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', 'field'], `${type} takes no field`);
  }
  if (type && condition.percentile !== undefined && type !== 'value_percentile' && type !== 'value_median') {
    fail('CORRELATION_CONDITION_INVALID', ['correlation', 'condition', 'percentile'], `percentile only applies to value_percentile`);
  }

  // generate: top level per the specification, inside `correlation:` in pySigma; accept both.
  let generate = false;
  for (const [path, raw] of [[['generate'], doc.generate], [['correlation', 'generate'], corr.generate]] as const) {
    if (raw === undefined || raw === null) continue;
    const b = toBool(raw);
    if (b === undefined) fail('CORRELATION_INVALID', [...path], 'generate must be true or false');
    else generate = generate || b;
  }

  if (problems.length > 0 || !type) return { problems };
  const ruleId = id ?? name ?? 'corr-' + createHash('sha1').update(where.file).update('\0').update(String(where.line ?? '')).update('\0').update(String(title)).digest('hex').slice(0, 16);
  const rule: CorrelationRule = {
    id: ruleId,
    hasId: id !== undefined,
    ...(name !== undefined ? { name } : {}),
    title: String(title),
    ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
    ...(typeof doc.status === 'string' ? { status: doc.status } : {}),
    ...(level !== undefined ? { level } : {}),
    tags,
    type,
    rules,
    groupBy,
    aliases,
    timespanMs,
    timespanText,
    condition,
    generate,
    falsepositives,
    source: { file: where.file, ...(where.line !== undefined ? { line: where.line } : {}) },
  };
  return { rule, problems };
}
