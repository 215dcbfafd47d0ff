/** Liveness (/healthz) and readiness (/readyz). No auth: load balancers and orchestrators call them. */
import type { RouteModule } from '../context.js';

export const healthRoutes: RouteModule = {
  name: 'health',
  scope: 'root',
  register(app, ctx) {
    const started = Date.now();
    app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: the process answers.' } }, async () => ({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) }));
    app.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness: store open, pipeline accepting, queue not full, services ready.' } }, async (_req, reply) => {
      const st = ctx.pipeline.stats();
      const c = ctx.config.ingest;
      const problems: string[] = [];
      if (ctx.stopping || ctx.pipeline.closed) problems.push('shutting down');
      if (st.queuedEvents >= c.maxQueuedEvents * 0.9 || st.queuedBytes >= c.maxQueuedBytes * 0.9) problems.push('ingest queue nearly full');
      for (const s of ctx.serviceStates()) if (!s.ready) problems.push(`service ${s.name} not ready`);
      const body = { status: problems.length ? 'unready' : 'ready', problems, queue: { events: st.queuedEvents, bytes: st.queuedBytes } };
      return reply.code(problems.length ? 503 : 200).send(body);
    });
  },
};
