/**
 * /api/v1/coverage (report), /api/v1/coverage/navigator (ATT&CK Navigator layer 4.5),
 * /api/v1/coverage/gaps, POST /api/v1/coverage/snapshots and /api/v1/metrics/soc.
 * Transport only; the logic is in src/coverage/service.ts.
 */
import { CoverageService, type CoverageQuery } from '../../../coverage/service.js';
import { perServer, type RouteModule } from '../context.js';

/** The coverage service over the same rules the engine runs: its built-in switch, extra directories and Sigma config. */
export const coverageService = perServer((ctx): CoverageService => {
  const sigma = ctx.config.engine.sigma;
  return new CoverageService(ctx.store, { builtin: sigma.builtin, rulePaths: sigma.rulePaths, sigmaConfig: sigma.rules });
});

const common = {
  window: { type: 'string', maxLength: 16, description: 'Window length ending at `until`: 7d (default), 24h, 30m ...' },
  until: { type: 'string', maxLength: 40, description: 'End of the window: ISO 8601 or ms epoch (default now).' },
  staleAfter: { type: 'string', maxLength: 16, description: 'Telemetry older than this before `until` is stale (default 24h).' },
  exclude: { type: 'string', maxLength: 1000, description: 'Sources to treat as switched off: `product=windows,service=sysmon;format=zeek`.' },
  models: { type: 'string', maxLength: 200, description: 'Baseline models in operation (comma-separated; `none`); default all.' },
  tenant: { type: 'string', maxLength: 200 },
} as const;

export const coverageRoutes: RouteModule = {
  name: 'coverage',
  scope: 'api',
  register(app, ctx) {
    const q = (x: unknown) => x as CoverageQuery & Record<string, string | undefined>;
    app.get(
      '/v1/coverage',
      { schema: { tags: ['coverage'], summary: 'ATT&CK coverage that accounts for data: per technique covered / covered-but-blind / data-without-detection / uncovered, with reasons.', security: [{ bearer: [] }], querystring: { type: 'object', additionalProperties: false, properties: common } } },
      async (req) => coverageService(ctx).coverage(q(req.query)),
    );
    app.get(
      '/v1/coverage/navigator',
      { schema: { tags: ['coverage'], summary: 'The coverage as an ATT&CK Navigator layer (format 4.5), for the console heat map or the Navigator.', security: [{ bearer: [] }], querystring: { type: 'object', additionalProperties: false, properties: common } } },
      async (req, reply) => {
        const layer = await coverageService(ctx).navigator(q(req.query));
        return reply.header('content-disposition', 'inline; filename="garrison-coverage-layer.json"').send(layer);
      },
    );
    app.get(
      '/v1/coverage/gaps',
      {
        schema: {
          tags: ['coverage'],
          summary: 'Ranked coverage gaps with the next step for each.',
          security: [{ bearer: [] }],
          querystring: { type: 'object', additionalProperties: false, properties: { ...common, limit: { type: 'string', pattern: '^[0-9]{1,4}$' }, all: { type: 'string', enum: ['true', 'false'] } } },
        },
      },
      async (req) => {
        const x = q(req.query);
        const { gaps, report } = await coverageService(ctx).gaps({ ...x, limit: x.limit ? Number(x.limit) : 50, all: x.all === 'true' });
        return { window: report.window, summary: report.summary, gaps };
      },
    );
    app.post(
      '/v1/coverage/snapshots',
      { schema: { tags: ['coverage'], summary: 'Computes the coverage now and keeps a snapshot (for gaps closed over time).', security: [{ bearer: [] }], querystring: { type: 'object', additionalProperties: false, properties: common } } },
      async (req) => coverageService(ctx).snapshot(q(req.query)),
    );
    app.get(
      '/v1/metrics/soc',
      {
        schema: {
          tags: ['coverage'],
          summary: 'Operating figures: MTTD/MTTI/MTTC/MTTR, share resolved without a person, analyst hours saved, coverage gaps closed per week.',
          security: [{ bearer: [] }],
          querystring: { type: 'object', additionalProperties: false, properties: { ...common, minutesPerIncident: { type: 'string', pattern: '^[0-9]{1,4}$' }, coverage: { type: 'string', enum: ['true', 'false'] } } },
        },
      },
      async (req) => {
        const x = q(req.query);
        return coverageService(ctx).soc({ ...x, minutesPerIncident: x.minutesPerIncident ? Number(x.minutesPerIncident) : undefined, withCoverage: x.coverage === 'true' });
      },
    );
  },
};
