/**
 * Where EVTX files enter file ingest: the EVTX reader (normalize/evtx, streaming, bounded
 * memory) yields records; each becomes a RawRecord for the pipeline (format `evtx`: data = the
 * canonical flat form, meta.evtxXml = the XML rendering kept as raw). Origins are
 * `file:<abs path>:<EventRecordID>`, as evtxRecordToEvent uses, so re-ingest is idempotent.
 */
import path from 'node:path';
import { toGarrisonError, type GarrisonError } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import { readEvtx } from '../../normalize/evtx/index.js';

export interface EvtxSlotOptions {
  tenant: string;
  receivedAt: number;
  input: string;
  onProblem: (e: GarrisonError) => void;
}

export async function* readEvtxFile(file: string, opts: EvtxSlotOptions): AsyncGenerator<RawRecord> {
  const abs = path.resolve(file);
  for await (const r of readEvtx(abs, { onProblem: opts.onProblem, file: abs })) {
    let flat: Record<string, unknown>;
    let xml: string;
    try {
      flat = r.flat();
      xml = r.xml();
    } catch (e) {
      opts.onProblem(toGarrisonError(e));
      continue;
    }
    yield { data: flat, origin: `file:${abs}:${r.recordId}`, input: opts.input, tenant: opts.tenant, receivedAt: opts.receivedAt, format: 'evtx', meta: { evtxXml: xml, evtxTime: r.time } };
  }
}
