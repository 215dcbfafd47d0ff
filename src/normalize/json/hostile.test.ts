/**
 * Hostile input: every parser in the registry, and the file splitter, take arbitrary text without
 * throwing (a parse failure is a ParseResult with a catalogue code) and in linear time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRecord, PARSERS } from '../registry.js';
import { ERROR_CODES } from '../../core/errors.js';
import { JsonSplitter } from '../../ingest/file/json-splitter.js';
import type { RawRecord } from '../types.js';

const formats = Object.keys(PARSERS);
const rec = (data: string, format: string): RawRecord => ({ data, origin: 'fuzz:1', input: 'fuzz', tenant: 't', receivedAt: 0, format });

// Strings biased towards the syntax the parsers care about.
const syntax = fc.stringMatching(/^[<>0-9a-zA-Z |\\="'\[\]{}:.,#\t\n\x1d-]{0,200}$/);
const prefixes = fc.constantFrom('', '<13>', '<134>1 ', 'CEF:0|', '{"', 'type=SYSCALL msg=audit(', 'Jan  1 00:00:00 ', '<Event ', '[');

describe('hostile input', () => {
  it('no parser throws on arbitrary text; failures carry catalogue codes', () => {
    fc.assert(
      fc.property(prefixes, syntax, fc.constantFrom(...formats), (p, s, f) => {
        const r = parseRecord(rec(p + s, f));
        if (!r.ok) expect(ERROR_CODES[r.error.code]).toBeDefined();
        else expect(typeof r.event.id).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });
  it('the JSON splitter never throws and re-finds objects from arbitrary chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }), fc.integer({ min: 1, max: 17 }), (vals, chunk) => {
        const objs = vals.map((v) => ({ v }));
        const text = '[' + objs.map((o) => JSON.stringify(o)).join(',\n') + ']';
        const sp = new JsonSplitter('array', 1 << 20);
        const out: string[] = [];
        for (let i = 0; i < text.length; i += chunk) sp.push(text.slice(i, i + chunk), (e) => out.push(e.text), () => {});
        sp.end((e) => out.push(e.text), () => {});
        expect(out.map((t) => JSON.parse(t))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });
  it('pathological inputs stay fast', () => {
    const big = 300_000;
    const inputs = [
      '<134>1 2024-01-01T00:00:00Z h a - - ' + '['.repeat(big),
      '<13>' + ' '.repeat(big),
      'CEF:0|a|b|c|d|e|f|' + 'k= '.repeat(big / 3),
      'type=SYSCALL msg=audit(1.1:1): ' + 'a="'.repeat(big / 3),
      '{"a":' + '['.repeat(big) + ']'.repeat(big) + '}',
      'Jan  1 00:00:00 ' + 'x['.repeat(big / 2),
    ];
    for (const f of ['auto', 'syslog', 'cef', 'auditd', 'json', 'zeek']) {
      for (const s of inputs) {
        const t0 = performance.now();
        const r = parseRecord(rec(s, f));
        expect(typeof r.ok).toBe('boolean');
        expect(performance.now() - t0, `${f}: ${s.slice(0, 30)}`).toBeLessThan(500);
      }
    }
  });
});
