/**
 * `garrison rules test`: every rule's own positive and negative test events, for the built-in pack
 * and any directory. Base rules go through the Sigma rule-pack runner (testRulePack: each event is
 * normalized by the parser registry and matched); correlation rules are tested here, each list fed
 * as one stream through a fresh detection stage (base rules and correlation engine) in order: the
 * positive stream must raise the correlation, the negative stream must not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GarrisonEvent } from '../../core/event.js';
import { SigmaStage } from '../engine.js';
import { parseRecord } from '../../normalize/registry.js';
import type { SigmaConfigInput } from '../sigma/config.js';
import { parseCorrelationRule } from '../sigma/correlation/index.js';
import { loadRulePaths } from '../sigma/loader.js';
import { testRulePack, type RulePackFailure } from '../sigma/rulepack.js';

export type RuleTestStatus = 'passed' | 'failed' | 'no-tests';

export interface RuleTestEntry {
  id: string;
  title: string;
  file: string;
  kind: 'sigma' | 'correlation';
  cases: number;
  passed: number;
  status: RuleTestStatus;
}

export interface RuleTestReport {
  dirs: string[];
  rules: number;
  cases: number;
  passed: number;
  failures: RulePackFailure[];
  perRule: RuleTestEntry[];
  ok: boolean;
  durationMs: number;
}

function testsFileOf(file: string): string {
  return file.replace(/\.ya?ml$/i, '.tests.yml');
}

function readTests(file: string): { positive?: unknown; negative?: unknown } | string {
  try {
    const d = parseYaml(readFileSync(file, 'utf8')) as unknown;
    return d && typeof d === 'object' ? (d as { positive?: unknown; negative?: unknown }) : {};
  } catch (e) {
    return `YAML: ${(e as Error).message.split('\n')[0]}`;
  }
}

function countCases(t: { positive?: unknown; negative?: unknown }): number {
  return (Array.isArray(t.positive) ? t.positive.length : 0) + (Array.isArray(t.negative) ? t.negative.length : 0);
}

function parseItems(items: unknown[], testsFile: string, kind: string): { events: GarrisonEvent[]; error?: string } {
  const events: GarrisonEvent[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as { format?: unknown; event?: unknown };
    if (!it || typeof it !== 'object' || !it.event || typeof it.event !== 'object' || Array.isArray(it.event)) return { events, error: `${kind}[${i}] has no 'event' object` };
    const r = parseRecord({
      data: it.event as Record<string, unknown>,
      origin: `file:${testsFile}:${kind}:${i}`,
      input: `file:${testsFile}`,
      tenant: 'test',
      receivedAt: 0,
      format: typeof it.format === 'string' ? it.format : undefined,
    });
    if (!r.ok) return { events, error: `${kind}[${i}] does not parse: ${r.error.code}: ${r.error.message}` };
    events.push(r.event);
  }
  return { events };
}

/** Runs every rule's tests under the given directories (or files). */
export function runRuleTests(dirs: string[], opts: { config?: SigmaConfigInput; requireTests?: boolean } = {}): RuleTestReport {
  const t0 = performance.now();
  const report: RuleTestReport = { dirs, rules: 0, cases: 0, passed: 0, failures: [], perRule: [], ok: true, durationMs: 0 };
  const config: SigmaConfigInput = { skipStatus: [], ...(opts.config ?? {}) };
  for (const dir of dirs) {
    const r = testRulePack(dir, { config, requireTests: opts.requireTests });
    report.rules += r.rules;
    report.cases += r.cases;
    report.passed += r.passed;
    report.failures.push(...r.failures);
    const set = loadRulePaths([dir]);
    const failedIds = new Set(r.failures.filter((f) => f.kind === 'positive' || f.kind === 'negative' || f.kind === 'load').map((f) => f.rule_id));
    const missing = new Set(r.failures.filter((f) => f.kind === 'missing-tests').map((f) => f.rule_id));
    for (const rule of set.rules) {
      const tf = testsFileOf(rule.source.file);
      const t = existsSync(tf) ? readTests(tf) : undefined;
      const cases = t && typeof t === 'object' ? countCases(t) : 0;
      const status: RuleTestStatus = failedIds.has(rule.id) ? 'failed' : missing.has(rule.id) || cases === 0 ? (missing.has(rule.id) && opts.requireTests !== false ? 'failed' : 'no-tests') : 'passed';
      const failedCases = r.failures.filter((f) => f.rule_id === rule.id && (f.kind === 'positive' || f.kind === 'negative')).length;
      report.perRule.push({ id: rule.id, title: rule.title, file: rule.source.file, kind: 'sigma', cases, passed: Math.max(0, cases - failedCases), status });
    }
  }
  // Correlation rules: resolve references across every directory given.
  const all = loadRulePaths(dirs);
  for (const c of all.correlations) {
    const { rule, problems } = parseCorrelationRule(c.doc.value as Record<string, unknown>, { file: c.file, line: c.doc.line, lineOf: c.doc.lineOf });
    report.rules++;
    if (!rule) {
      for (const p of problems) report.failures.push({ file: c.file, kind: 'load', message: `${p.code}: ${p.message}` });
      continue;
    }
    const entry: RuleTestEntry = { id: rule.id, title: rule.title, file: c.file, kind: 'correlation', cases: 0, passed: 0, status: 'passed' };
    report.perRule.push(entry);
    const tf = testsFileOf(c.file);
    const t = existsSync(tf) ? readTests(tf) : `no ${tf}`;
    if (typeof t === 'string') {
      if (opts.requireTests !== false) {
        report.failures.push({ rule_id: rule.id, title: rule.title, file: tf, kind: existsSync(tf) ? 'load' : 'missing-tests', message: t });
        entry.status = 'failed';
      } else entry.status = 'no-tests';
      continue;
    }
    for (const kind of ['positive', 'negative'] as const) {
      const items = t[kind];
      if (!Array.isArray(items) || items.length === 0) {
        if (opts.requireTests !== false) {
          report.failures.push({ rule_id: rule.id, title: rule.title, file: tf, kind: 'missing-tests', message: `'${kind}' must be a non-empty list` });
          entry.status = 'failed';
        } else if (entry.status === 'passed') entry.status = 'no-tests';
        continue;
      }
      report.cases++;
      entry.cases++;
      const parsed = parseItems(items, tf, kind);
      if (parsed.error) {
        report.failures.push({ rule_id: rule.id, title: rule.title, file: tf, kind, message: parsed.error });
        entry.status = 'failed';
        continue;
      }
      const stage = new SigmaStage({ builtin: false, rulePaths: dirs, config, tenant: 'test' });
      let hits = 0;
      for (const ev of parsed.events) hits += stage.process([ev]).filter((s) => s.detector === rule.id).length;
      hits += stage.flush(Infinity).filter((s) => s.detector === rule.id).length;
      if ((hits > 0) === (kind === 'positive')) {
        report.passed++;
        entry.passed++;
      } else {
        entry.status = 'failed';
        report.failures.push({
          rule_id: rule.id,
          title: rule.title,
          file: tf,
          kind,
          message: kind === 'positive' ? `the positive stream (${items.length} events) did not raise the correlation` : `the negative stream raised the correlation ${hits} time(s)`,
        });
      }
    }
  }
  report.ok = report.failures.length === 0;
  report.durationMs = Math.round(performance.now() - t0);
  return report;
}
