/**
 * The Splunk-compatible HTTP Event Collector, transport-free: the fastify routes in
 * surface/server/routes/hec.ts hand it the raw body and headers and send back what it returns.
 *
 * Batch semantics (documented in docs/hec.md): every valid event of a request is stored; each
 * invalid one is reported (first one as `invalid-event-number`, all in `errors`). Splunk
 * instead stops at the first invalid event. A request is answered once its events are durably
 * committed, so an ackId returned with a channel is normally already true at the first poll.
 */
import { randomBytes } from 'node:crypto';
import { GarrisonError, toGarrisonError, type ErrorCode } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import type { IngestSink } from '../sink.js';
import { AckRegistry } from './ack.js';
import { assertUtf8, decodeBody } from './body.js';
import { HEC_TEXT, HecParser, hecCodeOf, type HecErrorItem, type HecParsed, type HecTokenInfo } from './parse.js';
import type { HecWorkerPool } from './workers.js';

export { HEC_TEXT, hecCodeOf, parseHecTime, type HecErrorItem, type HecTokenInfo } from './parse.js';

export interface HecOptions {
  sink: IngestSink;
  /** Looks a presented token up; undefined = unknown token. */
  verifyToken: (token: string) => HecTokenInfo | undefined;
  tenant: string;
  maxBodyBytes: number;
  maxEventBytes: number;
  maxFieldBytes: number;
  maxErrorsReported: number;
  retryAfterSeconds: number;
  ack: { enabled: boolean; maxChannels: number; maxAcksPerChannel: number; channelIdleMs: number };
  /** Health probe: false → /services/collector/health answers 503 code 18 (queues full). */
  healthy?: () => boolean;
  /** Records refused before they reached the sink (metrics). */
  onRejected?: (code: ErrorCode, n: number) => void;
  /** Parse and normalize in worker threads (the sink's pipeline must use parseWithPreParsed). */
  pool?: HecWorkerPool;
  now?: () => number;
}

export interface HecReply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** A HEC reply for an error that concerns the whole request. */
export function hecError(e: unknown, retryAfterSeconds = 1): HecReply {
  const g = toGarrisonError(e);
  const code = hecCodeOf(g.code);
  const body: Record<string, unknown> = { text: HEC_TEXT[code] ?? 'Error', code, error: { code: g.code, message: g.message, location: g.location } };
  if (g.location?.index !== undefined) body['invalid-event-number'] = g.location.index;
  const headers: Record<string, string> = {};
  if (g.code === 'BUSY' || g.code === 'SHUTTING_DOWN') headers['Retry-After'] = String(Math.max(Number(g.details?.retryAfterSeconds) || 0, retryAfterSeconds));
  // Splunk answers 401 for a missing/ill-formed authorization and 403 for a bad/disabled token.
  const status = g.code === 'AUTH_INVALID' ? 403 : g.status;
  return { status, body, headers };
}

export interface HecRequest {
  body: Buffer;
  contentEncoding?: string;
  authorization?: string;
  channel?: string;
  query: Record<string, string | undefined>;
}

