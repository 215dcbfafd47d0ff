/** /api/v1/events: ingest (POST) and hunters' search (GET). Transport only; see ingest/api/service.ts. */
import type { RouteModule } from '../context.js';

export const eventsRoutes: RouteModule = {
  name: 'events',
  scope: 'api',
  register(app, ctx) {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.api.maxBodyBytes }, (_req, body, done) => done(null, body));
    app.post(
      '/v1/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Ingest events: a JSON array of objects, one object, or NDJSON (gzip allowed).',
          description:
            'Format from Content-Type (application/json, application/x-ndjson) or sniffed. Each record is judged alone: good ones are stored, bad ones reported with line and index. 200 when all were accepted; otherwise the status of the first error (400, or 413 for an oversized record) with the counts. 503 + Retry-After when the ingest queue is full.',
          security: [{ bearer: [] }],
        },
      },
      async (req, reply) => {
        const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
        const r = await ctx.events.ingest({
          body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
          contentType: one(req.headers['content-type']),
          contentEncoding: one(req.headers['content-encoding']),
        });
        return reply.code(r.status).send(r.body);
      },
    );
    app.get(
      '/v1/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Search stored events with the query language (docs/search.md).',
          security: [{ bearer: [] }],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              q: { type: 'string', maxLength: 10000, description: 'Query, e.g. host:web01 AND process.image:*powershell*' },
              from: { type: 'string', description: 'Inclusive start: ms epoch or ISO 8601.' },
              to: { type: 'string', description: 'Exclusive end: ms epoch or ISO 8601.' },
              limit: { type: 'string', pattern: '^[0-9]{1,6}$' },
              cursor: { type: 'string', maxLength: 1024 },
              order: { type: 'string', enum: ['asc', 'desc'] },
            },
          },
        },
      },
      async (req) => ctx.events.search(req.query as Record<string, string | undefined>),
    );
  },
};
