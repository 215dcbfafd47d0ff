/**
 * BinXML (the binary XML of EVTX records): token parser, template cache and value rendering.
 *
 * Everything here is chunk-relative: a `Chunk` wraps the 64 KiB chunk bytes plus its caches of
 * names (by offset) and template definitions (by offset). Templates are parsed once per chunk
 * and reused by every record that instantiates them; a record's own parse only reads its
 * substitution descriptors (offsets, no decoding). Values are decoded to text when a record is
 * rendered (`materialize`), so iterating records that are never rendered is cheap.
 *
 * Hostile input: every read is bounds-checked (BinXmlError), recursion is depth-limited and
 * rendering has a node budget, so no input can crash, hang or blow up memory.
 */

export class BinXmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 48;
/** Max nodes rendered per record (guards against substitution fan-out bombs). */
const RENDER_BUDGET = 200_000;
/** Max characters of text rendered per record (a 64 KiB record renders to well under 1 MB). */
const RENDER_TEXT_BUDGET = 4 * 1024 * 1024;

export const enum NK {
  Elem = 0,
  Text = 1,
  Subst = 2,
  CharRef = 3,
  EntityRef = 4,
  CData = 5,
  PI = 6,
  Inst = 7,
}

export interface ElemNode {
  k: NK.Elem;
  name: string;
  attrs: AttrNode[];
  children: Node[];
}
export interface AttrNode {
  name: string;
  value: Node[];
}
export interface TextNode {
  k: NK.Text | NK.CData;
  text: string;
}
export interface SubstNode {
  k: NK.Subst;
  idx: number;
  optional: boolean;
  type: number;
}
export interface CharRefNode {
  k: NK.CharRef;
  code: number;
}
export interface EntityRefNode {
  k: NK.EntityRef;
  name: string;
}
export interface PINode {
  k: NK.PI;
  target: string;
  data: string;
}
export interface InstNode {
  k: NK.Inst;
  inst: Instance;
}
export type Node = ElemNode | TextNode | SubstNode | CharRefNode | EntityRefNode | PINode | InstNode;

export interface Template {
  offset: number;
  id: number;
  nodes: Node[];
}

/** One substitution value: type + where its bytes are in the chunk (+ parsed embedded BinXML). */
export interface Value {
  type: number;
  off: number;
  size: number;
  inst?: Instance;
}

/** A template instance (or a plain fragment when `values` is empty). */
export interface Instance {
  nodes: Node[];
  values: Value[];
}

/** Per-chunk parse context with name and template caches. */
export class Chunk {
  readonly names = new Map<number, string>();
  readonly templates = new Map<number, Template | null>();
  constructor(
    /** The chunk bytes (offsets below are relative to its start). */
    readonly buf: Buffer,
  ) {}

  // ---- bounds-checked reads ----
  need(off: number, n: number): void {
    if (off < 0 || off + n > this.buf.length) throw new BinXmlError(`read of ${n} bytes past the end of the chunk`, off);
  }
  u8(off: number): number {
    if (off < 0 || off >= this.buf.length) throw new BinXmlError('read past the end of the chunk', off);
    return this.buf[off]!;
  }
  u16(off: number): number {
    this.need(off, 2);
    return this.buf.readUInt16LE(off);
  }
  u32(off: number): number {
    this.need(off, 4);
    return this.buf.readUInt32LE(off);
  }
  utf16(off: number, chars: number): string {
    this.need(off, chars * 2);
    return decodeUtf16(this.buf, off, off + chars * 2);
  }

  /** Name string at `off` (u32 next, u16 hash, u16 count, UTF-16, NUL). Cached. */
  name(off: number): string {
    let s = this.names.get(off);
    if (s === undefined) {
      const n = this.u16(off + 6);
      s = this.utf16(off + 8, n);
      this.names.set(off, s);
    }
    return s;
  }
  /** Byte length of the name structure at `off`. */
  nameLen(off: number): number {
    return 8 + this.u16(off + 6) * 2 + 2;
  }

