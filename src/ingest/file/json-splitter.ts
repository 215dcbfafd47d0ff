/**
 * A streaming splitter for JSON files that are not one object per line: a top-level array
 * (`[{...},{...}]`, pretty-printed or on one line) or concatenated values (`{...}\n{...}`, as in
 * SigmaHQ's regression JSON). It finds element boundaries by tracking strings and nesting depth,
 * without parsing, so memory is bounded by the largest element (capped: an oversized element is
 * skipped while the scan goes on) and one bad element costs one rejection.
 *
 * Linear: each character is examined once.
 */
export interface SplitElement {
  text: string;
  /** 0-based element index. */
  index: number;
  /** 1-based line where the element starts. */
  line: number;
}

export interface SplitProblem {
  kind: 'too_large' | 'syntax' | 'truncated';
  message: string;
  line: number;
  index?: number;
}

export class JsonSplitter {
  private depth = 0;
  private inStr = false;
  private esc = false;
  private parts: string[] = [];
  private partsLen = 0;
  private inElem = false;
  private scalar = false;
  private skipping = false;
  private elemLine = 0;
  private elemIndex = 0;
  private line = 1;
  private started: boolean;
  private ended = false;
  private garbage = false;

  /** mode 'array': the document is one top-level array; 'concat': back-to-back values. */
  constructor(
    readonly mode: 'array' | 'concat',
    private readonly maxElementChars: number,
  ) {
    this.started = mode === 'concat';
  }

  /** Feeds a chunk; complete elements and problems are passed to the callbacks. */
  push(chunk: string, onElement: (e: SplitElement) => void, onProblem: (p: SplitProblem) => void): void {
    let start = this.inElem ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.inElem) {
        if (this.inStr) {
          if (this.esc) this.esc = false;
          else if (c === 92) this.esc = true;
          else if (c === 34) {
            this.inStr = false;
            if (this.scalar && this.depth === 0) {
              this.finish(chunk, start, i + 1, onElement, onProblem);
              start = -1;
            }
          }
          continue;
        }
        if (this.scalar) {
          // A bare scalar ends at a delimiter.
          if (c === 44 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9) {
            this.finish(chunk, start, i, onElement, onProblem);
            start = -1;
            i--;
            if (c === 10) this.line--;
          }
          continue;
        }
        if (c === 34) this.inStr = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) {
          this.depth--;
          if (this.depth === 0) {
            this.finish(chunk, start, i + 1, onElement, onProblem);
            start = -1;
          }
        }
        continue;
      }
      // Between elements.
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) continue;
      if (!this.started) {
        if (c === 91) {
          this.started = true;
          continue;
        }
        this.problem(onProblem, 'syntax', `expected "[" at the start of a JSON array file`);
        continue;
      }
      if (this.ended) {
        this.problem(onProblem, 'syntax', 'content after the end of the top-level array');
        continue;
      }
      if (c === 44 && this.mode === 'array') {
        this.garbage = false;
        continue;
      }
      if (c === 93 && this.mode === 'array') {
        this.ended = true;
        continue;
      }
      if (c === 123 || c === 91 || c === 34 || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110) {
        this.inElem = true;
        this.garbage = false;
        this.elemLine = this.line;
        this.skipping = false;
        this.parts = [];
        this.partsLen = 0;
        start = i;
        if (c === 123 || c === 91) {
          this.scalar = false;
          this.depth = 1;
        } else {
          this.scalar = true;
          this.depth = 0;
          if (c === 34) this.inStr = true;
        }
        continue;
      }
      this.problem(onProblem, 'syntax', `unexpected character "${String.fromCharCode(c)}" between JSON elements`);
    }
    if (this.inElem && start >= 0) this.keep(chunk, start, n, onProblem);
  }

  /** Signals end of input: reports an unterminated element or array. */
  end(onElement: (e: SplitElement) => void, onProblem: (p: SplitProblem) => void): void {
    if (this.inElem) {
      if (this.scalar && !this.inStr) {
        this.finish('', 0, 0, onElement, onProblem);
      } else {
        onProblem({ kind: 'truncated', message: `element ${this.elemIndex} starting at line ${this.elemLine} is not closed: the file ends inside it`, line: this.elemLine, index: this.elemIndex });
        this.inElem = false;
      }
    }
    if (this.mode === 'array' && this.started && !this.ended) {
      onProblem({ kind: 'truncated', message: 'the top-level array is not closed with "]": the file is truncated', line: this.line });
    }
    if (this.mode === 'array' && !this.started) onProblem({ kind: 'syntax', message: 'no top-level JSON array found', line: this.line });
  }

  /** Elements emitted so far (including skipped ones). */
  get count(): number {
    return this.elemIndex;
  }

  private problem(onProblem: (p: SplitProblem) => void, kind: SplitProblem['kind'], message: string): void {
    // One report per run of garbage, not one per character.
    if (this.garbage) return;
    this.garbage = true;
    onProblem({ kind, message: `${message} (line ${this.line})`, line: this.line });
  }

  private keep(chunk: string, from: number, to: number, onProblem: (p: SplitProblem) => void): void {
    if (this.skipping) return;
    if (this.partsLen + (to - from) > this.maxElementChars) {
      this.skipping = true;
      this.parts = [];
      this.partsLen = 0;
      return;
    }
    this.parts.push(chunk.slice(from, to));
    this.partsLen += to - from;
    void onProblem;
  }

  private finish(chunk: string, from: number, to: number, onElement: (e: SplitElement) => void, onProblem: (p: SplitProblem) => void): void {
    this.inElem = false;
    this.inStr = false;
    this.esc = false;
    this.depth = 0;
    const index = this.elemIndex++;
    if (!this.skipping && this.partsLen + (to - Math.max(from, 0)) > this.maxElementChars) this.skipping = true;
    if (this.skipping) {
      this.skipping = false;
      this.parts = [];
      this.partsLen = 0;
      onProblem({ kind: 'too_large', message: `element ${index} starting at line ${this.elemLine} exceeds the limit of ${this.maxElementChars} characters`, line: this.elemLine, index });
      return;
    }
    let text: string;
    if (this.parts.length === 0) text = chunk.slice(from, to);
    else {
      this.parts.push(chunk.slice(Math.max(from, 0), to));
      text = this.parts.join('');
    }
    this.parts = [];
    this.partsLen = 0;
    onElement({ text, index, line: this.elemLine });
  }
}
