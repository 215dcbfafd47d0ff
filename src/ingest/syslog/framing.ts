/**
 * RFC 6587 framing for syslog over TCP/TLS, detected per connection from the first byte:
 * a digit means octet counting (`MSG-LEN SP SYSLOG-MSG`), anything else newline framing
 * (LF, with CR LF and NUL tolerated). Frames are bounded: an oversized newline frame is
 * discarded up to its end without buffering it; an oversized or malformed octet count is
 * counted and, for a bad count, the connection is closed (the stream cannot be resynchronised).
 *
 * Works on Buffers, so multi-byte UTF-8 characters split across TCP segments are intact.
 */
export type Framing = 'octet' | 'newline';

export interface FrameSink {
  frame(msg: Buffer): void;
  tooLarge(size: number): void;
  invalid(reason: string): void;
}

export class SyslogFramer {
  framing: Framing | undefined;
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of an oversized frame still to skip (octet counting) or -1 to skip to LF. */
  private skip = 0;
  private skipSize = 0;
  private dead = false;

  constructor(private readonly maxFrame: number) {}

  get closed(): boolean {
    return this.dead;
  }

  /** Buffered bytes (bounded by maxFrame + a length prefix). */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer, out: FrameSink): void {
    if (this.dead) return;
    let data = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = Buffer.alloc(0);
    let i = 0;
    while (i < data.length && !this.dead) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) out.tooLarge(this.skipSize);
        continue;
      }
      if (this.skip < 0) {
        const nl = data.indexOf(10, i);
        if (nl < 0) {
          this.skipSize += data.length - i;
          i = data.length;
          break;
        }
        this.skipSize += nl - i;
        out.tooLarge(this.skipSize);
        this.skip = 0;
        i = nl + 1;
        continue;
      }
      if (this.framing === undefined) {
        // Skip leading whitespace, then decide.
        const c = data[i];
        if (c === 10 || c === 13 || c === 32 || c === 0) {
          i++;
          continue;
        }
        this.framing = c >= 48 && c <= 57 ? 'octet' : 'newline';
      }
      if (this.framing === 'octet') {
        // Between frames, tolerate stray LF/CR (some senders add them).
        const c0 = data[i];
        if (c0 === 10 || c0 === 13) {
          i++;
          continue;
        }
        let j = i;
        let len = 0;
        while (j < data.length && j - i < 10 && data[j] >= 48 && data[j] <= 57) len = len * 10 + (data[j++] - 48);
        if (j >= data.length) {
          if (j - i >= 10) {
            this.fail(out, 'octet count longer than 10 digits');
            return;
          }
          break; // need more bytes for the length
        }
        if (j === i || data[j] !== 32) {
          this.fail(out, j === i ? `expected an octet count, got byte 0x${data[i].toString(16).padStart(2, '0')}` : 'octet count not followed by a space');
          return;
        }
        if (len === 0) {
          this.fail(out, 'octet count 0');
          return;
        }
        const start = j + 1;
        if (len > this.maxFrame) {
          this.skip = len;
          this.skipSize = len;
          i = start;
          continue;
        }
        if (data.length - start < len) break; // incomplete frame
        out.frame(data.subarray(start, start + len));
        i = start + len;
        continue;
      }
      // Newline framing.
      const nl = data.indexOf(10, i);
      if (nl < 0) {
        if (data.length - i > this.maxFrame) {
          this.skip = -1;
          this.skipSize = data.length - i;
          i = data.length;
        }
        break;
      }
      if (nl - i > this.maxFrame) out.tooLarge(nl - i);
      else {
        let end = nl;
        if (end > i && data[end - 1] === 13) end--;
        if (end > i) out.frame(data.subarray(i, end));
      }
      i = nl + 1;
    }
    if (i < data.length && !this.dead) this.buf = Buffer.from(data.subarray(i));
    data = Buffer.alloc(0);
  }

  /** End of stream: a final unterminated newline frame is delivered. */
  end(out: FrameSink): void {
    if (this.dead) return;
    if (this.skip !== 0) {
      out.tooLarge(this.skipSize);
      this.skip = 0;
    } else if (this.buf.length > 0) {
      if (this.framing === 'newline') {
        let end = this.buf.length;
        while (end > 0 && (this.buf[end - 1] === 13 || this.buf[end - 1] === 0)) end--;
        if (end > 0) out.frame(this.buf.subarray(0, end));
      } else out.invalid(`connection closed inside an octet-counted frame (${this.buf.length} bytes pending)`);
    }
    this.buf = Buffer.alloc(0);
  }

  private fail(out: FrameSink, reason: string): void {
    this.dead = true;
    this.buf = Buffer.alloc(0);
    out.invalid(reason);
  }
}
