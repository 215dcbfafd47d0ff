/**
 * A compact Aho-Corasick automaton over UTF-16 code units.
 *
 * Hot path: a complete DFA over ASCII, but only over the ASCII characters that occur in the
 * patterns (every other character leads back to the root), stored as a Uint16Array when the
 * automaton has fewer than 65,536 states: one array load per character of text. Non-ASCII
 * characters take the slow path (trie edges in CSR form plus failure links). Failure and
 * dictionary-suffix links and the output lists are typed arrays. Memory is about
 * 2 x (ASCII characters used) bytes per trie node, not a state x alphabet table.
 */
const DENSE_MIN_CHILDREN = 6;

/** Lower-cases one UTF-16 code unit (patterns are lower-case; text is folded while scanning). */
export function foldUnit(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  const l = String.fromCharCode(c).toLowerCase();
  return l.length === 1 ? l.charCodeAt(0) : c;
}

export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  private readonly edgeStart: Int32Array;
  private readonly edgeChar: Uint16Array;
  private readonly edgeNext: Int32Array;
  private readonly denseIdx: Int32Array;
  private readonly dense: Int32Array;
  private readonly fail: Int32Array;
  private readonly dict: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  /** ASCII char -> class (0 = not in any pattern). */
  private readonly cls: Uint8Array;
  private readonly k: number;
  private readonly table: Uint16Array | Int32Array;
  private readonly hasOut: Uint8Array;

  constructor(patterns: readonly string[]) {
    this.patternCount = patterns.length;
    const children: Map<number, number>[] = [new Map()];
    const own: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        let n = children[s].get(c);
        if (n === undefined) {
          n = children.length;
          children.push(new Map());
          own.push([]);
          children[s].set(c, n);
        }
        s = n;
      }
      own[s].push(id);
    });
    const n = children.length;
    this.stateCount = n;
    let edges = 0;
    let denseStates = 0;
    for (const m of children) {
      edges += m.size;
      if (m.size >= DENSE_MIN_CHILDREN) denseStates++;
    }
    this.edgeStart = new Int32Array(n + 1);
    this.edgeChar = new Uint16Array(edges);
    this.edgeNext = new Int32Array(edges);
    this.denseIdx = new Int32Array(n).fill(-1);
    this.dense = new Int32Array(denseStates * 128);
    let e = 0;
    let d = 0;
    for (let s = 0; s < n; s++) {
      this.edgeStart[s] = e;
      const m = children[s];
      const sorted = [...m.entries()].sort((a, b) => a[0] - b[0]);
      for (const [c, t] of sorted) {
        this.edgeChar[e] = c;
        this.edgeNext[e] = t;
        e++;
      }
      if (m.size >= DENSE_MIN_CHILDREN) {
        this.denseIdx[s] = d;
        for (const [c, t] of sorted) if (c < 128) this.dense[d + c] = t;
        d += 128;
      }
    }
    this.edgeStart[n] = e;
    this.fail = new Int32Array(n);
    this.dict = new Int32Array(n).fill(-1);
    const queue: number[] = [];
    for (const [, t] of children[0]) queue.push(t);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      for (const [c, t] of children[s]) {
        let f = this.fail[s];
        let nx = this.go(f, c);
        while (nx < 0 && f !== 0) {
          f = this.fail[f];
          nx = this.go(f, c);
        }
        const ft = nx < 0 ? 0 : nx;
        this.fail[t] = ft;
        this.dict[t] = own[ft].length > 0 ? ft : this.dict[ft];
        queue.push(t);
      }
    }
    this.outStart = new Int32Array(n + 1);
    let total = 0;
    for (let s = 0; s < n; s++) {
      this.outStart[s] = total;
      total += own[s].length;
    }
    this.outStart[n] = total;
    this.outIds = new Int32Array(total);
    let k = 0;
    for (let s = 0; s < n; s++) for (const id of own[s]) this.outIds[k++] = id;
    this.hasOut = new Uint8Array(n);
    for (let s = 0; s < n; s++) if (own[s].length > 0 || this.dict[s] > 0) this.hasOut[s] = 1;
    // ASCII classes and the DFA table, filled in BFS order (failure states come first).
    this.cls = new Uint8Array(128);
    let kk = 1;
    for (let e2 = 0; e2 < this.edgeChar.length; e2++) {
      const c = this.edgeChar[e2];
      if (c < 128 && this.cls[c] === 0) this.cls[c] = kk++;
    }
    this.k = kk;
    const classChar = new Int32Array(kk).fill(-1);
    for (let c = 0; c < 128; c++) if (this.cls[c]) classChar[this.cls[c]] = c;
    // Case folding: an upper-case ASCII letter takes the class of its lower-case form.
    for (let c = 65; c <= 90; c++) if (this.cls[c] === 0) this.cls[c] = this.cls[c + 32];
    const table = n < 65536 ? new Uint16Array(n * kk) : new Int32Array(n * kk);
    const order = [0, ...queue];
    for (const st of order) {
      const base = st * kk;
      const fb = this.fail[st] * kk;
      for (let c = 1; c < kk; c++) {
        const t = this.go(st, classChar[c]);
        table[base + c] = t >= 0 ? t : st === 0 ? 0 : table[fb + c];
      }
    }
    this.table = table;
  }

  /** Transition without failure (-1 when absent). */
  private go(s: number, c: number): number {
    const di = this.denseIdx[s];
    if (di >= 0 && c < 128) {
      const t = this.dense[di + c];
      return t === 0 ? -1 : t;
    }
    let a = this.edgeStart[s];
    let b = this.edgeStart[s + 1];
    const ch = this.edgeChar;
    if (b - a <= 8) {
      for (; a < b; a++) if (ch[a] === c) return this.edgeNext[a];
      return -1;
    }
    b--;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      const x = ch[mid];
      if (x === c) return this.edgeNext[mid];
      if (x < c) a = mid + 1;
      else b = mid - 1;
    }
    return -1;
  }

  /**
   * Calls `hit(patternId)` for every occurrence of every pattern in `text`, ignoring case
   * (patterns are given lower-case; the text is folded character by character).
   */
  search(text: string, hit: (id: number) => void): void {
    let s = 0;
    const outStart = this.outStart, outIds = this.outIds, dict = this.dict, fail = this.fail;
    const table = this.table, cls = this.cls, k = this.k, hasOut = this.hasOut;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) {
        s = table[s * k + cls[c]];
        if (hasOut[s] === 0) continue;
      } else {
        const f = foldUnit(c);
        let nx = this.go(s, f);
        while (nx < 0 && s !== 0) {
          s = fail[s];
          nx = this.go(s, f);
        }
        s = nx < 0 ? 0 : nx;
        if (hasOut[s] === 0) continue;
      }
      let o = outStart[s] === outStart[s + 1] ? dict[s] : s;
      while (o > 0) {
        for (let k = outStart[o], e = outStart[o + 1]; k < e; k++) hit(outIds[k]);
        o = dict[o];
      }
    }
  }

  /** True when some pattern occurs in `text` (case-insensitive). */
  contains(text: string): boolean {
    let s = 0;
    const table = this.table, cls = this.cls, k = this.k, hasOut = this.hasOut, fail = this.fail;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) s = table[s * k + cls[c]];
      else {
        const f = foldUnit(c);
        let nx = this.go(s, f);
        while (nx < 0 && s !== 0) {
          s = fail[s];
          nx = this.go(s, f);
        }
        s = nx < 0 ? 0 : nx;
      }
      if (hasOut[s] !== 0) return true;
    }
    return false;
  }

  /** Approximate memory held by the automaton's arrays, in bytes. */
  bytes(): number {
    return this.table.byteLength + this.cls.byteLength + this.hasOut.byteLength + this.edgeStart.byteLength + this.edgeChar.byteLength + this.edgeNext.byteLength + this.denseIdx.byteLength + this.dense.byteLength + this.fail.byteLength + this.dict.byteLength + this.outStart.byteLength + this.outIds.byteLength;
  }
}

