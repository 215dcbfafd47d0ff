/** /api/v1/policy: the response policy in force (name, version, content hash, rules). Transport only. */
import { responseApi } from '../../../respond/service.js';
import type { RouteModule } from '../context.js';

export const policyRoutes: RouteModule = {
  name: 'policy',
  scope: 'api',
  register(app, ctx) {
    app.get(
      '/v1/policy',
      { schema: { tags: ['response'], summary: 'The response policy in force: name, version, SHA-256 of its text, file and every setting and rule.', security: [{ bearer: [] }] } },
      async () => responseApi(ctx).policy(),
    );
  },
};
