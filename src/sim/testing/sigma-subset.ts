/**
 * A deliberately small Sigma evaluator used only by the simulator's tests, to check the built-in
 * rule pack against its own test events and against generated telemetry while the real engine
 * (src/detect/sigma) is built in parallel. It supports exactly what rules/ uses - field maps and
 * lists of maps, the contains/startswith/endswith/all modifiers, and/or/not, parentheses,
 * `1 of` / `all of` with wildcards, and event_count / value_count correlations - and throws on
 * anything else, so a rule it cannot read fails the test instead of silently passing.
 * It is not part of the detection path.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { getField } from '../../core/event.js';

export interface SubsetRule {
  file: string;
  id: string;
  name?: string;
  title: string;
  level: string;
  tags: string[];
  logsource: Record<string, string>;
  match?: (rec: Record<string, unknown>) => boolean;
  correlation?: { type: 'event_count' | 'value_count'; rules: string[]; groupBy: string[]; timespanMs: number; gte: number; field?: string };
}

type Pred = (rec: Record<string, unknown>) => boolean;

const SUPPORTED_MODS = new Set(['contains', 'startswith', 'endswith', 'all']);

/** Loads every rule under `dir` (skipping *.tests.yml). */
export function loadRules(dir: string): SubsetRule[] {
  const out: SubsetRule[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.yml') && !n.endsWith('.tests.yml')) out.push(compileRule(parse(readFileSync(p, 'utf8')), relative(dir, p)));
    }
  };
  walk(dir);
  return out;
}

export function compileRule(doc: any, file: string): SubsetRule {
  const base = { file, id: String(doc.id), name: doc.name, title: String(doc.title), level: String(doc.level), tags: (doc.tags ?? []).map(String), logsource: doc.logsource ?? {} };
  if (doc.correlation) {
    const c = doc.correlation;
    const m = /^(\d+)([smhd])$/.exec(String(c.timespan));
    if (!m) throw new Error(`${file}: unsupported timespan ${c.timespan}`);
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's' | 'm' | 'h' | 'd'];
    if (c.type !== 'event_count' && c.type !== 'value_count') throw new Error(`${file}: unsupported correlation ${c.type}`);
    if (typeof c.condition?.gte !== 'number') throw new Error(`${file}: only 'gte' correlation conditions are supported`);
    return { ...base, correlation: { type: c.type, rules: c.rules.map(String), groupBy: c['group-by'].map(String), timespanMs: Number(m[1]) * unit, gte: c.condition.gte, field: c.condition.field } };
  }
  const det = doc.detection;
  const sels = new Map<string, Pred>();
  for (const [k, v] of Object.entries(det)) if (k !== 'condition') sels.set(k, selection(v, file, k));
  const cond = parseCondition(String(det.condition), sels, file);
  const src = logsourcePred(doc.logsource ?? {}, file);
  const proc = doc.logsource?.category === 'process_creation';
  return { ...base, match: (rec) => src(rec) && cond(withView(rec, proc)) };
}

function selection(v: unknown, file: string, name: string): Pred {
  if (Array.isArray(v)) {
    const alts = v.map((x, i) => selection(x, file, `${name}[${i}]`));
    return (r) => alts.some((a) => a(r));
  }
  if (!v || typeof v !== 'object') throw new Error(`${file}: selection ${name} is not a map (keyword lists are not supported)`);
  const items: Pred[] = [];
  for (const [key, val] of Object.entries(v)) {
    const [field, ...mods] = key.split('|');
    for (const m of mods) if (!SUPPORTED_MODS.has(m)) throw new Error(`${file}: modifier ${m} not supported by the subset evaluator`);
    const all = mods.includes('all');
    const op = mods.find((m) => m !== 'all') ?? 'eq';
    const vals = (Array.isArray(val) ? val : [val]).map((x) => String(x).toLowerCase());
    items.push((r) => {
      const got = (r as any).__get(field) as string | undefined;
      if (got === undefined) return false;
      const g = got.toLowerCase();
      const test = (x: string): boolean => (op === 'contains' ? g.includes(x) : op === 'startswith' ? g.startsWith(x) : op === 'endswith' ? g.endsWith(x) : g === x);
      return all ? vals.every(test) : vals.some(test);
    });
  }
  return (r) => items.every((i) => i(r));
}

