/**
 * Late binding to the EVTX reader (src/normalize/evtx, another area): loaded at run time so the
 * Sigma engine works (JSON inputs) even where the reader is absent or fails to load.
 */
import type { GarrisonEvent } from '../../core/event.js';

interface EvtxRecordLike {
  recordId: number;
  /** Byte offset of the record in the file (progress over bytes). */
  offset: number;
  flat(): Record<string, unknown>;
}
interface EvtxModule {
  readEvtx(path: string, opts?: { onProblem?: (e: Error) => void; salvage?: boolean }): AsyncIterable<EvtxRecordLike>;
  evtxRecordToEvent(rec: EvtxRecordLike, info: { file: string; tenant: string; receivedAt: number }): GarrisonEvent;
}

let cached: Promise<EvtxModule | string> | undefined;

/** The EVTX module, or the reason it is unavailable. */
export function loadEvtx(): Promise<EvtxModule | string> {
  if (!cached) {
    const spec = '../../normalize/evtx/index.js';
    cached = (import(spec) as Promise<EvtxModule>).then(
      (m) => (typeof m.readEvtx === 'function' && typeof m.evtxRecordToEvent === 'function' ? m : 'the EVTX reader does not export readEvtx/evtxRecordToEvent'),
      (e: Error) => `the EVTX reader is not available: ${e.message.split('\n')[0]}`,
    );
  }
  return cached;
}

/** Flat Windows events of an EVTX file (for `sigma regress`). */
export async function* evtxFlat(path: string): AsyncGenerator<Record<string, unknown>> {
  const m = await loadEvtx();
  if (typeof m === 'string') throw new Error(m);
  for await (const rec of m.readEvtx(path)) yield rec.flat();
}
