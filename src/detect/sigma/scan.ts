/**
 * Offline scan (like Hayabusa or Chainsaw): files of collected logs -> detections.
 * JSON (objects, JSON lines, concatenated pretty-printed objects, arrays) and text lines go
 * through the parser registry (format detection); `.evtx` through the EVTX reader.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GarrisonError } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import type { Signal } from '../../core/signal.js';
import { LEVELS, type Level } from '../../core/signal.js';
import { parseRecord } from '../../normalize/registry.js';
import { SigmaStage } from '../engine.js';
import { loadEvtx } from './evtx-bridge.js';
import type { SigmaConfigInput } from './config.js';
import { splitConcatenatedJson } from './winjson.js';

export interface ScanDetection {
  rule_id: string;
  title: string;
  level: Level;
  kind: 'sigma' | 'sigma_correlation';
  tags: string[];
  timestamp: string;
  host?: string;
  source: { file?: string; record?: number | string; events?: string[] };
  fields: Record<string, unknown>;
}

export interface ScanSummary {
  files: number;
  events: number;
  detections: number;
  problems: number;
  byLevel: Record<string, number>;
  byRule: { rule_id: string; title: string; level: string; count: number }[];
  seconds: number;
}

export interface ScanOptions {
  rulePaths: string[];
  builtin: boolean;
  minLevel?: Level;
  tenant?: string;
  /** EVTX inputs: read the records of damaged chunks that validate on their own instead of skipping the chunk (docs/evtx.md). */
  evtxSalvage?: boolean;
  /** Engine configuration (placeholders, exceptions, disabled rules ...); `minLevel` above wins. */
  config?: SigmaConfigInput;
  onDetection: (d: ScanDetection) => void;
  onProblem?: (e: GarrisonError) => void;
  /** Progress over the input bytes (for a progress bar), at most every 100 ms and at the end of each file. */
  onProgress?: (doneBytes: number, totalBytes: number, files: number) => void;
}

const SCAN_EXT = /\.(json|jsonl|ndjson|log|txt|evtx)$/i;
const MAX_JSON_FILE = 512 * 1024 * 1024;

function listInputs(p: string, out: string[]): void {
  let st;
  try {
    st = statSync(p);
  } catch (e) {
    throw new GarrisonError('SIGMA_IO', `cannot read ${p}: ${(e as Error).message}`, { location: { file: p } });
  }
  if (st.isFile()) out.push(p);
  else if (st.isDirectory()) for (const n of readdirSync(p).sort()) {
    const c = join(p, n);
    const s = statSync(c, { throwIfNoEntry: false });
    if (s?.isDirectory()) listInputs(c, out);
    else if (s?.isFile() && SCAN_EXT.test(n)) out.push(c);
  }
}

