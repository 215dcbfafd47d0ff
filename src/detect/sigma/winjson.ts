/**
 * Windows events rendered as JSON (`{"Event":{"#attributes":..,"System":..,"EventData":..}}`, as in
 * SigmaHQ's regression samples and evtx_dump JSON) flattened to the canonical flat form Sigma rules
 * read: System fields (EventID, Channel, Computer, Provider_Name ...) plus EventData / UserData by
 * name. Also splits a text of concatenated pretty-printed JSON objects.
 */
import { GarrisonError } from '../../core/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function textOf(v: unknown): unknown {
  if (isObj(v) && '#text' in v) return v['#text'];
  return v;
}

/** Flattens one rendered Windows event. Returns undefined when the object is not one. */
export function flattenWindowsJson(obj: Obj): Obj | undefined {
  const ev = isObj(obj.Event) ? obj.Event : obj;
  const sys = ev.System;
  if (!isObj(sys)) return undefined;
  const out: Obj = {};
  for (const [k, v] of Object.entries(sys)) {
    if (isObj(v)) {
      const attrs = isObj(v['#attributes']) ? v['#attributes'] : undefined;
      if ('#text' in v) out[k] = v['#text'];
      if (attrs) for (const [a, x] of Object.entries(attrs)) out[`${k}_${a}`] = x;
      if (k === 'TimeCreated' && attrs && attrs.SystemTime !== undefined) out.TimeCreated = attrs.SystemTime;
      if (!('#text' in v) && !attrs) for (const [a, x] of Object.entries(v)) if (!isObj(x)) out[`${k}_${a}`] = x;
    } else out[k] = v;
  }
  const addData = (data: unknown) => {
    if (!isObj(data)) return;
    for (const [k, v] of Object.entries(data)) {
      if (k === '#attributes') continue;
      if (k === 'Data' && Array.isArray(v)) {
        const unnamed: unknown[] = [];
        for (const d of v) {
          const name = isObj(d) && isObj(d['#attributes']) ? d['#attributes'].Name : undefined;
          if (typeof name === 'string') out[name] = textOf(d);
          else unnamed.push(textOf(d));
        }
        if (unnamed.length) out.Data = unnamed.length === 1 ? unnamed[0] : unnamed;
        continue;
      }
      if (!(k in out)) out[k] = textOf(v);
    }
  };
  addData(ev.EventData);
  const ud = ev.UserData;
  if (isObj(ud)) {
    const walk = (o: Obj, depth: number) => {
      for (const [k, v] of Object.entries(o)) {
        if (k === '#attributes') continue;
        if (isObj(v) && !('#text' in v) && depth < 4) walk(v, depth + 1);
        else if (!(k in out)) out[k] = textOf(v);
      }
    };
    walk(ud, 0);
  }
  return out;
}

/**
 * Splits concatenated JSON values (pretty-printed objects one after another, or JSON lines).
 * Yields each value's text with its starting line; a truncated tail is reported as an error item.
 */
export function* splitConcatenatedJson(text: string, file: string): Generator<{ text: string; line: number } | { error: GarrisonError }> {
  let depth = 0;
  let inStr = false;
  let start = -1;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
      continue;
    }
    if (c === 34) {
      inStr = true;
      if (depth === 0) return void (yield { error: new GarrisonError('SIGMA_SAMPLE_INVALID', `${file}:${line}: a top-level JSON string where an object was expected`, { location: { file, line } }) });
    } else if (c === 123 || c === 91) {
      if (depth === 0) {
        start = i;
        startLine = line;
      }
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) {
        yield { text: text.slice(start, i + 1), line: startLine };
        start = -1;
      } else if (depth < 0) {
        yield { error: new GarrisonError('SIGMA_SAMPLE_INVALID', `${file}:${line}: unbalanced '${String.fromCharCode(c)}'`, { location: { file, line } }) };
        depth = 0;
      }
    } else if (depth === 0 && c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 44) {
      yield { error: new GarrisonError('SIGMA_SAMPLE_INVALID', `${file}:${line}: unexpected text between JSON objects`, { location: { file, line } }) };
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
      line++;
    }
  }
  if (depth !== 0) yield { error: new GarrisonError('SIGMA_SAMPLE_INVALID', `${file}:${startLine}: truncated JSON object at end of input`, { location: { file, line: startLine } }) };
}
