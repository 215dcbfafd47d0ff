/**
 * Hunters' saved searches (record collection `saved_searches`):
 *   GET    /api/v1/saved-searches        → {searches: SavedSearch[]} (newest first; any role)
 *   POST   /api/v1/saved-searches        {name, query, description?, range?} → {search} (analyst+)
 *   DELETE /api/v1/saved-searches/:id    (its author, or admin)
 * The query is stored as text and only ever run through the search language (store.search).
 */
import { randomUUID } from 'node:crypto';
import { GarrisonError } from '../../../core/errors.js';
import { hasRole, requireRole } from '../auth.js';
import type { RouteModule } from '../context.js';
import { publishChange } from '../live.js';

export interface SavedSearch {
  id: string;
  name: string;
  query: string;
  description: string;
  /** Relative range the hunter used ('15m', '24h', '7d', 'all'), informative. */
  range: string;
  by: string;
  createdAt: number;
}

export const savedSearchRoutes: RouteModule = {
  name: 'saved-searches',
  scope: 'api',
  register(app, ctx) {
    app.get('/v1/saved-searches', { schema: { tags: ['hunt'], summary: 'Saved searches, newest first.', security: [{ bearer: [] }] } }, async () => {
      const recs = await ctx.store.listRecords<SavedSearch>('saved_searches', { tenant: ctx.config.tenant, status: '', limit: 1000 });
      return { searches: recs.map((r) => r.doc) };
    });

    app.post(
      '/v1/saved-searches',
      {
        schema: {
          tags: ['hunt'],
          summary: 'Save a search (analyst role).',
          security: [{ bearer: [] }],
          body: {
            type: 'object',
            required: ['name', 'query'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              query: { type: 'string', minLength: 1, maxLength: 10000 },
              description: { type: 'string', maxLength: 4000 },
              range: { type: 'string', pattern: '^(all|[0-9]{1,4}[mhd])$' },
            },
          },
        },
      },
      async (req, reply) => {
        const p = requireRole(req, 'analyst');
        const b = req.body as { name: string; query: string; description?: string; range?: string };
        const now = Date.now();
        const doc: SavedSearch = { id: randomUUID(), name: b.name.trim(), query: b.query, description: b.description ?? '', range: b.range ?? '24h', by: p.id, createdAt: now };
        if (!doc.name) throw new GarrisonError('BAD_REQUEST', 'the name is empty', { location: { field: 'name' } });
        await ctx.store.putRecords('saved_searches', [{ id: doc.id, tenant: ctx.config.tenant, status: '', ref: '', createdAt: now, updatedAt: now, doc }]);
        await ctx.store.appendAudit({ actor: p.id, action: 'saved_search.create', target: doc.id, doc: { name: doc.name, query: doc.query } });
        publishChange('saved_search', { id: doc.id });
        return reply.code(201).send({ search: doc });
      },
    );

    app.delete('/v1/saved-searches/:id', { schema: { tags: ['hunt'], summary: 'Delete a saved search (its author or admin).', security: [{ bearer: [] }] } }, async (req, reply) => {
      const p = requireRole(req, 'analyst');
      const id = (req.params as { id: string }).id;
      const rec = await ctx.store.getRecord<SavedSearch>('saved_searches', id);
      if (!rec || rec.status === 'deleted') throw new GarrisonError('NOT_FOUND', 'no such saved search');
      if (rec.doc.by !== p.id && !hasRole(p, 'admin')) throw new GarrisonError('AUTH_FORBIDDEN', 'only its author or an admin may delete a saved search');
      // The port has no delete: a deleted search is kept as a tombstone the list hides.
      await ctx.store.putRecords('saved_searches', [{ ...rec, status: 'deleted', updatedAt: Date.now() }]);
      await ctx.store.appendAudit({ actor: p.id, action: 'saved_search.delete', target: id, doc: { name: rec.doc.name } });
      publishChange('saved_search', { id });
      return reply.code(204).send();
    });
  },
};
