/** /api/v1/incidents/:id/investigation, …/investigate, …/feedback and /api/v1/evidence/…: transport only (src/investigate/service.ts). */
import { requireRole } from '../auth.js';
import type { RouteModule } from '../context.js';
import { InvestigationService } from '../../../investigate/service.js';
import { liveCorrelator } from '../../../correlate/correlator.js';

const idParam = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' };

export const investigationRoutes: RouteModule = {
  name: 'investigation',
  scope: 'api',
  register(app, ctx) {
    // asset/identity context: the running correlator's (loaded from engine.correlation.contextFiles)
    const svc = () => new InvestigationService({ store: ctx.store, context: liveCorrelator(ctx.store)?.context });
    app.get('/v1/incidents/:id/investigation', { schema: { tags: ['investigation'], summary: "The incident's latest investigation: ledger of steps and evidence, verdict with weighted factors, narrative.", security: [{ bearer: [] }], params: { type: 'object', properties: { id: idParam }, required: ['id'] } } }, async (req) =>
      svc().get((req.params as { id: string }).id),
    );
    app.post('/v1/incidents/:id/investigate', { schema: { tags: ['investigation'], summary: 'Re-run the investigation of an incident (role analyst).', security: [{ bearer: [] }], params: { type: 'object', properties: { id: idParam }, required: ['id'] } } }, async (req) => {
      requireRole(req, 'analyst');
      const r = await svc().run((req.params as { id: string }).id);
      return { investigation: r.investigation, verdict: r.verdict, incident: { id: r.incident.id, status: r.incident.status, closeReason: r.incident.closeReason, revision: r.incident.revision } };
    });
    app.post(
      '/v1/incidents/:id/feedback',
      {
        schema: {
          tags: ['investigation'],
          summary: "An analyst's verdict on an incident (role analyst): stored as Feedback, sets analystVerdict, audited; a benign verdict on a Sigma detection proposes an exception for review.",
          security: [{ bearer: [] }],
          params: { type: 'object', properties: { id: idParam }, required: ['id'] },
          body: { type: 'object', additionalProperties: false, required: ['verdict', 'label'], properties: { verdict: { type: 'string', enum: ['malicious', 'suspicious', 'benign'] }, label: { type: 'string', minLength: 1, maxLength: 64 }, note: { type: 'string', maxLength: 4000 } } },
        },
      },
      async (req) => {
        const p = requireRole(req, 'analyst');
        return svc().feedback((req.params as { id: string }).id, req.body, p.id);
      },
    );
    app.get(
      '/v1/evidence/:incidentId/:evidenceId/events',
      { schema: { tags: ['investigation'], summary: 'The stored events behind one evidence item.', security: [{ bearer: [] }], params: { type: 'object', properties: { incidentId: idParam, evidenceId: idParam }, required: ['incidentId', 'evidenceId'] } } },
      async (req) => {
        const p = req.params as { incidentId: string; evidenceId: string };
        return svc().evidenceEvents(p.incidentId, p.evidenceId);
      },
    );
  },
};
