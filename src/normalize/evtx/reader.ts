/**
 * EVTX container: file header, 64 KiB chunks, event records. Streams chunk by chunk.
 */
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { GarrisonError, type ErrorCode } from '../../core/errors.js';
import { BinXmlError, Chunk, filetime, materialize, parseContent, renderXml, type Instance, type XElem } from './binxml.js';
import { windowsTreeToFlat, type WindowsFlat } from '../windows/flat.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');
const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');
const RECORD_MAGIC = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);
const ZERO_CHUNK = Buffer.alloc(CHUNK_SIZE);

/** One event record. Parsing of its BinXML structure is done; rendering is lazy and cached. */
export interface EvtxRecord {
  /** EventRecordID from the record header. */
  readonly recordId: number;
  /** Record write time, ms since the epoch (UTC). */
  readonly time: number;
  /** Record write time as ISO 8601 UTC text with 100 ns precision (7 fractional digits). */
  readonly timeText: string;
  /** Zero-based chunk index in the file. */
  readonly chunk: number;
  /** Byte offset of the record in the file. */
  readonly offset: number;
  /** The record as the XML Windows shows (Event Viewer's XML view, two-space indent). */
  xml(): string;
  /** The canonical flat form (see docs/windows.md). */
  flat(): WindowsFlat;
  /** The rendered element tree (root `Event` element first). */
  tree(): XElem[];
}

export interface EvtxReadOptions {
  /** Called for each problem (damaged chunk/record); the reader then skips the damaged part and goes on. */
  onProblem?: (e: GarrisonError) => void;
  /** File name used in problem locations (default: the path given, or `<buffer>`). */
  file?: string;
  /**
   * Salvage mode (default false). By default a chunk whose header or record-data checksum does not
   * match, or that the file ends inside of, is reported and skipped whole: its bytes cannot be
   * trusted. With `salvage: true` such a chunk is still scanned and every record that validates on
   * its own (signature, size, trailing size copy, BinXML structure) is read — for logs copied from a
   * live system or recovered from damaged media. The problems are reported either way.
   */
  salvage?: boolean;
}

class Record implements EvtxRecord {
  private _tree?: XElem[];
  private _flat?: WindowsFlat;
  constructor(
    private readonly c: Chunk,
    private readonly inst: Instance,
    readonly recordId: number,
    readonly time: number,
    readonly timeText: string,
    readonly chunk: number,
    readonly offset: number,
    private readonly file: string,
  ) {}
  tree(): XElem[] {
    if (!this._tree) {
      try {
        this._tree = materialize(this.c, this.inst);
      } catch (e) {
        throw new GarrisonError('EVTX_BAD_BINXML', `record ${this.recordId}: ${(e as Error).message}`, {
          location: { file: this.file, chunk: this.chunk, offset: this.offset, record: this.recordId },
        });
      }
    }
    return this._tree;
  }
  xml(): string {
    return renderXml(this.tree());
  }
  flat(): WindowsFlat {
    return (this._flat ??= windowsTreeToFlat(this.tree()));
  }
}

function problem(opts: EvtxReadOptions, code: ErrorCode, msg: string, loc: { chunk?: number; offset?: number; record?: number }): void {
  opts.onProblem?.(new GarrisonError(code, msg, { location: { file: opts.file ?? '<buffer>', ...loc } }));
}

/** Reports a truncated file when fewer chunks are present than the file header declares. */
function checkChunkCount(h: Buffer, present: number, fileLen: number, opts: EvtxReadOptions): void {
  const declared = h.readUInt16LE(42);
  if (present < declared) {
    problem(opts, 'EVTX_TRUNCATED', `the file header declares ${declared} chunks but the file holds ${present}`, { offset: fileLen });
  }
}

/** Whether the file header's flags say the log was not closed cleanly (flag 0x1 "dirty"). */
function headerDirty(h: Buffer): boolean {
  return h.length >= 124 && (h.readUInt32LE(120) & 1) === 1;
}

/** Checks the file header; reports a problem and returns false when it is not EVTX. */
function checkFileHeader(h: Buffer, opts: EvtxReadOptions): boolean {
  if (h.length < 128 || !h.subarray(0, 8).equals(FILE_MAGIC)) {
    problem(opts, 'EVTX_BAD_FILE_HEADER', 'not an EVTX file (no "ElfFile" signature)', { offset: 0 });
    return false;
  }
  if (crc32(h.subarray(0, 120)) !== h.readUInt32LE(124)) {
    problem(opts, 'EVTX_FILE_HEADER_CRC', 'file header checksum mismatch', { offset: 0 });
  }
  return true;
}