function parseCondition(src: string, sels: Map<string, Pred>, file: string): Pred {
  const toks = src.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const expr = (): Pred => {
    let l = term();
    while (peek() === 'or') {
      i++;
      const a = l;
      const b = term();
      l = (r) => a(r) || b(r);
    }
    return l;
  };
  const term = (): Pred => {
    let l = factor();
    while (peek() === 'and') {
      i++;
      const a = l;
      const b = factor();
      l = (r) => a(r) && b(r);
    }
    return l;
  };
  const factor = (): Pred => {
    const t = toks[i++];
    if (t === 'not') {
      const f = factor();
      return (r) => !f(r);
    }
    if (t === '(') {
      const e = expr();
      if (toks[i++] !== ')') throw new Error(`${file}: unbalanced parentheses in condition`);
      return e;
    }
    if ((t === '1' || t === 'all') && peek() === 'of') {
      i++;
      const pat = toks[i++];
      const re = pat === 'them' ? /^/ : new RegExp('^' + pat.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
      const ps = [...sels].filter(([k]) => re.test(k)).map(([, p]) => p);
      if (!ps.length) throw new Error(`${file}: '${pat}' names no selection`);
      return t === '1' ? (r) => ps.some((p) => p(r)) : (r) => ps.every((p) => p(r));
    }
    const p = t === undefined ? undefined : sels.get(t);
    if (!p) throw new Error(`${file}: condition names unknown selection '${t}'`);
    return p;
  };
  const out = expr();
  if (i !== toks.length) throw new Error(`${file}: trailing tokens in condition`);
  return out;
}

function winlog(rec: Record<string, unknown>): { channel?: string; event_id?: string | number; provider_name?: string; computer_name?: string; event_data?: Record<string, unknown> } | undefined {
  const w = rec.winlog;
  return w && typeof w === 'object' ? (w as any) : undefined;
}

function logsourcePred(ls: Record<string, string>, file: string): Pred {
  if (ls.product === 'windows') {
    const sysmon = (id: number): Pred => (r) => winlog(r)?.channel === 'Microsoft-Windows-Sysmon/Operational' && String(winlog(r)?.event_id) === String(id);
    switch (ls.category) {
      case 'process_creation':
        return (r) => sysmon(1)(r) || (winlog(r)?.channel === 'Security' && String(winlog(r)?.event_id) === '4688');
      case 'network_connection':
        return sysmon(3);
      case 'process_access':
        return sysmon(10);
      case 'file_event':
        return sysmon(11);
      case 'registry_set':
        return sysmon(13);
      case 'dns_query':
        return sysmon(22);
      case 'ps_script':
        return (r) => winlog(r)?.channel === 'Microsoft-Windows-PowerShell/Operational' && String(winlog(r)?.event_id) === '4104';
      case undefined:
        break;
      default:
        throw new Error(`${file}: category ${ls.category} not supported`);
    }
    if (ls.service === 'security') return (r) => winlog(r)?.channel === 'Security';
    if (ls.service === 'system') return (r) => winlog(r)?.channel === 'System';
  }
  if (ls.product === 'azure' && ls.service === 'signinlogs') return (r) => typeof r.category === 'string' && /SignInLogs$/.test(r.category) && 'resultType' in r;
  throw new Error(`${file}: logsource ${JSON.stringify(ls)} not supported`);
}

const PROC_4688: Record<string, string> = { Image: 'NewProcessName', ParentImage: 'ParentProcessName' };

function withView(rec: Record<string, unknown>, proc: boolean): Record<string, unknown> {
  const w = winlog(rec);
  const get = (field: string): string | undefined => {
    let v: unknown;
    if (w) {
      if (field === 'EventID') v = w.event_id;
      else if (field === 'Provider_Name') v = w.provider_name;
      else if (field === 'Channel') v = w.channel;
      else if (field === 'Computer') v = w.computer_name;
      else {
        const ed = w.event_data ?? {};
        v = ed[field];
        if (v === undefined && proc && PROC_4688[field]) v = ed[PROC_4688[field]];
      }
    } else v = getField(rec, field);
    return v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  return { __get: get } as unknown as Record<string, unknown>;
}

export function fieldOf(rec: Record<string, unknown>, field: string): string | undefined {
  return ((withView(rec, false) as any).__get as (f: string) => string | undefined)(field);
}

export function timeOf(rec: Record<string, unknown>): number {
  const t = rec['@timestamp'] ?? rec.time ?? rec.eventTime;
  return typeof t === 'string' ? Date.parse(t) : NaN;
}

/** Runs base rules and correlations over records in time order; returns hits per rule id with the record indexes. */
export function runRules(rules: SubsetRule[], recs: Record<string, unknown>[]): Map<string, number[]> {
  const hits = new Map<string, number[]>();
  const base = rules.filter((r) => r.match);
  const byName = new Map(base.filter((r) => r.name).map((r) => [r.name!, r] as const));
  const corr = rules.filter((r) => r.correlation).map((r) => {
    for (const n of r.correlation!.rules) if (!byName.has(n) && !base.some((b) => b.id === n)) throw new Error(`${r.file}: correlation refers to unknown rule ${n}`);
    return { rule: r, windows: new Map<string, { t: number; v: string }[]>() };
  });
  recs.forEach((rec, idx) => {
    for (const r of base) {
      if (!r.match!(rec)) continue;
      let h = hits.get(r.id);
      if (!h) hits.set(r.id, (h = []));
      h.push(idx);
      for (const c of corr) {
        const cc = c.rule.correlation!;
        if (!cc.rules.includes(r.name ?? '') && !cc.rules.includes(r.id)) continue;
        const t = timeOf(rec);
        const key = cc.groupBy.map((g) => fieldOf(rec, g) ?? '').join('|');
        const win = c.windows.get(key) ?? [];
        win.push({ t, v: cc.field ? fieldOf(rec, cc.field) ?? '' : '' });
        while (win.length && win[0].t < t - cc.timespanMs) win.shift();
        c.windows.set(key, win);
        const n = cc.type === 'event_count' ? win.length : new Set(win.map((x) => x.v)).size;
        if (n >= cc.gte) {
          let ch = hits.get(c.rule.id);
          if (!ch) hits.set(c.rule.id, (ch = []));
          ch.push(idx);
        }
      }
    }
  });
  return hits;
}
