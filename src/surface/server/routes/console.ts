/**
 * The analyst console (console/, a React single-page app built by `npm run build:console` into
 * console/dist) served at `/`:
 *   - files of console/dist by path (hashed /assets/* cached for a year, immutable; the rest
 *     revalidated), through @fastify/static's sendFile (no path traversal, no dotfiles);
 *   - any other GET that accepts HTML and is not an API path → index.html (client-side routes);
 *   - when console/dist is missing: a small page saying how to build it (the server starts anyway).
 * The directory is GARRISON_CONSOLE_DIR when set. Security headers (CSP ...) are app.ts's.
 */
import { existsSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { GarrisonError } from '../../../core/errors.js';
import type { RouteModule } from '../context.js';

/** console/dist: src/surface/server/routes and dist/surface/server/routes are both 4 levels below the repository. */
export function consoleDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GARRISON_CONSOLE_DIR) return resolve(env.GARRISON_CONSOLE_DIR);
  return fileURLToPath(new URL('../../../../console/dist', import.meta.url));
}

/** Paths that belong to the API and never fall back to the console page. */
const API_PREFIXES = ['/api/', '/auth/', '/services/', '/metrics', '/healthz', '/readyz'];

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Garrison: console not built</title></head>
<body><h1>Garrison</h1>
<p>The analyst console is not built. From the Garrison checkout run:</p>
<pre>npm run build:console</pre>
<p>then reload this page. The API is available under <code>/api</code> (documentation at <a href="/api/docs">/api/docs</a>).</p>
</body></html>
`;

export const consoleRoutes: RouteModule = {
  name: 'console',
  scope: 'root',
  async register(app) {
    const root = consoleDir();
    const built = existsSync(join(root, 'index.html'));
    if (built) await app.register(fastifyStatic, { root, serve: false, dotfiles: 'deny', cacheControl: false, etag: true, lastModified: true });

    const handler = async (req: { url: string; method: string; headers: Record<string, string | string[] | undefined> }, reply: any) => {
      let path: string;
      try {
        path = decodeURIComponent(req.url.split('?')[0]);
      } catch {
        throw new GarrisonError('BAD_REQUEST', 'the path is not valid percent-encoding');
      }
      if (API_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) throw new GarrisonError('NOT_FOUND', `no route ${req.method} ${path.slice(0, 200)}`);
      const rel = normalize(path).replace(/^[/\\]+/, '');
      if (built && rel && !rel.split(/[/\\]/).some((s) => s.startsWith('.'))) {
        const file = join(root, rel);
        if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
          const immutable = rel.startsWith('assets' + sep) || rel.startsWith('assets/');
          reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
          return reply.sendFile(rel);
        }
      }
      // Client-side routes: only browser navigations (Accept: text/html) get the page.
      const wantsHtml = String(req.headers.accept ?? '').includes('text/html');
      if (!wantsHtml || /\.[A-Za-z0-9]{1,8}$/.test(rel)) throw new GarrisonError('NOT_FOUND', `no route ${req.method} ${path.slice(0, 200)}`);
      if (!built) return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    };
    const schema = { hide: true } as const;
    app.get('/', { schema }, handler);
    app.get('/*', { schema }, handler);
  },
};
