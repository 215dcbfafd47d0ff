/**
 * The fastify application: error mapping, HTTP metrics, OpenAPI, security headers (CSP ...), and
 * the route modules of routes/index.ts mounted by scope (root, or /api behind the bearer token or
 * a console session cookie: see auth.ts).
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { GarrisonError } from '../../core/errors.js';
import { consoleAuth } from './auth.js';
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

/**
 * The console's Content-Security-Policy: only this origin's scripts (no inline script, no eval),
 * styles and connections; no plugins, no framing, no <base>; DOM string sinks (innerHTML ...)
 * refused by Trusted Types. Sent on every response but the OpenAPI UI's.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types \'none\'',
].join('; ');
/** The OpenAPI UI (swagger-ui) needs inline styles; it never shows event data. */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Security headers on every reply (CSP, nosniff, no framing, no referrer); API replies are never cached. */
export function setSecurityHeaders(url: string, reply: { header(k: string, v: string): unknown; getHeader(k: string): unknown }): void {
  const path = url.split('?')[0];
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('content-security-policy', path.startsWith('/api/docs') ? DOCS_CSP : CONSOLE_CSP);
  if ((path.startsWith('/api/') || path.startsWith('/auth/')) && !path.startsWith('/api/docs') && reply.getHeader('cache-control') === undefined) reply.header('cache-control', 'no-store');
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
    if (g.code === 'LOGIN_THROTTLED') reply.header('Retry-After', String(Number(g.details?.retryAfterSeconds) || 60));
    return reply.code(g.status).send({ error: g.toJSON() });
  });
  app.setNotFoundHandler((req, reply) => {
    const g = new GarrisonError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
    return reply.code(404).send({ error: g.toJSON() });
  });

  // While shutting down, answer in-flight requests with Connection: close so their keep-alive
  // sockets do not hold the listener open until keepAliveTimeout.
  app.addHook('onSend', async (req, reply, payload) => {
    if (ctx.stopping) reply.header('connection', 'close');
    setSecurityHeaders(req.url, reply);
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
      // A bearer token (API clients), else a console session cookie (+ CSRF token for state changes).
      const auth = consoleAuth(ctx);
      api.addHook('onRequest', async (req) => {
        req.principal = await auth.authenticate(req);
      });
      for (const m of routes) if (m.scope === 'api') await mount(api, m);
      if (c.server.docs === 'authenticated') await api.register(swaggerUi, { routePrefix: '/docs' });
    },
    { prefix: '/api' },
  );
  if (c.server.docs === 'public') await app.register(swaggerUi, { routePrefix: '/api/docs' });
  return app;
}
