/**
 * Turns YAML documents into Sigma rules and filters, handling rule collections
 * (`action: global | reset | repeat`). Every problem is collected with file:line and a code.
 */
import { createHash } from 'node:crypto';
import { GarrisonError } from '../../core/errors.js';
import { LEVELS, type Level } from '../../core/signal.js';
import type { LogSource, SigmaFilter, SigmaRule } from './types.js';
import { isYMap, type YDoc, type YMap, type YValue } from './yaml.js';

export type ParsedDoc =
  | { kind: 'rule'; rule: SigmaRule }
  | { kind: 'filter'; filter: SigmaFilter }
  | { kind: 'correlation'; doc: YDoc }
  | { kind: 'problem'; error: GarrisonError };

function deepMerge(a: YValue, b: YValue): YValue {
  if (isYMap(a) && isYMap(b)) {
    const out: YMap = Object.create(null);
    for (const k of Object.keys(a)) out[k] = a[k];
    for (const k of Object.keys(b)) out[k] = k in out ? deepMerge(out[k], b[k]) : b[k];
    return out;
  }
  return b;
}

const str = (v: YValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
function strList(v: YValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function stableId(file: string, title: string, line: number): string {
  return 'garrison-' + createHash('sha1').update(`${file}\0${title}\0${line}`).digest('hex').slice(0, 20);
}

function parseLogsource(v: YValue | undefined): LogSource | undefined {
  if (!isYMap(v)) return undefined;
  const ls: LogSource = {};
  for (const k of ['product', 'service', 'category', 'definition'] as const) {
    const s = str(v[k]);
    if (s !== undefined) ls[k] = k === 'definition' ? s : s.toLowerCase();
  }
  return ls;
}

/** Splits a file's documents into rules, filters, correlations and problems. */
export function parseDocs(docs: YDoc[], file: string): ParsedDoc[] {
  const out: ParsedDoc[] = [];
  let global: YValue | null = null;
  let previous: YValue | null = null;
  for (const d of docs) {
    const v = d.value;
    if (v === null) continue;
    const loc = { file, line: d.line };
    if (!isYMap(v)) {
      out.push({ kind: 'problem', error: new GarrisonError('SIGMA_RULE_INVALID', 'a rule document must be a YAML mapping', { location: loc }) });
      continue;
    }
    const action = str(v.action);
    if (action !== undefined) {
      if (action === 'global') {
        const g: YMap = Object.create(null);
        for (const k of Object.keys(v)) if (k !== 'action') g[k] = v[k];
        global = g;
        continue;
      }
      if (action === 'reset') {
        global = null;
        continue;
      }
      if (action === 'repeat') {
        if (previous === null) {
          out.push({ kind: 'problem', error: new GarrisonError('SIGMA_COLLECTION_INVALID', "'action: repeat' without a previous rule document", { location: loc }) });
          continue;
        }
        const r: YMap = Object.create(null);
        for (const k of Object.keys(v)) if (k !== 'action') r[k] = v[k];
        const merged = deepMerge(previous, r) as YMap;
        previous = merged;
        out.push(parseOne({ ...d, value: merged }, merged, file));
        continue;
      }
      out.push({ kind: 'problem', error: new GarrisonError('SIGMA_COLLECTION_INVALID', `unknown collection action '${action}' (global, reset or repeat)`, { location: { file, line: d.lineOf(['action']) } }) });
      continue;
    }
    const merged = global ? (deepMerge(global, v) as YMap) : v;
    previous = merged;
    out.push(parseOne(d, merged, file));
  }
  return out;
}

function parseOne(d: YDoc, v: YMap, file: string): ParsedDoc {
  const at = (path: (string | number)[]) => ({ file, line: d.lineOf(path) ?? d.line });
  const bad = (code: 'SIGMA_RULE_INVALID' | 'SIGMA_FILTER_INVALID', msg: string, path: (string | number)[] = []): ParsedDoc => ({
    kind: 'problem',
    error: new GarrisonError(code, msg, { location: at(path) }),
  });
  if ('correlation' in v) return { kind: 'correlation', doc: { ...d, value: v } };
  const title = str(v.title);
  if ('filter' in v) {
    if (!title) return bad('SIGMA_FILTER_INVALID', "filter: 'title' is missing or not a string", ['title']);
    const f = v.filter;
    if (!isYMap(f)) return bad('SIGMA_FILTER_INVALID', "filter: 'filter' must be a mapping with rules, selections and condition", ['filter']);
    const rules = strList(f.rules);
    if (rules.length === 0) return bad('SIGMA_FILTER_INVALID', "filter: 'filter.rules' must name at least one rule id or name", ['filter', 'rules']);
    const cond = str(f.condition);
    if (!cond) return bad('SIGMA_FILTER_INVALID', "filter: 'filter.condition' is missing", ['filter', 'condition']);
    const searches: Record<string, YValue> = Object.create(null);
    for (const k of Object.keys(f)) if (k !== 'rules' && k !== 'condition') searches[k] = f[k];
    const logsource = parseLogsource(v.logsource) ?? {};
    return {
      kind: 'filter',
      filter: { id: str(v.id) ?? stableId(file, title, d.line), title, logsource, rules, searches, condition: cond, source: { file, line: d.line }, lineOf: d.lineOf },
    };
  }
  if (!title) return bad('SIGMA_RULE_INVALID', "'title' is missing or not a string", ['title']);
  const logsource = parseLogsource(v.logsource);
  if (!logsource) return bad('SIGMA_RULE_INVALID', "'logsource' is missing or not a mapping", ['logsource']);
  if (!logsource.product && !logsource.service && !logsource.category) return bad('SIGMA_RULE_INVALID', "'logsource' names no product, service or category", ['logsource']);
  const det = v.detection;
  if (!isYMap(det)) return bad('SIGMA_RULE_INVALID', "'detection' is missing or not a mapping", ['detection']);
  const c = det.condition;
  const conditions = typeof c === 'string' ? [c] : Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === 'string') ? (c as string[]) : null;
  if (!conditions) return bad('SIGMA_RULE_INVALID', "'detection.condition' is missing or not a string (or list of strings)", ['detection', 'condition']);
  const searches: Record<string, YValue> = Object.create(null);
  for (const k of Object.keys(det)) if (k !== 'condition' && k !== 'timeframe') searches[k] = det[k];
  if (Object.keys(searches).length === 0) return bad('SIGMA_RULE_INVALID', "'detection' defines no search identifier", ['detection']);
  const lv = str(v.level);
  let level: Level = 'medium';
  if (lv !== undefined) {
    if (!(LEVELS as readonly string[]).includes(lv.toLowerCase())) return bad('SIGMA_RULE_INVALID', `'level' must be one of ${LEVELS.join(', ')}, got '${lv}'`, ['level']);
    level = lv.toLowerCase() as Level;
  }
  const id = str(v.id);
  const related = Array.isArray(v.related)
    ? v.related.filter(isYMap).map((r) => ({ id: str(r.id) ?? '', type: str(r.type) ?? '' })).filter((r) => r.id)
    : [];
  const rule: SigmaRule = {
    id: id ?? stableId(file, title, d.line),
    hasId: id !== undefined,
    name: str(v.name),
    title,
    status: str(v.status),
    level,
    levelGiven: lv,
    description: str(v.description),
    author: str(v.author),
    date: str(v.date),
    modified: str(v.modified),
    tags: strList(v.tags).map((t) => t.toLowerCase()),
    references: strList(v.references),
    falsepositives: strList(v.falsepositives),
    related,
    fields: strList(v.fields),
    logsource,
    searches,
    conditions,
    regressionTestsPath: str(v.regression_tests_path),
    source: { file, line: d.line },
    lineOf: d.lineOf,
    doc: v,
  };
  return { kind: 'rule', rule };
}
