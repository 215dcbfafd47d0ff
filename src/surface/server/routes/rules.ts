/**
 * /api/v1/rules/stats (per-rule firings, benign share, cost per event), /api/v1/rules/noisy (noisy
 * rules with proposed exceptions) and /api/v1/rules/tests (the rules' own test events).
 * Transport only; the logic is in src/detect/rules-tooling and src/coverage/service.ts.
 */
import type { RouteModule } from '../context.js';
import { coverageService } from './coverage.js';

const common = {
  window: { type: 'string', maxLength: 16, description: 'Window length ending at `until` (default 7d).' },
  until: { type: 'string', maxLength: 40, description: 'End of the window: ISO 8601 or ms epoch (default now).' },
  tenant: { type: 'string', maxLength: 200 },
} as const;

export const rulesRoutes: RouteModule = {
  name: 'rules',
  scope: 'api',
  register(app, ctx) {
    app.get(
      '/v1/rules/stats',
      {
        schema: {
          tags: ['rules'],
          summary: 'Per-rule statistics from live operation: firings, share closed as benign (investigation or analysts), matching cost per event.',
          security: [{ bearer: [] }],
          querystring: { type: 'object', additionalProperties: false, properties: { ...common, sample: { type: 'string', pattern: '^[0-9]{1,5}$', description: 'Events sampled for the cost measurement (default 2000, 0 = none).' } } },
        },
      },
      async (req) => {
        const x = req.query as Record<string, string | undefined>;
        return coverageService(ctx).ruleStats({ ...x, sample: x.sample !== undefined ? Number(x.sample) : undefined });
      },
    );
    app.get(
      '/v1/rules/noisy',
      {
        schema: {
          tags: ['rules'],
          summary: 'Noisy rules (many firings, mostly benign) with a proposed Sigma filter each, replayed on the stored events.',
          security: [{ bearer: [] }],
          querystring: { type: 'object', additionalProperties: false, properties: { ...common, minFirings: { type: 'string', pattern: '^[0-9]{1,6}$' }, minBenignShare: { type: 'string', pattern: '^(0(\\.[0-9]{1,3})?|1(\\.0{1,3})?)$' } } },
        },
      },
      async (req) => {
        const x = req.query as Record<string, string | undefined>;
        const r = await coverageService(ctx).noisy({ ...x, minFirings: x.minFirings ? Number(x.minFirings) : undefined, minBenignShare: x.minBenignShare ? Number(x.minBenignShare) : undefined });
        return { window: r.stats.window, noisy: r.noisy };
      },
    );
    app.get('/v1/rules/tests', { schema: { tags: ['rules'], summary: "Results of every loaded rule's positive and negative test events.", security: [{ bearer: [] }] } }, async () => coverageService(ctx).rules().tests);
  },
};