  /** Template definition at `off` (u32 next, GUID, u32 size, BinXML). Cached per chunk. */
  template(off: number, depth: number): Template {
    const t = this.templates.get(off);
    if (t) return t;
    if (t === null) throw new BinXmlError('template definition refers to itself', off);
    const id = this.u32(off + 4);
    const size = this.u32(off + 20);
    const start = off + 24;
    const end = start + size;
    if (end > this.buf.length) throw new BinXmlError('template definition extends past the end of the chunk', off);
    this.templates.set(off, null);
    try {
      const [nodes] = parseContent(this, start, end, depth + 1, false);
      const tpl: Template = { offset: off, id, nodes };
      this.templates.set(off, tpl);
      return tpl;
    } catch (e) {
      this.templates.delete(off);
      throw e;
    }
  }
}

/** UTF-16LE to string, dropping trailing NULs; short ASCII strings are decoded without a TextDecoder call. */
export function decodeUtf16(buf: Buffer, start: number, end: number): string {
  end = start + ((end - start) & ~1);
  while (end > start && buf[end - 2] === 0 && buf[end - 1] === 0) end -= 2;
  const len = (end - start) >> 1;
  if (len === 0) return '';
  if (len <= 24) {
    let s = '';
    for (let i = start; i < end; i += 2) {
      const hi = buf[i + 1]!;
      const lo = buf[i]!;
      if (hi !== 0 || lo > 0x7e) return buf.toString('utf16le', start, end);
      s += String.fromCharCode(lo);
    }
    return s;
  }
  return buf.toString('utf16le', start, end);
}

function validNameOff(c: Chunk, off: number, here: number): boolean {
  if (off === here) return true;
  return off < here && off + 8 <= c.buf.length;
}

/**
 * Parses BinXML tokens from `pos` up to `end`. In an element (`inElement`) it stops after the
 * EndElement token; otherwise after EOF or at `end`. Returns the nodes and the next position.
 */
export function parseContent(c: Chunk, pos: number, end: number, depth: number, inElement: boolean): [Node[], number] {
  if (depth > MAX_DEPTH) throw new BinXmlError('BinXML nested too deeply', pos);
  const nodes: Node[] = [];
  while (pos < end) {
    const tok = c.u8(pos);
    switch (tok) {
      case 0x00:
        if (inElement) throw new BinXmlError('end of fragment inside an element', pos);
        return [nodes, pos + 1];
      case 0x0f:
        pos += 4;
        break;
      case 0x01:
      case 0x41: {
        const [el, p] = parseElement(c, pos, end, depth + 1);
        nodes.push(el);
        pos = p;
        break;
      }
      case 0x04:
        if (!inElement) throw new BinXmlError('end element outside an element', pos);
        return [nodes, pos + 1];
      case 0x0c: {
        const [inst, p] = parseInstance(c, pos, depth + 1);
        nodes.push({ k: NK.Inst, inst });
        pos = p;
        break;
      }
      default: {
        const p = parseValueToken(c, pos, nodes);
        if (p < 0) throw new BinXmlError(`unexpected BinXML token 0x${tok.toString(16)}`, pos);
        pos = p;
      }
    }
  }
  if (inElement) throw new BinXmlError('element not closed before the end of its data', pos);
  return [nodes, pos];
}

/** Parses one value-like token (text, substitution, char/entity ref, CDATA, PI) or returns -1. */
function parseValueToken(c: Chunk, pos: number, out: Node[]): number {
  const tok = c.u8(pos);
  switch (tok) {
    case 0x05:
    case 0x45: {
      const type = c.u8(pos + 1);
      if (type !== 0x01) throw new BinXmlError(`value token of type 0x${type.toString(16)} (only strings are defined)`, pos);
      const n = c.u16(pos + 2);
      out.push({ k: NK.Text, text: c.utf16(pos + 4, n) });
      return pos + 4 + n * 2;
    }
    case 0x0d:
    case 0x0e:
      out.push({ k: NK.Subst, idx: c.u16(pos + 1), type: c.u8(pos + 3), optional: tok === 0x0e });
      return pos + 4;
    case 0x07:
    case 0x47: {
      const n = c.u16(pos + 1);
      out.push({ k: NK.CData, text: c.utf16(pos + 3, n) });
      return pos + 3 + n * 2;
    }
    case 0x08:
    case 0x48:
      out.push({ k: NK.CharRef, code: c.u16(pos + 1) });
      return pos + 3;
    case 0x09:
    case 0x49: {
      const off = c.u32(pos + 1);
      const here = pos + 5;
      if (!validNameOff(c, off, here)) throw new BinXmlError('bad entity name offset', pos);
      out.push({ k: NK.EntityRef, name: c.name(off) });
      return off === here ? here + c.nameLen(off) : here;
    }
    case 0x0a: {
      const off = c.u32(pos + 1);
      let here = pos + 5;
      if (!validNameOff(c, off, here)) throw new BinXmlError('bad PI target offset', pos);
      const target = c.name(off);
      if (off === here) here += c.nameLen(off);
      let data = '';
      if (c.u8(here) === 0x0b) {
        const n = c.u16(here + 1);
        data = c.utf16(here + 3, n);
        here += 3 + n * 2;
      }
      out.push({ k: NK.PI, target, data });
      return here;
    }
    default:
      return -1;
  }
}

