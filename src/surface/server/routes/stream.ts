/**
 * GET /api/v1/stream: server-sent events telling consoles what changed (live.ts). Transport only:
 * the hub is live.ts; a small store poller (running only while clients are connected) announces
 * incident and action records changed by anyone, including other processes.
 *
 * Frames: `event: hello` once (data: {principal, pollMs}), then `event: change` (data: LiveChange
 * without seq), and a `: ping` comment every 15 s so proxies keep the connection open.
 */
import type { ServerResponse } from 'node:http';
import { GarrisonError } from '../../../core/errors.js';
import type { RouteModule } from '../context.js';
import { liveHub, LiveHub, type LiveChange, type LiveKind } from '../live.js';

export const STREAM_POLL_MS = 2000;
const MAX_CLIENTS = 200;
const PING_MS = 15_000;

export const streamRoutes: RouteModule = {
  name: 'stream',
  scope: 'api',
  register(app, ctx) {
    const clients = new Set<ServerResponse>();
    const polled = new LiveHub(0);
    let timer: NodeJS.Timeout | undefined;
    let since = Date.now();
    const seen = new Map<string, number>();
    let polling = false;

    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        let newest = since;
        for (const [coll, kind] of [
          ['incidents', 'incident'],
          ['actions', 'action'],
        ] as const) {
          const recs = await ctx.store.listRecords<Record<string, unknown>>(coll, { updatedSince: since, limit: 500 });
          for (const r of recs) {
            const key = `${coll}\u0000${r.id}`;
            newest = Math.max(newest, r.updatedAt);
            if (seen.get(key) === r.updatedAt) continue;
            seen.set(key, r.updatedAt);
            const rev = (r.doc as { revision?: unknown }).revision;
            polled.publish(kind as LiveKind, { id: r.id, status: r.status, ref: r.ref, updatedAt: r.updatedAt, ...(typeof rev === 'number' ? { revision: rev } : {}), source: 'store' });
          }
        }
        since = newest;
        for (const [k, t] of seen) if (t < since - 60_000) seen.delete(k);
      } catch (e) {
        ctx.logger.debug({ err: e }, 'live stream: store poll failed');
      } finally {
        polling = false;
      }
    };

    const endAll = () => {
      for (const res of clients) res.end();
      clients.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    };
    app.addHook('preClose', async () => endAll());
    app.addHook('onClose', async () => endAll());

    app.get(
      '/v1/stream',
      { schema: { tags: ['console'], summary: 'Server-sent events: incident, action, investigation ... changes (docs/console.md).', security: [{ bearer: [] }] } },
      async (req, reply) => {
        if (clients.size >= MAX_CLIENTS) throw new GarrisonError('BUSY', `too many live streams open (${MAX_CLIENTS})`, { details: { retryAfterSeconds: 5 } });
        if (ctx.stopping) throw new GarrisonError('SHUTTING_DOWN', 'the server is shutting down');
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
          'x-content-type-options': 'nosniff',
          connection: 'keep-alive',
        });
        const send = (event: string, data: unknown) => {
          if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        res.write('retry: 3000\n\n');
        send('hello', { principal: req.principal, pollMs: STREAM_POLL_MS });
        const forward = (c: LiveChange) => send('change', { kind: c.kind, at: c.at, payload: c.payload });
        const offs = [liveHub.subscribe(forward), polled.subscribe(forward)];
        const ping = setInterval(() => {
          if (!res.writableEnded) res.write(': ping\n\n');
        }, PING_MS);
        clients.add(res);
        if (!timer) {
          since = Date.now();
          timer = setInterval(() => void poll(), STREAM_POLL_MS);
          timer.unref();
        }
        const done = () => {
          clearInterval(ping);
          for (const off of offs) off();
          clients.delete(res);
          if (clients.size === 0 && timer) {
            clearInterval(timer);
            timer = undefined;
          }
        };
        res.on('close', done);
        req.raw.on('close', done);
      },
    );
  },
};
