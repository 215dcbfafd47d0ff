/**
 * Streams a simulation into a running server through the Splunk HTTP Event Collector protocol:
 * batched JSON objects `{time, host, source, sourcetype, event}`, `Authorization: Splunk <token>`,
 * paced by a time compression factor (`speed` simulated seconds per real second) or as fast as the
 * server accepts (`max`), honouring 503 + Retry-After.
 */
import { GarrisonError } from '../core/errors.js';
import { SOURCES, type SimRecord } from './record.js';

export interface StreamOptions {
  url: string;
  token: string;
  /** Simulated seconds per real second, or 'max'. */
  speed: number | 'max';
  batchSize?: number;
  /** Gives up after this many consecutive 503 answers (default 120). */
  maxRetries?: number;
  onProgress?: (sent: number, simTime: number) => void;
  /** Injected for tests; defaults to global fetch / setTimeout / performance.now. */
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface StreamResult {
  sent: number;
  batches: number;
  retries: number;
  rejected: number;
}

export function hecEnvelope(r: SimRecord): string {
  const s = SOURCES[r.source];
  return JSON.stringify({ time: r.time / 1000, host: r.host, source: s.source, sourcetype: s.sourcetype, event: r.event });
}

export function hecUrl(base: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new GarrisonError('SIM_OPTION_INVALID', `--to is not a URL: ${base.slice(0, 200)}`, { location: { field: 'to' } });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new GarrisonError('SIM_OPTION_INVALID', `--to must be an http(s) URL, got ${u.protocol}`, { location: { field: 'to' } });
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/services/collector/event';
  return u.toString();
}

export async function streamToHec(records: Iterable<SimRecord>, opts: StreamOptions): Promise<StreamResult> {
  const url = hecUrl(opts.url);
  const doFetch = opts.fetchImpl ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((res) => setTimeout(res, ms)));
  const now = opts.now ?? (() => performance.now());
  const batchSize = opts.batchSize ?? 200;
  const maxRetries = opts.maxRetries ?? 120;
  const res: StreamResult = { sent: 0, batches: 0, retries: 0, rejected: 0 };
  let simStart: number | undefined;
  const realStart = now();
  let batch: string[] = [];
  let batchTime = 0;
  let lastTime = 0;

  const send = async (): Promise<void> => {
    if (!batch.length) return;
    const body = batch.join('\n');
    let attempts = 0;
    for (;;) {
      let resp: Response;
      try {
        resp = await doFetch(url, { method: 'POST', headers: { Authorization: `Splunk ${opts.token}`, 'Content-Type': 'application/json' }, body });
      } catch (e) {
        throw new GarrisonError('SIM_STREAM_FAILED', `cannot reach ${url}: ${(e as Error).message}`, { location: { field: 'to' }, cause: e });
      }
      if (resp.status === 503 || resp.status === 429) {
        await resp.arrayBuffer().catch(() => undefined);
        if (++attempts > maxRetries) throw new GarrisonError('SIM_STREAM_FAILED', `the server stayed busy (HTTP ${resp.status}) for ${maxRetries} retries`, { location: { field: 'to' } });
        res.retries++;
        const ra = Number(resp.headers.get('retry-after'));
        await sleep(Number.isFinite(ra) && ra > 0 ? Math.min(ra, 60) * 1000 : 1000);
        continue;
      }
      const text = await resp.text().catch(() => '');
      if (resp.status === 401 || resp.status === 403) throw new GarrisonError('SIM_STREAM_FAILED', `the HEC token was refused (HTTP ${resp.status}): ${text.slice(0, 200)}`, { location: { field: 'token' } });
      if (resp.status === 400) {
        // HEC answers 400 for a batch with a bad event; count the batch as rejected and go on.
        res.rejected += batch.length;
      } else if (resp.status < 200 || resp.status >= 300) {
        throw new GarrisonError('SIM_STREAM_FAILED', `HEC answered HTTP ${resp.status}: ${text.slice(0, 200)}`, { location: { field: 'to' } });
      } else {
        res.sent += batch.length;
      }
      res.batches++;
      batch = [];
      opts.onProgress?.(res.sent, lastTime);
      return;
    }
  };

  for (const r of records) {
    if (simStart === undefined) simStart = r.time;
    if (opts.speed !== 'max') {
      // Send what we have once the next record belongs to a later real-time slot.
      const due = realStart + (r.time - simStart) / opts.speed;
      if (batch.length && r.time - batchTime > 0 && due > now()) await send();
      const wait = due - now();
      if (wait > 0) await sleep(wait);
    }
    if (!batch.length) batchTime = r.time;
    batch.push(hecEnvelope(r));
    lastTime = r.time;
    if (batch.length >= batchSize) await send();
  }
  await send();
  return res;
}
