/**
 * GET /api/v1/metrics/surface (attack surface with deltas vs the previous daily snapshot),
 * GET /api/v1/metrics/report (surface and operating figures together) and
 * POST /api/v1/metrics/surface/snapshots (keep today's snapshot; role analyst).
 * Transport only; the logic is in src/coverage/surface.ts.
 */
import { requireRole } from '../auth.js';
import { perServer, type RouteModule } from '../context.js';
import { ContextIndex } from '../../../correlate/context.js';
import { liveCorrelator } from '../../../correlate/correlator.js';
import { SurfaceService, type SurfaceQuery } from '../../../coverage/surface.js';

// The asset/identity context of the running correlator (engine.correlation.contextFiles).
const service = perServer((ctx) => new SurfaceService(ctx.store, { context: () => liveCorrelator(ctx.store)?.context ?? ContextIndex.empty() }));

const props = {
  from: { type: 'string', maxLength: 40, description: 'Start: ISO 8601, ms epoch or -7d (default `to` minus `window`).' },
  to: { type: 'string', maxLength: 40, description: 'End: ISO 8601 or ms epoch (default now).' },
  window: { type: 'string', maxLength: 16, description: 'Window length when `from` is not given: 7d (default), 24h ...' },
  staleAfter: { type: 'string', maxLength: 16, description: 'A host silent in a source family for longer than this is a stale agent (default 24h).' },
  tenant: { type: 'string', maxLength: 200 },
} as const;

type Q = Omit<SurfaceQuery, 'minutesPerIncident' | 'minutesPerAlert'> & { minutesPerIncident?: string; minutesPerAlert?: string };

export const surfaceRoutes: RouteModule = {
  name: 'surface',
  scope: 'api',
  register(app, ctx) {
    app.get(
      '/v1/metrics/surface',
      { schema: { tags: ['coverage'], summary: 'Attack surface: exposed services, hosts missing telemetry, stale agents, privileged accounts and where they log on, accounts without MFA; deltas vs the previous daily snapshot.', security: [{ bearer: [] }], querystring: { type: 'object', additionalProperties: false, properties: props } } },
      async (req) => service(ctx).surface(req.query as SurfaceQuery),
    );
    app.get(
      '/v1/metrics/report',
      {
        schema: {
          tags: ['coverage'],
          summary: 'The outcome report: attack surface and operating figures (MTTD/MTTI/MTTC, share resolved without a person, analyst hours saved, coverage gaps per week).',
          security: [{ bearer: [] }],
          querystring: { type: 'object', additionalProperties: false, properties: { ...props, minutesPerIncident: { type: 'string', pattern: '^[0-9]{1,4}$' }, minutesPerAlert: { type: 'string', pattern: '^[0-9]{1,4}$' } } },
        },
      },
      async (req) => {
        const q = req.query as Q;
        return service(ctx).report({ ...q, minutesPerIncident: q.minutesPerIncident ? Number(q.minutesPerIncident) : undefined, minutesPerAlert: q.minutesPerAlert ? Number(q.minutesPerAlert) : undefined });
      },
    );
    app.post(
      '/v1/metrics/surface/snapshots',
      { schema: { tags: ['coverage'], summary: "Computes the attack surface now and keeps it as today's snapshot (role analyst).", security: [{ bearer: [] }], querystring: { type: 'object', additionalProperties: false, properties: props } } },
      async (req) => {
        requireRole(req, 'analyst');
        return service(ctx).snapshot(req.query as SurfaceQuery);
      },
    );
  },
};
