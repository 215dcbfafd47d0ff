/**
 * Console sign-in (root scope: these routes open the session the /api hook then accepts):
 *   POST /auth/login   {user, password} | {token}  → session cookie + {principal, csrfToken, expiresAt}
 *   GET  /auth/session                              → the same for the current cookie, or 401
 *   POST /auth/logout                               → ends the session (X-CSRF-Token required)
 * Transport only: the logic is ConsoleAuth in auth.ts.
 */
import { GarrisonError } from '../../../core/errors.js';
import { checkCsrf, checkSameOrigin, consoleAuth, parseCookies, SESSION_COOKIE, sessionCookie, type Session } from '../auth.js';
import type { RouteModule } from '../context.js';

const view = (s: Session) => ({ principal: s.principal, csrfToken: s.csrf, expiresAt: s.expiresAt });

export const sessionRoutes: RouteModule = {
  name: 'session',
  scope: 'root',
  register(app, ctx) {
    const auth = consoleAuth(ctx);
    const cookieOf = (h: string | string[] | undefined) => parseCookies(Array.isArray(h) ? h[0] : h).get(SESSION_COOKIE);

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['console'],
          summary: 'Console login with a local user and password, or an API token. Sets an HttpOnly SameSite=Strict session cookie.',
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { user: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 }, token: { type: 'string', maxLength: 1024 } },
          },
        },
      },
      async (req, reply) => {
        checkSameOrigin(req);
        const b = (req.body ?? {}) as { user?: string; password?: string; token?: string };
        if (b.token === undefined && (b.user === undefined || b.password === undefined)) throw new GarrisonError('BAD_REQUEST', 'give {user, password} or {token}', { location: { field: 'body' } });
        const { id, session } = await auth.login(b, req.ip);
        reply.header('set-cookie', sessionCookie(id, { secure: req.protocol === 'https', maxAgeSeconds: auth.sessions.absoluteMs / 1000 }));
        return view(session);
      },
    );

    app.get('/auth/session', { schema: { tags: ['console'], summary: 'The current console session (principal, CSRF token), or 401.' } }, async (req) => {
      const s = await auth.session(cookieOf(req.headers.cookie));
      if (!s) throw new GarrisonError('AUTH_MISSING', 'not logged in');
      return view(s);
    });

    app.post('/auth/logout', { schema: { tags: ['console'], summary: 'Ends the console session (needs X-CSRF-Token).' } }, async (req, reply) => {
      const c = cookieOf(req.headers.cookie);
      const s = await auth.session(c);
      if (s) {
        checkCsrf(req, s);
        await auth.logout(c);
      }
      reply.header('set-cookie', sessionCookie('', { secure: req.protocol === 'https', maxAgeSeconds: 0 }));
      return reply.code(204).send();
    });
  },
};
