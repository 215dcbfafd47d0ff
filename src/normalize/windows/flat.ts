/**
 * The canonical flat form of a Windows event (see docs/windows.md), built from an element tree
 * (EVTX rendering or parsed Windows XML).
 */
import { isBracedGuid } from '../../core/event.js';

/** An XML element as rendered: name, attributes in document order, children (elements or text). */
export interface WinXmlElement {
  name: string;
  attrs: [string, string][];
  children: (WinXmlElement | string)[];
}

/**
 * Flat Windows event: System fields under Sigma's names plus EventData/UserData by name.
 * All values are strings as Windows renders them in XML, except `EventID` (a number).
 */
export type WindowsFlat = Record<string, string | number>;

/** System attribute → flat field name. Unlisted attributes become `<Element>_<Attribute>`. */
const SYSTEM_ATTRS: Record<string, Record<string, string>> = {
  Provider: { Name: 'Provider_Name', Guid: 'Provider_Guid', EventSourceName: 'Provider_EventSourceName' },
  TimeCreated: { SystemTime: 'TimeCreated' },
  Execution: { ProcessID: 'ProcessID', ThreadID: 'ThreadID' },
  Security: { UserID: 'UserID' },
  Correlation: { ActivityID: 'ActivityID', RelatedActivityID: 'RelatedActivityID' },
  EventID: { Qualifiers: 'Qualifiers' },
};

function text(el: WinXmlElement): string {
  let s = '';
  for (const x of el.children) if (typeof x === 'string') s += x;
  return s;
}

const GUID_RE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/**
 * Canonical text of one value: a GUID (with or without braces, any case) becomes
 * `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` upper-case; anything else is unchanged.
 */
export function canonicalValue(v: string): string {
  const n = v.length;
  // The braced form is core's isBracedGuid: fields rebuilt from raw text (core/event.ts) apply the same rule.
  if (n === 38) return isBracedGuid(v) ? v.toUpperCase() : v;
  if (n === 36 && GUID_RE.test(v) && v[0] !== '{') return `{${v}}`.toUpperCase();
  return v;
}

const TIME_RE = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$/i;

/** Canonical timestamp: ISO 8601 UTC with 7 fractional digits (100 ns); offsets are converted to UTC. */
export function canonicalTime(v: string): string {
  const m = TIME_RE.exec(v.trim());
  if (!m) return v;
  const frac = (m[3] ?? '').padEnd(7, '0').slice(0, 7);
  if (!m[4] || m[4].toUpperCase() === 'Z') return `${m[1]}T${m[2]}.${frac}Z`;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4]}`);
  if (Number.isNaN(ms)) return v;
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/**
 * A new flat object. Null prototype: field names come from the event (attacker-controlled), so
 * `__proto__` or `constructor` must be plain keys.
 */
export function newFlat(): WindowsFlat {
  return Object.create(null) as WindowsFlat;
}

/** Next free suffix per colliding key (keeps repeated names linear, not quadratic). */
const NEXT = new WeakMap<WindowsFlat, Map<string, number>>();

function put(out: WindowsFlat, key: string, value: string, prefix: string): void {
  value = canonicalValue(value);
  if (!Object.prototype.hasOwnProperty.call(out, key)) {
    out[key] = value;
    return;
  }
  let k = `${prefix}_${key}`;
  if (Object.prototype.hasOwnProperty.call(out, k)) {
    let next = NEXT.get(out);
    if (!next) NEXT.set(out, (next = new Map()));
    let i = next.get(k) ?? 2;
    while (Object.prototype.hasOwnProperty.call(out, `${k}_${i}`)) i++;
    next.set(k, i + 1);
    k = `${k}_${i}`;
  }
  out[k] = value;
}

/** Leaves of a UserData/other subtree by element name (attributes as `<Element>_<Attribute>`). */
function flattenLeaves(el: WinXmlElement, out: WindowsFlat, prefix: string): void {
  let hasElem = false;
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    hasElem = true;
    for (const [k, v] of c.attrs) if (k !== 'xmlns' && !k.startsWith('xmlns:')) put(out, `${c.name}_${k}`, v, prefix);
    const inner = c.children.some((x) => typeof x !== 'string');
    if (inner) flattenLeaves(c, out, prefix);
    else put(out, c.name, text(c), prefix);
  }
  if (!hasElem && text(el)) put(out, el.name, text(el), prefix);
}

/**
 * Flattens an `Event` element tree: System children (attributes renamed per SYSTEM_ATTRS),
 * EventData `<Data Name="X">` → `X`; unnamed Data → `Data_1`, `Data_2`, … plus `Data` (all
 * unnamed values joined with a newline); `<Binary>` → `Binary`; UserData and any other section
 * → leaf elements by name. A name already taken (by System) gets the section as prefix
 * (`EventData_Channel`, `UserData_Channel`).
 */
export function windowsTreeToFlat(roots: WinXmlElement[]): WindowsFlat {
  const out = newFlat();
  const ev = roots.find((r) => r.name === 'Event') ?? roots[0];
  if (!ev) return out;
  for (const sec of ev.children) {
    if (typeof sec === 'string') continue;
    if (sec.name === 'System') {
      for (const f of sec.children) {
        if (typeof f === 'string') continue;
        const map = SYSTEM_ATTRS[f.name];
        for (const [k, v] of f.attrs) {
          const key = map?.[k] ?? `${f.name}_${k}`;
          out[key] = key === 'TimeCreated' ? canonicalTime(v) : canonicalValue(v);
        }
        if (f.children.length) {
          const t = text(f);
          if (f.name === 'EventID') {
            const n = Number(t);
            out.EventID = t !== '' && Number.isInteger(n) ? n : t;
          } else out[f.name] = t;
        } else if (!map && f.attrs.length === 0) out[f.name] = '';
      }
    } else if (sec.name === 'EventData') {
      const unnamed: string[] = [];
      for (const d of sec.children) {
        if (typeof d === 'string') continue;
        if (d.name === 'Data') {
          const nameAttr = d.attrs.find((a) => a[0] === 'Name');
          if (nameAttr) put(out, nameAttr[1], text(d), 'EventData');
          else unnamed.push(text(d));
        } else if (d.children.some((x) => typeof x !== 'string')) flattenLeaves(d, out, 'EventData');
        else put(out, d.name, text(d), 'EventData');
      }
      if (unnamed.length) {
        for (let i = 0; i < unnamed.length; i++) put(out, `Data_${i + 1}`, unnamed[i]!, 'EventData');
        put(out, 'Data', unnamed.join('\n'), 'EventData');
      }
    } else if (sec.name !== 'RenderingInfo') {
      // RenderingInfo (forwarded events, Splunk XmlWinEventLog) is message text, not event data.
      flattenLeaves(sec, out, sec.name);
    }
  }
  return out;
}