function parseElement(c: Chunk, pos: number, end: number, depth: number): [ElemNode, number] {
  if (depth > MAX_DEPTH) throw new BinXmlError('BinXML nested too deeply', pos);
  const hasAttrs = (c.u8(pos) & 0x40) !== 0;
  // Open start element: token, [u16 dependency id], u32 data size, u32 name offset. The dependency
  // id is absent in some writers' output: accept the layout whose name offset is plausible.
  let nameOff = c.u32(pos + 7);
  let here = pos + 11;
  if (!validNameOff(c, nameOff, here)) {
    nameOff = c.u32(pos + 5);
    here = pos + 9;
    if (!validNameOff(c, nameOff, here)) throw new BinXmlError('bad element name offset', pos);
  }
  const name = c.name(nameOff);
  if (nameOff === here) here += c.nameLen(nameOff);
  const attrs: AttrNode[] = [];
  if (hasAttrs) {
    here += 4; // attribute list size
    for (;;) {
      const t = c.u8(here);
      if (t !== 0x06 && t !== 0x46) break;
      const aOff = c.u32(here + 1);
      let p = here + 5;
      if (!validNameOff(c, aOff, p)) throw new BinXmlError('bad attribute name offset', here);
      const aName = c.name(aOff);
      if (aOff === p) p += c.nameLen(aOff);
      const value: Node[] = [];
      for (;;) {
        const vt = c.u8(p);
        if (vt === 0x06 || vt === 0x46 || vt === 0x02 || vt === 0x03 || vt === 0x01 || vt === 0x41 || vt === 0x04 || vt === 0x00) break;
        const np = parseValueToken(c, p, value);
        if (np < 0) throw new BinXmlError(`unexpected token 0x${vt.toString(16)} in attribute value`, p);
        p = np;
      }
      attrs.push({ name: aName, value });
      here = p;
    }
  }
  const close = c.u8(here);
  if (close === 0x03) return [{ k: NK.Elem, name, attrs, children: [] }, here + 1];
  if (close !== 0x02) throw new BinXmlError(`expected close of start element, found token 0x${close.toString(16)}`, here);
  const [children, p] = parseContent(c, here + 1, end, depth + 1, true);
  return [{ k: NK.Elem, name, attrs, children }, p];
}

/** Template instance token: definition (inline or cached) + substitution array. */
export function parseInstance(c: Chunk, pos: number, depth: number): [Instance, number] {
  if (depth > MAX_DEPTH) throw new BinXmlError('BinXML nested too deeply', pos);
  const defOff = c.u32(pos + 6);
  let here = pos + 10;
  if (defOff > here || defOff + 24 > c.buf.length) throw new BinXmlError('bad template definition offset', pos);
  const tpl = c.template(defOff, depth);
  if (defOff === here) here = defOff + 24 + c.u32(defOff + 20);
  const count = c.u32(here);
  here += 4;
  if (count * 4 > c.buf.length - here) throw new BinXmlError(`substitution count ${count} exceeds the chunk`, here - 4);
  const values: Value[] = new Array(count);
  let voff = here + count * 4;
  const buf = c.buf;
  for (let i = 0; i < count; i++) {
    const d = here + i * 4;
    const size = buf.readUInt16LE(d);
    const type = buf[d + 2]!;
    values[i] = { type, off: voff, size };
    voff += size;
  }
  if (voff > buf.length) throw new BinXmlError('substitution values extend past the end of the chunk', here);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (v.type === 0x21 && v.size > 0) {
      const [nodes] = parseContent(c, v.off, v.off + v.size, depth + 1, false);
      v.inst = { nodes, values: [] };
      // An embedded fragment is normally a single template instance: flatten it.
      if (nodes.length === 1 && nodes[0]!.k === NK.Inst) v.inst = (nodes[0] as InstNode).inst;
    }
  }
  return [{ nodes: tpl.nodes, values }, voff];
}

