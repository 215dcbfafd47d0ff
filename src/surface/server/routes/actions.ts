/**
 * /api/v1/actions and /api/v1/response: containment actions (pending approvals, history, approve /
 * reject / rollback / renew with a reason, role responder) and the kill switch (role admin).
 * Transport only; the logic is in respond/service.ts (ResponseApi) and respond/executor.ts.
 */
import { responseApi } from '../../../respond/service.js';
import { requireRole } from '../auth.js';
import type { RouteModule } from '../context.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
const reasonBody = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } } as const;

export const actionsRoutes: RouteModule = {
  name: 'actions',
  scope: 'api',
  register(app, ctx) {
    const api = () => responseApi(ctx);
    app.get(
      '/v1/actions',
      {
        schema: {
          tags: ['response'],
          summary: 'List containment actions, newest first (status=pending_approval for the approval queue).',
          security: [{ bearer: [] }],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', maxLength: 300, description: 'Comma-separated statuses: suggested, pending_approval, executing, active, completed, failed, dry_run, rejected, rolled_back, expired, rollback_failed.' },
              incident: { type: 'string', maxLength: 128, description: 'Only actions of this incident.' },
              tenant: { type: 'string', maxLength: 128 },
              limit: { type: 'string', pattern: '^[0-9]{1,5}$' },
            },
          },
        },
      },
      async (req) => api().list(req.query as Record<string, string | undefined>),
    );
    app.get(
      '/v1/actions/:id',
      { schema: { tags: ['response'], summary: 'One action with its audit trail.', security: [{ bearer: [] }], params: idParams } },
      async (req) => api().get((req.params as { id: string }).id),
    );
    app.get(
      '/v1/actions/:id/preview',
      { schema: { tags: ['response'], summary: 'Dry run of the action against the current state (reads the connector, changes nothing).', security: [{ bearer: [] }], params: idParams } },
      async (req) => {
        requireRole(req, 'analyst');
        return api().preview((req.params as { id: string }).id);
      },
    );
    for (const op of ['approve', 'reject', 'rollback'] as const) {
      app.post(
        `/v1/actions/:id/${op}`,
        {
          schema: {
            tags: ['response'],
            summary: `${op[0]!.toUpperCase()}${op.slice(1)} an action with a reason (role responder).${op === 'approve' ? ' Executes once the required number of different people approved.' : ''}`,
            security: [{ bearer: [] }],
            params: idParams,
            body: reasonBody,
          },
        },
        async (req) => {
          const p = requireRole(req, 'responder');
          return api().decide((req.params as { id: string }).id, op, p.id, (req.body as { reason: string }).reason);
        },
      );
    }
    app.post(
      '/v1/actions/:id/renew',
      {
        schema: {
          tags: ['response'],
          summary: 'Extend an active action: it now expires `ttl` from now (at most the policy ttl.max; role responder).',
          security: [{ bearer: [] }],
          params: idParams,
          body: { type: 'object', additionalProperties: false, required: ['reason', 'ttl'], properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 }, ttl: { anyOf: [{ type: 'string', maxLength: 32 }, { type: 'integer', minimum: 1 }], description: 'e.g. 4h, 1d, or milliseconds' } } },
        },
      },
      async (req) => {
        const p = requireRole(req, 'responder');
        return api().renew((req.params as { id: string }).id, p.id, req.body as { ttl?: unknown; reason?: unknown });
      },
    );
    app.get(
      '/v1/response/connectors',
      { schema: { tags: ['response'], summary: 'Configured connectors with their health check, and whether response runs in dry-run mode.', security: [{ bearer: [] }] } },
      async () => api().connectors(),
    );
    app.get(
      '/v1/response/kill-switch',
      { schema: { tags: ['response'], summary: 'State of the global kill switch.', security: [{ bearer: [] }] } },
      async () => api().killSwitchState(),
    );
    app.post(
      '/v1/response/kill-switch',
      {
        schema: {
          tags: ['response'],
          summary: 'Turn the global kill switch on (nothing executes; rollback and expiry still run) or off (role admin).',
          security: [{ bearer: [] }],
          body: { type: 'object', additionalProperties: false, required: ['on', 'reason'], properties: { on: { type: 'boolean' }, reason: { type: 'string', minLength: 1, maxLength: 2000 } } },
        },
      },
      async (req) => {
        const p = requireRole(req, 'admin');
        const b = req.body as { on: boolean; reason: string };
        return api().killSwitch(b.on, p.id, b.reason);
      },
    );
  },
};
