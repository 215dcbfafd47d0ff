/** /api/v1/audit: the hash-chained audit log (read, verify). Transport only; see respond/service.ts. */
import { responseApi } from '../../../respond/service.js';
import type { RouteModule } from '../context.js';

export const auditRoutes: RouteModule = {
  name: 'audit',
  scope: 'api',
  register(app, ctx) {
    app.get(
      '/v1/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'Audit entries, oldest first, after a sequence number (page with nextAfterSeq).',
          security: [{ bearer: [] }],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              afterSeq: { type: 'string', pattern: '^[0-9]{1,15}$' },
              limit: { type: 'string', pattern: '^[0-9]{1,5}$' },
              target: { type: 'string', maxLength: 256, description: 'Only entries about this target (an action id, incident id ...).' },
            },
          },
        },
      },
      async (req) => responseApi(ctx).audit(req.query as Record<string, string | undefined>),
    );
    app.get(
      '/v1/audit/verify',
      { schema: { tags: ['audit'], summary: 'Recomputes the hash chain: ok, number of entries, and the first broken sequence number if tampered with.', security: [{ bearer: [] }] } },
      async () => responseApi(ctx).verify(),
    );
  },
};
