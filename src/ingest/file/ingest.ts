/**
 * File ingest: the engine behind `garrison ingest PATH...`.
 *
 * Files are streamed (never loaded whole, except CloudTrail documents, which are size-capped),
 * split into records by their container (NDJSON, JSON array, concatenated JSON, Zeek TSV, text
 * lines, CloudTrail), and submitted to the pipeline sink in large batches. Origins are
 * `file:<absolute path>:<line>` (or `:<element index>` for JSON arrays and CloudTrail records),
 * so re-ingesting a file is idempotent. Problems found while splitting (oversized records,
 * broken JSON structure) and the pipeline's rejections are collected with file:line.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat, open } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { GarrisonError, toGarrisonError, type ErrorCode } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import type { IngestOutcome, IngestSink } from '../sink.js';
import { applyZeekHeaderLine, defaultZeekHeader, type ZeekTsvHeader } from '../../normalize/zeek/parser.js';
import { isParserName } from '../../normalize/registry.js';
import { detectFile, type Detection, type FileContainer } from './detect.js';
import { JsonSplitter } from './json-splitter.js';
import { readEvtxFile } from './evtx-slot.js';
import { FileNormalizerPool } from './workers.js';

export const FileIngestConfigSchema = z
  .object({
    /** Records per pipeline submit. */
    batchSize: z.number().int().min(1).max(100_000).default(2_500),
    /** Submits in flight at once (overlaps reading with storing). */
    maxInFlight: z.number().int().min(1).max(8).default(3),
    /** Largest record (line or JSON element), in characters; larger ones are skipped unbuffered. */
    maxRecordChars: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** Largest CloudTrail document parsed whole (decompressed bytes). */
    maxWholeFileBytes: z.number().int().min(1024).max(2 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
    /** Rejections listed individually in the summary (all are counted). */
    listRejections: z.number().int().min(0).max(10_000).default(20),
    /** Read size per I/O call. */
    readChunkBytes: z.number().int().min(4096).max(64 * 1024 * 1024).default(64 * 1024),
    /** Retry delay when the pipeline answers BUSY. */
    busyRetryMs: z.number().int().min(1).max(60_000).default(50),
    /**
     * Worker threads that normalize batches off the main thread (0 = normalize inline in the
     * sink). Pays off only when the sink is a pipeline built with `parse: parseWithPreParsed()`
     * (runFileIngest does that); any other sink normalizes again.
     */
    workers: z.number().int().min(0).max(8).default(0),
  })
  .strict();
export type FileIngestConfig = z.input<typeof FileIngestConfigSchema>;

