import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { assertUtf8, decodeBody, firstInvalidUtf8, scanObjects, splitLines } from './body.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const texts = (buf: Buffer, slices: { start: number; end: number }[]) => slices.map((s) => buf.toString('utf8', s.start, s.end));

describe('scanObjects (HEC batches: back-to-back JSON objects)', () => {
  it('splits objects separated by nothing, spaces or newlines, with their line numbers', () => {
    const buf = b('{"event":1}{"event":2}  {"event":"a}b{c"}\n\n{"event":{"x":{"y":"}"}}}');
    const s = scanObjects(buf);
    expect(texts(buf, s)).toEqual(['{"event":1}', '{"event":2}', '{"event":"a}b{c"}', '{"event":{"x":{"y":"}"}}}']);
    expect(s.map((x) => x.line)).toEqual([1, 1, 1, 3]);
    expect(s.every((x) => x.error === undefined)).toBe(true);
  });

  it('honours escaped quotes and backslashes inside strings', () => {
    const buf = b('{"event":"a\\"}"}{"event":"c:\\\\"}{"event":"\\\\\\"}"}');
    expect(texts(buf, scanObjects(buf))).toEqual(['{"event":"a\\"}"}', '{"event":"c:\\\\"}', '{"event":"\\\\\\"}"}']);
  });

  it('reports junk between objects and goes on with the next object', () => {
    const buf = b('{"event":1} garbage {"event":2}');
    const s = scanObjects(buf);
    expect(s).toHaveLength(3);
    expect(s[1].error).toMatch(/expected a JSON object/);
    expect(buf.toString('utf8', s[2].start, s[2].end)).toBe('{"event":2}');
  });

  it('reports an unterminated last object (truncated body) and keeps the earlier ones', () => {
    const buf = b('{"event":1}\n{"event":"tru');
    const s = scanObjects(buf);
    expect(s[0].error).toBeUndefined();
    expect(s[1].error).toMatch(/unterminated JSON object \(starts at line 2/);
  });

  it('accepts commas between objects in array mode', () => {
    const buf = b('{"a":1},\n{"a":2} , {"a":3}');
    expect(scanObjects(buf, 0, buf.length, { commas: true }).map((s) => s.error)).toEqual([undefined, undefined, undefined]);
  });

  it('never throws and covers every non-blank byte on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (arr) => {
        const buf = Buffer.from(arr);
        const s = scanObjects(buf);
        let prev = 0;
        for (const x of s) {
          expect(x.start).toBeGreaterThanOrEqual(prev);
          expect(x.end).toBeGreaterThan(x.start);
          prev = x.end;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is linear: 5 MB of opening braces is scanned quickly', () => {
    const buf = Buffer.alloc(5_000_000, '{');
    const t0 = performance.now();
    const s = scanObjects(buf);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s[0].error).toMatch(/unterminated/);
  });
});

describe('UTF-8 validation', () => {
  it('finds the offset of the first invalid byte', () => {
    expect(firstInvalidUtf8(b('héllo €'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xff, 0x63]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).toBe(1); // truncated sequence
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
  });

  it('agrees with the platform validator on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (arr) => {
        const buf = Buffer.from(arr);
        const ok = new TextDecoder('utf-8', { fatal: true });
        let valid = true;
        try {
          ok.decode(buf);
        } catch {
          valid = false;
        }
        expect(firstInvalidUtf8(buf) === -1).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });

  it('assertUtf8 throws BODY_BAD_UTF8 naming the byte and the record', () => {
    const buf = Buffer.concat([b('{"event":"'), Buffer.from([0xfe]), b('"}')]);
    try {
      assertUtf8(buf, 0, buf.length, { index: 4 });
      expect.unreachable();
    } catch (e) {
      expect(isGarrisonError(e, 'BODY_BAD_UTF8')).toBe(true);
      expect((e as Error).message).toMatch(/byte 10/);
      expect((e as { location: unknown }).location).toMatchObject({ offset: 10, index: 4 });
    }
  });
});

describe('decodeBody', () => {
  it('passes identity bodies through and gunzips gzip ones', async () => {
    expect((await decodeBody(b('abc'), undefined, 100)).toString()).toBe('abc');
    expect((await decodeBody(gzipSync(b('hello')), 'gzip', 100)).toString()).toBe('hello');
  });

  it('reports a truncated gzip stream as BODY_BAD_GZIP', async () => {
    const gz = gzipSync(b('x'.repeat(10_000) + Math.random()));
    await expect(decodeBody(gz.subarray(0, gz.length - 10), 'gzip', 1 << 20)).rejects.toMatchObject({ code: 'BODY_BAD_GZIP', message: expect.stringMatching(/truncated/) });
  });

  it('reports corrupt gzip and unknown encodings', async () => {
    await expect(decodeBody(b('not gzip at all'), 'gzip', 1 << 20)).rejects.toMatchObject({ code: 'BODY_BAD_GZIP' });
    await expect(decodeBody(b('x'), 'br', 1 << 20)).rejects.toMatchObject({ code: 'BODY_BAD_ENCODING' });
  });

  it('stops a gzip bomb at the size limit', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    await expect(decodeBody(bomb, 'gzip', 1024 * 1024)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('splitLines', () => {
  it('skips blank lines, strips CR and keeps 1-based line numbers', () => {
    const buf = b('a\r\n\n  \nb\nc');
    const l = splitLines(buf);
    expect(texts(buf, l)).toEqual(['a', 'b', 'c']);
    expect(l.map((x) => x.line)).toEqual([1, 4, 5]);
  });
});