// ---------------------------------------------------------------- value rendering

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase());

function hexUpper(buf: Buffer, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[buf[off + i]!];
  return s;
}

/** GUID in the form Windows shows: `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, upper-case. */
export function guidText(buf: Buffer, off: number): string {
  const h = (i: number) => HEX[buf[off + i]!]!;
  return `{${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}}`;
}

const EPOCH_SECS_1601 = 11644473600;

/**
 * FILETIME (100 ns since 1601) → ms since the epoch and ISO text with 7 fractional digits.
 * Exact without BigInt: long division of the four 16-bit digits by 10^7.
 */
export function filetime(buf: Buffer, off: number): { ms: number; iso: string } {
  const lo = buf.readUInt32LE(off);
  const hi = buf.readUInt32LE(off + 4);
  let rem = 0;
  let q = 0;
  for (const d of [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff]) {
    const cur = rem * 65536 + d;
    const qd = Math.floor(cur / 10_000_000);
    rem = cur - qd * 10_000_000;
    q = q * 65536 + qd;
  }
  const secs = q - EPOCH_SECS_1601;
  const ms = secs * 1000 + Math.floor(rem / 10_000);
  if (secs !== lastSecs) {
    const d = new Date(secs * 1000);
    if (Number.isNaN(d.getTime())) return { ms: 0, iso: `FILETIME(0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')})` };
    const iso = d.toISOString();
    lastPrefix = iso.slice(0, iso.length - 4); // `YYYY-MM-DDTHH:MM:SS.`
    lastSecs = secs;
  }
  return { ms, iso: `${lastPrefix}${String(rem).padStart(7, '0')}Z` };
}
/** One-entry cache: consecutive timestamps usually share the second. */
let lastSecs = NaN;
let lastPrefix = '';

function systemtime(buf: Buffer, off: number): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const y = buf.readUInt16LE(off);
  const mo = buf.readUInt16LE(off + 2);
  const d = buf.readUInt16LE(off + 6);
  const h = buf.readUInt16LE(off + 8);
  const mi = buf.readUInt16LE(off + 10);
  const s = buf.readUInt16LE(off + 12);
  const ms = buf.readUInt16LE(off + 14);
  return `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(s)}.${String(ms).padStart(3, '0')}Z`;
}

function sidText(buf: Buffer, off: number, size: number): string {
  if (size < 8) return hexUpper(buf, off, size);
  const rev = buf[off]!;
  const n = buf[off + 1]!;
  if (8 + n * 4 > size) return hexUpper(buf, off, size);
  const auth = buf.readUIntBE(off + 2, 6);
  let s = `S-${rev}-${auth}`;
  for (let i = 0; i < n; i++) s += `-${buf.readUInt32LE(off + 8 + i * 4)}`;
  return s;
}

function fmtFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  return String(x);
}

/** Size in bytes of one element of a fixed-size type, 0 for variable-size types. */
function fixedSize(t: number, total: number): number {
  switch (t) {
    case 0x03:
    case 0x04:
      return 1;
    case 0x05:
    case 0x06:
      return 2;
    case 0x07:
    case 0x08:
    case 0x0b:
    case 0x0d:
    case 0x14:
      return 4;
    case 0x09:
    case 0x0a:
    case 0x0c:
    case 0x11:
    case 0x15:
      return 8;
    case 0x0f:
    case 0x12:
      return 16;
    case 0x10:
      return total % 8 === 0 ? 8 : 4;
    default:
      return 0;
  }
}

