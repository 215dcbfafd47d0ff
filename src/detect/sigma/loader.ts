/**
 * Loads Sigma rules, filters and correlation documents from files and directories. Every problem
 * (unreadable file, bad YAML, malformed rule, duplicate id) is collected with file, line and code;
 * nothing stops at the first bad rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GarrisonError } from '../../core/errors.js';
import { compileDetection } from './compile.js';
import { parseDocs } from './rule.js';
import { DEFAULT_PLACEHOLDER } from './values.js';
import type { SigmaFilter, SigmaRule } from './types.js';
import { readYamlDocs, type YDoc } from './yaml.js';

export interface LoadedSet {
  rules: SigmaRule[];
  filters: SigmaFilter[];
  /** Documents with a `correlation:` key, handed to the correlation parser. */
  correlations: { doc: YDoc; file: string }[];
  problems: GarrisonError[];
  files: number;
}

/** Largest rule file read (a Sigma rule is a few kB; larger files are refused, not parsed). */
export const MAX_RULE_FILE_BYTES = 4 * 1024 * 1024;

/** Rule files under a path: `.yml`/`.yaml`, skipping rule-pack test files (`*.tests.yml`). */
export function listRuleFiles(path: string, problems: GarrisonError[]): string[] {
  const out: string[] = [];
  const walk = (p: string, depth: number) => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      problems.push(new GarrisonError('SIGMA_IO', `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: p } }));
      return;
    }
    if (st.isDirectory()) {
      if (depth > 32) return;
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch (e) {
        problems.push(new GarrisonError('SIGMA_IO', `cannot list ${p}: ${(e as Error).message}`, { location: { file: p } }));
        return;
      }
      for (const n of names) {
        if (n.startsWith('.')) continue;
        const c = join(p, n);
        if (/\.tests\.ya?ml$/i.test(n)) continue;
        let cst;
        try {
          cst = statSync(c);
        } catch {
          continue;
        }
        if (cst.isDirectory()) walk(c, depth + 1);
        else if (/\.ya?ml$/i.test(n)) out.push(c);
      }
    } else out.push(p);
  };
  walk(path, 0);
  return out;
}

/** Parses one file's text into the set. */
export function loadText(text: string, file: string, into: LoadedSet, seen = new Map<string, string>()): void {
  const { docs, problems } = readYamlDocs(text, file);
  into.problems.push(...problems);
  for (const p of parseDocs(docs, file)) {
    if (p.kind === 'problem') into.problems.push(p.error);
    else if (p.kind === 'filter') {
      const bad = checkFilter(p.filter);
      if (bad) into.problems.push(bad);
      else into.filters.push(p.filter);
    }
    else if (p.kind === 'correlation') into.correlations.push({ doc: p.doc, file });
    else {
      const prev = seen.get(p.rule.id);
      if (prev !== undefined) {
        into.problems.push(new GarrisonError('SIGMA_DUPLICATE_ID', `rule id ${p.rule.id} is already used by ${prev}`, { location: { file, line: p.rule.lineOf(['id']) } }));
        continue;
      }
      seen.set(p.rule.id, `${file}:${p.rule.source.line}`);
      into.rules.push(p.rule);
    }
  }
}

/**
 * Compiles a filter's searches and condition once (field names as written, any placeholder
 * resolvable) so that a broken filter is reported with its own file:line and dropped, instead of
 * failing every rule it names when the matcher adds it to them.
 */
function checkFilter(f: SigmaFilter): GarrisonError | undefined {
  try {
    compileDetection(f.searches, [f.condition], { mapField: (n) => [n], placeholders: { [DEFAULT_PLACEHOLDER]: ['x'] } }, { file: f.source.file, lineOf: f.lineOf, base: ['filter'] });
    return undefined;
  } catch (e) {
    if (e instanceof GarrisonError) return new GarrisonError(e.code, `filter '${f.title}': ${e.message}`, { location: { file: f.source.file, line: e.location?.line ?? f.source.line, field: e.location?.field } });
    throw e;
  }
}

/**
 * Drops (and reports) filters none of whose `rules` names a loaded rule: they would silently apply
 * to nothing (a typo in an id or name).
 */
export function checkFilterTargets(set: LoadedSet): void {
  const known = new Set<string>();
  for (const r of set.rules) {
    known.add(r.id);
    if (r.name) known.add(r.name);
  }
  set.filters = set.filters.filter((f) => {
    if (f.rules.some((r) => known.has(r))) return true;
    set.problems.push(
      new GarrisonError('SIGMA_FILTER_INVALID', `filter '${f.title}' names no loaded rule (${f.rules.slice(0, 5).join(', ')}${f.rules.length > 5 ? ', …' : ''})`, {
        location: { file: f.source.file, line: f.lineOf?.(['filter', 'rules']) ?? f.source.line },
      }),
    );
    return false;
  });
}

/** Loads every rule file under the given files/directories. */
export function loadRulePaths(paths: string[]): LoadedSet {
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 0 };
  const seen = new Map<string, string>();
  for (const path of paths) {
    for (const file of listRuleFiles(path, set.problems)) {
      set.files++;
      let text: string;
      try {
        const st = statSync(file);
        if (st.size > MAX_RULE_FILE_BYTES) {
          set.problems.push(new GarrisonError('SIGMA_IO', `${file} is ${st.size} bytes, larger than the ${MAX_RULE_FILE_BYTES}-byte limit for a rule file`, { location: { file } }));
          continue;
        }
        text = readFileSync(file, 'utf8');
      } catch (e) {
        set.problems.push(new GarrisonError('SIGMA_IO', `cannot read ${file}: ${(e as Error).message}`, { location: { file } }));
        continue;
      }
      loadText(text, file, set, seen);
    }
  }
  checkFilterTargets(set);
  return set;
}