export interface HecStats {
  requests: number;
  events: number;
  rejected: number;
  busy: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export class HecService {
  readonly acks: AckRegistry;
  private readonly boot = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly st: HecStats = { requests: 0, events: 0, rejected: 0, busy: 0 };
  private readonly now: () => number;

  private readonly parser: HecParser;

  constructor(private readonly opts: HecOptions) {
    this.acks = new AckRegistry(opts.ack);
    this.parser = new HecParser({ tenant: opts.tenant, maxEventBytes: opts.maxEventBytes, maxFieldBytes: opts.maxFieldBytes });
    this.now = opts.now ?? Date.now;
  }

  stats(): HecStats {
    return { ...this.st };
  }

  /** `Authorization: Splunk <token>` → the token's settings, or a GarrisonError for the reply. */
  authenticate(authorization: string | undefined): HecTokenInfo {
    if (authorization === undefined || authorization.trim() === '') {
      throw new GarrisonError('AUTH_MISSING', 'the Authorization header is missing; send "Authorization: Splunk <token>"', { location: { field: 'Authorization' } });
    }
    const m = /^\s*(Splunk|Bearer)\s+(\S{1,512})\s*$/i.exec(authorization.length > 600 ? '' : authorization);
    if (!m) {
      // HEC code 3: the header is there but not in the "Splunk <token>" form.
      throw Object.assign(new GarrisonError('AUTH_MISSING', 'the Authorization header must be "Splunk <token>"', { location: { field: 'Authorization' } }), { hecCode: 3 });
    }
    const tok = this.opts.verifyToken(m[2]);
    if (!tok) throw new GarrisonError('AUTH_INVALID', 'the HEC token is not valid', { location: { field: 'Authorization' } });
    if (tok.disabled) throw new GarrisonError('HEC_TOKEN_DISABLED', `the HEC token "${tok.name}" is disabled`, { location: { field: 'Authorization' } });
    return tok;
  }

  /** Handles an error thrown by authenticate() into the HEC reply (codes 2, 3, 4, 1). */
  authReply(e: unknown): HecReply {
    const r = hecError(e, this.opts.retryAfterSeconds);
    if ((e as { hecCode?: number }).hecCode === 3) {
      r.body.code = 3;
      r.body.text = HEC_TEXT[3];
    }
    return r;
  }

  /** /services/collector/health */
  health(): HecReply {
    const ok = this.opts.healthy ? this.opts.healthy() : true;
    return ok ? { status: 200, body: { text: HEC_TEXT[17], code: 17 } } : { status: 503, body: { text: HEC_TEXT[18], code: 18 } };
  }

  /** /services/collector/ack */
  async ack(req: HecRequest): Promise<HecReply> {
    try {
      this.authenticate(req.authorization);
    } catch (e) {
      return this.authReply(e);
    }
    try {
      if (!this.opts.ack.enabled) throw new GarrisonError('HEC_ACK_DISABLED', 'indexer acknowledgement is disabled on this server (hec.ack.enabled)');
      const channel = req.channel;
      if (!channel) throw new GarrisonError('HEC_CHANNEL_MISSING', 'send the data channel in the X-Splunk-Request-Channel header or ?channel=', { location: { field: 'X-Splunk-Request-Channel' } });
      AckRegistry.check(channel);
      const buf = await decodeBody(req.body, req.contentEncoding, 1024 * 1024);
      assertUtf8(buf, 0, buf.length);
      let v: unknown;
      try {
        v = JSON.parse(buf.toString('utf8'));
      } catch (e) {
        throw new GarrisonError('HEC_BAD_FORMAT', `the ack request is not JSON: ${(e as Error).message}`, { location: { field: 'body' } });
      }
      const acks = isPlainObject(v) ? v.acks : undefined;
      if (!Array.isArray(acks) || acks.length > 100_000 || !acks.every((a) => Number.isSafeInteger(a) && (a as number) >= 0)) {
        throw new GarrisonError('HEC_BAD_FORMAT', 'the ack request must be {"acks":[<non-negative integer ackIds>]}', { location: { field: 'acks' } });
      }
      return { status: 200, body: { acks: this.acks.query(channel, acks as number[]) } };
    } catch (e) {
      return hecError(e, this.opts.retryAfterSeconds);
    }
  }

  /** /services/collector/event (and /services/collector, /event/1.0) or /services/collector/raw. */
  async ingest(kind: 'event' | 'raw', req: HecRequest): Promise<HecReply> {
    this.st.requests++;
    let token: HecTokenInfo;
    try {
      token = this.authenticate(req.authorization);
    } catch (e) {
      return this.authReply(e);
    }
    const channel = req.channel;
    try {
      // Unlike Splunk, a channel is optional even with acks on: replies wait for the commit.
      if (channel !== undefined) AckRegistry.check(channel);
    } catch (e) {
      return hecError(e);
    }
    let buf: Buffer;
    try {
      buf = await decodeBody(req.body, req.contentEncoding, this.opts.maxBodyBytes);
    } catch (e) {
      return hecError(e);
    }
    const receivedAt = this.now();
    const reqNo = this.seq++;
    const originBase = `hec:${this.boot}:${reqNo}:`;
    let parsed: HecParsed;
    try {
      parsed = this.opts.pool
        ? await this.opts.pool.run(kind, buf, token, req.query, originBase, receivedAt)
        : kind === 'event'
          ? this.parser.parseEvents(buf, token, originBase, receivedAt)
          : this.parser.parseRaw(buf, token, req.query, originBase, receivedAt);
    } catch (e) {
      return hecError(e, this.opts.retryAfterSeconds);
    }
    const { records, errors, total } = parsed;
    if (total === 0) {
      return { status: 400, body: { text: HEC_TEXT[5], code: 5 } };
    }
    this.st.events += records.length;
    if (this.opts.onRejected) for (const e of errors) this.opts.onRejected(e.code, 1);
    let ackId: number | undefined;
    let stored = 0;
    let duplicates = 0;
    if (records.length > 0) {
      const useAck = channel !== undefined && this.opts.ack.enabled;
      try {
        if (useAck) ackId = this.acks.begin(channel);
      } catch (e) {
        return hecError(e);
      }
      try {
        const out = await this.opts.sink.submit(records);
        stored = out.stored;
        duplicates = out.duplicates;
        if (ackId !== undefined) this.acks.complete(channel!, ackId);
        // Records the normalizer refused: map their origin back to the event number.
        for (const r of out.rejected) {
          const n = Number(r.origin.slice(originBase.length));
          errors.push({ event: Number.isFinite(n) ? n : undefined, code: r.error.code, hecCode: hecCodeOf(r.error.code), message: r.error.message });
        }
      } catch (e) {
        if (ackId !== undefined) this.acks.fail(channel!, ackId);
        const g = toGarrisonError(e);
        if (g.code === 'BUSY' || g.code === 'SHUTTING_DOWN') this.st.busy++;
        return hecError(g, this.opts.retryAfterSeconds);
      }
    }
    this.st.rejected += errors.length;
    if (errors.length === 0) {
      const body: Record<string, unknown> = { text: HEC_TEXT[0], code: 0 };
      if (ackId !== undefined) body.ackId = ackId;
      return { status: 200, body };
    }
    errors.sort((a, b) => (a.event ?? 0) - (b.event ?? 0));
    const first = errors[0];
    const body: Record<string, unknown> = {
      text: HEC_TEXT[first.hecCode] ?? HEC_TEXT[6],
      code: first.hecCode,
      'invalid-event-number': first.event,
      stored,
      duplicates,
      rejected: errors.length,
      errors: errors.slice(0, this.opts.maxErrorsReported),
    };
    if (ackId !== undefined) body.ackId = ackId;
    const status = first.code === 'PAYLOAD_TOO_LARGE' ? 413 : 400;
    return { status, body };
  }
}
