/**
 * Windows events arriving as JSON → the canonical flat form, so one event gives the same
 * normalized event whichever way it came:
 *  - `evtx-json`: evtx_dump / SigmaHQ regression form `{"Event":{"#attributes":..,"System":..,"EventData":..}}`
 *  - `winlogbeat`: Elastic Winlogbeat (`winlog.event_data`, `winlog.event_id`, `winlog.channel`, ...)
 *  - `nxlog`: NXLog im_msvistalog JSON and OTRF/Mordor flattened events (`EventID`, `Channel`,
 *    `Hostname`, `SourceName`, EventData fields at top level)
 */
import type { GarrisonEvent } from '../../core/event.js';
import { canonicalTime, canonicalValue, newFlat, windowsTreeToFlat, type WindowsFlat, type WinXmlElement } from './flat.js';
import { windowsToEvent, type WindowsEventInfo } from './index.js';

export type WindowsJsonKind = 'evtx-json' | 'winlogbeat' | 'nxlog';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Which Windows JSON shape `obj` is, or undefined when it is not a Windows event. Cheap: runs per record. */
export function detectWindowsJson(obj: unknown): WindowsJsonKind | undefined {
  if (!isObj(obj)) return undefined;
  const ev = obj.Event;
  if (isObj(ev) && isObj(ev.System)) return 'evtx-json';
  const w = obj.winlog;
  if (isObj(w) && (w.event_id !== undefined || typeof w.channel === 'string')) return 'winlogbeat';
  if (obj.EventID !== undefined && (typeof obj.Channel === 'string' || typeof obj.SourceName === 'string' || typeof obj.Hostname === 'string' || typeof obj.ProviderGuid === 'string')) return 'nxlog';
  return undefined;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

const MAX_DEPTH = 32;

/** evtx_dump JSON node → element(s). `#attributes` → attributes, `#text` → text, other keys → children. */
function jsonToElems(name: string, v: unknown, depth: number): WinXmlElement[] {
  if (Array.isArray(v)) return depth > MAX_DEPTH ? [] : v.flatMap((x) => jsonToElems(name, x, depth + 1));
  const el: WinXmlElement = { name, attrs: [], children: [] };
  if (isObj(v) && depth <= MAX_DEPTH) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '#attributes' && isObj(x)) for (const [ak, av] of Object.entries(x)) el.attrs.push([ak, scalar(av)]);
      else if (k === '#text') {
        if (Array.isArray(x)) el.children.push(x.map(scalar).join(''));
        else if (x !== null) el.children.push(scalar(x));
      } else el.children.push(...jsonToElems(k, x, depth + 1));
    }
  } else if (v !== null && v !== undefined) el.children.push(scalar(v));
  return [el];
}

/** evtx_dump EventData: keys are Data names; `Data` holds unnamed Data (`#text` may be an array). */
function eventDataElems(v: unknown): WinXmlElement[] {
  const out: WinXmlElement[] = [];
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (k === '#attributes') continue;
    if (k === 'Data') {
      const items = isObj(x) && '#text' in x ? x['#text'] : x;
      for (const t of Array.isArray(items) ? items : [items]) {
        if (isObj(t) && isObj(t['#attributes']) && typeof t['#attributes'].Name === 'string') {
          out.push({ name: 'Data', attrs: [['Name', t['#attributes'].Name]], children: [scalar(t['#text'])] });
        } else out.push({ name: 'Data', attrs: [], children: [scalar(t)] });
      }
    } else if (k === 'Binary') out.push({ name: 'Binary', attrs: [], children: [scalar(x)] });
    else out.push({ name: 'Data', attrs: [['Name', k]], children: [scalar(x)] });
  }
  return out;
}

function evtxJsonToFlat(obj: Obj): WindowsFlat {
  const ev = obj.Event as Obj;
  const root: WinXmlElement = { name: 'Event', attrs: [], children: [] };
  for (const [k, x] of Object.entries(ev)) {
    if (k === '#attributes') continue;
    if (k === 'EventData') root.children.push({ name: 'EventData', attrs: [], children: eventDataElems(x) });
    else root.children.push(...jsonToElems(k, x, 1));
  }
  return windowsTreeToFlat([root]);
}

