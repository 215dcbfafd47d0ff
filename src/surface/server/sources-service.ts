/**
 * Starts the standalone ingest sources listed in config `sources` (syslog listeners ...), built
 * by ingest/sources.ts, as one ingest-phase service: they stop accepting before the pipeline is
 * flushed on shutdown. Each source submits through its own counting sink (metrics by source).
 */
import { createConfiguredSources } from '../../ingest/sources.js';
import type { Source } from '../../ingest/sink.js';
import type { ServerService, ServiceFactory } from './context.js';

export const sourcesService: ServiceFactory = (ctx) => {
  if (ctx.config.sources.length === 0) return undefined;
  const sources: Source[] = createConfiguredSources(ctx.config.sources);
  const started: Source[] = [];
  const service: ServerService & { sources: readonly Source[] } = {
    name: 'sources',
    phase: 'ingest',
    sources,
    async start(c) {
      const log = c.logger.child({ component: 'sources' });
      try {
        for (const s of sources) {
          await s.start(c.sink(s.name));
          started.push(s);
          const addr = (s as { address?: () => { address: string; port: number } }).address?.();
          log.info({ source: s.name, ...(addr ?? {}) }, 'source listening');
        }
      } catch (e) {
        await Promise.allSettled(started.map((s) => s.stop()));
        throw e;
      }
    },
    async stop() {
      await Promise.all(started.map((s) => s.stop()));
    },
  };
  return service;
};
