/**
 * Splunk HEC endpoints (transport only; logic in ingest/hec/service.ts). Bodies are read as raw
 * buffers whatever the Content-Type (HEC clients send anything from nothing to text/plain),
 * capped at hec.maxBodyBytes; fastify's own errors are answered in HEC's JSON shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GarrisonError } from '../../../core/errors.js';
import { hecError, type HecReply, type HecRequest } from '../../../ingest/hec/service.js';
import type { RouteModule } from '../context.js';

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function toHecRequest(req: FastifyRequest): HecRequest {
  const q = (req.query ?? {}) as Record<string, string | undefined>;
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  return {
    body,
    contentEncoding: one(req.headers['content-encoding']),
    authorization: one(req.headers.authorization),
    channel: one(req.headers['x-splunk-request-channel']) ?? (typeof q.channel === 'string' ? q.channel : undefined),
    query: q,
  };
}

function send(reply: FastifyReply, r: HecReply): FastifyReply {
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
  return reply.code(r.status).send(r.body);
}

const hecSchema = (summary: string) => ({
  tags: ['hec'],
  summary,
  security: [{ splunk: [] }],
  querystring: {
    type: 'object',
    properties: {
      channel: { type: 'string', description: 'Data channel (GUID); also X-Splunk-Request-Channel.' },
      host: { type: 'string' },
      source: { type: 'string' },
      sourcetype: { type: 'string', description: 'Format hint (raw endpoint).' },
      index: { type: 'string' },
    },
  },
});

export const hecRoutes: RouteModule = {
  name: 'hec',
  scope: 'root',
  register(app, ctx) {
    if (!ctx.config.hec.enabled) return;
    const limit = ctx.config.hec.maxBodyBytes;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, req, reply) => {
      const e = err as { code?: string; statusCode?: number; message: string };
      let g: GarrisonError;
      if (err instanceof GarrisonError) g = err;
      else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') g = new GarrisonError('PAYLOAD_TOO_LARGE', `the request body exceeds the limit of ${limit} bytes (hec.maxBodyBytes)`, { location: { field: 'body' } });
      else if (e.statusCode && e.statusCode < 500) g = new GarrisonError('BAD_REQUEST', e.message, { location: { field: (err as { validationContext?: string }).validationContext ?? 'body' } });
      else {
        req.log.error({ err }, 'HEC request failed');
        g = new GarrisonError('INTERNAL', 'internal error');
      }
      return send(reply, hecError(g, ctx.config.ingest.retryAfterSeconds));
    });
    const ingest = (kind: 'event' | 'raw') => async (req: FastifyRequest, reply: FastifyReply) => send(reply, await ctx.hec.ingest(kind, toHecRequest(req)));
    for (const url of ['/services/collector', '/services/collector/event', '/services/collector/event/1.0']) {
      app.post(url, { schema: hecSchema('HEC: batched JSON event objects (Splunk compatible).') }, ingest('event'));
    }
    for (const url of ['/services/collector/raw', '/services/collector/raw/1.0']) {
      app.post(url, { schema: hecSchema('HEC: raw text, one event per line.') }, ingest('raw'));
    }
    app.post('/services/collector/ack', { schema: { ...hecSchema('HEC indexer acknowledgement: {"acks":[ids]} → {"acks":{"id":bool}}.') } }, async (req, reply) =>
      send(reply, await ctx.hec.ack(toHecRequest(req))),
    );
    for (const url of ['/services/collector/health', '/services/collector/health/1.0']) {
      app.get(url, { schema: { tags: ['hec'], summary: 'HEC health (code 17 healthy, 18 queues full).' } }, async (_req, reply) => send(reply, ctx.hec.health()));
    }
  },
};
