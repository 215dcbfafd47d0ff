/**
 * The fastify application: error mapping, HTTP metrics, OpenAPI, and the route modules of
 * routes/index.ts mounted by scope (root, or /api behind the bearer token).
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { GarrisonError } from '../../core/errors.js';
import { checkBearer } from './auth.js';
import type { RouteModule, ServerContext } from './context.js';
import { ROUTES } from './routes/index.js';

/** Fastify's own errors → GarrisonError (one error shape for every API reply). */
export function toApiError(err: unknown, bodyLimit: number): GarrisonError {
  if (err instanceof GarrisonError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new GarrisonError('PAYLOAD_TOO_LARGE', `the request body exceeds the limit of ${bodyLimit} bytes`, { location: { field: 'body' } });
  if (e.validation) return new GarrisonError('BAD_REQUEST', `invalid request: ${e.message ?? ''}`);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new GarrisonError('BAD_REQUEST', e.message ?? 'unsupported media type', { location: { field: 'Content-Type' } });
  if (e.statusCode === 404) return new GarrisonError('NOT_FOUND', e.message ?? 'not found');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new GarrisonError('BAD_REQUEST', e.message ?? 'bad request');
  return new GarrisonError('INTERNAL', 'internal server error', { cause: err });
}

export async function buildApp(ctx: ServerContext, routes: readonly RouteModule[] = ROUTES): Promise<FastifyInstance> {
  const c = ctx.config;
  const app = fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: c.server.bodyLimitBytes,
    requestTimeout: c.server.requestTimeoutMs,
    connectionTimeout: c.server.requestTimeoutMs,
    keepAliveTimeout: 65_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ajv: { customOptions: { allErrors: false, coerceTypes: false } },
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err, req, reply) => {
    const g = toApiError(err, c.server.bodyLimitBytes);
    if (g.status >= 500 && g.code !== 'BUSY' && g.code !== 'SHUTTING_DOWN') req.log.error({ err, url: req.url }, 'request failed');
    if (g.code === 'BUSY' || g.code === 'SHUTTING_DOWN') reply.header('Retry-After', String(Math.max(Number(g.details?.retryAfterSeconds) || 0, c.ingest.retryAfterSeconds)));
    return reply.code(g.status).send({ error: g.toJSON() });
  });
  app.setNotFoundHandler((req, reply) => {
    const g = new GarrisonError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
    return reply.code(404).send({ error: g.toJSON() });
  });

  // While shutting down, answer in-flight requests with Connection: close so their keep-alive
  // sockets do not hold the listener open until keepAliveTimeout.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (ctx.stopping) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    ctx.metrics.http.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) req.log.warn({ method: req.method, url: route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request answered with an error');
    else req.log.debug({ method: req.method, url: route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  if (c.server.docs !== 'off') {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Garrison API', version: '0.1.0', description: 'Ingest (HEC, /api/v1/events), search, health and metrics. See docs/server.md and docs/hec.md.' },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API token (auth.apiTokens, GARRISON_API_TOKEN or the first-run token).' },
            splunk: { type: 'apiKey', in: 'header', name: 'Authorization', description: '"Splunk <HEC token>"' },
          },
        },
      },
    });
  }
  const mount = (parent: FastifyInstance, m: RouteModule) => parent.register(async (inst) => m.register(inst, ctx));

  for (const m of routes) if (m.scope === 'root') await mount(app, m);
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req) => {
        const t = checkBearer(Array.isArray(req.headers.authorization) ? req.headers.authorization[0] : req.headers.authorization, ctx.tokens.api);
        req.principal = { id: `token:${t.name}`, name: t.name, role: 'admin', via: 'token' };
      });
      for (const m of routes) if (m.scope === 'api') await mount(api, m);
      if (c.server.docs === 'authenticated') await api.register(swaggerUi, { routePrefix: '/docs' });
    },
    { prefix: '/api' },
  );
  if (c.server.docs === 'public') await app.register(swaggerUi, { routePrefix: '/api/docs' });
  return app;
}
