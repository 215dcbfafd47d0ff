/**
 * HEC worker thread: splits and validates a request body (parse.ts) and normalizes each record
 * (normalize/registry.ts), so the main thread only moves bytes and writes the store.
 * Replies with the events as one JSON string (cheaper to move than structured clones).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toGarrisonError } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import { parseRecord } from '../../normalize/registry.js';
import type { ParseResult } from '../../normalize/types.js';
import { HecParser, type HecLimits } from './parse.js';
import type { WorkRejected, WorkReply, WorkRequest } from './workers.js';

const parser = new HecParser(workerData as HecLimits);

parentPort!.on('message', (m: WorkRequest) => {
  let reply: WorkReply;
  try {
    const buf = Buffer.from(m.body);
    const res = m.kind === 'event' ? parser.parseEvents(buf, m.token, m.originBase, m.receivedAt) : parser.parseRaw(buf, m.token, m.query, m.originBase, m.receivedAt);
    const events: GarrisonEvent[] = [];
    const origins: string[] = [];
    const rejected: WorkRejected[] = [];
    for (const rec of res.records) {
      let r: ParseResult;
      try {
        r = parseRecord(rec);
      } catch (e) {
        r = { ok: false, error: toGarrisonError(e) };
      }
      if (r.ok) {
        events.push(r.event);
        origins.push(rec.origin);
      } else {
        rejected.push({ origin: rec.origin, code: r.error.code, message: r.error.message, location: r.error.location });
      }
    }
    const first = res.records[0];
    reply = { id: m.id, ok: true, total: res.total, errors: res.errors, events: JSON.stringify(events), origins, rejected, input: first?.input ?? 'hec', tenant: first?.tenant ?? '' };
  } catch (e) {
    reply = { id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