/** Renders one scalar value of type `t` at buf[off..off+size) as Windows shows it. */
export function scalarText(buf: Buffer, t: number, off: number, size: number): string {
  if (size === 0) return '';
  const need = fixedSize(t, size);
  if (need > 0 && size < need) return hexUpper(buf, off, size);
  switch (t) {
    case 0x00:
      return '';
    case 0x01:
      return decodeUtf16(buf, off, off + size);
    case 0x02: {
      let e = off + size;
      while (e > off && buf[e - 1] === 0) e--;
      return buf.toString('latin1', off, e);
    }
    case 0x03:
      return String(buf.readInt8(off));
    case 0x04:
      return String(buf[off]);
    case 0x05:
      return String(buf.readInt16LE(off));
    case 0x06:
      return String(buf.readUInt16LE(off));
    case 0x07:
      return String(buf.readInt32LE(off));
    case 0x08:
      return String(buf.readUInt32LE(off));
    case 0x09:
      return buf.readBigInt64LE(off).toString();
    case 0x0a:
      return buf.readBigUInt64LE(off).toString();
    case 0x0b:
      return fmtFloat(buf.readFloatLE(off));
    case 0x0c:
      return fmtFloat(buf.readDoubleLE(off));
    case 0x0d:
      return buf.readUInt32LE(off) !== 0 ? 'true' : 'false';
    case 0x0e:
      return hexUpper(buf, off, size);
    case 0x0f:
      return guidText(buf, off);
    case 0x10:
      return size >= 8 ? '0x' + buf.readBigUInt64LE(off).toString(16).padStart(16, '0') : '0x' + buf.readUInt32LE(off).toString(16).padStart(8, '0');
    case 0x11:
      return filetime(buf, off).iso;
    case 0x12:
      return systemtime(buf, off);
    case 0x13:
      return sidText(buf, off, size);
    case 0x14:
      return '0x' + buf.readUInt32LE(off).toString(16);
    case 0x15:
      return '0x' + buf.readBigUInt64LE(off).toString(16);
    default:
      return hexUpper(buf, off, size);
  }
}

/** Items of an array value (type 0x80 | element type). */
export function valueItems(buf: Buffer, v: Value): string[] {
  const et = v.type & 0x7f;
  const items: string[] = [];
  if (et === 0x01) {
    // NUL-terminated UTF-16 strings, one after another
    let s = v.off;
    const e = v.off + (v.size & ~1);
    for (let i = v.off; i < e; i += 2) {
      if (buf[i] === 0 && buf[i + 1] === 0) {
        items.push(buf.toString('utf16le', s, i));
        s = i + 2;
      }
    }
    if (s < e) items.push(buf.toString('utf16le', s, e));
  } else if (et === 0x02) {
    for (const part of buf.toString('latin1', v.off, v.off + v.size).split('\0')) if (part) items.push(part);
  } else {
    const n = fixedSize(et, v.size);
    if (n === 0) return [hexUpper(buf, v.off, v.size)];
    for (let o = v.off; o + n <= v.off + v.size; o += n) items.push(scalarText(buf, et, o, n));
  }
  return items;
}

/**
 * Renders a substitution value as text. Arrays used as the whole content of an element are
 * expanded into repeated elements by `materialize` (as Windows does); elsewhere (attributes,
 * mixed content) their items are joined with ", ".
 */
export function valueText(buf: Buffer, v: Value): string {
  if (v.type < 0x80) return scalarText(buf, v.type, v.off, v.size);
  return valueItems(buf, v).join(', ');
}

// ---------------------------------------------------------------- materialized tree

