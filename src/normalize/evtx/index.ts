/**
 * Public API of the EVTX reader. See docs/evtx.md.
 *
 * - `readEvtx(path, opts)`: streaming async iterator over a file's records (bounded memory).
 * - `iterateEvtx(buf, opts)`: synchronous iterator over an in-memory file (tests, fuzzing).
 * - `listEvtxFiles(path)`: a file, or a folder searched recursively for `*.evtx`, with sizes.
 * - `evtxRecordToEvent(rec, info)`: a GarrisonEvent through the Windows normalization.
 *
 * Problems (damaged chunks/records) are GarrisonErrors with location {file, chunk, offset, record}
 * passed to `opts.onProblem`; the damaged part is skipped and reading goes on.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { GarrisonError } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import { windowsToEvent } from '../windows/index.js';
import type { EvtxRecord } from './reader.js';

export { readEvtx, iterateEvtx, chunkRecords, type EvtxRecord, type EvtxReadOptions } from './reader.js';
export type { XElem } from './binxml.js';

export interface EvtxFileList {
  files: { path: string; size: number }[];
  totalBytes: number;
}

/**
 * Resolves a path to the EVTX files it names: the file itself, or every `*.evtx` (any case)
 * under a folder, recursively, sorted by path. Sizes are summed for progress bars over bytes.
 * Throws EVTX_IO when the path cannot be read.
 */
export async function listEvtxFiles(p: string): Promise<EvtxFileList> {
  const files: { path: string; size: number }[] = [];
  const abs = path.resolve(p);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    throw new GarrisonError('EVTX_IO', `cannot read ${p}: ${(e as Error).message}`, { location: { file: p }, cause: e });
  }
  if (st.isFile()) files.push({ path: abs, size: st.size });
  else if (st.isDirectory()) {
    const entries = await readdir(abs, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile() || !e.name.toLowerCase().endsWith('.evtx')) continue;
      const fp = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      files.push({ path: fp, size: (await stat(fp)).size });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return { files, totalBytes: files.reduce((s, f) => s + f.size, 0) };
}

/**
 * One EVTX record → GarrisonEvent (format `evtx`): fields = the canonical flat form, raw = the
 * XML rendering, origin `file:<abs path>:<record id>` (stable ids: re-reading a file is idempotent).
 */
export function evtxRecordToEvent(rec: EvtxRecord, info: { file: string; tenant: string; receivedAt: number; input?: string }): GarrisonEvent {
  const abs = path.resolve(info.file);
  return windowsToEvent(rec.flat(), {
    tenant: info.tenant,
    origin: `file:${abs}:${rec.recordId}`,
    input: info.input ?? `file:${abs}`,
    receivedAt: info.receivedAt,
    raw: rec.xml(),
    format: 'evtx',
    time: rec.time,
  });
}
