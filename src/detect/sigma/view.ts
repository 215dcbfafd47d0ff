/**
 * EventView: the per-event field accessor used by compiled rules. String forms and lower-cased
 * forms of each field are computed once per event and shared by every rule that reads the field.
 */
import { getField } from '../../core/event.js';

const NONE = Symbol('none');

/** String form of a scalar field value; undefined for absent, null for JSON null. */
export function scalarString(v: unknown): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    default:
      return JSON.stringify(v);
  }
}

export class EventView {
  fields: Record<string, unknown>;
  private readonly lc = new Map<string, string | null | undefined | typeof NONE>();
  private readonly st = new Map<string, string | null | undefined>();
  private allLower: string[] | undefined;
  private all: string[] | undefined;

  constructor(fields: Record<string, unknown>) {
    this.fields = fields;
  }

  /** Reuses the view for another event (drops the per-event caches). */
  reset(fields: Record<string, unknown>): void {
    this.fields = fields;
    if (this.lc.size) this.lc.clear();
    if (this.st.size) this.st.clear();
    this.allLower = undefined;
    this.all = undefined;
  }

  /** The raw value (objects, arrays, numbers ...). */
  get(name: string): unknown {
    const f = this.fields;
    const v = f[name];
    if (v !== undefined || Object.prototype.hasOwnProperty.call(f, name)) return v;
    return name.includes('.') ? getField(f, name) : undefined;
  }

  /** String form (arrays: undefined here; matchers handle arrays through get()). */
  str(name: string): string | null | undefined {
    const raw = this.fields[name];
    if (typeof raw === 'string') return raw;
    let s = this.st.get(name);
    if (s !== undefined || this.st.has(name)) return s;
    const v = this.get(name);
    s = Array.isArray(v) ? undefined : scalarString(v);
    this.st.set(name, s);
    return s;
  }

  /** Lower-cased string form, computed once per event and field. */
  lower(name: string): string | null | undefined {
    const c = this.lc.get(name);
    if (c !== undefined) return c === NONE ? undefined : c;
    const raw = this.fields[name];
    if (typeof raw === 'string') {
      const l = raw.toLowerCase();
      this.lc.set(name, l);
      return l;
    }
    const s = this.str(name);
    const l = typeof s === 'string' ? s.toLowerCase() : s;
    this.lc.set(name, l === undefined ? NONE : l);
    return l;
  }

  /** Every scalar value in the event as a string (keyword candidate index). */
  allValues(): string[] {
    if (this.all) return this.all;
    const out: string[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (depth > 16 || out.length > 10_000 || v === null || v === undefined) return;
      if (typeof v === 'object') {
        for (const x of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) walk(x, depth + 1);
        return;
      }
      out.push(typeof v === 'string' ? v : String(v));
    };
    walk(this.fields, 0);
    this.all = out;
    return out;
  }

  /** Every string value in the event, lower-cased (keyword searches). */
  allValuesLower(): string[] {
    if (this.allLower) return this.allLower;
    this.allLower = this.allValues().map((x) => x.toLowerCase());
    return this.allLower;
  }
}