/**
 * Yields the records of one chunk (`buf` = the chunk bytes, possibly short if the file is
 * truncated). A chunk that fails its checksums, has a bad header, or is cut inside its records is
 * reported and skipped (or, with `opts.salvage`, scanned for records that validate on their own).
 * Within a chunk, damaged records are reported and skipped; the scan resynchronises on the next
 * record signature.
 */
export function* chunkRecords(buf: Buffer, index: number, fileOffset: number, opts: EvtxReadOptions, fileDirty = false): Generator<EvtxRecord> {
  const file = opts.file ?? '<buffer>';
  if (buf.length < CHUNK_HEADER_SIZE || !buf.subarray(0, 8).equals(CHUNK_MAGIC)) {
    // Unused (zero-filled) chunks at the end of a log are normal.
    if (buf.equals(ZERO_CHUNK.subarray(0, buf.length))) return;
    problem(opts, buf.length < CHUNK_HEADER_SIZE ? 'EVTX_TRUNCATED' : 'EVTX_BAD_CHUNK', `chunk ${index}: ${buf.length < CHUNK_HEADER_SIZE ? 'truncated chunk header' : 'bad chunk signature'}; chunk skipped`, { chunk: index, offset: fileOffset });
    return;
  }
  const truncated = buf.length < CHUNK_SIZE;
  let free = buf.readUInt32LE(48);
  let badFree = false;
  if (free < CHUNK_HEADER_SIZE || free > CHUNK_SIZE) {
    badFree = true;
    free = CHUNK_SIZE;
  }
  // The used part of the chunk is complete when the file ends after it (only free space is missing).
  const usedComplete = free <= buf.length;
  const salvage = opts.salvage === true;
  const skipped = salvage
    ? 'reading the records that validate on their own (salvage)'
    : `chunk skipped${fileDirty ? ' (the file header says the log was not closed cleanly: salvage mode reads the records of such a chunk that validate on their own)' : ''}`;
  let damaged = false;
  if (truncated && !usedComplete) {
    damaged = true;
    problem(opts, 'EVTX_TRUNCATED', `chunk ${index}: file ends ${buf.length} bytes into the chunk, inside its records (${free} bytes used); ${skipped}`, { chunk: index, offset: fileOffset + buf.length });
  } else if (truncated) {
    problem(opts, 'EVTX_TRUNCATED', `chunk ${index}: file ends ${buf.length} bytes into the chunk, after its ${free} used bytes; its records are complete and read`, { chunk: index, offset: fileOffset + buf.length });
  }
  if (badFree) {
    damaged = true;
    problem(opts, 'EVTX_BAD_CHUNK', `chunk ${index}: bad free-space offset ${buf.readUInt32LE(48)}; ${salvage ? 'scanning the whole chunk (salvage)' : 'chunk skipped'}`, { chunk: index, offset: fileOffset + 48 });
  }
  free = Math.min(free, buf.length);
  if (crc32(buf.subarray(128, CHUNK_HEADER_SIZE), crc32(buf.subarray(0, 120))) !== buf.readUInt32LE(124)) {
    damaged = true;
    problem(opts, 'EVTX_CHUNK_CRC', `chunk ${index}: header checksum mismatch; ${skipped}`, { chunk: index, offset: fileOffset });
  } else if (!damaged && crc32(buf.subarray(CHUNK_HEADER_SIZE, free)) !== buf.readUInt32LE(52)) {
    damaged = true;
    problem(opts, 'EVTX_CHUNK_CRC', `chunk ${index}: record data checksum mismatch; ${skipped}`, { chunk: index, offset: fileOffset });
  }
  if (damaged && !salvage) return;
  const c = new Chunk(buf);
  let pos = CHUNK_HEADER_SIZE;
  while (pos + 28 <= free) {
    if (buf.readUInt32LE(pos) !== 0x00002a2a) {
      problem(opts, 'EVTX_BAD_RECORD', `chunk ${index}: no record signature at chunk offset ${pos}`, { chunk: index, offset: fileOffset + pos });
      const next = buf.indexOf(RECORD_MAGIC, pos + 1);
      if (next < 0 || next >= free) return;
      pos = next;
      continue;
    }
    const size = buf.readUInt32LE(pos + 4);
    const recordId = Number(buf.readBigUInt64LE(pos + 8));
    if (size < 28 || pos + size > buf.length || buf.readUInt32LE(pos + size - 4) !== size) {
      problem(opts, 'EVTX_BAD_RECORD', `chunk ${index}: record ${recordId} has a bad size ${size}; skipped`, { chunk: index, offset: fileOffset + pos, record: recordId });
      const next = buf.indexOf(RECORD_MAGIC, pos + 4);
      if (next < 0 || next >= free) return;
      pos = next;
      continue;
    }
    const t = filetime(buf, pos + 16);
    let inst: Instance | undefined;
    try {
      const [nodes] = parseContent(c, pos + 24, pos + size - 4, 0, false);
      inst = { nodes, values: [] };
    } catch (e) {
      if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
      const at = e instanceof BinXmlError ? e.offset : pos;
      problem(opts, 'EVTX_BAD_BINXML', `chunk ${index}: record ${recordId}: ${e.message} (chunk offset ${at}); record skipped`, { chunk: index, offset: fileOffset + pos, record: recordId });
    }
    if (inst) yield new Record(c, inst, recordId, t.ms, t.iso, index, fileOffset + pos, file);
    pos += size;
  }
}

