/**
 * Windows event XML as text (Splunk `XmlWinEventLog`, WEF/forwarded events, `wevtutil qe /f:xml`,
 * `Get-WinEvent | ToXml()`) → the canonical flat form.
 *
 * A small, linear-time parser for the restricted XML Windows writes: elements, attributes,
 * text, character/entity references, CDATA, comments and processing instructions. No DTDs,
 * no external entities, no regex over the input; depth and size are bounded.
 */
import type { GarrisonEvent } from '../../core/event.js';
import { GarrisonError } from '../../core/errors.js';
import { windowsTreeToFlat, type WindowsFlat, type WinXmlElement } from './flat.js';
import { windowsToEvent, type WindowsEventInfo } from './index.js';

const MAX_DEPTH = 64;
const MAX_LEN = 8 * 1024 * 1024;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, at: number): string {
  if (s.indexOf('&') < 0) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const a = s.indexOf('&', i);
    if (a < 0) return out + s.slice(i);
    const b = s.indexOf(';', a);
    if (b < 0 || b - a > 12) throw new GarrisonError('WINDOWS_BAD_XML', `unterminated entity reference at offset ${at + a}`, { location: { offset: at + a } });
    out += s.slice(i, a);
    const name = s.slice(a + 1, b);
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isFinite(code) || code < 0 || code > 0x10ffff) throw new GarrisonError('WINDOWS_BAD_XML', `bad character reference &${name}; at offset ${at + a}`, { location: { offset: at + a } });
      out += String.fromCodePoint(code);
    } else {
      const r = NAMED[name];
      if (r === undefined) throw new GarrisonError('WINDOWS_BAD_XML', `unknown entity &${name}; at offset ${at + a}`, { location: { offset: at + a } });
      out += r;
    }
    i = b + 1;
  }
}

const isNameChar = (c: number) => c > 0x20 && c !== 0x3e /* > */ && c !== 0x2f /* / */ && c !== 0x3d /* = */ && c !== 0x3c;

/** Parses Windows event XML into elements (top-level elements returned). Throws WINDOWS_BAD_XML with the offset. */
export function parseWindowsXml(xml: string): WinXmlElement[] {
  if (xml.length > MAX_LEN) throw new GarrisonError('WINDOWS_BAD_XML', `XML event of ${xml.length} characters exceeds the ${MAX_LEN} limit`, { location: { offset: MAX_LEN } });
  const bad = (msg: string, at: number) => new GarrisonError('WINDOWS_BAD_XML', `${msg} at offset ${at}`, { location: { offset: at } });
  const roots: WinXmlElement[] = [];
  const stack: WinXmlElement[] = [];
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const t = xml.slice(i, textEnd);
      if (stack.length) stack[stack.length - 1]!.children.push(decodeEntities(t, i));
      else if (t.trim()) throw bad('text outside the root element', i);
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<?', i)) {
      const e = xml.indexOf('?>', i + 2);
      if (e < 0) throw bad('unterminated processing instruction', i);
      i = e + 2;
    } else if (xml.startsWith('<!--', i)) {
      const e = xml.indexOf('-->', i + 4);
      if (e < 0) throw bad('unterminated comment', i);
      i = e + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const e = xml.indexOf(']]>', i + 9);
      if (e < 0) throw bad('unterminated CDATA section', i);
      if (!stack.length) throw bad('CDATA outside the root element', i);
      stack[stack.length - 1]!.children.push(xml.slice(i + 9, e));
      i = e + 3;
    } else if (xml.startsWith('<!', i)) {
      throw bad('DTD declarations are not accepted', i);
    } else if (xml[i + 1] === '/') {
      const e = xml.indexOf('>', i);
      if (e < 0) throw bad('unterminated end tag', i);
      const name = xml.slice(i + 2, e).trim();
      const top = stack.pop();
      if (!top || top.name !== name) throw bad(`end tag </${name}> does not match <${top?.name ?? ''}>`, i);
      i = e + 1;
    } else {
      let j = i + 1;
      while (j < n && isNameChar(xml.charCodeAt(j))) j++;
      const name = xml.slice(i + 1, j);
      if (!name) throw bad('element without a name', i);
      const el: WinXmlElement = { name, attrs: [], children: [] };
      let selfClose = false;
      for (;;) {
        while (j < n && xml.charCodeAt(j) <= 0x20) j++;
        if (j >= n) throw bad(`unterminated start tag <${name}>`, i);
        const c = xml[j];
        if (c === '>') {
          j++;
          break;
        }
        if (c === '/' && xml[j + 1] === '>') {
          selfClose = true;
          j += 2;
          break;
        }
        const a0 = j;
        while (j < n && isNameChar(xml.charCodeAt(j))) j++;
        const an = xml.slice(a0, j);
        while (j < n && xml.charCodeAt(j) <= 0x20) j++;
        if (!an || xml[j] !== '=') throw bad(`malformed attribute in <${name}>`, j);
        j++;
        while (j < n && xml.charCodeAt(j) <= 0x20) j++;
        const q = xml[j];
        if (q !== '"' && q !== "'") throw bad(`unquoted attribute value in <${name}>`, j);
        const e = xml.indexOf(q, j + 1);
        if (e < 0) throw bad(`unterminated attribute value in <${name}>`, j);
        el.attrs.push([an, decodeEntities(xml.slice(j + 1, e), j + 1)]);
        j = e + 1;
      }
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else roots.push(el);
      if (!selfClose) {
        if (stack.length >= MAX_DEPTH) throw bad('XML nested too deeply', i);
        stack.push(el);
      }
      i = j;
    }
  }
  if (stack.length) throw bad(`element <${stack[stack.length - 1]!.name}> not closed`, n);
  if (!roots.length) throw bad('no element found', 0);
  return roots;
}

/** Windows event XML text → canonical flat form (throws WINDOWS_BAD_XML). */
export function windowsXmlToFlat(xml: string): WindowsFlat {
  return windowsTreeToFlat(parseWindowsXml(xml));
}

/** Windows event XML text → GarrisonEvent (format `winlog`, raw = the XML). */
export function windowsXmlToEvent(xml: string, info: Omit<WindowsEventInfo, 'raw'>): GarrisonEvent {
  return windowsToEvent(windowsXmlToFlat(xml), { ...info, raw: xml });
}