function keywordsHex(v: unknown): string | undefined {
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) return v.toLowerCase();
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);
  if (typeof v === 'number' && Number.isInteger(v)) return '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);
  return undefined;
}

function setIf(out: WindowsFlat, k: string, v: unknown): void {
  if (v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v))) return;
  out[k] = canonicalValue(scalar(v));
}

function eventIdOf(v: unknown): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : scalar(v);
}

/** Adds EventData-style fields; Winlogbeat's `paramN` (unnamed Data) become `Data_N` + `Data`. */
function addEventData(out: WindowsFlat, data: unknown): void {
  if (!isObj(data)) return;
  const unnamed: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    const m = /^param(\d+)$/.exec(k);
    if (m) unnamed[Number(m[1]) - 1] = scalar(v);
    else if (!Object.prototype.hasOwnProperty.call(out, k)) setIf(out, k, v);
    else setIf(out, `EventData_${k}`, v);
  }
  if (unnamed.length) {
    for (let i = 0; i < unnamed.length; i++) out[`Data_${i + 1}`] = unnamed[i] ?? '';
    out.Data = unnamed.map((x) => x ?? '').join('\n');
  }
}

function flattenUserData(out: WindowsFlat, v: unknown, depth = 0): void {
  if (!isObj(v) || depth > MAX_DEPTH) return;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'xml_name' || k === '#attributes' || k === 'xmlns') continue;
    if (isObj(x)) flattenUserData(out, x, depth + 1);
    else setIf(out, Object.prototype.hasOwnProperty.call(out, k) ? `UserData_${k}` : k, x);
  }
}

function winlogbeatToFlat(obj: Obj): WindowsFlat {
  const w = obj.winlog as Obj;
  const out = newFlat();
  const proc = isObj(w.process) ? w.process : {};
  const thread = isObj(proc.thread) ? proc.thread : {};
  const user = isObj(w.user) ? w.user : {};
  const event = isObj(obj.event) ? obj.event : {};
  setIf(out, 'Provider_Name', w.provider_name ?? event.provider);
  setIf(out, 'Provider_Guid', w.provider_guid);
  const eid = eventIdOf(w.event_id ?? event.code);
  if (eid !== undefined) out.EventID = eid;
  if (typeof w.version === 'number' || /^\d+$/.test(scalar(w.version))) setIf(out, 'Version', w.version);
  const kw = keywordsHex(w.keywords);
  if (kw) out.Keywords = kw;
  const ts = obj['@timestamp'] ?? event.created;
  if (typeof ts === 'string') out.TimeCreated = canonicalTime(ts);
  setIf(out, 'EventRecordID', w.record_id);
  setIf(out, 'ActivityID', w.activity_id);
  setIf(out, 'RelatedActivityID', w.related_activity_id);
  setIf(out, 'ProcessID', proc.pid);
  setIf(out, 'ThreadID', thread.id);
  setIf(out, 'Channel', w.channel);
  setIf(out, 'Computer', w.computer_name ?? (isObj(obj.host) ? obj.host.name : undefined));
  setIf(out, 'UserID', user.identifier);
  addEventData(out, w.event_data);
  flattenUserData(out, w.user_data);
  return out;
}