/**
 * Anchored literal sets for the candidate index: prefixes (`startswith`, and whole values with
 * `exact`) walked from the start of the text, suffixes (`endswith`) walked from its end. A walk
 * stops at the first character without an edge, so it costs the length of the longest matching
 * literal, not the length of the text. Case-insensitive like AhoCorasick.
 */
export class AnchoredTrie {
  private readonly edgeStart: Int32Array;
  private readonly edgeChar: Uint16Array;
  private readonly edgeNext: Int32Array;
  private readonly outStart: Int32Array;
  /** Pattern id * 2 + (1 when the pattern must cover the whole text). */
  private readonly outIds: Int32Array;
  readonly stateCount: number;

  constructor(patterns: readonly { text: string; exact: boolean }[], readonly reverse: boolean) {
    const children: Map<number, number>[] = [new Map()];
    const own: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      const t = p.text;
      for (let j = 0; j < t.length; j++) {
        const c = t.charCodeAt(reverse ? t.length - 1 - j : j);
        let n = children[s].get(c);
        if (n === undefined) {
          n = children.length;
          children.push(new Map());
          own.push([]);
          children[s].set(c, n);
        }
        s = n;
      }
      own[s].push(id * 2 + (p.exact ? 1 : 0));
    });
    const n = children.length;
    this.stateCount = n;
    let edges = 0;
    for (const m of children) edges += m.size;
    this.edgeStart = new Int32Array(n + 1);
    this.edgeChar = new Uint16Array(edges);
    this.edgeNext = new Int32Array(edges);
    this.outStart = new Int32Array(n + 1);
    let e = 0;
    let o = 0;
    for (let s = 0; s < n; s++) {
      this.edgeStart[s] = e;
      for (const [c, t] of [...children[s].entries()].sort((a, b) => a[0] - b[0])) {
        this.edgeChar[e] = c;
        this.edgeNext[e++] = t;
      }
      this.outStart[s] = o;
      o += own[s].length;
    }
    this.edgeStart[n] = e;
    this.outStart[n] = o;
    this.outIds = new Int32Array(o);
    let k = 0;
    for (let s = 0; s < n; s++) for (const x of own[s]) this.outIds[k++] = x;
  }

  private go(s: number, c: number): number {
    let a = this.edgeStart[s];
    let b = this.edgeStart[s + 1] - 1;
    const ch = this.edgeChar;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      const x = ch[mid];
      if (x === c) return this.edgeNext[mid];
      if (x < c) a = mid + 1;
      else b = mid - 1;
    }
    return -1;
  }

  /** Calls `hit(patternId)` for each pattern anchored at the start (or end, when reverse) of `text`. */
  walk(text: string, hit: (id: number) => void): void {
    const len = text.length;
    let s = 0;
    const outStart = this.outStart, outIds = this.outIds;
    for (let j = 0; j < len; j++) {
      const c = foldUnit(text.charCodeAt(this.reverse ? len - 1 - j : j));
      s = this.go(s, c);
      if (s < 0) return;
      for (let k = outStart[s], e = outStart[s + 1]; k < e; k++) {
        const x = outIds[k];
        if ((x & 1) === 0 || j === len - 1) hit(x >> 1);
      }
    }
    if (len === 0) for (let k = outStart[0], e = outStart[1]; k < e; k++) hit(outIds[k] >> 1);
  }

  /** Forward walk starting at `from` (not reverse tries): patterns that occur at that position. */
  walkFrom(text: string, from: number, hit: (id: number) => void): void {
    let s = 0;
    const outStart = this.outStart, outIds = this.outIds;
    for (let j = from; j < text.length; j++) {
      s = this.go(s, foldUnit(text.charCodeAt(j)));
      if (s < 0) return;
      for (let k = outStart[s], e = outStart[s + 1]; k < e; k++) hit(outIds[k] >> 1);
    }
  }

  /** True when some pattern is anchored at the start (end, when reverse) of `text`. */
  any(text: string): boolean {
    const len = text.length;
    let s = 0;
    const outStart = this.outStart, outIds = this.outIds;
    if (len === 0) return outStart[0] !== outStart[1];
    for (let j = 0; j < len; j++) {
      s = this.go(s, foldUnit(text.charCodeAt(this.reverse ? len - 1 - j : j)));
      if (s < 0) return false;
      for (let k = outStart[s], e = outStart[s + 1]; k < e; k++) if ((outIds[k] & 1) === 0 || j === len - 1) return true;
    }
    return false;
  }

  bytes(): number {
    return this.edgeStart.byteLength + this.edgeChar.byteLength + this.edgeNext.byteLength + this.outStart.byteLength + this.outIds.byteLength;
  }
}

