/**
 * Conformance against the shared corpora (../shared): the Sigma 2.1 specification's correlation
 * examples and schema test rules, and every correlation rule in the SigmaHQ repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CorrelationEngine, parseCorrelationRule, type CorrelationHit, type CorrelationRule } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const shared = path.resolve(root, '../shared');
const spec = path.join(shared, 'corpora/sigma-specification');
const sigmahq = path.join(shared, 'corpora/sigmahq');

type Doc = { doc: Record<string, unknown>; line: number };

function docsOf(text: string, literal: boolean): Doc[] {
  return parseAllDocuments(text, literal ? { schema: 'failsafe' } : {})
    .filter((d) => d.errors.length === 0)
    .map((d) => ({ doc: d.toJS() as Record<string, unknown>, line: text.slice(0, d.range[0]).split('\n').length }))
    .filter((d) => d.doc !== null && typeof d.doc === 'object');
}

/** YAML code blocks of a markdown file with the line they start on. */
function yamlBlocks(md: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^```(ya?ml)?\s*$/.test(lines[i].trim()) && lines[i].trim() !== '```') {
      const start = i + 1;
      let j = start;
      while (j < lines.length && lines[j].trim() !== '```') j++;
      out.push({ text: lines.slice(start, j).join('\n'), line: start + 1 });
      i = j;
    } else if (lines[i].trim() === '```') {
      // an untyped block: keep it when it looks like YAML with a correlation
      const start = i + 1;
      let j = start;
      while (j < lines.length && lines[j].trim() !== '```') j++;
      const text = lines.slice(start, j).join('\n');
      if (/^correlation:/m.test(text)) out.push({ text, line: start + 1 });
      i = j;
    }
  }
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

describe.skipIf(!existsSync(spec))('Sigma specification 2.1 correlation examples', () => {
  it('parses every schema test rule (tests/schema/correlation) as a literal-text loader delivers it', () => {
    const dir = path.join(spec, 'tests/schema/correlation');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    const types = new Set<string>();
    for (const f of files) {
      for (const literal of [false, true]) {
        const docs = docsOf(readFileSync(path.join(dir, f), 'utf8'), literal);
        expect(docs).toHaveLength(1);
        const { rule, problems } = parseCorrelationRule(docs[0].doc, { file: f, line: docs[0].line });
        expect(problems.map((p) => p.message), f).toEqual([]);
        types.add(String(rule?.type));
      }
    }
    expect([...types].sort()).toEqual(['event_count', 'temporal', 'temporal_ordered', 'value_avg', 'value_count', 'value_percentile', 'value_sum']);
  });

  it('parses every complete correlation example of the specification text', () => {
    const md = readFileSync(path.join(spec, 'specification/sigma-correlation-rules-specification.md'), 'utf8');
    let parsed = 0;
    let fragments = 0;
    for (const block of yamlBlocks(md)) {
      for (const { doc, line } of docsOf(block.text, false)) {
        const c = doc.correlation as Record<string, unknown> | undefined;
        if (!c || typeof c !== 'object') continue;
        if (c.type === undefined) {
          fragments++; // e.g. the snippet that only illustrates `rules:`
          continue;
        }
        const withTitle = { title: 'specification example', ...doc };
        const { problems } = parseCorrelationRule(withTitle, { file: 'sigma-correlation-rules-specification.md', line: block.line + line - 1 });
        expect(problems.map((p) => p.message), `example at line ${block.line}`).toEqual([]);
        parsed++;
      }
    }
    // event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile, aliases, and the two of the full example
    expect(parsed).toBe(10);
    expect(fragments).toBe(1);
  });

  it('runs the full example (failed logins followed by a successful login) end to end', () => {
    const md = readFileSync(path.join(spec, 'specification/sigma-correlation-rules-specification.md'), 'utf8');
    const block = yamlBlocks(md).find((b) => b.text.includes('Multiple Failed Logins Followed by Successful Login'));
    expect(block).toBeDefined();
    const docs = docsOf((block as { text: string }).text, true);
    const corrs: CorrelationRule[] = [];
    const base: { id: string; name: string; eventIds: string[] }[] = [];
    for (const { doc, line } of docs) {
      if ('correlation' in doc) {
        const { rule, problems } = parseCorrelationRule(doc, { file: 'spec', line });
        expect(problems).toEqual([]);
        corrs.push(rule as CorrelationRule);
      } else {
        const sel = (doc.detection as { selection: { EventID: string[] } }).selection.EventID;
        base.push({ id: String(doc.id), name: String(doc.name), eventIds: sel });
      }
    }
    expect(corrs).toHaveLength(2);
    expect(base).toHaveLength(2);
    const resolver = (ref: string) => base.find((b) => b.id === ref || b.name === ref);
    const scenario = (failures: number, user: string, start: number) => {
      const engine = new CorrelationEngine(corrs, resolver, { lateness: 1000 });
      expect(engine.problems).toEqual([]);
      const hits: CorrelationHit[] = [];
      // a tiny "matcher": the base rules' EventID lists decide which rule an event matches
      const events = [
        ...Array.from({ length: failures }, (_, i) => ({ EventID: '4625', User: user, t: start + i * 20_000 })),
        { EventID: '4624', User: user, t: start + failures * 20_000 + 5_000 },
        { EventID: '4624', User: 'bystander', t: start + 1 },
      ];
      events.forEach((e, i) => {
        for (const b of base)
          if (b.eventIds.includes(e.EventID)) hits.push(...engine.observe({ ruleId: b.id, ruleName: b.name, time: e.t, eventId: `e${i}`, get: (f) => (e as Record<string, unknown>)[f] }));
      });
      hits.push(...engine.flush(Infinity));
      expect(engine.isSuppressed(base[0].id)).toBe(true);
      return hits;
    };
    const hits = scenario(10, 'jdoe', 1_700_000_000_000);
    expect(hits.map((h) => [h.title, h.level, h.groupBy])).toEqual([['Correlation - Multiple Failed Logins Followed by Successful Login', 'high', { User: 'jdoe' }]]);
    expect(hits[0].eventIds).toHaveLength(11);
    expect(scenario(9, 'jdoe', 1_700_000_000_000)).toEqual([]);
  });
});

describe.skipIf(!existsSync(sigmahq))('SigmaHQ correlation rules', () => {
  it('parses every document with a correlation key in the SigmaHQ repository', () => {
    const files = walk(sigmahq).filter((f) => !f.includes(`${path.sep}regression_data${path.sep}`) && !f.includes(`${path.sep}.github${path.sep}`));
    expect(files.length).toBeGreaterThan(3000);
    let docs = 0;
    const rejected: string[] = [];
    let correlations = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const { doc, line } of docsOf(text, true)) {
        docs++;
        if (!('correlation' in doc)) continue;
        correlations++;
        const { problems } = parseCorrelationRule(doc, { file: path.relative(sigmahq, f), line });
        for (const p of problems) rejected.push(`${p.location?.file}:${p.location?.line} ${p.code} ${p.message}`);
      }
    }
    expect(docs).toBeGreaterThan(3000);
    console.log(`SigmaHQ: ${files.length} files, ${docs} documents, ${correlations} correlation rules, ${rejected.length} problems`);
    expect(rejected).toEqual([]);
  });
});
