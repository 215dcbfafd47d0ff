/**
 * /api/v1/detectors/status: Sigma rules loaded and rejected (with problems), baseline models with
 * their learning state, intel feeds loaded. Read-only, any role. Transport only; the logic is in
 * src/surface/server/detectors-status.ts.
 */
import type { RouteModule } from '../context.js';
import { detectorStatusService } from '../detectors-status.js';

export const detectorsRoutes: RouteModule = {
  name: 'detectors',
  scope: 'api',
  register(app, ctx) {
    app.get(
      '/v1/detectors/status',
      {
        schema: {
          tags: ['detectors'],
          summary: "Detector status: Sigma rules loaded and rejected with their problems (file:line), baseline models with their learning state (learning until / ready, entities tracked) from the running engine or its last checkpoint, intel feeds loaded.",
          security: [{ bearer: [] }],
        },
      },
      async () => detectorStatusService(ctx).status(),
    );
  },
};