/** `--format` values: a container name, a parser name, or auto. */
export const FILE_FORMATS = ['auto', 'ndjson', 'json', 'json-array', 'zeek', 'cloudtrail', 'syslog', 'cef', 'auditd', 'proxy', 'signin', 'winlog', 'evtx', 'raw'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export interface Rejection {
  file: string;
  line?: number;
  index?: number;
  code: ErrorCode;
  message: string;
}

export interface FileResult {
  path: string;
  container?: FileContainer;
  parser?: string;
  records: number;
  stored: number;
  duplicates: number;
  rejected: number;
  error?: { code: ErrorCode; message: string };
}

export interface IngestSummary {
  files: number;
  filesFailed: number;
  read: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** The first `listRejections` rejections, in order. */
  rejections: Rejection[];
  perFile: FileResult[];
  /** Files inside folders skipped as certainly not logs (README, images, archives, pcap …). */
  skipped: number;
  skippedFiles: string[];
  bytes: number;
  elapsedMs: number;
}

export interface IngestOptions extends FileIngestConfig {
  sink: IngestSink;
  tenant?: string;
  format?: FileFormat;
  /** Called as bytes are consumed (compressed bytes for .gz): (done, total). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Called once the file list is known. */
  onFiles?: (files: { path: string; size: number }[], totalBytes: number) => void;
  now?: () => number;
}

/**
 * Inside folders, files that are certainly not logs are skipped (listed in the summary);
 * a file named explicitly is always read.
 */
const SKIP_EXT = new Set(['.md', '.pdf', '.png', '.jpg', '.jpeg', '.gif', '.svg', '.zip', '.7z', '.rar', '.exe', '.dll', '.sys', '.pcap', '.pcapng', '.etl', '.yml', '.yaml', '.py', '.ps1', '.sh', '.html', '.css', '.js', '.ts']);
const SKIP_NAMES = new Set(['license', 'license.gpl', 'license.txt', 'copying', 'readme', 'notice']);

/** Expands paths: files as given, folders recursively (sorted; hidden entries and non-log files skipped). */
export async function listFiles(paths: string[]): Promise<{ files: { path: string; size: number }[]; missing: Rejection[]; skipped: string[] }> {
  const files: { path: string; size: number }[] = [];
  const missing: Rejection[] = [];
  const skipped: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    let st;
    try {
      st = await stat(abs);
    } catch (e) {
      missing.push({ file: abs, code: 'FILE_NOT_FOUND', message: `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    if (st.isFile()) files.push({ path: abs, size: st.size });
    else if (st.isDirectory()) {
      const entries = await readdir(abs, { recursive: true, withFileTypes: true });
      const found: { path: string; size: number }[] = [];
      for (const e of entries) {
        if (!e.isFile() || e.name.startsWith('.')) continue;
        if (SKIP_EXT.has(path.extname(e.name).toLowerCase()) || SKIP_NAMES.has(e.name.toLowerCase())) {
          skipped.push(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
          continue;
        }
        const dir = e.parentPath ?? (e as unknown as { path: string }).path;
        if (path.relative(abs, dir).split(path.sep).some((s) => s.startsWith('.'))) continue;
        const fp = path.join(dir, e.name);
        try {
          found.push({ path: fp, size: (await stat(fp)).size });
        } catch {
          missing.push({ file: fp, code: 'FILE_NOT_FOUND', message: `cannot read ${fp}` });
        }
      }
      found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      files.push(...found);
    }
  }
  return { files, missing, skipped };
}

/** Resolves `--format` to a forced detection (undefined: detect per file). */
function forced(format: FileFormat | undefined, detected: Detection | undefined): Detection | undefined {
  if (!format || format === 'auto') return detected;
  switch (format) {
    case 'ndjson':
      return { container: 'ndjson', parser: detected?.container === 'ndjson' ? detected.parser : 'json' };
    case 'json':
    case 'json-array':
      return detected && (detected.container === 'json-array' || detected.container === 'json-concat' || detected.container === 'ndjson') ? { ...detected, parser: 'json' } : { container: 'json-array', parser: 'json' };
    case 'zeek':
      return detected?.container === 'zeek-tsv' ? detected : { container: 'ndjson', parser: 'zeek', zeekPath: detected?.zeekPath };
    case 'cloudtrail':
      return { container: detected?.container === 'ndjson' ? 'ndjson' : 'cloudtrail', parser: 'cloudtrail' };
    case 'signin':
      return { container: detected && detected.container !== 'lines' && detected.container !== 'zeek-tsv' && detected.container !== 'evtx' ? detected.container : 'ndjson', parser: 'signin' };
    case 'syslog':
    case 'cef':
    case 'auditd':
    case 'proxy':
    case 'raw':
      return { container: 'lines', parser: format };
    case 'winlog':
      return { container: detected && detected.container !== 'lines' && detected.container !== 'zeek-tsv' ? detected.container : 'ndjson', parser: 'winlog' };
    case 'evtx':
      return { container: 'evtx', parser: 'evtx' };
  }
}

const GZIP = [0x1f, 0x8b];

/** Sink failures that stop the whole run (the store is unusable); anything else fails one file. */
const FATAL = new Set<string>(['SHUTTING_DOWN', 'STORE_CLOSED', 'STORE_IO', 'STORE_SCHEMA', 'INTERNAL']);

/**
 * Ingests files and folders. Never throws for a bad file: its problem is in the summary
 * (FILE_NOT_FOUND, FILE_FORMAT_UNKNOWN, FILE_READ_FAILED ...). Throws only when the sink fails
 * (store error, shutdown).
 */
export async function ingestPaths(paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const cfg = FileIngestConfigSchema.parse({
    batchSize: options.batchSize,
    maxInFlight: options.maxInFlight,
    maxRecordChars: options.maxRecordChars,
    maxWholeFileBytes: options.maxWholeFileBytes,
    listRejections: options.listRejections,
    readChunkBytes: options.readChunkBytes,
    busyRetryMs: options.busyRetryMs,
    workers: options.workers,
  });
  const now = options.now ?? Date.now;
  const t0 = performance.now();
  const tenant = options.tenant ?? 'default';
  const summary: IngestSummary = { files: 0, filesFailed: 0, read: 0, stored: 0, duplicates: 0, rejected: 0, rejectedByCode: {}, rejections: [], perFile: [], skipped: 0, skippedFiles: [], bytes: 0, elapsedMs: 0 };
  const { files, missing, skipped } = await listFiles(paths);
  summary.skipped = skipped.length;
  summary.skippedFiles = skipped.slice(0, cfg.listRejections);
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  options.onFiles?.(files, totalBytes);
  const reject = (r: Rejection, fr?: FileResult): void => {
    summary.rejected++;
    if (fr) fr.rejected++;
    summary.rejectedByCode[r.code] = (summary.rejectedByCode[r.code] ?? 0) + 1;
    if (summary.rejections.length < cfg.listRejections) summary.rejections.push(r);
  };
  for (const m of missing) {
    summary.filesFailed++;
    reject(m);
    summary.perFile.push({ path: m.file, records: 0, stored: 0, duplicates: 0, rejected: 0, error: { code: m.code, message: m.message } });
  }
  let bytesBefore = 0;
  const pool = cfg.workers > 0 && files.length > 0 ? new FileNormalizerPool(cfg.workers) : undefined;
  try {
    for (const f of files) {
      summary.files++;
      const fr: FileResult = { path: f.path, records: 0, stored: 0, duplicates: 0, rejected: 0 };
      summary.perFile.push(fr);
      const onBytes = (n: number): void => options.onProgress?.(bytesBefore + n, totalBytes);
      try {
        await ingestOne(f.path, f.size, fr, cfg, options, tenant, now, reject, onBytes, pool);
      } catch (e) {
        const g = toGarrisonError(e);
        // Sink failures (store broken, shutting down) stop the whole run.
        if (FATAL.has(g.code)) {
          summary.elapsedMs = performance.now() - t0;
          throw g;
        }
        summary.filesFailed++;
        fr.error = { code: g.code, message: g.message };
        reject({ file: f.path, line: g.location?.line, code: g.code, message: g.message }, fr);
      }
      bytesBefore += f.size;
      options.onProgress?.(bytesBefore, totalBytes);
      summary.read += fr.records;
      summary.stored += fr.stored;
      summary.duplicates += fr.duplicates;
    }
  } finally {
    await pool?.close();
  }
  summary.bytes = totalBytes;
  summary.elapsedMs = performance.now() - t0;
  return summary;
}

/**
 * A binary file: NUL bytes within its first 16 bytes (file-format headers, UTF-16) or more than
 * 1% NULs in the first 8 KiB. A text log with a stray NUL (web logs carrying attack payloads)
 * stays text; its lines are checked one by one.
 */
function looksBinary(b: Buffer): boolean {
  const head = b.subarray(0, 8192);
  if (head.subarray(0, 16).includes(0)) return true;
  let nul = 0;
  for (let i = head.indexOf(0); i >= 0; i = head.indexOf(0, i + 1)) if (++nul * 100 > head.length) return true;
  return false;
}

/**
 * Validates UTF-8 across chunk boundaries: a sequence cut at the end of a chunk is carried over
 * (at most 3 bytes), so only real errors count. Uses the native validator (simdutf).
 */
function utf8Checker(): { check(chunk: Buffer): boolean } {
  let carry: Buffer | undefined;
  return {
    check(chunk: Buffer): boolean {
      const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      // Find a trailing incomplete sequence.
      let cut = buf.length;
      for (let k = 1; k <= 3 && k <= buf.length; k++) {
        const b = buf[buf.length - k];
        if (b < 0x80) break;
        if (b >= 0xc0) {
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
          if (need > k) cut = buf.length - k;
          break;
        }
      }
      if (cut < buf.length) carry = Buffer.from(buf.subarray(cut));
      return isUtf8(buf.subarray(0, cut));
    },
  };
}

/** Parses `file:<abs>:<n>` origins back into a position for the summary. */
function positionOf(origin: string, container: FileContainer | undefined): { line?: number; index?: number } {
  const c = origin.lastIndexOf(':');
  const n = Number(origin.slice(c + 1));
  if (!Number.isInteger(n)) return {};
  return container === 'json-array' || container === 'cloudtrail' || container === 'json-records' || container === 'json-concat' || container === 'evtx' ? { index: n } : { line: n };
}

async function openText(file: string, chunkBytes: number, onBytes: (n: number) => void): Promise<{ stream: Readable; gz: boolean; head: Buffer }> {
  const fh = await open(file, 'r');
  const head = Buffer.alloc(8);
  try {
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  const raw = createReadStream(file, { highWaterMark: chunkBytes });
  let done = 0;
  raw.on('data', (b) => {
    done += (b as Buffer).length;
    onBytes(done);
  });
  const gz = head[0] === GZIP[0] && head[1] === GZIP[1];
  if (!gz) return { stream: raw, gz, head };
  const gunzip = createGunzip({ chunkSize: Math.min(chunkBytes, 1 << 20) });
  raw.on('error', (e) => gunzip.destroy(e));
  return { stream: raw.pipe(gunzip), gz, head };
}

async function ingestOne(
  file: string,
  size: number,
  fr: FileResult,
  cfg: z.output<typeof FileIngestConfigSchema>,
  options: IngestOptions,
  tenant: string,
  now: () => number,
  reject: (r: Rejection, fr?: FileResult) => void,
  onBytes: (n: number) => void,
  pool?: FileNormalizerPool,
): Promise<void> {
  const input = `file:${file}`;
  const originBase = `file:${file}:`;
  const sink = options.sink;
  if (size === 0) return;
  // --- submission with bounded in-flight batches and BUSY retry ---
  const inFlight = new Set<Promise<void>>();
  let sinkError: unknown;
  const handle = (o: IngestOutcome, container: FileContainer | undefined, batch: RawRecord[]): void => {
    fr.stored += o.stored;
    fr.duplicates += o.duplicates;
    if (o.rejected.length === 0) return;
    // JSON elements carry their start line in meta: report it beside the index.
    let lines: Map<string, number> | undefined;
    if (container === 'json-array' || container === 'json-concat') {
      lines = new Map();
      for (const r of batch) if (typeof r.meta?.line === 'number') lines.set(r.origin, r.meta.line);
    }
    for (const r of o.rejected) {
      const pos = positionOf(r.origin, container);
      const line = lines?.get(r.origin);
      reject({ file, ...pos, ...(line !== undefined ? { line } : {}), code: r.error.code, message: r.error.message }, fr);
    }
  };
  const submitWithRetry = async (batch: RawRecord[], container: FileContainer | undefined): Promise<void> => {
    if (pool) await pool.normalize(batch);
    for (;;) {
      try {
        handle(await sink.submit(batch), container, batch);
        return;
      } catch (e) {
        if (e instanceof GarrisonError && e.code === 'BUSY') {
          await new Promise((r) => setTimeout(r, cfg.busyRetryMs));
          continue;
        }
        throw e;
      }
    }
  };
  const submit = async (batch: RawRecord[], container: FileContainer | undefined): Promise<void> => {
    if (sinkError) throw sinkError;
    fr.records += batch.length;
    while (inFlight.size >= cfg.maxInFlight) await Promise.race(inFlight);
    if (sinkError) throw sinkError;
    const p: Promise<void> = submitWithRetry(batch, container)
      .catch((e) => {
        sinkError ??= e;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const drain = async (): Promise<void> => {
    await Promise.all(inFlight);
    if (sinkError) throw sinkError;
  };

  // --- EVTX: handed to the EVTX reader slot ---
  const fhead = Buffer.alloc(8);
  {
    const fh = await open(file, 'r');
    try {
      await fh.read(fhead, 0, 8, 0);
    } finally {
      await fh.close();
    }
  }
  const pre = detectFile(file, '', fhead);
  if ((pre?.container === 'evtx' && (!options.format || options.format === 'auto')) || options.format === 'evtx') {
    fr.container = 'evtx';
    fr.parser = 'evtx';
    let batch: RawRecord[] = [];
    for await (const rec of readEvtxFile(file, { tenant, receivedAt: now(), input, onProblem: (g) => reject({ file, index: g.location?.record, code: g.code, message: g.message }, fr) })) {
      batch.push(rec);
      if (batch.length >= cfg.batchSize) {
        await submit(batch, 'evtx');
        batch = [];
      }
    }
    if (batch.length) await submit(batch, 'evtx');
    await drain();
    return;
  }

  const { stream } = await openText(file, cfg.readChunkBytes, onBytes);
  const decoder = new StringDecoder('utf8');
  // Invalid UTF-8 is decoded as U+FFFD; once the file has shown an invalid byte, records holding
  // U+FFFD are rejected (FILE_BAD_UTF8) instead of being stored altered.
  const utf8 = utf8Checker();
  let badUtf8 = false;
  const badText = (t: string): boolean => badUtf8 && t.includes('\uFFFD');
  const iter = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Head for detection: up to 64 KiB of decoded text.
  let head = '';
  let headBytes: Buffer | undefined;
  const pending: string[] = [];
  let eof = false;
  try {
    while (head.length < 65536) {
      const r = await iter.next();
      if (r.done) {
        eof = true;
        break;
      }
      headBytes ??= r.value;
      if (!utf8.check(r.value)) badUtf8 = true;
      const s = decoder.write(r.value);
      pending.push(s);
      head += s;
    }
  } catch (e) {
    throw new GarrisonError('FILE_READ_FAILED', `${file}: ${(e as Error).message}`, { location: { file }, cause: e });
  }
  if (eof) {
    const tail = decoder.end();
    if (tail) {
      pending.push(tail);
      head += tail;
    }
  }
  if ((!options.format || options.format === 'auto') && headBytes && looksBinary(headBytes)) {
    throw new GarrisonError('FILE_FORMAT_UNKNOWN', `${file}: a binary file (NUL bytes in its header or >1% of its first 8 KiB) that is not EVTX; name the format with --format to force it`, { location: { file } });
  }
  let det = forced(options.format, detectFile(file, head, headBytes));
  if (!det) {
    if (head.trim() === '') return; // empty or blank file: nothing to ingest
    throw new GarrisonError('FILE_FORMAT_UNKNOWN', `${file}: the format could not be detected; name it with --format`, { location: { file } });
  }
  if (det.container === 'evtx') throw new GarrisonError('FILE_FORMAT_UNSUPPORTED', `${file}: --format evtx but the file is not EVTX`, { location: { file } });
  fr.container = det.container;
  fr.parser = det.parser;
  const recFormat = isParserName(det.parser) ? det.parser : 'auto';
  const receivedAt = now();
  // Event time for records without one: the file's modification time (stable across re-ingests).
  const fallbackTime = Math.floor((await stat(file)).mtimeMs);

  async function* chunks(): AsyncGenerator<string> {
    for (const s of pending) yield s;
    pending.length = 0;
    if (eof) return;
    try {
      for (;;) {
        const r = await iter.next();
        if (r.done) break;
        if (!utf8.check(r.value)) badUtf8 = true;
        const s = decoder.write(r.value);
        if (s) yield s;
      }
    } catch (e) {
      throw new GarrisonError('FILE_READ_FAILED', `${file}: read failed after ${fr.records} records: ${(e as Error).message}`, { location: { file }, cause: e });
    }
    const tail = decoder.end();
    if (tail) yield tail;
  }

  try {
    switch (det.container) {
      case 'ndjson':
      case 'lines':
      case 'zeek-tsv':
        await readLines(det, recFormat);
        break;
      case 'json-array':
      case 'json-concat':
        await readJsonElements(det.container === 'json-array' ? 'array' : 'concat', recFormat);
        break;
      case 'cloudtrail':
      case 'json-records':
        await readWhole(det.container, recFormat);
        break;
    }
  } finally {
    stream.destroy();
  }
  await drain();

  async function readLines(d: Detection, format: string): Promise<void> {
    const zeek: ZeekTsvHeader | undefined = d.container === 'zeek-tsv' ? defaultZeekHeader() : undefined;
    let meta: Record<string, unknown> = d.zeekPath ? { zeekPath: d.zeekPath, fallbackTime } : { fallbackTime };
    if (zeek) {
      if (d.zeekPath) zeek.path = d.zeekPath;
      meta = { zeek, fallbackTime };
    }
    let batch: RawRecord[] = [];
    let lineNo = 0;
    let carry = '';
    let skipping = false; // inside an oversized line
    const max = cfg.maxRecordChars;
    const emit = (line: string): void => {
      lineNo++;
      // Trim CR and test for blank lines cheaply.
      let end = line.length;
      if (end > 0 && line.charCodeAt(end - 1) === 13) end--;
      if (end === 0) return;
      let k = 0;
      while (k < end && line.charCodeAt(k) <= 32) k++;
      if (k === end) return;
      const text = end === line.length ? line : line.slice(0, end);
      if (badText(text)) {
        fr.records++;
        reject({ file, line: lineNo, code: 'FILE_BAD_UTF8', message: `${file}:${lineNo}: the line is not valid UTF-8` }, fr);
        return;
      }
      if (zeek && text.charCodeAt(0) === 35 /* # */) {
        // Header directives may change mid-file (rotated logs concatenated): copy-on-write.
        const nz = { ...zeek, fields: zeek.fields, types: zeek.types };
        if (applyZeekHeaderLine(nz, text)) {
          Object.assign(zeek, nz);
          meta = { zeek: { ...nz }, fallbackTime };
        }
        return;
      }
      batch.push({ data: text, origin: originBase + lineNo, input, tenant, receivedAt, format, meta });
    };
    for await (const chunk of chunks()) {
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf('\n', from);
        if (nl < 0) {
          if (!skipping) {
            if (carry.length + (chunk.length - from) > max) {
              skipping = true;
              carry = '';
            } else carry = carry ? carry + chunk.slice(from) : chunk.slice(from);
          }
          break;
        }
        if (skipping) {
          lineNo++;
          reject({ file, line: lineNo, code: 'FILE_RECORD_TOO_LARGE', message: `${file}:${lineNo}: line longer than ${max} characters skipped` }, fr);
          fr.records++;
          skipping = false;
        } else if (carry) {
          if (carry.length + (nl - from) > max) {
            lineNo++;
            reject({ file, line: lineNo, code: 'FILE_RECORD_TOO_LARGE', message: `${file}:${lineNo}: line longer than ${max} characters skipped` }, fr);
            fr.records++;
          } else emit(carry + chunk.slice(from, nl));
          carry = '';
        } else if (nl - from > max) {
          lineNo++;
          reject({ file, line: lineNo, code: 'FILE_RECORD_TOO_LARGE', message: `${file}:${lineNo}: line longer than ${max} characters skipped` }, fr);
          fr.records++;
        } else emit(chunk.slice(from, nl));
        from = nl + 1;
      }
      if (batch.length >= cfg.batchSize) {
        await submit(batch, d.container);
        batch = [];
      }
    }
    if (skipping) {
      lineNo++;
      reject({ file, line: lineNo, code: 'FILE_RECORD_TOO_LARGE', message: `${file}:${lineNo}: line longer than ${max} characters skipped` }, fr);
      fr.records++;
    } else if (carry) emit(carry);
    if (batch.length) await submit(batch, d.container);
  }

  async function readJsonElements(mode: 'array' | 'concat', format: string): Promise<void> {
    const sp = new JsonSplitter(mode, cfg.maxRecordChars);
    let batch: RawRecord[] = [];
    const onEl = (e: { text: string; index: number; line: number }): void => {
      if (badText(e.text)) {
        fr.records++;
        reject({ file, line: e.line, index: e.index, code: 'FILE_BAD_UTF8', message: `${file}:${e.line}: element ${e.index} is not valid UTF-8` }, fr);
        return;
      }
      batch.push({ data: e.text, origin: originBase + e.index, input, tenant, receivedAt, format, meta: { line: e.line, fallbackTime } });
    };
    const onProblem = (p: { kind: string; message: string; line: number; index?: number }): void => {
      if (p.index !== undefined) fr.records++;
      reject({ file, line: p.line, index: p.index, code: p.kind === 'too_large' ? 'FILE_RECORD_TOO_LARGE' : 'FILE_JSON_INVALID', message: `${file}:${p.line}: ${p.message}` }, fr);
    };
    for await (const chunk of chunks()) {
      sp.push(chunk, onEl, onProblem);
      if (batch.length >= cfg.batchSize) {
        await submit(batch, mode === 'array' ? 'json-array' : 'json-concat');
        batch = [];
      }
    }
    sp.end(onEl, onProblem);
    if (batch.length) await submit(batch, mode === 'array' ? 'json-array' : 'json-concat');
  }

  async function readWhole(container: 'cloudtrail' | 'json-records', format: string): Promise<void> {
    const parts: string[] = [];
    let len = 0;
    for await (const chunk of chunks()) {
      len += chunk.length;
      if (len > cfg.maxWholeFileBytes) {
        throw new GarrisonError('FILE_TOO_LARGE', `${file}: a CloudTrail document larger than ${cfg.maxWholeFileBytes} bytes is not parsed whole; split it or raise maxWholeFileBytes`, { location: { file } });
      }
      parts.push(chunk);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(parts.join(''));
    } catch (e) {
      throw new GarrisonError('FILE_JSON_INVALID', `${file}: the CloudTrail document is not valid JSON: ${(e as Error).message.slice(0, 200)}`, { location: { file } });
    }
    const d = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
    const key = container === 'cloudtrail' ? 'Records' : d && Array.isArray(d.records) ? 'records' : 'value';
    const records = d?.[key];
    if (!Array.isArray(records)) throw new GarrisonError('FILE_JSON_INVALID', `${file}: expected {"${key}":[...]}`, { location: { file } });
    let batch: RawRecord[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (r === null || typeof r !== 'object' || Array.isArray(r)) {
        fr.records++;
        reject({ file, index: i, code: container === 'cloudtrail' ? 'PARSE_CLOUDTRAIL_INVALID' : 'INGEST_BAD_JSON', message: `${file}: ${key}[${i}] is not an object` }, fr);
        continue;
      }
      batch.push({ data: r as Record<string, unknown>, origin: originBase + i, input, tenant, receivedAt, format: container === 'cloudtrail' ? 'cloudtrail' : format, meta: { fallbackTime } });
      if (batch.length >= cfg.batchSize) {
        await submit(batch, container);
        batch = [];
      }
    }
    if (batch.length) await submit(batch, container);
  }
}