/**
 * Multi-pattern Horspool scan for literal sets whose shortest literal is long (keyword literals
 * searched in every value of an event): a window of the shortest length slides over the text and
 * jumps by a shift table on its last character, so most characters are never looked at; where the
 * window's last character can end a literal's first `m` characters, the literals starting at the
 * window are checked with a forward trie. Reports the same pattern ids as AhoCorasick.search
 * (each found pattern at least once). Case-insensitive.
 */
export class SkipScanner {
  private readonly m: number;
  private readonly shift: Uint8Array;
  private readonly nonAsciiShift: number;
  private readonly trie: AnchoredTrie;

  constructor(patterns: readonly string[]) {
    this.m = Math.min(...patterns.map((p) => p.length));
    if (!(this.m >= 1 && this.m <= 255)) throw new Error('SkipScanner needs literals of 1..255 characters');
    const m = this.m;
    this.shift = new Uint8Array(128).fill(m);
    let nonAscii = m;
    for (const p of patterns) {
      for (let q = 0; q < m; q++) {
        const c = p.charCodeAt(q);
        const d = m - 1 - q;
        if (c < 128) {
          this.shift[c] = Math.min(this.shift[c], d);
          if (c >= 97 && c <= 122) this.shift[c - 32] = Math.min(this.shift[c - 32], d);
        } else nonAscii = Math.min(nonAscii, d);
      }
    }
    // Non-ASCII text characters are not folded through the table: be conservative for them.
    this.nonAsciiShift = Math.min(nonAscii, 0);
    this.trie = new AnchoredTrie(patterns.map((text) => ({ text, exact: false })), false);
  }

  /** Calls `hit(patternId)` for every pattern found in `text`. */
  search(text: string, hit: (id: number) => void): void {
    const m = this.m, n = text.length, shift = this.shift;
    let j = m - 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      const sh = c < 128 ? shift[c] : this.nonAsciiShift;
      if (sh === 0) {
        this.trie.walkFrom(text, j - m + 1, hit);
        j++;
      } else j += sh;
    }
  }
}
