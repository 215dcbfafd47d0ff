/**
 * Runner of a rule pack's own test events. Beside `rules/**\/<name>.yml` sits
 * `<name>.tests.yml` with `positive:` and `negative:` lists; each item is
 * `{format?: <parser name>, event: <native producer record>}`. Every item is normalized through the
 * parser registry (parseRecord) and matched with every rule of the pack loaded; a positive must
 * raise the rule, a negative must not. `garrison rules test` reuses this.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { GarrisonError } from '../../core/errors.js';
import { parseRecord } from '../../normalize/registry.js';
import { listRuleFiles, loadRulePaths } from './loader.js';
import { SigmaMatcher } from './matcher.js';
import type { SigmaConfigInput } from './config.js';

export interface RulePackFailure {
  rule_id?: string;
  title?: string;
  file: string;
  kind: 'positive' | 'negative' | 'missing-tests' | 'load';
  index?: number;
  message: string;
}

export interface RulePackResult {
  rules: number;
  /** Test events run (positives + negatives). */
  cases: number;
  passed: number;
  failures: RulePackFailure[];
}

/** Tests every rule of the pack under `dir` against its `.tests.yml` events. */
export function testRulePack(dir: string, opts: { config?: SigmaConfigInput; requireTests?: boolean } = {}): RulePackResult {
  const set = loadRulePaths([dir]);
  const matcher = new SigmaMatcher(set, { config: { skipStatus: [], ...(opts.config ?? {}) } });
  const res: RulePackResult = { rules: matcher.rules.length, cases: 0, passed: 0, failures: [] };
  for (const p of [...set.problems, ...matcher.problems]) res.failures.push({ file: p.location?.file ?? dir, kind: 'load', message: `${p.code}: ${p.message}` });
  const byFile = new Map(matcher.rules.map((r) => [r.source.file, r]));
  const problems: GarrisonError[] = [];
  for (const file of listRuleFiles(dir, problems)) {
    const rule = byFile.get(file);
    if (!rule) continue;
    const testsFile = file.replace(/\.ya?ml$/i, '.tests.yml');
    if (!existsSync(testsFile)) {
      if (opts.requireTests !== false) res.failures.push({ rule_id: rule.id, title: rule.title, file, kind: 'missing-tests', message: `no ${testsFile}` });
      continue;
    }
    let doc: { positive?: unknown; negative?: unknown };
    try {
      doc = (parseYaml(readFileSync(testsFile, 'utf8')) ?? {}) as typeof doc;
    } catch (e) {
      res.failures.push({ rule_id: rule.id, title: rule.title, file: testsFile, kind: 'load', message: `YAML: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    const lists = { positive: doc.positive, negative: doc.negative } as const;
    for (const kind of ['positive', 'negative'] as const) {
      const items = lists[kind];
      if (!Array.isArray(items) || items.length === 0) {
        if (opts.requireTests !== false) res.failures.push({ rule_id: rule.id, title: rule.title, file: testsFile, kind: 'missing-tests', message: `'${kind}' must be a non-empty list` });
        continue;
      }
      items.forEach((item: unknown, index: number) => {
        res.cases++;
        const it = item as { format?: unknown; event?: unknown };
        if (!it || typeof it !== 'object' || !it.event || typeof it.event !== 'object' || Array.isArray(it.event)) {
          res.failures.push({ rule_id: rule.id, title: rule.title, file: testsFile, kind, index, message: `${kind}[${index}] has no 'event' object` });
          return;
        }
        const r = parseRecord({
          data: it.event as Record<string, unknown>,
          origin: `file:${testsFile}:${kind}:${index}`,
          input: `file:${testsFile}`,
          tenant: 'test',
          receivedAt: 0,
          format: typeof it.format === 'string' ? it.format : undefined,
        });
        if (!r.ok) {
          res.failures.push({ rule_id: rule.id, title: rule.title, file: testsFile, kind, index, message: `event does not parse: ${r.error.code}: ${r.error.message}` });
          return;
        }
        const hit = matcher.match(r.event).some((d) => d.rule.id === rule.id);
        if (hit === (kind === 'positive')) res.passed++;
        else
          res.failures.push({
            rule_id: rule.id,
            title: rule.title,
            file: testsFile,
            kind,
            index,
            message: kind === 'positive' ? `positive[${index}] did not match (source ${JSON.stringify(r.event.source)})` : `negative[${index}] matched`,
          });
      });
    }
  }
  return res;
}
