/** Prometheus exposition at /metrics (no auth, like most exporters; bind to a private interface). */
import type { RouteModule } from '../context.js';

export const metricsRoutes: RouteModule = {
  name: 'metrics',
  scope: 'root',
  register(app, ctx) {
    if (!ctx.config.metrics.enabled) return;
    app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics.' } }, async (_req, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    });
  },
};
