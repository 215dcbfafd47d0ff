/**
 * Equivalence check of this reader against Debian's libevtx (`evtxexport -f xml`), used by the
 * conformance test and `bench/evtx`. Both renderings go through the same XML → flat step; values
 * are then compared after the documented normalization (docs/evtx.md, "Equivalence with libevtx").
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { iterateEvtx } from './reader.js';
import { canonicalTime, canonicalValue, parseWindowsXml, windowsTreeToFlat, type WindowsFlat } from '../windows/index.js';
import type { GarrisonError } from '../../core/errors.js';

/** Runs `evtxexport -f xml FILE`; resolves with stdout, stderr and exit code (never rejects on exit code). */
export function runEvtxexport(file: string, bin = 'evtxexport'): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['-f', 'xml', file], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') return reject(err);
      resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code) : 0 });
    });
  });
}

/** Splits evtxexport's XML output into one string per `<Event ...>...</Event>`. */
export function splitEvents(out: string): string[] {
  const res: string[] = [];
  let i = 0;
  for (;;) {
    const a = out.indexOf('<Event ', i);
    const a2 = out.indexOf('<Event>', i);
    const s = a < 0 ? a2 : a2 < 0 ? a : Math.min(a, a2);
    if (s < 0) return res;
    const e = out.indexOf('</Event>', s);
    if (e < 0) return res;
    res.push(out.slice(s, e + 8));
    i = e + 8;
  }
}

/** Comparison normalization applied to both sides: trailing whitespace, GUID case/braces, hex padding, time precision. */
export function compareValue(v: string | number): string {
  let s = String(v).replace(/\s+$/, '');
  s = canonicalValue(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return '0x' + BigInt(s).toString(16);
  if (/^\d{4}-\d\d-\d\dT/.test(s)) s = canonicalTime(s);
  return s;
}

export interface FieldDiff {
  field: string;
  ours: string | undefined;
  libevtx: string | undefined;
}

export interface FileComparison {
  file: string;
  ours: number;
  libevtx: number;
  /** libevtx output that could not be parsed as XML (libevtx writes unescaped text). */
  libevtxUnparsable: number;
  eventIdMismatches: number;
  /** Records whose own XML rendering, parsed back, does not give the same flat form. */
  xmlRoundTripMismatches: number;
  /** Records with at least one differing field. */
  recordsWithDiffs: number;
  diffs: (FieldDiff & { record: number })[];
  /** Values that differ as printed but agree after normalization, counted by kind (see docs/evtx.md). */
  normalized: Record<string, number>;
  problems: GarrisonError[];
  libevtxStderr: string;
  libevtxExit: number;
}

/** Why two printed values that normalize equal differed. */
function kindOf(a: string, b: string): string {
  if (a.replace(/\s+$/, '') === b.replace(/\s+$/, '')) return 'trailing whitespace';
  if (/^0x/i.test(a) && /^0x/i.test(b)) return 'hex padding';
  if (/^\d{4}-\d\d-\d\dT/.test(a)) return 'time precision (7 vs 9 fractional digits)';
  return 'other';
}

function diffFlat(a: WindowsFlat, b: WindowsFlat, normalized: Record<string, number>): FieldDiff[] {
  const out: FieldDiff[] = [];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = a[k] === undefined ? undefined : compareValue(a[k]!);
    const y = b[k] === undefined ? undefined : compareValue(b[k]!);
    if (x === y) {
      if (x !== undefined && String(a[k]) !== String(b[k])) {
        const kind = kindOf(String(a[k]), String(b[k]));
        normalized[kind] = (normalized[kind] ?? 0) + 1;
      }
      continue;
    }
    if ((x === undefined || x === '') && (y === undefined || y === '')) {
      const kind = 'empty value vs element omitted';
      normalized[kind] = (normalized[kind] ?? 0) + 1;
      continue;
    }
    out.push({ field: k, ours: x, libevtx: y });
  }
  return out;
}

/** Compares one file: our records vs evtxexport's, in file order. */
export async function compareFile(file: string, opts: { maxDiffs?: number } = {}): Promise<FileComparison> {
  const [buf, ref] = await Promise.all([readFile(file), runEvtxexport(file)]);
  const problems: GarrisonError[] = [];
  const ours = [...iterateEvtx(buf, { file, onProblem: (e) => problems.push(e) })];
  const theirs = splitEvents(ref.stdout);
  const res: FileComparison = {
    file,
    ours: ours.length,
    libevtx: theirs.length,
    libevtxUnparsable: 0,
    eventIdMismatches: 0,
    xmlRoundTripMismatches: 0,
    recordsWithDiffs: 0,
    diffs: [],
    normalized: {},
    problems,
    libevtxStderr: ref.stderr.trim(),
    libevtxExit: ref.code,
  };
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i]!.flat();
    try {
      const back = windowsTreeToFlat(parseWindowsXml(ours[i]!.xml()));
      if (JSON.stringify(back) !== JSON.stringify(a)) res.xmlRoundTripMismatches++;
    } catch {
      res.xmlRoundTripMismatches++;
    }
    let b: WindowsFlat;
    try {
      b = windowsTreeToFlat(parseWindowsXml(theirs[i]!));
    } catch {
      res.libevtxUnparsable++;
      continue;
    }
    if (a.EventID !== b.EventID) res.eventIdMismatches++;
    const d = diffFlat(a, b, res.normalized);
    if (d.length) {
      res.recordsWithDiffs++;
      for (const x of d) if (res.diffs.length < (opts.maxDiffs ?? 50)) res.diffs.push({ ...x, record: ours[i]!.recordId });
    }
  }
  return res;
}
