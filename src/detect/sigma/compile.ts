/**
 * Compiles a Sigma rule's detection into one closure over an EventView, together with its
 * witness: literals (field, lower-cased text) of which at least one must occur for a match.
 */
import { GarrisonError } from '../../core/errors.js';
import { expandPattern, parseCondition, type CondNode } from './condition.js';
import type { SigmaRule } from './types.js';
import { compileItem, score, type CompiledItem, type FieldTest, type ItemContext, type Witness } from './values.js';
import type { EventView } from './view.js';
import { isYMap, type YMap, type YValue } from './yaml.js';

export interface Compiled {
  test: FieldTest;
  witness: Witness[] | null;
  /**
   * Witness groups that must all be found for a match (AND of ORs), best first; [] = none.
   * The candidate index uses up to MAX_GROUPS of them.
   */
  groups: Witness[][];
  /** The witness structure (AND/OR of item witnesses); the candidate index picks groups from it. */
  wexpr: WExpr | null;
  /** Fields read by the searches not under a `not` (candidates for the detection's matched fields). */
  fields: string[];
}

const MAX_VALUES = 10_000;

function leafValues(v: YValue, where: string): (string | null)[] {
  if (v === null || typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    if (v.length > MAX_VALUES) throw new GarrisonError('SIGMA_DETECTION_INVALID', `'${where}' has more than ${MAX_VALUES} values`);
    return v.map((x) => {
      if (x !== null && typeof x !== 'string') throw new GarrisonError('SIGMA_DETECTION_INVALID', `'${where}' holds a nested list or map where a value is expected`);
      return x;
    });
  }
  throw new GarrisonError('SIGMA_DETECTION_INVALID', `'${where}' holds a map where a value or list of values is expected`);
}

function itemToCompiled(c: CompiledItem): Compiled {
  const lits = c.groups.map((w): WExpr => ({ t: 'lit', w }));
  const wexpr: WExpr | null = lits.length === 0 ? null : lits.length === 1 ? lits[0] : { t: 'and', items: lits };
  return { ...c, wexpr };
}

function compileMap(m: YMap, sel: string, ctx: ItemContext): Compiled {
  const keys = Object.keys(m);
  if (keys.length === 0) throw new GarrisonError('SIGMA_DETECTION_INVALID', `search '${sel}' is an empty mapping`);
  const parts = keys.map((key) => {
    const [field, ...mods] = key.split('|');
    return itemToCompiled(compileItem(field, mods.map((x) => x.toLowerCase()), leafValues(m[key], `${sel}.${key}`), ctx));
  });
  return and(parts);
}

export const MAX_GROUPS = 3;

/** Witness structure: an item's literal alternatives, or AND / OR of sub-structures. */
export type WExpr = { t: 'lit'; w: Witness[] } | { t: 'and'; items: WExpr[] } | { t: 'or'; items: WExpr[] };

/**
 * Chooses up to MAX_GROUPS witness groups (each an OR of literals; all groups required) from a
 * witness structure, preferring groups whose literals are rare (`cost` of a literal, e.g. how many
 * rules of the bucket use it): AND keeps the cheapest groups of its parts, OR takes the union of
 * each part's cheapest group.
 */
export function chooseGroups(e: WExpr | null, cost: (w: Witness) => number): Witness[][] {
  if (!e) return [];
  const gcost = (g: Witness[]) => g.reduce((s, w) => s + cost(w), 0);
  if (e.t === 'lit') return e.w.length ? [e.w] : [];
  if (e.t === 'and') {
    const seen = new Set<string>();
    return e.items
      .flatMap((x) => chooseGroups(x, cost))
      .map((g) => ({ g, c: gcost(g) }))
      .sort((a, b) => a.c - b.c)
      .map((x) => x.g)
      .filter((g) => {
        const k = groupKey(g);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      })
      .slice(0, MAX_GROUPS);
  }
  // OR: group k is the union of each branch's k-th group (its last one when it has fewer). When a
  // branch matches, all its groups are found, so every such union is found too.
  const parts = e.items.map((x) => chooseGroups(x, cost));
  if (parts.some((p) => p.length === 0)) return [];
  const n = Math.min(MAX_GROUPS, Math.max(...parts.map((p) => p.length)));
  const out: Witness[][] = [];
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const g = parts.flatMap((p) => p[Math.min(k, p.length - 1)]);
    const key = groupKey(g);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(g);
    }
  }
  return out;
}

function wAnd(parts: Compiled[]): WExpr | null {
  const xs = parts.map((p) => p.wexpr).filter((x): x is WExpr => x !== null);
  return xs.length === 0 ? null : xs.length === 1 ? xs[0] : { t: 'and', items: xs };
}
function wOr(parts: Compiled[]): WExpr | null {
  if (parts.some((p) => p.wexpr === null)) return null;
  const xs = parts.map((p) => p.wexpr as WExpr);
  return xs.length === 1 ? xs[0] : { t: 'or', items: xs };
}

function groupKey(g: Witness[]): string {
  return g.map((w) => `${w.field}\u0000${w.kind}\u0000${w.literal}`).sort().join('\u0001');
}