export async function runScan(paths: string[], opts: ScanOptions): Promise<{ summary: ScanSummary; ruleProblems: GarrisonError[] }> {
  const t0 = Date.now();
  const stage = new SigmaStage({ rulePaths: opts.rulePaths, builtin: opts.builtin, tenant: opts.tenant, config: { ...(opts.config ?? {}), ...(opts.minLevel ? { minLevel: opts.minLevel } : {}) } });
  const files: string[] = [];
  for (const p of paths) listInputs(p, files);
  const summary: ScanSummary = { files: files.length, events: 0, detections: 0, problems: 0, byLevel: {}, byRule: [], seconds: 0 };
  const byRule = new Map<string, { rule_id: string; title: string; level: string; count: number }>();
  const minIdx = opts.minLevel ? LEVELS.indexOf(opts.minLevel) : 0;
  const where = new Map<string, { file: string; record: number | string }>();
  const problem = (e: GarrisonError) => {
    summary.problems++;
    opts.onProblem?.(e);
  };
  const emit = (signals: Signal[], ev?: GarrisonEvent) => {
    for (const s of signals) {
      if (LEVELS.indexOf(s.level) < minIdx) continue;
      const src = s.kind === 'sigma' && ev ? where.get(ev.id) : undefined;
      const d: ScanDetection = {
        rule_id: s.detector,
        title: s.title,
        level: s.level,
        kind: s.kind === 'sigma_correlation' ? 'sigma_correlation' : 'sigma',
        tags: (s.details.tags as string[] | undefined) ?? [],
        timestamp: new Date(s.time).toISOString(),
        host: s.entities.host ?? (ev && typeof ev.fields.Computer === 'string' ? ev.fields.Computer : undefined),
        source: s.kind === 'sigma' ? { ...src } : { events: s.eventIds },
        fields: (s.details.fields as Record<string, unknown> | undefined) ?? (s.details.groupBy as Record<string, unknown> | undefined) ?? {},
      };
      summary.detections++;
      summary.byLevel[d.level] = (summary.byLevel[d.level] ?? 0) + 1;
      const r = byRule.get(d.rule_id) ?? { rule_id: d.rule_id, title: d.title, level: d.level, count: 0 };
      r.count++;
      byRule.set(d.rule_id, r);
      opts.onDetection(d);
    }
  };
  const handle = (ev: GarrisonEvent, file: string, record: number | string) => {
    summary.events++;
    where.set(ev.id, { file, record });
    emit(stage.process([ev]), ev);
    where.delete(ev.id);
  };
  const now = Date.now();
  const sizes = files.map((f) => statSync(f, { throwIfNoEntry: false })?.size ?? 0);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  let lastProgress = 0;
  const progress = (inFile: number, force = false) => {
    if (!opts.onProgress) return;
    const t = Date.now();
    if (!force && t - lastProgress < 100) return;
    lastProgress = t;
    opts.onProgress(Math.min(totalBytes, before + inFile), totalBytes, files.length);
  };
  for (let fi = 0; fi < files.length; before += sizes[fi]!, fi++, progress(0, true)) {
    const file = files[fi]!;
    if (/\.evtx$/i.test(file)) {
      const m = await loadEvtx();
      if (typeof m === 'string') {
        problem(new GarrisonError('SIGMA_IO', `${file}: ${m}`, { location: { file } }));
        continue;
      }
      try {
        for await (const rec of m.readEvtx(file, { salvage: opts.evtxSalvage === true, onProblem: (e) => problem(e instanceof GarrisonError ? e : new GarrisonError('SIGMA_SAMPLE_INVALID', e.message, { location: { file } })) })) {
          handle(m.evtxRecordToEvent(rec, { file, tenant: opts.tenant ?? 'default', receivedAt: now }), file, rec.recordId);
          if ((summary.events & 255) === 0) progress(rec.offset);
        }
      } catch (e) {
        problem(e instanceof GarrisonError ? e : new GarrisonError('SIGMA_IO', `${file}: ${(e as Error).message}`, { location: { file } }));
      }
      continue;
    }
    const parseOne = (data: string, line: number, record: number) => {
      const r = parseRecord({ data, origin: `file:${file}:${line}`, input: `file:${file}`, tenant: opts.tenant ?? 'default', receivedAt: now });
      if (r.ok) handle(r.event, file, record);
      else problem(r.error);
    };
    let size: number;
    let text = '';
    try {
      size = statSync(file).size;
      if (/\.json$/i.test(file) && size <= MAX_JSON_FILE) text = readFileSync(file, 'utf8');
    } catch (e) {
      problem(new GarrisonError('SIGMA_IO', `cannot read ${file}: ${(e as Error).message}`, { location: { file } }));
      continue;
    }
    if (text) {
      const firstChar = text.trimStart().charAt(0);
      if (firstChar === '{' || firstChar === '[') {
        let record = 0;
        for (const item of splitConcatenatedJson(text, file)) {
          if ('error' in item) {
            problem(item.error);
            continue;
          }
          if (item.text.startsWith('[')) {
            let arr: unknown;
            try {
              arr = JSON.parse(item.text);
            } catch (e) {
              problem(new GarrisonError('SIGMA_SAMPLE_INVALID', `${file}:${item.line}: ${(e as Error).message}`, { location: { file, line: item.line } }));
              continue;
            }
            for (const x of arr as unknown[]) {
              record++;
              parseOne(JSON.stringify(x), item.line, record);
            }
            continue;
          }
          record++;
          parseOne(item.text, item.line, record);
        }
        continue;
      }
    }
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let line = 0;
    let read = 0;
    for await (const l of rl) {
      line++;
      read += l.length + 1;
      if ((line & 1023) === 0) progress(read);
      if (l.trim() === '') continue;
      parseOne(l, line, line);
    }
  }
  emit(stage.flush(Infinity));
  summary.byRule = [...byRule.values()].sort((a, b) => b.count - a.count);
  summary.seconds = (Date.now() - t0) / 1000;
  return { summary, ruleProblems: stage.problems };
}
