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
  /** Row length of the DFA table (k rounded up to even: the low bit of an entry flags output). */
  private readonly stride: number;
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
    // Rows of the DFA table hold the next state's row offset (state * stride), plus 1 when that
    // state has output: the scan loop needs no multiplication and no second array per character.
    const stride = kk + (kk & 1);
    this.stride = stride;
    const table = n * stride + 1 < 65536 ? new Uint16Array(n * stride) : new Int32Array(n * stride);
    const hasOut = this.hasOut;
    const enc = (t: number) => t * stride + hasOut[t];
    const order = [0, ...queue];
    const next = new Int32Array(kk);
    for (const st of order) {
      const base = st * stride;
      const fb = this.fail[st] * stride;
      for (let c = 1; c < kk; c++) {
        const t = this.go(st, classChar[c]);
        // failure states come first in BFS order, so their rows are already filled
        next[c] = t >= 0 ? enc(t) : st === 0 ? enc(0) : table[fb + c];
      }
      for (let c = 1; c < kk; c++) table[base + c] = next[c];
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
    const outStart = this.outStart, outIds = this.outIds, dict = this.dict;
    const table = this.table, cls = this.cls, stride = this.stride;
    // x: row offset of the current state, + 1 when the state has output
    let x = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) {
        x = table[(x & -2) + cls[c]];
        if ((x & 1) === 0) continue;
      } else {
        x = this.slowStep(x, c);
        if ((x & 1) === 0) continue;
      }
      const s = (x - 1) / stride;
      let o = outStart[s] === outStart[s + 1] ? dict[s] : s;
      while (o > 0) {
        for (let k = outStart[o], e = outStart[o + 1]; k < e; k++) hit(outIds[k]);
        o = dict[o];
      }
    }
  }

  /** A non-ASCII character: trie edges and failure links (x is an encoded table entry). */
  private slowStep(x: number, c: number): number {
    let s = (x & -2) / this.stride;
    const f = foldUnit(c);
    let nx = this.go(s, f);
    while (nx < 0 && s !== 0) {
      s = this.fail[s];
      nx = this.go(s, f);
    }
    s = nx < 0 ? 0 : nx;
    return s * this.stride + this.hasOut[s];
  }

  /** True when some pattern occurs in `text` (case-insensitive). */
  contains(text: string): boolean {
    const table = this.table, cls = this.cls;
    let x = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      x = c < 128 ? table[(x & -2) + cls[c]] : this.slowStep(x, c);
      if ((x & 1) !== 0) return true;
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

/** ASCII lower-casing table for the skip scanner. */
const LOWER = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = c >= 65 && c <= 90 ? c + 32 : c;
  return t;
})();

/**
 * Multi-pattern skip scan (Wu-Manber with blocks of two characters) for literal sets whose
 * shortest literal is long (keyword literals searched in every value of an event): a window of
 * the shortest length slides over the text and jumps by a shift table indexed by the last two
 * characters of the window, so most characters are never looked at; where those two characters
 * can end a literal's first `m` characters, the literals starting at the window are checked with
 * a forward trie. Literals of fewer than 3 characters use one-character blocks (Horspool).
 * Reports the same pattern ids as AhoCorasick.search (each found pattern at least once).
 * Case-insensitive; a non-ASCII character in the block is always checked (it may fold to ASCII).
 */
export class SkipScanner {
  private readonly m: number;
  /** Block size: 2 (bigram shift table) or 1. */
  private readonly b: number;
  private readonly shift: Uint8Array;
  private readonly trie: AnchoredTrie;

  constructor(patterns: readonly string[]) {
    this.m = Math.min(...patterns.map((p) => p.length));
    if (!(this.m >= 1 && this.m <= 255)) throw new Error('SkipScanner needs literals of 1..255 characters');
    const m = this.m;
    const b = m >= 3 ? 2 : 1;
    this.b = b;
    const size = b === 2 ? 128 * 128 : 128;
    this.shift = new Uint8Array(size).fill(m - b + 1);
    const low = (c: number) => (c < 128 ? LOWER[c] : -1);
    for (const p of patterns) {
      for (let q = b - 1; q < m; q++) {
        const d = m - 1 - q;
        const c2 = low(p.charCodeAt(q));
        const c1 = b === 2 ? low(p.charCodeAt(q - 1)) : 0;
        // a block with a non-ASCII pattern character can only be met by a non-ASCII text
        // character, which the scan always checks
        if (c1 < 0 || c2 < 0) continue;
        const h = b === 2 ? (c1 << 7) | c2 : c2;
        if (d < this.shift[h]) this.shift[h] = d;
      }
    }
    this.trie = new AnchoredTrie(patterns.map((text) => ({ text, exact: false })), false);
  }

  /** Calls `hit(patternId)` for every pattern found in `text`. */
  search(text: string, hit: (id: number) => void): void {
    const m = this.m, n = text.length, shift = this.shift;
    let j = m - 1;
    if (this.b === 2) {
      while (j < n) {
        const c2 = text.charCodeAt(j);
        const c1 = text.charCodeAt(j - 1);
        const sh = (c1 | c2) < 128 ? shift[(LOWER[c1] << 7) | LOWER[c2]] : 0;
        if (sh === 0) {
          this.trie.walkFrom(text, j - m + 1, hit);
          j++;
        } else j += sh;
      }
      return;
    }
    while (j < n) {
      const c = text.charCodeAt(j);
      const sh = c < 128 ? shift[LOWER[c]] : 0;
      if (sh === 0) {
        this.trie.walkFrom(text, j - m + 1, hit);
        j++;
      } else j += sh;
    }
  }
}