function and(parts: Compiled[]): Compiled {
  // Every part must match, so every part's groups are required: keep the best few, distinct.
  const all = parts.flatMap((p) => p.groups);
  const seen = new Set<string>();
  const groups = all
    .sort((a, b) => score(b) - score(a))
    .filter((g) => {
      const k = groupKey(g);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .slice(0, MAX_GROUPS);
  const tests = parts.map((p) => p.test);
  const test: FieldTest =
    tests.length === 1 ? tests[0] : tests.length === 2 ? (v) => tests[0](v) && tests[1](v) : (v) => { for (const t of tests) if (!t(v)) return false; return true; };
  return { test, witness: groups[0] ?? null, groups, wexpr: wAnd(parts), fields: parts.flatMap((p) => p.fields) };
}
function or(parts: Compiled[]): Compiled {
  // One part must match: the union of each part's best group is required.
  const groups = parts.some((p) => p.groups.length === 0) ? [] : [parts.flatMap((p) => p.groups[0])];
  const tests = parts.map((p) => p.test);
  const test: FieldTest = tests.length === 1 ? tests[0] : (v) => { for (const t of tests) if (t(v)) return true; return false; };
  return { test, witness: groups[0] ?? null, groups, wexpr: wOr(parts), fields: parts.flatMap((p) => p.fields) };
}

/** Compiles one search identifier's value (map, list of maps, keyword list). */
export function compileSearch(name: string, v: YValue, ctx: ItemContext): Compiled {
  if (isYMap(v)) return compileMap(v, name, ctx);
  if (typeof v === 'string' || v === null) return itemToCompiled(compileItem('', [], leafValues(v, name), ctx));
  if (Array.isArray(v)) {
    if (v.length === 0) throw new GarrisonError('SIGMA_DETECTION_INVALID', `search '${name}' is an empty list`);
    const maps = v.filter(isYMap);
    const scalars = v.filter((x): x is string | null => x === null || typeof x === 'string');
    if (maps.length + scalars.length !== v.length) throw new GarrisonError('SIGMA_DETECTION_INVALID', `search '${name}' holds a nested list`);
    const parts: Compiled[] = maps.map((m, i) => compileMap(m, `${name}[${i}]`, ctx));
    if (scalars.length) parts.push(itemToCompiled(compileItem('', [], scalars, ctx)));
    return or(parts);
  }
  throw new GarrisonError('SIGMA_DETECTION_INVALID', `search '${name}' has an unsupported value`);
}

function compileNode(node: CondNode, sel: Map<string, Compiled>, ids: string[], negated: boolean): Compiled {
  switch (node.t) {
    case 'id': {
      const c = sel.get(node.name);
      if (!c) throw new GarrisonError('SIGMA_CONDITION_INVALID', `condition names '${node.name}', which is not a search identifier of the rule`);
      return negated ? { ...c, fields: [] } : c;
    }
    case 'and':
      return and(node.items.map((x) => compileNode(x, sel, ids, negated)));
    case 'or':
      return or(node.items.map((x) => compileNode(x, sel, ids, negated)));
    case 'not': {
      const inner = compileNode(node.item, sel, ids, !negated);
      const t = inner.test;
      return { test: (v) => !t(v), witness: null, groups: [], wexpr: null, fields: [] };
    }
    case 'of': {
      const names = expandPattern(node.pattern, ids);
      if (names.length === 0) throw new GarrisonError('SIGMA_CONDITION_INVALID', `'${node.pattern}' in the condition matches no search identifier`);
      const parts = names.map((n) => compileNode({ t: 'id', name: n }, sel, ids, negated));
      if (node.quant === 'all') return and(parts);
      if (node.quant === 1) return or(parts);
      const k = node.quant;
      const tests = parts.map((p) => p.test);
      return {
        test: (v) => {
          let n = 0;
          for (const t of tests) if (t(v) && ++n >= k) return true;
          return false;
        },
        witness: null,
        groups: [],
        wexpr: null,
        fields: parts.flatMap((p) => p.fields),
      };
    }
  }
}

/** Compiles searches + conditions. Errors carry the rule's file:line of the offending part. */
export function compileDetection(
  searches: Record<string, YValue>,
  conditions: string[],
  ctx: ItemContext,
  where: { file: string; lineOf?: (p: (string | number)[]) => number | undefined; base: (string | number)[] },
): Compiled {
  const sel = new Map<string, Compiled>();
  const ids = Object.keys(searches);
  for (const id of ids) {
    try {
      sel.set(id, compileSearch(id, searches[id], ctx));
    } catch (e) {
      if (e instanceof GarrisonError) {
        const line = where.lineOf?.([...where.base, id]);
        throw new GarrisonError(e.code, `search '${id}': ${e.message}`, { location: { file: where.file, line, field: e.location?.field } });
      }
      throw e;
    }
  }
  const parts: Compiled[] = [];
  for (const c of conditions) {
    try {
      parts.push(compileNode(parseCondition(c), sel, ids, false));
    } catch (e) {
      if (e instanceof GarrisonError) throw new GarrisonError(e.code, e.message, { location: { file: where.file, line: where.lineOf?.([...where.base, 'condition']) } });
      throw e;
    }
  }
  const c = or(parts);
  return { ...c, fields: [...new Set(c.fields)] };
}

/** Compiles a rule under a field mapping (the processing pipeline's mapping for one log source). */
export function compileRule(rule: SigmaRule, ctx: ItemContext): Compiled {
  return compileDetection(rule.searches, rule.conditions, ctx, { file: rule.source.file, lineOf: rule.lineOf, base: ['detection'] });
}

export type { EventView };