/** A rendered element: name, attributes (name/value pairs), children (elements or text). */
export interface XElem {
  name: string;
  attrs: [string, string][];
  children: (XElem | string)[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

interface Budget {
  left: number;
  text: number;
}

function spend(budget: Budget, s: string): string {
  if ((budget.text -= s.length) < 0) throw new BinXmlError(`record renders to more than ${RENDER_TEXT_BUDGET} characters`, 0);
  return s;
}

/** Resolves an instance (template + values) into a plain element tree with text values. */
export function materialize(c: Chunk, inst: Instance): XElem[] {
  const budget: Budget = { left: RENDER_BUDGET, text: RENDER_TEXT_BUDGET };
  const out: (XElem | string)[] = [];
  addNodes(c, inst.nodes, inst.values, out, budget, 0);
  return out.filter((x): x is XElem => typeof x !== 'string');
}

function addNodes(c: Chunk, nodes: Node[], values: Value[], out: (XElem | string)[], budget: Budget, depth: number): void {
  if (depth > MAX_DEPTH * 2) throw new BinXmlError('embedded BinXML nested too deeply', 0);
  for (const n of nodes) {
    if (--budget.left < 0) throw new BinXmlError('record renders to too many nodes', 0);
    switch (n.k) {
      case NK.Elem: {
        const only = n.children.length === 1 ? n.children[0]! : undefined;
        if (only && only.k === NK.Subst) {
          const v = values[only.idx];
          if (v && v.type > 0x80 && v.type !== 0xa1 && v.size > 0) {
            // An array substitution as the element's content: one element per item (Windows' rendering).
            const attrs = renderAttrs(c, n, values, budget);
            for (const item of valueItems(c.buf, v)) {
              if (--budget.left < 0) throw new BinXmlError('record renders to too many nodes', 0);
              out.push({ name: n.name, attrs, children: item ? [spend(budget, item)] : [] });
            }
            break;
          }
        }
        const el: XElem = { name: n.name, attrs: renderAttrs(c, n, values, budget), children: [] };
        addNodes(c, n.children, values, el.children, budget, depth + 1);
        out.push(el);
        break;
      }
      case NK.Subst: {
        const v = values[n.idx];
        if (!v || v.type === 0x00 || v.size === 0) break;
        if (v.type === 0x21) {
          if (v.inst) addNodes(c, v.inst.nodes, v.inst.values, out, budget, depth + 1);
        } else out.push(spend(budget, valueText(c.buf, v)));
        break;
      }
      case NK.Inst:
        addNodes(c, n.inst.nodes, n.inst.values, out, budget, depth + 1);
        break;
      default: {
        const t = nodeText(n);
        if (t) out.push(spend(budget, t));
      }
    }
  }
}

function renderAttrs(c: Chunk, n: ElemNode, values: Value[], budget: Budget): [string, string][] {
  const attrs: [string, string][] = [];
  for (const a of n.attrs) {
    let omit = false;
    let text = '';
    for (const vn of a.value) {
      if (vn.k === NK.Subst) {
        const v = values[vn.idx];
        if (!v || v.type === 0x00 || (v.size === 0 && vn.optional)) {
          if (vn.optional) omit = true;
          continue;
        }
        text += v.type === 0x21 ? '' : valueText(c.buf, v);
      } else text += nodeText(vn);
    }
    if (!omit) attrs.push([a.name, spend(budget, text)]);
  }
  return attrs;
}

function nodeText(n: Node): string {
  switch (n.k) {
    case NK.Text:
    case NK.CData:
      return n.text;
    case NK.CharRef:
      return String.fromCharCode(n.code);
    case NK.EntityRef:
      return ENTITIES[n.name] ?? `&${n.name};`;
    default:
      return '';
  }
}

/** Concatenated text content of an element (direct text children only). */
export function textOf(el: XElem): string {
  const ch = el.children;
  if (ch.length === 1 && typeof ch[0] === 'string') return ch[0];
  let s = '';
  for (const x of ch) if (typeof x === 'string') s += x;
  return s;
}

function escText(s: string): string {
  return /[&<>]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
}
function escAttr(s: string): string {
  return /[&<>"]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : s;
}

/** Renders elements as indented XML (two spaces per level, one element per line, like Event Viewer). */
export function renderXml(els: (XElem | string)[], indent = ''): string {
  let s = '';
  for (const el of els) {
    if (typeof el === 'string') {
      s += indent + escText(el) + '\n';
      continue;
    }
    s += `${indent}<${el.name}`;
    for (const [k, v] of el.attrs) s += ` ${k}="${escAttr(v)}"`;
    const ch = el.children;
    if (ch.length === 0) s += '/>\n';
    else if (ch.every((x) => typeof x === 'string')) s += `>${escText(ch.join(''))}</${el.name}>\n`;
    else s += `>\n${renderXml(ch, indent + '  ')}${indent}</${el.name}>\n`;
  }
  return s;
}
