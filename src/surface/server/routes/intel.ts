/** /api/v1/intel: feeds, look-ups and loading a feed (role analyst). Transport only (src/intel/feeds.ts). */
import { GarrisonError } from '../../../core/errors.js';
import { requireRole } from '../auth.js';
import type { RouteModule } from '../context.js';
import { listFeeds, loadIntelIndex, parseFeed, saveFeed } from '../../../intel/feeds.js';

export const intelRoutes: RouteModule = {
  name: 'intel',
  scope: 'api',
  register(app, ctx) {
    app.get('/v1/intel/feeds', { schema: { tags: ['intel'], summary: 'Loaded indicator feeds with counts and load problems.', security: [{ bearer: [] }] } }, async () => ({
      feeds: (await listFeeds(ctx.store)).map((f) => ({ id: f.id, source: f.doc.source, format: f.doc.format, indicators: f.doc.indicators.length, problems: f.doc.problems.length, origin: f.doc.origin, updatedAt: f.updatedAt })),
    }));
    app.get(
      '/v1/intel/lookup',
      { schema: { tags: ['intel'], summary: 'Look a value (IP, domain, URL, hash) up in every feed.', security: [{ bearer: [] }], querystring: { type: 'object', required: ['value'], properties: { value: { type: 'string', minLength: 1, maxLength: 4096 }, at: { type: 'string', pattern: '^[0-9]{1,15}$' } } } } },
      async (req) => {
        const q = req.query as { value: string; at?: string };
        const idx = await loadIntelIndex(ctx.store);
        return { value: q.value, matches: idx.lookup(q.value, { at: q.at ? Number(q.at) : undefined }) };
      },
    );
    app.post(
      '/v1/intel/feeds',
      {
        schema: {
          tags: ['intel'],
          summary: 'Load a feed (STIX 2.1 bundle, MISP event or CSV) given as text; replaces the feed of the same source.',
          security: [{ bearer: [] }],
          body: { type: 'object', additionalProperties: false, required: ['source', 'content'], properties: { source: { type: 'string', minLength: 1, maxLength: 200 }, format: { type: 'string', enum: ['stix', 'misp', 'csv'] }, content: { type: 'string', maxLength: 50_000_000 } } },
        },
      },
      async (req) => {
        requireRole(req, 'analyst');
        const b = req.body as { source: string; format?: 'stix' | 'misp' | 'csv'; content: string };
        if (!b.content.trim()) throw new GarrisonError('BAD_REQUEST', 'content is empty', { location: { field: 'content' } });
        const load = parseFeed(b.content, b.source, { format: b.format });
        const rec = await saveFeed(ctx.store, load, { origin: 'api' });
        return { id: rec.id, source: load.source, format: load.format, indicators: load.indicators.length, skipped: load.skipped, problems: load.problems.slice(0, 100) };
      },
    );
  },
};