const NXLOG_ENVELOPE: Record<string, string> = {
  SourceName: 'Provider_Name',
  ProviderGuid: 'Provider_Guid',
  Version: 'Version',
  Task: 'Task',
  OpcodeValue: 'Opcode',
  RecordNumber: 'EventRecordID',
  ActivityID: 'ActivityID',
  RelatedActivityID: 'RelatedActivityID',
  ExecutionProcessID: 'ProcessID',
  ThreadID: 'ThreadID',
  Channel: 'Channel',
  Hostname: 'Computer',
  UserID: 'UserID',
  SeverityValue: 'Level',
};
/** NXLog / OTRF envelope keys that are not event data. */
const NXLOG_DROP = new Set([
  'EventTime', 'EventReceivedTime', 'SourceModuleName', 'SourceModuleType', 'EventType', 'Severity', 'Opcode', 'Category',
  'Message', 'Keywords', 'EventID', 'AccountName', 'AccountType', 'Domain', '@timestamp', '@version', 'host', 'port', 'tags',
  'Hostname', 'ProcessID', 'SourceName', 'ProviderGuid', 'Version', 'Task', 'OpcodeValue', 'RecordNumber', 'ActivityID',
  'RelatedActivityID', 'ThreadID', 'Channel', 'UserID', 'SeverityValue', 'ERRORCODE', 'EventReceivedTime', 'beat', 'log_name',
  'source_name', 'event_id', 'computer_name', 'record_number', 'type', 'level',
]);

const NXLOG_ENVELOPE_ENTRIES = Object.entries(NXLOG_ENVELOPE);

function nxlogToFlat(obj: Obj): WindowsFlat {
  const out = newFlat();
  for (let i = 0; i < NXLOG_ENVELOPE_ENTRIES.length; i++) {
    const v = obj[NXLOG_ENVELOPE_ENTRIES[i][0]];
    if (v !== undefined) setIf(out, NXLOG_ENVELOPE_ENTRIES[i][1], v);
  }
  // NXLog: ProcessID is the System Execution ProcessID; Sysmon's own is ProcessId (case differs).
  if (obj.ProcessID !== undefined && out.ProcessID === undefined) setIf(out, 'ProcessID', obj.ProcessID);
  const eid = eventIdOf(obj.EventID);
  if (eid !== undefined) out.EventID = eid;
  const kw = keywordsHex(obj.Keywords);
  if (kw) out.Keywords = kw;
  const ts = obj['@timestamp'] ?? obj.EventTime;
  if (typeof ts === 'string') out.TimeCreated = canonicalTime(ts);
  for (const k of Object.keys(obj)) {
    if (NXLOG_DROP.has(k)) continue;
    setIf(out, k in out ? `EventData_${k}` : k, obj[k]); // `in`: out has no prototype
  }
  return out;
}

/** Converts a Windows event in any supported JSON shape to the canonical flat form (undefined if not Windows JSON). */
export function windowsJsonToFlat(obj: unknown, kind: WindowsJsonKind | undefined = detectWindowsJson(obj)): WindowsFlat | undefined {
  if (!kind || !isObj(obj)) return undefined;
  switch (kind) {
    case 'evtx-json':
      return evtxJsonToFlat(obj);
    case 'winlogbeat':
      return winlogbeatToFlat(obj);
    case 'nxlog':
      return nxlogToFlat(obj);
  }
}

/**
 * One call: Windows JSON object → GarrisonEvent (format `winlog`), or undefined when `obj` is
 * not a Windows event. `info.raw` should be the original text (default: JSON.stringify(obj)).
 */
export function windowsJsonToEvent(obj: unknown, info: Omit<WindowsEventInfo, 'raw'> & { raw?: string }): GarrisonEvent | undefined {
  const flat = windowsJsonToFlat(obj);
  if (!flat) return undefined;
  return windowsToEvent(flat, { ...info, raw: info.raw ?? JSON.stringify(obj) });
}

/**
 * Splits concatenated JSON values (SigmaHQ regression `.json` files: pretty-printed objects one
 * after another, not JSON lines) into one text per top-level value. Linear; strings and escapes
 * are honoured. Text that is not inside an object/array (other than whitespace) is reported via
 * the returned `junk` offsets.
 */
export function splitConcatenatedJson(text: string): { values: string[]; junk: number[] } {
  const values: string[] = [];
  const junk: number[] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 0) junk.push(i);
      inStr = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth++ === 0) start = i;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) junk.push(i);
      else if (--depth === 0) values.push(text.slice(start, i + 1));
    } else if (depth === 0 && c > 0x20) junk.push(i);
  }
  if (depth > 0) junk.push(start);
  return { values, junk };
}
