/**
 * Request-body handling shared by the HTTP ingest paths (HEC and /api/v1/events):
 * bounded gzip decompression, UTF-8 validation that reports where the bad byte is, and a
 * linear scanner that splits back-to-back JSON objects (HEC batches, broken JSON arrays)
 * without parsing them, so one bad object costs one error, not the batch.
 *
 * Everything here runs on attacker-supplied bytes: all loops are linear, nothing recurses,
 * and every size is bounded by the caller's limit.
 */
import { isUtf8 } from 'node:buffer';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { GarrisonError } from '../../core/errors.js';

const gunzipAsync = promisify(gunzip);

/**
 * Decodes the body according to Content-Encoding. gzip output is capped at `maxBytes`
 * (a zip bomb stops at the cap); a truncated or corrupt stream is a BODY_BAD_GZIP error.
 */
export async function decodeBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  if (enc !== 'gzip' && enc !== 'x-gzip') {
    throw new GarrisonError('BODY_BAD_ENCODING', `Content-Encoding "${enc.slice(0, 40)}" is not supported (use gzip or none)`, { location: { field: 'Content-Encoding' } });
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger|maxOutputLength/i.test(String(err.message)) || err instanceof RangeError) {
      throw new GarrisonError('PAYLOAD_TOO_LARGE', `the gzip body decompresses to more than the limit of ${maxBytes} bytes`, { location: { field: 'body' } });
    }
    const truncated = err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(String(err.message));
    throw new GarrisonError(
      'BODY_BAD_GZIP',
      truncated
        ? `the gzip body is truncated: the stream ends before its end marker (${body.length} compressed bytes received)`
        : `the gzip body is corrupt: ${String(err.message).slice(0, 200)}`,
      { location: { field: 'body', offset: body.length }, cause: e },
    );
  }
}

/** Offset of the first byte that breaks UTF-8 in buf[start, end), or -1 when valid. */
export function firstInvalidUtf8(buf: Uint8Array, start = 0, end = buf.length): number {
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    if (i + need >= end) return i; // truncated sequence
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Checks buf[start,end) is UTF-8; throws BODY_BAD_UTF8 naming the byte offset otherwise. */
export function assertUtf8(buf: Buffer, start: number, end: number, where: { index?: number; line?: number } = {}): void {
  if (isUtf8(buf.subarray(start, end))) return;
  const at = firstInvalidUtf8(buf, start, end);
  const hex = at >= 0 ? buf.subarray(at, Math.min(at + 4, end)).toString('hex') : '';
  throw new GarrisonError('BODY_BAD_UTF8', `invalid UTF-8 at byte ${at} of the body (bytes ${hex}); text must be UTF-8`, {
    location: { offset: at, ...where },
  });
}

export interface Slice {
  /** Byte range of one JSON object (or of junk that is not one). */
  start: number;
  end: number;
  /** 1-based line of its first byte. */
  line: number;
  /** Set when the range is not a well-delimited object (junk, or an unterminated object). */
  error?: string;
}

const WS = new Uint8Array(256);
WS[0x20] = 1;
WS[0x09] = 1;
WS[0x0d] = 1;
WS[0x0a] = 1;

/**
 * Splits `buf` into top-level `{...}` objects. Between objects only whitespace is allowed
 * (plus `,` when `commas` is set, for the inside of a JSON array). Anything else becomes an
 * error slice reaching to the next `{` that starts a line or follows a separator, and scanning
 * goes on. Strings and escapes are honoured, so braces inside strings don't count.
 * Linear in the body size.
 */
export function scanObjects(buf: Uint8Array, from = 0, to = buf.length, opts: { commas?: boolean } = {}): Slice[] {
  const out: Slice[] = [];
  let i = from;
  let line = 1;
  // Line of `from`: count newlines before it (only when the caller starts mid-buffer).
  for (let k = 0; k < from; k++) if (buf[k] === 0x0a) line++;
  while (i < to) {
    const b = buf[i];
    if (WS[b] === 1 || (opts.commas && b === 0x2c)) {
      if (b === 0x0a) line++;
      i++;
      continue;
    }
    if (b !== 0x7b) {
      // Junk: skip to the next '{' (counting lines) and report the skipped range.
      const start = i;
      const startLine = line;
      while (i < to && buf[i] !== 0x7b) {
        if (buf[i] === 0x0a) line++;
        i++;
      }
      out.push({ start, end: i, line: startLine, error: 'expected a JSON object starting with "{"' });
      continue;
    }
    const start = i;
    const startLine = line;
    let depth = 0;
    let closed = false;
    while (i < to) {
      const c = buf[i];
      if (c === 0x22) {
        // String: jump quote to quote, skipping escaped ones.
        let j = i + 1;
        for (;;) {
          const q = indexOfByte(buf, 0x22, j, to);
          if (q < 0) {
            j = to;
            break;
          }
          let bs = 0;
          for (let k = q - 1; k > i && buf[k] === 0x5c; k--) bs++;
          if ((bs & 1) === 0) {
            j = q;
            break;
          }
          j = q + 1;
        }
        // Raw newlines inside a string are invalid JSON, but keep line numbers right anyway.
        for (let k = i + 1; k < j; k++) if (buf[k] === 0x0a) line++;
        i = j + 1;
        continue;
      }
      if (c === 0x7b) depth++;
      else if (c === 0x7d) {
        depth--;
        if (depth === 0) {
          i++;
          closed = true;
          break;
        }
      } else if (c === 0x0a) line++;
      i++;
    }
    if (!closed) {
      out.push({ start, end: to, line: startLine, error: `unterminated JSON object (starts at line ${startLine}, body ends first)` });
      break;
    }
    out.push({ start, end: i, line: startLine });
  }
  return out;
}

function indexOfByte(buf: Uint8Array, byte: number, from: number, to: number): number {
  const q = buf.indexOf(byte, from);
  return q < 0 || q >= to ? -1 : q;
}

/** Splits buf into lines (LF, CRLF tolerated), skipping blank ones. */
export function splitLines(buf: Uint8Array): { start: number; end: number; line: number }[] {
  const out: { start: number; end: number; line: number }[] = [];
  let start = 0;
  let line = 1;
  const n = buf.length;
  while (start <= n) {
    let nl = buf.indexOf(0x0a, start);
    if (nl < 0) nl = n;
    let end = nl;
    if (end > start && buf[end - 1] === 0x0d) end--;
    let s = start;
    while (s < end && WS[buf[s]] === 1) s++;
    if (s < end) out.push({ start, end, line });
    line++;
    start = nl + 1;
    if (nl === n) break;
  }
  return out;
}