/** Synchronous iterator over an EVTX file held in memory (tests, fuzzing, small files). */
export function* iterateEvtx(buf: Buffer, opts: EvtxReadOptions = {}): Generator<EvtxRecord> {
  if (!checkFileHeader(buf.subarray(0, FILE_HEADER_SIZE), opts)) return;
  if (buf.length < FILE_HEADER_SIZE) {
    problem(opts, 'EVTX_TRUNCATED', 'file ends inside the file header', { offset: buf.length });
    return;
  }
  let i = 0;
  for (let off = FILE_HEADER_SIZE; off < buf.length; off += CHUNK_SIZE, i++) {
    yield* chunkRecords(buf.subarray(off, Math.min(off + CHUNK_SIZE, buf.length)), i, off, opts, headerDirty(buf));
  }
  checkChunkCount(buf, i, buf.length, opts);
}

/**
 * Streams the records of an EVTX file, reading it 1 MiB at a time (memory stays bounded for
 * multi-GB files). Problems go to `opts.onProblem`; an unreadable file throws EVTX_IO.
 */
export async function* readEvtx(path: string, opts: EvtxReadOptions = {}): AsyncGenerator<EvtxRecord> {
  const o = { ...opts, file: opts.file ?? path };
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new GarrisonError('EVTX_IO', `cannot open ${path}: ${(e as Error).message}`, { location: { file: path }, cause: e });
  }
  const io = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw new GarrisonError('EVTX_IO', `${what} ${path}: ${(e as Error).message}`, { location: { file: o.file }, cause: e });
    }
  };
  try {
    const head = Buffer.alloc(FILE_HEADER_SIZE);
    const { bytesRead } = await io('cannot read', fh.read(head, 0, FILE_HEADER_SIZE, 0));
    if (!checkFileHeader(head.subarray(0, bytesRead), o)) return;
    if (bytesRead < FILE_HEADER_SIZE) {
      problem(o, 'EVTX_TRUNCATED', 'file ends inside the file header', { offset: bytesRead });
      return;
    }
    const dirty = headerDirty(head);
    const BATCH = 16;
    const size = (await io('cannot stat', fh.stat())).size;
    let pos = FILE_HEADER_SIZE;
    let index = 0;
    for (;;) {
      // A fresh buffer per batch (records keep references to their chunk's bytes), no larger than the rest of the file.
      const want = Math.max(1, Math.min(CHUNK_SIZE * BATCH, size - pos));
      const b = Buffer.allocUnsafe(want);
      const { bytesRead: n } = await io('cannot read', fh.read(b, 0, b.length, pos));
      if (n === 0) break;
      for (let off = 0; off < n; off += CHUNK_SIZE, index++) {
        yield* chunkRecords(b.subarray(off, Math.min(off + CHUNK_SIZE, n)), index, pos + off, o, dirty);
      }
      pos += n;
      if (n < b.length) break;
    }
    checkChunkCount(head, index, pos, o);
  } finally {
    await fh.close();
  }
}
