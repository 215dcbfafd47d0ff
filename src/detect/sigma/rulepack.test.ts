import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinRulesDir } from '../engine.js';
import { testRulePack } from './rulepack.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('rule-pack runner', () => {
  it('reports passing, wrong and missing tests precisely', () => {
    const r = testRulePack(path.join(here, 'fixtures', 'pack'));
    expect(r.rules).toBe(3);
    expect(r.cases).toBe(4);
    expect(r.passed).toBe(2);
    const f = r.failures.map((x) => `${x.rule_id?.slice(-1)}:${x.kind}:${x.index ?? ''}`).sort();
    expect(f).toEqual(['2:negative:0', '2:positive:0', '3:missing-tests:']);
  });
});

describe('the built-in rule pack (rules/)', () => {
  const dir = builtinRulesDir();
  it.runIf(existsSync(dir))('every rule loads, has positive and negative events, and they behave', () => {
    const r = testRulePack(dir);
    expect(r.rules).toBeGreaterThan(0);
    expect(r.failures).toEqual([]);
    expect(r.passed).toBe(r.cases);
  });
});
