/**
 * File-ingest worker thread: normalizes batches of split records (parseRecord from the parser
 * registry) off the main thread, so the main thread only reads, splits and writes the store.
 *
 * Replies column-wise with strings (cheap to structured-clone): for each normalized event its
 * envelope exactly as the SQLite store serialises it (`env`), its fields serialised (null when
 * identical to `raw`, the usual case for JSON inputs), its raw text (null when identical to the
 * record's data, which the main thread still holds), id, time, ingestTime, tenant, class as
 * columns (any other top-level property as JSON in `head`) and entities.host/user.
 * Records arrive column-wise too (data and origin arrays plus the properties they share).
 */
import { parentPort } from 'node:worker_threads';
import { toGarrisonError } from '../../core/errors.js';
import { FIELDS_FROM_RAW_SCALARS, type GarrisonEvent } from '../../core/event.js';
import { parseRecord } from '../../normalize/registry.js';
import type { ParseResult, RawRecord } from '../../normalize/types.js';
import type { NormalizeReply, NormalizeRequest, NormalizeRejected } from './workers.js';

parentPort!.on('message', (m: NormalizeRequest) => {
  let reply: NormalizeReply;
  try {
    const idx: number[] = [];
    const env: string[] = [];
    const fields: (string | null)[] = [];
    const raw: (string | null)[] = [];
    const id: string[] = [];
    const time: number[] = [];
    const ingestTime: number[] = [];
    const tenant: string[] = [];
    const cls: GarrisonEvent['class'][] = [];
    const head: (string | null)[] = [];
    const host: (string | undefined)[] = [];
    const user: (string | undefined)[] = [];
    const rejected: NormalizeRejected[] = [];
    const odd = new Map(m.odd);
    for (let i = 0; i < m.data.length; i++) {
      const rec: RawRecord = odd.get(i) ?? { ...m.common, data: m.data[i] as RawRecord['data'], origin: m.origin[i] };
      let r: ParseResult;
      try {
        r = parseRecord(rec);
      } catch (e) {
        r = { ok: false, error: toGarrisonError(e) };
      }
      if (!r.ok) {
        rejected.push({ i, code: r.error.code, message: r.error.message, location: r.error.location });
        continue;
      }
      const ev = r.event;
      const ent = ev.entities ?? {};
      // As the SQLite store encodes it: '' = rebuilt from raw (FIELDS_FROM_RAW_SCALARS), null = raw is the fields' JSON.
      let f: string | null;
      if (FIELDS_FROM_RAW_SCALARS.has(ev)) f = '';
      else {
        f = JSON.stringify(ev.fields ?? {});
        if (f === ev.raw) f = null;
      }
      idx.push(i);
      id.push(ev.id);
      time.push(ev.time);
      ingestTime.push(ev.ingestTime);
      tenant.push(ev.tenant);
      cls.push(ev.class);
      env.push(JSON.stringify({ source: ev.source, class: ev.class, entities: ent }));
      fields.push(f);
      raw.push(ev.raw === rec.data ? null : ev.raw);
      // Any top-level property beyond the nine of GarrisonEvent travels as JSON.
      let extra: string | null = null;
      if (Object.keys(ev).length !== 9) {
        const { fields: _f, raw: _r, source: _s, entities: _e, id: _i, time: _t, ingestTime: _n, tenant: _te, class: _c, ...rest } = ev;
        if (Object.keys(rest).length > 0) extra = JSON.stringify(rest);
      }
      head.push(extra);
      host.push(ent.host);
      user.push(ent.user);
    }
    reply = { id: m.id, ok: true, idx, eventId: id, time, ingestTime, tenant, cls, env, fields, raw, head, host, user, rejected };
  } catch (e) {
    reply = { id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
