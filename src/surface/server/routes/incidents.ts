/**
 * /api/v1/incidents: list, one incident with its signals, analyst split and merge.
 * Transport only; the logic is in correlate/service.ts (IncidentsService).
 */
import { IncidentsService } from '../../../correlate/service.js';
import { requireRole } from '../auth.js';
import type { RouteModule } from '../context.js';

export const incidentsRoutes: RouteModule = {
  name: 'incidents',
  scope: 'api',
  register(app, ctx) {
    const svc = new IncidentsService(ctx.store);
    app.get(
      '/v1/incidents',
      {
        schema: {
          tags: ['incidents'],
          summary: 'List incidents: needing a person first, then by score.',
          security: [{ bearer: [] }],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', maxLength: 200, description: 'Comma-separated: new, needs_review, contained, closed.' },
              severity: { type: 'string', maxLength: 20, description: 'Minimum severity (informational … critical).' },
              host: { type: 'string', maxLength: 256 },
              user: { type: 'string', maxLength: 320 },
              tactic: { type: 'string', maxLength: 64, description: 'TA0008 or lateral-movement.' },
              since: { type: 'string', maxLength: 40, description: 'Updated at or after: ms epoch or ISO 8601.' },
              limit: { type: 'string', pattern: '^[0-9]{1,5}$' },
              tenant: { type: 'string', maxLength: 128 },
              includeMerged: { type: 'string', enum: ['true', 'false'] },
            },
          },
        },
      },
      async (req) => ({ incidents: await svc.list(IncidentsService.parseFilter(req.query as Record<string, string | undefined>)) }),
    );
    app.get(
      '/v1/incidents/:id',
      {
        schema: {
          tags: ['incidents'],
          summary: 'One incident with its signals, timeline (stages), entities and ATT&CK; a merged id resolves to the incident it was merged into.',
          security: [{ bearer: [] }],
          params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } }, required: ['id'] },
        },
      },
      async (req) => svc.get((req.params as { id: string }).id),
    );
    app.post(
      '/v1/incidents/:id/split',
      {
        schema: {
          tags: ['incidents'],
          summary: 'Move signals of an incident into a new incident (role analyst).',
          security: [{ bearer: [] }],
          params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } }, required: ['id'] },
          body: { type: 'object', additionalProperties: false, required: ['signalIds'], properties: { signalIds: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string', maxLength: 256 } } } },
        },
      },
      async (req) => {
        const p = requireRole(req, 'analyst');
        return { incident: await svc.split((req.params as { id: string }).id, (req.body as { signalIds: string[] }).signalIds, p.id) };
      },
    );
    app.post(
      '/v1/incidents/:id/merge',
      {
        schema: {
          tags: ['incidents'],
          summary: 'Merge other incidents with this one; the oldest survives (role analyst).',
          security: [{ bearer: [] }],
          params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } }, required: ['id'] },
          body: { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', maxLength: 256 } } } },
        },
      },
      async (req) => {
        const p = requireRole(req, 'analyst');
        const id = (req.params as { id: string }).id;
        return { incident: await svc.merge([id, ...(req.body as { ids: string[] }).ids], p.id) };
      },
    );
  },
};
